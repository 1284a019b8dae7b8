"""Booking flows: each takes the database's word on capacity and records who changed what."""

import datetime as dt
import logging
import secrets
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import availability, holds, lifecycle, limits, matters, messages
from appointments.citizens import SYSTEM as SYSTEM
from appointments.citizens import Actor as Actor
from appointments.citizens import Citizen as Citizen
from appointments.holds import release_due_places as release_due_places
from appointments.limits import lift_block as lift_block
from appointments.messages import manage_url as manage_url
from appointments.messages import service_names as service_names
from appointments.models import (
    Booking,
    BookingMatter,
    BookingState,
    Channel,
    HoldReason,
    PlaceHold,
    Slot,
    WaitlistEntry,
    WaitlistState,
)
from hall.errors import DomainError
from hall.privacy import hash_phone
from notifications.models import Kind

log = logging.getLogger(__name__)

SLOT_FULL = _("This time is fully booked. Please choose another time.")
SLOT_NOT_BOOKABLE = _("This time can no longer be booked. Please choose another time.")
DUPLICATE_BOOKING = _(
    "You already have a booking for this service. Change or cancel it instead of booking again."
)
NOT_CHANGEABLE = _("This booking can no longer be changed.")
HELD_BACK_STAFF_ONLY = _("Only staff can book the places held back for the green channel.")
SERVICE_FULL = _(
    "%(service)s is fully booked at this time. Leave it out, or choose another time for the whole visit."
)
SERVICE_NOT_THEN = _(
    "%(service)s cannot be booked at this time. Leave it out, or choose another time for the whole visit."
)
TOO_MANY_MATTERS = _("You can add at most two more services to one visit.")

CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B


class BookingError(DomainError):
    """A refusal a citizen can act on; `code` is the API's error code."""

    api_status = {"not_bookable": 400, "not_allowed": 403, "too_many_services": 422, "rate_limited": 429}


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _take_places(slot: Slot, persons: int, held_back: bool) -> bool:
    """Atomically take places: one conditional UPDATE, so concurrent bookings can never oversell."""
    if held_back:
        return bool(
            Slot.objects.filter(
                pk=slot.pk, closed=False, taken_held_back__lte=F("held_back") - persons
            ).update(taken_held_back=F("taken_held_back") + persons)
        )
    return bool(
        Slot.objects.filter(pk=slot.pk, closed=False, taken__lte=F("capacity") - persons).update(
            taken=F("taken") + persons
        )
    )


def _check_person(rules, id_hash: str, phone_hash: str, green_channel: str, now: dt.datetime) -> None:
    refusal = limits.booking_limit_refusal(rules, id_hash, phone_hash, now)
    if refusal:
        raise BookingError("limit_reached", refusal)
    if not (green_channel and rules.green_channel_exempt):
        refusal = limits.no_show_refusal(rules, id_hash, phone_hash, now)
        if refusal:
            raise BookingError("blocked", refusal)


