"""Issuing tickets at the kiosk and the front desk (导办): POST /api/v1/halls/{hall}/tickets."""

import datetime as dt

import pytest
from django.utils import timezone

from appointments.api import availability
from queueing.api import tickets
from queueing.models import Ticket, TicketEvent, WalkInQuota
from queueing.services import (
    BOOKING_NOT_FOUND,
    DUPLICATE_TICKET,
    QUOTA_EXHAUSTED,
    TOO_EARLY,
    TOO_LATE,
)
from tests.api.helpers import in_language
from tests.makers import make_id_number
from tests.queueing.api.helpers import UNAUTHORIZED, call, error, walk_in
from tests.queueing.helpers import book

pytestmark = pytest.mark.django_db


# Issuing tickets (kiosk and 导办)


def test_device_token_issues_walk_in_ticket(client, hall, service, opened, kiosk_key):
    walk_in(hall, service)

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"service": "id-renewal"})

    ticket = Ticket.objects.get(number="A002")
    assert response.status_code == 201
    assert response.json() == {
        "id": ticket.pk,
        "token": ticket.token,
        "number": "A002",
        "service": "id-renewal",
        "position": 2,
        "ahead": 1,
        "seat": ticket.seat,
        "inside": True,
        "estimated_wait_minutes": 9,  # one ticket ahead of 10 +- 5 minutes: most of the 40 plays at 4-14
        "estimated_wait_low": 5,
        "estimated_wait_high": 12,
    }
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.to_state, event.source, event.actor.username) == ("waiting", "api", "kiosk-north")
    assert (ticket.kind, ticket.green_channel, ticket.language) == ("walk_in", "", "en")


def test_device_token_may_not_give_green_channel(client, hall, service, kiosk_key):
    body = {"service": "id-renewal", "green_channel": "elderly"}

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, body)

    assert (response.status_code, response.json()) == (
        403,
        error("forbidden", tickets.GREEN_CHANNEL_STAFF_ONLY, ["green_channel"]),
    )
    assert Ticket.objects.count() == 0


def test_staff_token_gives_green_channel_which_goes_first(client, hall, service, opened, key):
    walk_in(hall, service)
    body = {"service": "id-renewal", "green_channel": "elderly", "id_number": make_id_number(7)}

    response = call(client, "post", "/api/v1/halls/north/tickets", key, body)

    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (response.status_code, response.json()["position"], response.json()["ahead"]) == (201, 1, 0)
    assert (ticket.number, ticket.green_channel, ticket.id_hash != "") == ("A002", "elderly", True)


def test_check_in_booking_issues_ticket_and_again_answers_200_with_the_same(client, hall, service, kiosk_key):
    booking = book(service, timezone.now() - dt.timedelta(minutes=5))

    first = call(
        client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"booking_code": booking.code.lower()}
    )
    again = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"booking_code": booking.code})

    ticket = Ticket.objects.get()
    assert (first.status_code, again.status_code) == (201, 200)
    assert (
        first.json()
        == again.json()
        == {
            "id": ticket.pk,
            "token": ticket.token,
            "number": "A001",
            "service": "id-renewal",
            "position": 1,
            "ahead": 0,
            "seat": ticket.seat,
            "inside": True,
            "estimated_wait_minutes": 0,
            "estimated_wait_low": None,
            "estimated_wait_high": None,
        }
    )
    assert (ticket.kind, ticket.booking, ticket.booked_start) == ("appointment", booking, booking.slot.start)


def test_check_in_too_early_is_409_with_the_time(client, hall, service, kiosk_key):
    start = timezone.now() + dt.timedelta(hours=3)
    booking = book(service, start)

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"booking_code": booking.code})

    opens = timezone.localtime(start - dt.timedelta(minutes=30), hall.tz).strftime("%H:%M")
    message = in_language("en", TOO_EARLY) % {"time": opens}
    assert (response.status_code, response.json()) == (
        409,
        {"error": "too_early", "message": message, "fields": {"booking_code": message}},
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_check_in_too_late_is_409(client, hall, service, kiosk_key, language):
    booking = book(service, timezone.now() - dt.timedelta(hours=2))

    body = {"booking_code": booking.code}
    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, body, language=language)

    assert (response.status_code, response.json()) == (
        409,
        error("too_late", TOO_LATE, ["booking_code"], language=language),
    )


