"""The day's register (预约登记簿): bookings by arrival window with state and masked personal data, the
walk-ins, totals, other days, bad dates, and a query count that does not grow with the bookings."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments import services as booking_services
from appointments.models import Booking
from queueing import register, walkins
from queueing import services as queue_services
from tests.makers import make_service, make_staff, make_weekday_hours
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall():
    return make_hall_open_today()


@pytest.fixture
def renewal(hall):
    return make_service(hall)


@pytest.fixture
def certificate(hall):
    return make_service(hall, "certificate", "B", name_zh_hans="户籍证明", name_en="Household certificate")


@pytest.fixture
def clerk(hall):
    return make_staff(hall)


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def page(user, client=None, **query):
    client = client or signed_in(user)
    return client.get(reverse("queueing:register", args=[user.staff.hall.slug]), query)


def window_start(minutes_from_now: int) -> dt.datetime:
    """A whole minute; windows in the register are keyed by their start."""
    return (timezone.now() + dt.timedelta(minutes=minutes_from_now)).replace(second=0, microsecond=0)


def walk_in(hall, service, **fields):
    return walkins.issue_walk_in(
        hall=hall, service=service, actor=queue_services.Actor("kiosk"), **fields
    ).ticket


def test_register_groups_bookings_by_window_with_state_ticket_and_walk_ins(hall, renewal, certificate):
    early, late = window_start(10), window_start(70)
    checked_in = book(renewal, early, n=1)
    green = book(certificate, early, n=2)
    Booking.objects.filter(pk=green.pk).update(green_channel="elderly", persons=2)
    cancelled = book(renewal, late, n=3)
    booking_services.cancel_booking(booking=cancelled, actor=booking_services.Actor("web"))
    ticket = queue_services.check_in(hall=hall, code=checked_in.code, actor=queue_services.Actor("kiosk"))
    walked_in = walk_in(hall, certificate)

    built = register.build(hall, timezone.localdate())

    assert [(w.start, [(e.booking, e.ticket) for e in w.entries]) for w in built.windows] == [
        (early, [(green, None), (checked_in, ticket)]),  # B certificate before A renewal: by service
        (late, [(cancelled, None)]),
    ]
    assert built.walk_ins == [walked_in]
    assert [(state, count) for state, _label, count in built.booking_totals] == [
        ("booked", 1),
        ("cancelled", 1),
        ("checked_in", 1),
        ("no_show", 0),
        ("served", 0),
        ("unfinished", 0),  # checked in, their ticket ended with the day (queueing.dayend)
    ]
    assert (built.bookings, built.persons) == (3, 3)
    assert [(state, count) for state, _label, count in built.walk_in_totals] == [("waiting", 1)]


def test_register_page_shows_masked_personal_data_only(hall, renewal, clerk):
    booking = book(renewal, window_start(10), n=1)

    html = page(clerk).content.decode()

    assert booking.code in html
    assert "王*" in html and "139****0001" in html and booking.id_masked in html
    assert "王五" not in html and "13900000001" not in html
    assert '<dd data-state="booked">1</dd>' in html


def test_register_page_lists_walk_ins_with_number_service_state_and_time(hall, certificate, clerk):
    ticket = walk_in(hall, certificate, green_channel="pregnant")

    html = page(clerk).content.decode()

    issued = timezone.localtime(ticket.issued_at, hall.tz).strftime("%H:%M")
    assert f'<th scope="row" class="code">{ticket.number}</th>' in html
    assert "Household certificate" in html and '<strong class="green">pregnant</strong>' in html
    assert f"<td>{issued}</td>" in html
    assert '<dd data-state="walk_ins">1</dd>' in html


def test_register_of_another_day_links_to_the_days_around_it(hall, renewal, clerk):
    book(renewal, window_start(10), n=1)  # today: not on tomorrow's register
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    html = page(clerk, date=tomorrow.isoformat()).content.decode()

    assert f"{tomorrow:%Y-%m-%d}" in html
    assert f'href="?date={timezone.localdate():%Y-%m-%d}" rel="prev"' in html
    assert f'href="?date={tomorrow + dt.timedelta(days=1):%Y-%m-%d}" rel="next"' in html
    assert "No bookings for this day." in html


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-45", "Enter the date like 2026-12-07. The register of today is shown."),
        ("yesterday", "Enter the date like 2026-12-07. The register of today is shown."),
        ("0001-01-01", "Choose a date between 2000-01-01 and "),
        ("9999-12-31", "Choose a date between 2000-01-01 and "),
    ],
)
def test_register_with_a_bad_date_says_so_and_shows_today(hall, clerk, value, message):
    response = page(clerk, date=value)

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in html


def test_register_of_another_hall_is_not_found(hall, renewal):
    other = make_staff(make_hall_open_today(slug="south"), "south-clerk")
    client = Client()
    client.force_login(other)

    assert client.get(reverse("queueing:register", args=[hall.slug])).status_code == 404


def test_register_queries_do_not_grow_with_bookings(hall, renewal, certificate, clerk):
    first = book(renewal, window_start(10), n=1)
    queue_services.check_in(hall=hall, code=first.code, actor=queue_services.Actor("kiosk"))
    walk_in(hall, certificate)
    client = signed_in(clerk)
    page(clerk, client)  # the session's first request, with its one-off queries
    with CaptureQueriesContext(connection) as one:
        page(clerk, client)
    second = book(certificate, window_start(20), n=2)
    queue_services.check_in(hall=hall, code=second.code, actor=queue_services.Actor("kiosk"))
    book(renewal, window_start(70), n=3)
    walk_in(hall, renewal)
    walk_in(hall, certificate)

    with CaptureQueriesContext(connection) as three:
        html = page(clerk, client).content.decode()

    assert html.count("data-booking=") == 3 and html.count("data-ticket=") == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_console_and_supervisor_pages_link_to_the_register(hall, renewal, clerk):
    boss = make_staff(hall, "boss", role="supervisor")
    address = reverse("queueing:register", args=[hall.slug])
    clerk_client, boss_client = Client(), Client()
    clerk_client.force_login(clerk)
    boss_client.force_login(boss)

    console = clerk_client.get(reverse("queueing:console")).content.decode()
    dashboard = boss_client.get(reverse("reports:dashboard", args=[hall.slug])).content.decode()

    assert f'href="{address}"' in console
    assert f'href="{address}"' in dashboard


def test_register_steps_over_the_weekend_to_the_next_open_day(hall, clerk):
    make_weekday_hours(hall)
    friday = dt.date(2025, 11, 14)  # an ordinary week: open Monday to Friday

    html = page(clerk, date=friday.isoformat()).content.decode()

    assert 'href="?date=2025-11-13" rel="prev"' in html  # Thursday
    assert 'href="?date=2025-11-17" rel="next"' in html  # Monday, not the closed Saturday
    monday = page(clerk, date="2025-11-17").content.decode()
    assert 'href="?date=2025-11-14" rel="prev"' in monday
