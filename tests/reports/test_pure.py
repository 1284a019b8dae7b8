"""Pure helpers: percentiles, repeat visits, periods, working days, charts (no database)."""

import datetime as dt

import pytest

from hall import calendar
from reports import charts, stats, workdays
from reports.periods import PeriodError, month_of, parse_month, parse_period

TODAY = dt.date(2026, 11, 24)


def test_percentiles_interpolate_between_ranks():
    values = [4, 6, 10, 12, 20, 26, 30]
    assert (stats.percentile(values, 0.5), round(stats.percentile(values, 0.9), 9)) == (12, 27.6)
    assert stats.percentile([7], 0.9) == 7
    assert stats.percentile([], 0.5) is None


def test_share_below_is_strict():
    assert stats.share_below([14.9, 15, 16], 15) == pytest.approx(100 / 3)
    assert stats.share_below([], 15) is None


def test_repeat_visitors_look_back_thirty_days_on_another_day():
    first = last = dt.date(2026, 11, 24)
    visits = [
        ("again", dt.date(2026, 11, 24)),
        ("again", dt.date(2026, 10, 25)),  # 30 days before: counts
        ("late", dt.date(2026, 11, 24)),
        ("late", dt.date(2026, 10, 24)),  # 31 days before: does not
        ("twice-today", dt.date(2026, 11, 24)),
        ("twice-today", dt.date(2026, 11, 24)),
        ("only-before", dt.date(2026, 11, 20)),  # not served in the period: not counted
        ("", dt.date(2026, 11, 24)),  # unknown citizen
    ]
    assert stats.repeat_visitors(visits, first, last, 30) == (3, 1)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (TODAY, TODAY)),
        ({"date": "2026-11-01"}, (dt.date(2026, 11, 1),) * 2),
        ({"from": "2026-11-01", "to": "2026-11-30"}, (dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
    ],
)
def test_parse_period(params, expected):
    assert parse_period(params, TODAY) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"date": "24/11/2026"},
        {"from": "2026-11-01"},
        {"from": "2026-11-02", "to": "2026-11-01"},
        {"from": "2025-01-01", "to": "2026-01-02"},
    ],
)
def test_parse_period_refuses(params):
    with pytest.raises(PeriodError):
        parse_period(params, TODAY)


def test_months():
    assert month_of(dt.date(2028, 2, 10)) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    assert parse_month("2026-12", TODAY) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    with pytest.raises(PeriodError):
        parse_month("2026-13", TODAY)


def _weekdays():
    return calendar.Schedule(weekly=[calendar.WeeklySession(d, dt.time(9), dt.time(17)) for d in range(5)])


def test_working_days_skip_weekends_and_holidays():
    schedule = _weekdays()
    friday = dt.date(2026, 11, 20)
    assert workdays.add_working_days(schedule, friday, 1) == dt.date(2026, 11, 23)
    # National Day 2026: 1–7 October off; Saturday 10 October is a make-up workday (调休).
    assert workdays.add_working_days(schedule, dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert workdays.add_working_days(schedule, dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)


def test_working_days_use_the_halls_closures_and_extra_sessions():
    schedule = _weekdays()
    schedule.closures.append(calendar.Closure(dt.date(2026, 11, 23), None, None, "training"))
    schedule.extra.append(calendar.ExtraSession(dt.date(2026, 11, 22), dt.time(9), dt.time(12), "duty"))
    friday = dt.date(2026, 11, 20)
    assert workdays.add_working_days(schedule, friday, 1) == dt.date(2026, 11, 22)  # Sunday duty
    assert workdays.add_working_days(schedule, friday, 2) == dt.date(2026, 11, 24)  # Monday closed
    assert workdays.add_working_days(schedule, friday, 15) == dt.date(2026, 12, 11)


def test_bar_chart_geometry():
    chart = charts.bar_chart("t", ["09", "10"], [("arrivals", [6, 1]), ("served", [3, 2])], whole=True)

    assert [label for _y, label in chart.y_ticks] == ["0", "2", "4", "6"]
    assert [(b.series, b.value, b.height) for b in chart.bars] == [
        (0, 6, 192),
        (1, 3, 96),
        (0, 1, 32),
        (1, 2, 64),
    ]
    assert all(b.y + b.height == chart.baseline for b in chart.bars)
    assert [label for _x, label in chart.x_labels] == ["09", "10"]


def test_line_chart_skips_missing_values():
    chart = charts.line_chart("t", ["a", "b", "c"], [("s", [1, None, 2.5])])

    assert [title for _x, _y, title in chart.lines[0].dots] == ["a s: 1", "c s: 2.5"]
    assert charts.bar_chart("t", [], [("s", [])]).is_empty


@pytest.mark.parametrize(
    ("top", "whole", "labels"),
    [
        (0, True, ["0", "1"]),  # a quiet day: no 0.2, 0.5, 0.8 people
        (1, True, ["0", "1"]),
        (3, True, ["0", "1", "2", "3"]),
        (0.3, False, ["0.0", "0.1", "0.2", "0.3"]),  # not 0.1, 0.1, 0.1 after rounding
        (7, True, ["0", "2", "4", "6", "8"]),
        (11, True, ["0", "5", "10", "15"]),
        (240, True, ["0", "100", "200", "300"]),
        (12.5, False, ["0", "5", "10", "15"]),
    ],
)
def test_axis_ticks_are_distinct_and_whole_for_counts(top, whole, labels):
    chart = charts.bar_chart("t", ["a"], [("s", [top])], whole=whole)

    assert [label for _y, label in chart.y_ticks] == labels
