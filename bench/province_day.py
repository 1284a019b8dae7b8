"""Province day: 100 halls x 300 visitors over a compressed day, against one deployment on this machine.

    .venv/bin/python bench/province_day.py [--halls 100] [--visitors 300] [--minutes 20] [--workers 4]

Creates its own PostgreSQL database (ck_bench_province, dropped and re-created, dropped at the end unless
--keep), migrates it and builds the halls: each with two services, four windows serving both, a clerk and
an API token per window, open all day today and on weekdays. Half of each hall's visitors booked
"yesterday" (written straight into the database, as the set-up); the other half walk in. Starts the
production deployment as docs/production.md describes it: gunicorn (WSGI, --workers sync workers) for the
API, uvicorn (ASGI) for the event streams, and one RQ worker for the messages. Then the day runs, compressed
into --minutes:

- every hall's board holds an event stream open on uvicorn all day and counts the events it receives;
- visitors arrive spread over the day with a morning peak: a booked visitor checks in at the kiosk
  (POST /halls/{hall}/tickets {booking_code}), a walk-in takes a ticket ({service}); each then reads their
  ticket page twice (GET /tickets/{token});
- all day, citizens book for tomorrow, as many as booked for today: an availability read, then
  POST /bookings;
- four windows per hall loop: call-next, "serve" (a sleep scaled to the compressed day), complete. A window
  that finds the queue empty waits, as a clerk watching the console's live waiting count does, until the
  hall's board stream says a ticket was issued or the queue changed (or --idle-poll seconds pass, in case
  an event was missed), then asks again. `--idle-poll 2 --no-wake` is the older load: every idle window
  asks every two seconds, whether anyone came or not.

Printed: requests, errors and p50/p95/p99 latency per action; tickets served and left waiting; events the
boards received; CPU used by the web, live and worker processes and by PostgreSQL; PostgreSQL's
transactions and rows per second for the database. Everything goes to 127.0.0.1. Environment:
BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_bench_province), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/12; emptied before and after: give it a Redis database nobody else uses).
"""

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench.common import (  # noqa: E402
    PY,
    ROOT,
    django_setup,
    drop_database,
    free_port,
    postmasters,
    recreate_database,
    server_env,
    tree_cpu_seconds,
    web_command,
)

COUNTERS = 4
SERVICES = (("id-card-renewal", "A", "居民身份证换领"), ("household-certificate", "B", "户籍证明"))


