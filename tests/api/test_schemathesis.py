"""Schemathesis over /api/v1/openapi.json: requests generated from the schema for every operation, valid and
invalid, sent in-process over WSGI with a real supervisor's token of the scope the operation states, against
real data so that path parameters and bodies also name existing halls, services, slots, bookings, counters
and tickets. Every answer must be documented: no 5xx, a status code and a body that the schema declares for
the operation.

Derandomized and bounded (SCHEMATHESIS_EXAMPLES per operation), so that it runs in about a minute;
SCHEMATHESIS_EXAMPLES=300 runs a longer search.
"""

import datetime as dt
import json
import os

import phonenumbers
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from appointments import availability
from appointments import services as booking_services
from appointments.models import Booking
from hall.api_v1 import api
from hall.models import ApiToken, ExtraSession
from queueing import calls, invariants, walkins
from queueing import services as queue_services
from tests.makers import make_counter, make_hall, make_id_number, make_reports_key, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_data(db, settings):
    settings.RATE_LIMITS = False
    settings.BOOKING_SMS_CODE = False
    now = timezone.now()
    hall = make_hall_open_today()
    day = timezone.localdate() + dt.timedelta(days=2)
    ExtraSession.objects.create(
        hall=hall,
        date=day,
        start=dt.time(9),
        end=dt.time(17),
        reason_zh_hans="预约服务",
        reason_en="By appointment",
    )
    service = make_service(hall)
    other = make_service(hall, code="hukou-proof", prefix="B", name_zh_hans="户籍证明", name_en="Proof")
    counter = make_counter(hall, 1, [service, other])
    supervisor = make_staff(hall, "boss", role="supervisor")
    west = make_hall("west", name_zh_hans="西区户政大厅", name_en="West Hall")
    west_counter = make_counter(west, 1, [make_service(west)])
    slots = availability.day_availability(service=service, date=day, now=now).slots
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse("13900000001", "CN"), id_number=make_id_number(1)
    )
    booking = booking_services.book(
        slot=slots[0], citizen=citizen, actor=booking_services.Actor("web"), now=now
    )
    kiosk = queue_services.Actor("kiosk")
    tickets = [
        walkins.issue_walk_in(hall=hall, service=s, actor=kiosk).ticket for s in (service, service, other)
    ]
    calls.open_counter(counter=counter, actor=queue_services.Actor("api", user=supervisor))
    _token, key = ApiToken.objects.issue(user=supervisor, hall=hall, name="fuzz")
    return {
        "key": key,
        "reports_key": make_reports_key(supervisor, hall, name="fuzz reports"),
        "path": {
            "hall": [hall.slug, west.slug],
            "code": [booking.code],
            "token": [t.token for t in tickets],
            "counter_id": [counter.pk, west_counter.pk],
            "ticket_id": [t.pk for t in tickets],
        },
        "values": {
            "hall": [hall.slug],
            "service": [service.code, other.code],
            "date": [day.isoformat(), timezone.localdate().isoformat()],
            "from": [timezone.localdate().isoformat()],
            "to": [day.isoformat()],
            "slot": [s.pk for s in slots[:3]],
            "phone": ["13900000001", "13800138000"],
            "manage_token": [booking.manage_token],
            "booking_code": [booking.code],
            "id_number": [make_id_number(2), make_id_number(3)],
            "name": ["张三丰"],
            "counter": [counter.pk],
        },
    }


@pytest.fixture
def api_schema(api_data):
    # Like Django's test client: the test's transaction must survive each request's end.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    path_values, values = api_data["path"], api_data["values"]

    def _mixed(generated, known: dict):
        # Each value: the generated one, or one that names real data.
        if not isinstance(generated, dict):
            return st.just(generated)
        return st.fixed_dictionaries(
            {k: st.sampled_from([v, *known.get(k, [])]) for k, v in generated.items()}
        )

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        return _mixed(path_parameters, path_values)

    @schema.hook
    def flatmap_query(context, query):
        return _mixed(query, values)

    @schema.hook
    def flatmap_body(context, body):
        return _mixed(body, values)

    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# schemathesis.pytest.from_fixture() needs a pytest before 9 (it sets request.node._nodeid); one test per
# operation, named from the schema itself, reports each operation on its own anyway.
SCHEMA_PATHS = api.get_openapi_schema()["paths"]
OPERATIONS = [(method.upper(), path) for path, ops in SCHEMA_PATHS.items() for method in ops]


def _key_for(api_data, method: str, path: str) -> str:
    """The supervisor's counter token, or their reports token where the schema asks for that scope."""
    security = SCHEMA_PATHS[path][method.lower()].get("security", [])
    scopes = {scope for requirement in security for scopes in requirement.values() for scope in scopes}
    return api_data["reports_key"] if scopes == {"reports"} else api_data["key"]


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_as_documented(api_schema, api_data, method, path):
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, hooks=api_schema.hooks),
        operation.as_strategy(GenerationMode.NEGATIVE, hooks=api_schema.hooks),
    )
    headers = {"Authorization": f"Bearer {_key_for(api_data, method, path)}", "Accept-Language": "zh-hans"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)
        findings = invariants.check_all()
        assert not findings, "broken invariants:\n" + "\n".join(map(str, findings))

    call()


