"""The citizen's ticket page (read by its token, following transfers) and the kiosk's tickets: a booking's
check-in or a walk-in ticket."""

import threading

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status
from ninja.throttling import BaseThrottle
from phonenumber_field.phonenumber import PhoneNumber

from appointments import limits
from appointments.api.availability import active_service
from appointments.api.bookings import request_language
from appointments.api.throttles import PerIpRateLimit
from appointments.models import GreenChannel
from hall import devices
from hall.api import DEVICE_AUTH, ApiError, ErrorOut, IdNumber, Mobile, Principal, get_hall_for_staff
from hall.models import TokenScope
from queueing import access, progress, services, walkins
from queueing.api.schemas import STAFF_ERRORS, Code, actor
from queueing.models import Ticket, TicketState
from queueing.services import QueueError

PUBLIC_TICKET_NOT_FOUND = _("There is no ticket with this code. Please check the link on your ticket.")
BOOKING_OR_SERVICE = _("Send either a booking code or a service, not both.")
GREEN_CHANNEL_STAFF_ONLY = _("Only staff of the hall may give a ticket the green channel.")
GREEN_CHANNEL_WALK_IN_ONLY = _("A booking keeps its own green channel; send it only with a service.")

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

router = Router(tags=["queue"])


RANGE = "The estimate's range in minutes (low, high) when it is uncertain; both null otherwise."


class PublicTicketOut(Schema):
    number: str
    service: str
    service_name: str
    state: str
    position: int | None = Field(description="1 when the ticket is next; null once it is no longer waiting.")
    ahead: int | None = Field(description="People of the same service called before this ticket.")
    estimated_wait_minutes: int | None
    estimated_wait_low: int | None = Field(None, description=RANGE)
    estimated_wait_high: int | None = Field(None, description=RANGE)
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
    estimated_wait_low: int | None = Field(None, description=RANGE)
    estimated_wait_high: int | None = Field(None, description=RANGE)


class TicketIn(Schema):
    """A booking's check-in (`booking_code`) or a walk-in ticket (`service`)."""

    booking_code: Code | None = None
    service: Code | None = None
    green_channel: GreenChannel | None = Field(None, description="Walk-ins only; staff of the hall only.")
    id_number: IdNumber | None = Field(None, description="Walk-ins: one open ticket per person and service.")
    phone: Mobile | None = Field(None, description="Walk-ins: to be asked in and called by text message.")


def _place(ticket: Ticket, issued: walkins.WalkIn | None = None) -> dict:
    """Where a ticket stands: position (1 = next), people ahead and the estimated wait. `issued`: the
    ticket as walkins.issue_walk_in issued it in this request, whose reads of the hall serve
    again."""
    now = timezone.now()
    read, hours = (issued.read, issued.hours) if issued else (None, None)
    standing = progress.ticket_progress(ticket, now, shared=True, read=read, hours=hours)
    ahead, estimate = standing.people_ahead, standing.estimate
    return {
        "position": None if ahead is None else ahead + 1,
        "ahead": ahead,
        "estimated_wait_minutes": standing.wait_minutes,
        "estimated_wait_low": estimate.low if estimate and estimate.is_range else None,
        "estimated_wait_high": estimate.high if estimate and estimate.is_range else None,
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

    def __init__(self):
        self.last = threading.local()  # one throttle serves every request: each thread its own token

    def allow_request(self, request) -> bool:
        self.last.token = request.path.rstrip("/").rsplit("/", 1)[-1][:64]
        return not limits.hit_rate_limit("api-ticket", self.last.token, 300, 600)

    def wait(self) -> int:
        return limits.seconds_left("api-ticket", self.last.token, 600)


TICKET_READS = [PerTicketRateLimit(), PerIpRateLimit("ticket-ip", limit=20_000, seconds=600)]


@router.get(
    "/tickets/{token}",
    response={200: PublicTicketOut, 404: ErrorOut, 429: ErrorOut},
    throttle=TICKET_READS,
    operation_id="queueing_api_get_ticket",
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
    return ApiError(exc.status, exc.code, exc.message, {field: exc.message} if field else {})


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
    response={200: IssuedTicketOut, 201: IssuedTicketOut, **STAFF_ERRORS, 429: ErrorOut},
    auth=DEVICE_AUTH,
    tags=["kiosk"],
    operation_id="queueing_api_issue_ticket",
)
def issue_ticket(request, hall: str, data: TicketIn):
    """Check a booking in, or issue a walk-in ticket (kiosk or 导办). Checking a booking in again answers
    200 with the same ticket, to reprint it."""
    principal = request.auth
    hall_obj = get_hall_for_staff(principal, hall)
    _check_ticket_request(principal, data)
    now = timezone.now()
    token = principal.token
    device = token is not None and token.scope == TokenScope.DEVICE
    if device and not devices.take_token_ticket(token_id=token.pk, hall=hall_obj, now=now):
        raise ApiError(429, "rate_limited", devices.TOO_MANY_TICKETS, retry_after=60 - now.second)
    issued = None
    try:
        if data.booking_code:
            ticket = services.check_in(hall=hall_obj, code=data.booking_code, actor=actor(request), now=now)
        else:
            issued = walkins.issue_walk_in(
                hall=hall_obj,
                service=active_service(hall_obj, data.service),
                actor=actor(request),
                now=now,
                green_channel=data.green_channel or "",
                id_number=data.id_number or "",
                phone=PhoneNumber.from_string(data.phone) if data.phone else None,
                language=request_language(),
            )
            ticket = issued.ticket
    except QueueError as refusal:
        raise _issue_refusal(refusal) from None
    body = {
        "id": ticket.pk,
        "token": ticket.token,
        "number": ticket.number,
        "service": ticket.service.code,
        "seat": ticket.seat,
        "inside": ticket.inside,
        **_place(ticket, issued),
    }
    return Status(201 if ticket.issued_at == now else 200, body)
