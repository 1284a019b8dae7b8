"""At the counter, once a ticket is called: serve it, park it, mark a no-show, complete it. Each change locks
the ticket's row once (`lock_ticket`), checks its state, and records who made it."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import lifecycle
from hall import rows
from hall.models import Counter, Service
from notifications import services as notify
from notifications.models import Kind
from queueing import matters, statements
from queueing.inside import seat_if_inside
from queueing.models import Outcome, Ticket, TicketState
from queueing.services import (
    NOT_AT_COUNTER,
    WRONG_STATE,
    Actor,
    QueueError,
    announce,
    record_event,
    tell,
    ticket_event,
    user_of,
)


def lock_ticket(ticket: Ticket, allowed: tuple, at_counter: Counter | None) -> Ticket:
    # The row only; its hall, service and counter come along for the event it will record.
    locked = statements.lock_ticket(ticket.pk)
    if locked is None:
        raise Ticket.DoesNotExist
    return check_locked(locked, allowed, at_counter)


def check_locked(locked: Ticket, allowed: tuple, at_counter: Counter | None) -> Ticket:
    """A ticket read with its row locked, if it is in one of `allowed` (and, given `at_counter`, there)."""
    if locked.state not in allowed:
        raise QueueError("wrong_state", WRONG_STATE % {"state": locked.get_state_display()})
    if at_counter is not None and locked.counter_id != at_counter.pk:
        raise QueueError("not_at_counter", NOT_AT_COUNTER)
    return locked


def apply_change(locked: Ticket, to_state: str, actor: Actor, now: dt.datetime, note="", **fields) -> Ticket:
    """The change itself, on a ticket locked (and its state checked) in this transaction."""
    from_state = locked.state
    locked.state = to_state
    for name, value in fields.items():
        setattr(locked, name, value)
    # The columns that changed since it was locked, and the record of the change, in one statement.
    event = ticket_event(locked, from_state, actor, now, note)
    rows.update(locked, rows.changed(locked), then_insert=event)
    announce(locked, from_state)
    return locked


def change_state(
    ticket: Ticket,
    allowed: tuple,
    to_state: str,
    actor: Actor,
    now: dt.datetime,
    note="",
    at_counter: Counter | None = None,
    **fields,
):
    """Change state if the ticket is in one of `allowed` (and, given `at_counter`, is at that counter)."""
    with transaction.atomic():
        return apply_change(lock_ticket(ticket, allowed, at_counter), to_state, actor, now, note, **fields)


def mark_no_show(
    *, ticket: Ticket, actor: Actor, now: dt.datetime | None = None, at_counter: Counter | None = None
) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        return no_show(lock_ticket(ticket, (TicketState.CALLED,), at_counter), actor, now)


def no_show(locked: Ticket, actor: Actor, now: dt.datetime) -> Ticket:
    """A called ticket (locked) whose citizen did not come; its booking ends, served if a matter was."""
    ticket = apply_change(locked, TicketState.NO_SHOW, actor, now, completed_at=now)
    partly_served = matters.end_unserved(ticket, now)
    if ticket.booking_id:
        finish_booking(ticket, partly_served, actor)
    return ticket


def start_serving(
    *, ticket: Ticket, actor: Actor, now: dt.datetime | None = None, at_counter: Counter | None = None
) -> Ticket:
    now = now or timezone.now()
    with transaction.atomic():
        ticket = change_state(
            ticket,
            (TicketState.CALLED,),
            TicketState.SERVING,
            actor,
            now,
            at_counter=at_counter,
            serving_at=now,
        )
        matters.serving(ticket, user_of(actor), now)
        if ticket.owner_id is None and user_of(actor):
            Ticket.objects.filter(pk=ticket.pk).update(owner=user_of(actor))
    return ticket


def park(
    *,
    ticket: Ticket,
    actor: Actor,
    now: dt.datetime | None = None,
    note: str = "",
    at_counter: Counter | None = None,
) -> Ticket:
    """The citizen fetches a missing paper; the counter is free to call others meanwhile."""
    now = now or timezone.now()
    # The ticket keeps its counter (only called and serving tickets hold one), so that the counter can call
    # it back and the supervisor sees where it was parked.
    return change_state(
        ticket, (TicketState.CALLED, TicketState.SERVING), TicketState.PARKED, actor, now, note, at_counter
    )


def complete(
    *,
    ticket: Ticket,
    actor: Actor,
    outcome: str = Outcome.DONE,
    missing=(),
    missing_note: str = "",
    note: str = "",
    now: dt.datetime | None = None,
    at_counter: Counter | None = None,
    row_locked: bool = False,
) -> Ticket:
    """Finish with an outcome. With materials missing, everything missing is told at once (一次性告知).

    A ticket with several matters completes its current one; while others remain it carries on at this
    counter if the counter serves the next one, or queues for it at the head of its queue.
    `row_locked`: the caller read `ticket` with its row locked in the transaction it holds (its state is still
    checked here)."""
    now = now or timezone.now()
    allowed = (TicketState.CALLED, TicketState.SERVING)
    with transaction.atomic(savepoint=not row_locked):  # the caller's transaction: no savepoint of its own
        if row_locked:
            locked = check_locked(ticket, allowed, at_counter)
        else:
            locked = lock_ticket(ticket, allowed, at_counter)
        matter = matters.current(locked)
        nxt = matters.following(matter) if matter else None
        if matter is not None:
            matters.finish(
                matter, locked, outcome=outcome, missing_note=missing_note, user=user_of(actor), now=now
            )
        service_id = matter.service_id if matter else locked.service_id
        lacking = [m for m in missing if m.service_id == service_id]
        user = user_of(actor)
        if nxt is not None:
            ticket = _move_on(locked, nxt, actor, now, note)
        else:
            ticket = apply_change(
                locked,
                TicketState.DONE,
                actor,
                now,
                note,
                outcome=matters.summary_outcome(locked, outcome) if matter else outcome,
                missing_note=missing_note,
                completed_at=now,
                **({"owner": user} if locked.owner_id is None and user else {}),
            )
        if outcome == Outcome.MATERIALS_MISSING:
            if matter is None:
                ticket.missing.set(lacking)
            else:
                ticket.missing.add(*lacking)
            key = str(service_id) if matter else ""
            tell(
                ticket,
                Kind.MATERIALS_MISSING,
                lambda: missing_text(ticket, lacking, missing_note, service_id),
                key,
            )
        if ticket.owner_id is None and user:  # carried on, or back in the queue
            Ticket.objects.filter(pk=ticket.pk).update(owner=user)
        if nxt is None:
            if ticket.booking_id:
                finish_booking(ticket, True, actor)
            if ticket.outcome == Outcome.DONE:
                notify.request_rating(ticket=ticket, now=now)
    return ticket


def _move_on(ticket: Ticket, nxt, actor: Actor, now: dt.datetime, note: str) -> Ticket:
    """The current matter is done and `nxt` is next: carry on at this counter if it serves `nxt`'s service,
    otherwise back into the queue for it, at the head."""
    from_state, counter = ticket.state, ticket.counter
    if counter.services.filter(pk=nxt.service_id).exists():
        matters.carry_on_here(ticket, nxt, user_of(actor), now)
        record_event(ticket, from_state, actor, now, note or f"matter {nxt.position}")
        return ticket
    matters.requeue(ticket, nxt, now, seat=seat_if_inside(ticket))
    record_event(ticket, from_state, actor, now, note or f"matter {nxt.position}", counter=counter)
    return ticket


def missing_text(ticket: Ticket, lacking=None, missing_note=None, service_id=None) -> str:
    if lacking is None:
        lacking, missing_note = list(ticket.missing.all()), ticket.missing_note
    service = Service.objects.get(pk=service_id) if service_id else ticket.service
    names = [m.name for m in lacking] + ([missing_note] if missing_note else [])
    return str(
        _(
            "[%(hall)s] %(service)s: please bring %(items)s. "
            "You will not need to queue again: show ticket %(number)s."
        )
        % {
            "hall": ticket.hall.name,
            "service": service.name,
            "items": "; ".join(names),
            "number": ticket.number,
        }
    )


def finish_booking(ticket: Ticket, served: bool, actor: Actor) -> None:
    lifecycle.finish(
        booking_id=ticket.booking_id,
        served=served,
        source=actor.source,
        user=user_of(actor),
        note=ticket.number,
    )
