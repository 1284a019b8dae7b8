"""The live wait estimate's reads (issue 19): what the hall is doing now, gathered in a few queries for
forecast.live_estimate. See docs/simulation.md for how it was measured against simulated days.

`hall_now` reads it in three written-out statements besides the hall's hours (issue 20 item 7: the ten the
ORM built were most of a walk-in's and a check-in's CPU): the day's tickets that count (waiting, at a
window, finished lately, and the walk-ins so far), the hall's services with the open counters that call
them, and the bookings due with the counts of those that came or missed. Every value is a parameter; only
constants (states, kinds) go into the text, so that the partial indexes of the waiting tickets serve them."""

import bisect
import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from appointments.models import BookingState
from hall import cache, calendar, rows
from hall.models import Hall
from queueing import forecast, hours, order
from queueing.models import AT_COUNTER_STATES, CounterState, Ticket, TicketKind, TicketState

RECENT = 10  # handling times per service that count as "what the hall is doing now"
LOOK_BACK = dt.timedelta(hours=3)
LOOK_AHEAD = dt.timedelta(hours=3)  # bookings and walk-ins expected to arrive within this time
RATE_OVER = dt.timedelta(hours=1)  # walk-ins are expected at the rate of this last stretch
FINISHED = (TicketState.DONE, TicketState.TRANSFERRED)
NEWCOMER = -3_000_000  # the id of the walk-in taking a ticket now (the expected tickets are above)
CAME = (BookingState.CHECKED_IN, BookingState.SERVED)


def _minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


