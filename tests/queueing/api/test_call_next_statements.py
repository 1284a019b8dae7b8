"""The statements of call-next through the API, on PostgreSQL, pinned (issue 20 item 3): the token, and in
the same statement the counter with its hall, rules, session and user, and the glance (a ticket at the
window? anyone waiting?); then, with someone waiting, in one transaction the session locked with the busy
check and the services, the heads of the lines, and the claim with its event in one statement. With nobody
waiting: the first only. A real transaction (not the test's savepoint), so that BEGIN and COMMIT show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.queueing.api.helpers import call, walk_in

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]

CALL_NEXT_STATEMENTS = [
    # the token with its hall, user and staff row, and the counter with its session and the glance
    'SELECT t."id", t."hall_id", t."user_id"',
    "BEGIN",
    'SELECT cs."id", cs."counter_id", cs."state"',  # the session, locked, busy?, the services
    "SELECT * FROM (SELECT id, service_id",  # the heads of the lines
    'WITH c AS (UPDATE "queueing_ticket"',  # the claim, and INSERT INTO "queueing_ticketevent"
    "COMMIT",
]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.RATE_LIMITS = False


def statements_of(client, counter, key) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = call(client, "post", f"/api/v1/counters/{counter.pk}/call-next", key)
    return response.status_code, [q["sql"] for q in queries.captured_queries]


def test_call_next_statements(client, hall, service, opened, key):
    assert call(client, "post", "/api/v1/counters/999999/call-next", key).status_code == 404  # token used
    walk_in(hall, service)

    status, statements = statements_of(client, opened, key)

    assert status == 200
    assert len(statements) == len(CALL_NEXT_STATEMENTS), "\n".join(statements)
    for statement, expected in zip(statements, CALL_NEXT_STATEMENTS, strict=True):
        assert statement.startswith(expected), (expected, statement)
    assert 'FROM "hall_counter" c' in statements[0] and "EXISTS" in statements[0]
    assert "FOR UPDATE" in statements[2]


def test_call_next_with_nobody_waiting_reads_the_token_and_the_counter_only(client, opened, key):
    assert call(client, "post", "/api/v1/counters/999999/call-next", key).status_code == 404

    status, statements = statements_of(client, opened, key)

    assert status == 204
    assert len(statements) == 1, "\n".join(statements)
    assert statements[0].startswith(CALL_NEXT_STATEMENTS[0])
