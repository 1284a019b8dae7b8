"""Invariants 2 (a waiting ticket is called by at most one counter; a counter serves at most one ticket at a
time) and 3 (ticket numbers are unique per hall, service and day, without gaps from failed requests),
under concurrent clients on a real PostgreSQL.

Each race is tested three ways (STYLE.md, "Races are tested twice"):
- deterministically: the competing request runs in a second thread while the first holds its claim or its
  number uncommitted, and the first goes on only when the competitor waits for it (pg_locks) or is done;
- for real: threads released together by a barrier, each thread with its own database connection;
- against a naive step patched in by the test (a check-then-write claim, a max(sequence) + 1 number), where
  the same test must see the invariant broken, to show that the real race tests can fail at all.

Concurrency: each thread takes its own connection from the process's psycopg pool (DATABASE_POOL_MAX, 20
by default; PostgreSQL here allows 100 connections). The call-next rush runs 20 threads, one per counter,
so 20 transactions are in flight at once; the walk-in rush starts 40 threads, of which 20 hold a connection
while the others wait in the pool (DATABASE_POOL_TIMEOUT, 10 s) until a thread hands one back. `Rush.peak`
counts the requests in flight at the same time and is asserted to be at least 8, so that a rush that
degenerated into one request at a time cannot pass unnoticed.
"""

import datetime as dt
import threading
import time
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.db.models import Max

from hall import models as hall_models
from hall import services as hall_services
from hall.models import Hall, Service
from queueing import calls, statements, walkins
from queueing.models import (
    CounterSession,
    DaySequence,
    QueueRules,
    Ticket,
    TicketEvent,
    TicketState,
    WalkInQuota,
)
from queueing.services import Actor, QueueError
from tests.invariants import invariants_hold_after  # noqa: F401 (a fixture)
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_weekday_hours
from tests.queueing.helpers import waiting_walk_ins
from tests.races import all_at_once, wait_until_blocked_by_me_or_done

pytestmark = [
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("invariants_hold_after"),
]

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)  # Tuesday morning
COUNTERS = 20
CALLS_PER_COUNTER = 50
WAITING = 500
WALK_INS = 200
WALK_IN_THREADS = 40
MIN_PEAK = 8
NAIVE_PAUSE = 0.02  # seconds between the naive read and its write: every competitor reads the same thing


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS = False


@pytest.fixture
def hall():
    hall = make_hall(max_waiting_inside=10_000, seat_rows=0, seats_per_row=0)
    make_weekday_hours(hall)
    # Hundreds of walk-ins at one instant with no counter open: the estimate's stop (tests/queueing/
    # test_hours.py) would end the rush long before its numbers are tested.
    QueueRules.objects.create(hall=hall, recall_limit=3, stop_by_estimate=False)
    return hall


@pytest.fixture
def service(hall):
    service = make_service(hall)
    WalkInQuota.objects.create(service=service, per_day=10_000, per_hour=10_000)
    return service


def open_counters(hall, service, n) -> list[tuple[int, Actor]]:
    """n open counters serving `service`, each staffed by its own clerk: (counter id, actor) pairs."""
    staffed = []
    for number in range(1, n + 1):
        counter = make_counter(hall, number, [service])
        # No password: hashing 20 of them would take longer than the rush.
        user = User.objects.create(username=f"clerk{number}")
        hall_services.assign_staff(user=user, hall=hall, role="clerk")
        actor = Actor("api", user)
        calls.open_counter(counter=counter, actor=actor, now=NOW)
        staffed.append((counter.pk, actor))
    return staffed


def waiting_tickets(hall, service, n) -> list[int]:
    return waiting_walk_ins(hall, service, n, NOW)


def counter_of(counter_id: int):
    """A fresh counter for one request, as a request would load it (threads share no instances)."""
    return hall_models.Counter.objects.select_related("hall").get(pk=counter_id)


def outcome(call) -> tuple[str, object]:
    """("ok", result), (QueueError code, None) or (repr of any other error, None)."""
    try:
        return "ok", call()
    except QueueError as error:
        return error.code, None
    except Exception as error:  # noqa: BLE001 - a crash in a thread must reach the assertion
        return repr(error), None


