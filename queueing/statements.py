"""The statements of a window's busiest requests (call-next, complete), written out (hall/rows.py): building
them with the ORM cost more CPU than PostgreSQL spent running them (issue 20, bench/RESULTS.md). Each reads
what its caller used to read with select_related, into the ORM's own instances, so that the code after it
is unchanged; every value is a parameter, only names of tables and columns go into the text.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection

from appointments.models import Booking
from hall import apiauth, rows
from hall.models import ApiToken, Counter, Hall, Service
from queueing.models import (
    AT_COUNTER_STATES,
    CounterSession,
    QueueRules,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketState,
)

ID_MAX = 2**63 - 1  # the largest id the database holds (bigint); SQLite's integers are as wide

User = get_user_model()

_COUNTER = (
    "SELECT {counter}, {hall}, {rules}, {session}, {user} FROM {counters} c "
    "INNER JOIN {halls} h ON c.hall_id = h.id "
    "LEFT OUTER JOIN {rules_rows} r ON r.hall_id = h.id "
    "LEFT OUTER JOIN {sessions} cs ON cs.counter_id = c.id "
    "LEFT OUTER JOIN {users} u ON cs.user_id = u.id "
    "WHERE c.id = %s AND c.active"
)
# Call-next's read of its counter (issue 20): the same, and two looks that let a call with nobody to call
# answer at once (`calls.call_next`): whether a ticket is at the counter, and whether any ticket of the
# counter's services waits for it on the given day (the caller's hall's). The second looks into each line of
# each service as the waiting lines' index orders it (queueing/heads.py), in a sub-select of its own, so that
# the generic plan reads that index a row deep: other forms were planned on a service's whole index (4-6 ms
# of PostgreSQL's CPU with 20,000 tickets of the day waiting or done).
_WAITING_IN = (
    "EXISTS (SELECT 1 FROM (SELECT w.id FROM {{tickets}} w WHERE w.hall_id = c.hall_id AND w.date = %s "
    "AND w.service_id = ccs.service_id AND w.kind = '{kind}' AND w.state = '{{waiting}}' "
    "AND (w.for_counter_id IS NULL OR w.for_counter_id = c.id) ORDER BY w.issued_at, w.id LIMIT 1) AS {kind})"
)
# Only the kinds' constants and the names of _sql go into the text.
_ANYONE_WAITING = " OR ".join(_WAITING_IN.format(kind=kind) for kind in TicketKind.values)
_COUNTER_TO_CALL = _COUNTER.replace(
    "{user} FROM",
    "{user}, EXISTS (SELECT 1 FROM {tickets} t WHERE t.counter_id = c.id AND t.state IN ({at_counter})), "
    "EXISTS (SELECT 1 FROM {counter_services} ccs WHERE ccs.counter_id = c.id AND (ANYONE)) FROM",
).replace("ANYONE", _ANYONE_WAITING)
# The counter's session locked, whether a ticket is at the counter, and the services it calls in its order
# of preference (a row each; one row with no service for a counter that calls none).
_SESSION = (
    "SELECT {session}, EXISTS (SELECT 1 FROM {tickets} t WHERE t.counter_id = cs.counter_id "
    "AND t.state IN ({at_counter})), {service} FROM {sessions} cs "
    "LEFT OUTER JOIN {counter_services} ccs ON ccs.counter_id = cs.counter_id "
    "LEFT OUTER JOIN {services} s ON s.id = ccs.service_id "
    "WHERE cs.counter_id = %s ORDER BY s.position, s.id{lock}"
)
# The claim also says whether another ticket of the day waits outside the hall (who must then be moved in:
# queueing/inside.py), as _OUTSIDE would, without a statement of its own. Its sub-select sees the tickets
# as they were when the statement began, the claimed one still waiting: it is left out by its id.
_CLAIM = (
    "UPDATE {tickets} SET state = %s, counter_id = %s, calls = 1, called_at = %s "
    "WHERE id = (SELECT id FROM {tickets} WHERE id = %s AND state = %s{lock}) AND state = %s "
    "RETURNING {ticket}, EXISTS (SELECT 1 FROM {tickets} o WHERE o.hall_id = {tickets}.hall_id "
    "AND o.date = {tickets}.date AND o.state = '{waiting}' AND NOT o.inside AND o.id <> {tickets}.id)"
)
# On PostgreSQL the claim's event is written by the same statement, when the claim changed the row (INSERT
# ... SELECT from the UPDATE's RETURNING: no ticket claimed, no event), its key after the claim's columns.
_CLAIM_RECORDED = (
    "WITH c AS ({claim} AS anyone_outside), "
    "e AS (INSERT INTO {events} ({event_columns}) SELECT {event_values} FROM c RETURNING {event_key}) "
    "SELECT c.*, e.{event_key} FROM c, e"
)
_TICKET = (
    "SELECT {ticket}, {hall}, {service}, {booking}, {counter}, {session} FROM {tickets} t "
    "INNER JOIN {halls} h ON t.hall_id = h.id "
    "INNER JOIN {services} s ON t.service_id = s.id "
    "LEFT OUTER JOIN {bookings} b ON t.booking_id = b.id "
    "LEFT OUTER JOIN {counters} c ON t.counter_id = c.id "
    "LEFT OUTER JOIN {sessions} cs ON cs.counter_id = c.id "
    "WHERE t.id = %s"
)
_LOCK_TICKET = (
    "SELECT {ticket}, {hall}, {service}, {counter} FROM {tickets} t "
    "INNER JOIN {halls} h ON t.hall_id = h.id "
    "INNER JOIN {services} s ON t.service_id = s.id "
    "LEFT OUTER JOIN {counters} c ON t.counter_id = c.id "
    "WHERE t.id = %s{lock}"
)
_LOCK_TICKET_AT_WINDOW = (
    "SELECT {ticket}, {hall}, {service}, {counter}, {session} FROM {tickets} t "
    "INNER JOIN {halls} h ON t.hall_id = h.id "
    "INNER JOIN {services} s ON t.service_id = s.id "
    "LEFT OUTER JOIN {counters} c ON t.counter_id = c.id "
    "LEFT OUTER JOIN {sessions} cs ON cs.counter_id = c.id "
    "WHERE t.id = %s{lock}"
)
_OUTSIDE = (
    "SELECT 1 FROM {tickets} WHERE hall_id = %s AND date = %s AND state = '{waiting}' AND NOT inside LIMIT 1"
)


# The row locked where the statement joins others.
_LOCKED = {_SESSION: "cs", _LOCK_TICKET: "t", _LOCK_TICKET_AT_WINDOW: "t"}


# Of the session's user, what the window's pages and the API show (the name); the rest stays deferred.
_SESSION_USER = frozenset({"id", "username", "first_name", "last_name"})


@cache
def _sql(template: str) -> str:
    """The statement's text, with the columns of its models and the database's row locks filled in."""
    if template is _CLAIM_RECORDED:
        return template.format(
            claim=_sql(_CLAIM),
            events=rows.table(TicketEvent),
            event_columns=", ".join(rows.quote(f.column) for f in rows.insert_fields(TicketEvent)),
            event_values=", ".join("%s" for _f in rows.insert_fields(TicketEvent)),
            event_key=rows.quote(TicketEvent._meta.pk.column),
        )
    return template.format(
        counter=rows.columns(Counter, "c"),
        hall=rows.columns(Hall, "h"),
        rules=rows.columns(QueueRules, "r"),
        session=rows.columns(CounterSession, "cs"),
        user=rows.columns(User, "u", _SESSION_USER),
        service=rows.columns(Service, "s"),
        booking=rows.columns(Booking, "b"),
        ticket=rows.columns(Ticket, "" if template is _CLAIM else "t"),
        counters=rows.table(Counter),
        halls=rows.table(Hall),
        rules_rows=rows.table(QueueRules),
        sessions=rows.table(CounterSession),
        users=rows.table(User),
        services=rows.table(Service),
        counter_services=rows.table(Counter.services.through),
        bookings=rows.table(Booking),
        tickets=rows.table(Ticket),
        lock=rows.for_update(skip_locked=template is _CLAIM, of=_LOCKED.get(template, "")),
        # States in the text, as the partial indexes name them (prepared statements: hall/rows.py).
        waiting=TicketState.WAITING,
        at_counter=", ".join(f"'{state}'" for state in AT_COUNTER_STATES),
    )


@dataclass(frozen=True)
class Glance:
    """What call-next's read of its counter saw, outside any transaction: whether a ticket was at the
    counter, and whether any ticket waited for it (`counter_to_call`)."""

    busy: bool
    waiting: bool


def counter(counter_id: int) -> Counter | None:
    """An active counter with its hall, the hall's queue rules, its session and the session's user, as
    select_related("hall", "hall__queue_rules", "session", "session__user") reads them."""
    if not 0 < counter_id <= ID_MAX:  # an address with a huge number: no such row (not a database error)
        return None
    found = rows.fetch(_sql(_COUNTER), [counter_id])
    return _counter(found[0]) if found else None


def counter_to_call(counter_id: int, date: dt.date) -> tuple[Counter | None, Glance | None]:
    """`counter`, and a glance at whether it is busy and whether anyone waits for it on `date` (its hall's
    day), in the same statement: what lets call-next answer "nobody waits" without a transaction
    (`calls.call_next`)."""
    if not 0 < counter_id <= ID_MAX:
        return None, None
    found = rows.fetch(_sql(_COUNTER_TO_CALL), [date] * len(TicketKind.values) + [counter_id])
    if not found:
        return None, None
    row = found[0]
    return _counter(row), Glance(busy=bool(row[-2]), waiting=bool(row[-1]))


def token_and_counter_to_call(
    key_hash: str, counter_id: int, date: dt.date
) -> tuple[ApiToken | None, Counter | None, Glance | None]:
    """The active token with this key's hash (hall.apiauth.active_token), and `counter_to_call`'s counter and
    glance on `date`, in one statement: call-next's two reads in one round trip (issue 20). (None, None,
    None) without such a token; the counter and the glance are None when there is no such counter."""
    found = rows.fetch(_token_and_counter_sql(), [date] * len(TicketKind.values) + [counter_id, key_hash])
    if not found:
        return None, None, None
    row = found[0]
    token, start = apiauth.token_in(row), apiauth.token_width()
    if row[start] is None:  # the counter's id: no active counter of this number
        return token, None, None
    return token, _counter(row[start:]), Glance(busy=bool(row[-2]), waiting=bool(row[-1]))


@cache
def _token_and_counter_sql() -> str:
    # The counter's statement as a sub-select of its own (its aliases apart from the token's), joined to
    # the token's row whether or not it finds the counter.
    true = "TRUE" if connection.vendor == "postgresql" else "1"
    return apiauth.token_sql_with("k.*", f"LEFT OUTER JOIN ({_sql(_COUNTER_TO_CALL)}) k ON {true}")


def _counter(row) -> Counter:
    models = (Counter, Hall, QueueRules, CounterSession, User)
    counter, hall, rules, session, user = rows.load_all(models, row, {User: _SESSION_USER})
    rows.attach(counter, "hall", hall)
    rows.attach(hall, "queue_rules", rules)
    rows.attach(counter, "session", session)
    if rules is not None:
        rows.attach(rules, "hall", hall)
    if session is not None:
        rows.attach(session, "counter", counter)
        rows.attach(session, "user", user)
    return counter


def lock_session(counter: Counter) -> tuple[CounterSession | None, bool, list[Service]]:
    """The counter's session, locked for this transaction (None before its first opening), whether a
    ticket is at the counter (called or being served), and the services the counter calls, in its order of
    preference (none read before its first opening): one statement."""
    found = rows.fetch(_sql(_SESSION), [counter.pk])
    if not found:
        return None, False, []
    session = rows.load(CounterSession, found[0])
    rows.attach(session, "counter", counter)
    start = rows.width(CounterSession) + 1
    services = [rows.load(Service, row, start) for row in found]
    return session, bool(found[0][start - 1]), [service for service in services if service is not None]


def claim(
    ticket_id: int, counter: Counter, now: dt.datetime, event: TicketEvent
) -> tuple[Ticket | None, bool]:
    """Call the ticket to `counter` if it still waits, in one statement that locks its row first; a ticket
    another counter is claiming right now (its row locked) is skipped, not waited for. `event`, the call's
    record, is written when the ticket is claimed (as `save()` writes it, signals too), on PostgreSQL by the
    same statement. (The ticket as called, or None; whether another ticket of its day waits outside the
    hall, as `anyone_outside`.)"""
    waiting = TicketState.WAITING
    params = [TicketState.CALLED, counter.pk, now, ticket_id, waiting, waiting]
    together = connection.vendor == "postgresql"
    if together:
        written = rows.Inserting(event)
        found = rows.fetch(_sql(_CLAIM_RECORDED), [*params, *written.values])
    else:
        found = rows.fetch(_sql(_CLAIM), params)
    if not found:
        return None, False
    ticket = rows.load(Ticket, found[0])
    rows.attach(ticket, "hall", counter.hall)
    rows.attach(ticket, "counter", counter)
    event.ticket = ticket
    if together:
        written.done(found[0][rows.width(Ticket) + 1])
    else:
        rows.insert_together(event, [])
    return ticket, bool(found[0][rows.width(Ticket)])


def ticket(ticket_id: int) -> Ticket | None:
    """A ticket with its hall, service, booking, counter and the counter's session, as
    select_related("hall", "service", "booking", "counter__session") reads them."""
    if not 0 < ticket_id <= ID_MAX:
        return None
    found = rows.fetch(_sql(_TICKET), [ticket_id])
    if not found:
        return None
    models = (Ticket, Hall, Service, Booking, Counter, CounterSession)
    ticket, hall, service, booking, counter, session = rows.load_all(models, found[0])
    rows.attach(ticket, "hall", hall)
    rows.attach(ticket, "service", service)
    rows.attach(ticket, "booking", booking)
    rows.attach(ticket, "counter", counter)
    if counter is not None:
        rows.attach(counter, "session", session)
    return ticket


def lock_ticket(ticket_id: int) -> Ticket | None:
    """A ticket's row locked for this transaction (the row only), with its hall, service and counter."""
    found = rows.fetch(_sql(_LOCK_TICKET), [ticket_id])
    if not found:
        return None
    locked, hall, service, counter = rows.load_all((Ticket, Hall, Service, Counter), found[0])
    rows.attach(locked, "hall", hall)
    rows.attach(locked, "service", service)
    rows.attach(locked, "counter", counter)
    return locked


def lock_ticket_at_window(ticket_id: int) -> Ticket | None:
    """A ticket's row locked for this transaction (the row only), with its hall, service, counter and the
    counter's session: what the API's complete checks (the hall, who works at the window) and then changes,
    read once (issue 20)."""
    if not 0 < ticket_id <= ID_MAX:
        return None
    found = rows.fetch(_sql(_LOCK_TICKET_AT_WINDOW), [ticket_id])
    if not found:
        return None
    models = (Ticket, Hall, Service, Counter, CounterSession)
    locked, hall, service, counter, session = rows.load_all(models, found[0])
    rows.attach(locked, "hall", hall)
    rows.attach(locked, "service", service)
    rows.attach(locked, "counter", counter)
    if counter is not None:
        rows.attach(counter, "session", session)
    return locked


def anyone_outside(hall: Hall, date: dt.date) -> bool:
    """Whether a ticket of the day waits outside the hall."""
    return bool(rows.fetch(_sql(_OUTSIDE), [hall.pk, date]))
