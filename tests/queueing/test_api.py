import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hall.api_v1 import api
from hall.models import ApiToken, Material
from queueing import api as queue_api
from queueing import calls, services
from queueing.models import CounterSession, Outcome, Ticket, TicketEvent, WalkInQuota
from queueing.services import (
    BOOKING_NOT_FOUND,
    COUNTER_BUSY,
    COUNTER_NOT_OPEN,
    COUNTER_TAKEN,
    DUPLICATE_TICKET,
    QUOTA_EXHAUSTED,
    TOO_EARLY,
    TOO_LATE,
    WRONG_STATE,
    Actor,
)
from tests.api.helpers import in_language
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = pytest.mark.django_db

KIOSK = Actor("kiosk")
UNAUTHORIZED = {
    "error": "unauthorized",
    "message": "Sign in, or send a valid API token as 'Authorization: Bearer <token>'.",
    "fields": {},
}


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS = False


@pytest.fixture
def hall():
    return make_hall_open_today(max_waiting_inside=30, seat_rows=2, seats_per_row=4)


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def other_service(hall):
    return make_service(
        hall, code="household-cert", prefix="B", name_zh_hans="户籍证明", name_en="Household certificate"
    )


@pytest.fixture
def counter(hall, service, other_service):
    return make_counter(hall, 1, [service, other_service])


@pytest.fixture
def clerk(hall):
    return make_staff(hall, "clerk")


@pytest.fixture
def key(hall, clerk):
    return ApiToken.objects.issue(user=clerk, hall=hall, name="window 1")[1]


@pytest.fixture
def colleague_key(hall):
    return ApiToken.objects.issue(user=make_staff(hall, "colleague"), hall=hall, name="window 2")[1]


@pytest.fixture
def kiosk_key(hall):
    return ApiToken.objects.issue(user=User.objects.create_user("kiosk-north"), hall=hall, name="kiosk")[1]


@pytest.fixture
def other_hall_key():
    west = make_hall("west")
    return ApiToken.objects.issue(user=make_staff(west, "west_clerk"), hall=west, name="window 1")[1]


@pytest.fixture
def opened(counter, clerk):
    calls.open_counter(counter=counter, actor=Actor("console", clerk))
    return counter


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
    return services.issue_walk_in(hall=hall, service=service, actor=KIOSK, **fields)


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
        "estimated_wait_minutes": 10,
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
        "counter": None,
        "seat": Ticket.objects.get(number="B002").seat,
        "inside": True,
    }


@pytest.mark.parametrize("token", ["nope", "x" * 65, "x" * 5000])
def test_public_ticket_unknown_token_is_404(client, hall, token):
    response = call(client, "get", f"/api/v1/tickets/{token}")

    assert (response.status_code, response.json()) == (
        404,
        error("not_found", queue_api.PUBLIC_TICKET_NOT_FOUND),
    )


# Issuing tickets (kiosk and 导办)


def test_device_token_issues_walk_in_ticket(client, hall, service, opened, kiosk_key):
    walk_in(hall, service)

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"service": "id-renewal"})

    ticket = Ticket.objects.get(number="A002")
    assert response.status_code == 201
    assert response.json() == {
        "id": ticket.pk,
        "token": ticket.token,
        "number": "A002",
        "service": "id-renewal",
        "position": 2,
        "ahead": 1,
        "seat": ticket.seat,
        "inside": True,
        "estimated_wait_minutes": 10,
    }
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.to_state, event.source, event.actor.username) == ("waiting", "api", "kiosk-north")
    assert (ticket.kind, ticket.green_channel, ticket.language) == ("walk_in", "", "en")


def test_device_token_may_not_give_green_channel(client, hall, service, kiosk_key):
    body = {"service": "id-renewal", "green_channel": "elderly"}

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, body)

    assert (response.status_code, response.json()) == (
        403,
        error("forbidden", queue_api.GREEN_CHANNEL_STAFF_ONLY, ["green_channel"]),
    )
    assert Ticket.objects.count() == 0


def test_staff_token_gives_green_channel_which_goes_first(client, hall, service, opened, key):
    walk_in(hall, service)
    body = {"service": "id-renewal", "green_channel": "elderly", "id_number": make_id_number(7)}

    response = call(client, "post", "/api/v1/halls/north/tickets", key, body)

    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (response.status_code, response.json()["position"], response.json()["ahead"]) == (201, 1, 0)
    assert (ticket.number, ticket.green_channel, ticket.id_hash != "") == ("A002", "elderly", True)


