"""Telling citizens with bookings that the hall will be closed when they were to come."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from appointments import lifecycle
from appointments import services as appointments
from appointments.messages import manage_url
from appointments.models import ACTIVE_STATES, Booking
from hall import calendar
from hall.models import Hall
from notifications import messages, services
from notifications.models import Kind

log = logging.getLogger(__name__)


def affected_bookings(hall, date: dt.date, start: dt.time | None = None, end: dt.time | None = None):
    bookings = Booking.objects.of_day(hall, date).filter(state__in=ACTIVE_STATES)
    if start is not None and end is not None:
        bookings = bookings.filter(
            slot__start__lt=dt.datetime.combine(date, end, tzinfo=hall.tz),
            slot__end__gt=dt.datetime.combine(date, start, tzinfo=hall.tz),
        )
    return bookings.select_related("slot", "service", "hall").order_by("slot__start", "pk")


def notify_closure(
    *,
    hall,
    date: dt.date,
    start: dt.time | None = None,
    end: dt.time | None = None,
    reason: str,
    actor=appointments.SYSTEM,
    now: dt.datetime | None = None,
) -> int:
    """Note the closure on every active booking it touches and send each citizen a link to choose another
    time. Idempotent: saving the same closure again tells nobody twice. Returns the citizens told.

    Urgent (sent even in the quiet hours) when the closure is today or tomorrow: they may set out early.
    """
    now = now or timezone.now()
    key = f"{date.isoformat()} {start or ''}-{end or ''}"
    urgent = date <= hall.local_date(now) + dt.timedelta(days=1)
    told = 0
    with transaction.atomic():
        for booking in affected_bookings(hall, date, start, end):
            notification = services.record(
                hall=hall,
                kind=Kind.CLOSURE,
                subject_type="booking",
                subject_id=booking.pk,
                key=key,
                phone=booking.phone,
                language=booking.language,
                render=lambda booking=booking: messages.closure_text(
                    booking,
                    date=date,
                    start=start,
                    end=end,
                    reason=reason,
                    url=manage_url(booking),
                ),
                urgent=urgent,
                now=now,
            )
            if notification is not None:
                lifecycle.add_note(booking=booking, note=f"closure {key}: {reason}", actor=actor)
                told += 1
    if told:
        log.info("closure of hall %s on %s: %s booking(s) told", hall.pk, date, told)
    return told


def on_holiday_schedule_entered(sender, *, year: int, user, now: dt.datetime, **kwargs) -> int:
    """An entered State Council schedule may close days that already have bookings (made while the year
    was provisional): tell those citizens as for a closure. Idempotent like notify_closure."""
    actor = appointments.Actor("staff", user=user)
    told = 0
    for hall in Hall.objects.all():
        dates = set(
            Booking.objects.filter(
                hall=hall,
                state__in=ACTIVE_STATES,
                slot__date__year=year,
                slot__date__gte=hall.local_date(now),
            ).values_list("slot__date", flat=True)
        )
        if not dates:
            continue
        schedule = hall.schedule()
        for date in sorted(dates):
            day = calendar.day_schedule(schedule, date)
            if not day.is_open:
                told += notify_closure(hall=hall, date=date, reason=day.reason, actor=actor, now=now)
    return told
