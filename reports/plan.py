"""Tomorrow's (or any day's) staffing plan: counters needed per hour to keep waits under the hall's
target, from the day's bookings, the walk-ins of the same weekday in recent weeks and the handling times
seen in those weeks. The queueing maths is Erlang C (reports.staffing)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from appointments.models import Booking, BookingMatter, BookingState, Mode
from hall import calendar
from hall.models import Hall, Service
from queueing.models import Ticket, TicketKind, TicketState
from reports import staffing, stats
from reports.report import settings_for

PLANNED_STATES = (BookingState.BOOKED, BookingState.CHECKED_IN, BookingState.SERVED)
# Counters in every hour the hall is open, whoever is expected: a citizen who comes then, booked or not,
# finds a window (the plan here, and the simulated plan check's search, simulation/plan_check.py).
MIN_COUNTERS = 1


@dataclass
class ServiceHour:
    service: Service
    booked: int
    walk_ins: float
    handling: float


@dataclass
class HourPlan:
    hour: int
    open_minutes: int
    available: int
    services: list[ServiceHour] = field(default_factory=list)
    needed: int = 0
    service_level: float | None = None  # with the available counters, in %

    @property
    def booked(self) -> int:
        return sum(s.booked for s in self.services)

    @property
    def walk_ins(self) -> float:
        return sum(s.walk_ins for s in self.services)

    @property
    def workload(self) -> float:
        """Minutes of handling expected in this hour."""
        return sum((s.booked + s.walk_ins) * s.handling for s in self.services)

    @property
    def booked_workload(self) -> float:
        return sum(s.booked * s.handling for s in self.services)

    @property
    def traffic(self) -> float:
        return self.workload / self.open_minutes if self.open_minutes else 0.0

    @property
    def booked_over_capacity(self) -> bool:
        """The bookings alone need more counter time than the counters have in this hour."""
        return self.booked > 0 and self.booked_workload > self.available * self.open_minutes

    @property
    def short(self) -> bool:
        return self.needed > self.available


@dataclass
class Plan:
    hall: Hall
    date: dt.date
    target: int
    goal: int
    weeks: int
    history: list[dt.date]
    available: int
    day: calendar.DaySchedule
    hours: list[HourPlan]
    days_on_record: int = 0  # days of the history on which the hall issued tickets

    @property
    def no_history(self) -> bool:
        """Nothing on record for the weekday: the walk-ins are reckoned as none, the plan counts bookings."""
        return self.days_on_record == 0

    @property
    def alerts(self) -> list[HourPlan]:
        return [h for h in self.hours if h.booked_over_capacity]

    @property
    def expects_anyone(self) -> bool:
        return any(h.booked or h.walk_ins for h in self.hours)

    @property
    def peak(self) -> int:
        return max((h.needed for h in self.hours), default=0)


def _open_minutes(day: calendar.DaySchedule, hour: int) -> int:
    start, end = hour * 60, hour * 60 + 60
    total = 0
    for session in day.sessions:
        s = session.start.hour * 60 + session.start.minute
        e = session.end.hour * 60 + session.end.minute
        total += max(0, min(end, e) - max(start, s))
    return total


def _booked(hall: Hall, date: dt.date) -> dict[tuple[int, int], int]:
    tz = hall.tz
    booked = defaultdict(int)
    # Video appointments are the online room's work, not the hall's windows' (Counter.objects.windows()).
    for service_id, start, persons in (
        Booking.objects.of_day(hall, date)
        .filter(state__in=PLANNED_STATES, mode=Mode.HALL)
        .values_list("service_id", "slot__start", "persons")
    ):
        booked[service_id, start.astimezone(tz).hour] += persons
    # Further matters of a visit are work for their own services in their own windows.
    for service_id, start, persons in BookingMatter.objects.filter(
        slot__hall=hall, slot__date=date, booking__state__in=PLANNED_STATES, booking__mode=Mode.HALL
    ).values_list("service_id", "slot__start", "booking__persons"):
        booked[service_id, start.astimezone(tz).hour] += persons
    return booked


def _history(hall: Hall, dates: list[dt.date]):
    """Walk-ins per (service, hour) averaged over the days the hall worked, and handling per service."""
    tz = hall.tz
    arrivals = defaultdict(int)
    handling = defaultdict(list)
    worked = set()
    for t in (
        Ticket.objects.filter(hall=hall, date__in=dates)
        .order_by()
        .values_list(
            "date",
            "service_id",
            "kind",
            "state",
            "issued_at",
            "called_at",
            "serving_at",
            "completed_at",
            "transferred_from_id",
            named=True,
        )
    ):
        worked.add(t.date)
        if t.kind == TicketKind.WALK_IN and t.transferred_from_id is None:
            arrivals[t.service_id, t.issued_at.astimezone(tz).hour] += 1
        if t.state == TicketState.DONE and t.called_at and t.completed_at:
            started = t.serving_at if t.serving_at and t.serving_at < t.completed_at else t.called_at
            handling[t.service_id].append(stats.minutes(t.completed_at - started))
    days = len(worked)
    walk_ins = {key: count / days for key, count in arrivals.items()} if days else {}
    means = {service_id: sum(values) / len(values) for service_id, values in handling.items() if values}
    return walk_ins, means, days


def build_plan(hall: Hall, date: dt.date) -> Plan:
    config = settings_for(hall)
    target, goal, weeks = config.target_wait_minutes, config.service_level_percent, config.history_weeks
    history = [date - dt.timedelta(weeks=n) for n in range(1, weeks + 1)]
    day = calendar.day_schedule(hall.schedule(), date)
    services = list(hall.services.all())
    available = hall.counters.windows().count()
    booked = _booked(hall, date)
    walk_ins, handling, days_on_record = _history(hall, history)
    open_hours = {h for h in range(24) if _open_minutes(day, h)}
    hours = []
    for hour in sorted(open_hours | {h for _s, h in booked}):
        plan = HourPlan(hour=hour, open_minutes=_open_minutes(day, hour), available=available)
        for service in services:
            b, w = booked.get((service.pk, hour), 0), walk_ins.get((service.pk, hour), 0.0)
            if b or w:
                h = handling.get(service.pk, float(service.average_handling_minutes))
                plan.services.append(ServiceHour(service=service, booked=b, walk_ins=w, handling=h))
        _size(plan, target, goal / 100)
        hours.append(plan)
    return Plan(hall, date, target, goal, weeks, history, available, day, hours, days_on_record)


def _size(plan: HourPlan, target: int, goal: float) -> None:
    """Erlang C's counters for the hour's arrivals, and at least MIN_COUNTERS in an hour the hall is open."""
    arrivals = plan.booked + plan.walk_ins
    plan.needed = MIN_COUNTERS if plan.open_minutes else 0
    if not arrivals or not plan.open_minutes:
        return
    mean_handling = plan.workload / arrivals
    plan.needed = max(plan.needed, staffing.agents_needed(plan.traffic, mean_handling, target, goal))
    plan.service_level = 100 * staffing.service_level(plan.traffic, plan.available, target, mean_handling)
