"""Deliveries are kept as long as the hall keeps personal data (the bookings' rule,
`BookingRules.retention_days`): a payload may hold a name or a masked mobile. Finished ones only (sent or
dead); one still being tried is kept until it is."""

import datetime as dt

from django.utils import timezone

from appointments.availability import rules_for
from hall.models import Hall
from webhooks.models import Delivery, DeliveryState

FINISHED = (DeliveryState.SENT, DeliveryState.DEAD)


def erase_expired_personal_data(*, now: dt.datetime | None = None) -> int:
    """Delete finished deliveries made before the retention period; answers how many."""
    now = now or timezone.now()
    erased = 0
    for hall in Hall.objects.filter(webhook_subscribers__isnull=False).distinct():
        cutoff = now - dt.timedelta(days=rules_for(hall).retention_days)
        old = Delivery.objects.filter(subscriber__hall=hall, state__in=FINISHED, created_at__lt=cutoff)
        erased += old.delete()[0]
    return erased