def test_check_in_booking_issues_ticket_and_again_answers_200_with_the_same(client, hall, service, kiosk_key):
    booking = book(service, timezone.now() - dt.timedelta(minutes=5))

    first = call(
        client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"booking_code": booking.code.lower()}
    )
    again = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"booking_code": booking.code})

    ticket = Ticket.objects.get()
    assert (first.status_code, again.status_code) == (201, 200)
    assert (
        first.json()
        == again.json()
        == {
            "id": ticket.pk,
            "token": ticket.token,
            "number": "A001",
            "service": "id-renewal",
            "position": 1,
            "ahead": 0,
            "seat": ticket.seat,
            "inside": True,
            "estimated_wait_minutes": 0,
        }
    )
    assert (ticket.kind, ticket.booking, ticket.booked_start) == ("appointment", booking, booking.slot.start)


def test_check_in_too_early_is_409_with_the_time(client, hall, service, kiosk_key):
    start = timezone.now() + dt.timedelta(hours=3)
    booking = book(service, start)

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"booking_code": booking.code})

    opens = timezone.localtime(start - dt.timedelta(minutes=30), hall.tz).strftime("%H:%M")
    message = in_language("en", TOO_EARLY) % {"time": opens}
    assert (response.status_code, response.json()) == (
        409,
        {"error": "too_early", "message": message, "fields": {"booking_code": message}},
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_check_in_too_late_is_409(client, hall, service, kiosk_key, language):
    booking = book(service, timezone.now() - dt.timedelta(hours=2))

    body = {"booking_code": booking.code}
    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, body, language=language)

    assert (response.status_code, response.json()) == (
        409,
        error("too_late", TOO_LATE, ["booking_code"], language=language),
    )


def test_check_in_unknown_code_is_404(client, hall, service, kiosk_key):
    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"booking_code": "NOPE1234"})

    assert (response.status_code, response.json()) == (
        404,
        error("not_found", BOOKING_NOT_FOUND, ["booking_code"]),
    )


def test_walk_in_over_daily_quota_is_409(client, hall, service, kiosk_key):
    WalkInQuota.objects.create(service=service, per_day=1, per_hour=10)
    walk_in(hall, service)

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, {"service": "id-renewal"})

    assert (response.status_code, response.json()) == (
        409,
        error("quota_exhausted", QUOTA_EXHAUSTED, ["service"]),
    )


def test_walk_in_same_person_twice_is_409_duplicate_ticket(client, hall, service, kiosk_key):
    body = {"service": "id-renewal", "id_number": make_id_number(3), "phone": "13900000003"}
    call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, body)

    response = call(client, "post", "/api/v1/halls/north/tickets", kiosk_key, body)

    message = in_language("en", DUPLICATE_TICKET) % {"number": "A001"}
    assert (response.status_code, response.json()) == (
        409,
        {"error": "duplicate_ticket", "message": message, "fields": {"service": message}},
    )
    assert Ticket.objects.get().phone.as_e164 == "+8613900000003"


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        ({}, queue_api.BOOKING_OR_SERVICE, "service"),
        ({"booking_code": "ABC", "service": "id-renewal"}, queue_api.BOOKING_OR_SERVICE, "service"),
        (
            {"booking_code": "ABC", "green_channel": "elderly"},
            queue_api.GREEN_CHANNEL_WALK_IN_ONLY,
            "green_channel",
        ),
    ],
)
def test_ticket_request_needs_a_booking_code_or_a_service(client, hall, service, key, body, message, field):
    response = call(client, "post", "/api/v1/halls/north/tickets", key, body)

    assert (response.status_code, response.json()) == (422, error("invalid", message, [field]))


def test_walk_in_for_unknown_service_is_404(client, hall, key):
    response = call(client, "post", "/api/v1/halls/north/tickets", key, {"service": "nope"})

    assert (response.status_code, response.json()) == (
        404,
        error("not_found", queue_api.SERVICE_NOT_FOUND, ["service"]),
    )


