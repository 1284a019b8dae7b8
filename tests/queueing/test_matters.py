"""A booking with several services checks in as one ticket, which is served matter by matter at the counters
that serve them, keeping its number and its place."""

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import phonenumbers
import pytest
from django.utils import translation

from appointments import availability
from appointments import services as booking_services
from appointments.models import BookingRules, BookingState
from hall.models import Material
from notifications.models import Kind, Notification
from queueing import calls, console_views, invariants, services, walkins
from queueing.models import Outcome, Ticket, TicketMatter, TicketState
from queueing.services import Actor, QueueError
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)  # Tuesday
KIOSK = Actor("kiosk")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def hall():
    hall = make_hall(max_waiting_inside=30, seat_rows=2, seats_per_row=4)
    make_weekday_hours(hall)
    BookingRules.objects.create(hall=hall, held_back_percent=0, utilisation_percent=100, max_per_day=5)
    return hall


@pytest.fixture
def a(hall):
    return make_service(hall, "id-renewal", "A", name_en="ID card renewal")


@pytest.fixture
def b(hall):
    return make_service(hall, "certificate", "B", name_en="Household certificate")


@pytest.fixture
def clerks(hall):
    return make_staff(hall, "clerk1"), make_staff(hall, "clerk2")


@pytest.fixture
def counters(hall, a, b, clerks):
    """Window 1 serves A only, window 2 serves B only."""
    one, two = make_counter(hall, 1, [a]), make_counter(hall, 2, [b])
    calls.open_counter(counter=one, actor=Actor("console", clerks[0]), now=NOW)
    calls.open_counter(counter=two, actor=Actor("console", clerks[1]), now=NOW)
    return one, two


def book(first, also=(), n=1, at=dt.time(9, 0)):
    availability.sync_slots(service=first, date=NOW.date())
    slot = first.slots.get(start=dt.datetime.combine(NOW.date(), at, TZ))
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )
    return booking_services.book(
        slot=slot,
        citizen=citizen,
        also=also,
        actor=booking_services.Actor("web"),
        now=NOW - dt.timedelta(days=1),
    )


def states(ticket) -> list[tuple]:
    return list(
        TicketMatter.objects.filter(ticket=ticket)
        .order_by("position")
        .values_list("position", "service__code", "state", "counter__number", "served_by__username")
    )


def clerk_at(counter, clerks):
    return Actor("console", clerks[counter.number - 1])


def test_check_in_issues_one_ticket_carrying_the_matters_in_order(hall, a, b, counters):
    booking = book(a, [b])

    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)

    assert (Ticket.objects.count(), ticket.number, ticket.service, ticket.state) == (1, "A001", a, "waiting")
    assert states(ticket) == [
        (1, "id-renewal", "current", None, None),
        (2, "certificate", "pending", None, None),
    ]


def test_single_service_booking_has_no_matter_rows(hall, a, counters):
    ticket = services.check_in(hall=hall, code=book(a).code, actor=KIOSK, now=NOW)

    assert (ticket.number, TicketMatter.objects.count()) == ("A001", 0)


def test_served_at_two_counters_in_turn_keeping_number_and_place(hall, a, b, counters, clerks):
    one, two = counters
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    earlier_b = walkins.issue_walk_in(
        hall=hall, service=b, actor=KIOSK, now=NOW - dt.timedelta(minutes=20)
    ).ticket
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW + dt.timedelta(minutes=1))
    calls.start_serving(ticket=ticket, actor=clerk_at(one, clerks), now=NOW + dt.timedelta(minutes=2))

    moved = calls.complete(ticket=ticket, actor=clerk_at(one, clerks), now=NOW + dt.timedelta(minutes=12))

    assert (moved.number, moved.state, moved.service, moved.counter) == ("A001", "waiting", b, None)
    assert Booking_state(booking) == BookingState.CHECKED_IN
    called = calls.call_next(counter=two, actor=clerk_at(two, clerks), now=NOW + dt.timedelta(minutes=13))
    assert called.pk == ticket.pk  # at the head of B's queue, ahead of the walk-in who came earlier
    calls.start_serving(ticket=ticket, actor=clerk_at(two, clerks), now=NOW + dt.timedelta(minutes=14))
    done = calls.complete(ticket=ticket, actor=clerk_at(two, clerks), now=NOW + dt.timedelta(minutes=20))

    assert (done.state, done.outcome, Booking_state(booking)) == ("done", "done", BookingState.SERVED)
    assert list(booking.matters.values_list("active_id_hash", flat=True)) == [None]  # may book B again
    assert states(ticket) == [(1, "id-renewal", "done", 1, "clerk1"), (2, "certificate", "done", 2, "clerk2")]
    matters = TicketMatter.objects.filter(ticket=ticket).order_by("position")
    assert [(m.queued_at, m.called_at, m.started_at, m.ended_at) for m in matters] == [
        (NOW, NOW + dt.timedelta(minutes=1), NOW + dt.timedelta(minutes=2), NOW + dt.timedelta(minutes=12)),
        (
            NOW + dt.timedelta(minutes=12),
            NOW + dt.timedelta(minutes=13),
            NOW + dt.timedelta(minutes=14),
            NOW + dt.timedelta(minutes=20),
        ),
    ]
    assert [
        (e.from_state, e.to_state, e.counter and e.counter.number, e.note) for e in ticket.events.all()
    ] == [
        ("", "waiting", None, ""),
        ("waiting", "called", 1, ""),
        ("called", "serving", 1, ""),
        ("serving", "waiting", 1, "matter 2"),
        ("waiting", "called", 2, ""),
        ("called", "serving", 2, ""),
        ("serving", "done", 2, ""),
    ]
    assert Ticket.objects.get(pk=earlier_b.pk).state == TicketState.WAITING