def book(
    *,
    slot: Slot,
    citizen: Citizen,
    persons: int = 1,
    green_channel: str = "",
    green_note: str = "",
    actor: Actor,
    now: dt.datetime | None = None,
    use_held_back: bool = False,
    also: Sequence = (),
) -> Booking:
    """Book places in a slot for a citizen, and in the same window for each further service in `also` (at
    most two): all places or none. Raises BookingError with a message the citizen can act on."""
    now = now or timezone.now()
    identity = citizen.identity(now.date())
    id_hash, phone_hash = identity[0], hash_phone(citizen.phone)
    staff_booking = actor.source == "staff"
    if use_held_back and not staff_booking:
        raise BookingError("not_allowed", HELD_BACK_STAFF_ONLY)
    rules = availability.rules_for(slot.hall)
    if not staff_booking and (
        (actor.ip and limits.hit_rate_limit("book-ip", actor.ip, rules.rate_per_ip_hour))
        or limits.hit_rate_limit("book-phone", phone_hash, rules.rate_per_phone_hour)
    ):
        raise BookingError("rate_limited", limits.RATE_LIMITED)
    if not staff_booking and (
        availability.date_refusal(rules, slot.date, now) or not availability.bookable_slot(rules, slot, now)
    ):
        raise BookingError("not_bookable", SLOT_NOT_BOOKABLE, field="slot")
    further = _further_slots(slot, also, rules, now, staff_booking)

    with transaction.atomic():
        limits.lock_person(f"id:{id_hash}", f"phone:{phone_hash}")
        if limits.holds_active_booking(id_hash, [slot.service_id, *(s.service_id for s in further)]):
            raise BookingError("duplicate_booking", DUPLICATE_BOOKING)
        if not staff_booking:
            _check_person(rules, id_hash, phone_hash, green_channel, now)
        _take_all([slot, *further], persons, use_held_back, now)
        try:
            with transaction.atomic():
                booking = _create_booking(
                    slot,
                    citizen,
                    identity=identity,
                    persons=persons,
                    green=(green_channel, green_note),
                    held=use_held_back,
                    actor=actor,
                    now=now,
                )
                _add_matters(booking, further, id_hash, use_held_back)
        except IntegrityError:
            raise BookingError("duplicate_booking", DUPLICATE_BOOKING) from None
        lifecycle.record(booking, "", actor, note=_matters_note(further))
        messages.tell(booking, Kind.BOOKING_CONFIRMED, lambda: messages.confirmation_text(booking))
    log.info("booking %s created in slot %s via %s", booking.pk, slot.pk, actor.source)
    return booking


def _further_slots(first: Slot, also: Sequence, rules, now: dt.datetime, staff_booking: bool) -> list[Slot]:
    """Each further service's slot for the first one's window, checked before any place is taken."""
    services = list(also)
    if len(services) > matters.MAX_FURTHER:
        raise BookingError("too_many_services", TOO_MANY_MATTERS, field="services")
    ids = [first.service_id, *(s.pk for s in services)]
    if len(set(ids)) != len(ids):
        raise BookingError("duplicate_booking", DUPLICATE_BOOKING, field="services")
    slots = []
    for service in services:
        slot = None
        if service.hall_id == first.hall_id and service.active and service.bookable:
            slot = matters.slot_for(service, first)
        if slot is None or not (staff_booking or availability.bookable_slot(rules, slot, now)):
            raise BookingError("not_bookable", SERVICE_NOT_THEN % {"service": service.name}, field="services")
        slots.append(slot)
    return slots


def _take_all(slots: list[Slot], persons: int, held_back: bool, now: dt.datetime) -> None:
    """Take the places in every slot or none: the slots are taken in the order of their ids, so that two
    visits needing the same slots never wait for each other in opposite orders (no deadlock); a full one
    raises and the transaction gives back those already taken. The first slot is the booked time."""
    first = slots[0]
    for slot in sorted(slots, key=lambda s: s.pk):
        if _take_places(slot, persons, held_back):
            continue
        if _take_places_after_release(slot, persons, held_back, now):
            continue
        if slot is first and len(slots) == 1:
            raise BookingError("slot_full", SLOT_FULL, field="slot")
        field = "slot" if slot is first else "services"
        raise BookingError("slot_full", SERVICE_FULL % {"service": slot.service.name}, field=field)


def _add_matters(booking: Booking, slots: list[Slot], id_hash: str, held_back: bool) -> None:
    BookingMatter.objects.bulk_create(
        BookingMatter(
            booking=booking,
            position=n,
            service_id=slot.service_id,
            slot=slot,
            uses_held_back=held_back,
            active_id_hash=id_hash,
        )
        for n, slot in enumerate(slots, start=2)
    )


def _matters_note(slots: list[Slot]) -> str:
    return "also " + ", ".join(f"service {s.service_id} slot {s.pk}" for s in slots) if slots else ""


