"""Priority bookings for citizens the hall could not serve before closing (延时服务 not chosen): a real
booking on the next open day, green channel (so the queue calls it first), confirmed by text message.

Made by staff for a citizen standing in the hall, so none of the online checks apply (caps, no-show block,
booking horizon); the places are taken like any booking's: the day's first window with a place left, online
places first, then those held back for the green channel. A booking the citizen had checked in today
(their ticket came from it) ends, giving its place back, since the new one replaces it.
"""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import availability, holds, lifecycle, messages
from appointments.models import Booking, BookingEvent, BookingState, Channel, GreenChannel, Slot
from appointments.services import (
    DUPLICATE_BOOKING,
    Actor,
    BookingError,
    _new_code,
    _take_places,
)
from hall.models import Service
from notifications.models import Kind

log = logging.getLogger(__name__)

NO_PLACE = _("No place is left on %(date)s for this service, not even a held-back one.")


@dataclass(frozen=True)
class Person:
    """Who the booking is for: hashes and the masked ID, as stored on a ticket or an earlier booking."""

    name: str
    phone: object  # phonenumbers.PhoneNumber
    phone_hash: str
    id_hash: str
    id_masked: str
    language: str = "zh-hans"


def book_priority(
    *,
    service: Service,
    date: dt.date,
    person: Person,
    note: str,
    actor: Actor,
    replaces: Booking | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Book the first window of `date` with a place left for `person`, on the green channel; raises
    BookingError."""
    now = now or timezone.now()
    with transaction.atomic():
        if replaces is not None:
            _end_replaced(replaces, actor, now)
        slot, held_back = _take_first_place(service, date)
        try:
            with transaction.atomic():
                booking = Booking.objects.create(
                    code=_new_code(),
                    manage_token=secrets.token_urlsafe(24),
                    hall=service.hall,
                    service=service,
                    slot=slot,
                    uses_held_back=held_back,
                    name=person.name.strip(),
                    phone=person.phone,
                    phone_hash=person.phone_hash,
                    id_hash=person.id_hash,
                    id_masked=person.id_masked,
                    green_channel=GreenChannel.URGENT,
                    green_note=note[:200],
                    language=person.language,
                    channel=Channel.STAFF,
                    created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
                    created_at=now,
                )
        except IntegrityError:
            raise BookingError("duplicate_booking", DUPLICATE_BOOKING) from None
        lifecycle.record(booking, "", actor, note=note[:300])
        messages.tell(booking, Kind.BOOKING_CONFIRMED, lambda: messages.confirmation_text(booking))
    log.info("priority booking %s for service %s on %s", booking.pk, service.pk, date)
    return booking


def _take_first_place(service: Service, date: dt.date) -> tuple[Slot, bool]:
    slots = [s for s in availability.sync_slots(service=service, date=date) if not s.closed]
    for held_back in (False, True):
        for slot in slots:
            if _take_places(slot, 1, held_back):
                return slot, held_back
    raise BookingError("slot_full", NO_PLACE % {"date": date.isoformat()}, field="slot")


def _end_replaced(booking: Booking, actor: Actor, now: dt.datetime) -> None:
    ended = Booking.objects.filter(pk=booking.pk, state__in=[BookingState.BOOKED, BookingState.CHECKED_IN])
    from_state = booking.state
    if not ended.update(state=BookingState.CANCELLED, cancelled_at=now):
        return
    holds.give_back(booking.slot_id, booking.persons, booking.uses_held_back)
    for matter in booking.matters.all():
        holds.give_back(matter.slot_id, booking.persons, matter.uses_held_back)
    lifecycle.end_matters([booking.pk])
    BookingEvent.objects.create(
        booking=booking,
        from_state=from_state,
        to_state=BookingState.CANCELLED,
        source=actor.source,
        actor=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        note="not served before closing: moved to a priority booking",
    )