def build_halls(halls: int, visitors: int, seed: int) -> list[dict]:
    """The halls, their windows and tokens, and today's bookings (made "yesterday"). Returns per hall:
    slug, service codes, window (counter id, key) pairs, a kiosk key, today's booking codes, and the
    id of a bookable slot tomorrow per service."""
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from appointments import availability
    from appointments.models import Booking, BookingRules, CapacityOverride, Slot
    from hall import privacy
    from hall.models import ApiToken, Counter, ExtraSession, Hall, Service, WeeklySession
    from hall.services import assign_staff
    from queueing.models import QueueRules, WalkInQuota

    rng = random.Random(seed)
    now = timezone.now()
    made = []
    serial = 0
    for h in range(halls):
        with transaction.atomic():
            hall = Hall.objects.create(
                slug=f"hall-{h:03d}", name=f"压测大厅{h:03d}", address="127.0.0.1", max_waiting_inside=10_000
            )
            today = hall.local_date(now)
            tomorrow = today + dt.timedelta(days=1)
            # The day is compressed: a booked visitor may check in at any time today, a walk-in until closing.
            BookingRules.objects.create(
                hall=hall,
                held_back_percent=0,
                min_notice_minutes=0,
                release_time=dt.time(0),
                no_show_grace_minutes=1440,
            )
            QueueRules.objects.create(
                hall=hall, early_minutes=1440, last_ticket_minutes=0, stop_by_estimate=False
            )
            ExtraSession.objects.create(
                hall=hall,
                date=today,
                start=dt.time(0),
                end=dt.time(23, 59),
                reason_zh_hans="压测",
                reason_en="Load test",
            )
            for weekday in range(7):
                WeeklySession.objects.create(hall=hall, weekday=weekday, start=dt.time(8), end=dt.time(18))
            services = [
                Service.objects.create(
                    hall=hall, code=code, prefix=prefix, name=name, average_handling_minutes=10
                )
                for code, prefix, name in SERVICES
            ]
            # The walk-in quotas count real hours, which a compressed day does not have: with the default
            # 30 an hour most walk-ins of a one-hour day would be refused (as a 60-minute run once showed).
            for service in services:
                WalkInQuota.objects.create(service=service, per_day=visitors, per_hour=visitors)
            windows = []
            for number in range(1, COUNTERS + 1):
                counter = Counter.objects.create(hall=hall, number=number)
                counter.services.set(services)
                user = User.objects.create(username=f"{hall.slug}-clerk-{number}")
                assign_staff(user=user, hall=hall, role="clerk")
                _token, key = ApiToken.objects.issue(user=user, hall=hall, name=f"window {number}")
                windows.append((counter.pk, key))
            _token, kiosk = ApiToken.objects.issue(user=user, hall=hall, name="kiosk")
            tomorrow_slots, codes = {}, []
            for service in services:
                for date in (today, tomorrow):
                    CapacityOverride.objects.create(service=service, date=date, capacity=visitors)
                day = availability.day_availability(service=service, date=tomorrow, now=now)
                tomorrow_slots[service.code] = [slot.pk for slot in day.slots if slot.remaining > 0]
                today_slots = availability.sync_slots(service=service, date=today)
                slot = next(s for s in today_slots if s.start >= now - dt.timedelta(minutes=30))
                count = visitors // 2 // len(services)
                bookings = []
                for _ in range(count):
                    serial += 1
                    id_number = make_id_number(serial)
                    phone = f"+86139{serial:08d}"
                    bookings.append(
                        Booking(
                            code=secrets.token_hex(4).upper(),
                            manage_token=secrets.token_urlsafe(24),
                            hall=hall,
                            service=service,
                            slot=slot,
                            name="压测",
                            phone=phone,
                            phone_hash=privacy.hash_phone(phone),
                            id_hash=privacy.hash_id_number(id_number),
                            id_masked=privacy.mask_id_number(id_number),
                            created_at=now - dt.timedelta(days=1),
                        )
                    )
                Booking.objects.bulk_create(bookings)
                Slot.objects.filter(pk=slot.pk).update(taken=count)
                codes += [(b.code, service.code) for b in bookings]
            rng.shuffle(codes)
        made.append(
            {
                "slug": hall.slug,
                "services": [s.code for s in services],
                "windows": windows,
                "kiosk": kiosk,
                "codes": codes,
                "tomorrow": tomorrow_slots,
                "tomorrow_date": tomorrow.isoformat(),
            }
        )
    return made


def make_id_number(serial: int) -> str:
    """A valid resident ID number, different for every serial below 1,000,000."""
    from hall.privacy import check_digit

    first17 = f"11{serial // 1000 % 1000:03d}119800101{serial % 1000:03d}"
    return first17 + check_digit(first17)


class Arrivals:
    """A hall's count of "someone joined the queue" events read off its board's stream: idle windows wait
    for it to move instead of asking an empty queue again and again."""

    WAKE = ("event: ticket.issued", "event: queue.changed")

    def __init__(self):
        self.count = 0
        self.changed = asyncio.Condition()

    async def seen(self):
        async with self.changed:
            self.count += 1
            self.changed.notify_all()

    async def after(self, count: int, timeout: float) -> None:
        """Until more than `count` arrivals were seen, or `timeout` seconds."""
        async with self.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait_for(lambda: self.count > count), timeout)


class Figures:
    def __init__(self):
        self.latency = defaultdict(list)
        self.status = defaultdict(Counter)
        self.events = 0
        self.served = 0
        self.unfinished = 0

    def record(self, action: str, started: float, response: httpx.Response | None, error: str = ""):
        self.latency[action].append(time.perf_counter() - started)
        status = error or str(response.status_code)
        if response is not None and response.status_code == 409:  # which conflict: e.g. "409 counter_busy"
            with contextlib.suppress(ValueError):
                status = f"409 {response.json().get('error', '')}".strip()
        self.status[action][status] += 1

    def report(self, expected: dict) -> int:
        errors = 0
        print(
            f"{'action':<14} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  answers"
        )
        for action, latencies in sorted(self.latency.items()):
            q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else [0] * 99
            bad = sum(n for status, n in self.status[action].items() if status not in expected[action])
            errors += bad
            print(
                f"{action:<14} {len(latencies):>9} {bad:>7} {q[49] * 1000:>8.0f} {q[94] * 1000:>8.0f} "
                f"{q[98] * 1000:>8.0f}  {dict(self.status[action])}"
            )
        return errors


