"""Erasure of the mobile left with a comment written without a ticket, after the hall's retention period
(the bookings' rule, `BookingRules.retention_days`). The comment itself stays: it names no one."""

import datetime as dt
import logging

from django.utils import timezone

from appointments.availability import rules_for
from hall.models import Hall
from reports.models import WrittenComment

log = logging.getLogger(__name__)


def erase_expired_personal_data(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    erased = 0
    for hall in Hall.objects.all():
        cutoff = now - dt.timedelta(days=rules_for(hall).retention_days)
        old = WrittenComment.objects.filter(hall=hall, created_at__lt=cutoff).exclude(phone="")
        erased += old.update(phone="")
    if erased:
        log.info("erased the mobiles of %s comments written without a ticket", erased)
    return erased
