"""The waiting tickets that can be next at a counter, read without reading the whole queue.

`order.next_for_counter` only ever looks at the head of each line: the green channel, transferred tickets,
and per service the appointments and the walk-ins. So call-next reads the first few of each line (one
query on PostgreSQL) instead of every waiting ticket of the day: with 1,000 tickets waiting that was most of
call-next's time. A line is read `limit` deep because counters calling at the same moment skip the tickets
the others are claiming; when a full line runs out, the caller reads again.
"""

import datetime as dt
from collections.abc import Sequence

from django.db import connection
from django.db.models import Q
from django.db.models.functions import Coalesce

from hall.models import Counter, Hall
from queueing import order
from queueing.models import Ticket, TicketKind, TicketState

LIMIT = 30  # deeper than the counters that can race for one line in a hall
FIELDS = (
    "id",
    "service_id",
    "kind",
    "issued_at",
    "booked_start",
    "green_channel",
    "transferred_from_id",
    "requeued_at",
)


def item(row: dict) -> order.Waiting:
    return order.Waiting(
        id=row["id"],
        service_id=row["service_id"],
        kind=row["kind"],
        issued_at=row["issued_at"],
        booked_start=row["booked_start"],
        green=bool(row["green_channel"]),
        # A ticket back in the queue for its next matter keeps its place at the head, like a transfer.
        transferred=row["transferred_from_id"] is not None or row["requeued_at"] is not None,
    )


def _lines(hall: Hall, date: dt.date, services: Sequence[int], counter: Counter, skip: Sequence[int]):
    waiting = (
        Ticket.objects.today(hall, date)
        .waiting()
        .filter(service__in=services)
        .filter(Q(for_counter__isnull=True) | Q(for_counter=counter))
        .exclude(pk__in=skip)
    )
    by_issue = ("issued_at", "id")
    yield waiting.exclude(green_channel="").order_by(*by_issue)
    regular = waiting.filter(green_channel="")
    yield regular.filter(Q(transferred_from__isnull=False) | Q(requeued_at__isnull=False)).order_by(*by_issue)
    regular = regular.filter(transferred_from__isnull=True, requeued_at__isnull=True)
    for service_id in services:
        mine = regular.filter(service_id=service_id)
        yield mine.filter(kind=TicketKind.APPOINTMENT).order_by(
            Coalesce("booked_start", "issued_at"), *by_issue
        )
        yield mine.filter(kind=TicketKind.WALK_IN).order_by(*by_issue)


def waiting_heads(
    hall: Hall,
    date: dt.date,
    services: Sequence[int],
    counter: Counter,
    *,
    skip: Sequence[int] = (),
    limit: int = LIMIT,
) -> tuple[list[order.Waiting], bool]:
    """(the first `limit` waiting tickets of each line this counter calls from, whether a line was cut)."""
    if connection.vendor == "postgresql":
        rows = _read_postgresql(hall, date, services, counter, skip, limit)
        return [item(row) for row in rows], len(rows) >= limit  # cheap, safe: a cut line has `limit` rows
    rows, cut = [], False  # SQLite (the embedded default, one small hall): one query per line
    for line in _lines(hall, date, services, counter, skip):
        found = list(line.values(*FIELDS)[:limit])
        rows += found
        cut = cut or len(found) == limit
    return [item(row) for row in rows], cut


_WAITING = (
    "SELECT id, service_id, kind, issued_at, booked_start, green_channel, transferred_from_id, requeued_at"
    " FROM queueing_ticket WHERE hall_id = %s AND date = %s AND state = %s AND service_id = ANY(%s)"
    " AND (for_counter_id IS NULL OR for_counter_id = %s) AND NOT (id = ANY(%s))"
)
_GREEN = _WAITING + " AND green_channel <> '' ORDER BY issued_at, id LIMIT %s"
_TRANSFERRED = (
    _WAITING
    + " AND green_channel = '' AND (transferred_from_id IS NOT NULL OR requeued_at IS NOT NULL)"
    + " ORDER BY issued_at, id LIMIT %s"
)
_REGULAR = (
    _WAITING
    + " AND green_channel = '' AND transferred_from_id IS NULL AND requeued_at IS NULL"
    + " AND service_id = %s AND kind = %s"
)
_APPOINTMENTS = _REGULAR + " ORDER BY COALESCE(booked_start, issued_at), issued_at, id LIMIT %s"
_WALK_INS = _REGULAR + " ORDER BY issued_at, id LIMIT %s"


def _read_postgresql(hall, date, services, counter, skip, limit) -> list[dict]:
    """The lines of `_lines` in one UNION ALL statement, written out: building it with the ORM cost more
    CPU (1.8 ms) than running it."""
    common = [hall.pk, date, TicketState.WAITING, list(services), counter.pk, list(skip)]
    parts = [(_GREEN, [*common, limit]), (_TRANSFERRED, [*common, limit])]
    for service_id in services:
        parts.append((_APPOINTMENTS, [*common, service_id, TicketKind.APPOINTMENT, limit]))
        parts.append((_WALK_INS, [*common, service_id, TicketKind.WALK_IN, limit]))
    sql = " UNION ALL ".join(f"({part})" for part, _params in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for _part, params in parts for value in params])
        return [dict(zip(FIELDS, row, strict=True)) for row in cursor.fetchall()]
