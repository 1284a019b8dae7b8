"""When a hall is open: pure functions of (schedule, date), no database.

Order of rules for one date:
1. China's statutory holidays close the hall (including days off in lieu); a make-up
   workday (调休) on a weekend opens it with the hall's standard workday hours.
2. Otherwise the weekly sessions of that weekday apply (regular hours, extended
   evenings, weekend duty).
3. The hall's own overrides win over both: closures remove time, extra sessions add it.

Holiday data come from the chinese-calendar package, which covers the years the State
Council has announced. For a later year the weekly hours apply unchanged and
`DaySchedule.calendar_known` is False, so pages can warn and administrators can add
closures by hand.
"""

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

import chinese_calendar
from django.utils.translation import gettext_lazy as _

HOLIDAY_NAMES = {
    "New Year's Day": _("New Year's Day"),
    "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Qingming Festival"),
    "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"),
    "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-Autumn Festival"),
    "Anti-Fascist 70th Day": _("Victory Day"),
}


@dataclass(frozen=True)
class WeeklySession:
    weekday: int  # Monday is 0
    start: dt.time
    end: dt.time
    kind: str = "regular"


@dataclass(frozen=True)
class Closure:
    date: dt.date
    start: dt.time | None  # None: the whole day
    end: dt.time | None
    reason: str

    @property
    def whole_day(self) -> bool:
        return self.start is None


@dataclass(frozen=True)
class ExtraSession:
    date: dt.date
    start: dt.time
    end: dt.time
    reason: str


@dataclass(frozen=True)
class Session:
    start: dt.time
    end: dt.time
    kind: str
    note: str = ""


@dataclass(frozen=True)
class DayInfo:
    """What the national calendar says about a date."""

    is_workday: bool
    holiday: str | None  # the festival's name on a statutory holiday
    known: bool = True


@dataclass(frozen=True)
class DaySchedule:
    date: dt.date
    sessions: tuple[Session, ...]
    reason: str = ""  # why the day is closed or special, for citizens
    calendar_known: bool = True

    @property
    def is_open(self) -> bool:
        return bool(self.sessions)


@dataclass
class Schedule:
    timezone: str = "Asia/Shanghai"
    weekly: list[WeeklySession] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    extra: list[ExtraSession] = field(default_factory=list)


def china_day_info(date: dt.date) -> DayInfo:
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(date)
    except NotImplementedError:
        return DayInfo(is_workday=date.weekday() < 5, holiday=None, known=False)
    return DayInfo(is_workday=not is_holiday, holiday=name if is_holiday else None)


def _standard_workday(schedule: Schedule) -> list[WeeklySession]:
    """The regular sessions of the first weekday (Mon–Fri) that has any."""
    for weekday in range(5):
        sessions = [s for s in schedule.weekly if s.weekday == weekday and s.kind == "regular"]
        if sessions:
            return sessions
    return []


def _subtract(sessions: list[Session], start: dt.time, end: dt.time) -> list[Session]:
    result = []
    for s in sessions:
        if end <= s.start or start >= s.end:
            result.append(s)
            continue
        if s.start < start:
            result.append(Session(s.start, start, s.kind, s.note))
        if end < s.end:
            result.append(Session(end, s.end, s.kind, s.note))
    return result


def day_schedule(
    schedule: Schedule, date: dt.date, day_info: Callable[[dt.date], DayInfo] = china_day_info
) -> DaySchedule:
    info = day_info(date)
    reason = ""
    if info.holiday:
        sessions: list[Session] = []
        reason = str(HOLIDAY_NAMES.get(info.holiday, info.holiday))
    elif info.is_workday and date.weekday() >= 5:
        sessions = [Session(s.start, s.end, s.kind) for s in _standard_workday(schedule)]
        reason = str(_("make-up workday"))
    else:
        sessions = [Session(s.start, s.end, s.kind) for s in schedule.weekly if s.weekday == date.weekday()]
        if not sessions and date.weekday() >= 5:
            reason = str(_("weekend"))

    for closure in schedule.closures:
        if closure.date != date:
            continue
        sessions = [] if closure.whole_day else _subtract(sessions, closure.start, closure.end)
        reason = closure.reason
    for extra in schedule.extra:
        if extra.date == date:
            sessions = _subtract(sessions, extra.start, extra.end)
            sessions.append(Session(extra.start, extra.end, "extra", extra.reason))
            reason = extra.reason

    sessions.sort(key=lambda s: s.start)
    return DaySchedule(date, tuple(sessions), reason, info.known)


def is_open_at(
    schedule: Schedule, instant: dt.datetime, day_info: Callable[[dt.date], DayInfo] = china_day_info
) -> bool:
    """Whether the hall is open at an aware instant, judged in the hall's own time zone."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    local = instant.astimezone(zoneinfo.ZoneInfo(schedule.timezone))
    day = day_schedule(schedule, local.date(), day_info)
    moment = local.time()
    return any(s.start <= moment < s.end for s in day.sessions)


def week(
    schedule: Schedule, first: dt.date, days: int = 7, day_info: Callable[[dt.date], DayInfo] = china_day_info
) -> list[DaySchedule]:
    return [day_schedule(schedule, first + dt.timedelta(days=n), day_info) for n in range(days)]
