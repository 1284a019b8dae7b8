"""A ticket issued since the hall was read joins the read as a read after the ticket shows the hall (issue 20
item 7: issuing a ticket need not read the hall again, and the wait it shows is the same): at the end of its
line; a walk-in, one more of the day's walk-ins, so that more are expected after it; a check-in, its
booking no longer due to arrive but one more that came, which changes how many of the others are expected,
with its persons and further matters (issue 19 item 3), and no longer missed when it came later than anyone
on record."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest

from appointments import availability
from appointments import services as booking_services
from appointments.models import BookingRules
from hall.models import Hall
from queueing import calls, estimates, progress, walkins
from queueing import services as queue
from queueing.forecast import Work
from queueing.models import QueueRules, Ticket, TicketKind
from tests.makers import make_counter, make_id_number, make_staff, past_tickets
from tests.queueing.helpers import book

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2030, 10, 15)  # a Tuesday, a workday; the hall opens 08:30-17:30 on weekdays
SYSTEM = queue.Actor("system")


def at(hour: int, minute: int = 0, date: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour, minute), SHANGHAI)


@pytest.fixture
def busy(hall, id_card, pickup):
    """Two windows open since 8:30 (the first prefers pickups), a ticket done, one at a window, and walk-ins
    of both services waiting."""
    first, second = make_counter(hall, 1, [pickup, id_card]), make_counter(hall, 2, [id_card])
    clerk = queue.Actor("console", make_staff(hall, "clerk2"))
    calls.open_counter(counter=first, actor=queue.Actor("console", make_staff(hall, "clerk1")), now=at(8, 30))
    calls.open_counter(counter=second, actor=clerk, now=at(8, 30))
    for minute in (31, 33, 35, 40, 44):
        walkins.issue_walk_in(hall=hall, service=id_card, actor=SYSTEM, now=at(8, minute))
    walkins.issue_walk_in(hall=hall, service=pickup, actor=SYSTEM, now=at(8, 36))
    done = calls.call_next(counter=second, actor=clerk, now=at(8, 45))
    calls.complete(ticket=done, actor=clerk, now=at(8, 57))
    calls.call_next(counter=second, actor=clerk, now=at(8, 58))
    return first, second


def seen(hall: estimates.Snapshot) -> tuple:
    """What a snapshot gives the plays: the queue, the counters, the handling times, the arrivals and the
    tickets that take a counter longer."""
    return sorted(hall.waiting, key=lambda w: w.id), hall.counters, hall.handling, hall.arriving, hall.work


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
        hall, lambda: walkins.issue_walk_in(hall=hall, service=pickup, actor=SYSTEM, now=at(9)).ticket
    )

    assert seen(joined) == seen(fresh)
    assert joined.estimate(ticket.pk) == fresh.estimate(ticket.pk)
    assert len(fresh.arriving) > len(read.arriving)  # a pickup every 30 minutes instead of every 60


def test_a_walk_in_joins_the_read_of_a_hall_with_a_history(hall, busy, id_card, pickup):
    """With a history of the weekday, the walk-ins expected are scaled by the day's so far."""
    for weeks in range(1, 5):
        date = DAY - dt.timedelta(weeks=weeks)
        for service in (id_card, pickup):
            past_tickets(
                service,
                date,
                [
                    {"kind": TicketKind.WALK_IN, "issued_at": at(9 + n // 6, 10 * (n % 6), date)}
                    for n in range(1, 30)
                ],
            )

    read, joined, fresh, ticket = joined_and_fresh(
        hall, lambda: walkins.issue_walk_in(hall=hall, service=id_card, actor=SYSTEM, now=at(9)).ticket
    )

    assert seen(joined) == seen(fresh)
    assert joined.estimate(ticket.pk) == fresh.estimate(ticket.pk)
    assert fresh.arriving[0].kind == "walk_in" and fresh.arriving != read.arriving  # scaled up by one more


def test_a_check_in_joins_the_read_and_counts_among_the_bookings_that_came(hall, busy, id_card):
    """Three booked citizens due, none come yet and no record: (0 + 4) / (0 + 5) of each expected, the
    first two (at 0.8 and 1.6 against 0.5 and 1.5; the third at 2.4 short of 2.5). Once the first checks
    in, (1 + 4) / (1 + 6) of each: both others (0.83 and 1.67), not only the one left when the first is
    taken out."""
    bookings = [book(id_card, at(8, 50) + dt.timedelta(seconds=n), n=n, date=DAY) for n in range(1, 4)]

    read, joined, fresh, ticket = joined_and_fresh(
        hall, lambda: queue.check_in(hall=hall, code=bookings[0].code, actor=SYSTEM, now=at(9))
    )

    assert seen(joined) == seen(fresh)
    assert joined.estimate(ticket.pk) == fresh.estimate(ticket.pk)
    due = [w.id for w in fresh.arriving if w.kind == "appointment"]
    assert due == [-bookings[1].pk, -bookings[2].pk]
    assert [w.id for w in read.arriving if w.kind == "appointment"] == [-bookings[0].pk, -bookings[1].pk]


def book_visit(service, start: dt.datetime, n: int, *, persons: int, also=()):
    """A booking in the hall's own slot of `service` at `start` (staff-made the day before), for `persons`,
    with the further services `also` in the same window."""
    BookingRules.objects.get_or_create(
        hall=service.hall, defaults={"held_back_percent": 0, "utilisation_percent": 100, "max_per_day": 5}
    )
    availability.sync_slots(service=service, date=start.date())
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )
    return booking_services.book(
        slot=service.slots.get(start=start),
        citizen=citizen,
        persons=persons,
        also=also,
        actor=booking_services.Actor("staff"),
        now=start - dt.timedelta(days=1),
    )


def test_a_check_in_for_two_with_a_further_matter_joins_with_the_time_it_takes(hall, busy, id_card, pickup):
    """Its ticket takes the counter for two persons' ID cards and then a pickup, as in a fresh read; the
    booking for three not come yet is still expected to take longer."""
    visit = book_visit(id_card, at(9), 1, persons=2, also=[pickup])
    three = book_visit(id_card, at(9, 30), 2, persons=3)

    read, joined, fresh, ticket = joined_and_fresh(
        hall, lambda: queue.check_in(hall=hall, code=visit.code, actor=SYSTEM, now=at(9))
    )

    assert seen(joined) == seen(fresh)
    assert joined.estimate(ticket.pk) == fresh.estimate(ticket.pk)
    assert read.work == {-visit.pk: Work(2, (pickup.pk,)), -three.pk: Work(3, ())}
    assert joined.work == {ticket.pk: Work(2, (pickup.pk,)), -three.pk: Work(3, ())}


def test_a_check_in_later_than_anyone_on_record_came_is_no_longer_counted_missed(hall, busy, id_card):
    """On record, 20 check-ins from on time to 4 minutes into the window: at 9:00 the booking of 8:30 is 30
    minutes late and counts as missed, (0 + 4) / (1 + 5) of the others come. It checks in all the same:
    (1 + 4) / (1 + 5), as a fresh read finds it."""
    for weeks in range(1, 5):
        date = DAY - dt.timedelta(weeks=weeks)
        past_tickets(
            id_card,
            date,
            [
                {
                    "kind": TicketKind.APPOINTMENT,
                    "booked_start": at(9, 0, date),
                    "issued_at": at(9, n - 1, date),
                }
                for n in range(1, 6)
            ],
        )
    late = book(id_card, at(8, 30), n=1, date=DAY)
    others = [book(id_card, at(9, 30) + dt.timedelta(seconds=n), n=n, date=DAY) for n in range(2, 6)]

    read, joined, fresh, ticket = joined_and_fresh(
        hall, lambda: queue.check_in(hall=hall, code=late.code, actor=SYSTEM, now=at(9))
    )

    assert seen(joined) == seen(fresh)
    assert joined.estimate(ticket.pk) == fresh.estimate(ticket.pk)
    assert fresh.coming.bookings.came == 1 and fresh.coming.bookings.missed == 0
    # Each at 9:32, the middle of the record's check-ins. Before: 0.67, 1.33, 2.0 and 2.67 against 0.5, 1.5
    # and 2.5: the first, third and fourth; after: 0.83, 1.67, 2.5 and 3.33: the first three.
    assert [(w.id, w.issued_at) for w in read.arriving if w.kind == "appointment"] == [
        (-b.pk, b.slot.start + dt.timedelta(minutes=2)) for b in (others[0], others[2], others[3])
    ]
    assert [w.id for w in fresh.arriving if w.kind == "appointment"] == [-b.pk for b in others[:3]]


def test_the_hall_read_for_the_cut_off_serves_the_walk_ins_wait(hall, busy, pickup):
    """With walk-ins stopped by the estimate, issuing reads the hall for the cut-off: the new ticket's
    place and wait come from that read, joined by it, as from a read after it."""
    QueueRules.objects.filter(hall=hall).update(stop_by_estimate=True)
    hall = Hall.objects.get(pk=hall.pk)

    issued = walkins.issue_walk_in(hall=hall, service=pickup, actor=SYSTEM, now=at(9))
    ticket = issued.ticket
    again = Ticket.objects.get(pk=ticket.pk)  # without the read

    assert issued.read is not None and issued.read.now == at(9)
    joined = progress.ticket_progress(ticket, at(9), read=issued.read, hours=issued.hours)
    assert joined == progress.ticket_progress(again, at(9))
    assert (joined.people_ahead, joined.wait_minutes is not None) == (1, True)  # the pickup of 8:36 first
