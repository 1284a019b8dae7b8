"""The citizen's ticket reads the hall once per WAITING_CACHE_SECONDS for every ticket of the hall (issue 20
item 4): the queue and the live estimate's reads are kept in Redis and shared, never at the cost of a wrong
position or a ticket shown as called while it waits."""

import datetime as dt
import socket

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from queueing import calls, services
from queueing.models import QueueRules
from queueing.services import Actor
from tests.queueing.api.helpers import KIOSK, call, called, walk_in
from tests.queueing.helpers import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(settings):
    settings.WAITING_CACHE_SECONDS = 2  # production's; development and the other tests: 0


def _read(client, ticket) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = call(client, "get", f"/api/v1/tickets/{ticket.token}")
    assert response.status_code == 200
    return response.json(), [q["sql"] for q in queries.captured_queries]


def _reads_queue(statements: list[str]) -> bool:
    """A statement reading the hall's waiting tickets (heads.waiting_items) or the bookings due."""
    queue = 'SELECT "queueing_ticket"."id" AS "id", "queueing_ticket"."service_id" AS "service_id"'
    return any(sql.startswith(queue) or "appointments_booking" in sql for sql in statements)


def _place(body: dict) -> tuple:
    return body["state"], body["position"], body["ahead"], body["estimated_wait_minutes"]


def test_a_second_ticket_of_the_hall_reads_no_queue(client, hall, service, opened, kept):
    first, second = walk_in(hall, service), walk_in(hall, service)

    body_first, filled = _read(client, first)
    body_second, shared = _read(client, second)

    assert _reads_queue(filled) and not _reads_queue(shared)
    assert len(shared) == 2  # the ticket, and the count of its service's open counters
    assert _place(body_first) == ("waiting", 1, 0, 0)
    assert _place(body_second) == ("waiting", 2, 1, 9)


def test_without_the_cache_every_page_reads_the_queue(client, hall, service, opened):
    first, second = walk_in(hall, service), walk_in(hall, service)

    _read(client, first)
    _body, statements = _read(client, second)

    assert _reads_queue(statements)


def test_a_ticket_issued_after_the_reads_were_kept_gets_its_place_without_reading_the_hall_again(
    client, hall, service, opened, kept
):
    first = walk_in(hall, service)
    _read(client, first)  # the hall is read and kept with one ticket waiting

    later = walk_in(hall, service)
    body, statements = _read(client, later)  # joins the kept reads at the end of its line
    _again, shared = _read(client, first)  # the reads kept anew include the later ticket

    assert _place(body) == ("waiting", 2, 1, 9)
    assert not _reads_queue(statements) and not _reads_queue(shared)
    assert _place(_again) == ("waiting", 1, 0, 0)


def test_a_ticket_transferred_after_the_reads_were_kept_reads_the_hall_again(
    client, hall, service, opened, clerk, kept
):
    walk_in(hall, service)
    second = walk_in(hall, service)
    ticket = called(opened, clerk)
    _read(client, second)  # kept: the first ticket at the window
    moved = calls.transfer(ticket=ticket, actor=Actor("console", clerk), service=service)

    body, statements = _read(client, moved)  # the kept reads show it at the window: not joined to them

    assert _reads_queue(statements)
    assert _place(body)[:3] == ("waiting", 1, 0)  # a transferred ticket waits at the head of the queue


def test_a_called_ticket_shows_its_window_at_once(client, hall, service, opened, clerk, kept):
    first, second = walk_in(hall, service), walk_in(hall, service)
    _read(client, second)  # kept: the first ticket still waiting

    called(opened, clerk)
    body, _statements = _read(client, first)

    assert (body["state"], body["position"], body["counter"]) == ("called", None, opened.number)


def test_answers_while_redis_is_down(client, hall, service, opened, kept, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    first, second = walk_in(hall, service), walk_in(hall, service)

    _read(client, first)
    body, statements = _read(client, second)

    assert _place(body) == ("waiting", 2, 1, 9)
    assert _reads_queue(statements)  # nothing was kept: each read is fresh


def test_a_checked_in_ticket_joins_the_kept_reads_and_is_no_longer_expected_to_arrive(
    client, hall, service, opened, kept, settings
):
    QueueRules.objects.filter(hall=hall).update(appointments_per_walk_in=10)  # appointments first
    due = timezone.now() - dt.timedelta(minutes=5)  # their windows have begun: they come any moment
    bookings = [book(service, due + dt.timedelta(seconds=n), n=n) for n in range(1, 6)]
    first = walk_in(hall, service)
    _read(client, first)  # kept: four of the five bookings expected to come
    ticket = services.check_in(hall=hall, code=bookings[1].code, actor=KIOSK)

    joined, statements = _read(client, ticket)
    kept_first, _statements = _read(client, first)
    settings.WAITING_CACHE_SECONDS = 0
    fresh_first, _statements = _read(client, first)
    fresh, _statements = _read(client, ticket)

    assert not _reads_queue(statements)
    assert _place(joined)[:3] == _place(fresh)[:3]
    # The walk-in waits behind the booked citizens who come: the one checked in counted once, not also as
    # one still to arrive (ten minutes more).
    assert _place(kept_first)[:3] == _place(fresh_first)[:3]
    assert abs(kept_first["estimated_wait_minutes"] - fresh_first["estimated_wait_minutes"]) <= 1
