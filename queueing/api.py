"""JSON API v1 routes for the queue: the citizen's ticket, the kiosk's tickets, the counter's calls and the
hall's queue; mounted on the one NinjaAPI in hall/api_v1.py. Every change goes through queueing.services or
queueing.calls; who may touch which counter and ticket is decided by queueing.access."""

import datetime as dt
from typing import Annotated, Literal

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Router, Schema, Status
from ninja.throttling import BaseThrottle
from phonenumber_field.phonenumber import PhoneNumber
from pydantic import StringConstraints

from appointments import limits
from appointments.api import SERVICE_NOT_FOUND, PerIpRateLimit
from appointments.models import GreenChannel
from hall import audit
from hall.api import (
    AUTH_ERRORS,
    DEVICE_AUTH,
    MAX_ID,
    STAFF_AUTH,
    ApiError,
    ErrorOut,
    IdNumber,
    Mobile,
    Principal,
    error_response,
    get_hall_for_staff,
)
from hall.models import AuditAction, Counter, Hall, Material, Service
from queueing import access, calls, progress, services
from queueing.models import AT_COUNTER_STATES, CounterSession, CounterState, Outcome, Ticket, TicketState
from queueing.services import COUNTER_NOT_OPEN, Actor, QueueError

TICKET_NOT_FOUND = _("There is no ticket with this number in your hall.")
PUBLIC_TICKET_NOT_FOUND = _("There is no ticket with this code. Please check the link on your ticket.")
COUNTER_NOT_FOUND = _("There is no window with this number in your hall.")
BOOKING_OR_SERVICE = _("Send either a booking code or a service, not both.")
GREEN_CHANNEL_STAFF_ONLY = _("Only staff of the hall may give a ticket the green channel.")
GREEN_CHANNEL_WALK_IN_ONLY = _("A booking keeps its own green channel; send it only with a service.")
MISSING_ONLY_WHEN_MISSING = _("List missing materials only with the outcome materials_missing.")
SAY_WHAT_IS_MISSING = _("Choose the missing materials, or describe them in missing_note.")
NOT_A_MATERIAL = _("These are not materials of this ticket's service: %(ids)s.")

# Status of each QueueError code; any other refusal conflicts with the ticket's or counter's state (409).
QUEUE_ERROR_STATUS = {"not_found": 404}
# The body field a refusal of ticket issuing is about, so that a kiosk can show it next to the input.
ISSUE_ERROR_FIELDS = {
    "not_found": "booking_code",
    "cancelled": "booking_code",
    "not_today": "booking_code",
    "too_early": "booking_code",
    "too_late": "booking_code",
    "quota_exhausted": "service",
    "duplicate_ticket": "service",
    "hall_closed": "service",
    "last_ticket_passed": "service",
}
# How many transfers the citizen's page follows; a real chain is two or three long.
MAX_TRANSFERS = 20


def queue_error(request, exc: QueueError):
    return error_response(request, QUEUE_ERROR_STATUS.get(exc.code, 409), exc.code, exc.message)


router = Router(tags=["queue"])

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
STAFF_ERRORS = {**AUTH_ERRORS, 409: ErrorOut}


class PublicTicketOut(Schema):
    number: str
    service: str
    service_name: str
    state: str
    position: int | None = Field(description="1 when the ticket is next; null once it is no longer waiting.")
    ahead: int | None = Field(description="People of the same service called before this ticket.")
    estimated_wait_minutes: int | None
    counter: int | None = Field(description="The window's number, once the ticket has been called.")
    seat: str
    inside: bool = Field(description="False: the citizen waits outside until asked in (by text message).")


class IssuedTicketOut(Schema):
    id: int
    token: str = Field(description="The citizen's key to GET /tickets/{token} and the live page.")
    number: str
    service: str
    position: int | None
    ahead: int | None
    seat: str
    inside: bool
    estimated_wait_minutes: int | None


class TicketIn(Schema):
    """A booking's check-in (`booking_code`) or a walk-in ticket (`service`)."""

    booking_code: Code | None = None
    service: Code | None = None
    green_channel: GreenChannel | None = Field(None, description="Walk-ins only; staff of the hall only.")
    id_number: IdNumber | None = Field(None, description="Walk-ins: one open ticket per person and service.")
    phone: Mobile | None = Field(None, description="Walk-ins: to be asked in and called by text message.")


