"""When a postal item should have moved on, as pure functions of (rules, state, date) and the national
calendar of working days. A date is overdue when it is later than its due date."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from hall.calendar import DayInfo, china_day_info


@dataclass(frozen=True)
class Rules:
    materials_working_days: int  # applied → the citizen's materials arrive
    process_working_days: int  # materials received → processed, when the service has no legal limit
    send_working_days: int  # processed (or returned) → sent
    delivery_working_days: int  # sent → delivered


def add_working_days(
    start: dt.date, days: int, day_info: Callable[[dt.date], DayInfo] = china_day_info
) -> dt.date:
    """The `days`-th working day after `start` (statutory holidays skipped, make-up workdays counted)."""
    date, counted = start, 0
    while counted < days:
        date += dt.timedelta(days=1)
        if day_info(date).is_workday:
            counted += 1
    return date


def due_date(
    rules: Rules,
    state: str,
    since: dt.date,
    time_limit_days: int | None = None,
    day_info: Callable[[dt.date], DayInfo] = china_day_info,
) -> dt.date | None:
    """The last day on which an item that entered `state` on `since` may still be in it; None when the
    state is final. Processing follows the service's legal time limit (calendar days) when it has one."""
    if state == "materials_received" and time_limit_days:
        return since + dt.timedelta(days=time_limit_days)
    working_days = {
        "applied": rules.materials_working_days,
        "materials_received": rules.process_working_days,
        "processed": rules.send_working_days,
        "returned": rules.send_working_days,
        "sent": rules.delivery_working_days,
    }.get(state)
    if working_days is None:
        return None
    return add_working_days(since, working_days, day_info)


def is_overdue(due: dt.date | None, today: dt.date) -> bool:
    return due is not None and today > due
