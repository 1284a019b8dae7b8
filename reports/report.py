"""The supervisor's report for a hall and a range of days: a fixed number of queries whatever the size
of the hall, then plain arithmetic in reports.stats. Definitions of each figure are in stats.py and
docs/reports.md; `tickets` below are the day's queue tickets (queueing.models.Ticket)."""

import datetime as dt
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractHour

from appointments.models import Booking, BookingState, Slot
from hall.models import Hall
from queueing.models import (
    ClosingOutcome,
    MatterState,
    Outcome,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketMatter,
    TicketState,
)
from reports import stats
from reports.models import Rating, ReportSettings, Score

REPEAT_WINDOW_DAYS = 30
TICKET_FIELDS = (
    "id",
    "date",
    "service_id",
    "counter_id",
    "owner_id",
    "kind",
    "green_channel",
    "state",
    "outcome",
    "transferred_from_id",
)


def service_start():
    """When handling began: `serving_at`, unless the ticket went from called straight to done, where
    queueing.calls.complete() sets `serving_at` to the completion time; then the call."""
    return Case(When(serving_at__lt=F("completed_at"), then=F("serving_at")), default=F("called_at"))


ROW_FIELDS = (*TICKET_FIELDS, "wait", "handling", "issued_hour", "completed_hour", "further")


def ticket_rows(hall: Hall, first: dt.date, last: dt.date) -> list:
    """The period's tickets as named tuples. Durations and local hours are computed by the database:
    a month holds thousands of tickets, and turning four timestamps each into aware datetimes in Python
    cost more than the rest of the report.

    A ticket that carried several matters (a booking with several services) stands as one row per matter,
    so that each service counts its own matter once; `further` marks the matters after the first, which
    are not new visitors."""
    tz = hall.tz
    tickets = list(
        Ticket.objects.filter(hall=hall, date__gte=first, date__lte=last)
        .order_by()
        .annotate(
            wait=ExpressionWrapper(F("called_at") - F("issued_at"), output_field=DurationField()),
            handling=ExpressionWrapper(F("completed_at") - service_start(), output_field=DurationField()),
            issued_hour=ExtractHour("issued_at", tzinfo=tz),
            completed_hour=ExtractHour("completed_at", tzinfo=tz),
            further=Value(False),
        )
        .values_list(*ROW_FIELDS, named=True)
    )
    matters = matter_rows(hall, first, last)
    if not matters:
        return tickets
    if not tickets:
        return []
    row_type = type(tickets[0])
    carried = {m["ticket_id"] for m in matters}
    return [t for t in tickets if t.id not in carried] + [row_type(*_as_ticket_row(m)) for m in matters]


def matter_rows(hall: Hall, first: dt.date, last: dt.date) -> list[dict]:
    tz = hall.tz
    return list(
        TicketMatter.objects.filter(ticket__hall=hall, ticket__date__gte=first, ticket__date__lte=last)
        .order_by()
        .annotate(
            wait=ExpressionWrapper(F("called_at") - F("queued_at"), output_field=DurationField()),
            handling=ExpressionWrapper(
                F("ended_at") - Coalesce("started_at", "called_at"), output_field=DurationField()
            ),
            issued_hour=ExtractHour("ticket__issued_at", tzinfo=tz),
            completed_hour=ExtractHour("ended_at", tzinfo=tz),
        )
        .values(
            "ticket_id",
            "position",
            "service_id",
            "counter_id",
            "served_by_id",
            "state",
            "outcome",
            "called_at",
            "wait",
            "handling",
            "issued_hour",
            "completed_hour",
            "ticket__date",
            "ticket__kind",
            "ticket__green_channel",
            "ticket__state",
            "ticket__transferred_from_id",
        )
    )


def _matter_state(m: dict) -> str:
    """A matter's state in the ticket's terms: done; no-show for the one being called when the citizen
    went (the others were not served and count nowhere); the ticket's state for the current one."""
    if m["state"] == MatterState.DONE:
        return TicketState.DONE
    if m["state"] == MatterState.CURRENT:
        return m["ticket__state"]
    if m["state"] == MatterState.NOT_SERVED and m["called_at"] and m["ticket__state"] == TicketState.NO_SHOW:
        return TicketState.NO_SHOW
    return m["state"]


