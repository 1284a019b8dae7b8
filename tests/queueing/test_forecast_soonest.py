"""The first calls of counters busy at the start: the soonest of several uncertain finishes comes earlier
than the smallest of their expected times (forecast._soonest). Figures worked out by hand below."""

import datetime as dt

from queueing.forecast import Handling, OpenCounter, live_estimate, waits
from queueing.order import WALK_IN, Waiting

T0 = dt.datetime(2027, 12, 7, 9, 0, tzinfo=dt.UTC)
ID, HUKOU = 1, 2
EXACT = {ID: Handling(10, 0), HUKOU: Handling(5, 0)}


def walk_in(id_, service=ID, minutes=0):
    return Waiting(id=id_, service_id=service, kind=WALK_IN, issued_at=T0 + dt.timedelta(minutes=minutes))


def test_first_in_line_at_four_busy_counters_is_called_by_the_soonest_of_them():
    # Four counters each expected to finish in 8 minutes: one of them is likely done after 8 / 4 = 2
    # (exponential times left), not after 8 as every one of them alone.
    counters = [OpenCounter((ID,), busy_for=8)] * 4
    assert live_estimate(1, [walk_in(1)], counters=counters, handling=EXACT, now=T0).minutes == 2


def test_later_calls_keep_their_expected_times():
    queue = [walk_in(i, minutes=i) for i in range(1, 6)]
    counters = [OpenCounter((ID,), busy_for=8)] * 4
    found = waits(queue, counters, EXACT, now=T0)
    # 1: 8 / 4 = 2; 2: 2 + 8 / 3 = 4.67; 3: 4.67 + 8 / 2 = 8.67, but never later than its counter's own 8;
    # 4: 8; 5: the first counter's second call, 8 + 10 = 18 as before.
    assert [round(found[i][0], 2) for i in range(1, 6)] == [2, 4.67, 8, 8, 18]


def test_only_the_busy_counters_that_serve_the_ticket_count():
    # Two busy counters for ID cards (8 minutes each) and two for hukou only: the ID card ticket waits for
    # the soonest of two, 8 / 2 = 4, not of four.
    counters = [OpenCounter((ID,), busy_for=8)] * 2 + [OpenCounter((HUKOU,), busy_for=8)] * 2
    assert live_estimate(1, [walk_in(1)], counters=counters, handling=EXACT, now=T0).minutes == 4


def test_a_free_counter_still_calls_at_once():
    counters = [OpenCounter((ID,), busy_for=8)] * 3 + [OpenCounter((ID,))]
    assert live_estimate(1, [walk_in(1)], counters=counters, handling=EXACT, now=T0).minutes == 0
