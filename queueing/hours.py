"""Hours at the door: whether walk-in tickets may be issued now, when the hall closes, the last ticket of a
service, and when the hall opens next. Built on hall.calendar's day schedules, in the hall's time zone.

A walk-in ticket is issued only while the hall is open, and only until the service's last-ticket time: the
earlier of a fixed cut-off before closing (QueueRules.last_ticket_minutes, WalkInQuota.last_ticket_minutes
per service) and the moment the live estimate says a new ticket would no longer be called before closing
(closing minus the wait of a walk-in taking a ticket now, queueing.estimates.walk_in_estimate, which the
caller passes in; QueueRules.stop_by_estimate). "Closing" is the end of the open stretch
the instant falls in: sessions that touch (regular hours, then an extension) count as one stretch.
"""

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from hall import calendar, rows
from hall.models import Hall, Service
from queueing import forecast
from queueing.models import QueueRules, WalkInQuota

HALL_CLOSED = _("The hall is closed now. It opens again on %(when)s. You can also book a time online.")
HALL_CLOSED_NO_DATE = _("The hall is closed now. Please see the opening hours on the hall's page.")
LAST_TICKET_PASSED = _(
    "No more walk-in tickets for this service now: the last one was at %(time)s. The hall opens again on "
    "%(when)s. You can also book a time online."
)
LAST_TICKET_PASSED_NO_DATE = _(
    "No more walk-in tickets for this service now: the last one was at %(time)s. You can book a time online."
)
SEARCH_DAYS = 60  # the longest closure looked past for the next opening (Spring Festival is ~9 days)


@dataclass(frozen=True)
class Door:
    """The hall at one instant: `closing` is set while it is open, `next_opening` while it is closed."""

    now: dt.datetime
    closing: dt.datetime | None
    next_opening: dt.datetime | None

    @property
    def is_open(self) -> bool:
        return self.closing is not None


# The hall's weekly sessions, and its closures and extra sessions from a date on, in one statement (issue 20
# item 7: three through the ORM, read at every walk-in): a row each, what it is first.
_HOURS = (
    "SELECT 'weekly', weekday, NULL, start, \"end\", kind, id FROM hall_weeklysession WHERE hall_id = %s "
    "UNION ALL SELECT 'closure', NULL, date, start, \"end\", reason, id FROM hall_closure "
    "WHERE hall_id = %s AND date >= %s "
    "UNION ALL SELECT 'extra', NULL, date, start, \"end\", reason, id FROM hall_extrasession "
    "WHERE hall_id = %s AND date >= %s"
)


def schedule_from(hall: Hall, first: dt.date) -> calendar.Schedule:
    """The hall's hours from `first` on: Hall.schedule without the closures and extra sessions of the past,
    which a busy hall piles up and a ticket never needs. Each kind in its model's order."""
    weekly, closures, extra = [], [], []
    for what, weekday, date, start, end, text, pk in rows.fetch(
        _HOURS, [hall.pk, hall.pk, first, hall.pk, first]
    ):
        date, start, end = _converted("date", date), _converted("time", start), _converted("time", end)
        if what == "weekly":
            weekly.append(((weekday, start, pk), calendar.WeeklySession(weekday, start, end, text)))
        elif what == "closure":
            closures.append(((date, start or dt.time.min, pk), calendar.Closure(date, start, end, text)))
        else:
            extra.append(((date, start, pk), calendar.ExtraSession(date, start, end, text)))
    return calendar.Schedule(
        timezone=hall.timezone,
        weekly=[row for _key, row in sorted(weekly, key=_first)],
        closures=[row for _key, row in sorted(closures, key=_first)],
        extra=[row for _key, row in sorted(extra, key=_first)],
    )


def _first(pair: tuple) -> tuple:
    return pair[0]


def _converted(kind: str, value):
    """SQLite gives dates and times as text, as the ORM would have read them; PostgreSQL gives them ready."""
    convert = getattr(connection.ops, f"convert_{kind}field_value", None)
    return convert(value, None, connection) if convert is not None and value is not None else value


