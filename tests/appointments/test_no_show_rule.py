"""One no-show rule per hall (BookingRules.no_show_grace_minutes, appointments/noshow.py), asked by the
sweep, check-in, the console's lateness and the per-person block: every combination of lateness and grace
gives the same answer everywhere, and the sweep and check-in agree at the boundary."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from appointments import housekeeping, limits, noshow
from appointments.availability import rules_for
from appointments.models import Booking, BookingRules, BookingState
from queueing import calls
from queueing import services as queue_services
from queueing.models import Ticket
from queueing.services import Actor, QueueError
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = pytest.mark.django_db
KIOSK = Actor("kiosk")
M = dt.timedelta(minutes=1)
GRACES = (1, 15, 45)  # minutes
# Arrival relative to the window (30 minutes from 10:00): (name, instant given window start and grace).
LATENESS = {
    "early": lambda start, grace: start - 10 * M,
    "on time": lambda start, grace: start + 20 * M,
    "inside grace": lambda start, grace: start + 30 * M + (grace - 1) * M,
    "exactly at grace": lambda start, grace: start + 30 * M + grace * M,
    "one minute past": lambda start, grace: start + 30 * M + (grace + 1) * M,
}
PAST = {"one minute past"}
MINUTES_LATE = {
    "early": lambda grace: 0,
    "on time": lambda grace: 0,
    "inside grace": lambda grace: grace - 1,
    "exactly at grace": lambda grace: grace,
    "one minute past": lambda grace: grace + 1,
}
COMBINATIONS = [(lateness, grace) for lateness in LATENESS for grace in GRACES]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def hall():
    return make_hall_open_today()


@pytest.fixture
def service(hall):
    return make_service(hall)


def window_start(hall) -> dt.datetime:
    return dt.datetime.combine(timezone.localdate(), dt.time(10), hall.tz)


def booked(hall, service, grace: int) -> Booking:
    BookingRules.objects.update_or_create(hall=hall, defaults={"no_show_grace_minutes": grace})
    return book(service, window_start(hall))


def check_in(hall, booking, now) -> str:
    """'ticket' or the refusal's code."""
    try:
        queue_services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=now)
    except QueueError as error:
        return error.code
    return "ticket"


@pytest.mark.parametrize(("lateness", "grace"), COMBINATIONS)
def test_rule_answers_every_combination(lateness, grace):
    start = dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)
    end = start + 30 * M
    rule = noshow.NoShowRule(grace=grace * M)
    at = LATENESS[lateness](start, grace)

    assert rule.is_no_show(end, at) is (lateness in PAST)
    assert rule.minutes_late(end, at) == MINUTES_LATE[lateness](grace)
    assert rule.check_in_closes(end) == end + grace * M


@pytest.mark.parametrize(("lateness", "grace"), COMBINATIONS)
def test_check_in_follows_the_hall_rule(hall, service, lateness, grace):
    booking = booked(hall, service, grace)
    now = LATENESS[lateness](window_start(hall), grace)

    assert check_in(hall, booking, now) == ("too_late" if lateness in PAST else "ticket")


@pytest.mark.parametrize(("lateness", "grace"), COMBINATIONS)
def test_sweep_follows_the_hall_rule(hall, service, lateness, grace):
    booking = booked(hall, service, grace)
    now = LATENESS[lateness](window_start(hall), grace)

    marked = housekeeping.mark_no_shows(now=now)

    booking.refresh_from_db()
    expected = lateness in PAST
    assert (marked, booking.state) == (1, BookingState.NO_SHOW) if expected else (0, BookingState.BOOKED)


@pytest.mark.parametrize(("lateness", "grace"), COMBINATIONS)
def test_sweep_then_check_in_agree(hall, service, lateness, grace):
    """The sweep runs at the same instant as the citizen types the code: whoever comes first, the citizen
    is told the same thing, never "No booking with this code"."""
    booking = booked(hall, service, grace)
    now = LATENESS[lateness](window_start(hall), grace)

    housekeeping.mark_no_shows(now=now)
    answer = check_in(hall, booking, now)

    assert answer == ("too_late" if lateness in PAST else "ticket")
    booking.refresh_from_db()
    assert booking.state == (BookingState.NO_SHOW if lateness in PAST else BookingState.CHECKED_IN)


@pytest.mark.parametrize(("lateness", "grace"), COMBINATIONS)
def test_block_counts_a_missed_booking_by_the_same_rule_before_the_sweep(hall, service, lateness, grace):
    booking = booked(hall, service, grace)
    now = LATENESS[lateness](window_start(hall), grace)

    warning = limits.no_show_warning(rules_for(hall), booking.id_hash, booking.phone_hash, now)

    assert (warning is not None) is (lateness in PAST)


def test_a_hall_with_a_longer_grace_is_not_swept_by_another_halls_rule(hall, service):
    south = make_hall_open_today(slug="south")
    BookingRules.objects.create(hall=south, no_show_grace_minutes=45)
    south_booking = book(make_service(south), window_start(south), n=2)
    north_booking = booked(hall, service, 15)

    housekeeping.mark_no_shows(now=window_start(hall) + 30 * M + 16 * M)

    assert Booking.objects.get(pk=north_booking.pk).state == BookingState.NO_SHOW
    assert Booking.objects.get(pk=south_booking.pk).state == BookingState.BOOKED


@pytest.mark.parametrize(
    ("lateness", "shown"), [("on time", None), ("inside grace", 14), ("exactly at grace", 15)]
)
def test_console_shows_how_late_a_booking_checked_in(hall, service, lateness, shown):
    counter = make_counter(hall, 1, [service])
    clerk = make_staff(hall)
    booking = booked(hall, service, 15)
    now = LATENESS[lateness](window_start(hall), 15)
    queue_services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=now)
    calls.open_counter(counter=counter, actor=Actor("console", clerk))
    calls.call_next(counter=counter, actor=Actor("console", clerk), now=now + M)
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(clerk)

    page = client.get(reverse("queueing:counter", args=[counter.pk])).content.decode()

    assert Ticket.objects.get().counter == counter
    if shown is None:
        assert "after the window" not in page
    else:
        assert f"checked in {shown} min after the window (allowed until 10:45)" in page
