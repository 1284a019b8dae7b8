"""The counter: open, pause, call next, recall, park, transfer and complete over the API."""

import pytest
from django.utils import translation

from hall.api import TOKEN_SCOPE
from hall.models import AuditAction, AuditEntry, Material
from queueing import calls
from queueing.api import counters, handling
from queueing.models import CounterSession, Outcome, Ticket, TicketEvent
from queueing.services import (
    COUNTER_BUSY,
    COUNTER_NOT_OPEN,
    COUNTER_TAKEN,
    WRONG_STATE,
    Actor,
)
from tests.api.helpers import in_language
from tests.makers import make_counter, make_hall
from tests.queueing.api.helpers import UNAUTHORIZED, call, called, counter_json, error, ticket_json, walk_in

# A kiosk's device token does not work a window (hall.api: STAFF_AUTH takes counter tokens only).
with translation.override("en"):
    DEVICE_REFUSED = error("token_scope", TOKEN_SCOPE % {"scope": "device", "scopes": "counter"})

pytestmark = pytest.mark.django_db


# The counter


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

    not_found = error("not_found", counters.COUNTER_NOT_FOUND)
    assert [(r.status_code, r.json()) for r in (other, device, anonymous)] == [
        (404, not_found),
        (403, DEVICE_REFUSED),
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


def test_call_next_while_a_ticket_is_at_the_counter_is_409_with_that_ticket(
    client, hall, service, opened, clerk, key
):
    """A window whose client missed the answer of its call learns from the refusal which ticket is at it,
    in the shape of call-next's 200 answer, and can finish it."""
    walk_in(hall, service)
    walk_in(hall, service)
    at_window = called(opened, clerk)
    calls.start_serving(ticket=at_window, actor=Actor("console", clerk))

    response = call(client, "post", f"/api/v1/counters/{opened.pk}/call-next", key)

    expected = ticket_json(at_window, state="serving", counter=1)
    assert (response.status_code, response.json()) == (
        409,
        {**error("counter_busy", COUNTER_BUSY), "ticket": expected},
    )
    url = f"/api/v1/tickets/{response.json()['ticket']['id']}/complete"
    done = call(client, "post", url, key, {"outcome": "done"})
    assert (done.status_code, done.json()["number"]) == (200, at_window.number)


def test_closing_or_calling_back_while_a_ticket_is_at_the_counter_is_409_without_it(
    client, hall, service, opened, clerk, key
):
    """Only call-next's refusal carries the ticket: the other refusals keep the plain error body."""
    parked = walk_in(hall, service)
    walk_in(hall, service)
    calls.park(ticket=called(opened, clerk), actor=Actor("console", clerk))
    called(opened, clerk)

    closing = call(client, "post", f"/api/v1/counters/{opened.pk}/close", key)
    calling_back = call(client, "post", f"/api/v1/tickets/{parked.pk}/call-back", key)

    assert [(r.status_code, r.json()) for r in (closing, calling_back)] == [
        (409, error("counter_busy", COUNTER_BUSY))
    ] * 2


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
        error("not_found", counters.COUNTER_NOT_FOUND, ["counter"]),
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
        ({"outcome": "materials_missing"}, handling.SAY_WHAT_IS_MISSING),
        ({"outcome": "done", "missing": [1]}, handling.MISSING_ONLY_WHEN_MISSING),
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

    message = in_language("en", handling.NOT_A_MATERIAL) % {"ids": f"{other.pk}, {10**9}"}
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

    not_found = error("not_found", handling.TICKET_NOT_FOUND)
    assert [(r.status_code, r.json()) for r in answers] == [
        (404, not_found),
        (403, DEVICE_REFUSED),
        (401, UNAUTHORIZED),
    ]
    assert Ticket.objects.get(pk=ticket.pk).state == "called"


def test_completing_another_halls_ticket_is_seen_by_that_hall(
    client, hall, service, opened, clerk, other_hall_key
):
    """complete reads the ticket with its row locked and checks the hall in that transaction; the refusal's
    audit entry is written after it is rolled back, so the ticket's hall still sees the attempt."""
    walk_in(hall, service)
    ticket = called(opened, clerk)

    response = call(
        client, "post", f"/api/v1/tickets/{ticket.pk}/complete", other_hall_key, {"outcome": "done"}
    )

    assert response.status_code == 404
    entry = AuditEntry.objects.get(action=AuditAction.OTHER_HALL_REFUSED)
    assert entry.hall == hall
    assert Ticket.objects.get(pk=ticket.pk).state == "called"


def test_completing_a_ticket_that_does_not_exist_is_404(client, key):
    response = call(client, "post", "/api/v1/tickets/999999/complete", key, {"outcome": "done"})

    assert (response.status_code, response.json()) == (404, error("not_found", handling.TICKET_NOT_FOUND))
    assert not AuditEntry.objects.filter(action=AuditAction.OTHER_HALL_REFUSED).exists()
