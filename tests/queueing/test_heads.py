"""Call-next reads only the heads of the lines; it must pick exactly what the whole queue would give."""

import datetime as dt
import random
import secrets

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from hall.services import assign_staff
from queueing import calls, heads, order
from queueing.models import Ticket, TicketKind
from queueing.services import Actor, waiting_items
from tests.makers import make_counter, make_hall, make_service

pytestmark = pytest.mark.django_db


def _tickets(hall, services, counters, rng, count, urgent=0.05):
    now = timezone.now()
    today = hall.local_date(now)
    made = []
    for n in range(1, count + 1):
        service = rng.choice(services)
        kind = rng.choice([TicketKind.APPOINTMENT, TicketKind.WALK_IN])
        made.append(
            Ticket(
                hall=hall,
                service=service,
                date=today,
                sequence=n,
                number=f"{service.prefix}{n:03d}",
                token=secrets.token_urlsafe(16),
                kind=kind,
                issued_at=now - dt.timedelta(minutes=rng.randrange(300)),
                booked_start=(
                    now + dt.timedelta(minutes=rng.randrange(-240, 90))
                    if kind == TicketKind.APPOINTMENT
                    else None
                ),
                green_channel="elderly" if rng.random() < urgent else "",
                for_counter=rng.choice(counters) if rng.random() < 0.05 else None,
                state=rng.choice(["waiting"] * 8 + ["done", "called"]),
            )
        )
    Ticket.objects.bulk_create(made)
    for ticket in rng.sample(made, int(count * urgent)):  # transferred: pointing at an earlier ticket
        Ticket.objects.filter(pk=ticket.pk).update(transferred_from=made[0])
    for ticket in rng.sample(made, int(count * urgent)):  # back in the queue for its next matter
        Ticket.objects.filter(pk=ticket.pk).update(requeued_at=now)
    return today, now


@pytest.mark.parametrize(("seed", "urgent"), [(1, 0.0), (2, 0.0), (3, 0.0), (4, 0.01), (5, 0.05)])
def test_heads_pick_what_the_whole_queue_picks(seed, urgent):
    """With and without green-channel and transferred tickets, which come before the other lines."""
    rng = random.Random(seed)
    hall = make_hall()
    services = [make_service(hall, code=f"s{i}", prefix="ABC"[i]) for i in range(3)]
    counters = [make_counter(hall, number=i + 1, services=rng.sample(services, 2)) for i in range(3)]
    today, now = _tickets(hall, services, counters, rng, 240, urgent)
    for counter in counters:
        served = [s.pk for s in counter.services.order_by("position", "id")]
        full = waiting_items(hall, today, served, counter)
        for limit in (1, 3, heads.LIMIT):
            found, _cut = heads.waiting_heads(hall, today, served, counter, limit=limit)
            assert {w.id for w in found} <= {w.id for w in full}
            for streak in range(4):
                kwargs = {
                    "services": served,
                    "now": now,
                    "appointments_per_walk_in": 2,
                    "calls_since_walk_in": streak,
                }
                assert order.next_for_counter(found, **kwargs) == order.next_for_counter(full, **kwargs)


def test_heads_skip_tickets_another_counter_is_claiming_and_say_when_a_line_was_cut():
    rng = random.Random(7)
    hall = make_hall()
    service = make_service(hall)
    counter = make_counter(hall, services=[service])
    today, now = _tickets(hall, [service], [counter], rng, 60, urgent=0)
    full = waiting_items(hall, today, [service.pk], counter)
    kwargs = {"services": [service.pk], "now": now}
    first = order.next_for_counter(full, **kwargs)

    found, cut = heads.waiting_heads(hall, today, [service.pk], counter, skip=[first.id], limit=2)

    rest = [w for w in full if w.id != first.id]
    assert first.id not in {w.id for w in found}
    assert order.next_for_counter(found, **kwargs) == order.next_for_counter(rest, **kwargs)
    assert cut == {(order.APPOINTMENTS, service.pk), (order.WALK_INS, service.pk)}
    assert heads.waiting_heads(hall, today, [service.pk], counter, limit=1000)[1] == frozenset()


def test_a_counter_that_skipped_every_ticket_read_of_a_line_reads_it_again_before_choosing(monkeypatch):
    """Read one deep, the appointments' line looks empty once its head is being claimed by another counter;
    the next due appointment, not the walk-in, is still the one to call (two appointments to a walk-in)."""
    monkeypatch.setattr(heads, "LIMIT", 1)
    hall = make_hall()
    service = make_service(hall)
    counter = make_counter(hall, services=[service])
    clerk = User.objects.create(username="clerk")
    assign_staff(user=clerk, hall=hall, role="clerk")
    actor = Actor("console", clerk)
    now = timezone.now()
    calls.open_counter(counter=counter, actor=actor, now=now)
    made = [
        Ticket.objects.create(
            hall=hall,
            service=service,
            date=hall.local_date(now),
            sequence=n,
            number=f"A{n:03d}",
            token=secrets.token_urlsafe(16),
            kind=kind,
            issued_at=now - dt.timedelta(minutes=30 - n),
            booked_start=now - dt.timedelta(minutes=10 - n) if kind == TicketKind.APPOINTMENT else None,
        )
        for n, kind in enumerate([TicketKind.WALK_IN, TicketKind.APPOINTMENT, TicketKind.APPOINTMENT], 1)
    ]
    _walk_in, claimed_elsewhere, due_next = made
    claim = calls._claim

    def another_counter_claims(ticket_id, counter, now, event):
        return (None, None) if ticket_id == claimed_elsewhere.pk else claim(ticket_id, counter, now, event)

    monkeypatch.setattr(calls, "_claim", another_counter_claims)

    called = calls.call_next(counter=counter, actor=actor, now=now)

    assert called.number == due_next.number