def Booking_state(booking):  # noqa: N802 - reads like the figure it checks
    booking.refresh_from_db()
    return booking.state


def test_a_counter_serving_both_services_carries_on_in_one_go(hall, a, b, clerks):
    both = make_counter(hall, 3, [a, b])
    clerk = Actor("console", clerks[0])
    calls.open_counter(counter=both, actor=clerk, now=NOW)
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    calls.call_next(counter=both, actor=clerk, now=NOW)
    calls.start_serving(ticket=ticket, actor=clerk, now=NOW)

    still_here = calls.complete(ticket=ticket, actor=clerk, now=NOW + dt.timedelta(minutes=8))

    assert (still_here.state, still_here.service, still_here.counter) == ("serving", b, both)
    final = calls.complete(ticket=ticket, actor=clerk, now=NOW + dt.timedelta(minutes=15))
    assert (final.state, Booking_state(booking)) == ("done", BookingState.SERVED)
    assert states(ticket) == [(1, "id-renewal", "done", 3, "clerk1"), (2, "certificate", "done", 3, "clerk1")]
    assert [e.to_state for e in ticket.events.all()] == ["waiting", "called", "serving", "serving", "done"]


def test_missing_materials_for_one_matter_told_and_the_visit_goes_on(hall, a, b, counters, clerks):
    one, two = counters
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW)
    lacking = Material.objects.get(service=a)

    moved = calls.complete(
        ticket=ticket,
        actor=clerk_at(one, clerks),
        outcome=Outcome.MATERIALS_MISSING,
        missing=[lacking],
        missing_note="Old ID card",
        now=NOW + dt.timedelta(minutes=5),
    )

    assert (moved.state, list(moved.missing.all())) == ("waiting", [lacking])
    assert list(Notification.objects.filter(kind=Kind.MATERIALS_MISSING).values_list("key", flat=True)) == [
        str(a.pk)
    ]
    calls.call_next(counter=two, actor=clerk_at(two, clerks), now=NOW + dt.timedelta(minutes=6))
    final = calls.complete(ticket=ticket, actor=clerk_at(two, clerks), now=NOW + dt.timedelta(minutes=9))
    assert final.outcome == Outcome.MATERIALS_MISSING
    assert list(TicketMatter.objects.order_by("position").values_list("outcome", "missing_note")) == [
        ("materials_missing", "Old ID card"),
        ("done", ""),
    ]
    assert not Notification.objects.filter(kind=Kind.RATING_REQUEST).exists()


def test_no_show_for_the_second_matter_counts_the_booking_served(hall, a, b, counters, clerks):
    one, two = counters
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW)
    calls.complete(ticket=ticket, actor=clerk_at(one, clerks), now=NOW + dt.timedelta(minutes=5))
    calls.call_next(counter=two, actor=clerk_at(two, clerks), now=NOW + dt.timedelta(minutes=6))

    gone = calls.mark_no_show(ticket=ticket, actor=clerk_at(two, clerks), now=NOW + dt.timedelta(minutes=9))

    assert (gone.state, Booking_state(booking)) == ("no_show", BookingState.SERVED)
    assert list(booking.matters.values_list("active_id_hash", flat=True)) == [None]
    assert [s[2] for s in states(ticket)] == ["done", "not_served"]


def test_no_show_for_the_first_matter_is_a_missed_booking(hall, a, b, counters, clerks):
    one, _two = counters
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW)

    calls.mark_no_show(ticket=ticket, actor=clerk_at(one, clerks), now=NOW + dt.timedelta(minutes=3))

    assert Booking_state(booking) == BookingState.NO_SHOW
    assert [s[2] for s in states(ticket)] == ["not_served", "not_served"]


def test_transfer_moves_the_current_matter_keeping_the_ticket(hall, a, b, counters, clerks):
    one, two = counters
    c = make_service(hall, "move-in", "C", name_en="Move-in")
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW)

    moved = calls.transfer(
        ticket=ticket, actor=clerk_at(one, clerks), service=c, now=NOW + dt.timedelta(minutes=2)
    )

    assert (moved.pk, moved.number, moved.state, moved.service) == (ticket.pk, "A001", "waiting", c)
    assert Ticket.objects.count() == 1
    assert [s[:3] for s in states(ticket)] == [(1, "move-in", "current"), (2, "certificate", "pending")]


