"""The live wait estimate's reads (issue 19): what the hall is doing now, gathered in a few queries for
forecast.live_estimate. See docs/simulation.md for how it was measured against simulated days.

`hall_now` reads it in three written-out statements besides the hall's hours (issue 20 item 7: the ten the
ORM built were most of a walk-in's and a check-in's CPU): the day's tickets that count (waiting, at a
window, finished lately, and the walk-ins so far), the hall's services with the open counters that call
them, and the bookings due (with their persons and further matters, and the waiting tickets of bookings that
take a counter longer) with the counts of those that came or missed. Every value is a parameter; only
constants (states, kinds) go into the text, so that the partial indexes of the waiting tickets serve them.
What the hall's past days teach (queueing/record.py) is read once per process, hall and day."""

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

from appointments.models import BookingState
from hall import calendar, rows
from hall.models import Hall
from queueing import forecast, hours, order, record, windows
from queueing.models import AT_COUNTER_STATES, TicketKind, TicketState
from queueing.record import LIKE_HISTORY, minute_of_day

RECENT = 10  # handling times per service that count as "what the hall is doing now"
LOOK_BACK = dt.timedelta(hours=3)
LOOK_AHEAD = dt.timedelta(hours=3)  # bookings and walk-ins expected to arrive within this time
RATE_OVER = dt.timedelta(hours=1)  # walk-ins are expected at the rate of this last stretch
FINISHED = record.FINISHED
NEWCOMER = -3_000_000  # the id of the walk-in taking a ticket now (the expected tickets are above)
CAME = record.CAME
FIRST_AT = 0.5  # the k-th newcomer of a kind comes when k - 1/2 are expected: rounded, not cut, so that ten
# services expected 0.6 times each in the next hour bring about six newcomers in it, not none

# Switches of what the hall's record and its bookings teach, measured by bench/simulate.py --before (issue
# 19 item 3; docs/simulation.md): all off is the estimate before.
ON_RECORD = False  # handling times pooled with those on record: measured, not kept (the median error grew)
PUNCTUAL = True  # bookings expected as they came on record, those later than anyone came missed
WORK = True  # several persons and further matters take a counter longer
MIXED = True  # a service's walk-ins per hour drawn toward the day's mix
ALIKE = True  # the record's belief that today is as busy, from how alike its days are

_minutes = record.minutes


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


