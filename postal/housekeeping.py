"""Erasure of postal and pickup personal data after the hall's retention period (the bookings' rule,
`BookingRules.retention_days`). Finished matters only: an open item still needs its address."""

import datetime as dt
import logging

from django.utils import timezone

from appointments.availability import rules_for
from hall.models import Hall
from postal.models import Pickup, PickupEvent, PickupState, PostalEvent, PostalItem, PostalState

log = logging.getLogger(__name__)

FINISHED_POSTAL = (PostalState.DELIVERED, PostalState.CANCELLED)
FINISHED_PICKUP = (PickupState.COLLECTED, PickupState.POSTED)


def erase_expired_personal_data(*, now: dt.datetime | None = None) -> int:
    """Blank names, mobiles, street addresses and ID data of matters finished before the retention period;
    the service, the province, city and district, states and times stay for the statistics."""
    now = now or timezone.now()
    erased = 0
    for hall in Hall.objects.all():
        cutoff = now - dt.timedelta(days=rules_for(hall).retention_days)
        items = PostalItem.objects.filter(hall=hall, state__in=FINISHED_POSTAL, state_changed_at__lt=cutoff)
        erased += items.exclude(name="").update(
            name="",
            phone="",
            id_hash="",
            id_masked="",
            recipient="",
            recipient_phone="",
            street="",
            missing_note="",
        )
        PostalEvent.objects.filter(item__hall=hall, at__lt=cutoff).exclude(note="").update(note="")
        pickups = Pickup.objects.filter(hall=hall, state__in=FINISHED_PICKUP, ready_at__lt=cutoff)
        erased += pickups.exclude(name="").update(name="", phone="", id_hash="", id_masked="", note="")
        PickupEvent.objects.filter(pickup__hall=hall, at__lt=cutoff).exclude(note="").update(note="")
    if erased:
        log.info("erased personal data of %s postal items and pickups", erased)
    return erased
