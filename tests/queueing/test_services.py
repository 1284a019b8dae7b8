import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.utils import translation

from appointments import availability, lifecycle
from appointments import services as booking_services
from appointments.models import BookingState
from hall.models import Material
from notifications.models import Kind, Notification
from queueing import calls, services, walkins
from queueing.models import CounterState, Outcome, QueueRules, Ticket, TicketState, WalkInQuota
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
    return hall


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def clerk(hall):
    return make_staff(hall)


@pytest.fixture
def counter(hall, service, clerk):
    counter = make_counter(hall, 1, [service])
    calls.open_counter(counter=counter, actor=Actor("console", clerk), now=NOW)
    return counter


def book(service, n=1, slot_index=1, now=NOW - dt.timedelta(days=1)):
    day = availability.day_availability(service=service, date=NOW.date(), now=now)
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )
    return booking_services.book(
        slot=day.slots[slot_index], citizen=citizen, actor=booking_services.Actor("web"), now=now
    )


def walk_in(hall, service, minutes=0, **kw):
    return walkins.issue_walk_in(
        hall=hall, service=service, actor=KIOSK, now=NOW + dt.timedelta(minutes=minutes), **kw
    ).ticket


# Check-in


def test_check_in_on_time_issues_ticket_and_marks_booking(hall, service):
    make_counter(hall, 1, [service])
    booking = book(service)  # window 09:00–09:30

    ticket = services.check_in(hall=hall, code=booking.code.lower(), actor=KIOSK, now=NOW)

    booking.refresh_from_db()
    assert (ticket.number, ticket.kind, ticket.booked_start) == ("A001", "appointment", booking.slot.start)
    assert booking.state == BookingState.CHECKED_IN


def test_check_in_twice_returns_same_ticket(hall, service):
    make_counter(hall, 1, [service])
    booking = book(service)

    first = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    second = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW + dt.timedelta(minutes=1))

    assert first == second
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("served", [True, False])
def test_check_in_after_the_ticket_was_finished_is_refused(hall, service, served):
    make_counter(hall, 1, [service])
    booking = book(service)
    services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    lifecycle.finish(booking_id=booking.pk, served=served, source="console")  # served, or missed when called

    with pytest.raises(QueueError) as error:
        services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW + dt.timedelta(minutes=5))

    assert (error.value.code, Ticket.objects.count()) == ("not_found", 1)


def test_check_in_too_early_says_when(hall, service):
    make_counter(hall, 1, [service])
    booking = book(service, slot_index=4)  # 10:30

    with pytest.raises(QueueError) as error:
        services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)

    assert (error.value.code, error.value.message) == (
        "too_early",
        "You are early. Check-in for your booking opens at 10:00.",
    )


def test_check_in_too_late_offers_walk_in(hall, service):
    make_counter(hall, 1, [service])
    booking = book(service, slot_index=0)  # 08:30–09:00

    with pytest.raises(QueueError) as error:
        services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW + dt.timedelta(minutes=16))

    assert error.value.message == "Your booked time has passed. You can take a walk-in ticket instead."


def test_check_in_unknown_code(hall):
    with pytest.raises(QueueError) as error:
        services.check_in(hall=hall, code="NOPE1234", actor=KIOSK, now=NOW)

    assert error.value.code == "not_found"


# Walk-ins, numbers, quotas


def test_walk_in_numbers_are_consecutive_per_service(hall, service):
    other = make_service(hall, code="cert", prefix="B")

    numbers = [walk_in(hall, service).number, walk_in(hall, other).number, walk_in(hall, service).number]

    assert numbers == ["A001", "B001", "A002"]


def test_walk_in_daily_quota(hall, service):
    WalkInQuota.objects.create(service=service, per_day=2, per_hour=10)
    walk_in(hall, service)
    walk_in(hall, service)

    with pytest.raises(QueueError) as error:
        walk_in(hall, service)

    assert (error.value.code, error.value.message) == (
        "quota_exhausted",
        "All tickets for this service have been given out today.",
    )


