"""Closing time: extending today's hours (延时服务) and an outcome for every ticket still waiting at closing.

Extending adds an extra session from the day's closing to the new time (hall.calendar merges it with the
day's hours, so the last-ticket time moves with it: queueing.hours), announces it on the board as a notice
valid until the new closing, and writes the audit log. At closing, the supervisor gives each ticket still
waiting one outcome, one by one or all at once: served after hours (it stays in the queue, marked), or a
priority booking for the next open day (appointments.priority: a real booking on the green channel, with its
text message; the ticket ends as `rebooked`). The invariants check that no ticket of a past day is still
waiting (queueing.invariants.waiting_after_closing).
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from appointments import priority
from appointments import services as booking_services
from hall import audit
from hall.models import AuditAction, ExtraSession, Hall, Notice
from hall.privacy import hash_id_number, hash_phone, mask_id_number, validate_id_number
from queueing import events, hours
from queueing.models import ClosingOutcome, Ticket, TicketState
from queueing.services import Actor, QueueError, record_event

NOT_OPEN_TODAY = _("The hall is not open today, so there is no closing time to extend.")
NOT_LATER = _("Choose a time later than today's closing time, %(time)s.")
NO_NEXT_DAY = _("No open day was found in the next weeks to book.")
DETAILS_NEEDED = _("Enter the citizen's name, mobile and ID number for the booking.")


@dataclass(frozen=True)
class Closing:
    """Today's closing as the supervisor's page shows it."""

    date: dt.date
    closing: dt.datetime | None  # None: the hall is not open today
    next_open_day: dt.date | None
    waiting: list[Ticket]

    @property
    def closing_time(self) -> str:
        """HH:MM in the hall's own zone (`closing` carries it)."""
        return self.closing.strftime("%H:%M") if self.closing else ""


def closing_of(hall: Hall, now: dt.datetime) -> Closing:
    today = hall.local_date(now)
    closing = hours.day_closing(hours.schedule_from(hall, today), today)
    waiting = list(
        Ticket.objects.today(hall, today).waiting().select_related("service", "booking").order_by("issued_at")
    )
    return Closing(today, closing, next_open_day(hall, today), waiting)


def next_open_day(hall: Hall, today: dt.date) -> dt.date | None:
    end_of_day = dt.datetime.combine(today, dt.time.max, tzinfo=hall.tz)
    opening = hours.next_opening(hours.schedule_from(hall, today), end_of_day)
    return opening.astimezone(hall.tz).date() if opening else None


def extend_closing(
    *, hall: Hall, until: dt.time, user, now: dt.datetime, ip: str | None = None
) -> ExtraSession:
    """Keep the hall open today until `until`: one extra session, a notice on the board, an audit entry."""
    today = hall.local_date(now)
    closing = hours.day_closing(hours.schedule_from(hall, today), today)
    if closing is None:
        raise ValidationError(NOT_OPEN_TODAY)
    old = closing.astimezone(hall.tz).time()
    if until <= old:
        raise ValidationError(NOT_LATER % {"time": old.strftime("%H:%M")})
    new_closing = dt.datetime.combine(today, until, tzinfo=hall.tz)
    with transaction.atomic():
        extra = ExtraSession.objects.create(
            hall=hall, date=today, start=old, end=until, reason_zh_hans="延时服务", reason_en="Extended hours"
        )
        Notice.objects.create(
            hall=hall,
            title_zh_hans=f"今日延时服务至 {until:%H:%M}",
            title_en=f"Extended hours: open today until {until:%H:%M}",
            valid_from=min(now, new_closing - dt.timedelta(minutes=1)),
            valid_until=new_closing,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        detail = f"{today.isoformat()} closing {old:%H:%M} -> {until:%H:%M}"
        audit.record(
            action=AuditAction.HOURS_EXTENDED, hall=hall, actor=user, obj=extra, detail=detail, ip=ip
        )
        events.publish(hall.pk, events.QUEUE_CHANGED, {"closing": until.strftime("%H:%M")})
    return extra


def serve_after_hours(*, hall: Hall, ticket_ids, user, now: dt.datetime) -> int:
    """Keep these waiting tickets in the queue past closing, marked as served after hours."""
    marked = 0
    with transaction.atomic():
        tickets = Ticket.objects.select_for_update().filter(
            hall=hall, pk__in=ticket_ids, state=TicketState.WAITING
        )
        for ticket in tickets.exclude(closing_outcome=ClosingOutcome.AFTER_HOURS):
            ticket.closing_outcome = ClosingOutcome.AFTER_HOURS
            ticket.save(update_fields=["closing_outcome"])
            record_event(ticket, TicketState.WAITING, Actor("console", user), now, note="served after hours")
            marked += 1
    return marked


@dataclass(frozen=True)
class Details:
    """What staff type for a citizen whose ticket carries no booking: name, mobile, ID number."""

    name: str = ""
    phone: object = None
    id_number: str = ""


def person_of(ticket: Ticket, details: Details | None, today: dt.date) -> priority.Person:
    """The booking's person: the one of the booking the ticket came from, else the details typed."""
    booking = ticket.booking
    if booking is not None and booking.phone and not booking.erased_at:
        return priority.Person(
            booking.name,
            booking.phone,
            booking.phone_hash,
            booking.id_hash,
            booking.id_masked,
            booking.language,
        )
    if details is None or not (details.name and details.phone and details.id_number):
        raise QueueError("details_needed", DETAILS_NEEDED)
    try:
        id_number = validate_id_number(details.id_number, today=today)
    except ValidationError as error:
        raise QueueError("invalid_id_number", error.messages[0]) from None
    return priority.Person(
        details.name,
        details.phone,
        hash_phone(details.phone),
        hash_id_number(id_number),
        mask_id_number(id_number),
        ticket.language,
    )


def rebook(*, ticket: Ticket, user, now: dt.datetime, details: Details | None = None):
    """A priority booking on the next open day for a waiting ticket, which ends as `rebooked`."""
    hall = ticket.hall
    today = hall.local_date(now)
    day = next_open_day(hall, today)
    if day is None:
        raise QueueError("no_open_day", NO_NEXT_DAY)
    person = person_of(ticket, details, today)
    actor = booking_services.Actor("staff", user=user)
    note = f"after closing {today.isoformat()}: ticket {ticket.number}"
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().filter(pk=ticket.pk, state=TicketState.WAITING).first()
        if locked is None:
            raise QueueError("not_waiting", _("This ticket is not waiting any more."))
        try:
            booking = priority.book_priority(
                service=locked.service,
                date=day,
                person=person,
                note=note,
                actor=actor,
                replaces=locked.booking,
                now=now,
            )
        except booking_services.BookingError as refusal:
            raise QueueError(refusal.code, refusal.message) from None
        locked.state, locked.closing_outcome, locked.rebooking = (
            TicketState.REBOOKED,
            ClosingOutcome.REBOOKED,
            booking,
        )
        locked.seat, locked.completed_at = "", now
        locked.save(update_fields=["state", "closing_outcome", "rebooking", "seat", "completed_at"])
        record_event(locked, TicketState.WAITING, Actor("console", user), now, note=f"booking {booking.code}")
    return booking


def rebook_all(*, hall: Hall, user, now: dt.datetime) -> tuple[int, list[Ticket]]:
    """A priority booking for every waiting ticket whose citizen is known from their booking; returns how
    many were booked and the tickets left (details needed, or no place)."""
    booked, left = 0, []
    for ticket in closing_of(hall, now).waiting:
        try:
            rebook(ticket=ticket, user=user, now=now)
        except QueueError:
            left.append(ticket)
        else:
            booked += 1
    return booked, left
