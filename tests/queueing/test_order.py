"""Pure tests of queue order (no database)."""

import datetime as dt
import random
import zoneinfo

import pytest

from queueing.order import APPOINTMENT, WALK_IN, Lines, Waiting, next_for_counter, order, people_ahead

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)


def t(minutes):
    return NOW + dt.timedelta(minutes=minutes)


def appt(id, booked, issued=-20, service=1, **kw):
    return Waiting(
        id=id, service_id=service, kind=APPOINTMENT, issued_at=t(issued), booked_start=t(booked), **kw
    )


def walk(id, issued, service=1, **kw):
    return Waiting(id=id, service_id=service, kind=WALK_IN, issued_at=t(issued), **kw)


def ids(items):
    return [i.id for i in items]


def test_order_green_channel_first_in_issue_order():
    items = [appt(1, -10), walk(2, -30), walk(3, -5, green=True), appt(4, -20, green=True, issued=-1)]

    assert ids(order(items, now=NOW))[:2] == [3, 4]


def test_order_appointments_by_booked_time_not_arrival():
    items = [appt(1, booked=-5, issued=-25), appt(2, booked=-15, issued=-2)]

    assert ids(order(items, now=NOW)) == [2, 1]


def test_order_interleaves_two_appointments_to_one_walk_in():
    items = [appt(1, -30), appt(2, -25), appt(3, -20), appt(4, -15), walk(5, -60), walk(6, -50)]

    assert ids(order(items, now=NOW)) == [1, 2, 5, 3, 4, 6]


def test_order_ratio_is_configurable():
    items = [appt(1, -30), appt(2, -25), appt(3, -20), walk(5, -60)]

    assert ids(order(items, now=NOW, appointments_per_walk_in=1)) == [1, 5, 2, 3]


def test_order_continues_streak_from_earlier_calls():
    items = [appt(1, -30), walk(5, -60)]

    assert ids(order(items, now=NOW, calls_since_walk_in=2)) == [5, 1]


def test_order_walk_ins_not_kept_waiting_behind_early_appointments():
    early = appt(1, booked=20, issued=-5)  # checked in 25 minutes before the window
    items = [early, walk(2, -10)]

    assert ids(order(items, now=NOW)) == [2, 1]


def test_order_early_appointment_served_when_nobody_else_waits():
    assert ids(order([appt(1, booked=20, issued=-5)], now=NOW)) == [1]


def test_order_transferred_ticket_heads_its_new_queue_after_green():
    items = [appt(1, -30), walk(2, -60), walk(3, -1, transferred=True), walk(4, 0, green=True)]

    assert ids(order(items, now=NOW)) == [4, 3, 1, 2]


def test_next_for_counter_only_its_services_in_preference_order():
    items = [walk(1, -60, service=1), walk(2, -50, service=2), walk(3, -70, service=3)]

    chosen = next_for_counter(items, services=[2, 1], now=NOW)

    assert chosen.id == 2


def test_next_for_counter_falls_back_to_second_service():
    items = [walk(1, -60, service=1), walk(3, -70, service=3)]

    assert next_for_counter(items, services=[2, 1], now=NOW).id == 1


def test_next_for_counter_green_channel_of_any_served_service_first():
    items = [walk(1, -60, service=2), walk(2, -1, service=1, green=True)]

    assert next_for_counter(items, services=[2, 1], now=NOW).id == 2


def test_next_for_counter_nothing_waiting():
    assert next_for_counter([walk(1, -60, service=3)], services=[1, 2], now=NOW) is None


def test_people_ahead_counts_same_service_only():
    items = [appt(1, -30), appt(2, -25), walk(3, -60), walk(9, -90, service=2)]

    assert [people_ahead(items, i, now=NOW) for i in (1, 2, 3)] == [0, 1, 2]


def _random_item(rng, n):
    kind = rng.choice([APPOINTMENT, WALK_IN])
    issued = NOW + dt.timedelta(minutes=rng.randrange(-300, 0))
    return Waiting(
        id=n,
        service_id=rng.choice([1, 2, 3]),
        kind=kind,
        issued_at=issued,
        booked_start=NOW + dt.timedelta(minutes=rng.randrange(-240, 90)) if kind == APPOINTMENT else None,
        green=rng.random() < 0.05,
        transferred=rng.random() < 0.05,
    )


@pytest.mark.parametrize("seed", range(30))
def test_the_lines_call_exactly_what_the_whole_queue_would_call(seed):
    """Playing calls forward (the estimate) keeps the queue as heaps of its lines: at every call, with
    citizens arriving between calls, it must choose the ticket next_for_counter chooses from the list."""
    rng = random.Random(seed)
    items = [_random_item(rng, n) for n in range(1, rng.randrange(2, 80))]
    lines, queue = Lines(items), list(items)
    serial, now, streak = len(items), NOW, rng.randrange(3)
    for _call in range(120):
        if rng.random() < 0.3:
            serial += 1
            arrived = _random_item(rng, serial)
            lines.add(arrived)
            queue.append(arrived)
        services = rng.sample([1, 2, 3], rng.randrange(1, 4))
        now += dt.timedelta(minutes=rng.randrange(0, 20))
        rules = {
            "services": services,
            "now": now,
            "appointments_per_walk_in": 2,
            "calls_since_walk_in": streak,
        }
        expected = next_for_counter(queue, **rules)
        assert lines.next_for_counter(**rules) == expected
        if expected is not None:
            lines.take(expected)
            queue.remove(expected)
            streak = 0 if expected.kind == WALK_IN else streak + (not expected.green)
