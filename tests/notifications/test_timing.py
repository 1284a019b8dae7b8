import datetime as dt
import zoneinfo

import pytest

from notifications.timing import QuietHours, backoff, day_before_reminder_at, segments

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(dt.time(21), dt.time(8))


def at(hour, minute=0, day=23):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(20, 59), None),
        (at(21, 0), at(8, 0, day=24)),
        (at(23, 30), at(8, 0, day=24)),
        (at(0, 10), at(8, 0)),
        (at(7, 59), at(8, 0)),
        (at(8, 0), None),
        (at(12, 0), None),
    ],
)
def test_quiet_hours_over_midnight_hold_until_the_morning(now, expected):
    assert NIGHT.held_until(now, TZ) == expected


def test_quiet_hours_use_the_halls_time_zone():
    utc_evening = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # 22:00 in Beijing

    assert NIGHT.held_until(utc_evening, TZ) == at(8, 0, day=24)
    assert NIGHT.held_until(utc_evening, zoneinfo.ZoneInfo("UTC")) is None


def test_quiet_hours_within_one_day():
    lunch = QuietHours(dt.time(12), dt.time(13, 30))

    assert (lunch.held_until(at(12, 15), TZ), lunch.held_until(at(13, 30), TZ)) == (at(13, 30), None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("21:00-08:00", NIGHT),
        (" 22:30 - 07:00 ", QuietHours(dt.time(22, 30), dt.time(7))),
        ("off", None),
        ("", None),
    ],
)
def test_quiet_hours_parse(value, expected):
    assert QuietHours.parse(value) == expected


@pytest.mark.parametrize("value", ["21:00", "9pm-8am", "08:00-08:00"])
def test_quiet_hours_parse_refuses_malformed(value):
    with pytest.raises(ValueError):
        QuietHours.parse(value)


def test_backoff_doubles_from_one_minute():
    assert [backoff(n) for n in range(1, 6)] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]


def test_backoff_with_another_base():
    assert backoff(3, dt.timedelta(seconds=1)) == dt.timedelta(seconds=4)


def test_day_before_reminder_at_six_pm_the_evening_before():
    assert day_before_reminder_at(dt.date(2026, 11, 24), dt.time(18), TZ) == at(18, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 160, 1),
        ("x" * 161, 2),
        ("x" * 306, 2),
        ("x" * 307, 3),
        ("中" * 70, 1),
        ("中" * 71, 2),
        ("中" * 134, 2),
        ("中" * 135, 3),
        ("Closed 09:00–12:00", 1),  # an en dash is not GSM 7-bit: 70 characters per segment
        ("x" * 69 + "–", 1),
        ("x" * 70 + "–", 2),
    ],
)
def test_segments(text, expected):
    assert segments(text) == expected
