"""forecast.live_estimate on constructed queues: every expected figure is worked out by hand below."""

import datetime as dt

import pytest

from queueing.forecast import (
    NO_BASIS,
    Estimate,
    Handling,
    OpenCounter,
    estimate_from,
    handling_from,
    live_estimate,
    time_left,
    waits,
)
from queueing.order import APPOINTMENT, WALK_IN, Waiting

T0 = dt.datetime(2027, 12, 7, 9, 0, tzinfo=dt.UTC)
ID, HUKOU = 1, 2
EXACT = {ID: Handling(10, 0), HUKOU: Handling(5, 0)}


def walk_in(id_, service=ID, minutes=0):
    return Waiting(id=id_, service_id=service, kind=WALK_IN, issued_at=T0 + dt.timedelta(minutes=minutes))


def test_two_ahead_at_one_counter_wait_two_handling_times_shown_as_a_range():
    queue = [walk_in(1), walk_in(2, minutes=1), walk_in(3, minutes=2)]
    # 2 x 10 minutes; spread sqrt(2 x 2^2) = 2.8, so 17.2 to 22.8: wider than 6 minutes, in fives: 15-25.
    estimate = live_estimate(3, queue, counters=[OpenCounter((ID,))], handling={ID: Handling(10, 2)}, now=T0)
    # The figure is the middle of the ten minutes holding most of the 40 plays' calls: the sum of two
    # log-normals leans left of its mean of 20.
    assert (estimate.low, estimate.high) == (15, 25) and 18 <= estimate.minutes <= 20
    assert estimate.is_range


def test_the_counter_that_frees_first_takes_the_next_ticket():
    queue = [walk_in(1), walk_in(2, minutes=1), walk_in(3, minutes=2)]
    counters = [OpenCounter((ID,)), OpenCounter((ID,), busy_for=4)]
    # Counter 1 takes ticket 1 at 0 (free at 10); counter 2 takes ticket 2 at 4 (free at 14); counter 1
    # takes ticket 3 at 10.
    assert live_estimate(3, queue, counters=counters, handling=EXACT, now=T0) == Estimate(10, 10, 10)


def test_a_counter_prefers_its_first_service():
    queue = [
        walk_in(1, service=HUKOU),
        walk_in(2, service=ID, minutes=1),
        walk_in(3, service=HUKOU, minutes=2),
    ]
    counters = [OpenCounter((ID, HUKOU))]
    # The ID card ticket first (10 minutes), then hukou 1 (5 more): hukou 3 is called at 15.
    assert live_estimate(3, queue, counters=counters, handling=EXACT, now=T0).minutes == 15


def test_an_appointment_due_to_arrive_goes_ahead_of_a_walk_in():
    queue = [walk_in(1), walk_in(2, minutes=1)]
    due = Waiting(-7, ID, APPOINTMENT, T0 + dt.timedelta(minutes=5), T0 + dt.timedelta(minutes=5))
    counters = [OpenCounter((ID,))]
    assert live_estimate(2, queue, counters=counters, handling=EXACT, now=T0).minutes == 10
    # It has arrived and is due when the counter is free again at 10: called then, the walk-in at 20.
    assert live_estimate(2, queue, counters=counters, handling=EXACT, now=T0, arriving=[due]).minutes == 20


def test_next_at_a_free_counter_waits_nothing():
    assert live_estimate(1, [walk_in(1)], counters=[OpenCounter((ID,))], handling=EXACT, now=T0) == Estimate(
        0, 0, 0
    )


@pytest.mark.parametrize("counters", [[], [OpenCounter((HUKOU,))]])
def test_no_counter_open_for_the_service_is_no_basis(counters):
    assert live_estimate(1, [walk_in(1)], counters=counters, handling=EXACT, now=T0) == NO_BASIS


def test_recent_handling_times_weigh_against_the_configured_average():
    # Three observed 20-minute tickets and the configured 10 minutes counting as three: (30 + 60) / 6.
    assert handling_from([20, 20, 20], 10).mean == 15
    assert handling_from([], 10) == Handling(10, 5, 0)


@pytest.mark.parametrize(
    ("elapsed", "left"),
    # A log-normal of mean 10 and spread 5 (sigma 0.472): E[X - t | X > t], worked out with the normal's
    # tail (mean x Phi((mu + sigma^2 - ln t) / sigma) / P(X > t) - t).
    [(0, 10), (3, 7.08), (10, 4.59), (12, 4.50), (30, 5.22)],
)
def test_time_left_of_a_ticket_at_a_counter(elapsed, left):
    assert time_left(elapsed, Handling(10, 5)) == pytest.approx(left, abs=0.01)


def test_a_ticket_past_its_mean_still_has_about_half_a_mean_left():
    """Not a quarter of the mean (the rule before): those who are slow are slow for a reason, and the
    next citizen promised the counter in 2.5 minutes waited longer."""
    lefts = [time_left(elapsed, Handling(10, 5)) for elapsed in (10, 12, 15, 20, 40, 90)]
    assert all(4.4 < left < 10 for left in lefts)
    assert time_left(12, Handling(10, 0)) == 0  # no spread: the time is known, and it is up


def test_one_play_gives_every_ticket_the_wait_of_its_own_estimate():
    """The ticket page plays the hall once for all its tickets (queueing.progress.KeptHall)."""
    queue = [walk_in(n, service=(ID, HUKOU, ID)[n % 3], minutes=n) for n in range(1, 30)]
    green = Waiting(40, HUKOU, WALK_IN, T0, green=True)
    queue.append(green)
    due = [
        Waiting(-n, ID, APPOINTMENT, T0 + dt.timedelta(minutes=7 * n), T0 + dt.timedelta(minutes=7 * n))
        for n in (1, 2, 3)
    ]
    counters = [OpenCounter((ID, HUKOU), busy_for=3), OpenCounter((HUKOU,)), OpenCounter((ID,), 8, 2)]
    handling = {ID: Handling(9, 3), HUKOU: Handling(6, 2)}
    play = {"now": T0, "arriving": due, "appointments_per_walk_in": 2}

    found = waits(queue, counters, handling, **play)

    for ticket in queue:
        alone = live_estimate(ticket.id, queue, counters=counters, handling=handling, **play)
        assert estimate_from(found.get(ticket.id)) == alone


def test_a_ticket_no_counter_serves_is_no_basis_in_the_play_too():
    found = waits([walk_in(1, service=HUKOU)], [OpenCounter((ID,))], EXACT, now=T0)

    assert estimate_from(found.get(1)) == NO_BASIS


def test_a_wait_asked_later_than_the_play_is_shorter_by_the_time_gone_by():
    queue = [walk_in(1), walk_in(2, minutes=1), walk_in(3, minutes=2)]
    found = waits(queue, [OpenCounter((ID,))], EXACT, now=T0)

    # Called at 20 minutes from the play; asked 1.5 minutes later: 18.5, shown as 18 (round half to even).
    assert (estimate_from(found[3]), estimate_from(found[3], later_by=1.5)) == (
        Estimate(20, 20, 20),
        Estimate(18, 18, 18),
    )
