"""Expected walk-ins in the live estimate (issue 19 item 3): forecast.live_estimate on constructed queues
where the newcomers expected (`arriving`, as queueing.estimates.walking_in gives them) change the answer;
every figure is worked out by hand below."""

import datetime as dt

from queueing.forecast import Draws, Handling, OpenCounter, Stream, expected_walk_ins, live_estimate, waits
from queueing.order import WALK_IN, Waiting

T0 = dt.datetime(2027, 12, 7, 9, 0, tzinfo=dt.UTC)
ID, PICKUP = 1, 2
EXACT = {ID: Handling(10, 0), PICKUP: Handling(3, 0)}


def walk_in(id_, service=ID, minutes=0.0):
    return Waiting(id=id_, service_id=service, kind=WALK_IN, issued_at=T0 + dt.timedelta(minutes=minutes))


def flow(service, every, until):
    """Newcomers of `service` every `every` minutes from `every` on, before `until`."""
    count = int((until - 1e-9) // every)
    return [walk_in(-1000 - n, service, every * n) for n in range(1, count + 1)]


QUEUE = [walk_in(1, ID), walk_in(2, PICKUP, minutes=1)]
ONE = [OpenCounter((ID, PICKUP))]  # ID cards before pickups


def test_a_later_service_waits_for_the_newcomers_its_counter_prefers():
    # Nobody else comes: the pickup is called when the ID card ticket is done, at 10.
    assert live_estimate(2, QUEUE, counters=ONE, handling=EXACT, now=T0).minutes == 10
    # An ID card walk-in every 10 minutes until 60: the counter, free at 10, 20, ..., always finds one
    # waiting (10, 20, 30, 40, 50) and reaches the pickup only when the flow has ended: at 60.
    coming = flow(ID, 10, 60)
    assert live_estimate(2, QUEUE, counters=ONE, handling=EXACT, now=T0, arriving=coming).minutes == 60


def test_a_slower_flow_leaves_a_gap_the_later_service_is_called_in():
    # One every 30 minutes: at 10 no ID card ticket is waiting, so the pickup is called at 10 as before.
    coming = flow(ID, 30, 120)
    assert live_estimate(2, QUEUE, counters=ONE, handling=EXACT, now=T0, arriving=coming).minutes == 10
    # One every 8: the newcomer of 8 is waiting at 10, of 16 at 20, of 24 at 30, ...: the counter never
    # catches up (10-minute tickets every 8 minutes) before the flow ends at 40 (newcomers 8..32 called at
    # 10, 20, 30, 40): the pickup at 50.
    coming = flow(ID, 8, 40)
    assert live_estimate(2, QUEUE, counters=ONE, handling=EXACT, now=T0, arriving=coming).minutes == 50


def test_newcomers_of_the_same_service_queue_behind_and_do_not_delay():
    queue = [walk_in(1, ID), walk_in(2, ID, minutes=1)]
    coming = flow(ID, 2, 60)
    assert live_estimate(2, queue, counters=ONE, handling=EXACT, now=T0, arriving=coming).minutes == 10


def test_one_play_gives_each_ticket_the_wait_the_newcomers_leave_it():
    # Two counters: A for ID cards only, B with ID cards before pickups; ID card walk-ins every 5 minutes
    # until 30. A takes ticket 1 at 0; B, free at 0 with no ID card ticket waiting, takes the pickup at 0.
    counters = [OpenCounter((ID,)), OpenCounter((ID, PICKUP))]
    found = waits(QUEUE, counters, EXACT, now=T0, arriving=flow(ID, 5, 30))
    assert found[1][0] == 0 and found[2][0] == 0
    # B busy for 4 more minutes: the first newcomer (at 5) is not there yet when B frees, so the pickup is
    # called at 4; busy for 6, B takes that newcomer (free at 16), A takes the one of 10 at 10 (free at 20),
    # B the one of 15 at 16 (26), A the one of 20 at 20 (30), B the one of 25 at 26 (36); A serves no
    # pickups: the pickup waits for B, at 36.
    busy = [OpenCounter((ID,)), OpenCounter((ID, PICKUP), busy_for=4)]
    assert waits(QUEUE, busy, EXACT, now=T0, arriving=flow(ID, 5, 30))[2][0] == 4
    late = [OpenCounter((ID,)), OpenCounter((ID, PICKUP), busy_for=6)]
    assert waits(QUEUE, late, EXACT, now=T0, arriving=flow(ID, 5, 30))[2][0] == 36


# Streams: walk-ins expected at a rate, drawn at random in each play (a Poisson process), in step in the
# play at the means.

SPREAD = {ID: Handling(10, 5), PICKUP: Handling(3, 1.5)}


def stream(service, per_hour, minutes=60):
    return Stream(service, ((T0, T0 + dt.timedelta(minutes=minutes), per_hour / 60),))


def test_each_play_draws_its_own_walk_ins_at_the_streams_rate_and_the_same_play_the_same_ones():
    six_an_hour = [stream(ID, 6)]
    counts = [len(Draws(n).walk_ins(six_an_hour)) for n in range(400)]
    drawn = Draws(7).walk_ins(six_an_hour)

    # Poisson with mean 6 (and variance 6): the mean of 400 plays within 4 standard errors (0.49).
    assert abs(sum(counts) / len(counts) - 6) < 0.49
    assert min(counts) <= 2 and max(counts) >= 11  # bursts and gaps, which a flow in step never has
    assert drawn == Draws(7).walk_ins(six_an_hour)
    assert all(T0 <= w.issued_at < T0 + dt.timedelta(hours=1) and w.service_id == ID for w in drawn)
    assert len({w.id for w in drawn}) == len(drawn)
    # In step (the play at the means): one every 10 minutes from the half: 5, 15, ..., 55.
    assert [w.issued_at.minute for w in expected_walk_ins(six_an_hour)] == [5, 15, 25, 35, 45, 55]


def test_a_stream_of_the_preferred_service_spreads_the_later_service_s_wait_over_the_plays():
    alone = waits(QUEUE, ONE, SPREAD, now=T0)[2]
    behind = waits(QUEUE, ONE, SPREAD, now=T0, arriving=[stream(ID, 5, minutes=120)])[2]

    # Five ID card walk-ins an hour at a counter that serves them first in ten minutes each: in plays with
    # a burst the pickup waits for several, in plays with a gap it is called after the first ticket.
    assert sorted(behind)[len(behind) // 2] > sorted(alone)[len(alone) // 2]
    assert max(behind) - min(behind) > 2 * (max(alone) - min(alone))
    assert min(behind) < 15  # some plays leave a gap at once


def test_with_certain_handling_times_a_stream_comes_in_step():
    # Newcomers at 5, 15, ..., 55: the counter, free at 10, 20, ..., 60, finds one waiting each time (six
    # of them), and reaches the pickup at 70.
    assert waits(QUEUE, ONE, EXACT, now=T0, arriving=[stream(ID, 6)])[2] == (70,)