@dataclass
class Rush:
    peak: int = 0  # the most requests in flight at the same time, each on its own connection
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, call) -> tuple[str, object]:
        connection.ensure_connection()  # waiting for the pool is not being in flight
        with self._lock:
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        try:
            return outcome(call)
        finally:
            with self._lock:
                self._in_flight -= 1


def rush(work, threads: int, timeout: float = 60) -> Rush:
    """Run work(rush, i) in `threads` threads released together by a barrier."""
    result = Rush()
    all_at_once(lambda i: work(result, i), threads, timeout)
    return result


# Invariant 2: call-next


def call_and_complete(staffed, rounds: int, log: list, call=None):
    """Per counter: call next (by `call`, by default `call_next`), then complete what was called, `rounds`
    times; log (counter, outcome)."""
    call = call or call_next

    def work(rush_: Rush, i: int) -> None:
        counter_id, actor = staffed[i]
        for _round in range(rounds):
            code, ticket = rush_.run(call(counter_id, actor))
            log.append((counter_id, "nobody" if code == "ok" and ticket is None else code))
            if ticket is not None:
                code, _done = rush_.run(lambda t=ticket: calls.complete(ticket=t, actor=actor, now=NOW))
                if code != "ok":
                    log.append((counter_id, f"complete: {code}"))

    return work


def calls_per_ticket(ticket_ids) -> Counter:
    called = TicketEvent.objects.filter(ticket_id__in=ticket_ids, to_state=TicketState.CALLED)
    return Counter(called.values_list("ticket_id", flat=True))


def counters_serve_one_at_a_time() -> bool:
    """From the history: at each counter, every call is followed by the completion of the same ticket
    before the next call, so no counter ever held two tickets."""
    for session in CounterSession.objects.all():
        events = TicketEvent.objects.filter(counter_id=session.counter_id).order_by("at", "id")
        held = None
        for event in events.values("ticket_id", "to_state"):
            if event["to_state"] == TicketState.CALLED:
                if held is not None:
                    return False
                held = event["ticket_id"]
            elif event["to_state"] == TicketState.DONE:
                if held != event["ticket_id"]:
                    return False
                held = None
    return True


def test_call_next_rush_calls_each_ticket_exactly_once(hall, service):
    """20 counters × 50 call-next requests, 20 in flight at once, over 500 waiting tickets."""
    staffed = open_counters(hall, service, COUNTERS)
    tickets = waiting_tickets(hall, service, WAITING)
    log = []

    result = rush(call_and_complete(staffed, CALLS_PER_COUNTER, log), COUNTERS, timeout=120)

    outcomes = Counter(code for _counter, code in log)
    assert outcomes == {"ok": WAITING, "nobody": COUNTERS * CALLS_PER_COUNTER - WAITING}
    assert set(calls_per_ticket(tickets).values()) == {1}
    assert len(calls_per_ticket(tickets)) == WAITING
    assert Counter(Ticket.objects.values_list("state", flat=True)) == {"done": WAITING}
    assert counters_serve_one_at_a_time()
    assert result.peak >= MIN_PEAK


def test_call_next_rush_through_the_api_s_glance_calls_each_ticket_exactly_once(hall, service):
    """The same rush, each call with the glance that the API's call-next reads with its counter (an empty
    queue answered without a transaction): half of the calls find nobody, while others still claim."""
    staffed = open_counters(hall, service, COUNTERS)
    tickets = waiting_tickets(hall, service, WAITING)
    log = []

    result = rush(
        call_and_complete(staffed, CALLS_PER_COUNTER, log, glancing_call_next), COUNTERS, timeout=120
    )

    outcomes = Counter(code for _counter, code in log)
    assert outcomes == {"ok": WAITING, "nobody": COUNTERS * CALLS_PER_COUNTER - WAITING}
    assert set(calls_per_ticket(tickets).values()) == {1}
    assert len(calls_per_ticket(tickets)) == WAITING
    assert Counter(Ticket.objects.values_list("state", flat=True)) == {"done": WAITING}
    assert counters_serve_one_at_a_time()
    assert result.peak >= MIN_PEAK


def glancing_call_next(counter_id: int, actor: Actor):
    """A call-next as the API makes it: the counter read with its glance (statements.counter_to_call)."""

    def call():
        counter, glance = statements.counter_to_call(counter_id, counter_of(counter_id).hall.local_date(NOW))
        return calls.call_next(counter=counter, actor=actor, now=NOW, glance=glance)

    return call


