"""Call-next benchmark: 20 windows empty a queue of 1,000 waiting tickets through the JSON API.

    .venv/bin/python bench/call_next.py [--server gunicorn] [--servers 4] [--counters 20] [--tickets 1000]

Creates its own PostgreSQL database (ck_bench_queue, dropped and re-created, dropped again at the end),
migrates it, adds one hall with one service, 20 windows each with its own clerk and API token, and 1,000
waiting walk-in tickets; starts the production server (gunicorn, hall.wsgi:application, --servers sync
workers; or with --server uvicorn, --servers single-worker uvicorn processes on consecutive ports, the
clients spread evenly over them as by a load balancer) on 127.0.0.1 with RATE_LIMITS=off; each clerk
opens their window through the API. First one window alone calls and completes --solo tickets (the
unloaded latency). Then, for throughput, 20 clients (asyncio + httpx, one per window, each with its own
connection) are released together and each loops

    POST /api/v1/counters/{id}/call-next  ->  POST /api/v1/tickets/{ticket}/complete {"outcome": "done"}

until call-next answers 204 (nobody waits). Printed: call-next and complete latency percentiles, call-nexts
per second, the CPU used by the server, and, read back from the database, the tickets called more than once
and the tickets not done (both must be 0). Then the same windows and loop on the floor (bench/baseline, a
bare Django app: one UPDATE with SKIP LOCKED for call-next, one UPDATE for complete, served by gunicorn with
as many sync workers), and Chuangkou's CPU per ticket as a ratio to it.

This closed loop saturates the server: its latencies are the queue's (Little's law: 20 clients / the
throughput). What a hall does, all windows pressing call-next at one moment and then serving for minutes,
is bench/call_race.py.

Everything goes to 127.0.0.1; the run is bounded (--deadline, 90 s by default, for the loop) and takes well
under two minutes. Environment: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_bench_queue)
and BENCH_REDIS_URL (default redis://127.0.0.1:6379/14; emptied before and after the run, so give it a
Redis database nobody else uses).
"""

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench.baseline import serve  # noqa: E402
from bench.common import (  # noqa: E402
    PY,
    ROOT,
    DatabaseCpu,
    children,
    cpu_seconds,
    django_setup,
    drop_database,
    postmasters,
    recreate_database,
    server_env,
    tree_cpu_seconds,
)

HALL = "bench-queue"
POOL_MAX = 20  # DATABASE_POOL_MAX of each server worker (the settings' default)
APP = "hall.wsgi:application"  # under gunicorn; uvicorn serves hall.asgi


