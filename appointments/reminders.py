"""Reminders, found by the sweeper's periodic scan rather than scheduled per booking.

Each reminder is keyed by the booking's current slot start, so a reschedule simply makes the next scan
record a reminder for the new time, and a reminder recorded for the old time (or for a booking since
cancelled) is withdrawn when its send job re-checks the booking.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Exists, OuterRef

from appointments.messages import manage_url, service_names, tell
from appointments.models import Booking, BookingState
from hall.models import Hall
from notifications import messages
from notifications.models import REMINDER_KINDS, Kind, Notification
from notifications.timing import day_before_reminder_at

log = logging.getLogger(__name__)

CONFIRMING_KINDS = (Kind.BOOKING_CONFIRMED, Kind.BOOKING_RESCHEDULED)


def slot_key(start: dt.datetime) -> str:
    return start.astimezone(dt.UTC).isoformat()


def _told_since(since):
    """The booking's confirmation or move was recorded at or after `since`: it already said when to come."""
    return Exists(
        Notification.objects.filter(
            subject_type="booking",
            subject_id=OuterRef("pk"),
            kind__in=CONFIRMING_KINDS,
            created_at__gte=since,
        )
    )


def _bookings(hall: Hall):
    return (
        Booking.objects.filter(hall=hall, state=BookingState.BOOKED)
        .exclude(phone="")
        .select_related("slot", "service", "hall")
    )


def _record(bookings, kind: str, now: dt.datetime) -> list[int]:
    bookings = list(bookings)
    done = set(
        Notification.objects.filter(
            kind=kind, subject_type="booking", subject_id__in=[b.pk for b in bookings]
        ).values_list("subject_id", "key")
    )
    recorded = []
    for booking in bookings:
        key = slot_key(booking.slot.start)
        if (booking.pk, key) in done:
            continue
        notification = tell(
            booking,
            kind,
            key=key,
            render=lambda booking=booking: messages.reminder_text(
                booking,
                url=manage_url(booking),
                soon=kind == Kind.REMINDER_SOON,
                service=service_names(booking),
            ),
            now=now,
            enqueue=False,
        )
        if notification is not None:
            recorded.append(notification.pk)
    return recorded


def record_due(*, now: dt.datetime) -> list[int]:
    """Record the reminders due at `now` in every hall; the sweeper enqueues them. Idempotent."""
    at = dt.time.fromisoformat(settings.NOTIFY_REMINDER_DAY_BEFORE_AT)
    soon = dt.timedelta(minutes=settings.NOTIFY_REMINDER_SOON_MINUTES)
    recorded = []
    for hall in Hall.objects.all():
        tomorrow = hall.local_date(now) + dt.timedelta(days=1)
        remind_at = day_before_reminder_at(tomorrow, at, hall.tz)
        if now >= remind_at:
            due = _bookings(hall).filter(slot__hall=hall, slot__date=tomorrow).exclude(_told_since(remind_at))
            recorded += _record(due, Kind.REMINDER_DAY_BEFORE, now)
        due = _bookings(hall).filter(slot__start__gt=now, slot__start__lte=now + soon)
        due = due.exclude(_told_since(OuterRef("slot__start") - soon))
        recorded += _record(due, Kind.REMINDER_SOON, now)
    if recorded:
        log.info("recorded %s reminder(s)", len(recorded))
    return recorded


def still_applies(notification: Notification) -> bool:
    """A reminder goes out only while its booking is still booked for the time it names."""
    if notification.kind not in REMINDER_KINDS:
        return True
    booking = Booking.objects.filter(pk=notification.subject_id).select_related("slot").first()
    return (
        booking is not None
        and booking.state == BookingState.BOOKED
        and slot_key(booking.slot.start) == notification.key
    )
