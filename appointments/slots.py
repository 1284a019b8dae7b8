"""Arrival windows and their capacity: pure functions of (configuration, date), no database.

Capacity of a window = floor(counters × window minutes ÷ handling minutes × utilisation), of which a
share is held back for the green channel and walk-ins. A window ends no later than closing time minus
the handling time, so that the last citizen booked can still be served before the hall closes.

Counters are counted per window: a counter that is away for any part of a window (its staff are out on a
home visit) does not count for that window, so the window's capacity is what the counters present give.
"""

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass

from hall import calendar


@dataclass(frozen=True)
class Absence:
    counter: int  # any key of one counter
    start: dt.datetime  # aware
    end: dt.datetime


@dataclass(frozen=True)
class SlotConfig:
    counters: int  # counters serving the service
    handling_minutes: int
    window_minutes: int = 30
    utilisation: float = 0.85
    held_back: float = 0.20
    capacity_override: int | None = None  # per window, for this service and date, with every counter there
    absences: tuple[Absence, ...] = ()  # of counters serving the service

    def counters_present(self, start: dt.datetime, end: dt.datetime) -> int:
        away = {a.counter for a in self.absences if a.start < end and a.end > start}
        return max(0, self.counters - len(away))


@dataclass(frozen=True)
class Window:
    start: dt.datetime  # aware, in the hall's time zone
    end: dt.datetime
    capacity: int  # bookable online
    held_back: int  # kept for the green channel and walk-ins (staff may book it)


def window_capacity(config: SlotConfig, minutes: int, present: int | None = None) -> tuple[int, int]:
    """(bookable online, held back) for a window of the given length with `present` counters (default:
    all). An override is for the full set of counters and shrinks in proportion to those present."""
    present = config.counters if present is None else present
    if config.capacity_override is not None:
        if present >= config.counters:
            return config.capacity_override, 0
        return config.capacity_override * present // config.counters, 0
    if present <= 0 or config.handling_minutes <= 0:
        return 0, 0
    total = math.floor(present * minutes / config.handling_minutes * config.utilisation + 1e-9)
    held = math.ceil(total * config.held_back - 1e-9)
    return total - held, held


def windows(
    schedule: calendar.Schedule,
    date: dt.date,
    config: SlotConfig,
    day_info: calendar.DayInfoSource = None,
) -> list[Window]:
    tz = zoneinfo.ZoneInfo(schedule.timezone)
    day = calendar.day_schedule(schedule, date, day_info)
    step = dt.timedelta(minutes=config.window_minutes)
    handling = dt.timedelta(minutes=config.handling_minutes)
    result = []
    for session in day.sessions:
        start = dt.datetime.combine(date, session.start, tz)
        last_end = dt.datetime.combine(date, session.end, tz) - handling
        while start < last_end:
            end = min(start + step, last_end)
            minutes = int((end - start).total_seconds() // 60)
            capacity, held = window_capacity(config, minutes, config.counters_present(start, end))
            if capacity + held > 0:
                result.append(Window(start, end, capacity, held))
            start = end
    return result
