"""Queue flows: check-in, tickets, calls and outcomes; each transition lives here and checks the state."""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from appointments import lifecycle, noshow
from appointments.models import Booking, BookingState
from hall import rows
from hall.errors import DomainError
from hall.models import Hall, Service
from notifications import services as notify
from queueing import events, spacing
from queueing.heads import waiting_items as waiting_items  # where views and tests find it
from queueing.models import (
    DaySequence,
    MatterState,
    QueueRules,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketMatter,
    TicketState,
)

log = logging.getLogger(__name__)

BOOKING_NOT_FOUND = _("No booking with this code for today. Please check the code or ask at the desk.")
BOOKING_NOT_TODAY = _("Your booking is for %(date)s, not today. Please come on that day.")
TOO_EARLY = _("You are early. Check-in for your booking opens at %(time)s.")
TOO_LATE = _("Your booked time has passed. You can take a walk-in ticket instead.")
BOOKING_CANCELLED = _("This booking was cancelled.")
BOOKING_BY_VIDEO = _("This booking is a video appointment: join it from your booking page, not at the hall.")
QUOTA_EXHAUSTED = _("All tickets for this service have been given out today.")
HOUR_QUOTA_EXHAUSTED = _("All tickets for this hour have been given out. Please try again after %(time)s.")
DUPLICATE_TICKET = _("You already hold a ticket for this service: %(number)s.")
NOT_WAITING = _("This ticket is not waiting any more.")
WRONG_STATE = _("This ticket cannot do that now (it is %(state)s).")
COUNTER_BUSY = _("Finish the current ticket before calling the next one.")
COUNTER_NOT_OPEN = _("Open the counter first.")
COUNTER_TAKEN = _("Someone else is working at this counter.")
SERVICE_CLOSED = _("This service is not offered here.")
NOT_AT_COUNTER = _("This ticket is at another counter.")


def day_with_weekday(day: dt.date) -> str:
    """12月7日（星期一） in Chinese, "Monday 7 December" in English: how a person names a day."""
    return formats.date_format(day, pgettext("a date with its weekday, as in 12月7日（星期一）", "l j F"))


class QueueError(DomainError):
    """A refusal with the API's error code; `ticket` is the existing ticket when reprinting makes sense."""

    api_status = {"not_found": 404}

    def __init__(self, code: str, message, ticket: Ticket | None = None):
        super().__init__(code, message)
        self.ticket = ticket


@dataclass(frozen=True)
class Actor:
    source: str  # kiosk, console, api, system
    user: object = None


def rules_for(hall: Hall) -> QueueRules:
    try:
        return hall.queue_rules
    except QueueRules.DoesNotExist:
        return QueueRules(hall=hall)


def user_of(actor: Actor):
    return actor.user if getattr(actor.user, "is_authenticated", False) else None


LIVE_EVENT_TYPES = {
    TicketState.WAITING: events.TICKET_ISSUED,
    TicketState.CALLED: events.TICKET_CALLED,
    TicketState.DONE: events.TICKET_COMPLETED,
    TicketState.NO_SHOW: events.TICKET_COMPLETED,
    TicketState.TRANSFERRED: events.TICKET_COMPLETED,
    TicketState.CANCELLED: events.TICKET_COMPLETED,
    TicketState.REBOOKED: events.TICKET_COMPLETED,
}


def record_event(
    ticket: Ticket, from_state: str, actor: Actor, now: dt.datetime, note: str = "", counter=None
) -> None:
    """Record a ticket's change (who, when, where: `counter`, else the ticket's) and announce it to the hall's
    screens after commit."""
    event = ticket_event(ticket, from_state, actor, now, note, counter)
    rows.insert_together(event, [])  # a prepared INSERT, as save() would write it (hall/rows.py)
    announce(ticket, from_state)


def ticket_event(
    ticket: Ticket, from_state: str, actor: Actor, now: dt.datetime, note: str = "", counter=None
) -> TicketEvent:
    """The record of a ticket's change, not saved yet (see `record_event`)."""
    return TicketEvent(
        ticket=ticket,
        from_state=from_state,
        to_state=ticket.state,
        counter=counter or ticket.counter,
        actor=user_of(actor),
        source=actor.source,
        note=note,
        at=now,
    )


