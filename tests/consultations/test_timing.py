"""The next working morning of a call-back: pure, against the State Council calendar of 2025."""

import datetime as dt
import zoneinfo

import pytest

from consultations.timing import Due, HalfDay, call_back_due, half_days
from hall.calendar import Closure, DayInfo, Schedule, WeeklySession

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
T = dt.time


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def hours(**extra) -> Schedule:
    weekly = [WeeklySession(day, T(8, 30), T(12, 0)) for day in range(5)]
    weekly += [WeeklySession(day, T(13, 30), T(17, 30)) for day in range(5)]
    weekly += [WeeklySession(1, T(17, 30), T(19, 30), "extended")]  # Tuesday evening
    weekly += [WeeklySession(5, T(9, 0), T(12, 0), "weekend_duty")]  # Saturday morning
    return Schedule(weekly=weekly, **extra)


def test_call_back_due_after_friday_afternoon_is_monday_morning_not_saturday_duty():
    due = call_back_due(hours(), at("2025-09-19 15:00"))  # a Friday

    assert due == Due(at("2025-09-22 08:30"), at("2025-09-22 17:30"))


def test_call_back_due_on_a_make_up_workday_sunday():
    # 2025-09-28 is a Sunday worked in lieu of the National Day holidays (调休).
    due = call_back_due(hours(), at("2025-09-27 10:00"))

    assert due == Due(at("2025-09-28 08:30"), at("2025-09-28 17:30"))


def test_call_back_due_skips_the_national_day_holidays():
    # 1–8 October 2025 are statutory holidays; Thursday the 9th is the next working day.
    due = call_back_due(hours(), at("2025-09-30 10:00"))

    assert due == Due(at("2025-10-09 08:30"), at("2025-10-09 17:30"))


def test_call_back_due_the_same_morning_when_logged_before_opening():
    due = call_back_due(hours(), at("2025-09-22 07:15"))

    assert due == Due(at("2025-09-22 08:30"), at("2025-09-22 17:30"))


def test_call_back_due_next_morning_when_logged_during_opening_hours():
    due = call_back_due(hours(), at("2025-09-22 08:31"))

    assert due == Due(at("2025-09-23 08:30"), at("2025-09-23 17:30"))


def test_call_back_deadline_ends_with_regular_hours_not_the_extended_evening():
    due = call_back_due(hours(), at("2025-09-22 12:00"))  # Monday: due Tuesday, which has an evening session

    assert due.deadline == at("2025-09-23 17:30")


def test_call_back_deadline_counts_working_days_across_a_weekend():
    due = call_back_due(hours(), at("2025-09-18 16:00"), working_days=2)  # Thursday

    assert due == Due(at("2025-09-19 08:30"), at("2025-09-22 17:30"))


def test_call_back_due_after_a_morning_closure_is_the_afternoon_session():
    schedule = hours(closures=[Closure(dt.date(2025, 9, 22), T(8, 30), T(12, 0), "training")])

    due = call_back_due(schedule, at("2025-09-19 15:00"))

    assert due == Due(at("2025-09-22 13:30"), at("2025-09-22 17:30"))


def test_call_back_due_skips_a_whole_day_closure():
    schedule = hours(closures=[Closure(dt.date(2025, 9, 22), None, None, "power cut")])

    due = call_back_due(schedule, at("2025-09-19 15:00"))

    assert due == Due(at("2025-09-23 08:30"), at("2025-09-23 17:30"))


def test_call_back_due_with_a_given_calendar():
    def every_day_off_but_wednesday(date):
        return DayInfo(
            is_workday=date.weekday() == 2, holiday=None if date.weekday() == 2 else "Spring Festival"
        )

    due = call_back_due(hours(), at("2025-09-22 10:00"), day_info=every_day_off_but_wednesday)

    assert due == Due(at("2025-09-24 08:30"), at("2025-09-24 17:30"))


def test_call_back_due_for_a_hall_without_regular_hours_is_a_day_later():
    due = call_back_due(Schedule(weekly=[]), at("2025-09-22 10:00"))

    assert due == Due(at("2025-09-23 10:00"), at("2025-09-23 18:00"))


def test_call_back_due_needs_an_aware_time():
    with pytest.raises(ValueError):
        call_back_due(hours(), dt.datetime(2025, 9, 22, 10, 0))


def test_half_days_after_friday_afternoon_skip_the_weekend_and_its_duty():
    found = half_days(hours(), at("2025-09-19 15:00"), count=3)  # a Friday

    assert found == [
        HalfDay(at("2025-09-22 08:30"), at("2025-09-22 12:00")),
        HalfDay(at("2025-09-22 13:30"), at("2025-09-22 17:30")),
        HalfDay(at("2025-09-23 08:30"), at("2025-09-23 12:00")),
    ]
    assert [h.is_morning for h in found] == [True, False, True]


def test_half_days_split_a_day_without_a_lunch_break_at_noon_and_leave_out_the_evening():
    weekly = [WeeklySession(day, T(8, 30), T(17, 30)) for day in range(5)]
    weekly += [WeeklySession(1, T(17, 30), T(19, 30), "extended")]

    found = half_days(Schedule(weekly=weekly), at("2025-09-23 10:00"), count=2)  # a Tuesday morning

    assert found == [
        HalfDay(at("2025-09-23 12:00"), at("2025-09-23 17:30")),
        HalfDay(at("2025-09-24 08:30"), at("2025-09-24 12:00")),
    ]


def test_half_days_skip_the_national_day_holidays():
    found = half_days(hours(), at("2025-09-30 14:00"), count=1)

    assert found == [HalfDay(at("2025-10-09 08:30"), at("2025-10-09 12:00"))]


def test_half_days_of_a_hall_without_regular_hours_are_none():
    assert half_days(Schedule(weekly=[]), at("2025-09-22 08:00"), count=4) == []
