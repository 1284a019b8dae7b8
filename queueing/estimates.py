"""The live wait estimate's reads (issue 19): what the hall is doing now, gathered in a few queries for
forecast.live_estimate. See docs/simulation.md for how it was measured against simulated days."""

import bisect
import dataclasses
import datetime as dt
from dataclasses import dataclass

from appointments.models import Booking, BookingState
from hall import cache, calendar
from hall.models import Counter, Hall, Service
from queueing import forecast, hours, order
from queueing.heads import waiting_items
from queueing.models import AT_COUNTER_STATES, CounterState, Ticket, TicketKind, TicketState

RECENT = 10  # handling times per service that count as "what the hall is doing now"
LOOK_BACK = dt.timedelta(hours=3)
LOOK_AHEAD = dt.timedelta(hours=3)  # bookings and walk-ins expected to arrive within this time
RATE_OVER = dt.timedelta(hours=1)  # walk-ins are expected at the rate of this last stretch
FINISHED = (TicketState.DONE, TicketState.TRANSFERRED)
NEWCOMER = -3_000_000  # the id of the walk-in taking a ticket now (the expected tickets are above)


def _minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


def recent_handling(hall: Hall, date: dt.date, now: dt.datetime) -> dict[int, forecast.Handling]:
    """Each service's recent handling times (from the call to the end: the time a counter is taken),
    weighed with its configured average."""
    rows = (
        Ticket.objects.today(hall, date)
        .filter(state__in=FINISHED, completed_at__gte=now - LOOK_BACK, completed_at__lte=now)
        .exclude(called_at=None)
        .order_by("-completed_at")
        .values_list("service_id", "called_at", "completed_at")
    )
    recent: dict[int, list[float]] = {}
    for service_id, called, completed in rows:
        times = recent.setdefault(service_id, [])
        if len(times) < RECENT:
            times.append(_minutes(completed - called))
    configured = Service.objects.filter(hall=hall).values_list("pk", "average_handling_minutes")
    return {pk: forecast.handling_from(recent.get(pk, []), average) for pk, average in configured}


def open_counters(
    hall: Hall, date: dt.date, now: dt.datetime, handling: dict[int, forecast.Handling]
) -> list[forecast.OpenCounter]:
    """The counters open now, each with its services in its order of preference and the time left of the
    ticket it has."""
    sessions = dict(
        Counter.objects.filter(hall=hall, active=True, session__state=CounterState.OPEN).values_list(
            "pk", "session__calls_since_walk_in"
        )
    )
    services: dict[int, list[int]] = {pk: [] for pk in sessions}
    links = Counter.services.through.objects.filter(counter_id__in=sessions, service__active=True)
    for counter_id, service_id in links.order_by("service__position", "service_id").values_list(
        "counter_id", "service_id"
    ):
        services[counter_id].append(service_id)
    at_counter = Ticket.objects.today(hall, date).filter(state__in=AT_COUNTER_STATES, counter_id__in=sessions)
    busy = {
        counter_id: (_minutes(now - called), service_id)
        for counter_id, service_id, called in at_counter.values_list("counter_id", "service_id", "called_at")
        if called is not None
    }
    result = []
    for pk in sorted(sessions):
        if not services[pk]:
            continue
        elapsed, serving = busy.get(pk, (None, None))
        left = 0.0
        if elapsed is not None:
            left = forecast.time_left(elapsed, forecast.handling_of(handling, serving))
        result.append(forecast.OpenCounter(tuple(services[pk]), left, sessions[pk] or 0, elapsed, serving))
    return result


def arriving(hall: Hall, date: dt.date, now: dt.datetime) -> list[order.Waiting]:
    """Booked appointments not checked in yet whose window begins within LOOK_AHEAD (or has begun), as
    tickets joining the queue at their window's start; thinned by today's share of bookings that came."""
    bookings = Booking.objects.filter(hall=hall, slot__date=date)
    came = bookings.filter(state__in=[BookingState.CHECKED_IN, BookingState.SERVED]).count()
    missed = bookings.filter(state=BookingState.NO_SHOW).count()
    share = (came + 4) / (came + missed + 5)  # a few bookings' worth of "most people come"
    due = bookings.filter(state=BookingState.BOOKED, slot__start__lte=now + LOOK_AHEAD, slot__end__gt=now)
    expected, weight = [], 0.0
    for pk, service_id, start, green in due.order_by("slot__start", "pk").values_list(
        "pk", "service_id", "slot__start", "green_channel"
    ):
        weight += share
        if weight >= 1:
            weight -= 1
            arrives = max(now, start)
            expected.append(order.Waiting(-pk, service_id, order.APPOINTMENT, arrives, start, bool(green)))
    return expected


