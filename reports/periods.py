"""Which days a report covers: `date=YYYY-MM-DD`, or `from=` and `to=` (both included)."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

MAX_DAYS = 366
# Reports ask about the hall's past and near future; beyond these the pages' previous and next links would
# step outside the calendar (date 9999-12-31 + 1 day).
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2999, 12, 31)

BAD_DATE = _("Enter dates as YYYY-MM-DD, for example 2026-11-24.")
BAD_ORDER = _("The first day must not be after the last day.")
TOO_LONG = _("Choose at most %(days)s days.")
BAD_MONTH = _("Enter a month as YYYY-MM, for example 2026-11.")
BOTH_NEEDED = _("Give both a first day (from) and a last day (to), or one date.")


class PeriodError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _date(value: str) -> dt.date:
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise PeriodError(BAD_DATE) from None
    if not FIRST_DATE <= date <= LAST_DATE:
        raise PeriodError(BAD_DATE)
    return date


def parse_period(params, today: dt.date) -> tuple[dt.date, dt.date]:
    """(first, last) from query parameters; today when none are given."""
    day, first, last = (params.get(name, "").strip() for name in ("date", "from", "to"))
    if day:
        date = _date(day)
        return date, date
    if not first and not last:
        return today, today
    if not (first and last):
        raise PeriodError(BOTH_NEEDED)
    first_date, last_date = _date(first), _date(last)
    if first_date > last_date:
        raise PeriodError(BAD_ORDER)
    if (last_date - first_date).days + 1 > MAX_DAYS:
        raise PeriodError(TOO_LONG % {"days": MAX_DAYS})
    return first_date, last_date


def month_of(date: dt.date) -> tuple[dt.date, dt.date]:
    first = date.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def parse_month(value: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month `YYYY-MM`; this month when empty."""
    if not value:
        return month_of(today)
    try:
        first = dt.date.fromisoformat(value.strip() + "-01")
    except ValueError:
        raise PeriodError(BAD_MONTH) from None
    if not FIRST_DATE <= first <= LAST_DATE:
        raise PeriodError(BAD_MONTH)
    return month_of(first)
