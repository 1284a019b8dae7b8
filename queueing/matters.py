"""A ticket that carries several matters (a booking with several services) moving through the hall.

The ticket queues for its current matter: `Ticket.service` is that matter's service, so the queue, the
console and the board need nothing new. When a counter completes a matter and others remain, the same
ticket either carries on at that counter (when it serves the next matter's service too) or goes back into
the queue for the next matter at the head (`requeued_at`, like a transfer), keeping its number. Callers
hold the ticket's row lock; each function here changes only matter rows and the ticket object given.
"""

import datetime as dt

from django.db.models import F, Value
from django.db.models.functions import Coalesce

from queueing.models import MatterState, Outcome, Ticket, TicketKind, TicketMatter, TicketState


def current(ticket: Ticket) -> TicketMatter | None:
    """The matter in progress, locked; None for a ticket with one service (it has no matter rows)."""
    if ticket.kind != TicketKind.APPOINTMENT:
        return None
    return (
        TicketMatter.objects.select_for_update(of=("self",))
        .select_related("service")
        .filter(ticket_id=ticket.pk, state=MatterState.CURRENT)
        .first()
    )


def following(matter: TicketMatter) -> TicketMatter | None:
    return (
        TicketMatter.objects.select_for_update(of=("self",))
        .select_related("service")
        .filter(ticket_id=matter.ticket_id, state=MatterState.PENDING, position__gt=matter.position)
        .order_by("position")
        .first()
    )


def called(ticket: Ticket, now: dt.datetime) -> None:
    """The ticket was called (or called back) to a counter: its current matter is there, first called now."""
    if ticket.kind != TicketKind.APPOINTMENT:
        return
    TicketMatter.objects.filter(ticket_id=ticket.pk, state=MatterState.CURRENT).update(
        counter=ticket.counter_id, called_at=Coalesce(F("called_at"), Value(now))
    )


def serving(ticket: Ticket, user, now: dt.datetime) -> None:
    if ticket.kind != TicketKind.APPOINTMENT:
        return
    TicketMatter.objects.filter(ticket_id=ticket.pk, state=MatterState.CURRENT).update(
        started_at=now, served_by=user
    )


def finish(matter: TicketMatter, ticket: Ticket, *, outcome: str, missing_note: str, user, now) -> None:
    matter.state, matter.outcome, matter.missing_note = MatterState.DONE, outcome, missing_note
    matter.counter_id = ticket.counter_id
    matter.served_by = matter.served_by or user
    matter.ended_at = now
    matter.save()


def carry_on_here(ticket: Ticket, matter: TicketMatter, user, now: dt.datetime) -> None:
    """The counter also serves the next matter: the citizen stays and it begins at once."""
    ticket.service = matter.service
    ticket.state, ticket.serving_at = TicketState.SERVING, now
    matter.state, matter.counter_id, matter.served_by = MatterState.CURRENT, ticket.counter_id, user
    matter.queued_at = matter.called_at = matter.started_at = now
    matter.save()
    ticket.save()


def requeue(ticket: Ticket, matter: TicketMatter, now: dt.datetime, *, for_counter=None, seat="") -> None:
    """Back in the queue for `matter` (the next one, or the current one transferred), at its head."""
    ticket.service = matter.service
    ticket.state, ticket.counter, ticket.for_counter = TicketState.WAITING, None, for_counter
    ticket.calls, ticket.requeued_at, ticket.inside, ticket.seat = 0, now, True, seat
    ticket.come_in_sent = True  # the citizen is in the hall already
    matter.state, matter.queued_at = MatterState.CURRENT, now
    matter.counter = matter.served_by = matter.called_at = matter.started_at = None
    matter.save()
    ticket.save()


def end_unserved(ticket: Ticket, now: dt.datetime) -> bool:
    """The ticket ends without its remaining matters (a no-show): they are not served. True when an
    earlier matter was done, so that the booking counts as served rather than missed."""
    open_matters = TicketMatter.objects.filter(
        ticket_id=ticket.pk, state__in=[MatterState.CURRENT, MatterState.PENDING]
    )
    open_matters.update(state=MatterState.NOT_SERVED, ended_at=now)
    return TicketMatter.objects.filter(ticket_id=ticket.pk, state=MatterState.DONE).exists()


def summary_outcome(ticket: Ticket, last_outcome: str) -> str:
    """The ticket's own outcome once all its matters are done: materials missing if any matter lacked them."""
    lacked = TicketMatter.objects.filter(ticket_id=ticket.pk, outcome=Outcome.MATERIALS_MISSING).exists()
    return Outcome.MATERIALS_MISSING if lacked else last_outcome
