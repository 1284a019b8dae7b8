"""The staffing plan checked by simulation (simulation/plan_check.py): from Erlang C's plan, a counter is
added where the simulated day missed the target, counter-hours are taken away while the plan still meets
it, and the answer is the fewest counter-hours among the plans tried. Small days in the demo hall keep each
simulated day to seconds; the bound on plans keeps the searches short."""

import datetime as dt

import pytest
from django.core.management import call_command

from simulation import plan_check, plan_demand
from simulation.scenario import Pause, day_type

DATE = dt.date(2027, 12, 7)  # a Tuesday a year ahead: the demo hall's long day, no real bookings
SEEDS = (1, 2)

# 36 walk-ins for one service, nearly all between 09:00 and 10:00; counter 1 is away for that hour, which
# Erlang C does not know.
BURST = day_type(
    "quiet",
    walk_ins=36,
    booking_fill=0.0,
    profile={9: 1.0, 10: 0.2},
    mix={"hukou-certificate": 1},
    handling={"hukou-certificate": 8},
    pauses=(Pause(1, "09:00", 60),),
    reading_minutes=240,
    park_rate=0,
    transfer_rate=0,
    gone_rate=0,
)
# A quiet morning: 15 walk-ins between 09:00 and 11:00.
QUIET = day_type(
    "quiet",
    walk_ins=15,
    booking_fill=0.0,
    profile={9: 1.0, 10: 1.0},
    mix={"hukou-certificate": 1},
    handling={"hukou-certificate": 6},
    pauses=(),
    reading_minutes=240,
    park_rate=0,
    transfer_rate=0,
    gone_rate=0,
)


def fewest_meeting(check: plan_check.Check) -> int:
    return min(t.counter_hours for t in check.tried if t.meets)


def test_erlang_c_plan_that_misses_in_simulation_gets_a_counter_where_it_missed(demo_hall):
    erlang = plan_demand.erlang_counters(demo_hall, BURST, DATE)
    assert erlang[9] >= 3 and sum(erlang.values()) == erlang[9] + erlang[10]

    check = plan_check.check_plan(demo_hall, BURST, erlang, date=DATE, seeds=SEEDS, max_plans=4)

    start, added = check.tried[0], check.tried[1]
    assert start.counters == erlang and not start.meets and start.share < 0.9
    worst = max(start.misses, key=start.misses.get)
    assert added.counters == {**erlang, worst: erlang[worst] + 1}
    assert added.share > start.share
    best = check.best
    assert best is not None and best.meets and best.share >= 0.9
    assert best.counter_hours > start.counter_hours
    assert best.counter_hours == fewest_meeting(check)
    assert check.simulations == len(check.tried) * len(SEEDS) <= 4 * len(SEEDS)
    assert call_command("check_invariants") is None


def test_a_plan_with_a_counter_too_many_loses_it(demo_hall):
    generous = {8: 0, 9: 4, 10: 4, 11: 1}

    check = plan_check.check_plan(demo_hall, QUIET, generous, date=DATE, seeds=SEEDS, max_plans=3)

    start = check.tried[0]
    assert start.meets
    best = check.best
    assert best.counter_hours < start.counter_hours and best.meets
    assert best.counter_hours == fewest_meeting(check)
    # each plan tried after the first has one counter-hour less than a plan that met the target
    assert all(t.counter_hours == start.counter_hours - 1 for t in check.tried[1:2])
    assert check.exhausted  # three plans were not enough to try every removal: the result says so
    assert check.as_dict()["checked"]["counter_hours"] == best.counter_hours


def test_the_search_keeps_to_its_bound_and_picks_the_fewest_meeting():
    """With a stand-in for the simulator whose waits are known: an hour is short when it has fewer
    counters than it needs, and then its tickets miss the target."""
    need = {8: 2, 9: 3, 10: 1}
    issued = dt.datetime(2027, 12, 7, 0, tzinfo=dt.UTC)

    def play(counters, seed):
        from simulation.log import DayLog, TicketLog

        log = DayLog(DATE, seed, "stand-in", 30, 15)
        for hour, wanted in need.items():
            for n in range(10):
                at = issued.replace(hour=hour, minute=n)
                wait = dt.timedelta(minutes=30 if counters.get(hour, 0) < wanted else 5)
                pk = hour * 100 + n
                log.tickets[pk] = TicketLog(pk, str(pk), "s", "walk_in", False, at, True, at + wait)
        return log

    check = plan_check.search(play, {8: 1, 9: 3, 10: 3}, seeds=(1, 2), max_plans=20)

    assert [t.counters for t in check.tried[:2]] == [{8: 1, 9: 3, 10: 3}, {8: 2, 9: 3, 10: 3}]
    assert check.best.counters == {8: 2, 9: 3, 10: 1} and not check.exhausted
    assert check.simulations == 2 * len(check.tried)
    bounded = plan_check.search(play, {8: 1, 9: 3, 10: 3}, seeds=(1,), max_plans=3)
    assert len(bounded.tried) == 3 and bounded.exhausted
    assert bounded.best.counter_hours == min(t.counter_hours for t in bounded.tried if t.meets)


def test_the_search_leaves_every_open_hour_a_counter():
    """The last hour's tickets are all called in time with nobody at a window (walk-ins stop before
    closing), but someone with a booking, or in the green channel, would find no window open."""
    issued = dt.datetime(2027, 12, 7, 0, tzinfo=dt.UTC)

    def play(counters, seed):
        from simulation.log import DayLog, TicketLog

        log = DayLog(DATE, seed, "stand-in", 30, 15)
        for n in range(10):
            at = issued.replace(hour=8, minute=n)
            wait = dt.timedelta(minutes=30 if counters.get(8, 0) < 2 else 5)
            log.tickets[800 + n] = TicketLog(800 + n, str(n), "s", "walk_in", False, at, True, at + wait)
        return log

    check = plan_check.search(play, {8: 2, 19: 3}, seeds=(1,), max_plans=10)

    assert check.best.counters == {8: 2, 19: 1}


@pytest.mark.parametrize("name", ["normal", "peak"])
def test_erlang_c_for_a_day_type_follows_its_load(demo_hall, name):
    counters = plan_demand.erlang_counters(demo_hall, day_type(name), DATE)

    assert set(counters) == set(range(8, 12)) | set(range(13, 20))  # the long day's hours, lunch closed
    assert counters[10] > counters[18] > 0  # the morning peak needs more than the evening
