"""Arrival windows and their capacity: pure functions of (configuration, date), no database.

Capacity of a window = floor(counters × window minutes ÷ handling minutes × utilisation), of which a
share is held back for the green channel and walk-ins. A window ends no later than closing time minus
the handling time, so that the last citizen booked can still be served before the hall closes.
"""

import datetime as dt
import math
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from hall import calendar


@dataclass(frozen=True)
class SlotConfig:
    counters: int  # counters serving the service
    handling_minutes: int
    window_minutes: int = 30
    utilisation: float = 0.85
    held_back: float = 0.20
    capacity_override: int | None = None  # per window, for this service and date


@dataclass(frozen=True)
class Window:
    start: dt.datetime  # aware, in the hall's time zone
    end: dt.datetime
    capacity: int  # bookable online
    held_back: int  # kept for the green channel and walk-ins (staff may book it)


def window_capacity(config: SlotConfig, minutes: int) -> tuple[int, int]:
    """(bookable online, held back) for a window of the given length."""
    if config.capacity_override is not None:
        return config.capacity_override, 0
    if config.counters <= 0 or config.handling_minutes <= 0:
        return 0, 0
    total = math.floor(config.counters * minutes / config.handling_minutes * config.utilisation + 1e-9)
    held = math.ceil(total * config.held_back - 1e-9)
    return total - held, held


def windows(
    schedule: calendar.Schedule,
    date: dt.date,
    config: SlotConfig,
    day_info: Callable[[dt.date], calendar.DayInfo] = calendar.china_day_info,
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
            capacity, held = window_capacity(config, minutes)
            if capacity + held > 0:
                result.append(Window(start, end, capacity, held))
            start = end
    return result
