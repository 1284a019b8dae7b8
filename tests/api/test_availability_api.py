import datetime as dt

import pytest

from appointments import availability
from appointments.api import availability as availability_api
from appointments.models import CapacityOverride, Slot
from hall import api
from hall.models import Closure, ExtraSession
from tests.api.helpers import get, in_language, local_iso
from tests.makers import make_service

pytestmark = pytest.mark.django_db


def test_availability_lists_slots_with_places_left(client, service, day):
    response = get(client, "/api/v1/halls/north/availability", service="id-renewal", date=day.isoformat())

    body = response.json()
    first = Slot.objects.on(service, day).first()
    assert response.status_code == 200
    assert {k: v for k, v in body.items() if k != "slots"} == {
        "date": day.isoformat(),
        "open": True,
        "bookable": True,
        "reason": "预约服务",
    }
    assert len(body["slots"]) == 16  # 09:00 to 16:50, the last window ends a handling time before closing
    assert body["slots"][0] == {
        "id": first.pk,
        "start": local_iso(day, 9),
        "end": local_iso(day, 9, 30),
        "capacity": 1,
        "remaining": 1,
    }
    assert body["slots"][-1]["end"] == local_iso(day, 16, 50)


def test_availability_counts_taken_places(client, service, day):
    CapacityOverride.objects.create(service=service, date=day, capacity=3)
    first = availability.sync_slots(service=service, date=day)[0]
    Slot.objects.filter(pk=first.pk).update(taken=2)

    body = get(client, "/api/v1/halls/north/availability", service="id-renewal", date=day.isoformat()).json()

    assert (body["slots"][0]["capacity"], body["slots"][0]["remaining"]) == (3, 1)


def test_availability_of_closed_date_says_why(client, service, day):
    closed = day + dt.timedelta(days=1)
    Closure.objects.create(
        hall=service.hall, date=closed, reason_zh_hans="系统维护", reason_en="Network maintenance"
    )

    response = get(
        client,
        "/api/v1/halls/north/availability",
        language="en",
        service="id-renewal",
        date=closed.isoformat(),
    )

    assert response.json() == {
        "date": closed.isoformat(),
        "open": False,
        "bookable": False,
        "reason": "Network maintenance",
        "slots": [],
    }


def test_availability_beyond_the_horizon_is_open_but_not_bookable(client, service, day):
    far = day + dt.timedelta(days=30)
    ExtraSession.objects.create(hall=service.hall, date=far, start=dt.time(9), end=dt.time(12), reason="x")

    response = get(
        client, "/api/v1/halls/north/availability", language="en", service="id-renewal", date=far.isoformat()
    )

    assert response.json() == {
        "date": far.isoformat(),
        "open": True,
        "bookable": False,
        "reason": "You can book at most 7 days ahead.",
        "slots": [],
    }


@pytest.mark.parametrize(
    "date", ["2026-13-01", "2026-02-30", "tomorrow", "20261124", "2026-W48-3", "1700000000", "x" * 5000]
)
def test_availability_with_invalid_date_is_422(client, service, date):
    response = get(client, "/api/v1/halls/north/availability", language="en", service="id-renewal", date=date)

    message = "Enter a real date as YYYY-MM-DD, for example 2026-11-24."
    assert response.status_code == 422
    assert response.json() == {"error": "invalid", "message": message, "fields": {"date": message}}


def test_availability_without_parameters_names_each_missing_field_in_chinese(client, service):
    response = get(client, "/api/v1/halls/north/availability")

    assert response.status_code == 422
    assert response.json() == {
        "error": "invalid",
        "message": in_language("zh-hans", api.INVALID % {"fields": "service, date"}),
        "fields": {"service": "这个字段是必填项。", "date": "这个字段是必填项。"},
    }


def test_availability_without_parameters_in_english(client, service):
    response = get(client, "/api/v1/halls/north/availability", language="en")

    assert response.json() == {
        "error": "invalid",
        "message": "Some of the information sent is not valid: service, date.",
        "fields": {"service": "This field is required.", "date": "This field is required."},
    }


def test_availability_of_unknown_service_is_404(client, service, day):
    response = get(
        client, "/api/v1/halls/north/availability", language="en", service="nope", date=day.isoformat()
    )

    message = "This hall has no service with this code."
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": message, "fields": {"service": message}}


def test_availability_of_service_not_bookable_online_is_400(client, hall, day):
    make_service(hall, code="move-in", prefix="M", bookable=False)

    response = get(client, "/api/v1/halls/north/availability", service="move-in", date=day.isoformat())

    message = in_language("zh-hans", availability_api.SERVICE_NOT_BOOKABLE)
    assert response.status_code == 400
    assert response.json() == {"error": "not_bookable", "message": message, "fields": {"service": message}}


def test_availability_of_unknown_hall_is_404(client, service, day):
    response = get(client, "/api/v1/halls/south/availability", service="id-renewal", date=day.isoformat())

    assert (response.status_code, response.json()["error"]) == (404, "not_found")
