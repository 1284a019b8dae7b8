"""Supervisor's report over a year of history: the day and the month report, timed in-process.

    .venv/bin/python bench/report_year.py [--tickets 50000] [--runs 9] [--fresh] [--priority]

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default postgres://root@127.0.0.1:5432/ck_report_bench;
created and migrated if missing, kept between runs; --fresh drops it first), and fills one hall with a year
of synthetic history ending yesterday: about --tickets tickets on the hall's working days (200 a day over
~250 days), each with its events (issued, called, serving, end), bookings and slots for the appointments,
cancelled and never-attended bookings, and ratings for a third of the tickets served. Citizens come from a
pool of 20,000 ID hashes, so some return for the same service (repeat visits).

Then it times, --runs times each, after one warm-up run:
- reports.report.build() for one day and for one month (the function, with the previous period);
- the dashboard view through Django's test client for the same day and month (query, arithmetic and
  template rendering; the server time a supervisor waits for, without the network);
- the CSV export of the month and GET /api/v1/halls/{hall}/stats for the month.
and prints the median and the slowest run of each in milliseconds (wall clock), the median CPU time of this
process (Python and Django, without the database's own time; unlike the wall clock it does not grow when
other work competes for the CPUs), the query counts and the load average.
"""

import argparse
import datetime as dt
import os
import random
import secrets
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_report_bench")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hall.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

HALL = "bench-year"
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
SERVICES = [("A", 8), ("B", 12), ("C", 6), ("D", 15), ("E", 10), ("F", 20), ("G", 9), ("H", 11)]
COUNTERS = 8
CITIZENS = 20_000


def ensure_database(fresh: bool) -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def at(date: dt.date, minutes: float) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, tzinfo=TZ) + dt.timedelta(minutes=minutes)