def test_complete_refused_when_waiting_or_at_another_counter(hall, a, b, counters, clerks):
    one, two = counters
    ticket = services.check_in(hall=hall, code=book(a, [b]).code, actor=KIOSK, now=NOW)

    with pytest.raises(QueueError) as waiting:
        calls.complete(ticket=ticket, actor=clerk_at(one, clerks), now=NOW)
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW)
    with pytest.raises(QueueError) as elsewhere:
        calls.complete(ticket=ticket, actor=clerk_at(two, clerks), at_counter=two, now=NOW)

    assert (waiting.value.code, elsewhere.value.code) == ("wrong_state", "not_at_counter")
    assert [s[2] for s in states(ticket)] == ["current", "pending"]


def test_three_matters_each_at_its_counter(hall, a, b, counters, clerks):
    one, two = counters
    c = make_service(hall, "move-in", "C", name_en="Move-in")
    three = make_counter(hall, 3, [c])
    clerk3 = make_staff(hall, "clerk3")
    calls.open_counter(counter=three, actor=Actor("console", clerk3), now=NOW)
    booking = book(a, [b, c])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)

    for counter, actor in (
        (one, clerk_at(one, clerks)),
        (two, clerk_at(two, clerks)),
        (three, Actor("x", clerk3)),
    ):
        assert calls.call_next(counter=counter, actor=actor, now=NOW).pk == ticket.pk
        calls.complete(ticket=ticket, actor=actor, now=NOW)

    assert [s[2:4] for s in states(ticket)] == [("done", 1), ("done", 2), ("done", 3)]
    assert (Ticket.objects.get().state, Booking_state(booking)) == ("done", BookingState.SERVED)


def test_citizen_page_shows_the_ticket_waiting_again_for_its_next_matter(
    client, hall, a, b, counters, clerks
):
    one, _two = counters
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    walkins.issue_walk_in(hall=hall, service=b, actor=KIOSK, now=NOW)
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW)
    at_window = client.get(f"/api/v1/tickets/{ticket.token}", HTTP_ACCEPT_LANGUAGE="en").json()

    calls.complete(ticket=ticket, actor=clerk_at(one, clerks), now=NOW)
    waiting = client.get(f"/api/v1/tickets/{ticket.token}", HTTP_ACCEPT_LANGUAGE="en").json()

    assert (at_window["state"], at_window["counter"], at_window["service"]) == ("called", 1, "id-renewal")
    assert (waiting["number"], waiting["state"], waiting["service"], waiting["counter"]) == (
        "A001",
        "waiting",
        "certificate",
        None,
    )
    assert (waiting["position"], waiting["ahead"]) == (1, 0)  # ahead of the walk-in already waiting for B


def test_admin_shows_the_matters_of_a_booking_and_of_its_ticket(admin_client, hall, a, b, counters):
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)

    booking_page = admin_client.get(f"/admin/appointments/booking/{booking.pk}/change/")
    ticket_page = admin_client.get(f"/admin/queueing/ticket/{ticket.pk}/change/")

    assert (booking_page.status_code, ticket_page.status_code) == (200, 200)
    # The admin speaks Chinese: B's Chinese name is the maker's default, shown as "prefix name".
    assert "B 居民身份证换领" in booking_page.content.decode()
    assert "B 居民身份证换领" in ticket_page.content.decode()


def test_console_and_slip_list_the_matters(client, hall, a, b, counters, clerks, monkeypatch):
    one, _two = counters
    booking = book(a, [b])
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW)
    client.force_login(clerks[0])
    client.cookies["django_language"] = "en"
    # The console shows the ticket at the window on its own day only (queueing/dayend.py): it is read then.
    monkeypatch.setattr(console_views, "timezone", SimpleNamespace(now=lambda: NOW))

    console = client.get(f"/console/{one.pk}/").content.decode()
    slip = client.get(f"/t/{ticket.token}/print/").content.decode()

    assert "Matters of this visit" in console
    assert 'aria-current="step">ID card renewal · in progress</li>' in console
    assert "One number for all: you are called to each window in turn." in slip


def test_stored_data_pass_the_invariant_checks_after_a_visit(hall, a, b, counters, clerks):
    one, two = counters
    booking = book(a, [b])
    walkins.issue_walk_in(hall=hall, service=b, actor=KIOSK, now=NOW)  # B001 while A001 waits for B
    ticket = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    calls.call_next(counter=one, actor=clerk_at(one, clerks), now=NOW)
    calls.complete(ticket=ticket, actor=clerk_at(one, clerks), now=NOW)

    findings = invariants.check_all()

    assert [str(f) for f in findings] == []
