"""The statements of issuing a ticket through the API (a kiosk's walk-in and check-in), on PostgreSQL,
pinned (issue 20 item 7: they were the province day's dearest actions). The hall's kept reads have expired,
as most issues find them in a hall issuing a ticket every few seconds: the answer's place and wait read
the hall once, in three statements, with the hall's hours read once a request; a walk-in stopped by the
estimate reads the hall for its cut-off and its answer joins that read instead of reading it again. A real
transaction (not the test's savepoint), so that BEGIN and COMMIT show."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hall import cache as kept
from queueing.models import QueueRules, Ticket
from tests.queueing.api.helpers import call, walk_in
from tests.queueing.helpers import book

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]

WALK_IN, CHECK_IN = 18, 21
HOURS = "SELECT 'weekly', weekday"  # the hall's hours, one statement (queueing.hours.schedule_from)
HALL_READ = [  # the hall, read for a wait (queueing.estimates.hall_now)
    "SELECT 'waiting', id",  # the day's tickets that count
    "SELECT s.id, s.average_handling_minutes",  # the services and the open counters that call them
    "SELECT b.id, b.service_id",  # the bookings due and those that came or missed
]
ISSUE = [  # the ticket, after BEGIN (queueing.services.issue)
    'INSERT INTO queueing_daysequence (hall_id, service_id, date, "last")',  # the day's number, locked
]


@pytest.fixture(autouse=True)
def _kept(settings):
    settings.WAITING_CACHE_SECONDS = 2  # production's: the answer's reads go through the kept hall


def statements_of(client, hall, key, body) -> tuple[int, list[str]]:
    kept.forget(f"hallnow:{hall.pk}:{hall.local_date(timezone.now()).isoformat()}")  # expired
    with CaptureQueriesContext(connection) as queries:
        response = call(client, "post", f"/api/v1/halls/{hall.slug}/tickets", key, body)
    return response.status_code, [" ".join(q["sql"].split()) for q in queries.captured_queries]


def shown(statements: list[str]) -> str:
    return "\n".join(s[:100] for s in statements)


def count(statements: list[str], start: str) -> int:
    return sum(s.startswith(start) for s in statements)


@pytest.mark.parametrize("stop_by_estimate", [False, True])
def test_walk_in_statements(client, hall, service, opened, kiosk_key, stop_by_estimate):
    QueueRules.objects.filter(hall=hall).update(stop_by_estimate=stop_by_estimate)
    walk_in(hall, service)
    assert call(client, "post", f"/api/v1/halls/{hall.slug}/tickets", kiosk_key, {"service": service.code})

    status, statements = statements_of(client, hall, kiosk_key, {"service": service.code})

    assert status == 201
    assert len(statements) == WALK_IN, shown(statements)
    assert count(statements, HOURS) == 1
    for statement in HALL_READ:
        assert count(statements, statement) == 1, (statement, shown(statements))
    assert count(statements, ISSUE[0]) == 1
    assert statements.count("BEGIN") == statements.count("COMMIT") == 1


def test_check_in_statements(client, hall, service, opened, kiosk_key):
    due = timezone.now() - dt.timedelta(minutes=5)
    first, second = book(service, due, n=1), book(service, due + dt.timedelta(seconds=1), n=2)
    call(client, "post", f"/api/v1/halls/{hall.slug}/tickets", kiosk_key, {"booking_code": first.code})

    status, statements = statements_of(client, hall, kiosk_key, {"booking_code": second.code})

    assert status == 201
    assert Ticket.objects.filter(booking=second).exists()
    assert len(statements) == CHECK_IN, shown(statements)
    assert count(statements, HOURS) == 1
    for statement in HALL_READ:
        assert count(statements, statement) == 1, (statement, shown(statements))
    assert statements.count("BEGIN") == statements.count("COMMIT") == 1
