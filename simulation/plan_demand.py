"""The two ends of a checked staffing plan (simulation/plan_check.py): Erlang C's counters per hour for a
simulated day type, from the demand that day type is expected to bring; and the day type that plays the
demand a real plan (reports.plan) expects. Both use reports.staffing, as the plan page does."""

import datetime as dt
from collections import defaultdict
from dataclasses import replace

from appointments.availability import sync_slots
from hall.models import Hall
from reports import staffing
from reports.plan import Plan
from reports.report import settings_for
from simulation import people
from simulation.api import rolled_back, simulated_date
from simulation.scenario import BOOKED_SERVICES, SERVICE_MIX, WALK_IN_PROFILE, DayType, day_type


def _open_minutes(sessions, hour: int) -> int:
    total = 0.0
    for start, end in sessions:
        first = start.replace(hour=hour, minute=0, second=0, microsecond=0)
        last = first + dt.timedelta(hours=1)
        total += max(0.0, (min(end, last) - max(start, first)).total_seconds() / 60)
    return round(total)


def _places(hall: Hall, date: dt.date, codes) -> dict[tuple[str, int], int]:
    """Bookable places per (service code, local hour) of the date; the slots made for it are rolled back."""
    places = defaultdict(int)

    def count() -> None:
        for service in hall.services.filter(active=True, bookable=True, code__in=codes):
            for slot in sync_slots(service=service, date=date):
                places[service.code, slot.start.astimezone(hall.tz).hour] += slot.capacity

    rolled_back(count)
    return places


def expected_load(hall: Hall, day: DayType, date: dt.date) -> dict[int, tuple[float, float, int]]:
    """Per local hour: (arrivals, minutes of handling, minutes open) the day type is expected to bring,
    with the simulator's own rates (bookings less no-shows, two persons and further matters, transfers
    and parked tickets coming back)."""
    sessions = people.sessions(hall, date)
    hours = sorted({h for s, e in sessions for h in range(s.hour, e.hour + (e.minute > 0))})
    services = {s.code: s for s in hall.services.filter(active=True)}

    def handling(code: str) -> float:
        return float(day.handling.get(code, services[code].average_handling_minutes))

    mix = {c: w for c, w in (day.mix or SERVICE_MIX).items() if c in services and w > 0}
    walk_handling = sum(w * handling(c) for c, w in mix.items()) / sum(mix.values()) if mix else 0.0
    profile = WALK_IN_PROFILE if day.profile is None else day.profile
    default = 0.2 if day.profile is None else 0.0
    weight = {h: profile.get(h, default) * _open_minutes(sessions, h) for h in hours}
    total_weight = sum(weight.values()) or 1.0
    booked = [c for c in BOOKED_SERVICES if c in services]
    other = sum(handling(c) for c in booked) / len(booked) if booked else 0.0
    per_booking = 1 + 0.6 * day.two_persons_share
    rework = 1 + day.transfer_rate + 0.5 * day.park_rate
    load = {}
    for hour, (count, minutes) in _bookings(hall, day, date, booked).items():
        load[hour] = (count, minutes * per_booking + count * day.second_matter_share * other)
    result = {}
    for hour in hours:
        walk_ins = day.walk_ins * weight[hour] / total_weight
        count, minutes = load.get(hour, (0.0, 0.0))
        result[hour] = (
            count + walk_ins,
            (minutes + walk_ins * walk_handling) * rework,
            _open_minutes(sessions, hour),
        )
    return result


def _bookings(hall, day, date, booked) -> dict[int, tuple[float, float]]:
    found = defaultdict(lambda: (0.0, 0.0))
    services = {s.code: s for s in hall.services.filter(code__in=booked)}
    for (code, hour), places in _places(hall, date, booked).items():
        count = places * day.booking_fill * (1 - day.no_show_rate)
        mean = float(day.handling.get(code, services[code].average_handling_minutes))
        before = found[hour]
        found[hour] = (before[0] + count, before[1] + count * mean)
    return found


def erlang_counters(hall: Hall, day: DayType, date: dt.date, goal: float | None = None) -> dict[int, int]:
    """Erlang C's counters per hour for the day type's expected load, for the hall's target and (unless
    given) its goal: what the plan page would say for such a day."""
    config = settings_for(hall)
    goal = config.service_level_percent / 100 if goal is None else goal
    counters = {}
    for hour, (arrivals, workload, open_minutes) in expected_load(hall, day, date).items():
        if not arrivals or not open_minutes:
            counters[hour] = 0
            continue
        counters[hour] = staffing.agents_needed(
            workload / open_minutes, workload / arrivals, config.target_wait_minutes, goal
        )
    return counters


def plan_counters(plan: Plan) -> dict[int, int]:
    return {hour.hour: hour.needed for hour in plan.hours}


def day_of_plan(plan: Plan) -> tuple[DayType, dt.date]:
    """A day type that brings the plan's demand (its walk-ins per hour and service, its handling times,
    the plan's date's bookings as booked: per service and hour, one person each), staffed by the plan, and
    the day it is played on: the same weekday a year later, clear of real bookings."""
    walk_ins = sum(h.walk_ins for h in plan.hours)
    profile = {h.hour: h.walk_ins / h.open_minutes for h in plan.hours if h.open_minutes}
    mix, handling, bookings = defaultdict(float), {}, {}
    for hour in plan.hours:
        for s in hour.services:
            mix[s.service.code] += s.walk_ins
            handling[s.service.code] = s.handling
            if s.booked:
                bookings[s.service.code, hour.hour] = s.booked
    day = replace(
        day_type("normal"),
        name="plan",
        walk_ins=round(walk_ins),
        booking_fill=0.0,
        bookings=bookings,
        counters=plan_counters(plan),
        pauses=(),
        no_show_rate=0.0,  # the plan counts the bookings as made
        handling=handling,
        profile=profile,
        mix=dict(mix) or None,
    )
    return day, simulated_date(plan.hall, plan.date)
