"""A ticket at a window through the API: recall, no-show, start, park, call back, transfer and complete."""

import contextlib
from typing import Literal

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from appointments.api.availability import active_service
from hall import access as hall_access
from hall.api import ApiError, Principal
from hall.models import Counter, Hall, Material
from queueing import access, calls, statements
from queueing.api.counters import COUNTER_NOT_FOUND, counter_for
from queueing.api.schemas import Code, Note, PathId, RowId, TicketOut, actor, built, counter_route, ticket_out
from queueing.models import AT_COUNTER_STATES, CounterSession, CounterState, Outcome, Ticket
from queueing.services import COUNTER_NOT_OPEN

TICKET_NOT_FOUND = _("There is no ticket with this number in your hall.")
MISSING_ONLY_WHEN_MISSING = _("List missing materials only with the outcome materials_missing.")
SAY_WHAT_IS_MISSING = _("Choose the missing materials, or describe them in missing_note.")
NOT_A_MATERIAL = _("These are not materials of this ticket's service: %(ids)s.")

router = Router(tags=["queue"])


class CallBackIn(Schema):
    counter: RowId | None = Field(None, description="A counter id; by default the caller's open counter.")


class TransferIn(Schema):
    service: Code | None = Field(None, description="A service code; by default the same service.")
    counter: RowId | None = Field(None, description="A counter id: the new ticket is called only there.")
    note: Note = ""


class CompleteIn(Schema):
    outcome: Literal["done", "materials_missing"]
    missing: list[RowId] = Field([], max_length=100, description="Material ids of the ticket's service.")
    missing_note: Note = ""
    note: Note = ""


def _ticket(principal: Principal, ticket_id: int) -> Ticket:
    """A ticket of the caller's own hall; another hall's ticket is not found."""
    try:
        return access.access_ticket(principal.user, ticket_id)
    except Http404:
        raise ApiError(404, "not_found", TICKET_NOT_FOUND) from None


def _require_at_its_counter(ticket: Ticket, principal: Principal) -> None:
    """A ticket at a counter is handled only by who works there, as in the console."""
    if ticket.counter_id and ticket.state in AT_COUNTER_STATES:
        access.require_working_at(ticket.counter, principal.user)


def _ticket_action(request, ticket_id: int, action) -> dict:
    ticket = _ticket(request.auth, ticket_id)
    _require_at_its_counter(ticket, request.auth)
    return ticket_out(action(ticket=ticket, actor=actor(request)), ticket.hall)


@counter_route(router, "/tickets/{ticket_id}/recall", {200: TicketOut})
def recall_ticket(request, ticket_id: PathId):
    """Call again; after the hall's limit of unanswered calls the ticket becomes a no-show."""
    return _ticket_action(request, ticket_id, calls.recall)


@counter_route(router, "/tickets/{ticket_id}/no-show", {200: TicketOut})
def no_show(request, ticket_id: PathId):
    return _ticket_action(request, ticket_id, calls.mark_no_show)


@counter_route(router, "/tickets/{ticket_id}/start", {200: TicketOut})
def start_serving(request, ticket_id: PathId):
    """The citizen has come to the window: service begins."""
    return _ticket_action(request, ticket_id, calls.start_serving)


@counter_route(router, "/tickets/{ticket_id}/park", {200: TicketOut})
def park_ticket(request, ticket_id: PathId):
    """The citizen fetches a missing paper; the window is free to call others meanwhile."""
    return _ticket_action(request, ticket_id, calls.park)


def _open_counter_of(principal: Principal) -> Counter:
    session = (
        CounterSession.objects.select_related("counter__hall")
        .filter(user=principal.user, state=CounterState.OPEN)
        .first()
    )
    if session is None:
        raise ApiError(409, "counter_closed", COUNTER_NOT_OPEN)
    return counter_for(principal, session.counter_id)


