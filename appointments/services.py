"""Booking flows: each takes the database's word on capacity and records who changed what."""

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from functools import cache

from django.db import IntegrityError, transaction
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
from appointments.refusals import DUPLICATE_BOOKING as DUPLICATE_BOOKING
from appointments.refusals import HELD_BACK_STAFF_ONLY as HELD_BACK_STAFF_ONLY
from appointments.refusals import NOT_CHANGEABLE as NOT_CHANGEABLE
from appointments.refusals import SERVICE_FULL as SERVICE_FULL
from appointments.refusals import SLOT_FULL as SLOT_FULL
from appointments.refusals import SLOT_NOT_BOOKABLE as SLOT_NOT_BOOKABLE
from appointments.refusals import BookingError as BookingError
from hall import rows
from hall.privacy import hash_phone
from notifications import services as notify
from notifications.models import Kind

log = logging.getLogger(__name__)

CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


_TAKE = "UPDATE {slots} SET {taken} = {taken} + %s WHERE id = %s AND NOT closed AND {taken} <= {limit} - %s"


@cache
def _take_sql(held_back: bool) -> str:
    taken, limit = ("taken_held_back", "held_back") if held_back else ("taken", "capacity")
    return _TAKE.format(slots=rows.table(Slot), taken=rows.quote(taken), limit=rows.quote(limit))


def _take_places(slot: Slot, persons: int, held_back: bool) -> bool:
    """Atomically take places: one conditional UPDATE, so concurrent bookings can never oversell (written
    out and prepared: hall/rows.py)."""
    return bool(rows.execute(_take_sql(held_back), [persons, slot.pk, persons]))


def _check_person(
    rules, id_hash: str, phone_hash: str, service_ids: list[int], now: dt.datetime, *, green: str, staff: bool
) -> None:
    """Under the person's lock (one statement), in one query: refuse a second active booking of one of the
    services, and, unless staff book, a person over their limits or blocked for no-shows (the green
    channel may be exempt from the block)."""
    limits.lock_person(f"id:{id_hash}", f"phone:{phone_hash}")
    exempt = staff or bool(green and rules.green_channel_exempt)
    standing = limits.standing(
        rules, id_hash, phone_hash, service_ids, now, limits=not staff, no_shows=not exempt
    )
    if standing.duplicate:
        raise BookingError("duplicate_booking", DUPLICATE_BOOKING)
    if standing.refusal:
        raise BookingError(*standing.refusal)


class _CodeTaken(Exception):
    """The booking code or manage token drawn at random is taken: the transaction is lost."""


def _in_transaction(write):
    """Run `write` in a transaction of its own, again (at most 5 times) in the rare case that the booking's
    random code or manage token is already taken: without a savepoint around each insert (the normal path
    runs none), a refused insert ends the whole transaction."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return write()
        except _CodeTaken:
            continue
    raise IntegrityError("could not draw a unique booking code")


def _write_booking(
    slot: Slot,
    citizen: Citizen,
    *,
    identity: tuple[str, str],
    persons: int,
    green: tuple[str, str],
    held: bool,
    actor: Actor,
    now: dt.datetime,
    further: Sequence[Slot] = (),
    note: str = "",
) -> Booking:
    """The booking row and its further matters, its history and its confirmation message, in the caller's
    transaction, with the places already taken. The partial unique indexes refuse a duplicate that the
    person's lock did not (the naive path of the race tests): the transaction is then given up."""
    booking = _new_booking(
        slot, citizen, identity=identity, persons=persons, green=green, held=held, actor=actor, now=now
    )
    matters.remember(booking, further)
    event = lifecycle.event(booking, "", actor, note=note)
    message = messages.message(booking, Kind.BOOKING_CONFIRMED, lambda: messages.confirmation_text(booking))
    try:
        _create_booking(booking, [(event, "booking_id"), (message, "subject_id")])
        _add_matters(booking, further, identity[0], held)
    except IntegrityError as error:
        if "code" in str(error) or "manage_token" in str(error):
            raise _CodeTaken from error
        raise BookingError("duplicate_booking", DUPLICATE_BOOKING) from None
    notify.recorded(message)
    return booking


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
    further = matters.further_slots(slot, also, rules, now, staff_booking)
    service_ids = [slot.service_id, *(s.service_id for s in further)]

    def write() -> Booking:
        _check_person(rules, id_hash, phone_hash, service_ids, now, green=green_channel, staff=staff_booking)
        _take_all([slot, *further], persons, use_held_back, now)
        return _write_booking(
            slot,
            citizen,
            identity=identity,
            persons=persons,
            green=(green_channel, green_note),
            held=use_held_back,
            actor=actor,
            now=now,
            further=further,
            note=_matters_note(further),
        )

    booking = _in_transaction(write)
    log.info("booking %s created in slot %s via %s", booking.pk, slot.pk, actor.source)
    return booking


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


def _create_booking(booking: Booking, children: list) -> None:
    """Write the booking's row with its history and its message (their rows' column that takes the
    booking's key named): one statement, one round trip (hall/rows.py)."""
    rows.insert_together(booking, children)


def _new_booking(
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
    """The booking's row, not saved yet."""
    return Booking(
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
    new_slots = matters.further_slots(slot, [m.service for m in further], rules, now, staff_booking=False)
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

    def write() -> Booking:
        offer = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        hold = PlaceHold.objects.select_for_update().filter(waitlist_entry=offer, release_at__gt=now).first()
        if offer.state != WaitlistState.OFFERED or hold is None:
            raise BookingError("offer_gone", OFFER_GONE)
        slot = hold.slot
        rules = availability.rules_for(slot.hall)
        _check_person(rules, id_hash, phone_hash, [slot.service_id], now, green="", staff=False)
        hold.delete()
        booking = _write_booking(
            slot,
            citizen,
            identity=identity,
            persons=1,
            green=("", ""),
            held=False,
            actor=actor,
            now=now,
            note="waiting list",
        )
        offer.state, offer.booking = WaitlistState.ACCEPTED, booking
        offer.save(update_fields=["state", "booking"])
        return booking

    return _in_transaction(write)
