"""Every figure of the report for a hand-computed day (tests/reports/day.py).

Waits (minutes) of the called tickets: A001 10, A002 20, A003 12, A004 6, B001 4, B002 30, B004 26.
Handling of the tickets done: A001 10 (9:12→9:22), A002 6 (no separate start: 9:25→9:31), B001 15,
B002 24, B004 10. Percentiles interpolate linearly: p90 of 7 sorted values is v[5] + 0.4·(v[6] − v[5]).
"""

import datetime as dt

import pytest

from queueing.models import TicketKind, TicketState
from reports import report
from tests.reports.day import DAY, at, build_day, make_ticket

pytestmark = pytest.mark.django_db


def r6(value):
    return None if value is None else round(value, 6)


def summary(s):
    return (s.count, r6(s.mean), r6(s.p50), r6(s.p90))


@pytest.fixture
def day():
    return build_day()


def test_report_totals_match_the_hand_computed_day(day):
    result = report.build(day.hall, DAY, DAY)

    assert (result.issued, result.served) == (7, 5)
    assert (result.total.no_show, result.no_show_bookings, result.no_show) == (1, 1, 2)
    assert (result.cancelled, result.tickets_cancelled) == (1, 1)
    assert (result.appointments, result.walk_ins, result.green_channel) == (2, 5, 1)
    assert result.total.materials_missing == 1
    # 4, 6, 10, 12, 20, 26, 30: mean 108/7, median 12, p90 26 + 0.4·4
    assert summary(result.total.wait) == (7, r6(108 / 7), 12, 27.6)
    # 6, 10, 10, 15, 24: mean 13, median 10, p90 15 + 0.6·9
    assert summary(result.total.handling) == (5, 13, 10, 20.4)
    assert r6(result.total.sla_percent) == r6(100 * 4 / 7)  # 4, 6, 10, 12 are under 15
    assert (result.total.ratings.count, r6(result.total.ratings.average)) == (3, r6(11 / 3))
    assert result.total.ratings.by_score == {5: 1, 4: 1, 3: 0, 2: 1, 1: 0}
    assert result.hours == [(9, 6, 3), (10, 1, 2)]


def test_report_per_service(day):
    result = report.build(day.hall, DAY, DAY)

    assert [r.key for r in result.by_service] == [day.b.pk, day.a.pk]  # by position, then code
    b, a = result.by_service
    assert (a.key, a.issued, a.served, a.no_show, a.materials_missing) == (day.a.pk, 4, 2, 1, 1)
    assert summary(a.wait) == (4, 12, 11, 17.6)  # 6, 10, 12, 20
    assert summary(a.handling) == (2, 8, 8, 9.6)  # 6, 10
    assert a.sla_percent == 75
    assert (a.ratings.count, a.ratings.average) == (1, 5)
    # A002's citizen was served for A ten days before; A001's citizen (by booking) was not.
    assert (a.repeat_citizens, a.repeaters, a.repeat_percent) == (2, 1, 50)
    # B004, transferred from A, was issued for B too: each service counts the citizens queued for it.
    assert (b.key, b.issued, b.served, b.no_show, b.materials_missing) == (day.b.pk, 4, 3, 0, 0)
    assert summary(b.wait) == (3, 20, 26, 29.2)  # 4, 26, 30
    assert summary(b.handling) == (3, r6(49 / 3), 15, 22.2)  # 10, 15, 24
    assert r6(b.sla_percent) == r6(100 / 3)
    assert (b.ratings.count, b.ratings.average) == (2, 3)
    # B001's earlier visit is 40 days back; B002 is known by phone; B004 (a transfer) by nothing.
    assert (b.repeat_citizens, b.repeaters, b.repeat_percent) == (2, 0, 0)


def test_report_per_counter_with_open_and_idle_time(day):
    result = report.build(day.hall, DAY, DAY)

    c1, c2 = result.by_counter
    # Counter 1: A001–A004; first event 9:10 (call of A001), last 9:40 (A004 transferred): 30 minutes
    # open, 10 + 6 handling.
    assert (c1.key, c1.served, c1.no_show) == (day.c1.pk, 2, 1)
    assert summary(c1.wait) == (4, 12, 11, 17.6)
    assert (c1.open_minutes, c1.idle_minutes) == (30, 14)
    assert (c1.ratings.count, c1.ratings.average) == (1, 5)
    # Counter 2: B001, B002, B004; 9:04 → 10:16 is 72 minutes, 15 + 24 + 10 handling.
    assert (c2.key, c2.served, c2.no_show) == (day.c2.pk, 3, 0)
    assert summary(c2.handling) == (3, r6(49 / 3), 15, 22.2)
    assert (c2.open_minutes, c2.idle_minutes) == (72, 23)
    assert (c2.ratings.count, c2.ratings.average) == (2, 3)