@counter_route(router, "/tickets/{ticket_id}/call-back", {200: TicketOut})
def call_back(request, ticket_id: PathId, data: CallBackIn):
    """Call a parked ticket (or a chosen waiting one) to `counter`, by default the caller's open window."""
    principal = request.auth
    ticket = _ticket(principal, ticket_id)
    counter = counter_for(principal, data.counter) if data.counter else _open_counter_of(principal)
    access.require_working_at(counter, principal.user)
    called = calls.call_ticket(counter=counter, ticket=ticket, actor=actor(request))
    return ticket_out(called, ticket.hall)


def _transfer_target(principal: Principal, hall: Hall, data: TransferIn) -> dict:
    target = {}
    if data.service:
        target["service"] = active_service(hall, data.service)
    if data.counter:
        try:
            target["counter"] = counter_for(principal, data.counter)
        except ApiError as error:
            raise ApiError(404, "not_found", COUNTER_NOT_FOUND, {"counter": COUNTER_NOT_FOUND}) from error
    return target


@counter_route(router, "/tickets/{ticket_id}/transfer", {200: TicketOut})
def transfer_ticket(request, ticket_id: PathId, data: TransferIn):
    """End this ticket and queue a new one (answered) at the head of another service's queue, or for
    one window; the citizen's link follows it."""
    principal = request.auth
    ticket = _ticket(principal, ticket_id)
    _require_at_its_counter(ticket, principal)
    target = _transfer_target(principal, ticket.hall, data)
    new = calls.transfer(ticket=ticket, actor=actor(request), note=data.note, **target)
    return ticket_out(new, ticket.hall)


def _missing_materials(ticket: Ticket, data: CompleteIn) -> list[Material]:
    if data.outcome == Outcome.DONE:
        if data.missing or data.missing_note:
            raise ApiError(422, "invalid", MISSING_ONLY_WHEN_MISSING, {"missing": MISSING_ONLY_WHEN_MISSING})
        return []
    if not data.missing and not data.missing_note:
        raise ApiError(422, "invalid", SAY_WHAT_IS_MISSING, {"missing": SAY_WHAT_IS_MISSING})
    materials = list(Material.objects.filter(service=ticket.service, pk__in=data.missing))
    unknown = sorted(set(data.missing) - {m.pk for m in materials})
    if unknown:
        message = NOT_A_MATERIAL % {"ids": ", ".join(map(str, unknown))}
        raise ApiError(422, "invalid", message, {"missing": message})
    return materials


class _NotOfTheHall(Exception):
    """A ticket that is not the caller's hall's, carried out of the transaction that read it."""

    def __init__(self, found: Ticket | None, hall_id: int):
        self.found, self.hall_id = found, hall_id


def _locked_ticket(principal: Principal, ticket_id: int) -> Ticket:
    """As `_ticket`, with the row locked in the caller's transaction (one statement: issue 20)."""
    try:
        hall_id = hall_access.own_hall_id(principal.user)
    except Http404:
        raise ApiError(404, "not_found", TICKET_NOT_FOUND) from None
    locked = statements.lock_ticket_at_window(ticket_id)
    if locked is None or locked.hall_id != hall_id:
        raise _NotOfTheHall(locked, hall_id)
    return locked


@counter_route(router, "/tickets/{ticket_id}/complete", {200: TicketOut})
def complete_ticket(request, ticket_id: PathId, data: CompleteIn):
    """Finish with an outcome; with materials missing, everything missing is told at once (一次性告知).
    The ticket is read once, its row locked, and checked (the hall, who works at its window) before the
    change, in the change's transaction."""
    principal = request.auth
    try:
        with transaction.atomic():
            ticket = _locked_ticket(principal, ticket_id)
            _require_at_its_counter(ticket, principal)
            done = calls.complete(
                ticket=ticket,
                actor=actor(request),
                outcome=data.outcome,
                missing=_missing_materials(ticket, data),
                missing_note=data.missing_note,
                note=data.note,
                row_locked=True,
            )
    except _NotOfTheHall as refused:
        # Outside the rolled-back transaction, so that another hall's supervisor sees the attempt (audit).
        with contextlib.suppress(Http404):
            hall_access.belonging(refused.found, refused.hall_id, principal.user)
        raise ApiError(404, "not_found", TICKET_NOT_FOUND) from None
    return built(request, ticket_out(done, ticket.hall))
