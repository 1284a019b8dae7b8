"""What the hall's record teaches the live estimate (issue 19 item 3): its past days of the same weekday, read
once per process, hall and day in one written-out statement (`record`), since they do not change during
the day. Beside today's reads in queueing/estimates.py, which uses them:
- the walk-ins per service and clock hour (`WalkInHistory`), each service's count drawn toward the day's
  mix (`mixed`), and how alike the days are (`like`);
- when booked citizens check in, in minutes after their window's start, and the share of bookings that
  came (`Punctuality`);
- each service's handling times (`handling`; pooled with today's only behind estimates.ON_RECORD, off).
See docs/simulation.md for how each was measured."""

import bisect
import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db import connection

from appointments.models import BookingState
from hall import cache, rows
from hall.models import Hall
from queueing import forecast
from queueing.models import TicketKind, TicketState

HISTORY_WEEKS = 8  # the record: the same weekday in these weeks before
HISTORY_KEPT = 6 * 3600  # seconds a process keeps a hall's record of a day (read once per hall and day)
LIKE_HISTORY = 5  # walk-ins' worth of belief that today is as busy as the history, before today has shown it
MOST_LIKE = 200.0  # walk-ins' worth: the most belief in the record (days on record as alike as chance allows)
MIX_WEIGHT = 1.0  # how much the day's mix counts against a service's own count in a clock hour
LONGEST = 180.0  # minutes: a longer time at a counter is a ticket left open, not a handling time
MIN_OFFSETS = 20  # check-ins on record from which their punctuality is believed (else: on time)
FINISHED = (TicketState.DONE, TicketState.TRANSFERRED)
CAME = (BookingState.CHECKED_IN, BookingState.SERVED, BookingState.UNFINISHED)
MISSED = (BookingState.NO_SHOW, BookingState.BOOKED)  # a past day's booked: never came


def minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


def minute_of_day(moment: dt.datetime) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


@dataclass(frozen=True)
class WalkInHistory:
    """The hall's walk-ins on record: on how many days (those with walk-ins), per service and local clock
    hour in all (`per_hour`, and `mixed`: drawn toward the day's mix), the minute of the day of each, and
    how many walk-ins' worth of belief the record earns that today is as busy as its days (`like`)."""

    days: int
    per_hour: dict[int, dict[int, int]]  # service -> hour -> walk-ins over the days
    minutes: tuple[float, ...]  # sorted, every service
    mixed: dict[int, dict[int, float]] = field(default_factory=dict)
    like: float = LIKE_HISTORY

    def by(self, minute: float) -> float:
        """Walk-ins a day on record had by this minute of the day, on average."""
        return bisect.bisect_right(self.minutes, minute) / self.days if self.days else 0.0


