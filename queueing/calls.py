"""Calling tickets to a counter: the next one (`call_next`), a chosen one, or the same one again. Serving,
completing and handing over are in queueing/serving.py and queueing/handover.py, the counter's session in
queueing/counters.py; their flows are importable from here too, where the views and the API find them."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hall.models import Counter
from notifications.models import Kind
from queueing import heads, matters, order, statements
from queueing.counters import (
    counter_services,
    lock_session,
    open_counter,
    require_open,
    serving_ticket,
    set_counter_state,
)
from queueing.handover import transfer
from queueing.inside import ask_to_come_in, move_inside
from queueing.models import CounterSession, Ticket, TicketEvent, TicketKind, TicketState
from queueing.services import (
    COUNTER_BUSY,
    COUNTER_NOT_OPEN,
    NOT_WAITING,
    SERVICE_CLOSED,
    Actor,
    QueueError,
    announce,
    record_event,
    rules_for,
    tell,
    user_of,
)
from queueing.serving import complete, lock_ticket, mark_no_show, missing_text, no_show, park, start_serving

__all__ = [
    "call_next",
    "call_ticket",
    "called_text",
    "complete",
    "counter_services",
    "mark_no_show",
    "missing_text",
    "open_counter",
    "park",
    "recall",
    "set_counter_state",
    "start_serving",
    "transfer",
]

log = logging.getLogger(__name__)


def call_next(
    *,
    counter: Counter,
    actor: Actor,
    now: dt.datetime | None = None,
    glance: statements.Glance | None = None,
) -> Ticket | None:
    """Call the next ticket for this counter. Twenty counters calling at once never get the same ticket:
    each claim locks the ticket's row (skipping one locked by another counter) and changes it only if it
    still waits; a lost race moves on to the next candidate.

    `glance`: what the read of the counter (with its session, statements.counter_to_call) saw of it just
    before. When it saw the counter open to this caller, no ticket at it and nobody waiting for it, the answer
    is "nobody" at once, without a transaction or a lock: the call is answered as of that read, and claims
    nothing (windows asking an empty queue every few seconds were half of a province day's requests: issue
    20). Anything else goes the long way, which checks it all again under the session's lock."""
    now = now or timezone.now()
    if glance is not None and _nobody_to_call(counter, glance, actor):
        return None
    hall = counter.hall
    rules = rules_for(hall)
    today = hall.local_date(now)
    with transaction.atomic():
        session, busy, calling = statements.lock_session(counter)
        services = {service.pk: service for service in calling}
        if session is None:  # never opened
            raise QueueError("counter_closed", COUNTER_NOT_OPEN)
        require_open(session, actor)
        if busy and (at_counter := serving_ticket(counter, now)):  # a past day's ticket there ends (dayend)
            raise QueueError("counter_busy", COUNTER_BUSY, ticket=at_counter)
        skipped: list[int] = []  # claimed by another counter at this moment
        while True:
            waiting, cut = heads.waiting_heads(hall, today, list(services), counter, skip=skipped)
            # A line read only in part whose tickets were all skipped: read again before choosing.
            while not heads.ran_out(waiting, cut):
                candidate = order.next_for_counter(
                    waiting,
                    services=list(services),
                    now=now,
                    appointments_per_walk_in=rules.appointments_per_walk_in,
                    calls_since_walk_in=session.calls_since_walk_in,
                )
                if candidate is None:
                    return None
                ticket, outside = _claim(
                    candidate.id, counter, now, _call_event(candidate.id, counter, actor, now)
                )
                if ticket is not None:
                    ticket.hall, ticket.counter = hall, counter  # loaded already: no query each
                    if ticket.service_id in services:  # it is: the heads are of these services
                        ticket.service = services[ticket.service_id]
                    _after_call(ticket, session, actor, now, TicketState.WAITING, outside, recorded=True)
                    return ticket
                skipped.append(candidate.id)
                waiting = [w for w in waiting if w.id != candidate.id]


def _nobody_to_call(counter: Counter, glance: statements.Glance, actor: Actor) -> bool:
    """Whether `glance` shows the counter open to `actor`, free, and nobody waiting for it: the long way
    would answer None too (order.next_for_counter chooses none only among no tickets)."""
    if glance.busy or glance.waiting:
        return False
    session = getattr(counter, "session", None)  # read with the counter
    if session is None:
        return False
    try:
        require_open(session, actor)
    except QueueError:
        return False  # the long way says why, as before
    return True


