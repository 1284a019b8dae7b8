"""Who waits inside: the seats that calls free go to the citizens waiting outside, in queue order, and those
still outside are asked in (by SMS, once each) when only a few are ahead of them."""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from hall.models import Hall
from notifications.models import Kind
from queueing import order, statements
from queueing.heads import waiting_items
from queueing.models import Ticket, TicketState
from queueing.services import place, rules_for, tell


def _unlocked(ticket_id: int):
    """The ticket, unless another transaction holds its row (a counter calling it right now): updating it
    then would wait for that transaction while holding the seats lock it may be waiting for."""
    return Ticket.objects.filter(
        pk__in=Ticket.objects.select_for_update(skip_locked=True).filter(pk=ticket_id).values("pk")
    )


def seat_if_inside(ticket: Ticket) -> str:
    """A seat for a ticket going back into the queue, if there is room inside."""
    inside, seat = place(ticket.hall, ticket.date)
    return seat if inside else ""


def come_in_text(ticket: Ticket, ahead: int) -> str:
    return str(
        _("[%(hall)s] Ticket %(number)s: %(ahead)s people are ahead of you. Please come into the hall now.")
        % {"hall": ticket.hall.name, "number": ticket.number, "ahead": ahead}
    )


def ask_to_come_in(hall: Hall, date: dt.date, now: dt.datetime, outside: list[Ticket] | None = None) -> None:
    """Citizens waiting outside are asked in when only a few are ahead of them (once each). `outside`: the
    tickets waiting outside, when the caller has just read them."""
    if outside is None:
        outside = list(Ticket.objects.today(hall, date).waiting().filter(inside=False))
    outside = {t.pk: t for t in outside if not t.inside and not t.come_in_sent}
    if not outside:
        return
    rules = rules_for(hall)
    waiting = waiting_items(hall, date)
    for ticket_id, ticket in outside.items():
        ahead = order.people_ahead(
            waiting, ticket_id, now=now, appointments_per_walk_in=rules.appointments_per_walk_in
        )
        if ahead > rules.come_in_at:
            continue
        _come_in(ticket, ahead)


def _come_in(ticket: Ticket, ahead: int) -> None:
    if ticket.come_in_sent:
        return
    if not _unlocked(ticket.pk).update(come_in_sent=True):
        return  # being called right now: no need to ask them in
    ticket.come_in_sent = True
    tell(ticket, Kind.COME_IN, lambda: come_in_text(ticket, ahead))


def move_inside(
    hall: Hall, date: dt.date, now: dt.datetime, *, anyone_outside: bool | None = None
) -> list[Ticket]:
    """Seats freed by calls go to the tickets waiting outside, in queue order. Returns the tickets still
    waiting outside (as `ask_to_come_in` wants them), so that a call reads them once. `anyone_outside`:
    whether a ticket of the day waits outside, when the caller has just looked (call-next's claim)."""
    if anyone_outside is None:
        anyone_outside = statements.anyone_outside(hall, date)  # the usual case: a cheap look first
    if not anyone_outside:
        return []
    outside = {t.pk: t for t in Ticket.objects.today(hall, date).waiting().filter(inside=False)}
    if not outside:
        return []
    rules = rules_for(hall)
    ordered = order.order(
        [w for w in waiting_items(hall, date) if w.id in outside],
        now=now,
        appointments_per_walk_in=rules.appointments_per_walk_in,
    )
    for item in ordered:
        inside, seat = place(hall, date)
        if not inside:
            break
        ticket = outside[item.id]
        if _unlocked(item.id).filter(state=TicketState.WAITING).update(inside=True, seat=seat):
            ticket.inside, ticket.seat = True, seat
            _come_in(ticket, order.people_ahead(ordered, item.id, now=now))
    return list(outside.values())