def _take_places_after_release(slot: Slot, persons: int, held_back: bool, now: dt.datetime) -> bool:
    if held_back or not holds.release_due_places(now=now, slot=slot):
        return False
    return _take_places(slot, persons, held_back)


def _create_booking(
    slot: Slot,
    citizen: Citizen,
    *,
    identity: tuple[str, str],
    persons: int,
    green: tuple[str, str],
    held: bool,
    actor: Actor,
    now: dt.datetime,
) -> Booking:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Booking.objects.create(
                    code=_new_code(),
                    manage_token=secrets.token_urlsafe(24),
                    hall=slot.hall,
                    service=slot.service,
                    slot=slot,
                    persons=persons,
                    uses_held_back=held,
                    name=citizen.name.strip(),
                    phone=citizen.phone,
                    phone_hash=hash_phone(citizen.phone),
                    id_hash=identity[0],
                    id_masked=identity[1],
                    green_channel=green[0],
                    green_note=green[1],
                    language=citizen.language,
                    channel={"staff": Channel.STAFF, "api": Channel.API}.get(actor.source, Channel.ONLINE),
                    mode=slot.mode,
                    created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
                    created_at=now,
                )
        except IntegrityError as error:
            if "code" not in str(error) and "manage_token" not in str(error):
                raise
    raise IntegrityError("could not draw a unique booking code")


def _locked(booking: Booking) -> Booking:
    # Lock the booking row only: FOR UPDATE on the joined hall would make every booking in the hall wait
    # (its foreign-key check needs a share lock on the hall row) and deadlock with those holding a slot.
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("slot", "hall", "service")
        .get(pk=booking.pk)
    )


def _hold(slot: Slot, persons: int, held_back: bool, reason: str, now: dt.datetime) -> PlaceHold:
    delay = dt.timedelta(minutes=availability.rules_for(slot.hall).cancel_release_minutes)
    return PlaceHold.objects.create(
        slot=slot, persons=persons, held_back=held_back, reason=reason, release_at=now + delay
    )


