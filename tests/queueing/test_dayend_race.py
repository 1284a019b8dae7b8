"""The day's end and a clerk completing the same ticket at the same moment, on a real PostgreSQL: exactly one
wins. The sweep locks the tickets it ends (skipping one a clerk holds); a complete waiting for the sweep's
lock then finds the ticket no longer being served."""

import datetime as dt
import threading
import zoneinfo

import phonenumbers
import pytest
from django.db import connections, transaction

from appointments import availability
from appointments import services as booking_services
from appointments.models import Booking, BookingState
from queueing import calls, dayend, services
from queueing.models import Ticket, TicketEvent, TicketState
from queueing.services import Actor, QueueError
from tests.invariants import invariants_hold_after  # noqa: F401 (a fixture)
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, make_weekday_hours
from tests.races import wait_until_blocked_by_me_or_done

pytestmark = [
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants_hold_after"),
]

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TUESDAY = dt.date(2026, 11, 24)
NIGHT = dt.datetime(2026, 11, 25, 1, 0, tzinfo=TZ)  # Wednesday 01:00 in the hall


@pytest.fixture
def serving():
    """A booked citizen being served at window 1 on Tuesday, never completed: (ticket id, clerk)."""
    hall = make_hall()
    make_weekday_hours(hall)
    service = make_service(hall)
    counter = make_counter(hall, 1, [service])
    clerk = make_staff(hall)
    calls.open_counter(
        counter=counter, actor=Actor("console", clerk), now=dt.datetime(2026, 11, 24, 8, tzinfo=TZ)
    )
    booked_at = dt.datetime(2026, 11, 24, 7, tzinfo=TZ)
    slot = availability.day_availability(service=service, date=TUESDAY, now=booked_at).slots[1]
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse("13900000001", "CN"), id_number=make_id_number(1)
    )
    booking = booking_services.book(
        slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=booked_at
    )
    services.check_in(hall=hall, code=booking.code, actor=Actor("kiosk"), now=slot.start)
    ticket = calls.call_next(counter=counter, actor=Actor("console", clerk), now=slot.start)
    calls.start_serving(ticket=ticket, actor=Actor("console", clerk), now=slot.start)
    return ticket.pk, clerk


def in_thread(work) -> tuple[threading.Thread, list]:
    result = []

    def run():
        try:
            result.append(work())
        except QueueError as refused:
            result.append(refused.code)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def complete(ticket_id: int, clerk):
    return lambda: calls.complete(
        ticket=Ticket.objects.get(pk=ticket_id), actor=Actor("console", clerk), now=NIGHT
    )


def ended_states(ticket_id: int) -> list[str]:
    return list(
        TicketEvent.objects.filter(
            ticket_id=ticket_id, to_state__in=[TicketState.DONE, TicketState.DAY_ENDED]
        )
        .order_by("pk")
        .values_list("to_state", flat=True)
    )


def test_a_complete_waiting_for_the_sweep_finds_the_ticket_ended(serving):
    ticket_id, clerk = serving
    with transaction.atomic():
        assert dayend.end_past_days(now=NIGHT)["tickets"] == 1
        thread, result = in_thread(complete(ticket_id, clerk))
        assert wait_until_blocked_by_me_or_done(thread)  # the clerk's complete waits for the sweep's lock
    thread.join(timeout=10)

    ticket = Ticket.objects.select_related("booking").get(pk=ticket_id)
    assert result != [] and not isinstance(result[0], Ticket)  # refused, not completed
    assert (ticket.state, ticket.booking.state) == (TicketState.DAY_ENDED, BookingState.UNFINISHED)
    assert ended_states(ticket_id) == [TicketState.DAY_ENDED]


def test_the_sweep_skips_a_ticket_a_clerk_is_completing(serving):
    ticket_id, clerk = serving
    with transaction.atomic():
        done = complete(ticket_id, clerk)()
        thread, result = in_thread(lambda: dayend.end_past_days(now=NIGHT))
        assert not wait_until_blocked_by_me_or_done(thread)  # the sweep does not wait: it skips the row
    thread.join(timeout=10)

    assert result[0]["tickets"] == 0
    assert done.state == TicketState.DONE
    assert dayend.end_past_days(now=NIGHT)["tickets"] == 0  # done since: nothing left to end
    ticket = Ticket.objects.get(pk=ticket_id)
    assert (ticket.state, Booking.objects.get(pk=ticket.booking_id).state) == (
        TicketState.DONE,
        BookingState.SERVED,
    )
    assert ended_states(ticket_id) == [TicketState.DONE]