def test_report_per_staff_member_by_ticket_owner(day):
    result = report.build(day.hall, DAY, DAY)

    by_user = {row.key: row for row in result.by_staff}
    assert set(by_user) == {day.clerk1.pk, day.clerk2.pk}
    first, second = by_user[day.clerk1.pk], by_user[day.clerk2.pk]
    # clerk1 owns A001, A002, A004 and B004 (a transfer keeps its owner); worked 9:10 → 9:40.
    assert (first.label, first.served, first.no_show) == ("north-clerk1", 3, 0)
    assert summary(first.wait) == (4, 15.5, 15, 24.2)  # 6, 10, 20, 26
    assert summary(first.handling) == (3, r6(26 / 3), 10, 10)
    assert (first.open_minutes, first.idle_minutes) == (30, 4)
    # clerk2 owns B001, B002 and worked 9:04 → 10:16 (B004 at counter 2 included).
    assert (second.served, summary(second.wait)) == (2, (2, 17, 17, 27.4))
    assert (second.open_minutes, second.idle_minutes) == (72, 33)


def test_report_compares_with_the_previous_day(day):
    result = report.build(day.hall, DAY, DAY)

    assert (result.previous.first, result.previous.last) == (DAY - dt.timedelta(days=1),) * 2
    comparison = {name: (now, before, r6(change)) for name, now, before, change in result.comparison()}
    assert comparison["issued"] == (7, 1, 600)
    assert comparison["served"] == (5, 1, 400)
    assert comparison["wait_mean"] == (108 / 7, 5, r6(100 * (108 / 7 - 5) / 5))
    assert comparison["cancelled"] == (1, 0, None)


def test_report_over_a_range_adds_days(day):
    result = report.build(day.hall, DAY - dt.timedelta(days=1), DAY)

    assert (result.issued, result.served) == (8, 6)
    assert [(r.key, r.issued, r.served) for r in result.by_day] == [
        (DAY - dt.timedelta(days=1), 1, 1),
        (DAY, 7, 5),
    ]
    c1 = next(r for r in result.by_counter if r.key == day.c1.pk)
    assert (c1.open_minutes, c1.idle_minutes) == (30 + 10, 14)  # the previous day: 9:05 → 9:15, 10 handling
    assert (result.previous.first, result.previous.last) == (
        DAY - dt.timedelta(days=3),
        DAY - dt.timedelta(days=2),
    )


def test_report_of_an_empty_day_has_no_figures(day):
    result = report.build(day.hall, DAY + dt.timedelta(days=7), DAY + dt.timedelta(days=7))

    assert (result.issued, result.served, result.no_show, result.by_service, result.hours) == (
        0,
        0,
        0,
        [],
        [],
    )
    assert summary(result.total.wait) == (0, None, None, None)
    assert result.total.sla_percent is None


def _friday_before(monday: dt.date) -> dt.date:
    assert monday.weekday() == 0
    return monday - dt.timedelta(days=3)


def test_a_mondays_report_compares_with_the_previous_open_day_not_the_closed_sunday(day):
    # The hall opens Monday to Friday: the Monday before DAY follows a closed weekend.
    monday = DAY - dt.timedelta(days=DAY.weekday())
    friday = _friday_before(monday)
    for number, minute in (("A001", 0), ("A002", 10)):
        make_ticket(
            day.hall,
            day.a,
            number,
            TicketKind.WALK_IN,
            TicketState.DONE,
            at(9, minute, friday),
            at(9, minute + 2, friday),
            None,
            at(9, minute + 8, friday),
            counter=day.c1,
        )

    result = report.build(day.hall, monday, monday)

    assert (result.previous.first, result.previous.last) == (friday, friday)
    comparison = {name: (now, before) for name, now, before, _change in result.comparison()}
    assert comparison["issued"] == (1, 2)
    assert comparison["served"] == (1, 2)


def test_a_days_report_without_an_open_day_in_its_calendar_compares_with_the_day_before(day):
    day.hall.weekly_sessions.all().delete()

    result = report.build(day.hall, DAY, DAY)

    assert (result.previous.first, result.previous.last) == (DAY - dt.timedelta(days=1),) * 2
