"""Acceptance: a booking with two services checks in as one ticket, is served at two counters in turn, and
counts once per service (and once as a visitor) in the supervisor's figures.

The day, worked by hand (times in Asia/Shanghai, 24 November 2026):
- V: booked for A (ID card renewal) and B (household certificate) at 9:00; checks in at 9:00 (A001).
  Window 1 (A only, clerk1) calls it at 9:04, serves 9:05-9:15 (handling 10). It queues for B at 9:15 and
  window 2 (B only, clerk2) calls it at 9:18 (wait 3), serves 9:20-9:26 (handling 6). Done.
- W: a walk-in for B at 9:10 (B001); window 2 calls it at 9:26 (wait 16), serves 9:27-9:35 (handling 8).
So A: 1 issued, 1 served, wait 4, handling 10; B: 2 issued (V's matter and W), 2 served, waits 3 and 16
(mean 9.5), handlings 6 and 8 (mean 7). Visitors (issued): 2, of them 1 appointment and 1 walk-in; visits
served: 2 (V's two matters are one visit). Window 1: 1 served; window 2: 2 served; clerk1: 1, clerk2: 2.
"""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.contrib.auth.models import User
from django.utils import translation

from appointments import availability
from appointments import services as booking_services
from appointments.models import BookingRules, BookingState
from queueing import calls, closing, dayend, services, walkins
from queueing.models import Outcome, Ticket
from queueing.services import Actor
from reports import exports, report
from tests.makers import (
    make_counter,
    make_hall,
    make_id_number,
    make_reports_key,
    make_service,
    make_staff,
    make_weekday_hours,
)

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 11, 24)


def at(hour, minute):
    return dt.datetime(2026, 11, 24, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def day():
    hall = make_hall()
    make_weekday_hours(hall)
    BookingRules.objects.create(hall=hall, held_back_percent=0, utilisation_percent=100)
    a = make_service(hall, "id-renewal", "A", name_en="ID card renewal")
    b = make_service(hall, "certificate", "B", name_en="Household certificate", name_zh_hans="户籍证明")
    one, two = make_counter(hall, 1, [a]), make_counter(hall, 2, [b])
    clerk1, clerk2 = make_staff(hall, "clerk1"), make_staff(hall, "clerk2")
    supervisor = make_staff(hall, "boss", role="supervisor")
    at1, at2 = Actor("console", clerk1), Actor("console", clerk2)
    calls.open_counter(counter=one, actor=at1, now=at(8, 30))
    calls.open_counter(counter=two, actor=at2, now=at(8, 30))

    availability.sync_slots(service=a, date=DAY)
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse("13900000001", "CN"), id_number=make_id_number(1)
    )
    booking = booking_services.book(
        slot=a.slots.get(start=at(9, 0)),
        citizen=citizen,
        also=[b],
        actor=booking_services.Actor("web"),
        now=at(9, 0) - dt.timedelta(days=1),
    )
    v = services.check_in(hall=hall, code=booking.code, actor=Actor("kiosk"), now=at(9, 0))
    w = walkins.issue_walk_in(hall=hall, service=b, actor=Actor("kiosk"), now=at(9, 10)).ticket
    calls.call_next(counter=one, actor=at1, now=at(9, 4))
    calls.start_serving(ticket=v, actor=at1, now=at(9, 5))
    calls.complete(ticket=v, actor=at1, now=at(9, 15))
    assert calls.call_next(counter=two, actor=at2, now=at(9, 18)) == v
    calls.start_serving(ticket=v, actor=at2, now=at(9, 20))
    calls.complete(ticket=v, actor=at2, now=at(9, 26))
    assert calls.call_next(counter=two, actor=at2, now=at(9, 26)) == w
    calls.start_serving(ticket=w, actor=at2, now=at(9, 27))
    calls.complete(ticket=w, actor=at2, now=at(9, 35))
    booking.refresh_from_db()
    assert (booking.state, Ticket.objects.count()) == (BookingState.SERVED, 2)
    return {"hall": hall, "one": one, "two": two, "supervisor": supervisor}


