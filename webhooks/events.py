"""Which booking and ticket changes are webhook events, and what their payload says.

The lower apps record each change as a BookingEvent or TicketEvent row in the change's own transaction;
this module reads those rows as they are saved (apps.py) and hands the outbox an event and its payload.
Payloads carry codes, numbers, states and times; personal data only as the subscriber allows
(`Subscriber.fields`), masked unless the full name was allowed, and never the ID number.
"""

from appointments.models import Booking, BookingState
from queueing.models import Ticket, TicketState
from webhooks import outbox
from webhooks.models import EventType
from webhooks.payloads import booking_payload, ticket_payload

BOOKING_EVENTS = {
    BookingState.CANCELLED: EventType.BOOKING_CANCELLED,
    BookingState.CHECKED_IN: EventType.BOOKING_CHECKED_IN,
    BookingState.NO_SHOW: EventType.BOOKING_NO_SHOW,
    BookingState.SERVED: EventType.BOOKING_SERVED,
    # Checked in, its ticket still open when the hall's day ended (queueing/dayend.py, at night).
    BookingState.UNFINISHED: EventType.BOOKING_UNFINISHED,
}
TICKET_EVENTS = {
    TicketState.CALLED: EventType.TICKET_CALLED,
    TicketState.DONE: EventType.TICKET_SERVED,
    TicketState.NO_SHOW: EventType.TICKET_NOT_SERVED,
    TicketState.CANCELLED: EventType.TICKET_NOT_SERVED,
    TicketState.REBOOKED: EventType.TICKET_NOT_SERVED,
    TicketState.DAY_ENDED: EventType.TICKET_NOT_SERVED,
}
# appointments.services.reschedule_booking notes the move as "slot <old> -> <new>".
RESCHEDULE_NOTE = "slot "


def booking_event(from_state: str, to_state: str, note: str) -> str | None:
    if not from_state and to_state == BookingState.BOOKED:
        return EventType.BOOKING_CREATED
    if from_state == to_state == BookingState.BOOKED and note.startswith(RESCHEDULE_NOTE):
        return EventType.BOOKING_RESCHEDULED
    if from_state == to_state:
        return None  # a note (a hall closure), not a change
    return BOOKING_EVENTS.get(to_state)


def ticket_event(from_state: str, to_state: str) -> str | None:
    if to_state == TicketState.WAITING:
        return EventType.TICKET_ISSUED if not from_state else None
    return TICKET_EVENTS.get(to_state)


def on_booking_event(sender, instance, created, raw=False, **kwargs):
    event = booking_event(instance.from_state, instance.to_state, instance.note)
    if not created or raw or event is None or not outbox.any_subscriber():
        return
    booking = Booking.objects.select_related("hall", "service", "slot").get(pk=instance.booking_id)
    outbox.record(booking.hall, event, *booking_payload(booking), at=instance.at)


def on_ticket_event(sender, instance, created, raw=False, **kwargs):
    event = ticket_event(instance.from_state, instance.to_state)
    if not created or raw or event is None or not outbox.any_subscriber():
        return
    ticket = Ticket.objects.select_related("hall", "service", "counter", "booking").get(pk=instance.ticket_id)
    outbox.record(ticket.hall, event, *ticket_payload(ticket), at=instance.at)