def announce(ticket: Ticket, from_state: str) -> None:
    """Tell the hall's screens of a ticket's change recorded in this transaction, once it commits."""
    kind = LIVE_EVENT_TYPES.get(ticket.state, events.QUEUE_CHANGED)
    if ticket.state == TicketState.WAITING and from_state:
        kind = events.QUEUE_CHANGED  # back in the queue, not newly issued
    events.publish(ticket.hall_id, kind, events.ticket_data(ticket))


def tell(ticket: Ticket, kind: str, render, key: str = "") -> None:
    """Record a message to the ticket's holder, if they gave a mobile, in their language, with this
    transaction."""
    if ticket.phone:
        notify.record(
            hall=ticket.hall,
            kind=kind,
            subject_type="ticket",
            subject_id=ticket.pk,
            phone=ticket.phone,
            language=ticket.language,
            key=key,
            render=render,
        )


# The day's counter of a service, made if need be and locked, in one statement: an insert that, when the
# row is there, changes nothing but takes its lock as an update would (issue 20 item 7: two statements).
_SEQUENCE = (
    'INSERT INTO queueing_daysequence (hall_id, service_id, date, "last") VALUES (%s, %s, %s, 0) '
    'ON CONFLICT (hall_id, service_id, date) DO UPDATE SET "last" = queueing_daysequence."last" '
    'RETURNING id, "last"'
)


def next_sequence(hall: Hall, service: Service, date: dt.date) -> DaySequence:
    """Lock the day's counter for this service; held until the ticket's transaction commits, so a failed
    request leaves no gap and concurrent requests get consecutive numbers."""
    ((pk, last),) = rows.fetch(_SEQUENCE, [hall.pk, service.pk, date])
    row = {"id": pk, "hall_id": hall.pk, "service_id": service.pk, "date": date, "last": last}
    names = [field.attname for field in DaySequence._meta.concrete_fields]  # from_db's order
    return DaySequence.from_db(DEFAULT_DB_ALIAS, names, [row[name] for name in names])