def _claim(
    ticket_id: int, counter: Counter, now: dt.datetime, event: TicketEvent
) -> tuple[Ticket | None, bool | None]:
    """Call the ticket if it still waits, in one statement that locks its row first; a ticket that another
    counter is claiming right now (its row locked) is skipped, not waited for, so that counters calling at
    once do not queue up behind each other. `event` (the call's record) is written with a claimed ticket.
    (The ticket as called (with its hall and counter), or None; whether another ticket of its day waits
    outside the hall, None when not looked at.)"""
    return statements.claim(ticket_id, counter, now, event)


def _call_event(ticket_id: int, counter: Counter, actor: Actor, now: dt.datetime) -> TicketEvent:
    """The record of a waiting ticket's call to `counter`, as `record_event` writes it."""
    return TicketEvent(
        ticket_id=ticket_id,
        from_state=TicketState.WAITING,
        to_state=TicketState.CALLED,
        counter=counter,
        actor=user_of(actor),
        source=actor.source,
        note="",
        at=now,
    )


def _after_call(
    ticket: Ticket,
    session: CounterSession,
    actor: Actor,
    now: dt.datetime,
    from_state: str,
    outside: bool | None = None,
    recorded: bool = False,
) -> None:
    """`outside`: whether another ticket of the day waits outside the hall, when the caller knows it;
    `recorded`: whether the call's event is written already (with the claim)."""
    streak = session.calls_since_walk_in
    if ticket.kind == TicketKind.WALK_IN:
        session.calls_since_walk_in = 0
    elif not ticket.green_channel:
        session.calls_since_walk_in += 1
    if session.calls_since_walk_in != streak:
        session.save(update_fields=["calls_since_walk_in"])
    matters.called(ticket, now)
    if recorded:
        announce(ticket, from_state)
    else:
        record_event(ticket, from_state, actor, now)
    outside = move_inside(ticket.hall, ticket.date, now, anyone_outside=outside)
    ask_to_come_in(ticket.hall, ticket.date, now, outside)
    if not ticket.inside:
        tell(ticket, Kind.CALLED, lambda: called_text(ticket))


def called_text(ticket: Ticket) -> str:
    return str(
        _("[%(hall)s] Ticket %(number)s: please go to window %(counter)s now.")
        % {"hall": ticket.hall.name, "number": ticket.number, "counter": ticket.counter.number}
    )


def call_ticket(*, counter: Counter, ticket: Ticket, actor: Actor, now: dt.datetime | None = None) -> Ticket:
    """Call a chosen waiting ticket (or a parked one back) to this counter."""
    now = now or timezone.now()
    with transaction.atomic():
        session = lock_session(counter)
        require_open(session, actor)
        if busy := serving_ticket(counter, now):
            raise QueueError("counter_busy", COUNTER_BUSY, ticket=busy)
        if not counter.services.filter(pk=ticket.service_id).exists() or ticket.hall_id != counter.hall_id:
            raise QueueError("not_found", SERVICE_CLOSED)
        from_state = Ticket.objects.filter(pk=ticket.pk).values_list("state", flat=True).first()
        updated = Ticket.objects.filter(
            pk=ticket.pk, state__in=[TicketState.WAITING, TicketState.PARKED]
        ).update(state=TicketState.CALLED, counter=counter, calls=1)
        if not updated:
            raise QueueError("not_waiting", NOT_WAITING)
        Ticket.objects.filter(pk=ticket.pk, called_at__isnull=True).update(called_at=now)
        ticket.refresh_from_db()
        _after_call(ticket, session, actor, now, from_state)
    return ticket


def recall(
    *, ticket: Ticket, actor: Actor, now: dt.datetime | None = None, at_counter: Counter | None = None
) -> Ticket:
    """Call again; after the hall's limit of unanswered calls the ticket becomes a no-show."""
    now = now or timezone.now()
    limit = rules_for(ticket.hall).recall_limit
    with transaction.atomic():
        locked = lock_ticket(ticket, (TicketState.CALLED,), at_counter)
        if locked.calls >= limit:
            return no_show(locked, actor, now)
        locked.calls += 1
        locked.save(update_fields=["calls"])
        record_event(locked, TicketState.CALLED, actor, now, note=f"call {locked.calls}")
    return locked
