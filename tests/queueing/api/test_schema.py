"""The queue's part of the OpenAPI schema, and bad input answered in the error format."""

import pytest

from hall.api_v1 import api
from tests.queueing.api.helpers import call

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


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")

    assert "/api/v1/tickets/{ticket_id}/complete" in response.json()["paths"]


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