def test_issuing_for_another_hall_is_404_and_without_token_401(client, hall, service, other_hall_key):
    other = call(client, "post", "/api/v1/halls/north/tickets", other_hall_key, {"service": "id-renewal"})
    anonymous = call(client, "post", "/api/v1/halls/north/tickets", None, {"service": "id-renewal"})

    assert (other.status_code, other.json()["error"]) == (404, "not_found")
    assert (anonymous.status_code, anonymous.json()) == (401, UNAUTHORIZED)
    assert Ticket.objects.count() == 0


# The counter


def counter_json(counter, state, staffed_by="clerk") -> dict:
    return {"id": counter.pk, "number": 1, "state": state, "staffed_by": staffed_by}


def test_open_pause_resume_close(client, counter, key):
    url = f"/api/v1/counters/{counter.pk}"

    answers = [
        call(client, "post", f"{url}/{action}", key) for action in ("open", "pause", "resume", "close")
    ]

    assert [(a.status_code, a.json()) for a in answers] == [
        (200, counter_json(counter, "open")),
        (200, counter_json(counter, "paused")),
        (200, counter_json(counter, "open")),
        (200, counter_json(counter, "closed", None)),
    ]
    assert CounterSession.objects.get(counter=counter).user is None


def test_session_of_clerk_opens_a_counter(client, counter, clerk):
    client.force_login(clerk)

    response = call(client, "post", f"/api/v1/counters/{counter.pk}/open")

    assert (response.status_code, response.json()) == (200, counter_json(counter, "open"))


def test_resume_of_closed_counter_is_409(client, counter, key):
    response = call(client, "post", f"/api/v1/counters/{counter.pk}/resume", key)

    assert (response.status_code, response.json()) == (409, error("counter_closed", COUNTER_NOT_OPEN))


def test_colleague_may_not_open_pause_or_call_at_a_counter_in_use(client, opened, colleague_key):
    url = f"/api/v1/counters/{opened.pk}"

    answers = [
        call(client, "post", f"{url}/{action}", colleague_key) for action in ("open", "pause", "call-next")
    ]

    assert [(a.status_code, a.json()) for a in answers] == [(409, error("counter_taken", COUNTER_TAKEN))] * 3
    assert CounterSession.objects.get(counter=opened).state == "open"


@pytest.mark.parametrize("action", ["open", "close", "pause", "resume", "call-next"])
def test_counter_of_another_hall_or_device_is_404_and_without_token_401(
    client, counter, other_hall_key, kiosk_key, action
):
    url = f"/api/v1/counters/{counter.pk}/{action}"

    other, device, anonymous = (call(client, "post", url, k) for k in (other_hall_key, kiosk_key, None))

    not_found = error("not_found", queue_api.COUNTER_NOT_FOUND)
    assert [(r.status_code, r.json()) for r in (other, device, anonymous)] == [
        (404, not_found),
        (404, not_found),
        (401, UNAUTHORIZED),
    ]
    assert not CounterSession.objects.filter(state="open").exists()


def test_call_next_answers_the_called_ticket(client, hall, service, opened, key):
    ticket = walk_in(hall, service)

    response = call(client, "post", f"/api/v1/counters/{opened.pk}/call-next", key)

    assert response.status_code == 200
    assert response.json() == {"ticket": ticket_json(ticket, state="called", counter=1, calls=1)}
    event = TicketEvent.objects.filter(ticket=ticket).last()
    assert (event.to_state, event.source, event.actor.username, event.counter) == (
        "called",
        "api",
        "clerk",
        opened,
    )


def test_call_next_with_nobody_waiting_is_204(client, opened, key):
    response = call(client, "post", f"/api/v1/counters/{opened.pk}/call-next", key)

    assert (response.status_code, response.content) == (204, b"")


def test_call_next_while_a_ticket_is_at_the_counter_is_409(client, hall, service, opened, clerk, key):
    walk_in(hall, service)
    walk_in(hall, service)
    called(opened, clerk)

    response = call(client, "post", f"/api/v1/counters/{opened.pk}/call-next", key)

    assert (response.status_code, response.json()) == (409, error("counter_busy", COUNTER_BUSY))


def test_call_next_at_closed_counter_is_409(client, hall, service, counter, key):
    walk_in(hall, service)

    response = call(client, "post", f"/api/v1/counters/{counter.pk}/call-next", key)

    assert (response.status_code, response.json()) == (409, error("counter_closed", COUNTER_NOT_OPEN))
    assert Ticket.objects.get().state == "waiting"