def lock_seats(hall: Hall, date: dt.date) -> None:
    """Seats and the room inside belong to the whole hall, whatever the service: two kiosks issuing
    tickets of different services, or a call moving someone inside, must not pick the same free seat at the
    same moment. A PostgreSQL advisory lock, held to commit; SQLite's IMMEDIATE transactions already let one
    writer in at a time. Whoever holds it must not wait for another ticket's row lock
    (see `queueing.inside._unlocked`)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            key = f"seats:{hall.pk}:{date.isoformat()}"
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


# The seats of the day's tickets waiting inside ('' for one without a seat).
_SEATS = (
    "SELECT seat FROM queueing_ticket WHERE hall_id = %s AND date = %s "  # noqa: S608
    f"AND state = '{TicketState.WAITING}' AND inside"
)


def place(hall: Hall, date: dt.date) -> tuple[bool, str]:
    """Inside with a seat while there is room, otherwise outside without one. The seat stays free for
    this transaction until it commits (`lock_seats`)."""
    lock_seats(hall, date)
    seats = [seat for (seat,) in rows.fetch(_SEATS, [hall.pk, date])]
    if spacing.must_wait_outside(len(seats), hall.max_waiting_inside):
        return False, ""
    occupied = {spacing.parse_seat(s) for s in seats if s}
    seat = spacing.choose_seat(
        hall.seat_rows, hall.seats_per_row, [spacing.parse_seat(s) for s in hall.seats_out_of_use], occupied
    )
    return True, spacing.seat_label(seat) if seat else ""


def issue(
    *,
    hall: Hall,
    service: Service,
    kind: str,
    actor: Actor,
    now: dt.datetime,
    sequence: DaySequence,
    **fields,
) -> Ticket:
    sequence.last += 1
    sequence.save(update_fields=["last"])
    inside, seat = place(hall, sequence.date)
    ticket = Ticket.objects.create(
        hall=hall,
        service=service,
        date=sequence.date,
        sequence=sequence.last,
        number=f"{service.prefix}{sequence.last:03d}",
        token=secrets.token_urlsafe(24),
        kind=kind,
        inside=inside,
        seat=seat,
        issued_at=now,
        **fields,
    )
    record_event(ticket, "", actor, now)
    return ticket


def check_in(*, hall: Hall, code: str, actor: Actor, now: dt.datetime | None = None) -> Ticket:
    """A booking becomes a ticket, from `early_minutes` before its window until the hall's no-show rule
    closes check-in (appointments/noshow.py, the same rule the no-show sweep applies). Checking in twice
    returns the same ticket (the kiosk reprints it)."""
    now = now or timezone.now()
    rules = rules_for(hall)
    today = hall.local_date(now)
    code = code.strip().upper()
    booking = Booking.objects.select_related("slot", "service").filter(hall=hall, code=code).first()
    if booking is None:
        raise QueueError("not_found", BOOKING_NOT_FOUND)
    if booking.state == BookingState.CANCELLED:
        raise QueueError("cancelled", BOOKING_CANCELLED)
    if booking.by_video:
        raise QueueError("by_video", BOOKING_BY_VIDEO)
    if booking.slot.date != today:
        raise QueueError("not_today", BOOKING_NOT_TODAY % {"date": day_with_weekday(booking.slot.date)})
    opens = booking.slot.start - dt.timedelta(minutes=rules.early_minutes)
    if now < opens:
        local = timezone.localtime(opens, hall.tz)
        raise QueueError("too_early", TOO_EARLY % {"time": local.strftime("%H:%M")})
    with transaction.atomic():
        booking = lifecycle.lock_for_check_in(booking)
        if booking.state != BookingState.BOOKED:
            return _checked_in_before(booking)
        if noshow.rule_for(hall).is_no_show(booking.slot.end, now):
            raise QueueError("too_late", TOO_LATE)
        sequence = next_sequence(hall, booking.service, today)
        ticket = issue(
            hall=hall,
            service=booking.service,
            kind=TicketKind.APPOINTMENT,
            actor=actor,
            now=now,
            sequence=sequence,
            booking=booking,
            booked_start=booking.slot.start,
            green_channel=booking.green_channel,
            green_note=booking.green_note,
            phone=booking.phone,
            phone_hash=booking.phone_hash,
            id_hash=booking.id_hash,
            language=booking.language,
        )
        _carry_matters(ticket, booking, now)
        lifecycle.check_in(booking=booking, source=actor.source, user=user_of(actor), note=ticket.number)
    log.info("booking %s checked in as ticket %s", booking.pk, ticket.pk)
    return ticket


def _checked_in_before(booking: Booking) -> Ticket:
    """A booking that is no longer booked: its ticket, to reprint, when it was checked in; otherwise the
    refusal (a no-show without a ticket was swept by the rule check-in applies)."""
    if booking.state not in (BookingState.CHECKED_IN, BookingState.NO_SHOW):
        raise QueueError("not_found", BOOKING_NOT_FOUND)
    existing = booking.tickets.order_by("-id").first()
    if booking.state == BookingState.CHECKED_IN and existing:
        return existing
    if booking.state == BookingState.NO_SHOW and not existing:
        raise QueueError("too_late", TOO_LATE)
    raise QueueError("not_found", BOOKING_NOT_FOUND)


def _carry_matters(ticket: Ticket, booking: Booking, now: dt.datetime) -> None:
    """A booking with several services gives its one ticket one matter per service, in the booked order;
    the ticket queues for the first now (its own service) and for each next one when the one before ends."""
    further = list(booking.matters.order_by("position").values_list("service_id", flat=True))
    if not further:
        return
    TicketMatter.objects.bulk_create(
        [
            TicketMatter(
                ticket=ticket,
                position=1,
                service_id=ticket.service_id,
                state=MatterState.CURRENT,
                queued_at=now,
            )
        ]
        + [
            TicketMatter(ticket=ticket, position=n, service_id=service_id)
            for n, service_id in enumerate(further, start=2)
        ]
    )
