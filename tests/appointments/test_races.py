"""Invariant 1 (a slot never holds more than its capacity) and "one active booking per ID number and
service", under concurrent clients on a real PostgreSQL.

Each race is tested three ways (STYLE.md, "Races are tested twice"):
- deterministically: a competing request is run in a second thread while the first one holds its places
  uncommitted, and the first one goes on only when the competitor waits for it (pg_locks) or is done;
- for real: many threads released together by a barrier, each thread with its own connection;
- against the naive path of tests.races.use_naive_booking_path (read, then write; no per-person lock),
  where the same test must see the invariant broken, to show that the real race tests can fail at all.

Concurrency: Django gives each thread its own connection, taken from the process's psycopg pool
(DATABASE_POOL_MAX, 20 by default; PostgreSQL here allows 100 connections, so the tests stay within the
pool rather than raise it: CI runs `python3 dev.py test` with only DATABASE_URL set). A rush starts up to
50 threads at once; the first 20 get a connection and the others wait in the pool (DATABASE_POOL_TIMEOUT,
10 s) until a thread has run its share of the requests (200 requests: 4 per thread) and hands its
connection back. So 20 transactions at a time contend for one or two hot slot rows: measured on the
2-core machine, 20 requests in flight at the peak in the 200- and 50-request rushes and 17 of 17 in the
rescheduling rush (`Rush.peak`, asserted to be at least 8 so that a rush that degenerated into one
request at a time cannot pass unnoticed). Without the pool (DATABASE_POOL=false) each thread opens its
own connection: at most 51.
"""

import datetime as dt
import random
import threading
import time
import zoneinfo
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

import phonenumbers
import pytest
from django.db import connection, connections
from django.db.models import Sum

from appointments import availability, services
from appointments.models import Booking, BookingState, PlaceHold, Slot
from appointments.services import Actor, BookingError, Citizen
from hall.privacy import hash_id_number
from tests.invariants import invariants_hold_after  # noqa: F401 (a fixture)
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_weekday_hours
from tests.races import use_naive_booking_path, wait_until_blocked_by_me_or_done

pytestmark = [
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants_hold_after"),
]

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday morning: holds made now are not released
TUESDAY = dt.date(2026, 11, 24)
WEB = Actor("web", ip="127.0.0.1")
RUSH_THREADS = 50
MIN_PEAK = 8


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS = False


@pytest.fixture
def service():
    hall = make_hall()
    make_weekday_hours(hall)
    service = make_service(hall, average_handling_minutes=10)
    make_counter(hall, 1, [service])
    return service


def make_slots(service, *capacities) -> list[Slot]:
    """The first slots of Tuesday, with the given capacities."""
    slots = availability.day_availability(service=service, date=TUESDAY, now=NOW).slots[: len(capacities)]
    for slot, capacity in zip(slots, capacities, strict=True):
        Slot.objects.filter(pk=slot.pk).update(capacity=capacity)
    return [fresh(slot) for slot in slots]


def fresh(slot: Slot) -> Slot:
    """A copy of the slot for one request, as a request would load it (threads share no instances)."""
    return Slot.objects.select_related("hall", "service").filter(pk=slot.pk).first()


def citizen(n: int, phone: int | None = None) -> Citizen:
    number = phonenumbers.parse(f"1380000{n if phone is None else phone:04d}", "CN")
    return Citizen(name="张三丰", phone=number, id_number=make_id_number(n))


def book(slot: Slot, n: int, phone: int | None = None):
    return partial(services.book, slot=fresh(slot), citizen=citizen(n, phone), actor=WEB, now=NOW)


def reschedule(booking: Booking, slot: Slot):
    return partial(services.reschedule_booking, booking=booking, slot=fresh(slot), actor=WEB, now=NOW)


def outcome(call) -> str:
    """Return "ok", the BookingError's code, or the repr of any other error (exact assertions show it)."""
    try:
        call()
    except BookingError as error:
        return error.code
    except Exception as error:  # noqa: BLE001 - a crash in a thread must reach the assertion
        return repr(error)
    return "ok"