def test_walk_in_hourly_quota_says_when(hall, service):
    WalkInQuota.objects.create(service=service, per_day=10, per_hour=1)
    walk_in(hall, service)

    with pytest.raises(QueueError) as error:
        walk_in(hall, service, minutes=30)
    later = walk_in(hall, service, minutes=61)

    assert (
        error.value.message == "All tickets for this hour have been given out. Please try again after 10:00."
    )
    assert later.number == "A002"


def test_walk_in_possible_until_the_hours_quota_is_used_up_then_again_next_hour(hall, service):
    WalkInQuota.objects.create(service=service, per_day=2, per_hour=1)
    walk_in(hall, service)

    same_hour = walkins.walk_in_possible(service=service, now=NOW + dt.timedelta(minutes=30))
    next_hour = walkins.walk_in_possible(service=service, now=NOW + dt.timedelta(minutes=61))
    walk_in(hall, service, minutes=61)
    day_used_up = walkins.walk_in_possible(service=service, now=NOW + dt.timedelta(minutes=121))

    assert (same_hour, next_hour, day_used_up) == (False, True, False)


def test_walk_in_same_person_gets_existing_ticket_to_reprint(hall, service):
    first = walk_in(hall, service, id_number=make_id_number(3))

    with pytest.raises(QueueError) as error:
        walk_in(hall, service, id_number=make_id_number(3))

    assert (error.value.code, error.value.ticket) == ("duplicate_ticket", first)
    assert error.value.message == "You already hold a ticket for this service: A001."


def test_walk_in_with_reads_brings_the_hall_as_the_cut_off_read_it(hall, service, counter):
    QueueRules.objects.create(hall=hall, stop_by_estimate=True)
    first = walk_in(hall, service)

    issued = walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=NOW)

    assert (issued.ticket.number, issued.hours.timezone) == ("A002", hall.timezone)
    assert (issued.read.now, [w.id for w in issued.read.waiting]) == (NOW, [first.pk])  # before the ticket


def test_walk_in_with_reads_brings_no_read_when_the_cut_off_asks_no_estimate(hall, service, counter):
    QueueRules.objects.create(hall=hall, stop_by_estimate=False)

    issued = walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=NOW)

    assert (issued.ticket.number, issued.read, issued.hours.timezone) == ("A001", None, hall.timezone)


# Spacing


def test_walk_in_waits_outside_when_hall_is_full(hall, service):
    hall.max_waiting_inside = 2
    hall.save()

    tickets = [walk_in(hall, service, minutes=i) for i in range(3)]

    assert [(t.inside, bool(t.seat)) for t in tickets] == [(True, True), (True, True), (False, False)]
    assert tickets[0].seat != tickets[1].seat


def test_call_moves_outside_ticket_inside_and_asks_it_in(hall, service, counter, clerk):
    hall.max_waiting_inside = 1
    hall.save()
    QueueRules.objects.create(hall=hall, come_in_at=0)
    walk_in(hall, service)
    outside = walk_in(hall, service, minutes=1, phone=phonenumbers.parse("13900001111", "CN"))

    calls.call_next(counter=counter, actor=Actor("console", clerk), now=NOW + dt.timedelta(minutes=2))

    outside.refresh_from_db()
    assert (outside.inside, outside.seat != "") == (True, True)
    assert list(Notification.objects.filter(kind=Kind.COME_IN).values_list("subject_id", flat=True)) == [
        outside.pk
    ]


# Calling


def test_call_next_follows_queue_order(hall, service, counter, clerk):
    make_counter(hall, 2, [service])
    walk = walk_in(hall, service, minutes=-20)
    booking = book(service, slot_index=1)
    appointment = services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    green = walk_in(hall, service, minutes=1, green_channel="elderly")
    console = Actor("console", clerk)

    called = []
    for minute in (2, 3, 4):
        ticket = calls.call_next(counter=counter, actor=console, now=NOW + dt.timedelta(minutes=minute))
        called.append(ticket.number)
        calls.complete(ticket=ticket, actor=console, now=NOW + dt.timedelta(minutes=minute))

    assert called == [green.number, appointment.number, walk.number]


