"""Call-next with nobody to call, answered from the read of the counter (issue 20): windows asking an empty
queue every few seconds were half of a province day's requests. The counter's read also says whether a
ticket is at the window and whether anyone waits for it (queueing/statements.py `counter_to_call`); when it
saw the window open to the caller, free, and nobody waiting for it, the answer is 204 without a transaction.
Whatever else it saw goes the long way, which answers as before."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hall.models import Counter
from queueing import calls, statements
from queueing.models import CounterSession, Ticket, TicketKind
from queueing.services import COUNTER_NOT_OPEN, Actor
from tests.makers import make_counter, make_service
from tests.queueing.api.helpers import call, called, error, walk_in

pytestmark = pytest.mark.django_db


def call_next(client, counter, key):
    return call(client, "post", f"/api/v1/counters/{counter.pk}/call-next", key)


@pytest.fixture
def key(key, client):
    """The window's token, used once already (its use is recorded once a minute), as in a busy hall."""
    assert call(client, "post", "/api/v1/counters/999999/call-next", key).status_code == 404
    return key


def test_nobody_waiting_is_answered_from_the_counters_read_alone(client, opened, key):
    with CaptureQueriesContext(connection) as queries:
        response = call_next(client, opened, key)

    assert (response.status_code, response.content) == (204, b"")
    # The token with the counter, its session and the glance, in one statement: no transaction, no lock.
    assert len(queries.captured_queries) == 1, [q["sql"][:80] for q in queries.captured_queries]
    assert CounterSession.objects.get(counter=opened).calls_since_walk_in == 0


def test_a_waiting_ticket_is_still_called(client, hall, service, opened, key):
    ticket = walk_in(hall, service)

    response = call_next(client, opened, key)

    assert response.status_code == 200
    assert response.json()["ticket"]["id"] == ticket.pk
    assert Ticket.objects.get(pk=ticket.pk).state == "called"


@pytest.mark.parametrize(
    "change",
    [
        {"kind": TicketKind.APPOINTMENT},
        {"green_channel": "elderly"},
        {"for_counter": "opened"},
        {"requeued_at": "now"},
    ],
    ids=["appointment", "green-channel", "for-this-window", "requeued"],
)
def test_every_line_of_the_queue_counts_as_someone_waiting(client, hall, service, opened, key, change):
    ticket = walk_in(hall, service)
    values = {
        name: opened if value == "opened" else timezone.now() if value == "now" else value
        for name, value in change.items()
    }
    Ticket.objects.filter(pk=ticket.pk).update(**values)

    response = call_next(client, opened, key)

    assert response.status_code == 200
    assert response.json()["ticket"]["id"] == ticket.pk


def test_tickets_this_window_may_not_call_are_nobody(client, hall, service, opened, key):
    elsewhere = make_counter(hall, 2, [service])
    not_served_here = make_service(hall, code="passport", prefix="P", name_zh_hans="护照", name_en="Passport")
    for_another_window = walk_in(hall, service)
    Ticket.objects.filter(pk=for_another_window.pk).update(for_counter=elsewhere)
    walk_in(hall, not_served_here)
    of_yesterday = walk_in(hall, service)
    Ticket.objects.filter(pk=of_yesterday.pk).update(date=of_yesterday.date - dt.timedelta(days=1))

    with CaptureQueriesContext(connection) as queries:
        response = call_next(client, opened, key)

    assert (response.status_code, len(queries.captured_queries)) == (204, 1)
    assert set(Ticket.objects.values_list("state", flat=True)) == {"waiting"}


def test_a_ticket_at_the_window_with_nobody_waiting_is_still_409(client, hall, service, opened, clerk, key):
    walk_in(hall, service)
    at_window = called(opened, clerk)

    response = call_next(client, opened, key)

    assert (response.status_code, response.json()["error"], response.json()["ticket"]["number"]) == (
        409,
        "counter_busy",
        at_window.number,
    )


def test_a_paused_window_with_nobody_waiting_is_still_409(client, opened, key):
    call(client, "post", f"/api/v1/counters/{opened.pk}/pause", key)

    response = call_next(client, opened, key)

    assert (response.status_code, response.json()) == (409, error("counter_closed", COUNTER_NOT_OPEN))


def test_a_glance_that_saw_someone_waiting_goes_the_long_way(hall, service, opened, clerk):
    """The glance is taken before the transaction: a ticket called by another window since then leaves the
    long way with nobody to call, as before."""
    ticket = walk_in(hall, service)
    counter, glance = statements.counter_to_call(opened.pk, hall.local_date(timezone.now()))
    assert (glance.busy, glance.waiting) == (False, True)
    Ticket.objects.filter(pk=ticket.pk).update(state="called", counter=make_counter(hall, 2, [service]))

    assert calls.call_next(counter=counter, actor=Actor("api", clerk), glance=glance) is None


def test_the_glance_of_a_window_of_no_service_sees_nobody(hall, service, clerk):
    bare = make_counter(hall, 3, [])
    walk_in(hall, service)

    counter, glance = statements.counter_to_call(bare.pk, hall.local_date(timezone.now()))

    assert isinstance(counter, Counter)
    assert (glance.busy, glance.waiting) == (False, False)
    assert statements.counter_to_call(10**12, hall.local_date(timezone.now())) == (None, None)


def test_a_glance_at_another_day_than_the_halls_is_not_trusted(
    client, hall, service, opened, key, monkeypatch
):
    """The token's read looks at the day of the default time zone (the hall's is read in the same statement);
    for a hall whose day is another, the glance of that day saw nobody: the long way calls the ticket."""
    ticket = walk_in(hall, service)
    yesterday = hall.local_date(timezone.now()) - dt.timedelta(days=1)
    monkeypatch.setattr("queueing.api.counters.default_day", lambda: yesterday)

    response = call_next(client, opened, key)

    assert response.status_code == 200
    assert response.json()["ticket"]["id"] == ticket.pk


def test_a_counter_of_another_hall_is_not_found_with_the_token_read(client, opened, key):
    from tests.makers import make_hall

    other = make_hall(slug="other-hall")
    elsewhere = make_counter(other, 7, [])

    response = call_next(client, elsewhere, key)

    assert response.status_code == 404
    assert call_next(client, opened, key).status_code == 204  # the token itself is fine