# The hall's services, in their order, each with the open windows that call it (queueing.windows: an online
# room does not call the hall's tickets; a row per window, one with no window for a service none calls).
_SERVICES = (
    "SELECT s.id, s.average_handling_minutes, w.counter_id, w.calls_since_walk_in "  # noqa: S608
    f"FROM hall_service s LEFT OUTER JOIN ({windows.OPEN_WINDOWS}) w "
    "ON w.service_id = s.id AND w.hall_id = %s AND s.active "
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


# Today's bookings in one statement: those due to arrive (booked, their window begun or beginning within
# LOOK_AHEAD, or past, as they may still come late), a row per further matter; the waiting tickets of bookings
# checked in that take a counter longer (several persons, further matters), a row per further matter; and how
# many of the day's came and missed (a row per state, its count second).
_BOOKING = "FROM appointments_booking b INNER JOIN appointments_slot sl ON sl.id = b.slot_id "
_MATTERS = "LEFT OUTER JOIN appointments_bookingmatter m ON m.booking_id = b.id "
_OF_DAY = "WHERE sl.hall_id = %s AND sl.date = %s "
_BOOKINGS = (
    'SELECT b.id, b.service_id, sl.start, sl."end", b.green_channel, b.state, b.persons, '  # noqa: S608
    f"m.position, m.service_id, NULL {_BOOKING}{_MATTERS}{_OF_DAY}"
    f"AND b.state = '{BookingState.BOOKED}' AND sl.start <= %s "
    "UNION ALL SELECT b.id, t.service_id, NULL, NULL, NULL, b.state, b.persons, m.position, m.service_id, "
    "t.id "
    # The ticket's hall and day are the slot's (a booking checks in on its day, at its hall): said here so
    # that the plan reaches the hall's waiting tickets by ticket_waiting_line, not every hall's.
    f"{_BOOKING}INNER JOIN queueing_ticket t ON t.booking_id = b.id AND t.hall_id = sl.hall_id "
    f"AND t.date = sl.date {_MATTERS}{_OF_DAY}"
    f"AND b.state = '{BookingState.CHECKED_IN}' AND t.state = '{TicketState.WAITING}' "
    "AND (b.persons > 1 OR m.id IS NOT NULL) "
    f"UNION ALL SELECT NULL, COUNT(*), NULL, NULL, NULL, b.state, NULL, NULL, NULL, NULL {_BOOKING}{_OF_DAY}"
    f"AND b.state IN ({_listed([*CAME, BookingState.NO_SHOW])}) GROUP BY b.state"
)


@dataclass(frozen=True)
class Booked:
    """A booking not checked in yet, with what was reckoned of it at the read: `stays`, the chance that it
    still comes if it comes at all (from the check-ins on record later than its lateness now; without a
    record, 1 until its window ends; 0: missed), and `arrives`, when it comes if it does."""

    pk: int
    service_id: int
    start: dt.datetime
    end: dt.datetime
    green: bool
    work: forecast.Work  # its persons and further matters
    stays: float
    arrives: dt.datetime

    def joining(self, at: dt.datetime) -> order.Waiting:
        """The booking as a ticket joining the queue `at` (its id: minus the booking's)."""
        return order.Waiting(-self.pk, self.service_id, order.APPOINTMENT, at, self.start, self.green)


@dataclass(frozen=True)
class Bookings:
    """Today's bookings not checked in yet (in order of start and id) whose window began or begins within
    LOOK_AHEAD; how many of the day's bookings came and were missed so far, and on record; and the waiting
    tickets of bookings checked in that take a counter longer, by ticket."""

    booked: tuple[Booked, ...]
    came: int
    missed: int
    record_came: int = 0
    record_missed: int = 0
    tickets: dict[int, forecast.Work] = dataclasses.field(default_factory=dict)

    def arrivals(self, now: dt.datetime) -> list[order.Waiting]:
        """The bookings expected to join the queue, `now` being the read's. Each joins with the chance that
        it still comes given that it has not by now (`Booked.stays`) and the share of bookings that came,
        on record and today (with a few bookings' worth of "most people come"; today's later than anyone
        on record, or past their window without a record, missed), at its likeliest moment, in step: the
        k-th when k - 1/2 are expected (FIRST_AT). PUNCTUAL off: those in their window or before it, at its
        start, thinned by today's share alone, the k-th when k are expected."""
        if not PUNCTUAL:
            return self._on_time(now)
        came = self.came + self.record_came
        missed = self.missed + self.record_missed + sum(1 for b in self.booked if not b.stays)
        share = (came + 4) / (came + missed + 5)
        expected, weight = [], 0.0
        for b in self.booked:
            if not b.stays:
                continue
            weight += share * b.stays / (1 - share + share * b.stays)
            if weight >= len(expected) + FIRST_AT:
                expected.append(b.joining(b.arrives))
        return expected

    def _on_time(self, now: dt.datetime) -> list[order.Waiting]:
        share = (self.came + 4) / (self.came + self.missed + 5)
        expected, weight = [], 0.0
        for b in self.booked:
            if b.end <= now:
                continue
            weight += share
            if weight >= 1:
                weight -= 1
                expected.append(b.joining(max(now, b.start)))
        return expected

    def work(self) -> dict[int, forecast.Work]:
        """The tickets, waiting or expected (a booking: minus its id), that take a counter longer than one
        matter of one person (forecast.Work)."""
        found = dict(self.tickets)
        for b in self.booked:
            if b.stays and _longer(b.work):
                found[-b.pk] = b.work
        return found

    def checked_in(self, booking_id: int, ticket: order.Waiting) -> "Bookings":
        """As read after `ticket` was issued for `booking_id`: no longer due but one more that came, its
        persons and further matters the ticket's."""
        tickets = self.tickets
        for b in self.booked:
            if b.pk == booking_id and _longer(b.work):
                rest = _rest(b.work.after, ticket.service_id)
                tickets = {**tickets, ticket.id: forecast.Work(b.work.persons, rest)}
        booked = tuple(b for b in self.booked if b.pk != booking_id)
        return dataclasses.replace(self, booked=booked, came=self.came + 1, tickets=tickets)


def _longer(work: forecast.Work) -> bool:
    return work.persons > 1 or bool(work.after)


def _rest(after: tuple[int, ...], current: int) -> tuple[int, ...]:
    """The further matters after the one a ticket waits for (its service)."""
    return after[after.index(current) + 1 :] if current in after else after


def bookings_due(hall: Hall, date: dt.date, now: dt.datetime) -> Bookings:
    """Today's bookings as the estimate reads them (`_BOOKINGS`), reckoned with the hall's punctuality on
    record (record.Punctuality). A booking checked in more than LOOK_AHEAD before its window (a hall's
    early check-in longer than that) joins a kept read without its persons and further matters."""
    law = record.record(hall, date).punctuality
    booked, matters, tickets, counts = {}, {}, {}, {}
    times = _times_converter()
    for pk, service_id, start, end, green, state, persons, position, matter, ticket in rows.fetch(
        _BOOKINGS, [hall.pk, date, now + LOOK_AHEAD, hall.pk, date, hall.pk, date]
    ):
        if pk is None:
            counts[state] = service_id  # the count
            continue
        if matter is not None:
            matters.setdefault(pk, {})[position] = matter
        if ticket is not None:
            tickets[ticket] = (pk, service_id, persons)
        elif pk not in booked:
            if times is not None:
                start, end = times(start, None, connection), times(end, None, connection)
            booked[pk] = (service_id, start, end, bool(green), persons)
    after = {pk: tuple(m for _position, m in sorted(of.items())) for pk, of in matters.items()}
    due = []
    for pk, (service_id, start, end, green, persons) in sorted(booked.items(), key=lambda b: (b[1][1], b[0])):
        stays, arrives = float(end > now), max(now, start)  # without a record: on time, until its window ends
        if law.offsets:
            stays, middle = law.still(_minutes(now - start))
            arrives = max(now, start + dt.timedelta(minutes=middle))
        work = forecast.Work(persons, after.get(pk, ()))
        due.append(Booked(pk, service_id, start, end, green, work, stays, arrives))
    waiting = {
        ticket: forecast.Work(persons, _rest(after.get(pk, ()), current))
        for ticket, (pk, current, persons) in tickets.items()
    }
    came, missed = sum(counts.get(s, 0) for s in CAME), counts.get(BookingState.NO_SHOW, 0)
    return Bookings(tuple(due), came, missed, law.came, law.missed, waiting)


def arriving(hall: Hall, date: dt.date, now: dt.datetime) -> list[order.Waiting]:
    """Booked appointments not checked in yet expected to join the queue (`Bookings.arrivals`)."""
    return bookings_due(hall, date, now).arrivals(now)


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
    work: dict[int, forecast.Work] = dataclasses.field(default_factory=dict)  # Bookings.work (WORK on)

    def estimate(self, ticket_id: int) -> forecast.Estimate:
        return forecast.live_estimate(
            ticket_id,
            self.waiting,
            counters=self.counters,
            handling=self.handling,
            now=self.now,
            arriving=self.arriving,
            appointments_per_walk_in=self.per_walk_in,
            work=self.work,
        )

    def joined_by(self, newcomer: order.Waiting, booking_id: int | None = None) -> "Snapshot":
        """The hall with `newcomer`, a ticket issued since this read, waiting too, as a read after it would
        show the hall at this moment: checked in for `booking_id`, that booking no longer due to arrive but
        one more that came, its persons and further matters the ticket's; a walk-in, one more of the day's
        walk-ins so far (issue 20 item 7: a ticket's issue need not read the hall again)."""
        waiting = [*self.waiting, newcomer]
        if self.coming is None:  # read without it: the booking leaves the arrivals, nothing else changes
            arriving = [w for w in self.arriving if booking_id is None or w.id != -booking_id]
            work = {pk: w for pk, w in self.work.items() if booking_id is None or pk != -booking_id}
            return dataclasses.replace(self, waiting=waiting, arriving=arriving, work=work)
        bookings, walk_ins = self.coming.bookings, self.coming.walk_ins
        if booking_id is not None:
            bookings = bookings.checked_in(booking_id, newcomer)
        if walk_ins is not None and newcomer.kind == order.WALK_IN and not newcomer.transferred:
            walk_ins = walk_ins.joined(newcomer.service_id)
        coming = Coming(bookings, walk_ins)
        return dataclasses.replace(
            self, waiting=waiting, arriving=coming.arrivals(self.now), coming=coming, work=_work(bookings)
        )


def _work(bookings: Bookings) -> dict[int, forecast.Work]:
    return bookings.work() if WORK else {}


@dataclass(frozen=True)
class WalkIns:
    """What the walk-ins expected before the door closes are reckoned from (`walking_in`): the hall's
    history of the weekday (`days` 0: none, the last hour's rate instead), and the day's walk-ins so far."""

    tz: zoneinfo.ZoneInfo
    horizon: dt.datetime  # the door's closing, or LOOK_AHEAD from the read
    days: int
    per_hour: dict[int, dict[int, float]]  # record.WalkInHistory's `mixed` (MIXED on) or `per_hour`
    by_now: float  # walk-ins a day of the history had by the read's time of day
    open_minutes: dict[int, float]
    so_far: int = 0  # the day's walk-ins so far (with a history)
    last_hour: tuple[int, ...] = ()  # the services of the last hour's walk-ins (without one)
    like: float = LIKE_HISTORY  # walk-ins' worth of belief that today is as busy as the history (ALIKE on)

    def joined(self, service_id: int) -> "WalkIns":
        return dataclasses.replace(self, so_far=self.so_far + 1, last_hour=(*self.last_hour, service_id))

    def expected(self, now: dt.datetime) -> list[order.Waiting]:
        if not self.days:
            return self._at_last_hours_rate(now)
        scale = (self.so_far + self.like) / (self.by_now + self.like)
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
    history = record.walk_in_history(hall, date)
    if not history.days:
        return WalkIns(hall.tz, min(closing, now + LOOK_AHEAD), 0, {}, 0.0, {})
    local = now.astimezone(hall.tz)
    return WalkIns(
        hall.tz,
        min(closing, now + LOOK_AHEAD),
        history.days,
        history.mixed if MIXED else history.per_hour,
        history.by(minute_of_day(local)),
        _open_minutes(hours.stretches(schedule, date), hall),
        like=history.like if ALIKE else LIKE_HISTORY,
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
    From the hall's history of the same weekday (record.walk_in_history), per service and clock hour,
    scaled by today's walk-ins so far against the history's by the same time; without a history, at each
    service's rate of the last hour. Each service's k-th newcomer comes when k - 1/2 of them are expected
    (FIRST_AT). `schedule`: the hall's (hours.schedule_from), when the caller has read it already."""
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
    if ON_RECORD:
        handling = with_record(hall, date, handling)
    counters = _counters(services, found["at_counter"], now, handling)
    coming = Coming(bookings_due(hall, date, now), _counted(basis, found))
    queue = _waiting(found["waiting"]) if waiting is None else waiting
    arriving = coming.arrivals(now)
    return Snapshot(queue, counters, handling, arriving, now, per_walk_in, coming, _work(coming.bookings))


def with_record(
    hall: Hall, date: dt.date, handling: dict[int, forecast.Handling]
) -> dict[int, forecast.Handling]:
    """Today's handling per service pooled with its times on record (forecast.pooled)."""
    on_record = record.record(hall, date).handling
    return {pk: forecast.pooled(today, on_record.get(pk)) for pk, today in handling.items()}


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