@dataclass(frozen=True)
class Punctuality:
    """When booked citizens check in: the minutes after their window's start (sorted; negative: early; empty
    with fewer than MIN_OFFSETS on record), and how many bookings came and how many did not."""

    offsets: tuple[float, ...]
    came: int
    missed: int

    def still(self, since: float) -> tuple[float, float]:
        """A booking not come `since` minutes after its window's start (with offsets on record): the share of
        the check-ins on record later than that (0: nobody on record came so late), and the middle of those
        later ones (the last offset when there are none)."""
        first_later = bisect.bisect_right(self.offsets, since)
        later = len(self.offsets) - first_later
        return later / len(self.offsets), self.offsets[min(first_later + later // 2, len(self.offsets) - 1)]


@dataclass(frozen=True)
class Record:
    """The hall's record of the same weekday in the HISTORY_WEEKS weeks before a date."""

    walk_ins: WalkInHistory
    punctuality: Punctuality
    handling: dict[int, forecast.Handling]  # each service's, from the call to the end


def record(hall: Hall, date: dt.date) -> Record:
    """The hall's record for `date`, read once per process, hall and day (every estimate asks for it)."""
    key = f"record:{hall.pk}:{date.isoformat()}"
    return cache.remembered(key, HISTORY_KEPT, lambda: _read(hall, date))


def walk_in_history(hall: Hall, date: dt.date) -> WalkInHistory:
    return record(hall, date).walk_ins


def record_dates(date: dt.date) -> list[dt.date]:
    return [date - dt.timedelta(weeks=n) for n in range(1, HISTORY_WEEKS + 1)]


# The past days' tickets, and their bookings counted by state (the count in service_id's place).
_DATES = ", ".join(["%s"] * HISTORY_WEEKS)
_RECORD = (
    "SELECT date, service_id, kind, transferred_from_id, state, issued_at, booked_start, called_at, "  # noqa: S608
    f"completed_at FROM queueing_ticket WHERE hall_id = %s AND date IN ({_DATES}) "
    "UNION ALL SELECT NULL, COUNT(*), NULL, NULL, b.state, NULL, NULL, NULL, NULL "
    "FROM appointments_booking b INNER JOIN appointments_slot sl ON sl.id = b.slot_id "
    f"WHERE sl.hall_id = %s AND sl.date IN ({_DATES}) GROUP BY b.state"
)
_TIMES = (5, 6, 7, 8)  # issued_at, booked_start, called_at, completed_at


def _read(hall: Hall, date: dt.date) -> Record:
    dates = record_dates(date)
    convert = getattr(connection.ops, "convert_datetimefield_value", None)  # SQLite's times are text
    days: dict[object, int] = {}
    per_hour: dict[int, dict[int, int]] = {}
    moments, offsets, times = [], [], {}
    came = missed = 0
    for row in rows.fetch(_RECORD, [hall.pk, *dates, hall.pk, *dates]):
        if row[0] is None:  # the bookings of a state
            count, state = row[1], row[4]
            came += count if state in CAME else 0
            missed += count if state in MISSED else 0
            continue
        if convert is not None:
            row = [
                convert(v, None, connection) if v is not None and n in _TIMES else v
                for n, v in enumerate(row)
            ]
        day, service_id, kind, transferred, state, issued, booked, called, completed = row
        if transferred is None and kind == TicketKind.WALK_IN:
            local = issued.astimezone(hall.tz)
            days[day] = days.get(day, 0) + 1
            hours_of = per_hour.setdefault(service_id, {})
            hours_of[local.hour] = hours_of.get(local.hour, 0) + 1
            moments.append(minute_of_day(local))
        elif transferred is None and kind == TicketKind.APPOINTMENT and booked is not None:
            offsets.append(minutes(issued - booked))
        if state in FINISHED and called is not None and completed is not None:
            taken = minutes(completed - called)
            if 0 < taken <= LONGEST:
                times.setdefault(service_id, []).append(taken)
    walk_ins = WalkInHistory(
        len(days), per_hour, tuple(sorted(moments)), _mixed(per_hour), _like(list(days.values()))
    )
    handling = {
        pk: forecast.Handling(statistics.fmean(xs), statistics.pstdev(xs), len(xs))
        for pk, xs in times.items()
        if len(xs) > 1
    }
    offsets = sorted(offsets) if len(offsets) >= MIN_OFFSETS else []
    return Record(walk_ins, Punctuality(tuple(offsets), came, missed), handling)


def _like(totals: list[int]) -> float:
    """How many walk-ins' worth of belief the record earns that today is as busy as its days (`scale` in
    estimates.WalkIns: (today + like) / (record by now + like)), from how much its days differ beyond
    chance: a day's busyness taken as a factor with a spread of s around 1, its walk-ins as chance arrivals
    at that rate, gives like = 1 / s^2 (a gamma prior). Days on record that differ no more than chance makes
    them (a day type played again, a hall whose days are alike) earn MOST_LIKE; days that differ much, no
    less than LIKE_HISTORY (as before the record's spread was read). Fewer than three days: LIKE_HISTORY."""
    if len(totals) < 3:
        return LIKE_HISTORY
    mean, spread = statistics.fmean(totals), statistics.variance(totals)
    beyond = (spread - mean) / mean**2  # s^2: the variance of the day's factor beyond the arrivals' chance
    if beyond <= 1 / MOST_LIKE:
        return MOST_LIKE
    return max(LIKE_HISTORY, 1 / beyond)


def _mixed(per_hour: dict[int, dict[int, int]]) -> dict[int, dict[int, float]]:
    """Each service's walk-ins per clock hour drawn toward what the day's mix gives it (its share of the day's
    walk-ins times the hour's walk-ins of every service), with MIX_WEIGHT: eight days hold a handful of one
    service in one hour, so each hour's own count is mostly chance, while the mix and the hours' shape rest
    on every walk-in on record."""
    by_hour: dict[int, int] = {}
    for hours_of in per_hour.values():
        for hour, count in hours_of.items():
            by_hour[hour] = by_hour.get(hour, 0) + count
    total = sum(by_hour.values())
    if not total:
        return {}
    result = {}
    for service_id, hours_of in per_hour.items():
        share = sum(hours_of.values()) / total
        result[service_id] = {
            hour: (hours_of.get(hour, 0) + MIX_WEIGHT * share * all_of) / (1 + MIX_WEIGHT)
            for hour, all_of in by_hour.items()
        }
    return result
