"""Seats belong to the whole hall: kiosks issuing tickets of different services at the same moment, and
check-ins racing walk-ins, on PostgreSQL with real concurrent clients. Found by bench/province_day.py:
two tickets got the same seat (a 500 from the seat constraint) and a check-in deadlocked a walk-in."""

import datetime as dt
import threading
import time
from collections import Counter

import phonenumbers
import pytest
from django.db import connections, transaction
from django.db.models import Count

from appointments import services as booking_services
from appointments.models import Slot
from queueing import inside, services, walkins
from queueing.models import QueueRules, Ticket, WalkInQuota
from queueing.services import Actor
from tests.invariants import invariants_hold_after  # noqa: F401 (a fixture)
from tests.makers import make_hall, make_id_number, make_service, make_weekday_hours
from tests.queueing.test_races import NOW, rush

pytestmark = [
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants_hold_after"),
]

THREADS = 30


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS = False


@pytest.fixture
def hall():
    hall = make_hall(max_waiting_inside=1_000, seat_rows=10, seats_per_row=10)
    make_weekday_hours(hall)
    QueueRules.objects.create(hall=hall)
    return hall


def _services(hall):
    made = [make_service(hall, code=f"s{i}", prefix="AB"[i]) for i in range(2)]
    for service in made:
        WalkInQuota.objects.create(service=service, per_day=10_000, per_hour=10_000)
    return made


def _booking_codes(hall, service, n):
    slot = Slot.objects.create(
        hall=hall, service=service, date=NOW.date(), start=NOW, end=NOW + dt.timedelta(minutes=30), capacity=n
    )
    codes = []
    for i in range(n):
        citizen = booking_services.Citizen(
            name="王五", phone=phonenumbers.parse(f"1370000{i:04d}", "CN"), id_number=make_id_number(500 + i)
        )
        booking = booking_services.book(
            slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=NOW - dt.timedelta(days=1)
        )
        codes.append(booking.code)
    return codes


def _ticket_rush(hall, work_items):
    """Each item is ("walk_in", service id, serial) or ("check_in", code); one thread per item."""

    def run_one(item):
        from hall.models import Hall, Service

        fresh = Hall.objects.get(pk=hall.pk)
        if item[0] == "walk_in":
            service = Service.objects.get(pk=item[1])
            return walkins.issue_walk_in(
                hall=fresh, service=service, actor=Actor("kiosk"), now=NOW, id_number=make_id_number(item[2])
            ).ticket
        return services.check_in(hall=fresh, code=item[1], actor=Actor("kiosk"), now=NOW)

    outcomes = [""] * len(work_items)

    def work(rush_, i):
        outcomes[i] = rush_.run(lambda: run_one(work_items[i]))[0]

    rush(work, len(work_items))
    return Counter(outcomes)


def _seats_given_twice(hall):
    return list(
        Ticket.objects.filter(hall=hall, state="waiting", inside=True)
        .exclude(seat="")
        .values("seat")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )


def test_kiosks_issuing_tickets_of_two_services_at_once_never_share_a_seat(hall):
    first, second = _services(hall)
    items = [("walk_in", (first, second)[i % 2].pk, i) for i in range(THREADS)]

    outcomes = _ticket_rush(hall, items)

    assert outcomes == {"ok": THREADS}
    assert _seats_given_twice(hall) == []
    assert Ticket.objects.filter(hall=hall).exclude(seat="").count() == THREADS


def test_check_ins_racing_walk_ins_of_the_same_service_neither_fail_nor_deadlock(hall):
    first, second = _services(hall)
    codes = _booking_codes(hall, first, THREADS // 2)
    items = [("check_in", code) for code in codes]
    items += [("walk_in", (first, second)[i % 2].pk, i) for i in range(THREADS - len(codes))]

    outcomes = _ticket_rush(hall, items)

    assert outcomes == {"ok": THREADS}
    assert _seats_given_twice(hall) == []
    assert sorted(Ticket.objects.filter(service=first).values_list("sequence", flat=True)) == list(
        range(1, Ticket.objects.filter(service=first).count() + 1)
    )


def test_naive_seats_without_the_hall_lock_fail_requests(hall, monkeypatch):
    """Without the seats lock, and with a pause between choosing a seat and taking it, tickets of two
    services pick the same seat: the constraint refuses one of them with an error."""
    first, second = _services(hall)
    real_place = services.place

    def naive_place(hall_, date):
        found = real_place(hall_, date)
        time.sleep(0.05)
        return found

    monkeypatch.setattr(services, "lock_seats", lambda *args: None)
    monkeypatch.setattr(services, "place", naive_place)
    items = [("walk_in", (first, second)[i % 2].pk, i) for i in range(THREADS)]

    outcomes = _ticket_rush(hall, items)

    failed = sum(n for code, n in outcomes.items() if code.startswith("IntegrityError"))
    assert failed > 0
    assert outcomes["ok"] + failed == THREADS


def test_a_call_moving_someone_inside_skips_a_ticket_another_counter_is_calling(hall):
    """The seats lock holder must not wait for a ticket row another transaction holds: `_unlocked` skips
    it (asserted through the query it builds, on a row this test locks from another connection)."""
    first, _second = _services(hall)
    ticket = walkins.issue_walk_in(
        hall=hall, service=first, actor=Actor("kiosk"), now=NOW, id_number=make_id_number(1)
    ).ticket
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=ticket.pk)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    try:
        with transaction.atomic():
            skipped = inside._unlocked(ticket.pk).update(come_in_sent=True)
    finally:
        release.set()
        holder.join()
    assert skipped == 0
    with transaction.atomic():
        assert inside._unlocked(ticket.pk).update(come_in_sent=True) == 1
