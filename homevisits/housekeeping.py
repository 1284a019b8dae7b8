"""Erasure of a home visit's personal data after the hall's retention period (the bookings' rule,
`BookingRules.retention_days`). Finished visits only: a pending or scheduled one still needs its address."""

import datetime as dt
import logging

from django.utils import timezone

from appointments.availability import rules_for
from hall.models import Hall
from homevisits.models import FINISHED_STATES, HomeVisit, HomeVisitEvent

log = logging.getLogger(__name__)


def erase_expired_personal_data(*, now: dt.datetime | None = None) -> int:
    """Blank names, mobile, ID data, address and free-text notes of visits finished before the retention
    period; the service, the reason chosen, the states, times and staff stay for the statistics."""
    now = now or timezone.now()
    erased = 0
    for hall in Hall.objects.all():
        cutoff = now - dt.timedelta(days=rules_for(hall).retention_days)
        visits = HomeVisit.objects.filter(hall=hall, state__in=FINISHED_STATES, finished_at__lt=cutoff)
        erased += visits.exclude(person_name="").update(
            person_name="",
            requester_name="",
            relationship="",
            phone="",
            id_hash="",
            id_masked="",
            address="",
            reason_note="",
            contact_notes="",
            decision_note="",
            missing_note="",
        )
        HomeVisitEvent.objects.filter(visit__hall=hall, at__lt=cutoff).exclude(note="").update(note="")
    if erased:
        log.info("erased personal data of %s home visits", erased)
    return erased
