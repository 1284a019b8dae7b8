"""The live estimate read from plays with drawn handling times (forecast.waits, estimate_from): on
constructed queues where the play with every ticket at its mean is wrong on average."""

import datetime as dt
import statistics

from queueing.forecast import Estimate, Handling, OpenCounter, estimate_from, live_estimate, time_left, waits
from queueing.order import WALK_IN, Waiting

T0 = dt.datetime(2027, 12, 7, 9, 0, tzinfo=dt.UTC)
ID, PICKUP = 1, 2
SPREAD = {ID: Handling(10, 5), PICKUP: Handling(10, 5)}


def walk_in(id_, service):
    return Waiting(id=id_, service_id=service, kind=WALK_IN, issued_at=T0)


def busy(elapsed, services=(ID, PICKUP)):
    """A counter whose current ID-card ticket has been at it `elapsed` minutes."""
    return OpenCounter(services, time_left(elapsed, SPREAD[ID]), 0, elapsed, ID)


def test_a_ticket_that_needs_the_second_of_two_busy_counters_waits_longer_than_either_expected_time():
    """Both counters prefer ID cards; one ID-card ticket and one pickup wait. The pickup is called when the
    second counter frees: the later of two uncertain times, 5.7 minutes on average over the plays, where
    each counter's own expected time left is 4.6 (the play at the means said 5, and came too early)."""
    queue = [walk_in(1, ID), walk_in(2, PICKUP)]
    counters = [busy(10), busy(10)]

    found = waits(queue, counters, SPREAD, now=T0)

    assert statistics.mean(found[2]) > 5.3
    assert live_estimate(2, queue, counters=counters, handling=SPREAD, now=T0).minutes == 6


def test_first_in_line_at_two_busy_counters_is_called_at_the_sooner_of_them():
    """Alone in the queue, the ticket takes whichever counter frees first: sooner on average than either
    counter's expected 4.6 minutes."""
    found = waits([walk_in(1, ID)], [busy(10), busy(10)], SPREAD, now=T0)

    assert statistics.mean(found[1]) < 4


def test_the_plays_draw_the_rest_of_a_long_ticket_given_how_long_it_has_taken():
    """A ticket at the counter for 30 minutes (three times the mean) has about 5 minutes left in the
    plays too (the log-normal beyond 30), not a whole new ticket's 10 and not nothing."""
    found = waits([walk_in(1, ID)], [busy(30, (ID,))], SPREAD, now=T0)

    assert 3.5 < statistics.mean(found[1]) < 7
    assert min(found[1]) >= 0


def test_the_figure_is_where_most_plays_call_the_ticket_and_wide_spreads_give_a_range():
    # Plays calling at 2, 3, 4, 4, 5, 30 minutes: the ten minutes holding the most are 2-5 (five plays),
    # the figure their middle, 3.5 -> 4 (round half to even); the middle two thirds (the plays at ranks
    # 0.16 x 5 = 0, floor, and 0.84 x 5 = 5, ceiling) 2 to 30: a range.
    assert estimate_from((2, 3, 4, 4, 5, 30)) == Estimate(4, 2, 30)
    assert estimate_from((7, 7, 8, 8)) == Estimate(8, 8, 8)  # narrow: one figure (7.5 rounds to 8)
    assert estimate_from((0, 0, 0, 0.8)) == Estimate(0, 0, 0)  # next, at a counter about to be free
    assert estimate_from((float("inf"),) * 3) == estimate_from(None)  # no play reached it: no basis
    # reached in one play of eight (the others end before a counter calls it): a figure, not an error
    assert estimate_from((3, *(float("inf"),) * 7)).minutes == 3


def test_the_same_hall_gives_the_same_estimate():
    queue = [walk_in(n, (ID, PICKUP)[n % 2]) for n in range(1, 12)]
    counters = [busy(3), busy(12, (PICKUP, ID))]

    assert waits(queue, counters, SPREAD, now=T0) == waits(queue, counters, SPREAD, now=T0)


def test_a_long_queue_is_read_from_one_play_at_the_means_with_its_spread():
    """120 waiting: 40 plays would cost 9 times what they cost at 40 people (a play ranks the queue at each
    call), so the estimate comes from the play at the means, its spread still a range; a short queue keeps
    the drawn plays."""
    long_queue = [walk_in(n, ID) for n in range(1, 121)]
    counters = [OpenCounter((ID, PICKUP)) for _ in range(4)]

    found = waits(long_queue, counters, SPREAD, now=T0)
    short = waits(long_queue[:10], counters, SPREAD, now=T0)

    # The 60th is called after 59 others at 4 counters: 14 rounds of 10 minutes at the means.
    assert len(found[60]) == 9 and statistics.median(found[60]) == 140
    assert estimate_from(found[60]).is_range and len(short[10]) == 40
    assert found == waits(long_queue, counters, SPREAD, now=T0)  # the same queue, the same estimate