def test_report_counts_each_service_once_and_the_visitor_once(day):
    result = report.build(day["hall"], DAY, DAY, compare=False)

    # Two visitors, both served: the booking's two matters are one visit, served once.
    assert (result.issued, result.served, result.appointments, result.walk_ins) == (2, 2, 1, 1)
    assert [
        (r.label, r.issued, r.served, r.wait.mean, r.handling.mean, r.handling.count)
        for r in result.by_service
    ] == [
        ("B Household certificate", 2, 2, 9.5, 7.0, 2),
        ("A ID card renewal", 1, 1, 4.0, 10.0, 1),
    ]
    assert [(r.key, r.served, sorted(r.handlings)) for r in result.by_counter] == [
        (day["one"].pk, 1, [10.0]),
        (day["two"].pk, 2, [6.0, 8.0]),
    ]
    assert sorted((r.label, r.served) for r in result.by_staff) == [("clerk1", 1), ("clerk2", 2)]
    assert [(d.issued, d.served) for d in result.by_day] == [(2, 2)]
    assert result.hours == [(9, 2, 2)]


def test_stats_api_counts_each_service_once(client, day):
    key = make_reports_key(day["supervisor"], day["hall"])

    body = client.get(
        f"/api/v1/halls/north/stats?date={DAY}", HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en"
    ).json()

    assert (body["issued"], body["served"], body["appointments"], body["walk_ins"]) == (2, 2, 1, 1)
    assert [(s["name"], s["issued"], s["served"], s["handling"]["mean"]) for s in body["by_service"]] == [
        ("B Household certificate", 2, 2, 7.0),
        ("A ID card renewal", 1, 1, 10.0),
    ]


def test_a_transferred_visit_is_issued_once_and_served_once_over_a_month(day):
    """X, a walk-in for A at 9:40 (A002), is called at window 1 at 9:41 and transferred to B at 9:45 (a new
    ticket, B002, at the head of B's queue); window 2 calls it at 9:46 and serves it 9:47-9:55. The hall:
    3 visitors issued, 3 served (not 4: X once). A: V's matter and X's first ticket issued, V's served. B: V's
    matter, W and X's new ticket issued, all three served. Window 1 served 1 (X was handed on, not served
    there), window 2 served 3."""
    hall, one, two = day["hall"], day["one"], day["two"]
    a, b = hall.services.get(prefix="A"), hall.services.get(prefix="B")
    clerk1, clerk2 = Actor("console", one.session.user), Actor("console", two.session.user)
    x = walkins.issue_walk_in(hall=hall, service=a, actor=Actor("kiosk"), now=at(9, 40)).ticket
    assert calls.call_next(counter=one, actor=clerk1, now=at(9, 41)) == x
    moved = calls.transfer(ticket=x, actor=clerk1, service=b, now=at(9, 45), at_counter=one)
    assert calls.call_next(counter=two, actor=clerk2, now=at(9, 46)) == moved
    calls.start_serving(ticket=moved, actor=clerk2, now=at(9, 47))
    calls.complete(ticket=moved, actor=clerk2, now=at(9, 55))

    month = report.build(hall, DAY.replace(day=1), DAY.replace(day=30))

    assert (month.issued, month.served) == (3, 3)
    assert [(r.label, r.issued, r.served) for r in month.by_service] == [
        ("B Household certificate", 3, 3),
        ("A ID card renewal", 2, 1),
    ]
    assert [(r.key, r.served) for r in month.by_counter] == [(one.pk, 1), (two.pk, 3)]
    assert [(d.key, d.issued, d.served) for d in month.by_day if d.issued or d.served] == [(DAY, 3, 3)]
    assert month.hours == [(9, 3, 3)]


def checked_in_for_both(day, n: int, name: str):
    """A citizen booked for A and B at 9:30 (the day before), checked in at 9:30; with the two windows'
    clerks as actors."""
    hall, one, two = day["hall"], day["one"], day["two"]
    a, b = one.services.get(), two.services.get()
    clerks = tuple(Actor("console", User.objects.get(username=name)) for name in ("clerk1", "clerk2"))
    citizen = booking_services.Citizen(
        name=name, phone=phonenumbers.parse(f"1390000000{n}", "CN"), id_number=make_id_number(n)
    )
    booking = booking_services.book(
        slot=a.slots.get(start=at(9, 30)),
        citizen=citizen,
        also=[b],
        actor=booking_services.Actor("web"),
        now=at(9, 0) - dt.timedelta(days=1),
    )
    ticket = services.check_in(hall=hall, code=booking.code, actor=Actor("kiosk"), now=at(9, 30))
    return booking, ticket, clerks