def cancel_booking(*, booking: Booking, actor: Actor, now: dt.datetime | None = None) -> Booking:
    """Cancel; the places return to sale after the hall's delay, so that places cannot be traded."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _locked(booking)
        if not booking.can_change:
            raise BookingError("not_changeable", NOT_CHANGEABLE)
        booking.state = BookingState.CANCELLED
        booking.cancelled_at = now
        booking.save(update_fields=["state", "cancelled_at"])
        _hold(booking.slot, booking.persons, booking.uses_held_back, HoldReason.CANCELLED, now)
        further = list(booking.matters.select_related("slot__hall"))
        for matter in further:
            _hold(matter.slot, booking.persons, matter.uses_held_back, HoldReason.CANCELLED, now)
        if further:
            lifecycle.end_matters([booking.pk])
        lifecycle.record(booking, BookingState.BOOKED, actor)
        messages.tell(
            booking,
            Kind.BOOKING_CANCELLED,
            lambda: (
                _("[%(hall)s] Your booking %(code)s has been cancelled.")
                % {"hall": booking.hall.name, "code": booking.code}
            ),
        )
    return booking


def reschedule_booking(
    *, booking: Booking, slot: Slot, actor: Actor, now: dt.datetime | None = None
) -> Booking:
    """Move to another slot of the same service, and every further matter to its service's slot for the
    new window. The old places are kept until all the new ones are taken, and return to sale after the
    cancel delay."""
    now = now or timezone.now()
    if slot.service_id != booking.service_id or slot.mode != booking.mode:
        raise BookingError("not_bookable", SLOT_NOT_BOOKABLE, field="slot")
    rules = availability.rules_for(booking.hall)
    if availability.date_refusal(rules, slot.date, now) or not availability.bookable_slot(rules, slot, now):
        raise BookingError("not_bookable", SLOT_NOT_BOOKABLE, field="slot")
    further = list(booking.matters.select_related("service", "slot__hall"))
    new_slots = _further_slots(slot, [m.service for m in further], rules, now, staff_booking=False)
    with transaction.atomic():
        booking = _locked(booking)
        if not booking.can_change:
            raise BookingError("not_changeable", NOT_CHANGEABLE)
        if slot.pk == booking.slot_id:
            return booking
        # A further matter whose window also holds the new time keeps its places.
        moves = [(m, new) for m, new in zip(further, new_slots, strict=True) if new.pk != m.slot_id]
        _take_all([slot, *(new for _m, new in moves)], booking.persons, False, now)
        old_slot, old_held_back = booking.slot, booking.uses_held_back
        booking.slot, booking.uses_held_back = slot, False
        booking.save(update_fields=["slot", "uses_held_back"])
        _hold(old_slot, booking.persons, old_held_back, HoldReason.MOVED, now)
        for matter, new in moves:
            _hold(matter.slot, booking.persons, matter.uses_held_back, HoldReason.MOVED, now)
            matter.slot, matter.uses_held_back = new, False
            matter.save(update_fields=["slot", "uses_held_back"])
        lifecycle.record(booking, BookingState.BOOKED, actor, note=f"slot {old_slot.pk} -> {slot.pk}")
        messages.tell(
            booking,
            Kind.BOOKING_RESCHEDULED,
            lambda: messages.confirmation_text(booking),
            key=slot.start.isoformat(),
        )
    return booking


ALREADY_WAITING = _("You are already on the waiting list for this day.")
OFFER_GONE = _("This offer has expired or was already used.")


def join_waitlist(*, service, date: dt.date, phone, language: str) -> WaitlistEntry:
    with transaction.atomic():
        limits.lock_person(f"waitlist:{service.pk}:{date}:{phone}")
        if WaitlistEntry.objects.filter(
            service=service, date=date, phone=phone, state__in=[WaitlistState.WAITING, WaitlistState.OFFERED]
        ).exists():
            raise BookingError("duplicate_waitlist", ALREADY_WAITING)
        return WaitlistEntry.objects.create(
            token=secrets.token_urlsafe(24),
            hall=service.hall,
            service=service,
            date=date,
            phone=phone,
            language=language,
        )


def accept_offer(
    *, entry: WaitlistEntry, citizen: Citizen, actor: Actor, now: dt.datetime | None = None
) -> Booking:
    """Turn a held waiting-list place into a booking; the held place moves to the booking."""
    now = now or timezone.now()
    identity = citizen.identity(now.date())
    id_hash, phone_hash = identity[0], hash_phone(citizen.phone)
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        hold = PlaceHold.objects.select_for_update().filter(waitlist_entry=entry, release_at__gt=now).first()
        if entry.state != WaitlistState.OFFERED or hold is None:
            raise BookingError("offer_gone", OFFER_GONE)
        limits.lock_person(f"id:{id_hash}", f"phone:{phone_hash}")
        slot = hold.slot
        if limits.holds_active_booking(id_hash, [slot.service_id]):
            raise BookingError("duplicate_booking", DUPLICATE_BOOKING)
        _check_person(availability.rules_for(slot.hall), id_hash, phone_hash, "", now)
        hold.delete()
        try:
            with transaction.atomic():
                booking = _create_booking(
                    slot,
                    citizen,
                    identity=identity,
                    persons=1,
                    green=("", ""),
                    held=False,
                    actor=actor,
                    now=now,
                )
        except IntegrityError:
            raise BookingError("duplicate_booking", DUPLICATE_BOOKING) from None
        entry.state, entry.booking = WaitlistState.ACCEPTED, booking
        entry.save(update_fields=["state", "booking"])
        lifecycle.record(booking, "", actor, note="waiting list")
        messages.tell(booking, Kind.BOOKING_CONFIRMED, lambda: messages.confirmation_text(booking))
    return booking