async def request(figures, action, client, method, url, **kwargs):
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        figures.record(action, started, None, type(exc).__name__)
        return None
    figures.record(action, started, response)
    return response


async def visitor(figures, client, hall, arrival, kiosk, code, service, day_start, read_gap):
    await asyncio.sleep(max(0.0, day_start + arrival - time.monotonic()))
    body = {"booking_code": code} if code else {"service": service}
    response = await request(
        figures,
        "check-in" if code else "walk-in",
        client,
        "POST",
        f"/api/v1/halls/{hall}/tickets",
        json=body,
        headers={"Authorization": f"Bearer {kiosk}"},
    )
    if response is None or response.status_code != 201:
        return
    token = response.json()["token"]
    for _ in range(2):
        await asyncio.sleep(read_gap)
        await request(figures, "ticket page", client, "GET", f"/api/v1/tickets/{token}")


async def booker(figures, client, hall, at, service, date, slots, serial, day_start):
    await asyncio.sleep(max(0.0, day_start + at - time.monotonic()))
    await request(
        figures,
        "availability",
        client,
        "GET",
        f"/api/v1/halls/{hall['slug']}/availability",
        params={"service": service, "date": date},
    )
    body = {
        "hall": hall["slug"],
        "service": service,
        "slot": random.choice(slots),
        "name": "压测",
        "phone": f"+86137{serial:08d}",
        "id_number": make_id_number(500_000 + serial),
    }
    await request(figures, "booking", client, "POST", "/api/v1/bookings", json=body)


async def at_window(figures, client, slug, counter_id, auth, refused: httpx.Response) -> int | None:
    """The ticket at the window: a call whose answer the clerk never saw (the client timed out while the
    server called the ticket) is at the window, and call-next answers 409 `counter_busy` with it until it is
    finished. A server whose refusal does not carry it (before the ticket was added to the 409) is asked
    for the queue, as the console shows it after a reload."""
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        ticket = refused.json().get("ticket")
        if ticket and ticket.get("id"):
            return ticket["id"]
    response = await request(figures, "queue", client, "GET", f"/api/v1/halls/{slug}/queue", headers=auth)
    if response is None or response.status_code != 200:
        return None
    for counter in response.json()["counters"]:
        if counter["id"] == counter_id and counter["ticket"]:
            return counter["ticket"]["id"]
    return None


async def window(figures, client, slug, counter_id, key, serve_mean, day_end, rng, arrivals, idle_poll):
    auth = {"Authorization": f"Bearer {key}"}
    await request(figures, "open", client, "POST", f"/api/v1/counters/{counter_id}/open", headers=auth)
    while True:
        seen = arrivals.count if arrivals else 0
        response = await request(
            figures, "call-next", client, "POST", f"/api/v1/counters/{counter_id}/call-next", headers=auth
        )
        ticket_id = None
        if response is not None and response.status_code == 409:
            ticket_id = await at_window(figures, client, slug, counter_id, auth, response)
        if ticket_id is None and (response is None or response.status_code not in (200, 204)):
            await asyncio.sleep(2)
            continue
        if ticket_id is None and response.status_code == 204:
            if time.monotonic() > day_end:
                return
            if arrivals is None:
                await asyncio.sleep(idle_poll)
            else:
                await arrivals.after(seen, min(idle_poll, max(0.1, day_end - time.monotonic())))
            continue
        ticket_id = ticket_id or response.json()["ticket"]["id"]
        await asyncio.sleep(rng.expovariate(1 / serve_mean))
        for _attempt in range(5):  # a clerk presses "done" again until it takes
            done = await request(
                figures,
                "complete",
                client,
                "POST",
                f"/api/v1/tickets/{ticket_id}/complete",
                json={"outcome": "done"},
                headers=auth,
            )
            if done is not None and done.status_code in (200, 409):
                figures.served += done.status_code == 200
                break
            await asyncio.sleep(2)


async def board(figures, base, slug, stop: asyncio.Event, arrivals: Arrivals):
    """One hall's display: an event stream, reopened when it ends, counting events (and the arrivals that
    wake the hall's idle windows)."""
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=None)) as client:
        while not stop.is_set():
            try:
                async with client.stream("GET", f"/api/v1/halls/{slug}/events") as response:
                    async for line in response.aiter_lines():
                        if line.startswith("event:"):
                            figures.events += 1
                            if line.startswith(Arrivals.WAKE):
                                await arrivals.seen()
                        if stop.is_set():
                            return
            except httpx.HTTPError:
                await asyncio.sleep(1)


