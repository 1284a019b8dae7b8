"""The statements of complete through the API, on PostgreSQL, pinned (issue 20 item 3): the token, then in
one transaction the ticket read once with its row locked (with its hall, service, counter and the counter's
session: the hall and window checks run on it), the ticket's UPDATE with its event's INSERT in the same
statement (hall/rows.py `update`). No second read of the ticket and no savepoint. A real transaction (not
the test's savepoint), so that BEGIN and COMMIT show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from queueing.models import Ticket, TicketEvent
from tests.queueing.api.helpers import call, called, walk_in
from webhooks import outbox

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]

COMPLETE_STATEMENTS = [
    'SELECT t."id", t."hall_id", t."user_id"',  # the token with its hall, user and staff row
    "BEGIN",
    'SELECT t."id", t."hall_id", t."service_id"',  # the ticket, locked, with what the checks read
    'WITH u AS (UPDATE "queueing_ticket"',  # and INSERT INTO "queueing_ticketevent" ... SELECT ... FROM u
    "COMMIT",
]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.RATE_LIMITS = False


def test_complete_reads_the_ticket_once_in_its_transaction(client, hall, service, opened, clerk, key):
    outbox.any_subscriber()
    walk_in(hall, service)
    ticket = called(opened, clerk)
    missing = call(client, "post", "/api/v1/tickets/999999/complete", key, {"outcome": "done"})
    assert missing.status_code == 404  # and the token's use is recorded (once a minute), as in a busy hall

    with CaptureQueriesContext(connection) as queries:
        response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/complete", key, {"outcome": "done"})

    assert response.status_code == 200, response.content
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == len(COMPLETE_STATEMENTS), "\n".join(statements)
    for statement, expected in zip(statements, COMPLETE_STATEMENTS, strict=True):
        assert statement.startswith(expected), (expected, statement)
    assert "FOR UPDATE" in statements[2]
    assert 'INSERT INTO "queueing_ticketevent"' in statements[3]
    assert Ticket.objects.get(pk=ticket.pk).state == "done"
    assert TicketEvent.objects.filter(ticket=ticket, to_state="done").count() == 1
