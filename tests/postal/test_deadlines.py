import datetime as dt

import pytest
from django.utils import translation

from hall.calendar import DayInfo
from hall.models import WeeklySession
from postal import deadlines
from postal.messages import opening_hours
from tests.makers import make_hall

RULES = deadlines.Rules(
    materials_working_days=3, process_working_days=5, send_working_days=2, delivery_working_days=4
)
HOLIDAY = dt.date(2026, 3, 4)  # a Wednesday, made a holiday below
MAKE_UP = dt.date(2026, 3, 7)  # a Saturday, made a working day below


def fake_calendar(date):
    if date == HOLIDAY:
        return DayInfo(is_workday=False, holiday="test")
    if date == MAKE_UP:
        return DayInfo(is_workday=True, holiday=None)
    return DayInfo(is_workday=date.weekday() < 5, holiday=None)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (dt.date(2026, 3, 2), 0, dt.date(2026, 3, 2)),
        (dt.date(2026, 3, 2), 1, dt.date(2026, 3, 3)),
        (dt.date(2026, 3, 2), 2, dt.date(2026, 3, 5)),  # the holiday is skipped
        (dt.date(2026, 3, 5), 2, dt.date(2026, 3, 7)),  # the make-up Saturday counts
        (dt.date(2026, 3, 7), 1, dt.date(2026, 3, 9)),  # Sunday does not
    ],
)
def test_add_working_days_skips_holidays_and_counts_make_up_days(start, days, expected):
    assert deadlines.add_working_days(start, days, fake_calendar) == expected


@pytest.mark.parametrize(
    ("state", "limit", "expected"),
    [
        ("applied", None, dt.date(2026, 3, 6)),
        ("materials_received", None, dt.date(2026, 3, 9)),
        ("materials_received", 60, dt.date(2026, 5, 1)),
        ("processed", None, dt.date(2026, 3, 5)),
        ("returned", None, dt.date(2026, 3, 5)),
        ("sent", None, dt.date(2026, 3, 7)),
        ("delivered", None, None),
        ("cancelled", 60, None),
    ],
)
def test_due_date_per_state(state, limit, expected):
    assert deadlines.due_date(RULES, state, dt.date(2026, 3, 2), limit, fake_calendar) == expected


def test_overdue_only_after_the_due_date():
    due = dt.date(2026, 3, 5)
    assert [deadlines.is_overdue(due, due + dt.timedelta(days=d)) for d in (-1, 0, 1)] == [False, False, True]
    assert deadlines.is_overdue(None, due) is False


@pytest.mark.django_db
def test_opening_hours_join_days_with_the_same_sessions():
    hall = make_hall()
    for day in range(5):
        WeeklySession.objects.create(hall=hall, weekday=day, start=dt.time(8, 30), end=dt.time(12))
        WeeklySession.objects.create(hall=hall, weekday=day, start=dt.time(13, 30), end=dt.time(17, 30))
    WeeklySession.objects.create(hall=hall, weekday=1, start=dt.time(17, 30), end=dt.time(19, 30))
    WeeklySession.objects.create(hall=hall, weekday=5, start=dt.time(9), end=dt.time(12))

    with translation.override("en"):
        assert opening_hours(hall) == (
            "Mon 08:30-12:00, 13:30-17:30; Tue 08:30-12:00, 13:30-17:30, 17:30-19:30; "
            "Wed-Fri 08:30-12:00, 13:30-17:30; Sat 09:00-12:00"
        )
    with translation.override("zh-hans"):
        assert opening_hours(hall) == (
            "周一 08:30-12:00, 13:30-17:30; 周二 08:30-12:00, 13:30-17:30, 17:30-19:30; "
            "周三至周五 08:30-12:00, 13:30-17:30; 周六 09:00-12:00"
        )
