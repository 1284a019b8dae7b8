"""Chuangkou's hot paths against their floor, measured in one run: CPU per unit of work, and the ratio.

    .venv/bin/python bench/floor.py [--workers 4] [--clients 8] [--seconds 8]

The floor is bench/baseline/: a bare Django app on the same Django, psycopg and gunicorn, with no middleware
and one persistent connection per worker, doing the least each hot path can do (a booking: a guarded UPDATE
of the window's places and an INSERT, in one transaction; call-next: one UPDATE claiming the oldest waiting
ticket with SKIP LOCKED; complete: one UPDATE; a trivial JSON view). Chuangkou runs with production settings
(RATE_LIMITS=off, BOOKING_SMS_CODE=off: loopback load), every rule of the hall on.

Both are served the same way (gunicorn, deploy/gunicorn.conf.py, --workers sync workers), one after the
other, and driven by the same clients: --clients clients in a closed loop for --seconds per phase. For each
phase it prints the units done, and the CPU per unit of the web server (master and workers) and of
PostgreSQL (every backend: run it on a quiet machine, other databases' work counts too), and Chuangkou's
ratio to the floor. CPU per unit hardly depends on the number of clients; it is what #20's targets speak of
(booking, and call-next + complete, at most 3 times the floor's CPU).

Environment (bench/common.py's side_by_side_env): BENCH_DATABASE_URL (Chuangkou's scratch database, default
postgres://root@127.0.0.1:5432/ck_floor), BASELINE_DATABASE_URL (the floor's, default .../ck_floor_floor),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/14, emptied before and after). Both databases are dropped at
the end.
"""

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench import booking_rush, call_next  # noqa: E402
from bench.baseline import serve  # noqa: E402
from bench.baseline.serve import Server  # noqa: E402
from bench.common import (  # noqa: E402
    PY,
    ROOT,
    DatabaseCpu,
    clean_up,
    django_setup,
    postmasters,
    recreate_database,
    side_by_side_env,
    tree_cpu_seconds,
)

TICKETS = 20_000  # waiting tickets for the call phase: more than any run calls
PLACES = 30_000  # places per arrival window for the booking phase (a smallint): none refused for want of one
# The units' numbers (a booking's mobile and ID number), never the same twice in a run: a warm-up and the
# phase after it must not book for the same person (a refused duplicate would count as a failed unit).
NUMBERS = itertools.count()


async def phase(
    server: Server, clients: list[httpx.AsyncClient], step, seconds: float, own: DatabaseCpu | None = None
) -> dict:
    """Each client repeats `step(client, n)` (True when a unit of work was done) until the time is up. `own`:
    the server's database, whose backends' CPU is read apart too."""
    outcome: Counter = Counter()
    deadline = time.perf_counter() + seconds

    async def loop(client):
        while time.perf_counter() < deadline:
            outcome["done" if await step(client, next(NUMBERS)) else "failed"] += 1

    backends = own.backends() if own else {}
    web, database, wall = tree_cpu_seconds(server.process.pid), tree_cpu_seconds(*postmasters()), time.time()
    await asyncio.gather(*(loop(client) for client in clients))
    units = max(outcome["done"], 1)
    return {
        "units": outcome["done"],
        "failed": outcome["failed"],
        "rate": outcome["done"] / (time.time() - wall),
        "web_ms": (tree_cpu_seconds(server.process.pid) - web) * 1000 / units,
        "db_ms": (tree_cpu_seconds(*postmasters()) - database) * 1000 / units,
        "own_db_ms": own.since(backends) * 1000 / units if own else 0.0,
    }


def json_ok(response: httpx.Response, status: int = 200) -> bool:
    return response.status_code == status


async def measure_floor(args, env: dict, log_dir: Path) -> dict:
    slots = serve.set_up(env, PLACES, TICKETS)

    async def book(client, n):
        body = {"slot": slots[n % len(slots)], "name": "张三丰", "phone": f"138{n:08d}"}
        return json_ok(await client.post("/book", json=body), 201)

    async def call(client, n):
        response = await client.post(f"/api/v1/counters/{id(client) % 1000}/call-next")
        if response.status_code != 200:
            return False
        return json_ok(await client.post(f"/api/v1/tickets/{response.json()['ticket']['id']}/complete"))

    async def ping(client, n):
        return json_ok(await client.get("/ping"))

    with Server("bench.baseline.wsgi:application", env, args.workers, log_dir / "floor.log") as server:
        server.wait_until_up("/ping")
        own = DatabaseCpu(env["BASELINE_DATABASE_URL"])
        return await run_phases(
            server, [{}] * args.clients, args.seconds, ping, book, call, own=own, warm_up=args.warm_up
        )


def set_up_chuangkou(args, env: dict) -> tuple[list[int], list[tuple[int, str]]]:
    """Chuangkou's scratch database: the booking bench's hall (20 windows, every place free) and the call-next
    bench's (a window, a clerk and a token per client, and TICKETS walk-ins waiting)."""
    recreate_database(env["DATABASE_URL"])
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    django_setup(env)
    from django.db import connections

    booking_rush.PLACES = PLACES
    _date, slots = booking_rush.create_hall()
    windows = call_next.create_hall(args.clients, TICKETS)
    connections.close_all()
    return slots, windows


