"""The queries of the hall's busiest writes, on PostgreSQL, must not grow.

Measured on main before issue 18 moved the booking transitions into `appointments` and the queue order into
`queueing/order.py` alone, and after (the assertions allow the numbers after):
- call-next, with 1 or 3 tickets waiting: 11 queries either way, before and after;
- complete, an appointment's ticket (its booking is served): 13, before and after;
- check-in of a booking: 18, before and after;
- a booking: 20, before and after; 9 after issue 20 (the hall's rules, the person's locks in one statement,
  one query for the duplicate and the limits, the UPDATE and three INSERTs, and the savepoint and release
  that stand for the booking's transaction inside the test's: no other savepoint;
  tests/api/test_booking_statements.py pins the API's booking statement by statement);
- transfer to another service: 16 before, 13 after (the ticket's row is locked once, not twice).
A walk-in ticket (issue 19, item 3): 16 queries with the cut-off by estimate off. With it on, 26: the live
estimate reads the queue (1), the recent handling times (2), the open counters and their tickets (3), the
bookings due (3) and the last hour's walk-ins (1), while the service's day sequence is held; the old
estimate read 2 counts (18 in all). The hall's hours are read once, before the lock, for both.
Issue 20 (call-next + complete at 3 times the floor's CPU) wrote their statements out (queueing/statements.py)
- call-next: 8 (the counter's services, BEGIN, its session locked with the busy check in one, the heads, the
  claim returning the ticket, the event, a look for anyone waiting outside, COMMIT); 7 since the claim
  itself says whether anyone waits outside; 6 since the claim writes the call's event too; 5 since the
  counter's services are read with its session's lock;
- complete: 12 (the ticket's owner is saved with its new state, no UPDATE of its own); 11 since a ticket's
  change and its event are written by one statement (hall/rows.py `update`), as are a transfer's: 12.
Issue 20 item 7 (the province day's dearest actions): the day's number taken and locked by one upsert, the
quota counts in one, the free seats in one, a check-in's earlier ticket read only when it was checked in
before, the hours in one statement and the estimate's read of the hall in three (ten through the ORM):
check-in 15, walk-in 11, with the cut-off by estimate 15 (the hall's history included).
The objects are loaded first as a request loads them (the counter with its hall and rules, the ticket with
its hall and service), so that only the service's own queries are counted. The webhooks' "is there any
subscriber?" flag is in the cache, as it is in a running hall (read from the database once a minute):
with no subscriber the webhooks add no query; with one, three per event (docs/webhooks.md).
"""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.contrib.auth.models import User

from appointments import services as booking_services
from appointments.models import Booking, BookingState, Slot
from hall import services as hall_services
from hall.models import Counter, Hall
from queueing import calls, services, walkins
from queueing.models import QueueRules, Ticket, TicketState
from queueing.services import Actor
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_weekday_hours
from tests.queueing.helpers import book, waiting_walk_ins
from webhooks import outbox

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db]

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)  # Tuesday morning

CALL_NEXT = 5
COMPLETE = 11
CHECK_IN = 15
BOOK = 9
TRANSFER = 12
WALK_IN = 11
WALK_IN_BY_ESTIMATE = 15  # with the hall's walk-in history of the weekday, read once per process and day


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS = False


@pytest.fixture(autouse=True)
def _webhooks_flag_cached(db):
    outbox.any_subscriber()


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def actor(hall):
    user = User.objects.create(username="clerk")
    hall_services.assign_staff(user=user, hall=hall, role="clerk")
    return Actor("api", user)


@pytest.fixture
def counter(hall, service, actor):
    counter = make_counter(hall, 1, [service])
    calls.open_counter(counter=counter, actor=actor, now=NOW)
    return counter


def as_requested(counter: Counter) -> Counter:
    """The counter as the API's access helper loads it."""
    return Counter.objects.select_related("hall", "hall__queue_rules", "session", "session__user").get(
        pk=counter.pk
    )


@pytest.mark.parametrize("tickets", [1, 3])
def test_call_next_queries(hall, service, counter, actor, tickets, django_assert_max_num_queries):
    waiting_walk_ins(hall, service, tickets, NOW)
    counter = as_requested(counter)

    with django_assert_max_num_queries(CALL_NEXT):
        called = calls.call_next(counter=counter, actor=actor, now=NOW)

    assert (called.number, called.state) == ("A001", TicketState.CALLED)


def test_complete_queries(hall, service, counter, actor, django_assert_max_num_queries):
    ticket = services.check_in(hall=hall, code=book(service, NOW, date=NOW.date()).code, actor=actor, now=NOW)
    calls.call_next(counter=as_requested(counter), actor=actor, now=NOW)
    ticket = Ticket.objects.select_related("hall", "service").get(pk=ticket.pk)

    with django_assert_max_num_queries(COMPLETE):
        done = calls.complete(ticket=ticket, actor=actor, now=NOW + dt.timedelta(minutes=5))

    assert done.state == TicketState.DONE
    assert Booking.objects.get(pk=ticket.booking_id).state == BookingState.SERVED


def test_check_in_queries(hall, service, actor, django_assert_max_num_queries):
    code = book(service, NOW, date=NOW.date()).code
    hall = Hall.objects.get(pk=hall.pk)

    with django_assert_max_num_queries(CHECK_IN):
        ticket = services.check_in(hall=hall, code=code, actor=actor, now=NOW)

    assert (ticket.number, Booking.objects.get(code=code).state) == ("A001", BookingState.CHECKED_IN)


def test_booking_queries(hall, service, django_assert_max_num_queries):
    start = NOW + dt.timedelta(days=1)
    slot = Slot.objects.create(
        hall=hall,
        service=service,
        date=start.date(),
        start=start,
        end=start + dt.timedelta(minutes=30),
        capacity=5,
    )
    slot = Slot.objects.select_related("hall", "service").get(pk=slot.pk)
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse("13900000001", "CN"), id_number=make_id_number(1)
    )

    with django_assert_max_num_queries(BOOK):
        made = booking_services.book(slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=NOW)

    assert (made.state, Slot.objects.get(pk=slot.pk).taken) == (BookingState.BOOKED, 1)


def test_transfer_queries(hall, service, counter, actor, django_assert_max_num_queries):
    other = make_service(hall, code="household", prefix="B")
    waiting_walk_ins(hall, service, 1, NOW)
    ticket = calls.call_next(counter=as_requested(counter), actor=actor, now=NOW)
    ticket = Ticket.objects.select_related("hall", "service").get(pk=ticket.pk)

    with django_assert_max_num_queries(TRANSFER):
        new = calls.transfer(ticket=ticket, actor=actor, service=other, now=NOW + dt.timedelta(minutes=5))

    assert (new.number, new.state, Ticket.objects.get(pk=ticket.pk).state) == (
        "B001",
        TicketState.WAITING,
        TicketState.TRANSFERRED,
    )


@pytest.mark.parametrize("stop_by_estimate", [False, True])
def test_walk_in_queries(hall, service, counter, stop_by_estimate, django_assert_max_num_queries):
    QueueRules.objects.create(hall=hall, stop_by_estimate=stop_by_estimate)
    waiting_walk_ins(hall, service, 3, NOW)
    hall = Hall.objects.select_related("queue_rules").get(pk=hall.pk)

    with django_assert_max_num_queries(WALK_IN_BY_ESTIMATE if stop_by_estimate else WALK_IN):
        ticket = walkins.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk"), now=NOW).ticket

    assert (ticket.number, ticket.state) == ("A004", TicketState.WAITING)
