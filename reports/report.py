"""The supervisor's report for a hall and a range of days: a fixed number of queries whatever the size
of the hall, then plain arithmetic in reports.stats. The rows come from reports.rows, the figures they make
are reports.figures; definitions of each figure are in stats.py and docs/reports.md."""

import datetime as dt
from collections import Counter as Tally
from collections import defaultdict
from itertools import chain

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Max, Min, OuterRef, Q

from appointments.models import Booking, BookingState, Slot
from hall import calendar
from hall.models import Hall
from queueing.models import (
    ClosingOutcome,
    MatterState,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketMatter,
    TicketState,
)
from reports import stats, workdays
from reports.figures import Report, Row
from reports.models import Rating, ReportSettings
from reports.rows import handling_of, ticket_rows, wait_of

REPEAT_WINDOW_DAYS = 30
# How far back a day's report looks for the previous day the hall was open (a long holiday is 9 days).
OPEN_DAY_LOOKBACK = 31


def settings_for(hall: Hall) -> ReportSettings:
    try:
        return hall.report_settings
    except ReportSettings.DoesNotExist:
        return ReportSettings(hall=hall)


def previous_period(
    first: dt.date, last: dt.date, schedule: calendar.Schedule | None = None
) -> tuple[dt.date, dt.date]:
    """What a report compares with. A single day: the previous day the hall was open by its calendar
    (a Monday's report compares with Saturday or Friday, not the closed Sunday), else the day before when
    the calendar has no open day in the last OPEN_DAY_LOOKBACK days. A range: the same number of days
    just before it."""
    if first == last and schedule is not None:
        day = workdays.previous_working_day(schedule, first, OPEN_DAY_LOOKBACK)
        if day is not None:
            return day, day
    length = (last - first).days + 1
    return first - dt.timedelta(days=length), first - dt.timedelta(days=1)


def build(hall: Hall, first: dt.date, last: dt.date, *, compare: bool = True) -> Report:
    """The full report, with the previous open day (for a day) or the previous period of equal length (for
    a range) for comparison."""
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
        day.add(t, wait, handling, visits=True)
        # A service counts every ticket or matter queued for it: a citizen transferred to it arrives in
        # its queue (and is served there), so that a service never serves more than were issued to it.
        service_row = row("service", t.service_id, "")
        service_row.issued += 1
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
        schedule = hall.schedule() if first == last else None
        report.previous = _headline(hall, *previous_period(first, last, schedule), target)
    return report


def _headline(hall: Hall, first: dt.date, last: dt.date, target: int) -> Report:
    tickets = ticket_rows(hall, first, last)
    total = Row(target=target)
    report = Report(hall=hall, first=first, last=last, target=target, total=total)
    report.measured = [(t, wait_of(t), handling_of(t)) for t in tickets]
    for t, wait, handling in report.measured:
        total.add(t, wait, handling, visits=True)
        report.tickets_cancelled += t.state == TicketState.CANCELLED
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


def _visits(hall, since: dt.date, last: dt.date):
    """(service, date, id hash, booking's id hash, phone hash) of each visit done: every ticket done, and
    each matter done of a ticket that carried several (a visit for its own service too)."""
    tickets = (
        Ticket.objects.filter(hall=hall, date__gte=since, date__lte=last, state=TicketState.DONE)
        .order_by()
        .values_list("service_id", "date", "id_hash", "booking__id_hash", "phone_hash")
    )
    matters = (
        TicketMatter.objects.filter(
            ticket__hall=hall, ticket__date__gte=since, ticket__date__lte=last, state=MatterState.DONE
        )
        .order_by()
        .values_list(
            "service_id", "ticket__date", "ticket__id_hash", "ticket__booking__id_hash", "ticket__phone_hash"
        )
    )
    return chain(tickets, matters)


def _repeats(hall, first, last, row) -> None:
    visits = defaultdict(list)
    since = first - dt.timedelta(days=REPEAT_WINDOW_DAYS)
    for service_id, date, id_hash, booking_id_hash, phone_hash in _visits(hall, since, last):
        visits[service_id].append((citizen_key(id_hash, booking_id_hash, phone_hash), date))
    for service_id, pairs in visits.items():
        citizens, repeaters = stats.repeat_visitors(pairs, first, last, REPEAT_WINDOW_DAYS)
        if citizens:
            found = row("service", service_id, "")
            found.repeat_citizens, found.repeaters = citizens, repeaters


def _hours(tickets) -> list[tuple[int, int, int]]:
    """Arrivals (visits: tickets issued, not counting transfers) and visits served, per local clock hour (a
    visit of several matters by the end of its first)."""
    arrivals = Tally(t.issued_hour for t in tickets if t.transferred_from_id is None and not t.further)
    served = Tally(
        t.completed_hour
        for t in tickets
        if t.state == TicketState.DONE and t.completed_hour is not None and not t.further
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