def test_recall_counts_calls_then_marks_no_show(client, hall, service, opened, clerk, key):
    walk_in(hall, service)
    ticket = called(opened, clerk)
    url = f"/api/v1/tickets/{ticket.pk}/recall"

    answers = [call(client, "post", url, key) for _ in range(3)]

    assert [(a.status_code, a.json()["state"], a.json()["calls"]) for a in answers] == [
        (200, "called", 2),
        (200, "called", 3),
        (200, "no_show", 3),
    ]
    assert answers[-1].json() == ticket_json(ticket, state="no_show")


def test_no_show_start_park_call_back_and_complete(client, hall, service, opened, clerk, key):
    walk_in(hall, service)
    ticket = called(opened, clerk)
    url = f"/api/v1/tickets/{ticket.pk}"

    start = call(client, "post", f"{url}/start", key)
    assert (start.status_code, start.json()) == (200, ticket_json(ticket, state="serving", counter=1))
    park = call(client, "post", f"{url}/park", key)
    assert (park.status_code, park.json()) == (200, ticket_json(ticket, state="parked", counter=1))
    back = call(client, "post", f"{url}/call-back", key)
    assert (back.status_code, back.json()) == (200, ticket_json(ticket, state="called", counter=1, calls=1))
    done = call(client, "post", f"{url}/complete", key, {"outcome": "done", "note": "新证已办"})
    assert (done.status_code, done.json()) == (200, ticket_json(ticket, state="done", outcome="done"))
    assert TicketEvent.objects.filter(ticket=ticket).last().note == "新证已办"


def test_no_show(client, hall, service, opened, clerk, key):
    walk_in(hall, service)
    ticket = called(opened, clerk)

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/no-show", key)

    assert (response.status_code, response.json()) == (200, ticket_json(ticket, state="no_show"))


def test_call_back_to_a_given_counter(client, hall, service, opened, clerk, key):
    walk_in(hall, service)
    ticket = calls.park(ticket=called(opened, clerk), actor=Actor("console", clerk))

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/call-back", key, {"counter": opened.pk})

    assert (response.status_code, response.json()["state"], response.json()["counter_id"]) == (
        200,
        "called",
        opened.pk,
    )


def test_call_back_without_an_open_counter_is_409(client, hall, service, counter, clerk, key):
    calls.open_counter(counter=counter, actor=Actor("console", clerk))
    walk_in(hall, service)
    ticket = calls.park(ticket=called(counter, clerk), actor=Actor("console", clerk))
    calls.set_counter_state(counter=counter, actor=Actor("console", clerk), state="closed")

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/call-back", key)

    assert (response.status_code, response.json()) == (409, error("counter_closed", COUNTER_NOT_OPEN))


def test_start_of_a_waiting_ticket_is_409_wrong_state(client, hall, service, opened, key):
    ticket = walk_in(hall, service)

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/start", key)

    message = in_language("en", WRONG_STATE) % {"state": "waiting"}
    assert (response.status_code, response.json()) == (
        409,
        {"error": "wrong_state", "message": message, "fields": {}},
    )


def test_transfer_to_another_service_queues_a_new_ticket_at_its_head(
    client, hall, service, other_service, opened, clerk, key
):
    walk_in(hall, other_service)
    walk_in(hall, service)
    ticket = calls.call_ticket(
        counter=opened, ticket=Ticket.objects.get(number="A001"), actor=Actor("c", clerk)
    )
    body = {"service": "household-cert", "note": "需开户籍证明"}

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/transfer", key, body)

    new = Ticket.objects.get(number="B002")
    assert response.status_code == 200
    assert response.json() == ticket_json(
        new, state="waiting", transferred_from=ticket.pk, note="需开户籍证明"
    )
    ticket.refresh_from_db()
    assert ticket.state == "transferred"
    assert calls.call_next(counter=opened, actor=Actor("c", clerk)) == new


def test_transfer_to_one_counter(client, hall, service, opened, clerk, key):
    counter_2 = make_counter(hall, 2, [service])
    walk_in(hall, service)
    ticket = called(opened, clerk)

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/transfer", key, {"counter": counter_2.pk})

    new = Ticket.objects.get(number="A002")
    assert (response.status_code, response.json()["id"], new.for_counter) == (200, new.pk, counter_2)


