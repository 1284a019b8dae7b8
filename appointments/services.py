"""Booking flows: each takes the database's word on capacity and records who changed what."""

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import availability, lifecycle, limits, matters
from appointments.models import (
    BlockLift,
    Booking,
    BookingEvent,
    BookingMatter,
    BookingState,
    Channel,
    HoldReason,
    PlaceHold,
    Slot,
    WaitlistEntry,
    WaitlistState,
)
from hall.privacy import hash_id_number, hash_phone, mask_id_number, validate_id_number
from notifications import services as notify
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


class BookingError(Exception):
    """A refusal a citizen can act on; `code` is the API's error code."""

    def __init__(self, code: str, message, field: str | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.field = field


@dataclass(frozen=True)
class Citizen:
    """Who books. The API, staff and the waiting-list offer give the ID number in full; the web booking's
    draft keeps no clear number between its steps and gives the number's hash and masked form instead
    (`Citizen.hashed`), computed from a number checked at the details step."""

    name: str
    phone: object  # phonenumbers.PhoneNumber
    id_number: str = ""
    language: str = "zh-hans"
    id_hash: str = ""
    id_masked: str = ""

    @classmethod
    def hashed(cls, *, name: str, phone, id_hash: str, id_masked: str, language: str = "zh-hans"):
        if not (len(id_hash) == 64 and len(id_masked) == 18 and id_masked[3:14] == "*" * 11):
            raise ValueError("a hashed identity needs an ID number's HMAC and its masked form")
        return cls(name, phone, language=language, id_hash=id_hash, id_masked=id_masked)

    def identity(self, today: dt.date) -> tuple[str, str]:
        """(HMAC, masked form) of the ID number; a number in full is checked (GB 11643) first and raises
        ValidationError when wrong."""
        if self.id_number or not self.id_hash:
            number = validate_id_number(self.id_number, today=today)
            return hash_id_number(number), mask_id_number(number)
        return self.id_hash, self.id_masked


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and from where (for the audit trail)."""

    source: str  # web, api, staff, system
    user: object = None
    ip: str | None = None


SYSTEM = Actor("system")


def _record(booking: Booking, from_state: str, actor: Actor, note: str = "") -> None:
    BookingEvent.objects.create(
        booking=booking,
        from_state=from_state,
        to_state=booking.state,
        note=note,
        actor=actor.user if getattr(actor.user, "is_authenticated", False) else None,
        source=actor.source,
        ip=actor.ip,
    )


def manage_url(booking: Booking) -> str:
    return settings.SITE_URL + reverse("appointments:manage", args=[booking.manage_token])


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


def _give_back(slot_id: int, persons: int, held_back: bool) -> None:
    if held_back:
        Slot.objects.filter(pk=slot_id).update(taken_held_back=F("taken_held_back") - persons)
    else:
        Slot.objects.filter(pk=slot_id).update(taken=F("taken") - persons)


def _tell(booking: Booking, kind: str, render, key: str = "") -> None:
    """Record a message to the citizen about their booking, in their language, with this transaction."""
    notify.record(
        hall=booking.hall,
        kind=kind,
        subject_type="booking",
        subject_id=booking.pk,
        key=key,
        phone=booking.phone,
        language=booking.language,
        render=render,
    )


def service_names(booking: Booking) -> str:
    """The booking's services in order, for messages: 'ID card renewal + Household certificate'."""
    return " + ".join(str(m.service.name) for m in matters.matters_of(booking))


def _confirmation_text(booking: Booking):
    slot = booking.slot
    start = timezone.localtime(slot.start, booking.hall.tz)
    end = timezone.localtime(slot.end, booking.hall.tz)
    return _("[%(hall)s] Booked %(service)s %(date)s %(start)s-%(end)s, code %(code)s. Change: %(url)s") % {
        "hall": booking.hall.name,
        "service": service_names(booking),
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "code": booking.code,
        "url": manage_url(booking),
    }


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
        if _holds_active_booking(id_hash, [slot.service_id, *(s.service_id for s in further)]):
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
        _record(booking, "", actor, note=_matters_note(further))
        _tell(booking, Kind.BOOKING_CONFIRMED, lambda: _confirmation_text(booking))
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


def _holds_active_booking(id_hash: str, service_ids: list[int]) -> bool:
    """One active booking per ID number and service, whether the service is a booking's first matter or a
    further one. Run under the person's lock; the partial unique indexes back it up."""
    # One statement: an active booking of this person whose first or a further service is one of these.
    return (
        Booking.objects.active()
        .filter(id_hash=id_hash)
        .filter(Q(service__in=service_ids) | Q(matters__service__in=service_ids))
        .exists()
    )


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
    if held_back or not release_due_places(now=now, slot=slot):
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
        _record(booking, BookingState.BOOKED, actor)
        _tell(
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
    if slot.service_id != booking.service_id:
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
        _record(booking, BookingState.BOOKED, actor, note=f"slot {old_slot.pk} -> {slot.pk}")
        _tell(
            booking, Kind.BOOKING_RESCHEDULED, lambda: _confirmation_text(booking), key=slot.start.isoformat()
        )
    return booking


def release_due_places(*, now: dt.datetime | None = None, slot: Slot | None = None) -> int:
    """Return to sale the places whose hold has ended, offering each freed place to the first citizen on
    that day's waiting list first. Returns the number of places put back on sale."""
    now = now or timezone.now()
    released = 0
    with transaction.atomic():
        # Lock the holds only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join.
        due = PlaceHold.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
            "slot", "waitlist_entry"
        )
        due = due.filter(release_at__lte=now)
        if slot is not None:
            due = due.filter(slot=slot)
        for hold in due:
            if hold.waitlist_entry_id:
                WaitlistEntry.objects.filter(pk=hold.waitlist_entry_id, state=WaitlistState.OFFERED).update(
                    state=WaitlistState.EXPIRED
                )
            hold.delete()
            persons = hold.persons
            if not hold.held_back:
                persons -= _offer_to_waitlist(hold.slot, persons, now)
            if persons:
                _give_back(hold.slot_id, persons, hold.held_back)
                released += persons
    return released


WAITLIST_OFFER_TEXT = _(
    "[%(hall)s] Place held for you until %(until)s: %(service)s %(date)s %(start)s. Book: %(url)s"
)


def _offer_to_waitlist(slot: Slot, places: int, now: dt.datetime) -> int:
    """Offer freed places, one each, to the first waiting citizens. Returns the places offered."""
    rules = availability.rules_for(slot.hall)
    if slot.closed or not availability.bookable_slot(rules, slot, now):
        return 0
    entries = list(
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(service=slot.service_id, date=slot.date, state=WaitlistState.WAITING)
        .order_by("created_at", "id")[:places]
    )
    until = now + dt.timedelta(minutes=rules.waitlist_hold_minutes)
    for entry in entries:
        entry.state, entry.offered_slot = WaitlistState.OFFERED, slot
        entry.save(update_fields=["state", "offered_slot"])
        PlaceHold.objects.create(
            slot=slot, persons=1, reason=HoldReason.OFFER, release_at=until, waitlist_entry=entry
        )
        notify.record(
            hall=slot.hall,
            kind=Kind.WAITLIST_OFFER,
            subject_type="waitlist",
            subject_id=entry.pk,
            key=str(slot.pk),
            phone=entry.phone,
            language=entry.language,
            render=lambda entry=entry: (
                WAITLIST_OFFER_TEXT
                % {
                    "hall": slot.hall.name,
                    "service": slot.service.name,
                    "date": slot.date.isoformat(),
                    "start": timezone.localtime(slot.start, slot.hall.tz).strftime("%H:%M"),
                    "until": timezone.localtime(until, slot.hall.tz).strftime("%H:%M"),
                    "url": settings.SITE_URL + reverse("appointments:waitlist_offer", args=[entry.token]),
                }
            ),
        )
    return len(entries)


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
        if _holds_active_booking(id_hash, [slot.service_id]):
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
        _record(booking, "", actor, note="waiting list")
        _tell(booking, Kind.BOOKING_CONFIRMED, lambda: _confirmation_text(booking))
    return booking


def lift_block(
    *, hall, user, reason: str, id_number: str = "", id_hash: str = "", phone_hash: str | None = None
) -> BlockLift:
    """A supervisor lifts a no-show block: earlier no-shows of bookings made with the mobile stop counting.

    The person is named by ID number (or its hash, from the supervisor's lookup page) and, since blocks
    follow the mobile a booker proved, by the mobile `phone_hash`; without one, every mobile this ID number
    booked with at the hall is lifted. One BlockLift row per mobile: the audit page lists them."""
    id_hash = hash_id_number(validate_id_number(id_number)) if id_number else id_hash
    if phone_hash is None:
        phones = set(
            Booking.objects.filter(hall=hall, id_hash=id_hash)
            .exclude(phone_hash="")
            .values_list("phone_hash", flat=True)
        )
    else:
        phones = {phone_hash}
    lifts = [
        BlockLift(hall=hall, id_hash=id_hash, phone_hash=phone, lifted_by=user, reason=reason[:200])
        for phone in sorted(phones) or [""]
    ]
    with transaction.atomic():
        for lift in lifts:
            lift.save()
    log.info("no-show block lifted at hall %s (%s mobile(s))", hall.pk, len(lifts))
    return lifts[-1]
