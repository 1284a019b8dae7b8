"""Hand-over: a ticket called to one counter goes on to another service or counter, at the head of its
queue, and the citizen's live page follows it."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from hall.models import Counter, Service
from queueing import matters
from queueing.inside import seat_if_inside
from queueing.models import Ticket, TicketState
from queueing.services import SERVICE_CLOSED, Actor, QueueError, issue, next_sequence, record_event, user_of
from queueing.serving import apply_change, lock_ticket


def transfer(
    *,
    ticket: Ticket,
    actor: Actor,
    service: Service | None = None,
    counter: Counter | None = None,
    note: str = "",
    now: dt.datetime | None = None,
    at_counter: Counter | None = None,
) -> Ticket:
    """End this ticket and queue a new one in another service (or for another counter) at the head of
    its queue; the citizen's live page follows it."""
    now = now or timezone.now()
    target = service or ticket.service
    if target.hall_id != ticket.hall_id or (counter and counter.hall_id != ticket.hall_id):
        raise QueueError("not_found", SERVICE_CLOSED)
    with transaction.atomic():
        allowed = (TicketState.CALLED, TicketState.SERVING, TicketState.PARKED)
        locked = lock_ticket(ticket, allowed, at_counter)
        matter = matters.current(locked)
        if matter is not None:
            # A ticket with several matters keeps its number: its current matter moves instead.
            from_state, from_counter = locked.state, locked.counter
            matter.service = target
            matters.requeue(locked, matter, now, for_counter=counter, seat=seat_if_inside(locked))
            record_event(locked, from_state, actor, now, note or "transfer", counter=from_counter)
            return locked
        old = apply_change(locked, TicketState.TRANSFERRED, actor, now, note, completed_at=now)
        sequence = next_sequence(old.hall, target, old.date)
        new = issue(
            hall=old.hall,
            service=target,
            kind=old.kind,
            actor=actor,
            now=now,
            sequence=sequence,
            booking=old.booking,
            booked_start=old.booked_start,
            green_channel=old.green_channel,
            transferred_from=old,
            owner=old.owner or user_of(actor),
            phone=old.phone,
            phone_hash=old.phone_hash,
            id_hash=old.id_hash,
            language=old.language,
            note=note,
            for_counter=counter,
        )
    return new