def test_check_in_unknown_code_is_404(client, hall, service, kiosk_key):
    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"booking_code": "NOPE1234"})

    assert (response.status_code, response.json()) == (
        404,
        error("not_found", BOOKING_NOT_FOUND, ["booking_code"]),
    )


def test_walk_in_over_daily_quota_is_409(client, hall, service, kiosk_key):
    WalkInQuota.objects.create(service=service, per_day=1, per_hour=10)
    walk_in(hall, service)

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"service": "id-renewal"})

    assert (response.status_code, response.json()) == (
        409,
        error("quota_exhausted", QUOTA_EXHAUSTED, ["service"]),
    )


def test_walk_in_same_person_twice_is_409_duplicate_ticket(client, hall, service, kiosk_key):
    body = {"service": "id-renewal", "id_number": make_id_number(3), "phone": "13900000003"}
    call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, body)

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, body)

    message = in_language("en", DUPLICATE_TICKET) % {"number": "A001"}
    assert (response.status_code, response.json()) == (
        409,
        {"error": "duplicate_ticket", "message": message, "fields": {"service": message}},
    )
    assert Ticket.objects.get().phone.as_e164 == "+8613900000003"


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        ({}, tickets.BOOKING_OR_SERVICE, "service"),
        ({"booking_code": "ABC", "service": "id-renewal"}, tickets.BOOKING_OR_SERVICE, "service"),
        (
            {"booking_code": "ABC", "green_channel": "elderly"},
            tickets.GREEN_CHANNEL_WALK_IN_ONLY,
            "green_channel",
        ),
    ],
)
def test_ticket_request_needs_a_booking_code_or_a_service(client, hall, service, key, body, message, field):
    response = call(client, "post", "/api/v1/halls/north/tickets", key, body)

    assert (response.status_code, response.json()) == (422, error("invalid", message, [field]))


def test_walk_in_for_unknown_service_is_404(client, hall, key):
    response = call(client, "post", "/api/v1/halls/north/tickets", key, {"service": "nope"})

    assert (response.status_code, response.json()) == (
        404,
        error("not_found", availability.SERVICE_NOT_FOUND, ["service"]),
    )


def test_issuing_for_another_hall_is_404_and_without_token_401(client, hall, service, other_hall_key):
    other = call(client, "post", "/api/v1/halls/north/tickets", other_hall_key, {"service": "id-renewal"})
    anonymous = call(client, "post", "/api/v1/halls/north/tickets", None, {"service": "id-renewal"})

    assert (other.status_code, other.json()["error"]) == (404, "not_found")
    assert (anonymous.status_code, anonymous.json()) == (401, UNAUTHORIZED)
    assert Ticket.objects.count() == 0


def test_device_token_prints_no_more_than_the_halls_tickets_a_minute(
    client, hall, service, opened, kiosk_key, key, settings
):
    """A leaked kiosk token cannot print the day's numbers away: like a paired kiosk, it issues at most the
    hall's tickets a minute, then 429 in the caller's language; a counter's token (导办 staff) is not held."""
    settings.RATE_LIMITS = True
    hall.kiosk_tickets_per_minute = 3
    hall.save()
    body = {"service": "id-renewal"}

    url = "/api/v1/halls/north/tickets"
    statuses = [call(client, "post", url, kiosk_key, body).status_code for _ in range(4)]
    refused_response = call(client, "post", url, kiosk_key, body, language="zh-hans")
    refused = refused_response.json()
    assert 1 <= int(refused_response["Retry-After"]) <= 60  # until the minute is over
    staff = call(client, "post", url, key, body)

    assert statuses == [201, 201, 201, 429]
    assert refused == {"error": "rate_limited", "message": "本机一分钟内出号过多，请稍候再试。", "fields": {}}
    assert staff.status_code == 201
    assert Ticket.objects.filter(hall=hall).count() == 4