def build_history(tickets_wanted: int, today: dt.date):
    from django.contrib.auth.models import User

    from appointments.models import Booking, BookingState, Slot
    from hall import calendar
    from hall.models import Counter, Hall, Service, Staff, WeeklySession
    from queueing.models import Outcome, Ticket, TicketEvent, TicketKind, TicketState
    from reports.models import Rating

    rng = random.Random(2026)
    BOOKING_STATES = {TicketState.DONE: BookingState.SERVED, TicketState.NO_SHOW: BookingState.NO_SHOW}  # noqa: N806
    hall = Hall.objects.create(slug=HALL, name="Bench hall", address="-")
    for weekday in range(5):
        WeeklySession.objects.create(hall=hall, weekday=weekday, start=dt.time(8, 30), end=dt.time(17, 30))
    services = [
        Service.objects.create(
            hall=hall, code=f"s-{p.lower()}", prefix=p, name=f"Service {p}", average_handling_minutes=h
        )
        for p, h in SERVICES
    ]
    counters = []
    clerks = []
    for n in range(1, COUNTERS + 1):
        counter = Counter.objects.create(hall=hall, number=n)
        counter.services.set(services)
        counters.append(counter)
        user = User.objects.create(username=f"bench-clerk-{n}")
        Staff.objects.create(user=user, hall=hall, role="clerk")
        clerks.append(user)
    boss = User.objects.create(username="bench-supervisor")
    Staff.objects.create(user=boss, hall=hall, role="supervisor")

    schedule = hall.schedule()
    days = [today - dt.timedelta(days=n) for n in range(365, 0, -1)]
    days = [d for d in days if calendar.day_schedule(schedule, d).is_open]
    per_day = max(1, tickets_wanted // len(days))
    citizens = [secrets.token_hex(32) for _ in range(CITIZENS)]
    tickets, events, slots, bookings = [], [], {}, []
    for date in days:
        sequences = dict.fromkeys((p for p, _h in SERVICES), 0)
        for _n in range(per_day):
            index = rng.randrange(len(services))
            service, handling_mean = services[index], SERVICES[index][1]
            sequences[service.prefix] += 1
            issued = at(date, 8 * 60 + 30 + rng.uniform(0, 500))
            appointment = rng.random() < 0.4
            roll = rng.random()
            state = (
                TicketState.DONE
                if roll < 0.9
                else TicketState.NO_SHOW
                if roll < 0.95
                else TicketState.CANCELLED
            )
            wait = dt.timedelta(minutes=rng.expovariate(1 / 12))
            called = None if state == TicketState.CANCELLED else issued + wait
            done = state == TicketState.DONE
            serving = called + dt.timedelta(minutes=rng.uniform(0.5, 2)) if done else None
            if state == TicketState.DONE:
                completed = serving + dt.timedelta(minutes=rng.expovariate(1 / handling_mean) + 1)
            elif state == TicketState.NO_SHOW:
                completed = called + dt.timedelta(minutes=3)
            else:
                completed = None
            k = rng.randrange(COUNTERS)
            counter = counters[k] if called else None
            clerk = clerks[k] if state == TicketState.DONE else None
            booking = None
            if appointment:
                start = issued.replace(minute=0 if issued.minute < 30 else 30, second=0, microsecond=0)
                slot = slots.get((service.pk, start))
                if slot is None:
                    slot = slots[service.pk, start] = Slot(
                        hall=hall,
                        service=service,
                        date=date,
                        start=start,
                        end=start + dt.timedelta(minutes=30),
                        capacity=50,
                    )
                booking = Booking(
                    code=secrets.token_hex(5).upper(),
                    manage_token=secrets.token_urlsafe(16),
                    hall=hall,
                    service=service,
                    slot=slot,
                    name="-",
                    phone_hash="",
                    id_hash=rng.choice(citizens),
                    id_masked="-",
                    state=BOOKING_STATES.get(state, BookingState.CANCELLED),
                )
                bookings.append(booking)
            tickets.append(
                Ticket(
                    hall=hall,
                    service=service,
                    date=date,
                    sequence=sequences[service.prefix],
                    number=f"{service.prefix}{sequences[service.prefix]:03d}",
                    token=secrets.token_urlsafe(18),
                    kind=TicketKind.APPOINTMENT if appointment else TicketKind.WALK_IN,
                    booking=booking,
                    green_channel="elderly" if rng.random() < 0.05 else "",
                    state=state,
                    counter=counter,
                    owner=clerk,
                    outcome=(Outcome.MATERIALS_MISSING if rng.random() < 0.08 else Outcome.DONE)
                    if state == TicketState.DONE
                    else "",
                    id_hash=booking.id_hash if booking else rng.choice(citizens),
                    issued_at=issued,
                    called_at=called,
                    serving_at=serving,
                    completed_at=completed,
                )
            )
            steps = [("", TicketState.WAITING, issued, None, None)]
            if called:
                steps.append((TicketState.WAITING, TicketState.CALLED, called, counter, clerks[k]))
            if serving:
                steps.append((TicketState.CALLED, TicketState.SERVING, serving, counter, clerks[k]))
            if completed:
                steps.append((steps[-1][1], state, completed, counter, clerks[k]))
            events.append(steps)
        # Bookings cancelled before the day and never attended: no tickets.
        for _n in range(per_day // 20):
            service = rng.choice(services)
            start = at(date, 9 * 60)
            slot = slots.get((service.pk, start)) or slots.setdefault(
                (service.pk, start),
                Slot(
                    hall=hall,
                    service=service,
                    date=date,
                    start=start,
                    end=start + dt.timedelta(minutes=30),
                    capacity=50,
                ),
            )
            bookings.append(
                Booking(
                    code=secrets.token_hex(5).upper(),
                    manage_token=secrets.token_urlsafe(16),
                    hall=hall,
                    service=service,
                    slot=slot,
                    name="-",
                    phone_hash="",
                    id_hash=rng.choice(citizens),
                    id_masked="-",
                    state=rng.choice([BookingState.CANCELLED, BookingState.NO_SHOW]),
                )
            )
    Slot.objects.bulk_create(slots.values(), batch_size=5000)
    for booking in bookings:
        booking.slot_id = booking.slot.pk
    Booking.objects.bulk_create(bookings, batch_size=5000)
    for ticket in tickets:
        if ticket.booking is not None:
            ticket.booking_id = ticket.booking.pk
    Ticket.objects.bulk_create(tickets, batch_size=5000)
    TicketEvent.objects.bulk_create(
        (
            TicketEvent(
                ticket_id=ticket.pk,
                from_state=f,
                to_state=t,
                counter=c,
                actor=a,
                source="console" if c else "kiosk",
                at=when,
            )
            for ticket, steps in zip(tickets, events, strict=True)
            for f, t, when, c, a in steps
        ),
        batch_size=10000,
    )
    Rating.objects.bulk_create(
        (
            Rating(
                ticket_id=t.pk,
                hall=hall,
                service_id=t.service_id,
                counter_id=t.counter_id,
                staff_id=t.owner_id,
                date=t.date,
                score=rng.choice([5, 5, 5, 4, 4, 3, 2, 1]),
                comment="",
                created_at=t.completed_at,
            )
            for t in tickets
            if t.state == TicketState.DONE and rng.random() < 0.33
        ),
        batch_size=10000,
    )
    return hall


def ok(response):
    assert response.status_code == 200, response.status_code
    return response


def timed(label: str, runs: int, call) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up: connection, imports, template loading
    times, cpu = [], []
    for _n in range(runs):
        reset_queries()
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        call()
    result = {"what": label, "median_ms": statistics.median(times), "max_ms": max(times)}
    result["cpu_ms"], result["queries"] = statistics.median(cpu), len(queries)
    print(
        f"{label:<30} median {result['median_ms']:6.1f} ms  max {result['max_ms']:6.1f} ms  "
        f"web-process CPU {result['cpu_ms']:6.1f} ms  {result['queries']:>3} queries",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--priority",
        action="store_true",
        help="run this process and its PostgreSQL backend at nice -10 (root; for a machine shared with "
        "other work, so that the figures show the report's own time rather than the wait for a CPU)",
    )
    args = parser.parse_args()
    ensure_database(args.fresh)

    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.utils import timezone

    from hall.models import Hall
    from queueing.models import Ticket, TicketEvent
    from reports import report
    from reports.periods import month_of

    call_command("migrate", verbosity=0)
    # One database connection for the whole run (a pooled connection stays warm in production too), so
    # that the timings do not include connecting and --priority reaches the backend that does the work.
    request_finished.disconnect(close_old_connections)
    if args.priority:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        for pid in (os.getpid(), backend):
            os.setpriority(os.PRIO_PROCESS, pid, -10)
    today = timezone.localdate()
    hall = Hall.objects.filter(slug=HALL).first()
    if hall is None or Ticket.objects.filter(hall=hall).count() < args.tickets * 0.9:
        if hall is not None:
            hall.delete()
        started = time.perf_counter()
        hall = build_history(args.tickets, today)
        print(f"built the history in {time.perf_counter() - started:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    tickets = Ticket.objects.filter(hall=hall)
    first = tickets.order_by("date").values_list("date", flat=True).first()
    last = tickets.order_by("-date").values_list("date", flat=True).first()
    # The month with the most tickets, and its busiest day.
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    by_month = tickets.annotate(month=TruncMonth("date")).values("month").annotate(n=Count("id"))
    busiest_month = month_of(by_month.order_by("-n", "-month").first()["month"])
    by_day = tickets.filter(date__gte=busiest_month[0], date__lte=busiest_month[1]).values("date")
    day = by_day.annotate(n=Count("id")).order_by("-n", "-date").first()["date"]
    month_tickets = tickets.filter(date__gte=busiest_month[0], date__lte=busiest_month[1]).count()
    events = TicketEvent.objects.filter(ticket__hall=hall).count()
    print(
        f"history: {tickets.count()} tickets, {events} events, "
        f"{first} – {last}; day {day} ({by_day.filter(date=day).count()} tickets), "
        f"month {busiest_month[0]} – {busiest_month[1]} ({month_tickets} tickets)",
        flush=True,
    )

    client = Client(HTTP_HOST="localhost")
    client.force_login(hall.staff.get(role="supervisor").user)
    month = f"from={busiest_month[0]}&to={busiest_month[1]}"
    for label, call in [
        ("report.build, one day", lambda: report.build(hall, day, day)),
        ("report.build, one month", lambda: report.build(hall, *busiest_month)),
        ("dashboard view, one day", lambda: ok(client.get(f"/h/{HALL}/reports/?date={day}"))),
        ("dashboard view, one month", lambda: ok(client.get(f"/h/{HALL}/reports/?{month}"))),
        ("CSV export, one month", lambda: ok(client.get(f"/h/{HALL}/reports/export.csv?{month}"))),
        ("stats API, one month", lambda: ok(client.get(f"/api/v1/halls/{HALL}/stats?{month}"))),
    ]:
        timed(label, args.runs, call)
    print(f"machine: {os.cpu_count()} CPUs; {cpu_model()}; {memory()}; PostgreSQL {postgres_version()}")
    print("load average during the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def memory() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    return "unknown memory"


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
