"""What the queue API's routes share: tickets and windows as the API shows them, its input types, and the
input types. A refused change (QueueError) is answered by hall/api_v1.py's one handler of DomainError."""

import datetime as dt
from typing import Annotated

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Path, Router, Schema
from pydantic import StringConstraints

from hall.api import AUTH_ERRORS, MAX_ID, STAFF_AUTH, ErrorOut, api
from hall.models import Counter, Hall
from queueing.models import CounterSession, CounterState, Outcome, Ticket
from queueing.services import Actor

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
STAFF_ERRORS = {**AUTH_ERRORS, 409: ErrorOut}


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


class CounterOut(Schema):
    id: int
    number: int
    state: str
    staffed_by: str | None = Field(
        description="The username of the staff member working there; null to a device token (kiosk, display)."
    )


def counter_route(router: Router, path: str, responses: dict, auth: list = STAFF_AUTH):
    """A POST of staff at a window (tag "counter"). Its operationId stays `queueing_api_<view>`, as when the
    queue's API was one module: clients generated from the schema keep their method names."""

    def register(view):
        return router.post(
            path,
            response={**STAFF_ERRORS, **responses},
            auth=auth,
            tags=["counter"],
            operation_id=f"queueing_api_{view.__name__}",
        )(view)

    return register


def built(request, body: dict) -> HttpResponse:
    """The 200 answer of an operation whose view built `body` in its documented schema's shape and types
    (ticket_out, counter_out), rendered as ninja renders the answer it validates, without validating and
    dumping it again (on call-next and complete a tenth of the web's CPU: issue 20). The schema documented
    stays the operation's; tests/queueing/api/test_schema.py checks that such a body renders as the validated
    one does."""
    return api.create_response(request, body, status=200)


def actor(request) -> Actor:
    return Actor("api", user=request.auth.user)


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


def counter_out(counter: Counter, session: CounterSession | None, *, names: bool = True) -> dict:
    """A window's state; `names`: whether the caller may see who staffs it (not a device token)."""
    return {
        "id": counter.pk,
        "number": counter.number,
        "state": session.state if session else CounterState.CLOSED,
        "staffed_by": session.user.get_username() if names and session and session.user_id else None,
    }