def test_a_visit_served_for_one_matter_and_gone_before_the_next_is_served_not_a_no_show(day):
    """Y: booked for A and B at 9:30, checks in at 9:30 (A002); window 1 serves A 9:31-9:40; window 2
    calls it for B at 9:41, and Y has gone: a no-show for B. The visit was served (its first matter), so
    the hall's figures count it served and not also as a no-show; B's row counts the no-show."""
    hall, one, two = day["hall"], day["one"], day["two"]
    booking, y, (at1, at2) = checked_in_for_both(day, 2, "赵六")
    assert calls.call_next(counter=one, actor=at1, now=at(9, 31)) == y
    calls.start_serving(ticket=y, actor=at1, now=at(9, 31))
    calls.complete(ticket=y, actor=at1, now=at(9, 40))
    assert calls.call_next(counter=two, actor=at2, now=at(9, 41)) == y
    calls.mark_no_show(ticket=y, actor=at2, now=at(9, 45))

    result = report.build(hall, DAY, DAY, compare=False)

    assert (result.issued, result.served, result.total.no_show) == (3, 3, 0)
    assert [(d.issued, d.served, d.no_show) for d in result.by_day] == [(3, 3, 0)]
    assert [(r.label, r.issued, r.served, r.no_show) for r in result.by_service] == [
        ("B Household certificate", 3, 2, 1),
        ("A ID card renewal", 2, 2, 0),
    ]
    booking.refresh_from_db()
    assert booking.state == BookingState.SERVED


def test_a_visit_lacking_papers_for_both_matters_counts_once_in_the_hall_and_once_per_service(day):
    """Z: booked for A and B at 9:30; both matters end with materials missing. Each service counts its
    own; the hall counts the visit once (one citizen told once what to bring: 一次性告知)."""
    hall, one, two = day["hall"], day["one"], day["two"]
    _booking, z, (at1, at2) = checked_in_for_both(day, 3, "钱七")
    missing = {"outcome": Outcome.MATERIALS_MISSING, "missing_note": "户口簿"}
    assert calls.call_next(counter=one, actor=at1, now=at(9, 31)) == z
    calls.complete(ticket=z, actor=at1, now=at(9, 40), **missing)
    assert calls.call_next(counter=two, actor=at2, now=at(9, 41)) == z
    calls.complete(ticket=z, actor=at2, now=at(9, 45), **missing)

    result = report.build(hall, DAY, DAY, compare=False)

    assert (result.served, result.total.materials_missing) == (3, 1)
    assert [d.materials_missing for d in result.by_day] == [1]
    assert [(r.label, r.materials_missing) for r in result.by_service] == [
        ("B Household certificate", 1),
        ("A ID card renewal", 1),
    ]


def test_the_export_has_the_visits_rebooked_and_not_finished_per_row(day):
    """The CSV's last two columns: booked for the next open day at closing, not finished when the day
    ended. W2, a walk-in for B at 16:45 still waiting at closing, is rebooked; V3, checked in for A and B at
    9:30 and left parked at window 1 when the day ended, is not finished (its visit once, for A)."""
    hall, one = day["hall"], day["one"]
    booking, v3, (at1, _at2) = checked_in_for_both(day, 4, "孙八")
    assert calls.call_next(counter=one, actor=at1, now=at(9, 31)) == v3
    calls.park(ticket=v3, actor=at1, now=at(9, 35))
    b = day["two"].services.get()
    w2 = walkins.issue_walk_in(hall=hall, service=b, actor=Actor("kiosk"), now=at(16, 45)).ticket
    closing.rebook(
        ticket=w2,
        user=day["supervisor"],
        now=at(17, 35),
        details=closing.Details("周九", phonenumbers.parse("13900000005", "CN"), make_id_number(5)),
    )
    dayend.end_past_days(now=at(9, 0) + dt.timedelta(days=1))

    result = report.build(hall, DAY, DAY, compare=False)
    table = {(row[0], row[1]): row for row in exports.rows(result)}

    assert (result.rebooked, result.day_ended) == (1, 1)
    assert table["total", str(hall)][-2:] == [1, 1]
    assert table["service", "A ID card renewal"][-2:] == [0, 1]
    assert table["service", "B Household certificate"][-2:] == [1, 1]  # W2, and V3's matter for B
    assert exports.header()[-2:] == [
        "Booked for the next open day at closing",
        "Not finished when the day ended",
    ]