def test_call_next_refused_while_serving(hall, service, counter, clerk):
    walk_in(hall, service)
    walk_in(hall, service)
    calls.call_next(counter=counter, actor=Actor("console", clerk), now=NOW)

    with pytest.raises(QueueError) as error:
        calls.call_next(counter=counter, actor=Actor("console", clerk), now=NOW)

    assert error.value.message == "Finish the current ticket before calling the next one."


def test_call_next_nobody_waiting_returns_none(counter, clerk):
    assert calls.call_next(counter=counter, actor=Actor("console", clerk), now=NOW) is None


def test_call_frees_seat(hall, service, counter, clerk):
    ticket = walk_in(hall, service)

    calls.call_next(counter=counter, actor=Actor("console", clerk), now=NOW)
    again = walk_in(hall, service)

    assert again.seat == ticket.seat  # the best seat is free again


def test_recall_three_times_then_no_show(hall, service, counter, clerk):
    booking = book(service)
    services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    console = Actor("console", clerk)
    ticket = calls.call_next(counter=counter, actor=console, now=NOW)

    states = []
    for _ in range(3):
        ticket = calls.recall(ticket=ticket, actor=console, now=NOW)
        states.append((ticket.state, ticket.calls))

    booking.refresh_from_db()
    assert states == [("called", 2), ("called", 3), ("no_show", 3)]
    assert booking.state == BookingState.NO_SHOW


def test_park_and_call_back(hall, service, counter, clerk):
    console = Actor("console", clerk)
    walk_in(hall, service)
    other = walk_in(hall, service, minutes=1)
    ticket = calls.call_next(counter=counter, actor=console, now=NOW)
    calls.start_serving(ticket=ticket, actor=console, now=NOW)

    parked = calls.park(ticket=ticket, actor=console, now=NOW)
    parked_state = parked.state
    next_one = calls.call_next(counter=counter, actor=console, now=NOW)
    calls.complete(ticket=next_one, actor=console, now=NOW)
    back = calls.call_ticket(counter=counter, ticket=parked, actor=console, now=NOW)

    assert (parked_state, next_one, back.state, back.counter) == ("parked", other, "called", counter)


def test_transfer_keeps_priority_in_new_queue_and_owner(hall, service, counter, clerk):
    console = Actor("console", clerk)
    moves = make_service(hall, code="move-in", prefix="C")
    waiting_moves = [walk_in(hall, moves, minutes=-30 + i) for i in range(2)]
    walk_in(hall, service)
    ticket = calls.call_next(counter=counter, actor=console, now=NOW)
    calls.start_serving(ticket=ticket, actor=console, now=NOW)

    new = calls.transfer(ticket=ticket, service=moves, actor=console, note="also moving in", now=NOW)

    counter2 = make_counter(hall, 2, [moves])
    clerk2 = make_staff(hall, "clerk2")
    calls.open_counter(counter=counter2, actor=Actor("console", clerk2), now=NOW)
    first = calls.call_next(counter=counter2, actor=Actor("console", clerk2), now=NOW)
    ticket.refresh_from_db()
    assert (ticket.state, new.transferred_from, new.owner) == ("transferred", ticket, clerk)
    assert first == new
    assert waiting_moves[0].state == "waiting"


def test_complete_with_missing_materials_tells_everything_at_once(hall, service, counter, clerk):
    console = Actor("console", clerk)
    booking = book(service)
    services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    ticket = calls.call_next(counter=counter, actor=console, now=NOW)
    photo = Material.objects.create(service=service, name_en="Two photos", name_zh_hans="照片两张")

    done = calls.complete(
        ticket=ticket,
        actor=console,
        outcome=Outcome.MATERIALS_MISSING,
        missing=[photo, *service.materials.exclude(pk=photo.pk)],
        missing_note="Proof of address",
        now=NOW,
    )

    booking.refresh_from_db()
    text = Notification.objects.get(kind=Kind.MATERIALS_MISSING).text
    assert (done.state, done.outcome, booking.state) == ("done", "materials_missing", BookingState.SERVED)
    assert sorted(m.name_en for m in done.missing.all()) == ["Household register booklet", "Two photos"]
    assert "照片两张" in text and "Proof of address" in text and "户口簿" in text  # the citizen's language