@dataclass
class Rush:
    outcomes: list[str]
    peak: int = 0  # the most requests that were in flight at the same time, each on its own connection
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, call) -> str:
        connection.ensure_connection()  # waiting for the pool is not being in flight
        with self._lock:
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        try:
            return outcome(call)
        finally:
            with self._lock:
                self._in_flight -= 1


def rush(calls, threads: int = RUSH_THREADS) -> Rush:
    """Run the calls from `threads` threads released together; thread i runs calls i, i + threads, ...

    Returns the outcomes in the order of `calls`.
    """
    threads = min(threads, len(calls))
    result = Rush(outcomes=[""] * len(calls))
    barrier = threading.Barrier(threads)

    def work(first: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(first, len(calls), threads):
                result.outcomes[i] = result.run(calls[i])
        finally:
            connections.close_all()

    connections.close_all()  # hand this thread's connection back to the pool for the rush
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers)
    return result


def places_accounted(slot: Slot) -> int:
    """Places that something holds: active bookings' persons and places on hold (not held-back ones)."""
    booked = Booking.objects.active().filter(slot=slot, uses_held_back=False).aggregate(n=Sum("persons"))
    held = PlaceHold.objects.filter(slot=slot, held_back=False).aggregate(n=Sum("persons"))
    return (booked["n"] or 0) + (held["n"] or 0)


def taken_and_accounted(slots) -> list[tuple[int, int, int]]:
    """(taken, places accounted for, capacity) per slot, from the database."""
    return [
        (s.taken, places_accounted(s), s.capacity)
        for s in Slot.objects.filter(pk__in=[s.pk for s in slots]).order_by("start")
    ]


def widen_naive_window(monkeypatch, seconds: float = 0.02) -> None:
    """Pause after every slot read, so that the naive check-then-write loses the race every time rather
    than by luck. Production code is unchanged; the guarded path reads no slot and is not slowed."""
    manager = type(Slot.objects)
    get = manager.get

    def slow_get(self, *args, **kwargs):
        slot = get(self, *args, **kwargs)
        time.sleep(seconds)
        return slot

    monkeypatch.setattr(manager, "get", slow_get)


@contextmanager
def without_one_booking_per_service():
    """Drop the partial unique index for the block. The schema outlives the flush of a transactional test,
    so the index is put back however the block ends, after cancelling the bookings that would break it."""
    (constraint,) = [
        c for c in Booking._meta.constraints if c.name == "one_active_booking_per_id_per_service"
    ]
    with connection.schema_editor() as editor:
        editor.remove_constraint(Booking, constraint)
    try:
        yield
    finally:
        Booking.objects.update(state=BookingState.CANCELLED)
        with connection.schema_editor() as editor:
            editor.add_constraint(Booking, constraint)


def compete(monkeypatch, competitor, after: str = "_take_places") -> dict:
    """Interleave: when the first request has returned from the service step `after` (its places taken,
    or its booking row written, not yet committed), run `competitor` in another thread; the first request
    goes on once the competitor waits for one of its locks or is done.

    Returns a dict whose "finish" joins the competitor and returns its outcome; "waited" says whether the
    competitor had to wait for the first request.
    """
    step = getattr(services, after)
    state = {"armed": True}

    def run_competitor():
        try:
            state["outcome"] = outcome(competitor)
        finally:
            connections.close_all()

    def step_then_compete(*args, **kwargs):
        result = step(*args, **kwargs)
        if state.pop("armed", False):
            state["thread"] = threading.Thread(target=run_competitor)
            state["thread"].start()
            state["waited"] = wait_until_blocked_by_me_or_done(state["thread"])
        return result

    def finish():
        state["thread"].join(timeout=10)
        return state.get("outcome")

    monkeypatch.setattr(services, after, step_then_compete)
    state["finish"] = finish
    return state


def test_book_waits_for_uncommitted_last_place_then_refused(service, monkeypatch):
    (slot,) = make_slots(service, 1)
    race = compete(monkeypatch, book(slot, 2))

    first = outcome(book(slot, 1))

    assert (first, race["finish"]()) == ("ok", "slot_full")
    assert taken_and_accounted([slot]) == [(1, 1, 1)]