def create_hall(counters: int, tickets: int) -> list[tuple[int, str]]:
    """A hall, one service served by `counters` windows, a clerk and a token per window, and `tickets`
    walk-in tickets waiting since earlier today. Returns (counter id, API key) per window."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from hall.models import ApiToken, Counter, Hall, Service
    from hall.services import assign_staff
    from queueing.models import DaySequence, Ticket, TicketKind

    hall = Hall.objects.create(slug=HALL, name="压测大厅", address="127.0.0.1", max_waiting_inside=100_000)
    service = Service.objects.create(
        hall=hall, code="id-card-renewal", prefix="A", name="居民身份证换领", average_handling_minutes=10
    )
    windows = []
    for number in range(1, counters + 1):
        counter = Counter.objects.create(hall=hall, number=number)
        counter.services.set([service])
        user = User.objects.create(username=f"bench-clerk-{number}")
        assign_staff(user=user, hall=hall, role="clerk")
        _token, key = ApiToken.objects.issue(user=user, hall=hall, name=f"window {number}")
        windows.append((counter.pk, key))
    now = timezone.now()
    today = hall.local_date(now)
    DaySequence.objects.create(hall=hall, service=service, date=today, last=tickets)
    Ticket.objects.bulk_create(
        Ticket(
            hall=hall,
            service=service,
            date=today,
            sequence=i,
            number=f"A{i:04d}",
            token=secrets.token_urlsafe(24),
            kind=TicketKind.WALK_IN,
            issued_at=now - dt.timedelta(seconds=tickets - i + 1),
        )
        for i in range(1, tickets + 1)
    )
    # The statistics a hall's database has by the time a queue is this long (autovacuum analyses a table
    # within a minute of such a change; the run would begin before): the planner picks the waiting lines'
    # indexes only once it knows how many tickets there are.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    return windows


def read_back() -> tuple[int, int, int]:
    """(tickets called more than once, tickets not done, calls recorded), from the database."""
    from queueing.models import Ticket, TicketEvent

    calls = Counter(
        TicketEvent.objects.filter(to_state="called", ticket__hall__slug=HALL).values_list(
            "ticket_id", flat=True
        )
    )
    not_done = Ticket.objects.filter(hall__slug=HALL).exclude(state="done").count()
    return sum(1 for n in calls.values() if n > 1), not_done, sum(calls.values())


def percentiles(latencies: list[float]) -> str:
    if len(latencies) < 2:
        return "n/a"
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"


def servers(env: dict, server: str, processes: int, port: int, log_dir: Path) -> list[serve.Server]:
    """gunicorn: one master with `processes` sync workers (they take connections from one listening socket,
    one request at a time). uvicorn: one single-worker process per port, the clients spread evenly over
    them, as a load balancer would (`uvicorn --workers N` lets the kernel hand keep-alive connections to
    whichever worker accepts first, and here most of the 20 landed on one worker). Started by entering
    each (a `with`)."""
    if server == "gunicorn":
        return [serve.Server(APP, env, processes, log_dir / "server.log", port=port)]
    return [
        serve.Server(APP, env, 1, log_dir / f"server-{n}.log", server="uvicorn", port=port + n)
        for n in range(processes)
    ]


async def window(client: httpx.AsyncClient, counter_id: int, go, figures: dict, limit: int | None = None):
    """One clerk: call next, complete, until nobody waits, `limit` tickets were called, or an error answer
    (which is counted)."""
    if go is not None:
        await go.wait()
    while limit is None or len(figures["complete"]) < limit:
        t0 = time.perf_counter()
        response = await client.post(f"/api/v1/counters/{counter_id}/call-next")
        figures["call_next"].append(time.perf_counter() - t0)
        if response.status_code == 204:
            return
        if response.status_code != 200:
            figures["errors"][f"call-next {response.status_code} {response.json().get('error')}"] += 1
            return
        ticket_id = response.json()["ticket"]["id"]
        t0 = time.perf_counter()
        response = await client.post(f"/api/v1/tickets/{ticket_id}/complete", json={"outcome": "done"})
        figures["complete"].append(time.perf_counter() - t0)
        if response.status_code != 200:
            figures["errors"][f"complete {response.status_code} {response.json().get('error')}"] += 1
            return


async def measure(bases: list[str], windows: list[tuple[int, str]], solo: int, deadline: float) -> dict:
    clients = [
        httpx.AsyncClient(
            base_url=bases[n % len(bases)], headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        for n, (_counter_id, key) in enumerate(windows)
    ]
    figures = {
        "solo": [],
        "call_next": [],
        "complete": [],
        "errors": Counter(),
    }
    try:
        opened = await asyncio.gather(
            *(
                c.post(f"/api/v1/counters/{counter_id}/open")
                for c, (counter_id, _k) in zip(clients, windows, strict=True)
            )
        )
        assert [r.status_code for r in opened] == [200] * len(windows), [r.text for r in opened]
        for client in clients:  # warm up each connection on a read
            await client.get(f"/api/v1/halls/{HALL}/queue")
        # Unloaded: one window alone, for the service time of a request.
        solo_figures = {"call_next": figures["solo"], "complete": [], "errors": figures["errors"]}
        await window(clients[0], windows[0][0], None, solo_figures, limit=solo)
        go = asyncio.Event()
        tasks = [
            asyncio.create_task(window(c, counter_id, go, figures))
            for c, (counter_id, _k) in zip(clients, windows, strict=True)
        ]
        await asyncio.sleep(0.2)
        start = time.perf_counter()
        go.set()
        _done, late = await asyncio.wait(tasks, timeout=deadline)
        figures["elapsed"] = time.perf_counter() - start
        for task in late:
            task.cancel()
        figures["errors"].update({"still looping at the deadline": len(late)} if late else {})
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    return figures


def run_floor(args, env: dict, log_dir: Path) -> tuple[dict, dict]:
    """The same windows, the same loop, on the floor app (bench/baseline: one UPDATE with SKIP LOCKED for
    call-next, one UPDATE for complete) served by gunicorn with as many sync workers."""
    serve.set_up(env, 0, args.tickets)
    app = "bench.baseline.wsgi:application"
    with serve.Server(app, env, args.servers, log_dir / "floor.log") as server:
        server.wait_until_up("/ping")
        windows = [(n, "floor") for n in range(1, args.counters + 1)]
        own = DatabaseCpu(env["BASELINE_DATABASE_URL"])
        backends = own.backends()
        web, database = tree_cpu_seconds(server.process.pid), tree_cpu_seconds(*postmasters())
        figures = asyncio.run(measure([server.base], windows, args.solo, args.deadline))
        cpu = {
            "web": tree_cpu_seconds(server.process.pid) - web,
            "database": tree_cpu_seconds(*postmasters()) - database,
            "own_database": own.since(backends),
        }
    return figures, cpu


def print_ratios(tickets: int, cpu: dict, floor: dict, floor_cpu: dict) -> None:
    """CPU per ticket (call-next + complete) of the whole run, Chuangkou against the floor: each run calls
    and completes every ticket once (solo and loop), and a few call-nexts answer 204."""
    mine = {part: seconds * 1000 / tickets for part, seconds in cpu.items()}
    base = {part: seconds * 1000 / tickets for part, seconds in floor_cpu.items()}
    print(
        f"the floor (bench/baseline), same windows and loop: call-next {percentiles(floor['call_next'])}; "
        f"errors: {dict(floor['errors']) or 'none'}"
    )
    print("CPU per ticket called and completed (the whole run), web + PostgreSQL:")
    ratio = (mine["web"] + mine["database"]) / (base["web"] + base["database"])
    print(
        f"  Chuangkou {mine['web']:.1f} + {mine['database']:.1f} ms; floor {base['web']:.1f} + "
        f"{base['database']:.1f} ms; ratio {ratio:.1f} x (web alone {mine['web'] / base['web']:.1f} x; "
        f"#20's target: at most 3 x)"
    )
    ratio = (mine["web"] + mine["own_database"]) / (base["web"] + base["own_database"])
    print(
        f"  PostgreSQL counted for each server's own database only (its backends; not the other databases' "
        f"work on a shared machine): Chuangkou {mine['web']:.1f} + {mine['own_database']:.1f} ms; floor "
        f"{base['web']:.1f} + {base['own_database']:.1f} ms; ratio {ratio:.1f} x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["gunicorn", "uvicorn"], default="gunicorn")
    parser.add_argument(
        "--servers", type=int, default=4, help="gunicorn workers, or single-worker uvicorn processes"
    )
    parser.add_argument("--counters", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--solo", type=int, default=50, help="tickets called first by one window alone")
    parser.add_argument("--deadline", type=float, default=90, help="seconds the loop may take at most")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep", action="store_true", help="keep the database and the server log")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_bench_queue")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    floor_url = os.environ.get("BASELINE_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_bench_queue_floor")
    var_dir = tempfile.mkdtemp(prefix="ck-bench-queue-")
    env = server_env(database_url, redis_url, var_dir, DATABASE_POOL_MAX=str(POOL_MAX))

    started = time.time()
    load_at_start = f"{os.getloadavg()[0]:.1f}"
    recreate_database(database_url)
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    django_setup(env)
    import redis
    from django.db import connections

    redis.Redis.from_url(redis_url).flushdb()
    windows = create_hall(args.counters, args.tickets)
    connections.close_all()
    print(
        f"set-up: {args.counters} windows, {args.tickets} waiting tickets, in {time.time() - started:.1f} s"
    )

    log_dir = Path(var_dir)
    with contextlib.ExitStack() as running:
        serving = [
            running.enter_context(s) for s in servers(env, args.server, args.servers, args.port, log_dir)
        ]
        for server in serving:
            server.wait_until_up("/api/v1/halls")
        pids = [pid for server in serving for pid in (server.process.pid, *children(server.process.pid))]
        kind = (
            "sync workers of gunicorn hall.wsgi"
            if args.server == "gunicorn"
            else "uvicorn hall.asgi (1 worker each)"
        )
        print(f"servers: {args.servers} {kind}, database pool up to {POOL_MAX} each")
        own = DatabaseCpu(database_url)
        backends = own.backends()
        cpu_before = [cpu_seconds(pid) for pid in pids]
        database_before = tree_cpu_seconds(*postmasters())
        figures = asyncio.run(measure([server.base for server in serving], windows, args.solo, args.deadline))
        per_process = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
        cpu = {
            "web": sum(per_process),
            "database": tree_cpu_seconds(*postmasters()) - database_before,
            "own_database": own.since(backends),
        }

    twice, not_done, recorded = read_back()
    connections.close_all()
    called = len(figures["complete"])
    elapsed = figures["elapsed"]
    print(f"one window alone, {len(figures['solo'])} call-next requests: {percentiles(figures['solo'])}")
    print(
        f"{args.counters} windows at once: {len(figures['call_next'])} call-next requests ({called} tickets "
        f"called, {len(figures['call_next']) - called} answered 204) in {elapsed:.2f} s: "
        f"{called / elapsed:.0f} tickets/s, {(len(figures['call_next']) + called) / elapsed:.0f} requests/s; "
        f"server CPU (the whole run) {sum(per_process):.1f} s"
    )
    print(f"call-next latency: {percentiles(figures['call_next'])}")
    print(f"complete latency:  {percentiles(figures['complete'])}")
    print(f"errors: {dict(figures['errors']) or 'none'}")
    print(f"tickets called twice: {twice}; tickets not done: {not_done}; calls recorded: {recorded}")
    print(f"load average at the start {load_at_start}, at the end {os.getloadavg()[0]:.1f} (other work?)")
    floor_env = {**env, "BASELINE_DATABASE_URL": floor_url}
    try:
        floor, floor_cpu = run_floor(args, floor_env, log_dir)
    finally:
        drop_database(floor_url)
    print_ratios(args.tickets, cpu, floor, floor_cpu)
    redis.Redis.from_url(redis_url).flushdb()
    if args.keep:
        print(f"kept: {database_url}, {log_dir}")
    else:
        drop_database(database_url)
    return 0 if twice == 0 and not_done == 0 and not figures["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
