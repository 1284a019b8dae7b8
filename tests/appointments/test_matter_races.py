"""Bookings with several services race single bookings for the same slots on a real PostgreSQL: no slot
beyond its capacity, and no partial visit (all its services booked, or none).

Deterministically (a competitor runs while the first request holds its places uncommitted, and the first
goes on once the competitor waits for its lock) and for real (threads released together, each with its own
connection, as in test_races.py)."""

import datetime as dt
import random
import threading
import time
import zoneinfo
from collections import Counter
from functools import partial

import phonenumbers
import pytest
from django.db import connections
from django.db.models import Count, Sum

from appointments import availability, services
from appointments.models import Booking, BookingMatter, CapacityOverride, Slot
from appointments.services import Actor, BookingError, Citizen
from hall.privacy import hash_id_number
from tests.invariants import invariants_hold_after  # noqa: F401 (a fixture)
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_weekday_hours
from tests.races import use_naive_booking_path, wait_until_blocked_by_me_or_done

pytestmark = [
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants_hold_after"),  # manage.py check_invariants finds nothing after each
]

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday morning
TUESDAY = dt.date(2026, 11, 24)
NINE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
WEB = Actor("web", ip="127.0.0.1")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS = False


def make_pair(capacity):
    """Services A and B, each with `capacity` places per window on Tuesday; their 9:00 slots."""
    hall = make_hall()
    make_weekday_hours(hall)
    pair = [
        make_service(hall, "id-renewal", "A"),
        make_service(hall, "certificate", "B", name_en="Certificate"),
    ]
    for n, service in enumerate(pair, start=1):
        make_counter(hall, n, [service])
        CapacityOverride.objects.create(service=service, date=TUESDAY, capacity=capacity)
        availability.sync_slots(service=service, date=TUESDAY)
    return pair, [Slot.objects.get(service=s, start=NINE) for s in pair]


def fresh(slot):
    return Slot.objects.select_related("hall", "service").get(pk=slot.pk)


def citizen(n):
    return Citizen(
        name="张三丰", phone=phonenumbers.parse(f"1380000{n:04d}", "CN"), id_number=make_id_number(n)
    )


def book(slot, n, also=()):
    return partial(services.book, slot=fresh(slot), citizen=citizen(n), also=list(also), actor=WEB, now=NOW)


def outcome(call) -> str:
    try:
        call()
    except BookingError as error:
        return error.code
    except Exception as error:  # noqa: BLE001 - a crash in a thread (a deadlock) must reach the assertion
        return repr(error)
    return "ok"


def rush(calls, threads=20) -> list[str]:
    """Run the calls from `threads` threads released together; outcomes in the order of `calls`."""
    outcomes = [""] * len(calls)
    barrier = threading.Barrier(threads)

    def work(first):
        try:
            barrier.wait(timeout=30)
            for i in range(first, len(calls), threads):
                outcomes[i] = outcome(calls[i])
        finally:
            connections.close_all()

    connections.close_all()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=90)
    assert not any(worker.is_alive() for worker in workers)
    return outcomes


def taken_and_held(slot) -> tuple[int, int]:
    """(taken, places that bookings hold in the slot, as first or further matter)."""
    first = Booking.objects.active().filter(slot=slot).aggregate(n=Sum("persons"))["n"] or 0
    further = BookingMatter.objects.filter(slot=slot, booking__state__in=["booked", "checked_in"]).aggregate(
        n=Sum("booking__persons")
    )["n"]
    return Slot.objects.get(pk=slot.pk).taken, first + (further or 0)


def compete(monkeypatch, competitor, after):
    """When the first request returns from `services.<after>` (not yet committed), run the competitor in
    another thread and go on once it waits for one of our locks (or is done)."""
    step = getattr(services, after)
    state = {"armed": True}

    def run():
        try:
            state["outcome"] = outcome(competitor)
        finally:
            connections.close_all()

    def step_then_compete(*args, **kwargs):
        result = step(*args, **kwargs)
        if state.pop("armed", False):
            state["thread"] = threading.Thread(target=run)
            state["thread"].start()
            state["waited"] = wait_until_blocked_by_me_or_done(state["thread"])
        return result

    monkeypatch.setattr(services, after, step_then_compete)
    return state


def finish(state):
    state["thread"].join(timeout=10)
    return state.get("outcome"), state["waited"]


def test_single_booking_waits_for_an_uncommitted_visit_then_refused(monkeypatch):
    (a, b), (slot_a, slot_b) = make_pair(1)
    race = compete(monkeypatch, book(slot_b, 2), after="_add_matters")

    first = outcome(book(slot_a, 1, also=[b]))

    assert (first, finish(race)) == ("ok", ("slot_full", True))
    assert (taken_and_held(slot_a), taken_and_held(slot_b)) == ((1, 1), (1, 1))


def test_visit_waits_for_an_uncommitted_single_booking_then_refused_taking_nothing(monkeypatch):
    (a, b), (slot_a, slot_b) = make_pair(1)
    race = compete(monkeypatch, book(slot_a, 2, also=[b]), after="_create_booking")

    first = outcome(book(slot_b, 1))

    assert (first, finish(race)) == ("ok", ("slot_full", True))
    assert (taken_and_held(slot_a), taken_and_held(slot_b)) == ((0, 0), (1, 1))
    assert BookingMatter.objects.count() == 0


def test_rush_of_visits_and_single_bookings_never_oversells_nor_books_part_of_a_visit():
    (a, b), (slot_a, slot_b) = make_pair(6)
    visits_ab = {n: book(slot_a, n, also=[b]) for n in range(1, 31)}
    visits_ba = {n: book(slot_b, n, also=[a]) for n in range(101, 121)}  # the other way round: no deadlock
    singles = [book(slot_a, n) for n in range(201, 231)] + [book(slot_b, n) for n in range(301, 331)]
    calls = [*visits_ab.values(), *visits_ba.values(), *singles]
    order = list(range(len(calls)))
    random.Random(9).shuffle(order)

    outcomes = dict(zip(order, rush([calls[i] for i in order]), strict=True))

    assert set(outcomes.values()) <= {"ok", "slot_full"}, Counter(outcomes.values())
    assert (taken_and_held(slot_a), taken_and_held(slot_b)) == ((6, 6), (6, 6))
    visitors = {hash_id_number(make_id_number(n)) for n in [*visits_ab, *visits_ba]}
    booked = list(Booking.objects.annotate(n=Count("matters")).values_list("id_hash", "n"))
    assert len(booked) == Counter(outcomes.values())["ok"]
    # Every visit booked has both its services; no single booking grew a further one.
    assert {n for id_hash, n in booked if id_hash in visitors} <= {1}
    assert {n for id_hash, n in booked if id_hash not in visitors} <= {0}


def test_naive_rush_of_visits_and_single_bookings_oversells(monkeypatch, settings):
    """The same rush on the check-then-write path (tests only): the bookings hold more places than the
    slots count, so the assertions above can fail."""
    use_naive_booking_path(monkeypatch)
    manager = type(Slot.objects)
    get = manager.get

    def slow_get(self, *args, **kwargs):
        slot = get(self, *args, **kwargs)
        time.sleep(0.02)
        return slot

    monkeypatch.setattr(manager, "get", slow_get)
    (a, b), (slot_a, slot_b) = make_pair(6)
    calls = [book(slot_a, n, also=[b]) for n in range(1, 21)] + [book(slot_b, n) for n in range(301, 321)]

    rush(calls)

    (taken_a, held_a), (taken_b, held_b) = taken_and_held(slot_a), taken_and_held(slot_b)
    assert held_a > taken_a or held_b > taken_b
