"""The citizen's ticket: GET /api/v1/tickets/{token} (public)."""

import pytest

from queueing import calls
from queueing.api import tickets
from queueing.models import Ticket
from queueing.services import (
    Actor,
)
from tests.queueing.api.helpers import call, called, error, walk_in

pytestmark = pytest.mark.django_db


# The citizen's ticket (public)


def test_public_ticket_waiting_shows_position_ahead_and_wait(client, hall, service, opened):
    walk_in(hall, service)
    second = walk_in(hall, service)

    response = call(client, "get", f"/api/v1/tickets/{second.token}")

    assert response.status_code == 200
    assert response.json() == {
        "number": "A002",
        "service": "id-renewal",
        "service_name": "ID card renewal",
        "state": "waiting",
        "position": 2,
        "ahead": 1,
        "estimated_wait_minutes": 9,  # one ticket ahead of 10 +- 5 minutes: most of the 40 plays at 4-14
        "estimated_wait_low": 5,
        "estimated_wait_high": 12,
        "counter": None,
        "seat": second.seat,
        "inside": True,
    }


def test_public_ticket_in_chinese_names_the_service_in_chinese(client, hall, service, opened):
    ticket = walk_in(hall, service)

    response = call(client, "get", f"/api/v1/tickets/{ticket.token}", language="zh-hans")

    assert (response.json()["service_name"], response.json()["position"]) == ("居民身份证换领", 1)


def test_public_ticket_called_shows_the_window(client, hall, service, opened, clerk):
    ticket = walk_in(hall, service)
    called(opened, clerk)

    response = call(client, "get", f"/api/v1/tickets/{ticket.token}")

    body = response.json()
    assert (
        body["state"],
        body["position"],
        body["ahead"],
        body["estimated_wait_minutes"],
        body["counter"],
    ) == (
        "called",
        None,
        None,
        None,
        1,
    )


def test_public_ticket_follows_transfers_to_the_newest(client, hall, service, other_service, opened, clerk):
    ticket = walk_in(hall, service, phone="+8613900000001")
    first = calls.transfer(ticket=called(opened, clerk), actor=Actor("console", clerk), service=other_service)
    calls.call_next(counter=opened, actor=Actor("console", clerk))
    calls.transfer(ticket=first, actor=Actor("console", clerk))  # back into B's queue, at its head

    response = call(client, "get", f"/api/v1/tickets/{ticket.token}")

    assert response.json() == {
        "number": "B002",
        "service": "household-cert",
        "service_name": "Household certificate",
        "state": "waiting",
        "position": 1,
        "ahead": 0,
        "estimated_wait_minutes": 0,
        "estimated_wait_low": None,
        "estimated_wait_high": None,
        "counter": None,
        "seat": Ticket.objects.get(number="B002").seat,
        "inside": True,
    }


@pytest.mark.parametrize("token", ["nope", "x" * 65, "x" * 5000])
def test_public_ticket_unknown_token_is_404(client, hall, token):
    response = call(client, "get", f"/api/v1/tickets/{token}")

    assert (response.status_code, response.json()) == (
        404,
        error("not_found", tickets.PUBLIC_TICKET_NOT_FOUND),
    )