def naive_claim(between=lambda: time.sleep(NAIVE_PAUSE)):
    """Check, then write: reads the ticket's state, and claims it whatever the state is by then. The pause
    `between` the two lets every competitor read the same state, so that the race is lost every time."""

    def claim(ticket_id, counter, now, event):
        state = Ticket.objects.filter(pk=ticket_id).values_list("state", flat=True).first()
        if state != TicketState.WAITING:
            return None, None
        between()
        Ticket.objects.filter(pk=ticket_id).update(
            state=TicketState.CALLED, counter=counter, calls=1, called_at=now
        )
        event.save()  # the call's record, as the claim writes it
        return Ticket.objects.get(pk=ticket_id), None  # None: nobody looked outside

    return claim


def test_naive_call_next_rush_calls_tickets_twice(hall, service, monkeypatch):
    monkeypatch.setattr(calls, "_claim", naive_claim())
    staffed = open_counters(hall, service, COUNTERS)
    tickets = waiting_tickets(hall, service, 20)

    rush(call_and_complete(staffed, 1, []), COUNTERS)  # one round: all 20 windows read the same head ticket

    per_ticket = calls_per_ticket(tickets)
    assert max(per_ticket.values()) > 1
    assert sum(per_ticket.values()) > len(per_ticket)


class Competitor:
    """A competing request, run in another thread at one chosen point of the first request: the first
    goes on once the competitor waits for one of its locks (`waited`) or is done."""

    def __init__(self, call):
        self.call, self.armed, self.waited, self.result = call, True, None, None

    def interleave(self) -> None:
        if not self.armed:
            return  # the competitor passes the same point without stopping
        self.armed = False
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        self.waited = wait_until_blocked_by_me_or_done(self.thread)

    def _run(self) -> None:
        try:
            self.result = outcome(self.call)
        finally:
            connections.close_all()

    def finish(self) -> tuple[str, object]:
        self.thread.join(timeout=10)
        return self.result

    def after(self, monkeypatch, module, name: str) -> "Competitor":
        """Interleave when the first request has returned from `module.name`."""
        step = getattr(module, name)

        def step_then_compete(*args, **kwargs):
            result = step(*args, **kwargs)
            self.interleave()
            return result

        monkeypatch.setattr(module, name, step_then_compete)
        return self


def call_next(counter_id: int, actor: Actor):
    return lambda: calls.call_next(counter=counter_of(counter_id), actor=actor, now=NOW)


def test_second_counter_skips_uncommitted_claim_and_calls_the_next_ticket(hall, service, monkeypatch):
    (first_id, first_actor), (second_id, second_actor) = open_counters(hall, service, 2)
    t1, t2 = waiting_tickets(hall, service, 2)
    competitor = Competitor(call_next(second_id, second_actor)).after(monkeypatch, calls, "_claim")

    code, first = outcome(call_next(first_id, first_actor))

    second_code, second = competitor.finish()
    # The competitor neither waits for the first counter's lock nor calls its ticket (SKIP LOCKED).
    assert (code, first.pk, second_code, second.pk, competitor.waited) == ("ok", t1, "ok", t2, False)
    assert dict(calls_per_ticket([t1, t2])) == {t1: 1, t2: 1}
    assert dict(Ticket.objects.values_list("pk", "counter_id")) == {t1: first_id, t2: second_id}


def test_naive_claim_lets_two_counters_call_the_same_ticket(hall, service, monkeypatch):
    (first_id, first_actor), (second_id, second_actor) = open_counters(hall, service, 2)
    t1, _t2 = waiting_tickets(hall, service, 2)
    competitor = Competitor(call_next(second_id, second_actor))
    monkeypatch.setattr(calls, "_claim", naive_claim(between=competitor.interleave))

    code, first = outcome(call_next(first_id, first_actor))

    second_code, second = competitor.finish()
    assert (code, first.pk, second_code, second.pk, competitor.waited) == ("ok", t1, "ok", t1, False)
    assert dict(calls_per_ticket([t1])) == {t1: 2}


# Invariant 3: ticket numbers


def walk_in(hall_id: int, service_id: int, n: int):
    def issue():
        hall = Hall.objects.get(pk=hall_id)
        service = Service.objects.get(pk=service_id)
        return walkins.issue_walk_in(
            hall=hall, service=service, actor=Actor("kiosk"), now=NOW, id_number=make_id_number(n)
        ).ticket

    return issue


