"""Periodic work on bookings: no-shows and the erasure of personal data after the retention period.

The scheduler runs these (see the notifications work); each is idempotent and takes `now`.
"""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from appointments import lifecycle, noshow
from appointments.availability import rules_for
from appointments.models import (
    ACTIVE_STATES,
    Booking,
    BookingEvent,
    BookingMatter,
    BookingState,
    PhoneCode,
    WaitlistEntry,
)
from hall.models import Hall
from notifications.models import Notification

log = logging.getLogger(__name__)

ERASED_NAME = ""


def _due(now: dt.datetime) -> Q:
    """Bookings past each hall's no-show rule (appointments/noshow.py), in one condition."""
    by_cutoff: dict[dt.datetime, list[int]] = {}
    for hall in Hall.objects.select_related("booking_rules"):
        by_cutoff.setdefault(noshow.rule_for(hall).windows_ended_before(now), []).append(hall.pk)
    due = Q(pk__in=[])
    for cutoff, hall_ids in by_cutoff.items():  # usually one: the halls that keep the default grace
        due |= Q(hall_id__in=hall_ids, slot__end__lt=cutoff)
    return due


def mark_no_shows(*, now: dt.datetime | None = None) -> int:
    """Booked and not checked in when the hall's no-show rule says check-in has closed: a no-show."""
    now = now or timezone.now()
    marked = 0
    with transaction.atomic():
        due = Booking.objects.select_for_update(skip_locked=True).filter(_due(now), state=BookingState.BOOKED)
        for booking in due:
            marked += lifecycle.mark_no_show(booking)
        # Further matters of every booking that is no longer active stop counting (a sweep, so that any
        # path that ended a booking is covered).
        BookingMatter.objects.exclude(active_id_hash=None).exclude(booking__state__in=ACTIVE_STATES).update(
            active_id_hash=None
        )
    if marked:
        log.info("marked %s bookings as no-show", marked)
    return marked


def erase_expired_personal_data(*, now: dt.datetime | None = None) -> int:
    """Blank names and mobiles of bookings whose window ended more than the hall's retention period ago.

    The keyed ID hash and the masked ID stay while the no-show policy may still need them (block window),
    then go too; counts and times stay for the statistics.
    """
    now = now or timezone.now()
    erased = 0
    for hall in Hall.objects.all():
        rules = rules_for(hall)
        cutoff = now - dt.timedelta(days=rules.retention_days)
        keep_hash_until = now - dt.timedelta(
            days=max(rules.retention_days, rules.block_days + rules.no_show_window_days)
        )
        old = Booking.objects.filter(hall=hall, slot__end__lt=cutoff, erased_at__isnull=True)
        old_ids = list(old.values_list("pk", flat=True))
        erased += Booking.objects.filter(pk__in=old_ids).update(
            name=ERASED_NAME, phone="", green_note="", erased_at=now
        )
        Booking.objects.filter(hall=hall, slot__end__lt=keep_hash_until).exclude(id_hash="").update(
            id_hash="", phone_hash="", id_masked=""
        )
        BookingEvent.objects.filter(
            Q(at__lt=cutoff) | Q(booking__in=old_ids), booking__hall=hall, ip__isnull=False
        ).update(ip=None)
        WaitlistEntry.objects.filter(hall=hall, date__lt=cutoff.date()).delete()
        # A message goes with its booking, however late it was written (a reminder, a closure notice).
        Notification.objects.filter(
            Q(created_at__lt=cutoff) | Q(subject_type="booking", subject_id__in=old_ids), hall=hall
        ).exclude(phone="").update(phone="", text="")
    # Booking codes are needed for ten minutes, and counted for the send limit for an hour.
    PhoneCode.objects.filter(created_at__lt=now - dt.timedelta(hours=1)).delete()
    if erased:
        log.info("erased personal data of %s bookings", erased)
    return erased