async def measure_chuangkou(args, env: dict, log_dir: Path, slots: list[int], windows: list) -> dict:
    headers = [{"Authorization": f"Bearer {key}"} for _counter, key in windows]
    counter_of = {}

    async def book(client, n):
        return json_ok(await client.post("/api/v1/bookings", json=booking_rush.booking_body(slots, n)), 201)

    async def call(client, n):
        response = await client.post(f"/api/v1/counters/{counter_of[client]}/call-next")
        if response.status_code != 200:
            return False
        ticket = response.json()["ticket"]["id"]
        return json_ok(await client.post(f"/api/v1/tickets/{ticket}/complete", json={"outcome": "done"}))

    async def ping(client, n):
        return json_ok(await client.get("/api/v1/halls"))

    async def open_counters(clients):
        for client, (counter, _key) in zip(clients, windows, strict=True):
            counter_of[client] = counter
            assert json_ok(await client.post(f"/api/v1/counters/{counter}/open")), "a counter did not open"

    with Server("hall.wsgi:application", env, args.workers, log_dir / "chuangkou.log") as server:
        server.wait_until_up("/api/v1/halls")
        own = DatabaseCpu(env["DATABASE_URL"])
        phases = (ping, book, call)
        return await run_phases(
            server, headers, args.seconds, *phases, before=open_counters, own=own, warm_up=args.warm_up
        )


WARM_UP = 3.0  # seconds of each phase's own work before it is measured (--warm-up)


async def run_phases(
    server, headers, seconds, ping, book, call, before=None, own=None, warm_up=WARM_UP
) -> dict:
    """Each phase runs its own work unmeasured for `warm_up` seconds first: every worker has then imported
    what that work needs and filled its caches and its prepared statements (a worker imports modules and
    builds the URL patterns, the API's schemas and its statements on its first requests: hundreds of
    milliseconds of CPU each under load, which a short phase would otherwise count as the work's)."""
    clients = [httpx.AsyncClient(base_url=server.base, headers=h, timeout=30) for h in headers]
    found = {}
    try:
        if before:
            await before(clients)
        for name, step in (("trivial view", ping), ("booking", book), ("call-next + complete", call)):
            await phase(server, clients, step, warm_up)
            found[name] = await phase(server, clients, step, seconds, own)
        return found
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def report(floor: dict, ours: dict) -> None:
    print()
    print(
        "| per unit of work | floor: units/s, CPU web + PostgreSQL "
        "| Chuangkou: units/s, CPU web + PostgreSQL "
        "| ratio (all CPU) | ratio (web only) |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name, base in floor.items():
        mine = ours[name]
        total_base, total_mine = base["web_ms"] + base["db_ms"], mine["web_ms"] + mine["db_ms"]
        print(
            f"| {name} | {base['rate']:.0f}/s, {base['web_ms']:.2f} + {base['db_ms']:.2f} ms "
            f"| {mine['rate']:.0f}/s, {mine['web_ms']:.2f} + {mine['db_ms']:.2f} ms "
            f"| {total_mine / total_base:.1f}× | {mine['web_ms'] / base['web_ms']:.1f}× |"
        )
    print(
        "\nPostgreSQL's CPU counted for each server's own database only (its backends: not the other "
        "databases' work on a shared machine, nor the shared WAL writer and checkpointer):\n"
    )
    print("| per unit of work | floor: CPU web + own database | Chuangkou: CPU web + own database | ratio |")
    print("| --- | --- | --- | --- |")
    for name, base in floor.items():
        mine = ours[name]
        total_base, total_mine = base["web_ms"] + base["own_db_ms"], mine["web_ms"] + mine["own_db_ms"]
        print(
            f"| {name} | {base['web_ms']:.2f} + {base['own_db_ms']:.2f} ms "
            f"| {mine['web_ms']:.2f} + {mine['own_db_ms']:.2f} ms | {total_mine / total_base:.1f}× |"
        )
    failed = {name: (floor[name]["failed"], ours[name]["failed"]) for name in floor}
    print(f"\nfailed units (floor, Chuangkou): {failed}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers of each server")
    parser.add_argument("--clients", type=int, default=8, help="clients in the closed loop")
    parser.add_argument("--seconds", type=float, default=8, help="length of each phase")
    parser.add_argument("--warm-up", type=float, default=WARM_UP, help="unmeasured seconds before each phase")
    args = parser.parse_args()
    env, floor_env = side_by_side_env("floor", 14, BOOKING_SMS_CODE="off")
    log_dir = Path(env["VAR_DIR"])
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    print(
        f"{args.workers} gunicorn sync workers each, {args.clients} clients, {args.seconds:.0f} s a phase "
        f"after {args.warm_up:.0f} s of warm-up"
    )
    try:
        floor = asyncio.run(measure_floor(args, floor_env, log_dir))
        slots, windows = set_up_chuangkou(args, env)
        ours = asyncio.run(measure_chuangkou(args, env, log_dir, slots, windows))
    finally:
        clean_up(env, floor_env)
    report(floor, ours)
    print(f"load average {os.getloadavg()[0]:.2f} at the end; logs in {log_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
