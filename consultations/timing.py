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