def test_naive_book_reads_past_uncommitted_last_place_and_oversells(service, monkeypatch, settings):
    use_naive_booking_path(monkeypatch)
    (slot,) = make_slots(service, 1)
    race = compete(monkeypatch, book(slot, 2))

    first = outcome(book(slot, 1))

    assert (first, race["finish"]()) == ("ok", "ok")
    assert taken_and_accounted([slot]) == [(1, 2, 1)]


def test_book_rush_fills_slot_to_capacity_exactly(service):
    (slot,) = make_slots(service, 20)

    result = rush([book(slot, n) for n in range(1, 201)])

    assert Counter(result.outcomes) == {"ok": 20, "slot_full": 180}
    assert taken_and_accounted([slot]) == [(20, 20, 20)]
    assert result.peak >= MIN_PEAK


def test_naive_book_rush_oversells(service, monkeypatch, settings):
    use_naive_booking_path(monkeypatch)
    widen_naive_window(monkeypatch)
    (slot,) = make_slots(service, 20)

    result = rush([book(slot, n) for n in range(1, 201)])

    ((taken, accounted, capacity),) = taken_and_accounted([slot])
    assert result.outcomes.count("ok") == accounted > capacity >= taken


def test_book_same_id_waits_for_person_lock_then_refused(service, monkeypatch):
    first_slot, other_slot = make_slots(service, 5, 5)
    race = compete(monkeypatch, book(other_slot, 1, phone=2), after="_create_booking")

    first = outcome(book(first_slot, 1, phone=1))

    assert (first, race["finish"]()) == ("ok", "duplicate_booking")
    assert taken_and_accounted([first_slot, other_slot]) == [(1, 1, 5), (0, 0, 5)]


def test_naive_book_same_id_stopped_by_unique_constraint(service, monkeypatch, settings):
    use_naive_booking_path(monkeypatch)
    first_slot, other_slot = make_slots(service, 5, 5)
    race = compete(monkeypatch, book(other_slot, 1, phone=2), after="_create_booking")

    first = outcome(book(first_slot, 1, phone=1))

    assert (first, race["finish"]()) == ("ok", "duplicate_booking")
    assert taken_and_accounted([first_slot, other_slot]) == [(1, 1, 5), (0, 0, 5)]


def test_naive_book_same_id_without_constraint_books_twice(service, monkeypatch, settings):
    use_naive_booking_path(monkeypatch)
    first_slot, other_slot = make_slots(service, 5, 5)
    race = compete(monkeypatch, book(other_slot, 1, phone=2), after="_create_booking")

    with without_one_booking_per_service():
        first = outcome(book(first_slot, 1, phone=1))
        second = race["finish"]()
        active = Booking.objects.active().filter(id_hash=hash_id_number(make_id_number(1))).count()

    assert (first, second, active) == ("ok", "ok", 2)


def test_book_rush_one_id_number_books_once(service):
    slots = make_slots(service, *[50] * 10)

    result = rush([book(slots[n % 10], 1, phone=n) for n in range(50)])

    refusals = Counter(o for o in result.outcomes if o != "ok")
    assert result.outcomes.count("ok") == 1
    assert set(refusals) <= {"duplicate_booking", "limit_reached"}
    assert sum(refusals.values()) == 49
    assert sum(taken for taken, _accounted, _capacity in taken_and_accounted(slots)) == 1
    assert Booking.objects.active().count() == 1
    assert result.peak >= MIN_PEAK


def test_naive_book_rush_one_id_number_without_constraint_books_many(service, monkeypatch, settings):
    use_naive_booking_path(monkeypatch)
    widen_naive_window(monkeypatch)
    slots = make_slots(service, *[50] * 10)

    with without_one_booking_per_service():
        result = rush([book(slots[n % 10], 1, phone=n) for n in range(50)])
        active = Booking.objects.active().filter(id_hash=hash_id_number(make_id_number(1))).count()

    assert result.outcomes.count("ok") == active > 1


