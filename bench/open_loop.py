"""Latency under load, measured open-loop: the hot paths at half of the measured capacity for a minute.

    .venv/bin/python bench/open_loop.py [--workers 4] [--load 0.5] [--seconds 60] [--poisson]

The load is a mix of four citizen and clerk actions in equal parts, in turn: a booking (POST
/api/v1/bookings, each by another citizen), an availability read (GET .../availability, kept 2 s as in
production), a call-next at one of 20 windows (POST /api/v1/counters/{id}/call-next with the window's
token, followed by the ticket's complete, which is not timed) and a citizen's ticket page (GET /t/{token}/).

For each server: a short closed-loop ramp of the mix finds its capacity (mix actions a second), then
arrivals come at --load x that capacity for --seconds, open loop (bench/load.py: latency from each
arrival's due time, so a slow answer cannot hold the next arrivals back), and p50/p95/p99 are printed per
action. The server is Chuangkou (production settings, gunicorn sync workers, nginx in front as in
deploy/nginx.conf, admission control on) and the floor (bench/baseline: a guarded UPDATE + INSERT booking,
a SKIP LOCKED call-next, a trivial JSON view for the reads), served and driven the same way in one run.
Issue 20's target: p99 < 250 ms for each of Chuangkou's four actions.

Environment: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_open_loop),
BASELINE_DATABASE_URL (.../ck_open_loop_floor), BENCH_REDIS_URL (default redis://127.0.0.1:6379/15, emptied
before and after).
"""

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench import booking_rush, call_next  # noqa: E402
from bench.baseline import serve  # noqa: E402
from bench.common import PY, ROOT, django_setup, drop_database, recreate_database, server_env  # noqa: E402
from bench.load import Front, capacity, http, open_loop, p99, percentiles  # noqa: E402

KINDS = ("booking", "availability", "call-next", "ticket page")
WINDOWS, TICKETS, PLACES, WAITING = 20, 3_000, 30_000, 40
TARGET = 0.250
JSON = {"Content-Type": "application/json"}
citizens = itertools.count(1)


def post(port, path, body: dict, headers: dict | None = None):
    return http(port, "POST", path, {**JSON, **(headers or {})}, json.dumps(body).encode())


