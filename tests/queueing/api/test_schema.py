"""The queue's part of the OpenAPI schema, and bad input answered in the error format."""

import pytest
from django.utils import translation

from hall.api_v1 import api
from hall.models import Material
from queueing.api.counters import CalledOut
from queueing.api.schemas import TicketOut, ticket_out
from queueing.models import Ticket
from tests.queueing.api.helpers import call, walk_in

pytestmark = pytest.mark.django_db


# Schema and bad input


def test_openapi_schema_lists_the_queue_paths():
    paths = api.get_openapi_schema()["paths"]

    assert {
        "/api/v1/tickets/{token}": ["get"],
        "/api/v1/halls/{hall}/tickets": ["post"],
        "/api/v1/halls/{hall}/queue": ["get"],
        "/api/v1/halls/{hall}/waiting": ["get"],
        **{
            f"/api/v1/counters/{{counter_id}}/{a}": ["post"]
            for a in ("open", "close", "pause", "resume", "call-next")
        },
        **{
            f"/api/v1/tickets/{{ticket_id}}/{a}": ["post"]
            for a in ("recall", "no-show", "start", "park", "call-back", "transfer", "complete")
        },
    }.items() <= {path: list(operations) for path, operations in paths.items()}.items()
    call_next = paths["/api/v1/counters/{counter_id}/call-next"]["post"]
    assert set(call_next["responses"]) >= {200, 204, 401, 404, 409}
    busy = call_next["responses"][409]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ticket = api.get_openapi_schema()["components"]["schemas"][busy]["properties"]["ticket"]
    assert {"$ref": "#/components/schemas/TicketOut"} in ticket["anyOf"]  # call-next's counter_busy names it


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")

    assert "/api/v1/tickets/{ticket_id}/complete" in response.json()["paths"]


def _validated(schema, body: dict) -> bytes:
    """`body` validated against `schema` and dumped, then rendered, as ninja answers a view's dict."""
    return api.renderer.render(None, schema.model_validate(body).model_dump(), response_status=200).encode()


def test_call_next_and_complete_answer_what_validating_against_their_schemas_gives(
    client, hall, service, opened, key
):
    """The two answers are built without ninja's validation (queueing.api.schemas.built): byte for byte what
    validating the same body against the documented schema renders (field order, times, choices)."""
    walk_in(hall, service, phone="13800138000")
    booklet = Material.objects.get(service=service)

    called = call(client, "post", f"/api/v1/counters/{opened.pk}/call-next", key)
    ticket = Ticket.objects.get()
    with translation.override("en"):
        expected_call = _validated(CalledOut, {"ticket": ticket_out(ticket)})
    body = {"outcome": "materials_missing", "missing": [booklet.pk], "missing_note": "近期照片", "note": "n"}
    done = call(client, "post", f"/api/v1/tickets/{ticket.pk}/complete", key, body)
    ticket = Ticket.objects.get()
    with translation.override("en"):
        expected_done = _validated(TicketOut, ticket_out(ticket))

    assert (called.status_code, called.content) == (200, expected_call)
    assert (done.status_code, done.content) == (200, expected_done)
    assert done.json()["missing"] == [{"id": booklet.pk, "name": "Household register booklet"}]
    assert called["Content-Type"] == done["Content-Type"] == "application/json; charset=utf-8"


BAD_REQUESTS = [
    ("get", "/api/v1/tickets/" + "t" * 5000, None),
    ("get", "/api/v1/halls/" + "n" * 5000 + "/queue", None),
    ("post", "/api/v1/halls/north/tickets", {"service": None, "booking_code": []}),
    ("post", "/api/v1/halls/north/tickets", {"service": "s" * 5000}),
    ("post", "/api/v1/halls/north/tickets", {"service": "id-renewal", "green_channel": "vip"}),
    ("post", "/api/v1/halls/north/tickets", {"service": "id-renewal", "id_number": "123"}),
    ("post", "/api/v1/halls/north/tickets", {"service": "id-renewal", "phone": {"a": 1}}),
    ("post", "/api/v1/halls/north/tickets", "[1, 2]"),
    ("post", "/api/v1/halls/north/tickets", '{"service": '),
    ("post", "/api/v1/counters/0/open", None),
    ("post", "/api/v1/counters/-1/call-next", None),
    ("post", "/api/v1/counters/99999999999999999999999/pause", None),
    ("post", "/api/v1/counters/abc/resume", None),
    ("post", "/api/v1/tickets/1e400/recall", None),
    ("post", "/api/v1/tickets/9223372036854775807/start", None),
    ("post", "/api/v1/tickets/1/call-back", {"counter": "window 1"}),
    ("post", "/api/v1/tickets/1/call-back", {"counter": 10**30}),
    ("post", "/api/v1/tickets/1/transfer", {"service": 5, "counter": -3, "note": "n" * 301}),
    ("post", "/api/v1/tickets/1/complete", {"outcome": "maybe"}),
    ("post", "/api/v1/tickets/1/complete", {"outcome": "materials_missing", "missing": "all"}),
    ("post", "/api/v1/tickets/1/complete", {"outcome": "materials_missing", "missing": list(range(1, 200))}),
    ("post", "/api/v1/tickets/1/complete", {"outcome": "materials_missing", "missing": [2**64]}),
]


@pytest.mark.parametrize(("method", "url", "body"), BAD_REQUESTS)
def test_bad_input_is_answered_in_the_error_format_never_500(
    client, hall, service, opened, key, method, url, body
):
    response = call(client, method, url, key, body if body is not None else {})

    assert response.status_code in (400, 404, 409, 422)
    assert set(response.json()) == {"error", "message", "fields"}
