"""Erasure of a call-back's personal data (mobile, name) after the hall's retention period (the bookings'
rule, `BookingRules.retention_days`). Finished call-backs only: an open one still needs the number."""

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone

from appointments.availability import rules_for
from consultations.models import CallBack, CallBackState
from hall.models import Hall

log = logging.getLogger(__name__)


def erase_expired_personal_data(*, now: dt.datetime | None = None) -> int:
    """Blank the mobile and name of call-backs answered or given up before the retention period; the topic,
    states, times and staff stay for the figures."""
    now = now or timezone.now()
    erased = 0
    for hall in Hall.objects.all():
        cutoff = now - dt.timedelta(days=rules_for(hall).retention_days)
        finished = CallBack.objects.filter(hall=hall).exclude(state=CallBackState.OPEN)
        old = finished.filter(Q(done_at__lt=cutoff) | Q(unreachable_at__lt=cutoff))
        erased += old.exclude(mobile="", name="").update(mobile="", name="")
    if erased:
        log.info("erased personal data of %s call-backs", erased)
    return erased
