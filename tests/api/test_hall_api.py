import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hall import api
from hall.models import Material
from tests.api.helpers import get, in_language, post
from tests.makers import make_hall, make_service

pytestmark = pytest.mark.django_db


def test_halls_lists_each_hall_in_the_requested_language(client, hall):
    make_hall("west", name_zh_hans="西桥派出所", name_en="Xiqiao Station", address_en="2 Bridge St")

    zh = get(client, "/api/v1/halls")
    en = get(client, "/api/v1/halls", language="en")

    assert (zh.status_code, zh["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert zh.json() == [
        {
            "slug": "north",
            "name": "北区户政大厅",
            "address": "北区人民路1号",
            "timezone": "Asia/Shanghai",
            "consultation_phone": "0000-1234567",
            "supervision_phone": "",
        },
        {
            "slug": "west",
            "name": "西桥派出所",
            "address": "北区人民路1号",
            "timezone": "Asia/Shanghai",
            "consultation_phone": "0000-1234567",
            "supervision_phone": "",
        },
    ]
    assert [(h["name"], h["address"]) for h in en.json()] == [
        ("North District Hall", "1 Renmin Road, North District"),
        ("Xiqiao Station", "2 Bridge St"),
    ]


def test_services_lists_active_services_with_their_guide(client, service):
    make_service(service.hall, code="old", prefix="Z", active=False)
    Material.objects.create(
        service=service,
        name_zh_hans="照片回执",
        name_en="Photo receipt",
        note_en="if you have one",
        required=False,
    )

    response = get(client, "/api/v1/halls/north/services", language="en")

    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "id-renewal",
            "name": "ID card renewal",
            "prefix": "A",
            "summary": "",
            "bookable": True,
            "average_handling_minutes": 10,
            "guide": {
                "materials": [
                    {"name": "Household register booklet", "note": "", "required": True},
                    {"name": "Photo receipt", "note": "if you have one", "required": False},
                ],
                "fees": "20 yuan for the card",
                "time_limit": "60 days",
                "steps": ["Take a ticket", "Have your photo taken", "Pay the fee"],
                "eligibility": "",
                "notes": "",
                "online_url": "",
                "by_post": False,
                "home_visit": False,
                "by_video": False,
                "video_needs": [],
            },
        }
    ]


def test_a_service_done_by_video_says_so_and_what_to_have_at_hand(client, service):
    service.by_video, service.video_needs_en = True, "Your resident ID card\nA postal address"
    service.save()

    guide = get(client, "/api/v1/halls/north/services", language="en").json()[0]["guide"]

    assert (guide["by_video"], guide["video_needs"]) == (True, ["Your resident ID card", "A postal address"])


def test_services_in_chinese_by_default(client, service):
    body = get(client, "/api/v1/halls/north/services", language="").json()

    assert (body[0]["name"], body[0]["guide"]["steps"]) == ("居民身份证换领", ["取号", "采集照片", "缴费"])


@pytest.mark.parametrize("count", [1, 3])
def test_services_query_count_does_not_grow_with_services(client, hall, count):
    for n in range(count):
        make_service(hall, code=f"s{n}", prefix="ABC"[n])

    with CaptureQueriesContext(connection) as queries:
        response = get(client, "/api/v1/halls/north/services")

    assert (response.status_code, len(response.json())) == (200, count)
    assert len(queries) == 3  # hall, services, materials


@pytest.mark.parametrize(
    ("language", "message"), [("zh-hans", api.HALL_NOT_FOUND), ("en", api.HALL_NOT_FOUND)]
)
def test_services_of_unknown_hall_is_404_in_the_error_format(client, hall, language, message):
    response = get(client, "/api/v1/halls/nowhere/services", language=language)

    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": in_language(language, message),
        "fields": {"hall": in_language(language, message)},
    }


def test_unknown_path_under_the_api_is_404(client):
    response = get(client, "/api/v1/halls/north/nothing-here")

    assert response.status_code == 404


def test_public_reads_are_rate_limited_per_address(client, hall, monkeypatch):
    from appointments.api.throttles import READS

    monkeypatch.setattr(READS, "limit", 2)
    statuses = [get(client, "/api/v1/halls", language="en").status_code for _ in range(3)]
    other_address = client.get("/api/v1/halls", REMOTE_ADDR="10.0.0.2")

    response = get(client, "/api/v1/halls", language="en")
    assert statuses == [200, 200, 429]
    assert response.json() == {
        "error": "rate_limited",
        "message": "Too many attempts. Please wait a few minutes and try again.",
        "fields": {},
    }
    assert other_address.status_code == 200


def test_rate_limits_off_lets_everything_through(client, hall, monkeypatch, settings):
    from appointments.api.throttles import READS

    settings.RATE_LIMITS = False
    monkeypatch.setattr(READS, "limit", 1)

    statuses = {get(client, "/api/v1/halls").status_code for _ in range(3)}

    assert statuses == {200}


def test_openapi_schema_lists_the_paths(client):
    response = client.get("/api/v1/openapi.json")

    schema = response.json()
    assert response.status_code == 200
    # The queue's paths are checked in tests/queueing/api/, the supervisor's in tests/reports.
    queue_and_reports = {
        p for p in schema["paths"] if p.startswith(("/api/v1/counters/", "/api/v1/tickets/"))
    }
    queue_and_reports |= {
        f"/api/v1/halls/{{hall}}/{name}" for name in ("queue", "tickets", "waiting", "stats")
    }
    assert sorted(set(schema["paths"]) - queue_and_reports) == [
        "/api/v1/bookings",
        "/api/v1/bookings/{code}",
        "/api/v1/bookings/{code}/cancel",
        "/api/v1/bookings/{code}/lookup",
        "/api/v1/bookings/{code}/reschedule",
        "/api/v1/halls",
        "/api/v1/halls/{hall}/availability",
        "/api/v1/halls/{hall}/bookings",
        "/api/v1/halls/{hall}/services",
        "/api/v1/phone-codes",
    ]
    assert sorted(schema["components"]["securitySchemes"]) == ["StaffSessionAuth", "TokenAuth"]
    assert schema["components"]["schemas"]["ErrorOut"]["required"] == ["error", "message", "fields"]


def test_docs_page_uses_local_assets_only(client):
    response = client.get("/api/v1/docs")

    text = response.content.decode()
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in text
    assert "cdn." not in text


def test_post_without_csrf_token_needs_no_session(hall):
    client = Client(enforce_csrf_checks=True)

    response = post(client, "/api/v1/bookings", {}, language="en")

    # Refused for its content, not for CSRF: anonymous citizens need no token.
    assert (response.status_code, response.json()["error"]) == (422, "invalid")
