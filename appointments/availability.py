"""Slots kept in step with the hall's hours, and what a citizen may book when."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from appointments import slots as slot_maths
from appointments.models import BookingRules, CapacityOverride, Slot
from hall import calendar
from hall.models import Counter, Service


def rules_for(hall) -> BookingRules:
    try:
        return hall.booking_rules
    except BookingRules.DoesNotExist:
        return BookingRules(hall=hall)


def slot_config(service: Service, date: dt.date, rules: BookingRules) -> slot_maths.SlotConfig:
    override = (
        CapacityOverride.objects.filter(service=service, date=date).values_list("capacity", flat=True).first()
    )
    return slot_maths.SlotConfig(
        counters=Counter.objects.serving(service).count(),
        handling_minutes=service.average_handling_minutes,
        window_minutes=service.slot_minutes,
        utilisation=rules.utilisation_percent / 100,
        held_back=rules.held_back_percent / 100,
        capacity_override=override,
    )


def _target(slot: Slot, window: slot_maths.Window | None) -> tuple:
    if window is None:
        return (slot.end, slot.capacity, slot.held_back, True)
    return (window.end, max(window.capacity, slot.taken), max(window.held_back, slot.taken_held_back), False)


def _current(slot: Slot) -> tuple:
    return (slot.end, slot.capacity, slot.held_back, slot.closed)


def sync_slots(*, service: Service, date: dt.date, schedule: calendar.Schedule | None = None) -> list[Slot]:
    """Make the stored slots of a service and date match the hours and capacity; write only on change.

    A slot that is no longer in the hours is closed, never deleted: its bookings stay visible. Capacity is
    never lowered below the places already taken.
    """
    hall = service.hall
    config = slot_config(service, date, rules_for(hall))
    wanted = {w.start: w for w in slot_maths.windows(schedule or hall.schedule(), date, config)}
    existing = {s.start: s for s in Slot.objects.on(service, date)}
    missing = [w for start, w in wanted.items() if start not in existing]
    stale = [s.pk for s in existing.values() if _current(s) != _target(s, wanted.get(s.start))]
    if not missing and not stale:
        return list(existing.values())

    with transaction.atomic():
        Slot.objects.bulk_create(
            [
                Slot(
                    hall=hall,
                    service=service,
                    date=date,
                    start=w.start,
                    end=w.end,
                    capacity=w.capacity,
                    held_back=w.held_back,
                )
                for w in missing
            ],
            ignore_conflicts=True,
        )
        for slot in Slot.objects.select_for_update().filter(pk__in=stale):
            slot.end, slot.capacity, slot.held_back, slot.closed = _target(slot, wanted.get(slot.start))
            slot.save(update_fields=["end", "capacity", "held_back", "closed"])
    return list(Slot.objects.on(service, date))


NOT_YET_OPEN = _("Booking for this day opens at %(time)s on %(date)s.")
BEYOND_HORIZON = _("You can book at most %(days)s days ahead.")
IN_THE_PAST = _("This day has passed.")


@dataclass(frozen=True)
class DayAvailability:
    date: dt.date
    open: bool  # the hall is open on this date
    bookable: bool  # the date may be booked now
    reason: str  # why not, or what is special
    slots: list[Slot]

    @property
    def remaining(self) -> int:
        return sum(s.remaining for s in self.slots)


def date_refusal(rules: BookingRules, date: dt.date, now: dt.datetime) -> str | None:
    """Why a date cannot be booked at `now`, in the hall's time zone, or None."""
    local = now.astimezone(rules.hall.tz)
    today = local.date()
    if date < today:
        return str(IN_THE_PAST)
    last = today + dt.timedelta(days=rules.horizon_days)
    if date > last:
        return str(BEYOND_HORIZON % {"days": rules.horizon_days})
    if date == last and local.time() < rules.release_time:
        return str(NOT_YET_OPEN % {"time": rules.release_time.strftime("%H:%M"), "date": today.isoformat()})
    return None


def bookable_slot(rules: BookingRules, slot: Slot, now: dt.datetime) -> bool:
    return not slot.closed and slot.start - now >= dt.timedelta(minutes=rules.min_notice_minutes)


def day_availability(*, service: Service, date: dt.date, now: dt.datetime) -> DayAvailability:
    hall = service.hall
    rules = rules_for(hall)
    schedule = hall.schedule()
    day = calendar.day_schedule(schedule, date)
    refusal = date_refusal(rules, date, now)
    if not day.is_open:
        return DayAvailability(date, False, False, day.reason, [])
    if refusal:
        return DayAvailability(date, True, False, refusal, [])
    slots = [
        s for s in sync_slots(service=service, date=date, schedule=schedule) if bookable_slot(rules, s, now)
    ]
    return DayAvailability(date, True, True, day.reason, slots)


def upcoming_days(*, service: Service, now: dt.datetime) -> list[DayAvailability]:
    """Every date from today to the horizon, with why a closed or unreleased day cannot be booked."""
    rules = rules_for(service.hall)
    today = now.astimezone(service.hall.tz).date()
    return [
        day_availability(service=service, date=today + dt.timedelta(days=n), now=now)
        for n in range(rules.horizon_days + 1)
    ]