def walk_in_rush(hall, service, requests: list[int]) -> tuple[Counter, Rush]:
    """One walk-in per entry of `requests` (an ID serial; repeats are the same person again)."""
    outcomes = [""] * len(requests)
    calls_ = [walk_in(hall.pk, service.pk, n) for n in requests]

    def work(rush_: Rush, i: int) -> None:
        for k in range(i, len(calls_), WALK_IN_THREADS):
            outcomes[k] = rush_.run(calls_[k])[0]

    result = rush(work, WALK_IN_THREADS)
    return Counter(outcomes), result


def sequences(service) -> list[int]:
    return sorted(Ticket.objects.filter(service=service).values_list("sequence", flat=True))


def test_walk_in_rush_numbers_tickets_without_gaps(hall, service):
    """200 walk-ins and 20 repeats of the first 20 people, 40 threads, 20 in flight at once: every refusal
    rolls its number back."""
    requests = list(range(1, WALK_INS + 1)) + list(range(1, 21))

    outcomes, result = walk_in_rush(hall, service, requests)

    assert outcomes == {"ok": WALK_INS, "duplicate_ticket": 20}
    assert sequences(service) == list(range(1, WALK_INS + 1))
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [f"A{i:03d}" for i in range(1, 201)]
    assert DaySequence.objects.get(service=service).last == WALK_INS
    assert result.peak >= MIN_PEAK


def naive_next_sequence(pause: float = NAIVE_PAUSE):
    """The next number as max(sequence) + 1, read without a lock."""

    def next_sequence(hall, service, date):
        sequence, _created = DaySequence.objects.get_or_create(hall=hall, service=service, date=date)
        tickets = Ticket.objects.filter(hall=hall, service=service, date=date)
        sequence.last = tickets.aggregate(m=Max("sequence"))["m"] or 0
        time.sleep(pause)
        return sequence

    return next_sequence


def test_naive_walk_in_rush_fails_requests(hall, service, monkeypatch):
    monkeypatch.setattr(walkins, "next_sequence", naive_next_sequence())

    outcomes, _result = walk_in_rush(hall, service, list(range(1, WALK_INS + 1)))

    failed = sum(n for code, n in outcomes.items() if code.startswith("IntegrityError"))
    assert failed > 0
    assert outcomes["ok"] + failed == WALK_INS
    assert sequences(service) != list(range(1, WALK_INS + 1))


def test_second_walk_in_waits_for_uncommitted_number_then_takes_the_next(hall, service, monkeypatch):
    competitor = Competitor(walk_in(hall.pk, service.pk, 2)).after(monkeypatch, walkins, "next_sequence")

    code, first = outcome(walk_in(hall.pk, service.pk, 1))

    second_code, second = competitor.finish()
    assert (code, first.number, second_code, second.number, competitor.waited) == (
        "ok",
        "A001",
        "ok",
        "A002",
        True,
    )


def test_refused_walk_in_holding_the_number_leaves_no_gap(hall, service, monkeypatch):
    outcome(walk_in(hall.pk, service.pk, 1))
    competitor = Competitor(walk_in(hall.pk, service.pk, 2)).after(monkeypatch, walkins, "next_sequence")

    code, _ = outcome(walk_in(hall.pk, service.pk, 1))  # the same person again: refused after the lock

    second_code, second = competitor.finish()
    assert (code, second_code, second.number, competitor.waited) == ("duplicate_ticket", "ok", "A002", True)
    assert sequences(service) == [1, 2]


def test_naive_number_read_past_an_uncommitted_one_fails_the_request(hall, service, monkeypatch):
    DaySequence.objects.create(hall=hall, service=service, date=NOW.date())
    monkeypatch.setattr(walkins, "next_sequence", naive_next_sequence(pause=0))
    competitor = Competitor(walk_in(hall.pk, service.pk, 2)).after(monkeypatch, walkins, "next_sequence")

    code, _ = outcome(walk_in(hall.pk, service.pk, 1))

    second_code, second = competitor.finish()
    assert (second_code, second.number, competitor.waited) == ("ok", "A001", False)
    assert code.startswith("IntegrityError")
    assert sequences(service) == [1]
