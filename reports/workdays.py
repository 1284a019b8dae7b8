"""Working days of a hall for follow-up deadlines: a day on which the hall is open by its own calendar
(statutory holidays, make-up workdays, closures and extra sessions included). Pure, no database."""

import datetime as dt

from hall import calendar

SEARCH_LIMIT_DAYS = 400


def add_working_days(
    schedule: calendar.Schedule,
    start: dt.date,
    days: int,
    day_info: calendar.DayInfoSource = None,
) -> dt.date:
    """The `days`-th working day after `start` (start itself does not count). A hall that is never open
    within a year gives start + days calendar days, so that a deadline always exists."""
    found, date = 0, start
    for _ in range(SEARCH_LIMIT_DAYS):
        date += dt.timedelta(days=1)
        if calendar.day_schedule(schedule, date, day_info).is_open:
            found += 1
            if found == days:
                return date
    return start + dt.timedelta(days=days)


def previous_working_day(schedule: calendar.Schedule, date: dt.date, within: int) -> dt.date | None:
    """The last working day before `date`, looking back at most `within` days (None: none)."""
    for back in range(1, within + 1):
        day = date - dt.timedelta(days=back)
        if calendar.day_schedule(schedule, day).is_open:
            return day
    return None