def test_transfer_to_another_halls_counter_is_404(client, hall, service, opened, clerk, key):
    west_counter = make_counter(make_hall("west"), 1)
    walk_in(hall, service)
    ticket = called(opened, clerk)

    response = call(
        client, "post", f"/api/v1/tickets/{ticket.pk}/transfer", key, {"counter": west_counter.pk}
    )

    assert (response.status_code, response.json()) == (
        404,
        error("not_found", queue_api.COUNTER_NOT_FOUND, ["counter"]),
    )
    assert Ticket.objects.get(pk=ticket.pk).state == "called"


def test_complete_with_materials_missing_lists_them(client, hall, service, opened, clerk, key):
    walk_in(hall, service)
    ticket = called(opened, clerk)
    booklet = Material.objects.get(service=service)
    body = {"outcome": "materials_missing", "missing": [booklet.pk], "missing_note": "近期照片"}

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/complete", key, body)

    assert response.status_code == 200
    assert response.json() == ticket_json(
        ticket,
        state="done",
        outcome=Outcome.MATERIALS_MISSING,
        missing=[{"id": booklet.pk, "name": "Household register booklet"}],
        missing_note="近期照片",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"outcome": "materials_missing"}, queue_api.SAY_WHAT_IS_MISSING),
        ({"outcome": "done", "missing": [1]}, queue_api.MISSING_ONLY_WHEN_MISSING),
    ],
)
def test_complete_with_inconsistent_missing_list_is_422(
    client, hall, service, opened, clerk, key, body, message
):
    walk_in(hall, service)
    ticket = called(opened, clerk)

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/complete", key, body)

    assert (response.status_code, response.json()) == (422, error("invalid", message, ["missing"]))
    assert Ticket.objects.get(pk=ticket.pk).state == "called"


def test_complete_with_another_services_material_is_422(
    client, hall, service, other_service, opened, clerk, key
):
    walk_in(hall, service)
    ticket = called(opened, clerk)
    other = Material.objects.get(service=other_service)
    body = {"outcome": "materials_missing", "missing": [other.pk, 10**9]}

    response = call(client, "post", f"/api/v1/tickets/{ticket.pk}/complete", key, body)

    message = in_language("en", queue_api.NOT_A_MATERIAL) % {"ids": f"{other.pk}, {10**9}"}
    assert (response.status_code, response.json()) == (
        422,
        {"error": "invalid", "message": message, "fields": {"missing": message}},
    )


def test_colleague_may_not_handle_a_ticket_at_someone_elses_counter(
    client, hall, service, opened, clerk, colleague_key
):
    walk_in(hall, service)
    ticket = called(opened, clerk)

    response = call(
        client, "post", f"/api/v1/tickets/{ticket.pk}/complete", colleague_key, {"outcome": "done"}
    )

    assert (response.status_code, response.json()) == (409, error("counter_taken", COUNTER_TAKEN))
    assert Ticket.objects.get(pk=ticket.pk).state == "called"


@pytest.mark.parametrize(
    "action", ["recall", "no-show", "start", "park", "call-back", "transfer", "complete"]
)
def test_ticket_of_another_hall_is_404_and_without_token_401(
    client, hall, service, opened, clerk, other_hall_key, kiosk_key, action
):
    walk_in(hall, service)
    ticket = called(opened, clerk)
    url = f"/api/v1/tickets/{ticket.pk}/{action}"
    body = {"outcome": "done"} if action == "complete" else {}

    answers = [call(client, "post", url, k, body) for k in (other_hall_key, kiosk_key, None)]

    not_found = error("not_found", queue_api.TICKET_NOT_FOUND)
    assert [(r.status_code, r.json()) for r in answers] == [
        (404, not_found),
        (404, not_found),
        (401, UNAUTHORIZED),
    ]
    assert Ticket.objects.get(pk=ticket.pk).state == "called"


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


# Schema and bad input


def test_openapi_schema_lists_the_queue_paths():
    paths = api.get_openapi_schema()["paths"]

    assert {
        "/api/v1/tickets/{token}": ["get"],
        "/api/v1/halls/{hall}/tickets": ["post"],
        "/api/v1/halls/{hall}/queue": ["get"],
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
