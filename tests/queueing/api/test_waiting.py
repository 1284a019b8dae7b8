"""The people waiting and a walk-in's estimated wait per service: GET /api/v1/halls/{hall}/waiting (public),
on constructed queues. Handling times are the configured 10 minutes (no ticket finished yet), whose spread
(5 minutes a ticket) gives the ranges worked out below."""

import socket

import pytest
from django.core.cache import cache
from django.utils import timezone

from hall.api_v1 import api
from queueing import progress
from queueing.models import WalkInQuota
from tests.makers import make_hall, make_service
from tests.queueing.api.helpers import call, walk_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/halls/north/waiting"


def _services(client, language="en") -> dict:
    response = call(client, "get", URL, language=language)
    assert response.status_code == 200
    return {row["code"]: row for row in response.json()["services"]}


def _row(code, name, waiting, minutes, low, high, *, no_basis=False, walk_ins_now=True) -> dict:
    return {
        "code": code,
        "name": name,
        "waiting": waiting,
        "estimated_wait_minutes": minutes,
        "estimated_wait_low": low,
        "estimated_wait_high": high,
        "no_basis": no_basis,
        "walk_ins_now": walk_ins_now,
    }


def test_counts_and_a_walk_in_s_wait_per_service(client, hall, service, other_service, opened):
    walk_in(hall, service)
    walk_in(hall, service)

    rows = _services(client)

    # The one window serves ID cards first: a new ID card ticket is third (called after two tickets of 10
    # +- 5 minutes: most of the 40 plays within 5 minutes of 19, the middle two thirds 13 to 27, in fives
    # 10-30); a new household certificate ticket comes after the two ID card tickets as well.
    assert rows == {
        "id-renewal": _row("id-renewal", "ID card renewal", 2, 19, 10, 30),
        "household-cert": _row("household-cert", "Household certificate", 0, 19, 10, 30),
    }


def test_nobody_waiting_at_an_open_window_is_no_wait(client, hall, service, other_service, opened):
    rows = _services(client)

    assert rows["id-renewal"] == _row("id-renewal", "ID card renewal", 0, 0, 0, 0)


def test_no_window_open_is_no_basis(client, hall, service, other_service, counter):
    walk_in(hall, service)

    rows = _services(client)

    assert rows["id-renewal"] == _row("id-renewal", "ID card renewal", 1, None, None, None, no_basis=True)


def test_outside_opening_hours_takes_no_walk_ins(client, service):
    closed = make_hall("south")  # no opening hours at all
    make_service(closed, code="id-renewal")

    response = call(client, "get", "/api/v1/halls/south/waiting")

    assert response.json()["services"] == [
        _row("id-renewal", "ID card renewal", 0, None, None, None, no_basis=True, walk_ins_now=False)
    ]


def test_names_in_the_request_s_language(client, hall, service, other_service, opened):
    rows = _services(client, language="zh-hans")

    assert {code: row["name"] for code, row in rows.items()} == {
        "id-renewal": "居民身份证换领",
        "household-cert": "户籍证明",
    }


def test_unknown_hall_is_404(client):
    response = call(client, "get", "/api/v1/halls/nowhere/waiting")

    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_reads_are_rate_limited_per_address(client, hall, service, settings, monkeypatch):
    from appointments.api.throttles import READS

    settings.RATE_LIMITS = True
    monkeypatch.setattr(READS, "limit", 2)

    statuses = [call(client, "get", URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert client.get(URL, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_a_kept_read_shows_the_figures_of_a_moment_ago(client, hall, service, opened, settings):
    settings.WAITING_CACHE_SECONDS = 60
    assert _services(client)["id-renewal"]["waiting"] == 0

    walk_in(hall, service)

    assert _services(client)["id-renewal"]["waiting"] == 0  # the kept read
    assert _services(client, "zh-hans")["id-renewal"]["waiting"] == 1  # each language is kept on its own
    cache.clear()  # as when the seconds have passed
    assert _services(client)["id-renewal"]["waiting"] == 1


def test_answers_from_the_database_while_redis_is_down(client, hall, service, opened, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.WAITING_CACHE_SECONDS = 60
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    assert _services(client)["id-renewal"]["waiting"] == 0

    walk_in(hall, service)

    assert _services(client)["id-renewal"]["waiting"] == 1  # nothing was kept: each read is fresh


def test_schema_pins_the_operation_id():
    operation = api.get_openapi_schema()["paths"]["/api/v1/halls/{hall}/waiting"]["get"]

    assert operation["operationId"] == "queueing_api_hall_waiting"


def test_the_wait_shown_is_the_wait_of_the_ticket_then_taken(client, hall, service, opened):
    walk_in(hall, service)
    walk_in(hall, service)
    shown = _services(client)["id-renewal"]

    ticket = walk_in(hall, service)

    estimate = progress.ticket_progress(ticket, timezone.now()).estimate
    assert (estimate.minutes, estimate.low, estimate.high) == (
        shown["estimated_wait_minutes"],
        shown["estimated_wait_low"],
        shown["estimated_wait_high"],
    )


def test_a_used_up_quota_takes_no_walk_ins_while_the_hall_is_open(client, hall, service, opened):
    WalkInQuota.objects.create(service=service, per_day=1, per_hour=10)
    walk_in(hall, service)

    assert _services(client)["id-renewal"]["walk_ins_now"] is False
