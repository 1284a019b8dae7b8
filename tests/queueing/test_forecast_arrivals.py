"""Expected walk-ins in the live estimate (forecast.expected_walk_ins, issue 19 item 3), on constructed
queues where the newcomers change the answer; every figure is worked out by hand below."""

import datetime as dt

from queueing.forecast import Handling, OpenCounter, expected_walk_ins, live_estimate
from queueing.order import WALK_IN, Waiting

T0 = dt.datetime(2027, 12, 7, 9, 0, tzinfo=dt.UTC)
ID, PICKUP = 1, 2
EXACT = {ID: Handling(10, 0), PICKUP: Handling(3, 0)}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def walk_in(id_, service=ID, minutes=0):
    return Waiting(id=id_, service_id=service, kind=WALK_IN, issued_at=at(minutes))


def test_a_later_service_waits_for_the_newcomers_its_counter_prefers():
    # One counter: ID cards before pickups. A pickup waits behind one ID card ticket.
    queue = [walk_in(1, ID), walk_in(2, PICKUP, minutes=1)]
    counters = [OpenCounter((ID, PICKUP))]
    alone = live_estimate(2, queue, counters=counters, handling=EXACT, now=T0)
    assert alone.minutes == 10  # nobody else comes: called when the ID card ticket is done
    # Six ID card walk-ins in the last hour: one every 10 minutes, the first expected at 5. The counter
    # is free at 10 and finds the newcomer of minute 5 waiting, then the one of minute 15 at 20, ... : at
    # this rate (10-minute tickets every 10 minutes) the pickup is never reached while the flow lasts.
    flow = expected_walk_ins({ID: 6}, 60, T0, [(T0, at(60))])
    assert [w.issued_at for w in flow] == [at(5), at(15), at(25), at(35), at(45), at(55)]
    # The flow stops at closing (60): the counter then works through the six newcomers it has called or
    # has waiting: free at 10, 20, ..., 70 -> the pickup is called at 70.
    assert live_estimate(2, queue, counters=counters, handling=EXACT, now=T0, arriving=flow).minutes == 70


def test_a_slower_flow_leaves_gaps_the_later_service_is_called_in():
    queue = [walk_in(1, ID), walk_in(2, PICKUP, minutes=1)]
    counters = [OpenCounter((ID, PICKUP))]
    # Two ID card walk-ins over the last 60 open minutes: one every 30, the first expected at 15. The
    # counter is free at 10 with no ID card ticket waiting: the pickup is called at 10, as without them.
    flow = expected_walk_ins({ID: 2}, 60, T0, [(T0, at(120))])
    assert flow[0].issued_at == at(15)
    assert live_estimate(2, queue, counters=counters, handling=EXACT, now=T0, arriving=flow).minutes == 10
    # Four (one every 15, the first at 7.5): the newcomer of 7.5 is waiting at 10, so the pickup is at 20.
    flow = expected_walk_ins({ID: 4}, 60, T0, [(T0, at(120))])
    assert live_estimate(2, queue, counters=counters, handling=EXACT, now=T0, arriving=flow).minutes == 20


def test_the_rate_is_over_the_open_minutes_seen_and_no_one_comes_while_the_hall_is_shut():
    # Three walk-ins seen over 15 open minutes (the hall opened a quarter of an hour ago): one every 5.
    lunch_from, lunch_to = at(12), at(42)
    flow = expected_walk_ins({ID: 3}, 15, T0, [(T0, lunch_from), (lunch_to, at(50))])
    # 2.5 and 7.5 before lunch (12.5 would be during it); 2.5 open minutes were due at 12: 42 + 0.5 ...
    assert [w.issued_at for w in flow] == [at(2.5), at(7.5), at(42.5), at(47.5)]
    assert all(w.kind == WALK_IN and w.service_id == ID for w in flow)
    assert len({w.id for w in flow}) == 4 and all(w.id < 0 for w in flow)


def test_no_walk_ins_seen_none_expected():
    assert expected_walk_ins({}, 60, T0, [(T0, at(60))]) == []
    assert expected_walk_ins({ID: 3}, 60, T0, []) == []