def chuangkou_mix(port: int, seed: dict):
    async def unit(n: int):
        kind = KINDS[n % 4]
        if kind == "booking":
            c = next(citizens)
            body = {
                "hall": booking_rush.HALL,
                "service": booking_rush.SERVICE,
                "slot": seed["slots"][c % len(seed["slots"])],
                "name": "张三丰",
                "phone": f"138{c:08d}",
                "id_number": booking_rush.id_number(c),
                "persons": 1,
            }
            return kind, await post(port, "/api/v1/bookings", body), None
        if kind == "availability":
            query = f"service={booking_rush.SERVICE}&date={seed['date']}"
            path = f"/api/v1/halls/{booking_rush.HALL}/availability?{query}"
            return kind, await http(port, "GET", path), None
        if kind == "ticket page":
            tokens = seed["tokens"]
            return kind, await http(port, "GET", f"/t/{tokens[n % len(tokens)]}/"), None
        counter, key = seed["windows"][(n // 4) % len(seed["windows"])]
        auth = {"Authorization": f"Bearer {key}"}
        answer = await post(port, f"/api/v1/counters/{counter}/call-next", {}, auth)
        answered = asyncio.get_running_loop().time()
        if answer.status == 200:
            ticket = json.loads(answer.body)["ticket"]["id"]
            await post(port, f"/api/v1/tickets/{ticket}/complete", {"outcome": "done"}, auth)
        return kind, answer, answered

    return unit


def floor_mix(port: int, slots: list[int]):
    async def unit(n: int):
        kind = KINDS[n % 4]
        if kind == "booking":
            c = next(citizens)
            body = {"slot": slots[c % len(slots)], "name": "张三丰", "phone": f"138{c:08d}"}
            return kind, await post(port, "/book", body), None
        if kind in ("availability", "ticket page"):
            return kind, await http(port, "GET", "/ping"), None
        answer = await post(port, f"/api/v1/counters/{(n // 4) % WINDOWS}/call-next", {})
        answered = asyncio.get_running_loop().time()
        if answer.status == 200:
            await post(port, f"/api/v1/tickets/{json.loads(answer.body)['ticket']['id']}/complete", {})
        return kind, answer, answered

    return unit


def set_up_chuangkou(env: dict) -> dict:
    recreate_database(env["DATABASE_URL"])
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    # The ticket page is HTML: production serves its static files from the collected manifest.
    subprocess.run([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    django_setup(env)
    from django.db import connections

    booking_rush.PLACES = PLACES
    date, slots = booking_rush.create_hall()
    windows = call_next.create_hall(WINDOWS, TICKETS)
    tokens = waiting_tickets(WAITING)
    connections.close_all()
    return {"date": date, "slots": slots, "windows": windows, "tokens": tokens}


def waiting_tickets(count: int) -> list[str]:
    """A morning's queue in the booking hall, nobody calling it: `count` walk-ins waiting, whose pages
    citizens read (the call-next hall's thousands waiting would make every page's estimate walk them all).
    Returns their tokens."""
    import datetime as dt
    import secrets

    from django.utils import timezone

    from hall.models import Hall, Service
    from queueing.models import DaySequence, Ticket, TicketKind

    hall = Hall.objects.get(slug=booking_rush.HALL)
    service = Service.objects.get(hall=hall, code=booking_rush.SERVICE)
    now = timezone.now()
    today = hall.local_date(now)
    DaySequence.objects.create(hall=hall, service=service, date=today, last=count)
    tickets = Ticket.objects.bulk_create(
        Ticket(
            hall=hall,
            service=service,
            date=today,
            sequence=i,
            number=f"A{i:04d}",
            token=secrets.token_urlsafe(24),
            kind=TicketKind.WALK_IN,
            issued_at=now - dt.timedelta(minutes=count - i + 1),
        )
        for i in range(1, count + 1)
    )
    return [ticket.token for ticket in tickets]


def report(label: str, results: list, rate: float, cap: float) -> dict:
    print(f"{label}: {len(results)} arrivals at {rate:.1f}/s ({rate / cap:.2f} x capacity {cap:.1f}/s)")
    figures = {}
    for kind in KINDS:
        mine = [r for r in results if r.kind == kind]
        ok = [r for r in mine if 200 <= r.answer.status < 300]
        statuses = Counter(r.answer.status or r.answer.error for r in mine)
        figures[kind] = p99([r.latency for r in mine])
        latency = percentiles([r.latency for r in mine])
        print(f"  {kind:12} {latency}; {len(ok)}/{len(mine)} 2xx; {dict(statuses)}")
    print(f"  generator send lag (due to sent): {percentiles([r.lag for r in results])}")
    return figures


async def measure(unit, label: str, load: float, args) -> tuple[float, float, list]:
    cap = await capacity(unit, label, ramp=(4, 8, 16))
    rate = cap * load
    return cap, rate, await open_loop(unit, rate, args.seconds, poisson=args.poisson)


async def run_chuangkou(args, env: dict, seed: dict, log: Path):
    with serve.Server("hall.wsgi:application", env, args.workers, log) as server:
        server.wait_until_up("/api/v1/halls")
        with Front(server.port) as front:
            for counter, key in seed["windows"]:
                answer = await post(
                    front.port, f"/api/v1/counters/{counter}/open", {}, {"Authorization": f"Bearer {key}"}
                )
                assert answer.status == 200, f"a counter did not open: {answer.status} {answer.body[:200]}"
            return await measure(chuangkou_mix(front.port, seed), "Chuangkou mix", args.load, args)


async def run_floor(args, env: dict, log: Path):
    slots = await asyncio.to_thread(serve.set_up, env, PLACES, TICKETS)
    with serve.Server("bench.baseline.wsgi:application", env, args.workers, log) as server:
        server.wait_until_up("/ping")
        with Front(server.port) as front:
            return await measure(floor_mix(front.port, slots), "floor mix", args.load, args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers of each server")
    parser.add_argument("--load", type=float, default=0.5, help="arrival rate as a share of capacity")
    parser.add_argument("--seconds", type=float, default=60, help="length of the open-loop phase")
    parser.add_argument("--poisson", action="store_true", help="exponential gaps instead of a fixed interval")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_open_loop")
    floor_url = os.environ.get("BASELINE_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_open_loop_floor")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    log_dir = Path(tempfile.mkdtemp(prefix="ck-open-loop-"))
    env = server_env(database_url, redis_url, str(log_dir), BOOKING_SMS_CODE="off")
    floor_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
        "BASELINE_DATABASE_URL": floor_url,
    }
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    print(
        f"{args.workers} gunicorn sync workers behind nginx; {args.load:g} x capacity, {args.seconds:.0f} s"
    )
    try:
        floor_cap, floor_rate, floor_results = asyncio.run(run_floor(args, floor_env, log_dir / "floor.log"))
        seed = set_up_chuangkou(env)
        cap, rate, results = asyncio.run(run_chuangkou(args, env, seed, log_dir / "chuangkou.log"))
    finally:
        if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
            from django.db import connections

            connections.close_all()
        drop_database(database_url)
        drop_database(floor_url)
        redis.Redis.from_url(redis_url).flushdb()
    floor = report("the floor", floor_results, floor_rate, floor_cap)
    mine = report("Chuangkou", results, rate, cap)
    print("Chuangkou against the floor, in this run:")
    print(f"  capacity (mix actions/s): {cap:.1f} vs {floor_cap:.1f} = {cap / floor_cap:.2f} x")
    for kind in KINDS:
        ours, base = mine[kind] * 1000, floor[kind] * 1000
        print(f"  p99 {kind}: {ours:.0f} vs {base:.0f} ms: {ours / base:.1f} x")
    print("targets:")
    for kind in KINDS:
        met = mine[kind] < TARGET
        print(
            f"  {'met   ' if met else 'MISSED'} p99 {kind} < {TARGET * 1000:.0f} ms: {mine[kind] * 1000:.0f}"
        )
    print(f"load average {os.getloadavg()[0]:.2f} at the end; logs in {log_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
