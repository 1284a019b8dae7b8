"""Requests and expected answers shared by the queue API tests."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from queueing import calls, walkins
from queueing.models import Ticket
from queueing.services import (
    Actor,
)
from tests.api.helpers import in_language

KIOSK = Actor("kiosk")
UNAUTHORIZED = {
    "error": "unauthorized",
    "message": "Sign in, or send a valid API token as 'Authorization: Bearer <token>'.",
    "fields": {},
}


def call(client, method, url, key=None, body=None, language="en"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    if method == "get":
        return client.get(url, **headers)
    data = body if isinstance(body, str) else json.dumps(body or {})
    return client.post(url, data, content_type="application/json", **headers)


def error(code, message, fields=None, language="en") -> dict:
    text = in_language(language, message)
    return {"error": code, "message": text, "fields": dict.fromkeys(fields or (), text)}


def walk_in(hall, service, **fields) -> Ticket:
    return walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, **fields).ticket


def called(opened, clerk) -> Ticket:
    return calls.call_next(counter=opened, actor=Actor("console", clerk))


def iso(instant) -> str | None:
    """A time as the API writes it: in the hall's time zone, to the millisecond."""
    return DjangoJSONEncoder().default(timezone.localtime(instant)) if instant else None


def ticket_json(ticket: Ticket, **changes) -> dict:
    """The staff view of a ticket as it is in the database now; `changes` are the values the test expects
    to differ from a freshly issued, waiting ticket."""
    ticket.refresh_from_db()
    expected = {
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
        "issued_at": iso(ticket.issued_at),
        "called_at": iso(ticket.called_at),
        "serving_at": iso(ticket.serving_at),
        "completed_at": iso(ticket.completed_at),
        "outcome": ticket.outcome,
        "missing": [{"id": m.pk, "name": m.name} for m in ticket.missing.all()],
        "missing_note": ticket.missing_note,
        "note": ticket.note,
        "transferred_from": ticket.transferred_from_id,
    }
    assert {name: expected[name] for name in changes} == changes
    return expected


def counter_json(counter, state, staffed_by="clerk") -> dict:
    return {"id": counter.pk, "number": 1, "state": state, "staffed_by": staffed_by}
