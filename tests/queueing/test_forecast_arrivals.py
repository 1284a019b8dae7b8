"""Expected walk-ins in the live estimate (issue 19 item 3): forecast.live_estimate on constructed queues
where the newcomers expected (`arriving`, as queueing.estimates.walking_in gives them) change the answer;
every figure is worked out by hand below."""

import datetime as dt

from queueing.forecast import Handling, OpenCounter, live_estimate, waits
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
