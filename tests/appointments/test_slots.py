"""Pure tests of slot generation (no database)."""

import datetime as dt
import zoneinfo

import pytest

from appointments.slots import SlotConfig, Window, window_capacity, windows
from hall import calendar
from hall.calendar import Closure, ExtraSession, WeeklySession

T = dt.time
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    return (
        dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)
        if isinstance(day, int)
        else dt.datetime.combine(day, T(hour, minute), TZ)
    )


@pytest.fixture
def schedule():
    weekly = []
    for weekday in range(5):
        weekly += [WeeklySession(weekday, T(8, 30), T(12)), WeeklySession(weekday, T(13, 30), T(17, 30))]
    weekly += [
        WeeklySession(1, T(17, 30), T(19, 30), "extended"),
        WeeklySession(5, T(9), T(12), "weekend_duty"),
    ]
    return calendar.Schedule(weekly=weekly)


def test_window_capacity_two_counters_ten_minutes():
    # floor(2 × 30 / 10 × 0.85) = floor(5.1) = 5; 20 % of 5 held back → ceil(1.0) = 1
    assert window_capacity(SlotConfig(counters=2, handling_minutes=10), 30) == (4, 1)


def test_window_capacity_without_held_back_share():
    assert window_capacity(SlotConfig(counters=4, handling_minutes=6, held_back=0), 30) == (17, 0)


def test_window_capacity_override_wins():
    assert window_capacity(SlotConfig(counters=4, handling_minutes=6, capacity_override=3), 30) == (3, 0)


def test_window_capacity_no_counters_is_zero():
    assert window_capacity(SlotConfig(counters=0, handling_minutes=10), 30) == (0, 0)


def test_windows_monday_morning_and_afternoon(schedule):
    result = windows(schedule, dt.date(2026, 11, 23), SlotConfig(counters=2, handling_minutes=10))

    starts = [w.start.time() for w in result]
    assert starts[:3] == [T(8, 30), T(9), T(9, 30)]
    assert T(12) not in starts and T(13) not in starts  # lunch break
    assert starts[-1] == T(17)
    assert {(w.end - w.start) for w in result if w.start.time() not in (T(11, 30), T(17))} == {
        dt.timedelta(minutes=30)
    }


def test_windows_last_window_ends_handling_time_before_closing(schedule):
    result = windows(schedule, dt.date(2026, 11, 23), SlotConfig(counters=2, handling_minutes=10))

    morning_last = [w for w in result if w.start.time() < T(12)][-1]
    afternoon_last = result[-1]
    assert (morning_last.start, morning_last.end) == (at(23, 11, 30), at(23, 11, 50))
    assert (afternoon_last.start, afternoon_last.end) == (at(23, 17), at(23, 17, 20))
    # a 20-minute window holds floor(2 × 20 / 10 × 0.85) = 3, one of them held back
    assert (afternoon_last.capacity, afternoon_last.held_back) == (2, 1)


def test_windows_short_tail_too_small_for_anyone_is_dropped(schedule):
    config = SlotConfig(counters=1, handling_minutes=25, window_minutes=30)

    result = windows(schedule, dt.date(2026, 11, 23), config)

    # 08:30–11:35 usable: 08:30, 09:00, ..., 11:00 (30 min, cap floor(1.02)=1), 11:30–11:35 holds 0 → dropped
    assert [w.start.time() for w in result if w.start.time() < T(12)][-1] == T(11)


def test_windows_extended_evening_on_tuesday(schedule):
    result = windows(schedule, dt.date(2026, 11, 24), SlotConfig(counters=1, handling_minutes=10))

    assert result[-1].start == at(24, 19)
    assert result[-1].end == at(24, 19, 20)


def test_windows_saturday_duty_only(schedule):
    result = windows(schedule, dt.date(2026, 11, 28), SlotConfig(counters=1, handling_minutes=10))

    assert (result[0].start, result[-1].end) == (at(28, 9), at(28, 11, 50))


def test_windows_none_on_national_day(schedule):
    assert windows(schedule, dt.date(2026, 10, 1), SlotConfig(counters=4, handling_minutes=10)) == []


def test_windows_makeup_workday_sunday(schedule):
    result = windows(schedule, dt.date(2026, 9, 20), SlotConfig(counters=1, handling_minutes=10))

    assert result[0].start == dt.datetime(2026, 9, 20, 8, 30, tzinfo=TZ)


def test_windows_closure_and_extra_session_overrides(schedule):
    schedule.closures = [Closure(dt.date(2026, 11, 25), T(13, 30), T(17, 30), "training")]
    schedule.extra = [ExtraSession(dt.date(2026, 11, 29), T(9), T(10), "Sunday service")]
    config = SlotConfig(counters=1, handling_minutes=10)

    wednesday = windows(schedule, dt.date(2026, 11, 25), config)
    sunday = windows(schedule, dt.date(2026, 11, 29), config)

    assert max(w.start.time() for w in wednesday) == T(11, 30)
    assert [(w.start.time(), w.end.time()) for w in sunday] == [(T(9), T(9, 30)), (T(9, 30), T(9, 50))]


def test_windows_capacity_matches_formula_for_every_full_window(schedule):
    result = windows(schedule, dt.date(2026, 11, 23), SlotConfig(counters=3, handling_minutes=15))

    full = [w for w in result if w.end - w.start == dt.timedelta(minutes=30)]
    # floor(3 × 30 / 15 × 0.85) = 5; held ceil(1.0) = 1
    assert {(w.capacity, w.held_back) for w in full} == {(4, 1)}
    assert full[0] == Window(at(23, 8, 30), at(23, 9), 4, 1)
