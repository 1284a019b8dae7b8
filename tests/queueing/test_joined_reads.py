"""A ticket issued since the hall was read joins the read as a read after the ticket shows the hall (issue 20
item 7: issuing a ticket need not read the hall again, and the wait it shows is the same): at the end of its
line; a walk-in, one more of the day's walk-ins, so that more are expected after it; a check-in, its
booking no longer due to arrive but one more that came, which changes how many of the others are expected."""

import datetime as dt
import secrets
import zoneinfo

import pytest

from hall.models import Hall
from queueing import calls, estimates, progress
from queueing import services as queue
from queueing.models import QueueRules, Ticket, TicketKind
from tests.makers import make_counter, make_hall, make_service, make_staff, make_weekday_hours
from tests.queueing.helpers import book

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2030, 10, 15)  # a Tuesday, a workday; the hall opens 08:30-17:30 on weekdays
SYSTEM = queue.Actor("system")


def at(hour: int, minute: int = 0, date: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour, minute), SHANGHAI)


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)
    QueueRules.objects.create(hall=hall, last_ticket_minutes=0, stop_by_estimate=False)
    return hall


@pytest.fixture
def id_card(hall):
    return make_service(hall, average_handling_minutes=10)


@pytest.fixture
def pickup(hall):
    return make_service(hall, code="pickup", prefix="B", average_handling_minutes=3)


@pytest.fixture
def busy(hall, id_card, pickup):
    """Two windows open since 8:30 (the first prefers pickups), a ticket done, one at a window, and walk-ins
    of both services waiting."""
    first, second = make_counter(hall, 1, [pickup, id_card]), make_counter(hall, 2, [id_card])
    clerk = queue.Actor("console", make_staff(hall, "clerk2"))
    calls.open_counter(counter=first, actor=queue.Actor("console", make_staff(hall, "clerk1")), now=at(8, 30))
    calls.open_counter(counter=second, actor=clerk, now=at(8, 30))
    for minute in (31, 33, 35, 40, 44):
        queue.issue_walk_in(hall=hall, service=id_card, actor=SYSTEM, now=at(8, minute))
    queue.issue_walk_in(hall=hall, service=pickup, actor=SYSTEM, now=at(8, 36))
    done = calls.call_next(counter=second, actor=clerk, now=at(8, 45))
    calls.complete(ticket=done, actor=clerk, now=at(8, 57))
    calls.call_next(counter=second, actor=clerk, now=at(8, 58))
    return first, second


def seen(hall: estimates.Snapshot) -> tuple:
    """What a snapshot gives the plays: the queue, the counters, the handling times and the arrivals."""
    return sorted(hall.waiting, key=lambda w: w.id), hall.counters, hall.handling, hall.arriving


def joined_and_fresh(
    hall, issue
) -> tuple[estimates.Snapshot, estimates.Snapshot, estimates.Snapshot, Ticket]:
    """(the hall read before `issue()`, that read joined by its ticket, the hall read after it), at 9:00."""
    read = estimates.hall_now(hall, DAY, at(9), per_walk_in=2)
    ticket = issue()
    return read, progress.joined(read, ticket), estimates.hall_now(hall, DAY, at(9), per_walk_in=2), ticket


def test_a_walk_in_joins_the_read_and_more_walk_ins_are_expected_after_it(hall, busy, pickup):
    """No history of the weekday: walk-ins are expected at the last hour's rate, which the new one raises."""
    read, joined, fresh, ticket = joined_and_fresh(
        hall, lambda: queue.issue_walk_in(hall=hall, service=pickup, actor=SYSTEM, now=at(9))
    )

    assert seen(joined) == seen(fresh)
    assert joined.estimate(ticket.pk) == fresh.estimate(ticket.pk)
    assert len(fresh.arriving) > len(read.arriving)  # a pickup every 30 minutes instead of every 60


def test_a_walk_in_joins_the_read_of_a_hall_with_a_history(hall, busy, id_card, pickup):
    """With a history of the weekday, the walk-ins expected are scaled by the day's so far."""
    for weeks in range(1, 5):
        date = DAY - dt.timedelta(weeks=weeks)
        Ticket.objects.bulk_create(
            Ticket(
                hall=hall,
                service=service,
                date=date,
                sequence=n,
                number=f"{service.prefix}{n:03d}",
                token=secrets.token_urlsafe(24),
                kind=TicketKind.WALK_IN,
                state="done",
                issued_at=at(9 + n // 6, 10 * (n % 6), date),
            )
            for service in (id_card, pickup)
            for n in range(1, 30)
        )

    read, joined, fresh, ticket = joined_and_fresh(
        hall, lambda: queue.issue_walk_in(hall=hall, service=id_card, actor=SYSTEM, now=at(9))
    )

    assert seen(joined) == seen(fresh)
    assert joined.estimate(ticket.pk) == fresh.estimate(ticket.pk)
    assert fresh.arriving[0].kind == "walk_in" and fresh.arriving != read.arriving  # scaled up by one more


def test_a_check_in_joins_the_read_and_counts_among_the_bookings_that_came(hall, busy, id_card):
    """Five booked citizens due, none come yet: four of five expected. Once one checks in, three of the
    other four are expected, not the four left when only the one is taken out."""
    bookings = [book(id_card, at(8, 50) + dt.timedelta(seconds=n), n=n, date=DAY) for n in range(1, 6)]

    read, joined, fresh, ticket = joined_and_fresh(
        hall, lambda: queue.check_in(hall=hall, code=bookings[0].code, actor=SYSTEM, now=at(9))
    )

    assert seen(joined) == seen(fresh)
    assert joined.estimate(ticket.pk) == fresh.estimate(ticket.pk)
    due = [w for w in fresh.arriving if w.kind == "appointment"]
    assert len(due) == 3
    assert len([w for w in read.arriving if w.kind == "appointment" and w.id != -bookings[0].pk]) == 4


def test_the_hall_read_for_the_cut_off_serves_the_walk_ins_wait(hall, busy, pickup):
    """With walk-ins stopped by the estimate, issuing reads the hall for the cut-off: the new ticket's
    place and wait come from that read, joined by it, as from a read after it."""
    QueueRules.objects.filter(hall=hall).update(stop_by_estimate=True)
    hall = Hall.objects.get(pk=hall.pk)

    ticket = queue.issue_walk_in(hall=hall, service=pickup, actor=SYSTEM, now=at(9))
    again = Ticket.objects.get(pk=ticket.pk)  # without the read

    assert ticket.hall_read is not None and ticket.hall_read.now == at(9)
    joined = progress.ticket_progress(ticket, at(9), read=ticket.hall_read, hours=ticket.hall_hours)
    assert joined == progress.ticket_progress(again, at(9))
    assert (joined.people_ahead, joined.wait_minutes is not None) == (1, True)  # the pickup of 8:36 first