async def run_day(args, halls, web, live) -> Figures:
    figures = Figures()
    rng = random.Random(args.seed)
    day = args.minutes * 60
    # Each simulated 8-hour day's 10-minute service, scaled; the windows can serve 80 % of the visitors.
    serve_mean = 0.8 * day * COUNTERS / args.visitors
    stop = asyncio.Event()
    # A kept-alive connection is let go after 4 s idle, before gunicorn's gthread workers close it after 5 s
    # (deploy/gunicorn.conf.py keepalive): at httpx's default of 5 s, a request sent as the server closed the
    # connection failed on it (ReadError, RemoteProtocolError), as a browser's or a proxy's would not.
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20, keepalive_expiry=4)
    clients = [httpx.AsyncClient(base_url=web, timeout=60, limits=limits) for _ in halls]
    per_window = httpx.Limits(keepalive_expiry=4)
    window_clients = [
        httpx.AsyncClient(base_url=web, timeout=60, limits=per_window) for _ in halls for _ in range(COUNTERS)
    ]
    wakes = {hall["slug"]: Arrivals() for hall in halls}
    boards = [asyncio.create_task(board(figures, live, h["slug"], stop, wakes[h["slug"]])) for h in halls]
    await asyncio.sleep(2)
    day_start = time.monotonic()
    tasks = []
    serial = 0
    for n, (hall, client) in enumerate(zip(halls, clients, strict=True)):
        arrivals = sorted(day * min(rng.betavariate(2, 3), 0.97) for _ in range(args.visitors))
        codes = hall["codes"] + [None] * (args.visitors - len(hall["codes"]))
        rng.shuffle(codes)
        for arrival, booked in zip(arrivals, codes, strict=True):
            code, service = booked if booked else (None, rng.choice(hall["services"]))
            tasks.append(
                visitor(
                    figures, client, hall["slug"], arrival, hall["kiosk"], code, service, day_start, day / 40
                )
            )
        for _ in range(len(hall["codes"])):
            serial += 1
            service = rng.choice(hall["services"])
            tasks.append(
                booker(
                    figures,
                    client,
                    hall,
                    rng.uniform(0, day),
                    service,
                    hall["tomorrow_date"],
                    hall["tomorrow"][service],
                    serial,
                    day_start,
                )
            )
        for c, (counter_id, key) in enumerate(hall["windows"]):
            client_for_window = window_clients[n * COUNTERS + c]
            tasks.append(
                window(
                    figures,
                    client_for_window,
                    hall["slug"],
                    counter_id,
                    key,
                    serve_mean,
                    day_start + day,
                    random.Random(rng.random()),
                    None if args.no_wake else wakes[hall["slug"]],
                    args.idle_poll,
                )
            )
    running = [asyncio.create_task(task) for task in tasks]
    _done, late = await asyncio.wait(running, timeout=day + args.grace)
    for task in late:  # the deployment fell behind: report what was measured, and how much was left
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    figures.unfinished = len(late)
    stop.set()
    for task in boards:
        task.cancel()
    await asyncio.gather(*boards, return_exceptions=True)
    await asyncio.gather(*(c.aclose() for c in clients + window_clients))
    figures.elapsed = time.monotonic() - day_start
    return figures


def postgres_cpu() -> float:
    """CPU of every PostgreSQL server on the machine, backends that ended during the run included."""
    return tree_cpu_seconds(*postmasters())


def database_counters(database_url: str) -> dict:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, "
            "blks_read, blks_hit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    names = (
        "commits",
        "rollbacks",
        "rows returned",
        "rows fetched",
        "rows inserted",
        "rows updated",
        "blocks read",
        "blocks hit",
    )
    return dict(zip(names, row, strict=True))