def stretches(schedule: calendar.Schedule, date: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The day's open time as aware (start, end) pairs in the hall's zone, touching sessions merged."""
    tz = zoneinfo.ZoneInfo(schedule.timezone)
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for session in calendar.day_schedule(schedule, date).sessions:
        start = dt.datetime.combine(date, session.start, tzinfo=tz)
        end = dt.datetime.combine(date, session.end, tzinfo=tz)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def local_date(schedule: calendar.Schedule, instant: dt.datetime) -> dt.date:
    return instant.astimezone(zoneinfo.ZoneInfo(schedule.timezone)).date()


def door(schedule: calendar.Schedule, now: dt.datetime) -> Door:
    today = local_date(schedule, now)
    for start, end in stretches(schedule, today):
        if start <= now < end:
            return Door(now, end, None)
    return Door(now, None, next_opening(schedule, now))


def next_opening(schedule: calendar.Schedule, now: dt.datetime) -> dt.datetime | None:
    today = local_date(schedule, now)
    for n in range(SEARCH_DAYS):
        for start, _end in stretches(schedule, today + dt.timedelta(days=n)):
            if start > now:
                return start
    return None


def day_closing(schedule: calendar.Schedule, date: dt.date) -> dt.datetime | None:
    """When the day's last session ends (None on a closed day)."""
    found = stretches(schedule, date)
    return found[-1][1] if found else None


def last_ticket(closing: dt.datetime, cut_off_minutes: int, wait_minutes: int | None) -> dt.datetime:
    """The earlier of the fixed cut-off and closing minus the estimated wait (None: not estimated)."""
    last = closing - dt.timedelta(minutes=cut_off_minutes)
    if wait_minutes is not None:
        last = min(last, closing - dt.timedelta(minutes=wait_minutes))
    return last


def when_text(instant: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """A date and time as the hall's citizens read it, in the hall's zone: 2026年12月7日 星期一 08:30
    (in English: Dec. 7, 2026 Monday 08:30)."""
    local = instant.astimezone(tz).replace(tzinfo=None)
    date = formats.date_format(local, "DATE_FORMAT")
    return f"{date} {formats.date_format(local, 'l')} {local:%H:%M}"


def closed_message(door: Door, tz: zoneinfo.ZoneInfo) -> str:
    if door.next_opening is None:
        return str(HALL_CLOSED_NO_DATE)
    return str(HALL_CLOSED % {"when": when_text(door.next_opening, tz)})


def last_ticket_message(last: dt.datetime, opening: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> str:
    time = last.astimezone(tz).strftime("%H:%M")
    if opening is None:
        return str(LAST_TICKET_PASSED_NO_DATE % {"time": time})
    return str(LAST_TICKET_PASSED % {"time": time, "when": when_text(opening, tz)})


def walk_in_refusal(
    *,
    hall: Hall,
    service: Service,
    now: dt.datetime,
    rules: QueueRules,
    quota: WalkInQuota,
    estimate: Callable[[], forecast.Estimate],
    schedule: calendar.Schedule | None = None,
) -> tuple[str, str] | None:
    """(code, message) when a walk-in ticket for `service` may not be issued at `now`, else None.
    `estimate`: the wait of a walk-in ticket of the service taken now (estimates.walk_in_estimate), asked
    only while the hall is open and stops walk-ins by the estimate; its central figure counts, and with no
    basis (no counter open for the service) only the fixed cut-off does. The kiosk asks while holding the
    service's day sequence, so that the estimate counts the tickets issued before.
    `schedule`: the hall's (schedule_from), when the caller has read it already."""
    schedule = schedule or schedule_from(hall, hall.local_date(now))
    at_door = door(schedule, now)
    if not at_door.is_open:
        return "hall_closed", closed_message(at_door, hall.tz)
    cut_off = rules.last_ticket_minutes if quota.last_ticket_minutes is None else quota.last_ticket_minutes
    wait = estimate().minutes if rules.stop_by_estimate else None
    last = last_ticket(at_door.closing, cut_off, wait)
    if now < last:
        return None
    return "last_ticket_passed", last_ticket_message(last, next_opening(schedule, at_door.closing), hall.tz)
