"""Waiting tickets read for the queue's order (queueing/order.py), which ranks them; nothing here ranks.

`waiting_items` reads the whole queue (the live page, the come-in messages). Call-next needs less:
`order.next_for_counter` only ever looks at the head of each of order.py's lines (and whether a line is
empty), so `waiting_heads` reads the first `limit` tickets of each line, in order.py's order, in one
statement, instead of every waiting ticket of the day (with 1,000 tickets waiting that was most of
call-next's time). A line is read a few deep because counters calling at the same moment skip the tickets
the others are claiming; once every ticket read of a line that was cut (read `limit` deep) has been
skipped, `ran_out` says so and the caller reads again before choosing, so that a line never looks empty
while it is not (issue 20: 8 deep instead of 30, a quarter of the rows to read and order).
"""

import datetime as dt
from collections import Counter as Tally
from collections.abc import Sequence

from django.db import connection
from django.db.models import Q

from hall import rows
from hall.models import Counter, Hall
from queueing import order
from queueing.models import Ticket, TicketKind, TicketState

LIMIT = 8  # a line's tickets read at once; a counter that loses more races than this reads again
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
    """A ticket's row as the queue's order sees it: the one conversion."""
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


def waiting_items(
    hall: Hall, date: dt.date, services=None, counter: Counter | None = None
) -> list[order.Waiting]:
    """Every waiting ticket (of `services`, that `counter` may call)."""
    qs = Ticket.objects.today(hall, date).waiting()
    if services is not None:
        qs = qs.filter(service__in=services)
    if counter is not None:
        qs = qs.filter(Q(for_counter__isnull=True) | Q(for_counter=counter))
    return [item(row) for row in qs.values(*FIELDS)]


# The tickets in each of order.py's lines, as `item` reads the row, and the columns of its fields.
_REGULAR = "green_channel = '' AND transferred_from_id IS NULL AND requeued_at IS NULL"
_IN_LINE = {
    order.GREEN: "green_channel <> ''",
    order.TRANSFERRED: "green_channel = '' AND (transferred_from_id IS NOT NULL OR requeued_at IS NOT NULL)",
    order.APPOINTMENTS: f"{_REGULAR} AND kind = '{TicketKind.APPOINTMENT}'",
    order.WALK_INS: f"{_REGULAR} AND kind = '{TicketKind.WALK_IN}'",
}
_COLUMN = {"id": "id", "issued_at": "issued_at", "booked": "COALESCE(booked_start, issued_at)"}


def _in(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


_HEAD = "SELECT {fields} FROM queueing_ticket WHERE {where} AND {line}{service} ORDER BY {by} LIMIT %s"


def _head(line: str, where: str, per_service: bool) -> str:
    """The statement reading the first tickets of `line`, in order.py's order."""
    return _HEAD.format(
        fields=", ".join(FIELDS),
        where=where,
        line=_IN_LINE[line],
        service=" AND service_id = %s" if per_service else "",
        by=", ".join(_COLUMN[field] for field in order.LINES[line]),
    )


Line = tuple[str, int | None]  # one of order.py's lines: a shared one (service None), or a service's


def line_of(item: order.Waiting) -> Line:
    """The line `item` is in, as `waiting_heads` reads them: the shared lines across the counter's services,
    the others one per service."""
    line = order.line_of(item)
    return (line, None) if line in order.SHARED else (line, item.service_id)


def ran_out(waiting: Sequence[order.Waiting], cut: frozenset[Line]) -> bool:
    """Whether a line that was cut has none of its tickets left in `waiting`: its next tickets are unread, so
    the queue must be read again before the next choice."""
    if not cut:
        return False
    left = {line_of(item) for item in waiting}
    return not cut <= left


def waiting_heads(
    hall: Hall,
    date: dt.date,
    services: Sequence[int],
    counter: Counter,
    *,
    skip: Sequence[int] = (),
    limit: int | None = None,
) -> tuple[list[order.Waiting], frozenset[Line]]:
    """(the first `limit` waiting tickets of each line this counter calls from, the lines that were cut:
    that had more than these; see `ran_out`).

    Written out rather than built with the ORM: building it cost more CPU (1.8 ms) than running it."""
    limit = limit or LIMIT
    if not services:
        return [], frozenset()
    # The state in the text, as the partial indexes of the waiting tickets name it (prepared statements).
    where = f"hall_id = %s AND date = %s AND state = '{TicketState.WAITING}' "
    where += f"AND service_id IN ({_in(services)})"
    where += " AND (for_counter_id IS NULL OR for_counter_id = %s)"
    common = [hall.pk, date, *services, counter.pk]
    if skip:
        where += f" AND id NOT IN ({_in(skip)})"
        common += skip
    parts = [(_head(line, where, False), [*common, limit]) for line in order.SHARED]
    for service_id in services:
        parts += [(_head(line, where, True), [*common, service_id, limit]) for line in order.PER_SERVICE]
    # SELECT * FROM (...): a UNION of ordered, limited parts that PostgreSQL and SQLite both read. Only
    # the constant fragments above go into the text; every value is a parameter.
    sql = " UNION ALL ".join(f"SELECT * FROM ({part}) AS line{n}" for n, (part, _p) in enumerate(parts))  # noqa: S608
    with rows.cursor() as cursor:
        cursor.execute(sql, [value for _part, params in parts for value in params])
        found = [dict(zip(FIELDS, row, strict=True)) for row in cursor.fetchall()]
    items = [item(_aware(row)) for row in found]
    read = Tally(line_of(w) for w in items)
    return items, frozenset(line for line, n in read.items() if n >= limit)  # a cut line has `limit` rows


def _aware(row: dict) -> dict:
    """SQLite gives times as text, as the ORM would have read them; PostgreSQL gives them ready."""
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    if convert is not None:
        for field in ("issued_at", "booked_start"):
            row[field] = convert(row[field], None, connection)
    return row