@dataclass(frozen=True)
class Snapshot:
    """The hall now, read once, for the estimates of any of its waiting tickets."""

    waiting: list[order.Waiting]
    counters: list[forecast.OpenCounter]
    handling: dict[int, forecast.Handling]
    arriving: list[order.Waiting]
    now: dt.datetime
    per_walk_in: int

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
    rows = Ticket.objects.filter(
        hall=hall, date__in=dates, kind=TicketKind.WALK_IN, transferred_from=None
    ).values_list("date", "service_id", "issued_at")
    days, per_hour, minutes = set(), {}, []
    for day, service_id, issued in rows:
        local = issued.astimezone(hall.tz)
        days.add(day)
        hours_of = per_hour.setdefault(service_id, {})
        hours_of[local.hour] = hours_of.get(local.hour, 0) + 1
        minutes.append(_minute_of_day(local))
    return WalkInHistory(len(days), per_hour, tuple(sorted(minutes)))


def _minute_of_day(moment: dt.datetime) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


def walking_in(
    hall: Hall, date: dt.date, now: dt.datetime, schedule: calendar.Schedule | None = None
) -> list[order.Waiting]:
    """Walk-ins expected before the door closes (within LOOK_AHEAD): a counter that prefers another service
    calls those newcomers before an older ticket of its later service, so they lengthen that ticket's wait.
    From the hall's history of the same weekday (walk_in_history), per service and clock hour, scaled by
    today's walk-ins so far against the history's by the same time; without a history, at each service's
    rate of the last hour. Each service's k-th newcomer comes when k - 1/2 of them are expected (FIRST_AT).
    `schedule`: the hall's (hours.schedule_from), when the caller has read it already."""
    schedule = schedule or hours.schedule_from(hall, date)
    closing = hours.door(schedule, now).closing
    if closing is None:
        return []
    horizon = min(closing, now + LOOK_AHEAD)
    history = walk_in_history(hall, date)
    if not history.days:
        return _last_hour(hall, date, now, horizon)
    today = (
        Ticket.objects.today(hall, date)
        .filter(kind=TicketKind.WALK_IN, transferred_from=None, issued_at__lte=now)
        .count()
    )
    local = now.astimezone(hall.tz)
    scale = (today + LIKE_HISTORY) / (history.by(_minute_of_day(local)) + LIKE_HISTORY)
    open_minutes = _open_minutes(hours.stretches(schedule, date), hall)
    expected = []
    for service_id, per_hour in sorted(history.per_hour.items()):
        due, moment = FIRST_AT, now
        while moment < horizon:
            hour = moment.astimezone(hall.tz).replace(minute=0, second=0, microsecond=0)
            end = min(horizon, hour + dt.timedelta(hours=1))
            rate = scale * per_hour.get(hour.hour, 0) / history.days / open_minutes.get(hour.hour, 60)
            while rate > 0 and moment + dt.timedelta(minutes=due / rate) < end:
                moment += dt.timedelta(minutes=due / rate)
                expected.append(order.Waiting(-1_000_000 - len(expected), service_id, order.WALK_IN, moment))
                due = 1.0
            due -= rate * _minutes(end - moment)
            moment = end
    return expected


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


def _last_hour(hall: Hall, date: dt.date, now: dt.datetime, horizon: dt.datetime) -> list[order.Waiting]:
    """Walk-ins expected at each service's rate of the last hour (a hall without a history)."""
    recent = (
        Ticket.objects.today(hall, date)
        .filter(
            kind=TicketKind.WALK_IN, transferred_from=None, issued_at__gt=now - RATE_OVER, issued_at__lte=now
        )
        .values_list("service_id", flat=True)
    )
    rates: dict[int, int] = {}
    for service_id in recent:
        rates[service_id] = rates.get(service_id, 0) + 1
    expected = []
    for service_id, count in sorted(rates.items()):
        gap = RATE_OVER / count
        moment = now + gap
        while moment < horizon:
            expected.append(order.Waiting(-1_000_000 - len(expected), service_id, order.WALK_IN, moment))
            moment += gap
    return expected


def snapshot(
    hall: Hall,
    date: dt.date,
    now: dt.datetime,
    waiting: list[order.Waiting],
    per_walk_in: int,
    schedule: calendar.Schedule | None = None,
) -> Snapshot:
    handling = recent_handling(hall, date, now)
    coming = arriving(hall, date, now) + walking_in(hall, date, now, schedule)
    return Snapshot(waiting, open_counters(hall, date, now, handling), handling, coming, now, per_walk_in)


def hall_now(
    hall: Hall, date: dt.date, now: dt.datetime, per_walk_in: int, schedule: calendar.Schedule | None = None
) -> Snapshot:
    """The snapshot with the whole queue read (waiting_items): what a walk-in's estimate needs."""
    return snapshot(hall, date, now, waiting_items(hall, date), per_walk_in, schedule)


def walk_in_estimate(snapshot: Snapshot, service_id: int) -> forecast.Estimate:
    """The wait of a walk-in ticket of the service issued at the snapshot's moment: one more ticket at the
    end of the service's walk-in line, played forward with everyone else. The hall's "Waiting now" shows
    it, and the walk-in cut-off by estimate (queueing.hours) stops tickets by it."""
    newcomer = order.Waiting(NEWCOMER, service_id, order.WALK_IN, snapshot.now)
    return dataclasses.replace(snapshot, waiting=[*snapshot.waiting, newcomer]).estimate(NEWCOMER)
