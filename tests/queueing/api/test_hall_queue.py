"""The hall's queue: GET /api/v1/halls/{hall}/queue."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hall.models import ApiToken, TokenScope
from queueing import calls
from queueing.services import (
    Actor,
)
from tests.makers import make_counter, make_staff
from tests.queueing.api.helpers import UNAUTHORIZED, call, called, counter_json, ticket_json, walk_in

pytestmark = pytest.mark.django_db


# The hall's queue


def test_hall_queue_shows_waiting_per_service_and_counters(
    client, hall, service, other_service, opened, clerk, key
):
    make_counter(hall, 2, [other_service])
    walk_in(hall, service)
    walk_in(hall, service)
    walk_in(hall, other_service)
    ticket = called(opened, clerk)

    response = call(client, "get", "/api/v1/halls/north/queue", key)

    counter_2 = hall.counters.get(number=2)
    assert response.status_code == 200
    assert response.json() == {
        "hall": "north",
        "date": timezone.localdate().isoformat(),
        "services": [
            {
                "service": "household-cert",
                "name": "Household certificate",
                "prefix": "B",
                "waiting": 1,
                "outside": 0,
                "parked": 0,
            },
            {
                "service": "id-renewal",
                "name": "ID card renewal",
                "prefix": "A",
                "waiting": 1,
                "outside": 0,
                "parked": 0,
            },
        ],
        "counters": [
            {
                **counter_json(opened, "open"),
                "services": ["id-renewal", "household-cert"],
                "ticket": ticket_json(ticket, state="called"),
            },
            {
                "id": counter_2.pk,
                "number": 2,
                "state": "closed",
                "staffed_by": None,
                "services": ["household-cert"],
                "ticket": None,
            },
        ],
    }


def test_hall_queue_counts_those_outside_and_parked(client, hall, service, opened, clerk, key):
    hall.max_waiting_inside = 1
    hall.save()
    walk_in(hall, service)
    ticket = called(opened, clerk)
    calls.park(ticket=ticket, actor=Actor("console", clerk))
    walk_in(hall, service)
    walk_in(hall, service)

    response = call(client, "get", "/api/v1/halls/north/queue", key)

    by_code = {s["service"]: s for s in response.json()["services"]}
    assert by_code["id-renewal"] == {
        "service": "id-renewal",
        "name": "ID card renewal",
        "prefix": "A",
        "waiting": 2,
        "outside": 1,
        "parked": 1,
    }


@pytest.mark.parametrize("count", [1, 3])
def test_hall_queue_query_count_does_not_grow(client, hall, service, key, clerk, count):
    for number in range(1, count + 1):
        counter = make_counter(hall, number, [service])
        walk_in(hall, service)
        staff = clerk if number == 1 else make_staff(hall, f"clerk{number}")
        calls.open_counter(counter=counter, actor=Actor("console", staff))
        calls.call_next(counter=counter, actor=Actor("console", staff))
    call(client, "get", "/api/v1/halls/north/queue", key)  # records the token's use: later calls do not write

    with CaptureQueriesContext(connection) as queries:
        response = call(client, "get", "/api/v1/halls/north/queue", key)

    assert len(response.json()["counters"]) == count
    assert len(queries) == 6  # token, counts, tickets at counters, counters, their services, services


def test_hall_queue_of_another_hall_is_404_and_without_token_401(client, hall, other_hall_key):
    other = call(client, "get", "/api/v1/halls/north/queue", other_hall_key)
    anonymous = call(client, "get", "/api/v1/halls/north/queue")

    assert (other.status_code, other.json()["error"]) == (404, "not_found")
    assert (anonymous.status_code, anonymous.json()) == (401, UNAUTHORIZED)


def test_hall_queue_names_staff_to_staff_only(client, hall, service, opened, clerk, key):
    """A kiosk or display reads the queue with a device token: each window's state, not who staffs it."""
    device_key = ApiToken.objects.issue(user=clerk, hall=hall, name="kiosk 1", scope=TokenScope.DEVICE)[1]

    as_device = call(client, "get", "/api/v1/halls/north/queue", device_key)
    as_counter = call(client, "get", "/api/v1/halls/north/queue", key)

    assert [(c["state"], c["staffed_by"]) for c in as_device.json()["counters"]] == [("open", None)]
    assert [(c["state"], c["staffed_by"]) for c in as_counter.json()["counters"]] == [("open", "clerk")]
