"""Scheduling a home visit while citizens book the same slots, with real concurrent clients on PostgreSQL:
the visit lowers capacity only under the slots' row locks, so no slot ever holds more than it offers and
no booking is dropped (tests/races.py; the booking side is tests/appointments/test_races.py)."""

import threading
from functools import partial

import phonenumbers
import pytest
from django.db import connection, connections, transaction

from appointments import availability
from appointments import services as booking_services
from appointments.models import Booking, Slot
from homevisits import services
from homevisits.models import HomeVisit, VisitState
from tests.homevisits.helpers import NOW, TUESDAY, at, expected, make_setting, make_visit, schedule
from tests.makers import make_id_number
from tests.races import wait_until_blocked_by_me_or_done

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20  # within the connection pool (DATABASE_POOL_MAX, 20 by default)
AWAY = [at(10), at(10, 30), at(11)]


@pytest.fixture
def setting():
    return make_setting()


def slots_of(service) -> list[Slot]:
    availability.sync_slots(service=service, date=TUESDAY)
    return list(Slot.objects.select_related("hall", "service").filter(service=service, start__in=AWAY))


def book(slot: Slot, n: int):
    citizen = booking_services.Citizen(
        name="张三", phone=phonenumbers.parse(f"1380000{n:04d}", "CN"), id_number=make_id_number(n)
    )
    fresh = Slot.objects.select_related("hall", "service").get(pk=slot.pk)
    return partial(
        booking_services.book, slot=fresh, citizen=citizen, actor=booking_services.Actor("web"), now=NOW
    )


def outcome(call) -> str:
    try:
        call()
    except (booking_services.BookingError, services.VisitError) as error:
        return error.code
    except Exception as error:  # noqa: BLE001 - a crash in a thread must reach the assertion
        return repr(error)
    return "ok"


def in_thread(call) -> tuple[threading.Thread, dict]:
    result = {}

    def run():
        try:
            result["outcome"] = outcome(call)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def state_of(slots) -> list[tuple[int, int, int]]:
    """(taken, active bookings, capacity) per slot."""
    rows = Slot.objects.filter(pk__in=[s.pk for s in slots]).order_by("start")
    return [(s.taken, Booking.objects.active().filter(slot=s).count(), s.capacity) for s in rows]


def test_booking_waits_for_the_visit_being_scheduled_then_meets_the_lowered_capacity(setting):
    first, *_ = slots_of(setting.service)
    assert outcome(book(first, 1)) == "ok"
    visit = make_visit(setting)

    with transaction.atomic():
        schedule(setting, visit)  # slots locked and lowered, not yet committed
        thread, result = in_thread(book(first, 2))
        waited = wait_until_blocked_by_me_or_done(thread)
    thread.join(timeout=10)

    assert (waited, result["outcome"]) == (True, "slot_full")
    assert state_of([first]) == [(1, 1, expected(1)[0])]


def test_visit_waits_for_a_booking_being_made_then_counts_it_and_refuses(setting, monkeypatch):
    first, *_ = slots_of(setting.service)
    assert outcome(book(first, 1)) == "ok"
    visit = make_visit(setting)
    take = booking_services._take_places
    race = {}

    def take_then_schedule(*args, **kwargs):
        taken = take(*args, **kwargs)
        race["thread"], race["result"] = in_thread(
            partial(schedule, setting, HomeVisit.objects.get(pk=visit.pk))
        )
        race["waited"] = wait_until_blocked_by_me_or_done(race["thread"])
        return taken

    monkeypatch.setattr(booking_services, "_take_places", take_then_schedule)
    second = outcome(book(first, 2))
    race["thread"].join(timeout=10)

    # Two booked, one counter left offers one place: the visit is refused, the bookings stay.
    assert (second, race["waited"], race["result"]["outcome"]) == ("ok", True, "windows_full")
    assert state_of([first]) == [(2, 2, expected(3)[0])]
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED


def test_booking_rush_while_a_visit_is_scheduled_never_exceeds_the_lowered_capacity(setting):
    slots = slots_of(setting.service)
    visit = make_visit(setting)
    calls = [partial(schedule, setting, visit)] + [book(slots[n % 3], n + 1) for n in range(3 * THREADS - 1)]
    outcomes = [""] * len(calls)
    barrier = threading.Barrier(THREADS)
    in_flight = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def work(first: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(first, len(calls), THREADS):
                connection.ensure_connection()
                with lock:
                    in_flight["now"] += 1
                    in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
                outcomes[i] = outcome(calls[i])
                with lock:
                    in_flight["now"] -= 1
        finally:
            connections.close_all()

    connections.close_all()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert not any(worker.is_alive() for worker in workers)
    assert in_flight["peak"] >= 8
    assert set(outcomes[1:]) <= {"ok", "slot_full"}
    visit.refresh_from_db()
    result = state_of(slots)
    if outcomes[0] == "ok":  # the visit got in first or between bookings: one counter is left
        assert visit.state == VisitState.SCHEDULED
        assert [capacity for _t, _b, capacity in result] == [expected(1)[0]] * 3
    else:  # enough bookings got in first: the visit was refused, nothing lowered
        assert (outcomes[0], visit.state) == ("windows_full", VisitState.REQUESTED)
        assert [capacity for _t, _b, capacity in result] == [expected(3)[0]] * 3
    assert all(taken == booked <= capacity for taken, booked, capacity in result)
    assert outcomes[1:].count("ok") == sum(booked for _t, booked, _c in result)


def test_visit_scheduled_before_the_rush_lowers_what_the_rush_can_take(setting):
    slots = slots_of(setting.service)
    schedule(setting, make_visit(setting))
    calls = [book(slots[n % 3], n + 1) for n in range(3 * THREADS)]
    outcomes = [""] * len(calls)
    barrier = threading.Barrier(THREADS)

    def work(first: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(first, len(calls), THREADS):
                outcomes[i] = outcome(calls[i])
        finally:
            connections.close_all()

    connections.close_all()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    one = expected(1)[0]
    assert (outcomes.count("ok"), outcomes.count("slot_full")) == (3 * one, 3 * THREADS - 3 * one)
    assert state_of(slots) == [(one, one, one)] * 3


def test_slots_read_before_a_visit_committed_do_not_write_its_capacity_back(setting):
    slots = slots_of(setting.service)
    visit = make_visit(setting)
    stale = Slot.objects.filter(pk__in=[s.pk for s in slots])
    stale.update(capacity=expected(3)[0] + 1)  # a change of hours makes these slots stale for the reader

    with transaction.atomic():
        schedule(setting, visit)
        thread, result = in_thread(lambda: availability.sync_slots(service=setting.service, date=TUESDAY))
        waited = wait_until_blocked_by_me_or_done(thread)
    thread.join(timeout=10)

    assert (waited, result["outcome"]) == (True, "ok")
    assert [capacity for _t, _b, capacity in state_of(slots)] == [expected(1)[0]] * 3