class MaterialRefOut(Schema):
    id: int
    name: str


class TicketOut(Schema):
    id: int
    number: str
    service: str
    state: str
    kind: str
    green_channel: str
    counter: int | None = Field(description="The window's number.")
    counter_id: int | None
    calls: int
    seat: str
    inside: bool
    issued_at: dt.datetime
    called_at: dt.datetime | None
    serving_at: dt.datetime | None
    completed_at: dt.datetime | None
    outcome: str
    missing: list[MaterialRefOut]
    missing_note: str
    note: str
    transferred_from: int | None


class CalledOut(Schema):
    ticket: TicketOut


class CounterOut(Schema):
    id: int
    number: int
    state: str
    staffed_by: str | None = Field(description="The username of the staff member working there.")


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


class WaitingOut(Schema):
    service: str
    name: str
    prefix: str
    waiting: int
    outside: int = Field(description="Of those waiting, how many wait outside the hall.")
    parked: int = Field(description="Tickets fetching papers, to be called back.")


class QueueCounterOut(CounterOut):
    services: list[str]
    ticket: TicketOut | None = Field(description="The ticket called to or served at this counter now.")


class QueueOut(Schema):
    hall: str
    date: dt.date
    services: list[WaitingOut]
    counters: list[QueueCounterOut]


def _actor(request) -> Actor:
    return Actor("api", user=request.auth.user)


def _language() -> str:
    return "en" if translation.get_language().startswith("en") else "zh-hans"


def _local(hall: Hall, instant: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(instant, hall.tz) if instant else None


def ticket_out(ticket: Ticket, hall: Hall | None = None) -> dict:
    hall = hall or ticket.hall  # the caller's hall, when the ticket came back from a service without it
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "service": ticket.service.code,
        "state": ticket.state,
        "kind": ticket.kind,
        "green_channel": ticket.green_channel,
        "counter": ticket.counter.number if ticket.counter_id else None,
        "counter_id": ticket.counter_id,
        "calls": ticket.calls,
        "seat": ticket.seat,
        "inside": ticket.inside,
        "issued_at": _local(hall, ticket.issued_at),
        "called_at": _local(hall, ticket.called_at),
        "serving_at": _local(hall, ticket.serving_at),
        "completed_at": _local(hall, ticket.completed_at),
        "outcome": ticket.outcome,
        "missing": [{"id": m.pk, "name": m.name} for m in ticket.missing.all()]
        if ticket.outcome == Outcome.MATERIALS_MISSING
        else [],
        "missing_note": ticket.missing_note,
        "note": ticket.note,
        "transferred_from": ticket.transferred_from_id,
    }


def _place(ticket: Ticket) -> dict:
    """Where a ticket stands: position (1 = next), people ahead and the estimated wait."""
    now = timezone.now()
    standing = progress.ticket_progress(ticket, now)
    ahead = standing.people_ahead
    return {
        "position": None if ahead is None else ahead + 1,
        "ahead": ahead,
        "estimated_wait_minutes": standing.wait_minutes,
    }


def _newest(ticket: Ticket) -> Ticket:
    """Follow transfers: the citizen's link keeps working after they are sent to another queue."""
    for _hop in range(MAX_TRANSFERS):
        newer = (
            ticket.transfers.select_related("hall", "service", "counter").order_by("-id").first()
            if ticket.state == TicketState.TRANSFERRED
            else None
        )
        if newer is None:
            break
        ticket = newer
    return ticket


class PerTicketRateLimit(BaseThrottle):
    """Citizens' phones share the hall's Wi-Fi address, so a per-address limit would stop a hall full of
    ticket pages; each ticket page polls at most every few seconds, so the limit is per ticket token, with
    a wide per-address limit above it (tokens are unguessable: there is nothing to enumerate)."""

    def allow_request(self, request) -> bool:
        token = request.path.rstrip("/").rsplit("/", 1)[-1][:64]
        return not limits.hit_rate_limit("api-ticket", token, 300, 600)


TICKET_READS = [PerTicketRateLimit(), PerIpRateLimit("ticket-ip", limit=20_000, seconds=600)]


