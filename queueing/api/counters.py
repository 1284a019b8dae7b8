"""A window (counter) through the API: open it, pause, resume and close it, and call the next ticket."""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from hall import audit
from hall.api import ApiError, Principal
from hall.models import AuditAction, Counter
from queueing import access, calls
from queueing.api.schemas import (
    CounterOut,
    PathId,
    TicketOut,
    actor,
    built,
    counter_out,
    counter_route,
    ticket_out,
)
from queueing.models import CounterState

COUNTER_NOT_FOUND = _("There is no window with this number in your hall.")

router = Router(tags=["queue"])


class CalledOut(Schema):
    ticket: TicketOut


def counter_for(principal: Principal, counter_id: int) -> Counter:
    """A window of the caller's hall; another hall's is not found."""
    try:
        return access.access_counter(principal.user, counter_id)
    except Http404:
        raise ApiError(404, "not_found", COUNTER_NOT_FOUND) from None


def _audit(request, action: AuditAction, counter: Counter) -> None:
    ip = audit.client_ip(request)
    audit.record(action=action, hall=counter.hall, actor=request.auth.user, obj=counter, ip=ip)


@counter_route(router, "/counters/{counter_id}/open", {200: CounterOut})
def open_counter(request, counter_id: PathId):
    """Open a window and work at it (a user works at one window at a time)."""
    counter = counter_for(request.auth, counter_id)
    session = calls.open_counter(counter=counter, actor=actor(request))
    _audit(request, AuditAction.COUNTER_OPENED, counter)
    return counter_out(counter, session)


def _set_state(request, counter_id: int, state: str) -> dict:
    counter = counter_for(request.auth, counter_id)
    access.require_working_at(counter, request.auth.user)
    session = calls.set_counter_state(counter=counter, actor=actor(request), state=state)
    _audit(request, audit.COUNTER_STATE_ACTIONS[state], counter)
    return counter_out(counter, session)


@counter_route(router, "/counters/{counter_id}/close", {200: CounterOut})
def close_counter(request, counter_id: PathId):
    """Close the window (refused while a ticket is at it); another user may then open it."""
    return _set_state(request, counter_id, CounterState.CLOSED)


@counter_route(router, "/counters/{counter_id}/pause", {200: CounterOut})
def pause_counter(request, counter_id: PathId):
    """Nobody is called to the window until it resumes."""
    return _set_state(request, counter_id, CounterState.PAUSED)


@counter_route(router, "/counters/{counter_id}/resume", {200: CounterOut})
def resume_counter(request, counter_id: PathId):
    return _set_state(request, counter_id, CounterState.OPEN)


@counter_route(router, "/counters/{counter_id}/call-next", {200: CalledOut, 204: None})
def call_next(request, counter_id: PathId):
    """Call the next ticket in queue order; 204 when nobody waits for this window's services. Counters
    calling at the same time never get the same ticket."""
    principal, now = request.auth, timezone.now()
    try:  # a counter of another hall is not found: the glance's day, of the caller's hall, is the counter's
        counter, glance = access.access_counter_to_call(
            principal.user, counter_id, principal.hall.local_date(now)
        )
    except Http404:
        raise ApiError(404, "not_found", COUNTER_NOT_FOUND) from None
    access.require_working_at(counter, request.auth.user)
    ticket = calls.call_next(counter=counter, actor=actor(request), now=now, glance=glance)
    if ticket is None:
        return Status(204, None)
    return built(request, {"ticket": ticket_out(ticket)})  # CalledOut
