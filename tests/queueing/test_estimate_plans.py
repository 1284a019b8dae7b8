"""The plans of the estimate's written-out reads on PostgreSQL: each reaches its own hall's rows by an index,
whatever the other halls hold (issue 20 item 7: a province's 100 halls share one database)."""

import datetime as dt
import json
import secrets

import pytest
from django.db import connection
from django.utils import timezone

from appointments.models import Booking, BookingState, Slot
from queueing import estimates
from tests.makers import make_hall, make_service, past_tickets

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db]


def _generic_plan(sql: str, params: list) -> dict:
    """PostgreSQL's generic plan of `sql` (as hall/rows.py prepares it: planned once for any values)."""
    parts = sql.split("%s")
    numbered = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE plan_under_test AS {numbered}")
        try:
            values = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE plan_under_test({values})", params)
            (plan,) = cursor.fetchone()
        finally:
            cursor.execute("DEALLOCATE plan_under_test")
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _ticket_scans(plan: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'queueing_ticket'")
        ticket_indexes = {name for (name,) in cursor.fetchall()}
    return [
        node
        for node in _nodes(plan)
        if (node.get("Relation Name") == "queueing_ticket" and "Bitmap Heap" not in node["Node Type"])
        or node.get("Index Name") in ticket_indexes
    ]


def test_bookings_read_reaches_only_its_own_halls_waiting_tickets():
    """The bookings read joins the waiting tickets of bookings checked in. Joined by the booking alone, its
    generic plan read every hall's waiting tickets (the whole partial index ticket_waiting_line) on each
    read: at the province day's 100 halls, 1.5 million rows a second. Each scan of the tickets must be
    bounded by the hall (or by one booking)."""
    today = timezone.localdate()
    busy, quiet = make_hall("busy"), make_hall("quiet")
    issued = timezone.now()
    for hall in (busy, quiet):  # as at a busy hour: many bookings in, most tickets done, a few waiting
        service = make_service(hall)
        start = timezone.now().replace(minute=0, second=0, microsecond=0)
        slot = Slot.objects.create(
            hall=hall,
            service=service,
            date=today,
            start=start,
            end=start + dt.timedelta(hours=1),
            capacity=2000,
        )
        Booking.objects.bulk_create(
            Booking(
                hall=hall,
                service=service,
                slot=slot,
                code=secrets.token_hex(6).upper(),
                manage_token=secrets.token_urlsafe(24),
                id_hash=f"person-{n}",
                state=BookingState.CHECKED_IN if n % 2 else BookingState.SERVED,
            )
            for n in range(1500)
        )
        past_tickets(
            service, today, [{"issued_at": issued}] * 400 + [{"state": "waiting", "issued_at": issued}]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE queueing_ticket")
        cursor.execute("ANALYZE appointments_booking")
        cursor.execute("ANALYZE appointments_slot")

    params = [quiet.pk, today, issued, quiet.pk, today, quiet.pk, today]
    assert estimates._BOOKINGS.count("%s") == len(params)
    scans = _ticket_scans(_generic_plan(estimates._BOOKINGS, params))

    assert scans, "the read joins the tickets"
    for scan in scans:
        bound = scan.get("Index Cond", "")
        assert "hall_id" in bound or "booking_id" in bound, (scan["Node Type"], scan.get("Index Name"), bound)