@router.get(
    "/tickets/{token}", response={200: PublicTicketOut, 404: ErrorOut, 429: ErrorOut}, throttle=TICKET_READS
)
def get_ticket(request, token: str):
    """A citizen's ticket by the token printed in its QR code, after any transfers; no personal data."""
    if len(token) > Ticket._meta.get_field("token").max_length:
        raise ApiError(404, "not_found", PUBLIC_TICKET_NOT_FOUND)
    try:
        ticket = _newest(access.get_ticket_by_token(token))
    except Http404:
        raise ApiError(404, "not_found", PUBLIC_TICKET_NOT_FOUND) from None
    return {
        "number": ticket.number,
        "service": ticket.service.code,
        "service_name": ticket.service.name,
        "state": ticket.state,
        **_place(ticket),
        "counter": ticket.counter.number if ticket.counter_id else None,
        "seat": ticket.seat,
        "inside": ticket.inside,
    }


def _issue_refusal(exc: QueueError) -> ApiError:
    field = ISSUE_ERROR_FIELDS.get(exc.code)
    status = QUEUE_ERROR_STATUS.get(exc.code, 409)
    return ApiError(status, exc.code, exc.message, {field: exc.message} if field else {})


def _walk_in_service(hall: Hall, code: str):
    service = hall.services.active().filter(code=code).first()
    if service is None:
        raise ApiError(404, "not_found", SERVICE_NOT_FOUND, {"service": SERVICE_NOT_FOUND})
    return service


def _check_ticket_request(principal: Principal, data: TicketIn) -> None:
    if bool(data.booking_code) == bool(data.service):
        raise ApiError(422, "invalid", BOOKING_OR_SERVICE, {"service": BOOKING_OR_SERVICE})
    if data.green_channel and data.booking_code:
        fields = {"green_channel": GREEN_CHANNEL_WALK_IN_ONLY}
        raise ApiError(422, "invalid", GREEN_CHANNEL_WALK_IN_ONLY, fields)
    if data.green_channel and not principal.is_hall_staff:
        raise ApiError(
            403, "forbidden", GREEN_CHANNEL_STAFF_ONLY, {"green_channel": GREEN_CHANNEL_STAFF_ONLY}
        )


@router.post(
    "/halls/{hall}/tickets",
    response={200: IssuedTicketOut, 201: IssuedTicketOut, **STAFF_ERRORS},
    auth=DEVICE_AUTH,
    tags=["kiosk"],
)
def issue_ticket(request, hall: str, data: TicketIn):
    """Check a booking in, or issue a walk-in ticket (kiosk or 导办). Checking a booking in again answers
    200 with the same ticket, to reprint it."""
    principal = request.auth
    hall_obj = get_hall_for_staff(principal, hall)
    _check_ticket_request(principal, data)
    now = timezone.now()
    try:
        if data.booking_code:
            ticket = services.check_in(hall=hall_obj, code=data.booking_code, actor=_actor(request), now=now)
        else:
            ticket = services.issue_walk_in(
                hall=hall_obj,
                service=_walk_in_service(hall_obj, data.service),
                actor=_actor(request),
                now=now,
                green_channel=data.green_channel or "",
                id_number=data.id_number or "",
                phone=PhoneNumber.from_string(data.phone) if data.phone else None,
                language=_language(),
            )
    except QueueError as refusal:
        raise _issue_refusal(refusal) from None
    body = {
        "id": ticket.pk,
        "token": ticket.token,
        "number": ticket.number,
        "service": ticket.service.code,
        "seat": ticket.seat,
        "inside": ticket.inside,
        **_place(ticket),
    }
    return Status(201 if ticket.issued_at == now else 200, body)


def _counter(principal: Principal, counter_id: int) -> Counter:
    try:
        return access.get_counter_for_staff(principal.user, counter_id)
    except Http404:
        raise ApiError(404, "not_found", COUNTER_NOT_FOUND) from None


def _ticket(principal: Principal, ticket_id: int) -> Ticket:
    """A ticket of the caller's own hall; another hall's ticket is not found."""
    staff_hall_id = getattr(getattr(principal.user, "staff", None), "hall_id", None)
    ticket = (
        Ticket.objects.select_related("hall", "service", "counter__session")
        .filter(pk=ticket_id, hall_id=staff_hall_id)
        .first()
    )
    if ticket is None:
        raise ApiError(404, "not_found", TICKET_NOT_FOUND)
    return ticket


