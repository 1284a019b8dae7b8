"""Pure tests of hall.calendar on real 2026 dates (China's State Council calendar)."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import translation

from hall import calendar
from hall.calendar import Closure, ExtraSession, Session, WeeklySession

T = dt.time
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def schedule():
    weekly = []
    for weekday in range(5):
        weekly += [WeeklySession(weekday, T(8, 30), T(12)), WeeklySession(weekday, T(13, 30), T(17, 30))]
    weekly += [
        WeeklySession(1, T(17, 30), T(19, 30), "extended"),  # Tuesday evening
        WeeklySession(3, T(17, 30), T(19, 30), "extended"),  # Thursday evening
        WeeklySession(5, T(9), T(12), "weekend_duty"),  # Saturday morning
    ]
    return calendar.Schedule(timezone="Asia/Shanghai", weekly=weekly)


def hours(day):
    return [(s.start, s.end, s.kind) for s in day.sessions]


def test_day_schedule_national_day_week_2026_closed(schedule):
    with translation.override("en"):
        days = [calendar.day_schedule(schedule, dt.date(2026, 10, d)) for d in range(1, 8)]

    assert [d.is_open for d in days] == [False] * 7
    assert {d.reason for d in days} == {"National Day"}


def test_day_schedule_national_day_saturday_has_no_weekend_duty(schedule):
    day = calendar.day_schedule(schedule, dt.date(2026, 10, 3))

    assert day.sessions == ()


def test_day_schedule_holiday_reason_in_chinese(schedule):
    with translation.override("zh-hans"):
        day = calendar.day_schedule(schedule, dt.date(2026, 10, 1))

    assert day.reason == "国庆节"


def test_day_schedule_makeup_sunday_opens_with_workday_hours(schedule):
    with translation.override("en"):
        day = calendar.day_schedule(schedule, dt.date(2026, 9, 20))  # Sunday, worked for National Day

    assert hours(day) == [(T(8, 30), T(12), "regular"), (T(13, 30), T(17, 30), "regular")]
    assert day.reason == "make-up workday"


def test_day_schedule_makeup_saturday_uses_workday_hours_not_duty(schedule):
    day = calendar.day_schedule(schedule, dt.date(2026, 10, 10))

    assert hours(day) == [(T(8, 30), T(12), "regular"), (T(13, 30), T(17, 30), "regular")]


def test_day_schedule_ordinary_saturday_has_duty_session(schedule):
    day = calendar.day_schedule(schedule, dt.date(2026, 11, 28))

    assert hours(day) == [(T(9), T(12), "weekend_duty")]


def test_day_schedule_ordinary_sunday_closed(schedule):
    with translation.override("en"):
        day = calendar.day_schedule(schedule, dt.date(2026, 11, 29))

    assert (day.is_open, day.reason) == (False, "weekend")


def test_day_schedule_tuesday_has_extended_evening(schedule):
    day = calendar.day_schedule(schedule, dt.date(2026, 11, 24))

    assert hours(day)[-1] == (T(17, 30), T(19, 30), "extended")


def test_is_open_at_extended_evening_only_on_its_weekdays(schedule):
    tuesday_evening = dt.datetime(2026, 11, 24, 18, 45, tzinfo=SHANGHAI)
    wednesday_evening = dt.datetime(2026, 11, 25, 18, 45, tzinfo=SHANGHAI)

    assert calendar.is_open_at(schedule, tuesday_evening) is True
    assert calendar.is_open_at(schedule, wednesday_evening) is False


def test_is_open_at_judges_in_hall_time_zone(schedule):
    # 01:00 UTC is 09:00 in Shanghai on a Monday.
    instant = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)

    assert calendar.is_open_at(schedule, instant) is True
    assert calendar.is_open_at(schedule, instant.replace(hour=4, minute=30)) is False  # 12:30 lunch


def test_is_open_at_closes_at_session_end(schedule):
    assert calendar.is_open_at(schedule, dt.datetime(2026, 11, 23, 17, 29, tzinfo=SHANGHAI)) is True
    assert calendar.is_open_at(schedule, dt.datetime(2026, 11, 23, 17, 30, tzinfo=SHANGHAI)) is False


def test_is_open_at_refuses_naive_instant(schedule):
    with pytest.raises(ValueError):
        calendar.is_open_at(schedule, dt.datetime(2026, 11, 23, 9, 0))


def test_day_schedule_whole_day_closure_wins(schedule):
    schedule.closures = [Closure(dt.date(2026, 11, 25), None, None, "system upgrade")]

    day = calendar.day_schedule(schedule, dt.date(2026, 11, 25))

    assert (day.is_open, day.reason) == (False, "system upgrade")


def test_day_schedule_partial_closure_cuts_a_session(schedule):
    schedule.closures = [Closure(dt.date(2026, 11, 25), T(14), T(15), "staff meeting")]

    day = calendar.day_schedule(schedule, dt.date(2026, 11, 25))

    assert hours(day) == [
        (T(8, 30), T(12), "regular"),
        (T(13, 30), T(14), "regular"),
        (T(15), T(17, 30), "regular"),
    ]


def test_day_schedule_extra_session_opens_a_holiday(schedule):
    schedule.extra = [ExtraSession(dt.date(2026, 10, 3), T(9), T(12), "holiday duty for ID cards")]

    day = calendar.day_schedule(schedule, dt.date(2026, 10, 3))

    assert day.sessions == (Session(T(9), T(12), "extra", "holiday duty for ID cards"),)
    assert calendar.is_open_at(schedule, dt.datetime(2026, 10, 3, 10, tzinfo=SHANGHAI)) is True


def test_day_schedule_extra_session_overlapping_regular_is_not_doubled(schedule):
    schedule.extra = [ExtraSession(dt.date(2026, 11, 25), T(11), T(13), "lunchtime service")]

    day = calendar.day_schedule(schedule, dt.date(2026, 11, 25))

    assert hours(day) == [
        (T(8, 30), T(11), "regular"),
        (T(11), T(13), "extra"),
        (T(13, 30), T(17, 30), "regular"),
    ]


def test_day_schedule_year_without_holiday_data_uses_weekly_hours(schedule):
    day = calendar.day_schedule(schedule, dt.date(2027, 3, 3))  # a Wednesday

    assert day.calendar_known is False
    assert hours(day) == [(T(8, 30), T(12), "regular"), (T(13, 30), T(17, 30), "regular")]


def test_week_returns_seven_consecutive_days(schedule):
    days = calendar.week(schedule, dt.date(2026, 9, 28))

    assert [d.date.day for d in days] == [28, 29, 30, 1, 2, 3, 4]
    assert [d.is_open for d in days] == [True, True, True, False, False, False, False]
