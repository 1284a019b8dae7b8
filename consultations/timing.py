"""When a call-back is due: pure functions of (schedule, instant), no database.

A call-back is made on the hall's next working morning: the first regular session of the first working day
that starts after the consultation. A working day is a day with regular hours, so statutory holidays are
skipped and make-up workdays (调休) count; weekend duty and one-off extra sessions do not, because the team
that owns call-backs is not on duty then. The deadline is the end of the regular hours of the working day
`working_days` later (1: the same day as the morning it is due).
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from hall.calendar import DayInfoSource, DaySchedule, Schedule, day_schedule

# How far ahead to look for a working day; a hall with no regular hours gets the fallback below.
HORIZON_DAYS = 60
FALLBACK_DELAY = dt.timedelta(days=1)
FALLBACK_LENGTH = dt.timedelta(hours=8)


@dataclass(frozen=True)
class Due:
    at: dt.datetime  # aware, in the hall's time zone
    deadline: dt.datetime


def _regular(day: DaySchedule) -> list:
    return [s for s in day.sessions if s.kind == "regular"]


def _working_days(
    schedule: Schedule, first: dt.date, day_info: DayInfoSource
) -> list[tuple[dt.date, DaySchedule]]:
    found = []
    for n in range(HORIZON_DAYS):
        date = first + dt.timedelta(days=n)
        day = day_schedule(schedule, date, day_info)
        if _regular(day):
            found.append((date, day))
    return found


def call_back_due(
    schedule: Schedule,
    after: dt.datetime,
    *,
    working_days: int = 1,
    day_info: DayInfoSource = None,
) -> Due:
    """The next working morning after the aware instant `after`, and the call-back's deadline."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    tz = zoneinfo.ZoneInfo(schedule.timezone)
    local = after.astimezone(tz)
    days = _working_days(schedule, local.date(), day_info)
    mornings = [
        (index, dt.datetime.combine(date, _regular(day)[0].start, tz))
        for index, (date, day) in enumerate(days)
    ]
    mornings = [(index, at) for index, at in mornings if at > local]
    if not mornings:
        at = local + FALLBACK_DELAY
        return Due(at, at + FALLBACK_LENGTH)
    index, at = mornings[0]
    last_date, last_day = days[min(index + max(working_days, 1) - 1, len(days) - 1)]
    return Due(at, dt.datetime.combine(last_date, _regular(last_day)[-1].end, tz))


NOON = dt.time(12)


@dataclass(frozen=True)
class HalfDay:
    """A morning (regular hours before noon) or an afternoon (from noon) of a working day."""

    start: dt.datetime  # aware, in the hall's time zone
    end: dt.datetime

    @property
    def is_morning(self) -> bool:
        return self.start.time() < NOON


def _halves(date: dt.date, day: DaySchedule, tz) -> list[HalfDay]:
    halves = []
    for low, high in ((dt.time.min, NOON), (NOON, dt.time.max)):
        pieces = [
            (max(s.start, low), min(s.end, high)) for s in _regular(day) if s.start < high and s.end > low
        ]
        if pieces:
            start, end = min(p[0] for p in pieces), max(p[1] for p in pieces)
            halves.append(HalfDay(dt.datetime.combine(date, start, tz), dt.datetime.combine(date, end, tz)))
    return halves


def half_days(
    schedule: Schedule,
    after: dt.datetime,
    *,
    count: int,
    day_info: DayInfoSource = None,
) -> list[HalfDay]:
    """The next `count` half-days of regular hours that begin after the aware instant `after`: the times a
    citizen may ask to be called back in (a call-back team works the regular hours, see above)."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    tz = zoneinfo.ZoneInfo(schedule.timezone)
    local = after.astimezone(tz)
    found = []
    for date, day in _working_days(schedule, local.date(), day_info):
        found.extend(half for half in _halves(date, day, tz) if half.start > local)
        if len(found) >= count:
            break
    return found[:count]


def answer_deadline(
    schedule: Schedule, after: dt.datetime, *, working_days: int, day_info: DayInfoSource = None
) -> dt.datetime:
    """When a level of the escalation chain must answer a question sent up at `after`: the end of the
    regular hours of its `working_days`-th working day, counted from the next working morning (the same
    working days as a call-back's)."""
    return call_back_due(schedule, after, working_days=working_days, day_info=day_info).deadline