def _require_at_its_counter(ticket: Ticket, principal: Principal) -> None:
    """A ticket at a counter is handled only by who works there, as in the console."""
    if ticket.counter_id and ticket.state in AT_COUNTER_STATES:
        access.require_working_at(ticket.counter, principal.user)


def _audit(request, action: AuditAction, counter: Counter) -> None:
    ip = audit.client_ip(request)
    audit.record(action=action, hall=counter.hall, actor=request.auth.user, obj=counter, ip=ip)


def counter_out(counter: Counter, session: CounterSession | None) -> dict:
    return {
        "id": counter.pk,
        "number": counter.number,
        "state": session.state if session else CounterState.CLOSED,
        "staffed_by": session.user.get_username() if session and session.user_id else None,
    }


@router.post(
    "/counters/{counter_id}/open",
    response={200: CounterOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def open_counter(request, counter_id: PathId):
    """Open a window and work at it (a user works at one window at a time)."""
    counter = _counter(request.auth, counter_id)
    session = calls.open_counter(counter=counter, actor=_actor(request))
    _audit(request, AuditAction.COUNTER_OPENED, counter)
    return counter_out(counter, session)


def _set_state(request, counter_id: int, state: str) -> dict:
    counter = _counter(request.auth, counter_id)
    access.require_working_at(counter, request.auth.user)
    session = calls.set_counter_state(counter=counter, actor=_actor(request), state=state)
    _audit(request, audit.COUNTER_STATE_ACTIONS[state], counter)
    return counter_out(counter, session)


@router.post(
    "/counters/{counter_id}/close",
    response={200: CounterOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def close_counter(request, counter_id: PathId):
    """Close the window (refused while a ticket is at it); another user may then open it."""
    return _set_state(request, counter_id, CounterState.CLOSED)


@router.post(
    "/counters/{counter_id}/pause",
    response={200: CounterOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def pause_counter(request, counter_id: PathId):
    """Nobody is called to the window until it resumes."""
    return _set_state(request, counter_id, CounterState.PAUSED)


@router.post(
    "/counters/{counter_id}/resume",
    response={200: CounterOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def resume_counter(request, counter_id: PathId):
    return _set_state(request, counter_id, CounterState.OPEN)


@router.post(
    "/counters/{counter_id}/call-next",
    response={200: CalledOut, 204: None, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def call_next(request, counter_id: PathId):
    """Call the next ticket in queue order; 204 when nobody waits for this window's services. Counters
    calling at the same time never get the same ticket."""
    counter = _counter(request.auth, counter_id)
    access.require_working_at(counter, request.auth.user)
    ticket = calls.call_next(counter=counter, actor=_actor(request))
    if ticket is None:
        return Status(204, None)
    return {"ticket": ticket_out(ticket)}


def _ticket_action(request, ticket_id: int, action) -> dict:
    ticket = _ticket(request.auth, ticket_id)
    _require_at_its_counter(ticket, request.auth)
    return ticket_out(action(ticket=ticket, actor=_actor(request)), ticket.hall)


@router.post(
    "/tickets/{ticket_id}/recall",
    response={200: TicketOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def recall_ticket(request, ticket_id: PathId):
    """Call again; after the hall's limit of unanswered calls the ticket becomes a no-show."""
    return _ticket_action(request, ticket_id, calls.recall)


@router.post(
    "/tickets/{ticket_id}/no-show",
    response={200: TicketOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def no_show(request, ticket_id: PathId):
    return _ticket_action(request, ticket_id, calls.mark_no_show)


@router.post(
    "/tickets/{ticket_id}/start", response={200: TicketOut, **STAFF_ERRORS}, auth=STAFF_AUTH, tags=["counter"]
)
def start_serving(request, ticket_id: PathId):
    """The citizen has come to the window: service begins."""
    return _ticket_action(request, ticket_id, calls.start_serving)


@router.post(
    "/tickets/{ticket_id}/park", response={200: TicketOut, **STAFF_ERRORS}, auth=STAFF_AUTH, tags=["counter"]
)
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
    return _counter(principal, session.counter_id)


@router.post(
    "/tickets/{ticket_id}/call-back",
    response={200: TicketOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def call_back(request, ticket_id: PathId, data: CallBackIn):
    """Call a parked ticket (or a chosen waiting one) to `counter`, by default the caller's open window."""
    principal = request.auth
    ticket = _ticket(principal, ticket_id)
    counter = _counter(principal, data.counter) if data.counter else _open_counter_of(principal)
    access.require_working_at(counter, principal.user)
    called = calls.call_ticket(counter=counter, ticket=ticket, actor=_actor(request))
    return ticket_out(called, ticket.hall)


def _transfer_target(principal: Principal, hall: Hall, data: TransferIn) -> dict:
    target = {}
    if data.service:
        target["service"] = _walk_in_service(hall, data.service)
    if data.counter:
        try:
            target["counter"] = _counter(principal, data.counter)
        except ApiError as error:
            raise ApiError(404, "not_found", COUNTER_NOT_FOUND, {"counter": COUNTER_NOT_FOUND}) from error
    return target


@router.post(
    "/tickets/{ticket_id}/transfer",
    response={200: TicketOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def transfer_ticket(request, ticket_id: PathId, data: TransferIn):
    """End this ticket and queue a new one (answered) at the head of another service's queue, or for
    one window; the citizen's link follows it."""
    principal = request.auth
    ticket = _ticket(principal, ticket_id)
    _require_at_its_counter(ticket, principal)
    target = _transfer_target(principal, ticket.hall, data)
    new = calls.transfer(ticket=ticket, actor=_actor(request), note=data.note, **target)
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


@router.post(
    "/tickets/{ticket_id}/complete",
    response={200: TicketOut, **STAFF_ERRORS},
    auth=STAFF_AUTH,
    tags=["counter"],
)
def complete_ticket(request, ticket_id: PathId, data: CompleteIn):
    """Finish with an outcome; with materials missing, everything missing is told at once (一次性告知)."""
    principal = request.auth
    ticket = _ticket(principal, ticket_id)
    _require_at_its_counter(ticket, principal)
    missing = _missing_materials(ticket, data)
    done = calls.complete(
        ticket=ticket,
        actor=_actor(request),
        outcome=data.outcome,
        missing=missing,
        missing_note=data.missing_note,
        note=data.note,
    )
    return ticket_out(done, ticket.hall)


@router.get(
    "/halls/{hall}/queue", response={200: QueueOut, **AUTH_ERRORS}, auth=DEVICE_AUTH, tags=["counter"]
)
def hall_queue(request, hall: str):
    """Today's queue of the caller's hall: waiting and parked tickets per service, and each window with
    the ticket at it now."""
    hall_obj = get_hall_for_staff(request.auth, hall)
    today = hall_obj.local_date(timezone.now())
    tickets = Ticket.objects.today(hall_obj, today)
    counts = {
        row["service_id"]: row
        for row in tickets.filter(state__in=[TicketState.WAITING, TicketState.PARKED])
        .values("service_id")
        .annotate(
            waiting=Count("id", filter=Q(state=TicketState.WAITING)),
            outside=Count("id", filter=Q(state=TicketState.WAITING, inside=False)),
            parked=Count("id", filter=Q(state=TicketState.PARKED)),
        )
        .order_by()
    }
    at_counters = {
        t.counter_id: t
        for t in tickets.filter(state__in=AT_COUNTER_STATES).select_related("hall", "service", "counter")
    }
    counters = (
        Counter.objects.active()
        .filter(hall=hall_obj)
        .select_related("session__user")
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("position", "id")))
    )
    empty = {"waiting": 0, "outside": 0, "parked": 0}
    return {
        "hall": hall_obj.slug,
        "date": today,
        "services": [
            {
                "service": s.code,
                "name": s.name,
                "prefix": s.prefix,
                **{key: counts.get(s.pk, empty)[key] for key in empty},
            }
            for s in hall_obj.services.active()
        ],
        "counters": [
            {
                **counter_out(c, access.counter_session(c)),
                "services": [s.code for s in c.services.all()],  # in the counter's order of preference
                "ticket": ticket_out(at_counters[c.pk]) if c.pk in at_counters else None,
            }
            for c in counters
        ],
    }