def wait_until_up(url: str, procs: list[subprocess.Popen], log_dir: Path) -> None:
    for _ in range(300):
        if any(p.poll() is not None for p in procs):
            raise SystemExit(f"a server stopped; see {log_dir}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within 30 s; see {log_dir}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--halls", type=int, default=100)
    parser.add_argument("--visitors", type=int, default=300, help="per hall")
    parser.add_argument("--minutes", type=float, default=20, help="the compressed day's length")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--grace", type=float, default=300, help="seconds after the day for the queues to empty"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--idle-poll", type=float, default=15, help="an idle window asks again after at most these seconds"
    )
    parser.add_argument(
        "--no-wake", action="store_true", help="idle windows ignore the board's events and just poll"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_bench_province")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    var_dir = Path(tempfile.mkdtemp(prefix="ck-bench-province-"))
    env = server_env(
        database_url,
        redis_url,
        str(var_dir),
        BOOKING_SMS_CODE="off",
        DATABASE_POOL_MAX="4",
        SMS_BACKEND="memory",
        # No nginx in front here: gthread workers, so that a client slow to send its request (one load
        # generator drives thousands of citizens) does not hold a sync worker in recv() (gunicorn.conf.py).
        GUNICORN_WORKER_CLASS="gthread",
    )
    started = time.time()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    recreate_database(database_url)
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    django_setup(env)
    import redis
    from django.db import connections

    redis.Redis.from_url(redis_url).flushdb()
    halls = build_halls(args.halls, args.visitors, args.seed)
    connections.close_all()
    print(f"set-up: {args.halls} halls x {args.visitors} visitors, in {time.time() - started:.0f} s")

    web_port, live_port = free_port(), free_port()
    procs = {
        "web": web_command("gunicorn", web_port, args.workers),
        "live": web_command("uvicorn", live_port, 1),
        "worker": [PY, "manage.py", "rqworker", "default", "--with-scheduler"],
    }
    running = {}
    for name, command in procs.items():
        log = (var_dir / f"{name}.log").open("w")
        running[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        web, live = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{live_port}"
        wait_until_up(f"{web}/api/v1/halls", list(running.values()), var_dir)
        wait_until_up(f"{live}/api/v1/halls", list(running.values()), var_dir)
        # Whole process trees: gunicorn replaces its workers (max_requests), and their CPU is kept in the
        # master's account of its reaped children.
        cpu_before = {name: tree_cpu_seconds(p.pid) for name, p in running.items()}
        pg_before, db_before = postgres_cpu(), database_counters(database_url)
        print(
            f"day: {args.minutes:g} minutes; web: gunicorn, {args.workers} gthread workers x 4; "
            "live: uvicorn; 1 RQ worker"
        )
        client_cpu = time.process_time()
        figures = asyncio.run(run_day(args, halls, web, live))
        client_cpu = time.process_time() - client_cpu
        cpu = {name: tree_cpu_seconds(p.pid) - cpu_before[name] for name, p in running.items()}
        pg_cpu, db_after = postgres_cpu() - pg_before, database_counters(database_url)
    finally:
        for proc in running.values():
            proc.terminate()
        for proc in running.values():
            proc.wait(timeout=30)

    elapsed = figures.elapsed
    expected = defaultdict(
        lambda: {"200"},
        {"check-in": {"201"}, "walk-in": {"201"}, "booking": {"201"}, "call-next": {"200", "204"}},
    )
    print(f"the day took {elapsed:.0f} s (queues emptied after the day's end)")
    if figures.unfinished:
        late = f"{figures.unfinished} visitors, bookers or windows still busy {args.grace:.0f} s after it"
        print(f"NOT KEPT UP: {late}")
    errors = figures.report(expected)
    total = sum(len(v) for v in figures.latency.values())
    print(
        f"requests: {total} in {elapsed:.0f} s = {total / elapsed:.0f}/s; "
        f"errors (unexpected answers): {errors}"
    )
    print(
        f"served: {figures.served} of {args.halls * args.visitors} visitors; "
        f"events received by the boards: {figures.events}"
    )
    print(
        "CPU seconds: "
        + ", ".join(f"{name} {seconds:.0f} ({seconds / elapsed:.2f} cores)" for name, seconds in cpu.items())
        + f", PostgreSQL (all databases) {pg_cpu:.0f} ({pg_cpu / elapsed:.2f} cores)"
        + f", the load generator {client_cpu:.0f} ({client_cpu / elapsed:.2f} cores)"
    )
    rates = {k: (db_after[k] - db_before[k]) / elapsed for k in db_after}
    print("PostgreSQL, this database, per second: " + ", ".join(f"{k} {v:.0f}" for k, v in rates.items()))
    print(f"load average {os.getloadavg()[0]:.2f} at the end; {time.time() - started:.0f} s in all")
    redis.Redis.from_url(redis_url).flushdb()
    if args.keep:
        print(f"kept: {database_url}, {var_dir}")
    else:
        drop_database(database_url)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