# -- answers outside the operations are in the error format too ----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/halls/north/nothing/", "/api/v1/"])
def test_unknown_api_address_answers_404_in_the_error_format(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"error": "not_found", "message": "未找到，请检查地址。", "fields": {}}


@pytest.mark.django_db
def test_unknown_api_address_answers_404_to_a_post_without_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/v1/no-such-thing", "{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert (response.status_code, response.json()) == (
        404,
        {"error": "not_found", "message": "Not found. Please check the address.", "fields": {}},
    )


@pytest.mark.django_db
def test_unknown_hall_event_stream_answers_404_in_the_error_format(client, settings):
    settings.DEBUG = False

    response = client.get("/api/v1/halls/nowhere/board", HTTP_ACCEPT_LANGUAGE="en")

    assert (response.status_code, response.json()) == (
        404,
        {"error": "not_found", "message": "Not found. Please check the address.", "fields": {}},
    )


@pytest.mark.django_db
def test_method_not_allowed_answers_405_in_the_error_format(client):
    response = client.delete("/api/v1/halls", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == {
        "error": "method_not_allowed",
        "message": "This address does not accept DELETE. It accepts: GET.",
        "fields": {},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("feed", ["board", "events"])
def test_live_feeds_answer_a_wrong_method_in_the_error_format(client, feed):
    make_hall()

    response = client.post(f"/api/v1/halls/north/{feed}", HTTP_ACCEPT_LANGUAGE="en")

    assert (response.status_code, response["Allow"]) == (405, "GET")
    assert response.json() == {
        "error": "method_not_allowed",
        "message": "This address does not accept POST. It accepts: GET.",
        "fields": {},
    }


@pytest.mark.django_db
def test_method_not_allowed_is_in_chinese_by_default(client):
    response = client.put("/api/v1/bookings", "{}", content_type="application/json")

    assert response.status_code == 405
    assert json.loads(response.content) == {
        "error": "method_not_allowed",
        "message": "此网址不接受 PUT 请求，只接受：POST。",
        "fields": {},
    }


@pytest.mark.django_db
def test_every_operation_documents_the_bad_request_answer(client):
    """?x=%00 is refused with 400 before any operation runs, so every operation declares it."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    undocumented = [
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "400" not in op["responses"]
    ]

    assert undocumented == []
    assert paths["/api/v1/halls"]["get"]["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


@pytest.mark.django_db
def test_every_operation_documents_the_busy_answer_with_retry_after(client):
    """Admission control (a rush) and an unreachable store answer 503 with Retry-After before or instead of
    any operation: a client generated from the schema must know that it may send the request again."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    answers = [op["responses"].get("503", {}) for ops in paths.values() for op in ops.values()]

    assert answers and all("Retry-After" in answer.get("headers", {}) for answer in answers)
    assert all(
        a["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
        for a in answers
    )


@pytest.mark.django_db
def test_site_pages_still_answer_the_html_404(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "找不到这个页面" in response.content.decode()


# -- inputs that found bugs ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_booking_through_a_connection_without_an_address_is_recorded_without_one(api_data, client):
    """A request without REMOTE_ADDR (a unix socket) booked into a 500: 'unknown' is not an IP address."""
    slot = api_data["values"]["slot"][1]
    body = {"hall": "north", "service": "id-renewal", "slot": slot, "name": "张三丰", "phone": "13800138000"}
    body["id_number"] = make_id_number(5)

    response = client.post("/api/v1/bookings", body, content_type="application/json", REMOTE_ADDR="")

    assert response.status_code == 201
    booking = Booking.objects.get(code=response.json()["code"])
    assert list(booking.events.values_list("to_state", "ip")) == [("booked", None)]


@pytest.mark.django_db
def test_booking_lookup_with_a_non_ascii_manage_token_is_not_found(api_data, client):
    """manage_token=é made secrets.compare_digest raise TypeError: a 500 instead of 'not found'."""
    code = api_data["values"]["booking_code"][0]

    response = client.get(f"/api/v1/bookings/{code}", {"manage_token": "é"}, HTTP_ACCEPT_LANGUAGE="en")

    assert (response.status_code, response.json()["error"]) == (404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value, name",
    [
        ("hall", "no\x00rth", "hall"),
        ("service", "id\x00", "service"),
        ("green_channel", {"note": "\x00"}, "green_channel.note"),
    ],
)
def test_nul_character_in_a_json_body_is_refused_with_the_field(client, field, value, name):
    """hall="no\\x00rth" made PostgreSQL refuse the hall lookup: a 500."""
    body = {"hall": "north", "service": "id-renewal", "slot": 1, "name": "张三", "phone": "13800138000"}
    body[field] = value

    response = client.post(
        "/api/v1/bookings", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )

    message = "Remove the invisible NUL character from this text."
    assert (response.status_code, response.json()) == (
        422,
        {"error": "invalid", "message": message, "fields": {name: message}},
    )
