"""When a hall is open: pure functions of (schedule, date), no database.

Order of rules for one date:
1. China's statutory holidays close the hall (including days off in lieu); a make-up
   workday (调休) on a weekend opens it with the hall's standard workday hours.
2. Otherwise the weekly sessions of that weekday apply (regular hours, extended
   evenings, weekend duty).
3. The hall's own overrides win over both: closures remove time, extra sessions add it.

Holiday data, first match wins:
1. a year's State Council schedule entered by a supervisor or administrator
   (`NationalYear`, carried in `Schedule.national`);
2. the chinese-calendar package, for the years the State Council has announced;
3. for a later year, the statutory holidays computed by the `holidays` package (lunar
   festivals included, days off in lieu guessed, no make-up workdays):
   `DaySchedule.calendar_known` is then False, so pages say the official schedule is not
   published yet.
"""

import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import chinese_calendar
import holidays
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
# The festivals of a State Council notice, in its order (keys of HOLIDAY_NAMES).
FESTIVALS = (
    "New Year's Day",
    "Spring Festival",
    "Tomb-sweeping Day",
    "Labour Day",
    "Dragon Boat Festival",
    "Mid-autumn Festival",
    "National Day",
)
# Words in the `holidays` package's English names → our festival keys ("Chinese New Year's Eve",
# "Labor Day (observed)", ...).
_LIBRARY_NAMES = (
    ("new year's day", "New Year's Day"),
    ("chinese new year", "Spring Festival"),
    ("spring festival", "Spring Festival"),
    ("tomb", "Tomb-sweeping Day"),
    ("labor", "Labour Day"),
    ("labour", "Labour Day"),
    ("dragon boat", "Dragon Boat Festival"),
    ("mid-autumn", "Mid-autumn Festival"),
    ("national day", "National Day"),
)


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
class HolidayRange:
    first: dt.date
    last: dt.date
    name: str  # a key of HOLIDAY_NAMES


@dataclass(frozen=True)
class NationalYear:
    """A year's State Council schedule as entered by hand: holiday ranges and make-up workdays."""

    year: int
    holidays: tuple[HolidayRange, ...] = ()
    workdays: frozenset[dt.date] = frozenset()

    def day_info(self, date: dt.date) -> DayInfo:
        for r in self.holidays:
            if r.first <= date <= r.last:
                return DayInfo(is_workday=False, holiday=r.name)
        return DayInfo(is_workday=date in self.workdays or date.weekday() < 5, holiday=None)


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
    national: Mapping[int, NationalYear] = field(default_factory=dict)  # entered schedules by year

    def day_info(self, date: dt.date) -> DayInfo:
        return national_day_info(date, self.national)


def national_day_info(date: dt.date, entered: Mapping[int, NationalYear]) -> DayInfo:
    """An entered schedule wins over both libraries."""
    year = entered.get(date.year)
    return year.day_info(date) if year is not None else china_day_info(date)


def china_day_info(date: dt.date) -> DayInfo:
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(date)
    except NotImplementedError:
        return provisional_day_info(date)
    return DayInfo(is_workday=not is_holiday, holiday=name if is_holiday else None)


def library_knows(year: int) -> bool:
    """Whether chinese-calendar holds the State Council's schedule for `year`."""
    try:
        chinese_calendar.get_holiday_detail(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def official_schedule_known(year: int, entered: Mapping[int, NationalYear]) -> bool:
    return year in entered or library_knows(year)


def schedule_warning_due(today: dt.date, entered: Mapping[int, NationalYear]) -> int | None:
    """From 1 November: the next year, while its official schedule is not known; else None."""
    if today.month < 11 or official_schedule_known(today.year + 1, entered):
        return None
    return today.year + 1


@functools.lru_cache(maxsize=8)
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """China's statutory holidays of a year by the `holidays` package, as our festival keys."""
    found = {}
    for date, name in holidays.country_holidays("CN", years=year, language="en_US").items():
        lowered = name.lower()
        found[date] = next((key for word, key in _LIBRARY_NAMES if word in lowered), name)
    return found


def provisional_day_info(date: dt.date) -> DayInfo:
    """A year the State Council has not announced yet: the statutory holidays close (with their usual
    days off in lieu), weekends are off, no make-up workdays are known."""
    name = statutory_holidays(date.year).get(date)
    if name:
        return DayInfo(is_workday=False, holiday=name, known=False)
    return DayInfo(is_workday=date.weekday() < 5, holiday=None, known=False)


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


def schedule_problems(national: NationalYear) -> list[tuple[str, str]]:
    """What is wrong with an entered schedule, as (field, message): a festival's key or "workdays"."""
    problems = []
    ranges = sorted(national.holidays, key=lambda r: r.first)
    for r in ranges:
        if r.first > r.last:
            problems.append((r.name, str(_("The last day comes before the first."))))
        elif r.first.year != national.year or r.last.year != national.year:
            problems.append((r.name, str(_("Both days must be in %(year)s.") % {"year": national.year})))
    for before, after in zip(ranges, ranges[1:], strict=False):
        if after.first <= before.last:
            message = _("Overlaps %(other)s.") % {"other": HOLIDAY_NAMES.get(before.name, before.name)}
            problems.append((after.name, str(message)))
    for date in sorted(national.workdays):
        if date.year != national.year:
            problems.append(
                ("workdays", str(_("%(date)s is not in %(year)s.") % {"date": date, "year": national.year}))
            )
        elif date.weekday() < 5:
            problems.append(("workdays", str(_("%(date)s is not a Saturday or Sunday.") % {"date": date})))
        elif any(r.first <= date <= r.last for r in ranges):
            problems.append(("workdays", str(_("%(date)s is inside a holiday.") % {"date": date})))
    return problems


DayInfoSource = Callable[[dt.date], DayInfo] | None  # None: the schedule's own (entered, then libraries)


def day_schedule(schedule: Schedule, date: dt.date, day_info: DayInfoSource = None) -> DaySchedule:
    info = (day_info or schedule.day_info)(date)
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


def is_open_at(schedule: Schedule, instant: dt.datetime, day_info: DayInfoSource = None) -> bool:
    """Whether the hall is open at an aware instant, judged in the hall's own time zone."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    local = instant.astimezone(zoneinfo.ZoneInfo(schedule.timezone))
    day = day_schedule(schedule, local.date(), day_info)
    moment = local.time()
    return any(s.start <= moment < s.end for s in day.sessions)


def week(
    schedule: Schedule, first: dt.date, days: int = 7, day_info: DayInfoSource = None
) -> list[DaySchedule]:
    return [day_schedule(schedule, first + dt.timedelta(days=n), day_info) for n in range(days)]


def open_day_near(schedule: Schedule, date: dt.date, step: int, within: int = 31) -> dt.date | None:
    """The nearest day the hall is open after `date` (step 1) or before it (step -1), looking at most
    `within` days away; None when there is none (or the search would leave the calendar). Pages use it
    to step from one open day to the next over weekends, holidays and closures."""
    day = date
    for _step in range(within):
        try:
            day += dt.timedelta(days=step)
        except OverflowError:
            return None
        if day_schedule(schedule, day).is_open:
            return day
    return None
