"""A window (counter) through the API: open it, pause, resume and close it, and call the next ticket."""

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from hall import audit
from hall.api import ApiError, ErrorOut, Principal, staff_auth
from hall.apiauth import active_token
from hall.models import AuditAction, Counter, TokenScope
from queueing import access, calls, statements
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
from queueing.services import QueueError

COUNTER_NOT_FOUND = _("There is no window with this number in your hall.")

router = Router(tags=["queue"])


class CalledOut(Schema):
    ticket: TicketOut


class BusyOut(ErrorOut):
    ticket: TicketOut | None = Field(
        None, description="With `counter_busy`: the ticket at the window, as the 200 answer shows one."
    )


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


@dataclass(frozen=True)
class _ReadWithToken:
    """What call-next's read of its token found of the counter of its address (`_token_and_counter`)."""

    counter_id: int
    counter: Counter | None
    glance: statements.Glance | None
    date: dt.date  # the day the glance looked at


def _token_and_counter(request, key_hash: str):
    """Call-next's token read (hall.apiauth.TokenAuth), with the counter of the request's address and its
    glance in the same statement (statements.token_and_counter_to_call): one round trip less on a window's
    busiest request (issue 20). The glance looks at the day of the default time zone, where the halls are;
    `call_next` uses it only when that is the day of the caller's hall."""
    counter_id = _path_counter_id(request)
    if counter_id is None:  # an address the operation answers 422: the token alone, as elsewhere
        return active_token(key_hash)
    date = default_day()
    token, counter, glance = statements.token_and_counter_to_call(key_hash, counter_id, date)
    request.read_with_token = _ReadWithToken(counter_id, counter, glance, date)
    return token


def default_day() -> dt.date:
    """Today in the default time zone (TIME_ZONE), before the caller's hall is known."""
    return timezone.localdate()


def _path_counter_id(request) -> int | None:
    match = getattr(request, "resolver_match", None)
    raw = match.kwargs.get("counter_id") if match is not None else None
    try:
        counter_id = int(raw)
    except (TypeError, ValueError):
        return None
    return counter_id if 0 < counter_id <= statements.ID_MAX else None


@counter_route(
    router,
    "/counters/{counter_id}/call-next",
    {200: CalledOut, 204: None, 409: BusyOut},
    auth=staff_auth(TokenScope.COUNTER, read=_token_and_counter),
)
def call_next(request, counter_id: PathId):
    """Call the next ticket in queue order; 204 when nobody waits for this window's services. Counters
    calling at the same time never get the same ticket. While a ticket is at the window the answer is 409
    `counter_busy` with that ticket, so that a window whose client missed the call's answer carries on with
    it without reading the queue."""
    principal, now = request.auth, timezone.now()
    today = principal.hall.local_date(now)
    read = getattr(request, "read_with_token", None)
    try:  # a counter of another hall is not found: the glance's day, of the caller's hall, is the counter's
        if read is not None and read.counter_id == counter_id:
            counter = access.counter_of_own_hall(principal.user, read.counter)
            glance = read.glance if read.date == today else None  # another day's: the long way decides
        else:  # a staff member's session
            counter, glance = access.access_counter_to_call(principal.user, counter_id, today)
    except Http404:
        raise ApiError(404, "not_found", COUNTER_NOT_FOUND) from None
    access.require_working_at(counter, request.auth.user)
    try:
        ticket = calls.call_next(counter=counter, actor=actor(request), now=now, glance=glance)
    except QueueError as refusal:
        if refusal.code != "counter_busy" or refusal.ticket is None:
            raise  # answered by hall/api_v1.py's handler
        body = {"error": refusal.code, "message": refusal.message, "fields": refusal.fields}
        return Status(409, {**body, "ticket": ticket_out(refusal.ticket, counter.hall)})
    if ticket is None:
        return Status(204, None)
    return built(request, {"ticket": ticket_out(ticket)})  # CalledOut