def _as_ticket_row(m: dict) -> tuple:
    state = _matter_state(m)
    further = m["position"] > 1
    return (
        m["ticket_id"],
        m["ticket__date"],
        m["service_id"],
        m["counter_id"],
        m["served_by_id"],
        m["ticket__kind"],
        m["ticket__green_channel"],
        state,
        m["outcome"],
        None if further else m["ticket__transferred_from_id"],
        m["wait"],
        m["handling"],
        m["issued_hour"],
        m["completed_hour"] if state == TicketState.DONE else None,
        further,
    )


def settings_for(hall: Hall) -> ReportSettings:
    try:
        return hall.report_settings
    except ReportSettings.DoesNotExist:
        return ReportSettings(hall=hall)


def wait_of(t) -> float | None:
    """Issued → first call, in minutes; None for a ticket never called."""
    return None if t.wait is None else stats.minutes(t.wait)


def handling_of(t) -> float | None:
    """Start of service (or the call) → completion, in minutes, for tickets done."""
    if t.state != TicketState.DONE or t.handling is None:
        return None
    return stats.minutes(t.handling)


@dataclass
class Ratings:
    count: int = 0
    total: int = 0
    by_score: dict[int, int] = field(default_factory=lambda: dict.fromkeys(Score.values, 0))

    def add(self, score: int) -> None:
        self.count += 1
        self.total += score
        self.by_score[score] += 1

    @property
    def average(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def distribution(self) -> list[tuple[str, int]]:
        return [(Score(score).label, self.by_score[score]) for score in sorted(self.by_score, reverse=True)]


@dataclass
class Row:
    """Figures for one service, counter, staff member, day or the whole hall."""

    key: object = None
    label: str = ""
    issued: int = 0
    served: int = 0
    no_show: int = 0
    materials_missing: int = 0
    waits: list[float] = field(default_factory=list)
    handlings: list[float] = field(default_factory=list)
    open_minutes: float | None = None
    ratings: Ratings = field(default_factory=Ratings)
    repeat_citizens: int = 0
    repeaters: int = 0
    target: float = 15

    def add(self, t, wait: float | None, handling: float | None) -> None:
        self.no_show += t.state == TicketState.NO_SHOW
        if wait is not None:
            self.waits.append(wait)
        if handling is not None:
            self.served += 1
            self.handlings.append(handling)
            self.materials_missing += t.outcome == Outcome.MATERIALS_MISSING

    # Read once the rows are complete (templates read each figure several times).
    @cached_property
    def wait(self) -> stats.Summary:
        return stats.summarise(self.waits)

    @cached_property
    def handling(self) -> stats.Summary:
        return stats.summarise(self.handlings)

    @cached_property
    def sla_percent(self) -> float | None:
        return stats.share_below(self.waits, self.target)

    @property
    def idle_minutes(self) -> float | None:
        if self.open_minutes is None:
            return None
        return max(0.0, self.open_minutes - sum(self.handlings))

    @property
    def repeat_percent(self) -> float | None:
        return 100 * self.repeaters / self.repeat_citizens if self.repeat_citizens else None


@dataclass
class Report:
    hall: Hall
    first: dt.date
    last: dt.date
    target: int
    total: Row
    appointments: int = 0
    walk_ins: int = 0
    green_channel: int = 0
    tickets_cancelled: int = 0
    after_hours: int = 0  # waiting at closing, served after hours (延时服务)
    rebooked: int = 0  # waiting at closing, given a priority booking for the next open day
    no_show_bookings: int = 0
    cancelled: int = 0
    by_service: list[Row] = field(default_factory=list)
    by_counter: list[Row] = field(default_factory=list)
    by_staff: list[Row] = field(default_factory=list)
    by_day: list[Row] = field(default_factory=list)
    hours: list[tuple[int, int, int]] = field(default_factory=list)  # (hour, arrivals, served)
    previous: "Report | None" = None
    tickets: list = field(default_factory=list, repr=False)
    measured: list = field(default_factory=list, repr=False)  # (ticket, wait, handling) in minutes

    @property
    def issued(self) -> int:
        return self.total.issued

    @property
    def served(self) -> int:
        return self.total.served

    @property
    def no_show(self) -> int:
        """Tickets called but not answered, and bookings never checked in."""
        return self.total.no_show + self.no_show_bookings

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def comparison(self) -> list[tuple[str, float | None, float | None, float | None]]:
        """(figure, now, before, change %) for the headline figures."""
        if self.previous is None:
            return []
        p = self.previous
        pairs = [
            ("issued", self.issued, p.issued),
            ("served", self.served, p.served),
            ("no_show", self.no_show, p.no_show),
            ("cancelled", self.cancelled, p.cancelled),
            ("wait_mean", self.total.wait.mean, p.total.wait.mean),
            ("wait_p90", self.total.wait.p90, p.total.wait.p90),
            ("handling_mean", self.total.handling.mean, p.total.handling.mean),
            ("sla_percent", self.total.sla_percent, p.total.sla_percent),
            ("rating", self.total.ratings.average, p.total.ratings.average),
        ]
        return [(name, now, before, stats.change_percent(now, before)) for name, now, before in pairs]


def previous_period(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    length = (last - first).days + 1
    return first - dt.timedelta(days=length), first - dt.timedelta(days=1)


def build(hall: Hall, first: dt.date, last: dt.date, *, compare: bool = True) -> Report:
    """The full report, with the previous period of equal length for comparison."""
    target = settings_for(hall).target_wait_minutes
    report = _headline(hall, first, last, target)
    tickets = report.tickets
    names = _Names(hall)
    rows = {
        "service": {},
        "counter": {},
        "staff": {},
    }

    def row(kind, key, label):
        found = rows[kind].get(key)
        if found is None:
            found = rows[kind][key] = Row(key=key, label=label, target=target)
        return found

    days = {
        first + dt.timedelta(days=n): Row(key=first + dt.timedelta(days=n), target=target)
        for n in range((last - first).days + 1)
    }
    for t, wait, handling in report.measured:
        day = days[t.date]
        day.issued += t.transferred_from_id is None and not t.further
        day.add(t, wait, handling)
        service_row = row("service", t.service_id, "")
        service_row.issued += t.transferred_from_id is None
        service_row.add(t, wait, handling)
        if t.counter_id is not None:
            row("counter", t.counter_id, "").add(t, wait, handling)
        if t.owner_id is not None:
            row("staff", t.owner_id, "").add(t, wait, handling)
    _open_time(hall, first, last, tickets, row)
    _ratings(hall, first, last, rows, row)
    _repeats(hall, first, last, row)
    names.label(rows)
    report.by_service = sorted(rows["service"].values(), key=lambda r: names.service_order.get(r.key, 9999))
    report.by_counter = sorted(rows["counter"].values(), key=lambda r: names.counter_order.get(r.key, 9999))
    report.by_staff = sorted(rows["staff"].values(), key=lambda r: r.label)
    report.by_day = list(days.values())
    report.hours = _hours(tickets)
    if compare:
        report.previous = _headline(hall, *previous_period(first, last), target)
    return report


def _headline(hall: Hall, first: dt.date, last: dt.date, target: int) -> Report:
    tickets = ticket_rows(hall, first, last)
    total = Row(target=target)
    report = Report(hall=hall, first=first, last=last, target=target, total=total)
    report.measured = [(t, wait_of(t), handling_of(t)) for t in tickets]
    for t, wait, handling in report.measured:
        total.add(t, wait, handling)
        report.tickets_cancelled += t.state == TicketState.CANCELLED
        report.rebooked += t.state == TicketState.REBOOKED and not t.further
        if t.transferred_from_id is None and not t.further:
            total.issued += 1
            report.appointments += t.kind == TicketKind.APPOINTMENT
            report.walk_ins += t.kind == TicketKind.WALK_IN
            report.green_channel += bool(t.green_channel)
    slots = Slot.objects.filter(hall=hall, date__gte=first, date__lte=last)
    never_came = Q(state=BookingState.NO_SHOW) & ~Exists(Ticket.objects.filter(booking=OuterRef("pk")))
    bookings = Booking.objects.filter(slot__in=slots).aggregate(
        cancelled=Count("id", filter=Q(state=BookingState.CANCELLED)),
        no_show=Count("id", filter=never_came),
    )
    report.cancelled, report.no_show_bookings = bookings["cancelled"], bookings["no_show"]
    report.after_hours = Ticket.objects.filter(
        hall=hall, date__gte=first, date__lte=last, closing_outcome=ClosingOutcome.AFTER_HOURS
    ).count()
    for score in Rating.objects.for_period(hall, first, last).values_list("score", flat=True):
        total.ratings.add(score)
    report.tickets = tickets
    return report


def _open_time(hall, first, last, tickets, row) -> None:
    """Each counter's and staff member's working span per day, from the ticket events at counters: one
    query grouped by day, counter and staff member, folded per counter and per staff member here."""
    if not tickets:
        return
    ids = [t.id for t in tickets]
    spans = {"counter": {}, "staff": {}}
    for date, counter_id, actor_id, start, end in (
        TicketEvent.objects.filter(
            ticket__hall=hall, ticket__date__gte=first, ticket__date__lte=last, counter__isnull=False
        )
        # A bound on the events' own ticket_id lets PostgreSQL read them by index instead of scanning
        # a year of events (the join above keeps the answer exact).
        .filter(ticket_id__gte=min(ids), ticket_id__lte=max(ids))
        .order_by()
        .values_list("ticket__date", "counter_id", "actor_id")
        .annotate(start=Min("at"), end=Max("at"))
    ):
        for kind, key in (("counter", counter_id), ("staff", actor_id)):
            if key is None:
                continue
            known = spans[kind].get((key, date))
            spans[kind][key, date] = (
                (start, end) if known is None else (min(known[0], start), max(known[1], end))
            )
    for kind, by_day in spans.items():
        totals = defaultdict(float)
        for (key, _date), (start, end) in by_day.items():
            totals[key] += stats.minutes(end - start)
        for key, minutes in totals.items():
            row(kind, key, "").open_minutes = minutes


def _ratings(hall, first, last, rows, row) -> None:
    for service_id, counter_id, staff_id, score in Rating.objects.for_period(hall, first, last).values_list(
        "service_id", "counter_id", "staff_id", "score"
    ):
        row("service", service_id, "").ratings.add(score)
        if counter_id is not None:
            row("counter", counter_id, "").ratings.add(score)
        if staff_id is not None:
            row("staff", staff_id, "").ratings.add(score)


def citizen_key(id_hash: str, booking_id_hash: str | None, phone_hash: str) -> str:
    if id_hash or booking_id_hash:
        return "id:" + (id_hash or booking_id_hash)
    return "phone:" + phone_hash if phone_hash else ""


def _repeats(hall, first, last, row) -> None:
    visits = defaultdict(list)
    since = first - dt.timedelta(days=REPEAT_WINDOW_DAYS)
    for service_id, date, id_hash, booking_id_hash, phone_hash in (
        Ticket.objects.filter(hall=hall, date__gte=since, date__lte=last, state=TicketState.DONE)
        .order_by()
        .values_list("service_id", "date", "id_hash", "booking__id_hash", "phone_hash")
    ):
        visits[service_id].append((citizen_key(id_hash, booking_id_hash, phone_hash), date))
    # Each matter done of a ticket that carried several is a visit for its service too.
    for service_id, date, id_hash, booking_id_hash, phone_hash in (
        TicketMatter.objects.filter(
            ticket__hall=hall, ticket__date__gte=since, ticket__date__lte=last, state=MatterState.DONE
        )
        .order_by()
        .values_list(
            "service_id", "ticket__date", "ticket__id_hash", "ticket__booking__id_hash", "ticket__phone_hash"
        )
    ):
        visits[service_id].append((citizen_key(id_hash, booking_id_hash, phone_hash), date))
    for service_id, pairs in visits.items():
        citizens, repeaters = stats.repeat_visitors(pairs, first, last, REPEAT_WINDOW_DAYS)
        if citizens:
            found = row("service", service_id, "")
            found.repeat_citizens, found.repeaters = citizens, repeaters


def _hours(tickets) -> list[tuple[int, int, int]]:
    """Arrivals (tickets issued, not counting transfers) and tickets served, per local clock hour."""
    arrivals = Tally(t.issued_hour for t in tickets if t.transferred_from_id is None and not t.further)
    served = Tally(
        t.completed_hour for t in tickets if t.state == TicketState.DONE and t.completed_hour is not None
    )
    hours = set(arrivals) | set(served)
    if not hours:
        return []
    return [(h, arrivals[h], served[h]) for h in range(min(hours), max(hours) + 1)]


class _Names:
    """Labels of the rows: services and counters of the hall, staff by name; three queries in all."""

    def __init__(self, hall: Hall):
        self.services = list(hall.services.all())
        self.counters = list(hall.counters.all())
        self.service_order = {s.pk: n for n, s in enumerate(self.services)}
        self.counter_order = {c.pk: n for n, c in enumerate(self.counters)}

    def label(self, rows) -> None:
        services = {s.pk: str(s) for s in self.services}
        counters = {c.pk: str(c) for c in self.counters}
        users = get_user_model().objects.filter(pk__in=list(rows["staff"]))
        staff = {u.pk: u.get_full_name() or u.get_username() for u in users}
        for kind, labels in (("service", services), ("counter", counters), ("staff", staff)):
            for key, found in rows[kind].items():
                found.label = labels.get(key, "?")
