"""Several matters in one visit: the further services a booking may hold and the slots they take.

A further matter takes places in its own service's slot for the same arrival window: the slot of that
service on the same date whose window contains the first matter's start (services may have windows of
different lengths).
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from appointments import availability
from appointments.models import MAX_MATTERS, Booking, Mode, Slot
from appointments.refusals import DUPLICATE_BOOKING, SERVICE_NOT_THEN, TOO_MANY_MATTERS, BookingError
from hall.models import Service


@dataclass(frozen=True)
class Matter:
    position: int
    service: Service
    slot: Slot


def matters_of(booking: Booking) -> list[Matter]:
    """All the booking's matters in order, the first one included (one query for the further ones, none
    for a booking just made: `remember`)."""
    known = getattr(booking, "_matters", None)
    if known is not None:
        return known
    first = Matter(1, booking.service, booking.slot)
    further = booking.matters.select_related("service", "slot").order_by("position")
    return [first, *(Matter(m.position, m.service, m.slot) for m in further)]


def remember(booking: Booking, further: Sequence[Slot]) -> None:
    """Keep on a booking just made the matters it was made with (its further services' slots, in order,
    with their services), so that its message and its answer need not read them back."""
    first = Matter(1, booking.service, booking.slot)
    booking._matters = [first, *(Matter(n, s.service, s) for n, s in enumerate(further, start=2))]


def slot_for(service: Service, first: Slot) -> Slot | None:
    """The open slot of `service` whose window contains the first matter's arrival time, in its mode (a
    video visit's further matters are done in the same call)."""
    availability.sync_slots(service=service, date=first.date, mode=first.mode)
    return (
        Slot.objects.select_related("hall", "service")
        .filter(service=service, date=first.date, mode=first.mode, closed=False)
        .filter(start__lte=first.start, end__gt=first.start)
        .order_by("-start")
        .first()
    )


def candidates(first: Slot):
    """Other bookable services of the hall, which a citizen might add to a visit booked in `first` (to a
    video call: those offered by video)."""
    found = Service.objects.bookable().filter(hall_id=first.hall_id).exclude(pk=first.service_id)
    if first.mode == Mode.VIDEO:
        found = found.filter(by_video=True)
    return found.select_related("hall")


def available_extras(first: Slot, persons: int, now: dt.datetime) -> list[Matter]:
    """The services that still have `persons` places in the same window (what the citizen may add)."""
    rules = availability.rules_for(first.hall)
    found = []
    for service in candidates(first):
        slot = slot_for(service, first)
        if slot is not None and slot.remaining >= persons and availability.bookable_slot(rules, slot, now):
            found.append(Matter(0, service, slot))
    return found


MAX_FURTHER = MAX_MATTERS - 1


def further_slots(first: Slot, also: Sequence, rules, now: dt.datetime, staff_booking: bool) -> list[Slot]:
    """Each further service's slot for the first one's window, checked before any place is taken."""
    services = list(also)
    if len(services) > MAX_FURTHER:
        raise BookingError("too_many_services", TOO_MANY_MATTERS, field="services")
    ids = [first.service_id, *(s.pk for s in services)]
    if len(set(ids)) != len(ids):
        raise BookingError("duplicate_booking", DUPLICATE_BOOKING, field="services")
    slots = []
    for service in services:
        slot = None
        if service.hall_id == first.hall_id and service.active and service.bookable:
            slot = slot_for(service, first)
        if slot is None or not (staff_booking or availability.bookable_slot(rules, slot, now)):
            raise BookingError("not_bookable", SERVICE_NOT_THEN % {"service": service.name}, field="services")
        slots.append(slot)
    return slots