def test_every_ticket_change_is_recorded(hall, service, counter, clerk):
    console = Actor("console", clerk)
    walk_in(hall, service)
    ticket = calls.call_next(counter=counter, actor=console, now=NOW)
    calls.start_serving(ticket=ticket, actor=console, now=NOW)
    calls.complete(ticket=ticket, actor=console, now=NOW)

    events = list(
        ticket.events.values_list("from_state", "to_state", "source", "actor__username", "counter__number")
    )

    assert events == [
        ("", "waiting", "kiosk", None, None),
        ("waiting", "called", "console", "clerk", 1),
        ("called", "serving", "console", "clerk", 1),
        ("serving", "done", "console", "clerk", 1),
    ]


# Counters


def test_open_counter_one_user_at_a_time(hall, service, counter, clerk):
    other = make_staff(hall, "clerk2")

    with pytest.raises(QueueError) as error:
        calls.open_counter(counter=counter, actor=Actor("console", other), now=NOW)

    assert error.value.message == "Someone else is working at this counter."


def test_paused_counter_cannot_call(hall, service, counter, clerk):
    walk_in(hall, service)
    calls.set_counter_state(
        counter=counter, actor=Actor("console", clerk), state=CounterState.PAUSED, now=NOW
    )

    with pytest.raises(QueueError) as error:
        calls.call_next(counter=counter, actor=Actor("console", clerk), now=NOW)

    assert error.value.message == "Open the counter first."


def test_waiting_ticket_state_is_waiting(hall, service):
    assert walk_in(hall, service).state == TicketState.WAITING


def test_complete_with_stale_ticket_keeps_real_service_start(hall, service, counter, clerk):
    console = Actor("console", clerk)
    walk_in(hall, service)
    stale = calls.call_next(counter=counter, actor=console, now=NOW)
    calls.start_serving(ticket=stale, actor=console, now=NOW + dt.timedelta(minutes=1))

    done = calls.complete(ticket=stale, actor=console, now=NOW + dt.timedelta(minutes=9))

    assert (done.serving_at, done.completed_at) == (
        NOW + dt.timedelta(minutes=1),
        NOW + dt.timedelta(minutes=9),
    )


def test_actions_refused_at_another_counter(hall, service, counter, clerk):
    console = Actor("console", clerk)
    other = make_counter(hall, 2, [service])
    walk_in(hall, service)
    ticket = calls.call_next(counter=counter, actor=console, now=NOW)

    refusals = []
    for action in (calls.recall, calls.start_serving, calls.park, calls.complete, calls.mark_no_show):
        with pytest.raises(QueueError) as error:
            action(ticket=ticket, actor=console, now=NOW, at_counter=other)
        refusals.append(error.value.message)

    assert set(refusals) == {"This ticket is at another counter."}
    ticket.refresh_from_db()
    assert (ticket.state, ticket.calls) == ("called", 1)


def test_parked_ticket_remembers_its_counter(hall, service, counter, clerk):
    console = Actor("console", clerk)
    walk_in(hall, service)
    ticket = calls.call_next(counter=counter, actor=console, now=NOW)

    parked = calls.park(ticket=ticket, actor=console, now=NOW, at_counter=counter)
    after = calls.call_next(counter=counter, actor=console, now=NOW)

    assert (parked.state, parked.counter) == ("parked", counter)
    assert after is None  # the counter is free again; nobody else waits


def test_walk_in_green_channel_note_kept(hall, service):
    ticket = walk_in(hall, service, green_channel="urgent", green_note="cremation tomorrow")

    assert (ticket.green_channel, ticket.green_note) == ("urgent", "cremation tomorrow")


def test_walk_in_bad_id_number_is_a_queue_error(hall, service):
    with pytest.raises(QueueError) as error:
        walk_in(hall, service, id_number="110105194912310021")

    assert (error.value.code, error.value.message) == (
        "invalid_id_number",
        "The last character does not match: please check the number on the card.",
    )
