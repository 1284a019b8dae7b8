"""The statements of a booking through the API, on PostgreSQL, pinned (issue 20): one read of the slot with
its hall, service and the hall's rules before the transaction; in it, one statement taking the person's
locks, one query for the duplicate check, the three limits and the no-show count, the guarded UPDATE of the
places, and the three rows a booking writes (the booking, its history, its message) in one statement. No
savepoint, and the booking's services are not read back for the message or the answer.

The webhooks' "is there any subscriber?" flag is in the cache, as in a running hall (tests/queueing/
test_query_counts.py). A real transaction (not the test's savepoint), so that BEGIN and COMMIT show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Booking, BookingEvent, Slot
from notifications.models import Notification
from tests.api.helpers import booking_body, post
from webhooks import outbox

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]

BOOKING_STATEMENTS = [
    'SELECT s."id", s."hall_id"',  # the slot, its hall, service and the hall's rules (slot_read.py)
    "BEGIN",
    "SELECT pg_advisory_xact_lock(",  # the ID number's and the mobile's locks
    "SELECT COUNT(CASE WHEN b.id_hash",  # duplicate, limits, no-shows
    'UPDATE "appointments_slot"',
    # the booking, its history and its message: one statement (hall/rows.py insert_together)
    'WITH p AS (INSERT INTO "appointments_booking"',
    "COMMIT",
]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.RATE_LIMITS = False
    settings.BOOKING_SMS_CODE = False


def test_a_booking_runs_five_statements_in_one_transaction(client, slots):
    outbox.any_subscriber()
    post(client, "/api/v1/bookings", booking_body(slots[0], n=1, phone="13800138001"))  # caches warm
    body = booking_body(slots[1], n=2, phone="13800138002")

    with CaptureQueriesContext(connection) as queries:
        response = post(client, "/api/v1/bookings", body)

    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == len(BOOKING_STATEMENTS), "\n".join(statements)
    for statement, expected in zip(statements, BOOKING_STATEMENTS, strict=True):
        assert statement.startswith(expected), (expected, statement)
    booking = Booking.objects.get(code=response.json()["code"])
    assert Slot.objects.get(pk=slots[1].pk).taken == 1
    assert BookingEvent.objects.filter(booking=booking).count() == 1
    assert Notification.objects.filter(subject_type="booking", subject_id=booking.pk).count() == 1


def test_a_refused_booking_writes_nothing(client, slots):
    """The duplicate found by the one query ends the transaction before any place is taken."""
    outbox.any_subscriber()
    post(client, "/api/v1/bookings", booking_body(slots[0], n=1, phone="13800138001"))
    body = booking_body(slots[1], n=1, phone="13800138003")  # the same ID number, another mobile

    with CaptureQueriesContext(connection) as queries:
        response = post(client, "/api/v1/bookings", body)

    assert (response.status_code, response.json()["error"]) == (409, "duplicate_booking")
    statements = [q["sql"] for q in queries.captured_queries]
    assert statements[-1] == "ROLLBACK"
    assert not any(s.startswith(("UPDATE", "INSERT", "SAVEPOINT")) for s in statements)
    assert Slot.objects.get(pk=slots[1].pk).taken == 0
