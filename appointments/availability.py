"""Slots kept in step with the hall's hours, and what a citizen may book when."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from appointments import slots as slot_maths
from appointments.models import BookingRules, CapacityOverride, Mode, Slot
from hall import calendar
from hall.models import Counter, CounterAbsence, Service


def rules_for(hall) -> BookingRules:
    try:
        return hall.booking_rules
    except BookingRules.DoesNotExist:
        return BookingRules(hall=hall)


def _absences(counter_ids: list[int], hall, date: dt.date) -> tuple[slot_maths.Absence, ...]:
    start = dt.datetime.combine(date, dt.time.min, hall.tz)
    rows = CounterAbsence.objects.filter(counter_id__in=counter_ids).overlapping(
        start, start + dt.timedelta(days=1)
    )
    return tuple(slot_maths.Absence(a.counter_id, a.start, a.end) for a in rows)


def slot_config(
    service: Service, date: dt.date, rules: BookingRules, mode: str = Mode.HALL
) -> slot_maths.SlotConfig:
    """The capacity inputs of a service's hall slots (its windows) or video slots (its online rooms, and
    only while the service is offered by video). A day's capacity override is for the hall."""
    override = None
    if mode == Mode.HALL:
        override = (
            CapacityOverride.objects.filter(service=service, date=date)
            .values_list("capacity", flat=True)
            .first()
        )
        counters = Counter.objects.serving(service)
    elif service.by_video:
        counters = Counter.objects.online_rooms(service)
    else:
        counters = Counter.objects.none()
    counter_ids = list(counters.values_list("pk", flat=True))
    return slot_maths.SlotConfig(
        counters=len(counter_ids),
        absences=_absences(counter_ids, service.hall, date) if counter_ids else (),
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


def sync_slots(
    *, service: Service, date: dt.date, schedule: calendar.Schedule | None = None, mode: str = Mode.HALL
) -> list[Slot]:
    """Make the stored slots of a service, date and mode match the hours and capacity; write only on change.

    A slot that is no longer in the hours is closed, never deleted: its bookings stay visible. Capacity is
    never lowered below the places already taken.
    """
    schedule = schedule or service.hall.schedule()
    wanted = _wanted(service, date, schedule, mode)
    existing = {s.start: s for s in Slot.objects.on(service, date, mode)}
    missing = [w for start, w in wanted.items() if start not in existing]
    stale = [s.pk for s in existing.values() if _current(s) != _target(s, wanted.get(s.start))]
    if not missing and not stale:
        return list(existing.values())

    with transaction.atomic():
        Slot.objects.bulk_create(
            [
                Slot(
                    hall=service.hall,
                    service=service,
                    date=date,
                    start=w.start,
                    end=w.end,
                    capacity=w.capacity,
                    held_back=w.held_back,
                    mode=mode,
                )
                for w in missing
            ],
            ignore_conflicts=True,
        )
        locked = list(Slot.objects.select_for_update().filter(pk__in=stale).order_by("pk"))
        if locked:
            # Read the hours and counters again under the locks: a home visit scheduled meanwhile lowered
            # these slots, and capacity read before it committed must not be written back.
            wanted = _wanted(service, date, schedule, mode)
        for slot in locked:
            slot.end, slot.capacity, slot.held_back, slot.closed = _target(slot, wanted.get(slot.start))
            slot.save(update_fields=["end", "capacity", "held_back", "closed"])
    return list(Slot.objects.on(service, date, mode))


def _wanted(service: Service, date: dt.date, schedule: calendar.Schedule, mode: str = Mode.HALL) -> dict:
    config = slot_config(service, date, rules_for(service.hall), mode)
    return {w.start: w for w in slot_maths.windows(schedule, date, config)}


class CapacityConflict(Exception):
    """Taking counters away would leave slots holding more places than they could then offer."""

    def __init__(self, slots: list[Slot]):
        super().__init__(", ".join(str(s.pk) for s in slots))
        self.slots = slots


def _local_dates(hall, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    first, last = hall.local_date(start), hall.local_date(end - dt.timedelta(microseconds=1))
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def take_counters_away(
    *, hall, counters: list[Counter], start: dt.datetime, end: dt.datetime, reason: str
) -> list[CounterAbsence]:
    """Record that the counters are unstaffed from `start` to `end` and lower the capacity of every slot
    of every service they serve in that period by exactly the counters taken. Call inside a transaction.

    The slots are locked before their bookings are counted, so that a concurrent booking either commits
    first (and is counted) or waits and then meets the lowered capacity. Raises CapacityConflict, writing
    nothing the caller's rollback would not undo, when a slot already holds more places than it could
    then offer: bookings are never dropped.
    """
    services = list(Service.objects.active().filter(counters__in=counters).distinct().select_related("hall"))
    dates = _local_dates(hall, start, end)
    schedule = hall.schedule()
    for service in services:  # make sure every slot exists with its present capacity before it is lowered
        for date in dates:
            for mode in Mode.values:
                sync_slots(service=service, date=date, schedule=schedule, mode=mode)
    absences = CounterAbsence.objects.bulk_create(
        [CounterAbsence(hall=hall, counter=c, start=start, end=end, reason=reason[:200]) for c in counters]
    )
    # Lock the slot rows only: FOR UPDATE on the joined service would make every booking of it wait (its
    # foreign-key check needs a share lock on the service row) and deadlock with those holding a slot.
    affected = list(
        Slot.objects.select_for_update(of=("self",))
        .filter(service__in=services, date__in=dates, start__lt=end, end__gt=start)
        .select_related("service")
        .order_by("pk")
    )
    wanted = {(s.pk, d, m): _wanted(s, d, schedule, m) for s in services for d in dates for m in Mode.values}
    conflicts, changes = [], []
    for slot in affected:
        window = wanted[(slot.service_id, slot.date, slot.mode)].get(slot.start)
        capacity, held_back = (window.capacity, window.held_back) if window else (0, 0)
        if slot.taken > capacity or slot.taken_held_back > held_back:
            conflicts.append(slot)
        changes.append((slot, window))
    if conflicts:
        raise CapacityConflict(conflicts)
    for slot, window in changes:
        slot.end, slot.capacity, slot.held_back, slot.closed = _target(slot, window)
        slot.save(update_fields=["end", "capacity", "held_back", "closed"])
    return absences


def bring_counters_back(*, absences: list[CounterAbsence]) -> None:
    """Delete the absences and give their slots back the capacity of the counters present again."""
    if not absences:
        return
    hall = absences[0].hall
    start, end = min(a.start for a in absences), max(a.end for a in absences)
    counters = [a.counter_id for a in absences]
    CounterAbsence.objects.filter(pk__in=[a.pk for a in absences]).delete()
    schedule = hall.schedule()
    for service in Service.objects.active().filter(counters__in=counters).distinct().select_related("hall"):
        for date in _local_dates(hall, start, end):
            for mode in Mode.values:
                sync_slots(service=service, date=date, schedule=schedule, mode=mode)


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
    provisional: bool = False  # the State Council's schedule for this year is not published (entered) yet

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


def day_availability(
    *, service: Service, date: dt.date, now: dt.datetime, mode: str = Mode.HALL
) -> DayAvailability:
    hall = service.hall
    rules = rules_for(hall)
    schedule = hall.schedule()
    day = calendar.day_schedule(schedule, date)
    refusal = date_refusal(rules, date, now)
    provisional = not day.calendar_known
    if not day.is_open:
        return DayAvailability(date, False, False, day.reason, [], provisional)
    if refusal:
        return DayAvailability(date, True, False, refusal, [], provisional)
    slots = [
        s
        for s in sync_slots(service=service, date=date, schedule=schedule, mode=mode)
        if bookable_slot(rules, s, now)
    ]
    return DayAvailability(date, True, True, day.reason, slots, provisional)


def upcoming_days(*, service: Service, now: dt.datetime, mode: str = Mode.HALL) -> list[DayAvailability]:
    """Every date from today to the horizon, with why a closed or unreleased day cannot be booked."""
    rules = rules_for(service.hall)
    today = now.astimezone(service.hall.tz).date()
    return [
        day_availability(service=service, date=today + dt.timedelta(days=n), now=now, mode=mode)
        for n in range(rules.horizon_days + 1)
    ]