def _listed(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


# The day's tickets that the estimate reads, in one statement of the parts asked for (`_tickets`); every
# part has the same columns, a count where a part counts.
_COLUMNS = (
    "id, service_id, kind, issued_at, booked_start, green_channel, transferred_from_id, requeued_at, "
    "counter_id, called_at, completed_at"
)
_DAY = "FROM queueing_ticket WHERE hall_id = %s AND date = %s"
_WALK_INS = f"kind = '{TicketKind.WALK_IN}' AND transferred_from_id IS NULL"
_PARTS = {
    "waiting": f"SELECT 'waiting', {_COLUMNS} {_DAY} AND state = '{TicketState.WAITING}'",
    "at_counter": f"SELECT 'at_counter', {_COLUMNS} {_DAY} AND state IN ({_listed(AT_COUNTER_STATES)}) "
    "AND counter_id IS NOT NULL AND called_at IS NOT NULL",
    "finished": f"SELECT 'finished', {_COLUMNS} {_DAY} AND state IN ({_listed(FINISHED)}) "
    "AND completed_at >= %s AND completed_at <= %s AND called_at IS NOT NULL",
    "last_hour": f"SELECT 'last_hour', {_COLUMNS} {_DAY} AND {_WALK_INS} "
    "AND issued_at > %s AND issued_at <= %s",
    # last: its NULLs take the types of the parts before it
    "so_far": f"SELECT 'so_far', COUNT(*), {', '.join(['NULL'] * 10)} {_DAY} AND {_WALK_INS} "
    "AND issued_at <= %s",
}


def _tickets(hall: Hall, date: dt.date, now: dt.datetime, parts: Sequence[str]) -> dict[str, list[tuple]]:
    """The rows of each of `parts` (of _PARTS, in that order), without their part's name."""
    extra = {
        "finished": [now - LOOK_BACK, now],
        "last_hour": [now - RATE_OVER, now],
        "so_far": [now],
    }
    asked = [part for part in _PARTS if part in parts]
    sql = " UNION ALL ".join(_PARTS[part] for part in asked)
    found: dict[str, list[tuple]] = {part: [] for part in asked}
    times = _times_converter()
    for row in rows.fetch(sql, [v for part in asked for v in [hall.pk, date, *extra.get(part, [])]]):
        if times is not None and row[0] != "so_far":
            row = [
                times(v, None, connection) if n in _TIMES and v is not None else v for n, v in enumerate(row)
            ]
        found[row[0]].append(tuple(row[1:]))
    return found


# issued_at, booked_start, called_at and completed_at in a row of _PARTS (its part first); requeued_at (8) is
# only asked whether it is set
_TIMES = (4, 5, 10, 11)


def _times_converter():
    """SQLite gives times as text, to be read as the ORM reads them; PostgreSQL gives them ready (None)."""
    return getattr(connection.ops, "convert_datetimefield_value", None)


def _waiting(found: list[tuple]) -> list[order.Waiting]:
    """The waiting tickets as heads.item makes them, in the order of issue (as heads.waiting_items)."""
    items = [
        order.Waiting(
            id=pk,
            service_id=service_id,
            kind=kind,
            issued_at=issued,
            booked_start=booked,
            green=bool(green),
            transferred=transferred_from is not None or requeued is not None,
        )
        for pk, service_id, kind, issued, booked, green, transferred_from, requeued, *_rest in found
    ]
    return sorted(items, key=lambda w: (w.issued_at, w.id))


# The hall's services, in their order, each with the open counters that call it (a row per counter; one
# row with no counter for a service no open counter calls).
_SERVICES = (
    "SELECT s.id, s.average_handling_minutes, oc.counter_id, oc.calls_since_walk_in "  # noqa: S608
    "FROM hall_service s "
    "LEFT OUTER JOIN (SELECT l.counter_id, l.service_id, cs.calls_since_walk_in "
    "FROM hall_counter_services l INNER JOIN hall_counter c ON c.id = l.counter_id "
    "INNER JOIN queueing_countersession cs ON cs.counter_id = c.id "
    f"WHERE c.hall_id = %s AND c.active AND cs.state = '{CounterState.OPEN}') oc "
    "ON oc.service_id = s.id AND s.active "
    "WHERE s.hall_id = %s ORDER BY s.position, s.id"
)


def _services(hall: Hall) -> list[tuple]:
    return rows.fetch(_SERVICES, [hall.pk, hall.pk])


def _handling(finished: list[tuple], services: list[tuple]) -> dict[int, forecast.Handling]:
    """Each service's recent handling times (from the call to the end: the time a counter is taken),
    weighed with its configured average."""
    latest = sorted(((row[1], row[9], row[10]) for row in finished), key=lambda r: r[2], reverse=True)
    recent: dict[int, list[float]] = {}
    for service_id, called, completed in latest:
        times = recent.setdefault(service_id, [])
        if len(times) < RECENT:
            times.append(_minutes(completed - called))
    configured = dict(row[:2] for row in services)
    return {pk: forecast.handling_from(recent.get(pk, []), average) for pk, average in configured.items()}


def recent_handling(hall: Hall, date: dt.date, now: dt.datetime) -> dict[int, forecast.Handling]:
    """Each service's recent handling times, weighed with its configured average (`_handling`)."""
    return _handling(_tickets(hall, date, now, ["finished"])["finished"], _services(hall))


def _counters(
    services: list[tuple], at_counter: list[tuple], now: dt.datetime, handling: dict[int, forecast.Handling]
) -> list[forecast.OpenCounter]:
    """The counters open now, each with its services in its order of preference and the time left of the
    ticket it has."""
    calls: dict[int, list[int]] = {}
    streaks: dict[int, int] = {}
    for service_id, _average, counter_id, streak in services:
        if counter_id is not None:
            calls.setdefault(counter_id, []).append(service_id)
            streaks[counter_id] = streak
    busy = {
        row[8]: (_minutes(now - row[9]), row[1]) for row in at_counter if row[8] in calls
    }  # counter -> (minutes at it, service) of the ticket at the counter
    result = []
    for pk in sorted(calls):
        elapsed, serving = busy.get(pk, (None, None))
        left = 0.0
        if elapsed is not None:
            left = forecast.time_left(elapsed, forecast.handling_of(handling, serving))
        result.append(forecast.OpenCounter(tuple(calls[pk]), left, streaks[pk] or 0, elapsed, serving))
    return result


def open_counters(
    hall: Hall, date: dt.date, now: dt.datetime, handling: dict[int, forecast.Handling]
) -> list[forecast.OpenCounter]:
    """The counters open now, each with its services in its order of preference and the time left of the
    ticket it has (`_counters`)."""
    return _counters(_services(hall), _tickets(hall, date, now, ["at_counter"])["at_counter"], now, handling)


# The bookings due to arrive (booked, their window begun or beginning within LOOK_AHEAD), and how many of the
# day's came and missed (a row per state, its count second).
_BOOKINGS = (
    "SELECT b.id, b.service_id, sl.start, b.green_channel, b.state "  # noqa: S608 (constants only)
    "FROM appointments_booking b "
    "INNER JOIN appointments_slot sl ON sl.id = b.slot_id WHERE sl.hall_id = %s AND sl.date = %s "
    f"AND b.state = '{BookingState.BOOKED}' AND sl.start <= %s AND sl.\"end\" > %s "
    "UNION ALL SELECT NULL, COUNT(*), NULL, NULL, b.state FROM appointments_booking b "
    "INNER JOIN appointments_slot sl ON sl.id = b.slot_id WHERE sl.hall_id = %s AND sl.date = %s "
    f"AND b.state IN ({_listed([*CAME, BookingState.NO_SHOW])}) GROUP BY b.state"
)


@dataclass(frozen=True)
class Bookings:
    """The bookings due to arrive, (booking, service, window's start, green channel) in order of start and
    id, and how many of the day's bookings came and were missed so far."""

    due: tuple[tuple[int, int, dt.datetime, bool], ...]
    came: int
    missed: int

    def arrivals(self, now: dt.datetime) -> list[order.Waiting]:
        """The bookings due as tickets joining the queue at their window's start; thinned by today's share
        of bookings that came."""
        share = (self.came + 4) / (self.came + self.missed + 5)  # a few bookings' worth of "most people come"
        expected, weight = [], 0.0
        for pk, service_id, start, green in self.due:
            weight += share
            if weight >= 1:
                weight -= 1
                arrives = max(now, start)
                expected.append(order.Waiting(-pk, service_id, order.APPOINTMENT, arrives, start, green))
        return expected

    def checked_in(self, booking_id: int) -> "Bookings":
        return Bookings(tuple(d for d in self.due if d[0] != booking_id), self.came + 1, self.missed)


def _bookings(hall: Hall, date: dt.date, now: dt.datetime) -> Bookings:
    due, counts = [], {}
    times = _times_converter()
    for pk, service_id, start, green, state in rows.fetch(
        _BOOKINGS, [hall.pk, date, now + LOOK_AHEAD, now, hall.pk, date]
    ):
        if pk is None:
            counts[state] = service_id  # the count
        else:
            due.append((pk, service_id, times(start, None, connection) if times else start, bool(green)))
    due.sort(key=lambda d: (d[2], d[0]))
    return Bookings(tuple(due), sum(counts.get(s, 0) for s in CAME), counts.get(BookingState.NO_SHOW, 0))


def arriving(hall: Hall, date: dt.date, now: dt.datetime) -> list[order.Waiting]:
    """Booked appointments not checked in yet whose window begins within LOOK_AHEAD (or has begun), as
    tickets joining the queue at their window's start; thinned by today's share of bookings that came."""
    return _bookings(hall, date, now).arrivals(now)


@dataclass(frozen=True)
class Coming:
    """What the arrivals expected (`Snapshot.arriving`) are reckoned from: kept with the snapshot, so that a
    ticket issued since the read joins it as a read after the ticket would show the hall
    (`Snapshot.joined_by`)."""

    bookings: Bookings
    walk_ins: "WalkIns | None"  # None: none expected (the hall is closed)

    def arrivals(self, now: dt.datetime) -> list[order.Waiting]:
        return self.bookings.arrivals(now) + (self.walk_ins.expected(now) if self.walk_ins else [])


@dataclass(frozen=True)
class Snapshot:
    """The hall now, read once, for the estimates of any of its waiting tickets."""

    waiting: list[order.Waiting]
    counters: list[forecast.OpenCounter]
    handling: dict[int, forecast.Handling]
    arriving: list[order.Waiting]
    now: dt.datetime
    per_walk_in: int
    coming: Coming | None = None  # what `arriving` was reckoned from

    def estimate(self, ticket_id: int) -> forecast.Estimate:
        return forecast.live_estimate(
            ticket_id,
            self.waiting,
            counters=self.counters,
            handling=self.handling,
            now=self.now,
            arriving=self.arriving,
            appointments_per_walk_in=self.per_walk_in,
        )

    def joined_by(self, newcomer: order.Waiting, booking_id: int | None = None) -> "Snapshot":
        """The hall with `newcomer`, a ticket issued since this read, waiting too, as a read after it would
        show the hall at this moment: checked in for `booking_id`, that booking no longer due to arrive but
        one more that came; a walk-in, one more of the day's walk-ins so far (issue 20 item 7: a ticket's
        issue need not read the hall again)."""
        waiting = [*self.waiting, newcomer]
        if self.coming is None:  # read without it: the booking leaves the arrivals, nothing else changes
            arriving = [w for w in self.arriving if booking_id is None or w.id != -booking_id]
            return dataclasses.replace(self, waiting=waiting, arriving=arriving)
        bookings, walk_ins = self.coming.bookings, self.coming.walk_ins
        if booking_id is not None:
            bookings = bookings.checked_in(booking_id)
        if walk_ins is not None and newcomer.kind == order.WALK_IN and not newcomer.transferred:
            walk_ins = walk_ins.joined(newcomer.service_id)
        coming = Coming(bookings, walk_ins)
        return dataclasses.replace(self, waiting=waiting, arriving=coming.arrivals(self.now), coming=coming)


HISTORY_WEEKS = 8  # walk-ins are expected per clock hour as on the same weekday in these weeks before
HISTORY_KEPT = 6 * 3600  # seconds a process keeps a hall's history of a day (read once per hall and day)
LIKE_HISTORY = 5  # walk-ins' worth of belief that today is as busy as the history, before today has shown it
FIRST_AT = 0.5  # a service's k-th newcomer comes when k - 1/2 are expected: rounded, not cut, so that ten
# services expected 0.6 times each in the next hour bring about six newcomers in it, not none


@dataclass(frozen=True)
class WalkInHistory:
    """The hall's walk-ins on the same weekday in the HISTORY_WEEKS weeks before a date: on how many days
    (those with walk-ins), per service and local clock hour in all, and the minute of the day of each."""

    days: int
    per_hour: dict[int, dict[int, int]]  # service -> hour -> walk-ins over the days
    minutes: tuple[float, ...]  # sorted, every service

    def by(self, minute: float) -> float:
        """Walk-ins a day on record had by this minute of the day, on average."""
        return bisect.bisect_right(self.minutes, minute) / self.days if self.days else 0.0


def walk_in_history(hall: Hall, date: dt.date) -> WalkInHistory:
    """The hall's walk-in history for `date`, read once per process, hall and day (the hot path of the
    ticket page reads it at every estimate)."""
    key = f"walkinhistory:{hall.pk}:{date.isoformat()}"
    return cache.remembered(key, HISTORY_KEPT, lambda: _read_history(hall, date))


def _read_history(hall: Hall, date: dt.date) -> WalkInHistory:
    dates = [date - dt.timedelta(weeks=n) for n in range(1, HISTORY_WEEKS + 1)]
    rows_ = Ticket.objects.filter(
        hall=hall, date__in=dates, kind=TicketKind.WALK_IN, transferred_from=None
    ).values_list("date", "service_id", "issued_at")
    days, per_hour, minutes = set(), {}, []
    for day, service_id, issued in rows_:
        local = issued.astimezone(hall.tz)
        days.add(day)
        hours_of = per_hour.setdefault(service_id, {})
        hours_of[local.hour] = hours_of.get(local.hour, 0) + 1
        minutes.append(_minute_of_day(local))
    return WalkInHistory(len(days), per_hour, tuple(sorted(minutes)))


def _minute_of_day(moment: dt.datetime) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


@dataclass(frozen=True)
class WalkIns:
    """What the walk-ins expected before the door closes are reckoned from (`walking_in`): the hall's
    history of the weekday (`days` 0: none, the last hour's rate instead), and the day's walk-ins so far."""

    tz: zoneinfo.ZoneInfo
    horizon: dt.datetime  # the door's closing, or LOOK_AHEAD from the read
    days: int
    per_hour: dict[int, dict[int, int]]
    by_now: float  # walk-ins a day of the history had by the read's time of day
    open_minutes: dict[int, float]
    so_far: int = 0  # the day's walk-ins so far (with a history)
    last_hour: tuple[int, ...] = ()  # the services of the last hour's walk-ins (without one)

    def joined(self, service_id: int) -> "WalkIns":
        return dataclasses.replace(self, so_far=self.so_far + 1, last_hour=(*self.last_hour, service_id))

    def expected(self, now: dt.datetime) -> list[order.Waiting]:
        if not self.days:
            return self._at_last_hours_rate(now)
        scale = (self.so_far + LIKE_HISTORY) / (self.by_now + LIKE_HISTORY)
        expected = []
        for service_id, per_hour in sorted(self.per_hour.items()):
            due, moment = FIRST_AT, now
            while moment < self.horizon:
                hour = moment.astimezone(self.tz).replace(minute=0, second=0, microsecond=0)
                end = min(self.horizon, hour + dt.timedelta(hours=1))
                rate = scale * per_hour.get(hour.hour, 0) / self.days / self.open_minutes.get(hour.hour, 60)
                while rate > 0 and moment + dt.timedelta(minutes=due / rate) < end:
                    moment += dt.timedelta(minutes=due / rate)
                    expected.append(
                        order.Waiting(-1_000_000 - len(expected), service_id, order.WALK_IN, moment)
                    )
                    due = 1.0
                due -= rate * _minutes(end - moment)
                moment = end
        return expected

    def _at_last_hours_rate(self, now: dt.datetime) -> list[order.Waiting]:
        """Walk-ins expected at each service's rate of the last hour (a hall without a history)."""
        rates: dict[int, int] = {}
        for service_id in self.last_hour:
            rates[service_id] = rates.get(service_id, 0) + 1
        expected = []
        for service_id, count in sorted(rates.items()):
            gap = RATE_OVER / count
            moment = now + gap
            while moment < self.horizon:
                expected.append(order.Waiting(-1_000_000 - len(expected), service_id, order.WALK_IN, moment))
                moment += gap
        return expected


def _walk_ins_basis(
    hall: Hall, date: dt.date, now: dt.datetime, schedule: calendar.Schedule
) -> WalkIns | None:
    """WalkIns without the day's walk-ins so far (`_walk_ins_part` says which part of `_tickets` counts
    them); None while the hall is closed."""
    closing = hours.door(schedule, now).closing
    if closing is None:
        return None
    history = walk_in_history(hall, date)
    if not history.days:
        return WalkIns(hall.tz, min(closing, now + LOOK_AHEAD), 0, {}, 0.0, {})
    local = now.astimezone(hall.tz)
    return WalkIns(
        hall.tz,
        min(closing, now + LOOK_AHEAD),
        history.days,
        history.per_hour,
        history.by(_minute_of_day(local)),
        _open_minutes(hours.stretches(schedule, date), hall),
    )


def _walk_ins_part(basis: WalkIns | None) -> list[str]:
    if basis is None:
        return []
    return ["so_far"] if basis.days else ["last_hour"]


def _counted(basis: WalkIns | None, found: dict[str, list[tuple]]) -> WalkIns | None:
    if basis is None:
        return None
    if basis.days:
        return dataclasses.replace(basis, so_far=found["so_far"][0][0])
    return dataclasses.replace(basis, last_hour=tuple(row[1] for row in found["last_hour"]))


def walking_in(
    hall: Hall, date: dt.date, now: dt.datetime, schedule: calendar.Schedule | None = None
) -> list[order.Waiting]:
    """Walk-ins expected before the door closes (within LOOK_AHEAD): a counter that prefers another service
    calls those newcomers before an older ticket of its later service, so they lengthen that ticket's wait.
    From the hall's history of the same weekday (walk_in_history), per service and clock hour, scaled by
    today's walk-ins so far against the history's by the same time; without a history, at each service's
    rate of the last hour. Each service's k-th newcomer comes when k - 1/2 of them are expected (FIRST_AT).
    `schedule`: the hall's (hours.schedule_from), when the caller has read it already."""
    basis = _walk_ins_basis(hall, date, now, schedule or hours.schedule_from(hall, date))
    if basis is None:
        return []
    return _counted(basis, _tickets(hall, date, now, _walk_ins_part(basis))).expected(now)


def _open_minutes(stretches: list[tuple[dt.datetime, dt.datetime]], hall: Hall) -> dict[int, float]:
    """Minutes the hall is open in each local clock hour of the day."""
    result: dict[int, float] = {}
    for start, end in stretches:
        moment = start
        while moment < end:
            hour = moment.astimezone(hall.tz).replace(minute=0, second=0, microsecond=0)
            upto = min(end, hour + dt.timedelta(hours=1))
            result[hour.hour] = result.get(hour.hour, 0) + _minutes(upto - moment)
            moment = upto
    return result


def snapshot(
    hall: Hall,
    date: dt.date,
    now: dt.datetime,
    waiting: list[order.Waiting] | None,
    per_walk_in: int,
    schedule: calendar.Schedule | None = None,
) -> Snapshot:
    """The hall now, with `waiting` as its queue (None: read it too)."""
    basis = _walk_ins_basis(hall, date, now, schedule or hours.schedule_from(hall, date))
    parts = ["at_counter", "finished", *_walk_ins_part(basis)]
    found = _tickets(hall, date, now, parts if waiting is not None else ["waiting", *parts])
    services = _services(hall)
    handling = _handling(found["finished"], services)
    counters = _counters(services, found["at_counter"], now, handling)
    coming = Coming(_bookings(hall, date, now), _counted(basis, found))
    queue = _waiting(found["waiting"]) if waiting is None else waiting
    return Snapshot(queue, counters, handling, coming.arrivals(now), now, per_walk_in, coming)


def hall_now(
    hall: Hall, date: dt.date, now: dt.datetime, per_walk_in: int, schedule: calendar.Schedule | None = None
) -> Snapshot:
    """The snapshot with the whole queue read: what a walk-in's estimate needs."""
    return snapshot(hall, date, now, None, per_walk_in, schedule)


def walk_in_estimate(snapshot: Snapshot, service_id: int) -> forecast.Estimate:
    """The wait of a walk-in ticket of the service issued at the snapshot's moment: one more ticket at the
    end of the service's walk-in line, played forward with everyone else. The hall's "Waiting now" shows
    it, and the walk-in cut-off by estimate (queueing.hours) stops tickets by it."""
    newcomer = order.Waiting(NEWCOMER, service_id, order.WALK_IN, snapshot.now)
    return dataclasses.replace(snapshot, waiting=[*snapshot.waiting, newcomer]).estimate(NEWCOMER)