@pytest.mark.parametrize("mover_first", [True, False], ids=["reschedule-first", "booking-first"])
def test_reschedule_and_booking_race_for_last_place(service, monkeypatch, mover_first):
    slot_a, slot_b = make_slots(service, 1, 1)
    mover = services.book(slot=fresh(slot_a), citizen=citizen(1), actor=WEB, now=NOW)
    calls = [reschedule(mover, slot_b), book(slot_b, 2)]
    first_call, competitor = calls if mover_first else calls[::-1]
    race = compete(monkeypatch, competitor)

    first = outcome(first_call)

    mover.refresh_from_db()
    assert (first, race["finish"]()) == ("ok", "slot_full")
    assert mover.slot_id == (slot_b.pk if mover_first else slot_a.pk)
    assert taken_and_accounted([slot_a, slot_b]) == [(1, 1, 1), (1, 1, 1)]


def test_naive_reschedule_and_booking_both_get_last_place(service, monkeypatch, settings):
    use_naive_booking_path(monkeypatch)
    slot_a, slot_b = make_slots(service, 1, 1)
    mover = services.book(slot=fresh(slot_a), citizen=citizen(1), actor=WEB, now=NOW)
    race = compete(monkeypatch, book(slot_b, 2))

    first = outcome(reschedule(mover, slot_b))

    assert (first, race["finish"]()) == ("ok", "ok")
    assert taken_and_accounted([slot_a, slot_b]) == [(1, 1, 1), (1, 2, 1)]


@pytest.mark.parametrize("change", ["reschedule", "cancel"])
def test_changing_a_booking_does_not_hold_up_bookings_in_other_slots(service, monkeypatch, change):
    slot_a, slot_b, slot_c = make_slots(service, 1, 1, 1)
    mover = services.book(slot=fresh(slot_a), citizen=citizen(1), actor=WEB, now=NOW)
    race = compete(monkeypatch, book(slot_c, 2), after="_hold")

    if change == "reschedule":
        first = outcome(reschedule(mover, slot_b))
    else:
        first = outcome(partial(services.cancel_booking, booking=mover, actor=WEB, now=NOW))

    assert (first, race["finish"](), race["waited"]) == ("ok", "ok", False)


def rescheduling_rush(service):
    """Three bookings in slot A (capacity 5) move to slot B (capacity 10) while ten citizens book B and
    four book A, all at once. Moved-away places stay on hold (not back on sale before `NOW` + 10 min)."""
    slot_a, slot_b = make_slots(service, 5, 10)
    movers = [services.book(slot=fresh(slot_a), citizen=citizen(n), actor=WEB, now=NOW) for n in (1, 2, 3)]
    to_b = [reschedule(m, slot_b) for m in movers] + [book(slot_b, n) for n in range(10, 20)]
    to_a = [book(slot_a, n) for n in range(20, 24)]
    calls = to_b + to_a
    random.Random(3).shuffle(calls)  # a fixed order in which the reschedules are not all first
    result = rush(calls)
    by_call = dict(zip(map(id, calls), result.outcomes, strict=True))
    return (
        slot_a,
        slot_b,
        Counter(by_call[id(c)] for c in to_b),
        Counter(by_call[id(c)] for c in to_a),
        result,
    )


def test_reschedule_rush_against_bookings_loses_no_place(service):
    slot_a, slot_b, to_b, to_a, result = rescheduling_rush(service)

    assert (to_b, to_a) == ({"ok": 10, "slot_full": 3}, {"ok": 2, "slot_full": 2})
    assert taken_and_accounted([slot_a, slot_b]) == [(5, 5, 5), (10, 10, 10)]
    assert result.peak >= MIN_PEAK


def test_naive_reschedule_rush_against_bookings_loses_places(service, monkeypatch, settings):
    use_naive_booking_path(monkeypatch)
    widen_naive_window(monkeypatch)

    slot_a, slot_b, to_b, _to_a, _result = rescheduling_rush(service)

    (_a, (taken_b, accounted_b, _capacity)) = taken_and_accounted([slot_a, slot_b])
    assert to_b["ok"] == accounted_b > taken_b
