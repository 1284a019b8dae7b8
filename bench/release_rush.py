"""A release-time rush (放号): citizens arrive at five times the booking capacity for a minute.

    .venv/bin/python bench/release_rush.py [--workers 4] [--factor 5] [--seconds 60] [--without-limiter]

Chuangkou (production settings, gunicorn sync workers, nginx in front as in deploy/nginx.conf, admission
control on: hall/admission.py) gets the booking hall of bench/booking_rush.py with 20 windows: 18 with
30,000 places (bookings never stop for want of a place) and 2 with 5 (they fill within seconds, so that
overselling would show). First its capacity: a short closed-loop ramp of bookings (POST /api/v1/bookings,
each by another citizen). Then the rush, open loop: arrivals at --factor x that capacity for --seconds, each
a new citizen posting one booking; nobody retries (a retry would be one more arrival). It prints:

- the share of citizens answered within 2 s with the booking, a refusal they can act on (a full window), or
  "busy, try again in N s" (429 or 503 with Retry-After); 5xx without Retry-After, connection errors and
  client time-outs (10 s), each counted;
- latency percentiles (from each arrival's due time: no coordinated omission) by answer;
- bookings a second in each 5 s of the rush, against the capacity;
- the oversold check read back from the database (places booked beyond a window's capacity, windows whose
  count differs from their bookings).

The same arrivals (the same rate, not --factor x the floor's own capacity: one Python generator cannot
send the floor's five times, about 500 a second here) go to the floor (bench/baseline: no admission
control), served and driven the same way; with --without-limiter Chuangkou is rushed again at the same
rate with ADMISSION_MAX_WAIT_MS=0: what the limiter buys.
Environment: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_release), BASELINE_DATABASE_URL
(.../ck_release_floor), BENCH_REDIS_URL (default redis://127.0.0.1:6379/14, emptied before and after).
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
from bench import booking_rush  # noqa: E402
from bench.baseline import serve  # noqa: E402
from bench.common import PY, ROOT, django_setup, drop_database, recreate_database, server_env  # noqa: E402
from bench.load import Answer, Front, capacity, http, open_loop, percentiles  # noqa: E402

PLACES, SMALL = 30_000, 5
WITHIN = 2.0  # seconds: every citizen answered by then
citizens = itertools.count(1)


def outcome(answer: Answer) -> str:
    if answer.status == 0:
        return answer.error  # "connection" or "timeout"
    if answer.status in (429, 503) and answer.headers.get("retry-after", "").isdigit():
        return "busy"
    if answer.status >= 500:
        return f"HTTP {answer.status}"
    if answer.status == 201:
        return "booked"
    try:
        return json.loads(answer.body).get("error", f"HTTP {answer.status}")
    except ValueError:
        return f"HTTP {answer.status}"


def chuangkou_booking(port: int, slots: list[int]):
    async def unit(_n):
        n = next(citizens)
        body = booking_rush.booking_body(slots, n)
        headers = {"Content-Type": "application/json"}
        answer = await http(port, "POST", "/api/v1/bookings", headers, json.dumps(body).encode())
        return "booking", answer, None

    return unit


def floor_booking(port: int, slots: list[int]):
    async def unit(_n):
        n = next(citizens)
        body = {"slot": slots[n % len(slots)], "name": "张三丰", "phone": f"138{n:08d}"}
        answer = await http(
            port, "POST", "/book", {"Content-Type": "application/json"}, json.dumps(body).encode()
        )
        return "booking", answer, None

    return unit


def report(label: str, results: list, rate: float, cap: float, seconds: float) -> dict:
    kinds = Counter(outcome(r.answer) for r in results)
    acted_on = {"booked", "busy", "slot_full", "full", "duplicate_booking", "limit_reached"}
    answered = sum(1 for r in results if r.latency <= WITHIN and outcome(r.answer) in acted_on)
    server_errors = sum(n for kind, n in kinds.items() if kind.startswith("HTTP 5"))
    share = answered / max(len(results), 1)
    print(
        f"{label}: {len(results)} arrivals at {rate:.0f}/s ({rate / cap:.1f} x capacity) for {seconds:.0f} s"
    )
    print(
        f"  answered within {WITHIN:.0f} s (booked, refused with a reason, busy + Retry-After): {share:.1%}"
    )
    print(
        f"  5xx without Retry-After: {server_errors}; connection errors: {kinds['connection']}; "
        f"client time-outs: {kinds['timeout']}; busy (429/503 + Retry-After): {kinds['busy']}"
    )
    print(f"  answers: {dict(kinds)}")
    for kind in sorted(kinds):
        latencies = [r.latency for r in results if outcome(r.answer) == kind]
        print(f"  latency, {kind}: {percentiles(latencies)}")
    lags = [r.lag for r in results]
    print(f"  generator send lag (due to sent): {percentiles(lags)}")
    buckets = Counter(int((r.due + r.latency) // 5) for r in results if outcome(r.answer) == "booked")
    per_bucket = [buckets.get(b, 0) / 5 for b in range(int(seconds // 5) + 1)]
    print("  bookings/s per 5 s: " + " ".join(f"{v:.0f}" for v in per_bucket) + f" (capacity {cap:.0f}/s)")
    full = per_bucket[:-1] if len(per_bucket) > 1 else per_bucket
    return {
        "share": share,
        "server_errors": server_errors,
        "connection": kinds["connection"],
        "timeouts": kinds["timeout"],
        "busy": kinds["busy"],
        "booked": kinds["booked"],
        "min_bucket": min(full),
        "mean_rate": sum(full) / len(full),
    }


def set_up_chuangkou(env: dict) -> list[int]:
    recreate_database(env["DATABASE_URL"])
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    django_setup(env)
    from django.db import connections

    from appointments.models import Slot

    booking_rush.PLACES = PLACES
    _date, slots = booking_rush.create_hall()
    Slot.objects.filter(pk__in=slots[:2]).update(capacity=SMALL)
    connections.close_all()
    return slots


def reset_and_check(slots: list[int]):
    from django.db import connections

    booking_rush.reset_day(slots)
    connections.close_all()


async def rush_chuangkou(args, env: dict, slots: list[int], log: Path, max_wait: int, rate: float | None):
    env = {**env, "ADMISSION_MAX_WAIT_MS": str(max_wait)}
    with serve.Server("hall.wsgi:application", env, args.workers, log) as server:
        server.wait_until_up("/api/v1/halls")
        with Front(server.port) as front:
            unit = chuangkou_booking(front.port, slots)
            cap = await capacity(unit, "Chuangkou bookings")
            await asyncio.to_thread(reset_and_check, slots)
            rate = rate or cap * args.factor
            results = await open_loop(unit, rate, args.seconds, poisson=args.poisson)
    beyond, mismatched, total = await asyncio.to_thread(booking_rush.oversold, slots)
    return cap, rate, results, (beyond, mismatched, total)


async def rush_floor(args, env: dict, log: Path, rate: float):
    slots = await asyncio.to_thread(serve.set_up, env, PLACES, 0)
    import psycopg

    with psycopg.connect(env["BASELINE_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("UPDATE baseline_slot SET capacity = %s WHERE id = ANY(%s)", [SMALL, slots[:2]])
    with serve.Server("bench.baseline.wsgi:application", env, args.workers, log) as server:
        server.wait_until_up("/ping")
        with Front(server.port) as front:
            unit = floor_booking(front.port, slots)
            cap = await capacity(unit, "floor bookings")
            await asyncio.to_thread(serve.reset, env)
            results = await open_loop(unit, rate, args.seconds, poisson=args.poisson)
    with psycopg.connect(env["BASELINE_DATABASE_URL"]) as conn:
        (beyond,) = conn.execute(
            "SELECT coalesce(sum(greatest(taken - capacity, 0)), 0) FROM baseline_slot"
        ).fetchone()
    return cap, rate, results, beyond


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers of each server")
    parser.add_argument("--factor", type=float, default=5, help="arrival rate as a multiple of capacity")
    parser.add_argument("--seconds", type=float, default=60, help="length of the rush")
    parser.add_argument("--max-wait", type=int, default=500, help="ADMISSION_MAX_WAIT_MS of Chuangkou")
    parser.add_argument("--poisson", action="store_true", help="exponential gaps instead of a fixed interval")
    parser.add_argument("--without-limiter", action="store_true", help="also rush Chuangkou with it off")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_release")
    floor_url = os.environ.get("BASELINE_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_release_floor")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    log_dir = Path(tempfile.mkdtemp(prefix="ck-release-"))
    env = server_env(database_url, redis_url, str(log_dir), BOOKING_SMS_CODE="off")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    print(f"{args.workers} gunicorn sync workers behind nginx; ADMISSION_MAX_WAIT_MS={args.max_wait}")
    failed = False
    try:
        slots = set_up_chuangkou(env)
        cap, rate, results, (beyond, mismatched, total) = asyncio.run(
            rush_chuangkou(args, env, slots, log_dir / "chuangkou.log", args.max_wait, None)
        )
        mine = report("Chuangkou, admission control on", results, rate, cap, args.seconds)
        print(f"  database: {total} places booked, {beyond} beyond capacity, {mismatched} windows miscounted")
        failed = beyond + mismatched > 0
        if args.without_limiter:
            redis.Redis.from_url(redis_url).flushdb()
            reset_and_check(slots)
            _cap, _rate, results, (beyond, mismatched, total) = asyncio.run(
                rush_chuangkou(args, env, slots, log_dir / "chuangkou-off.log", 0, rate)
            )
            report("Chuangkou, admission control off (same rate)", results, rate, cap, args.seconds)
            print(f"  database: {total} places booked, {beyond} beyond, {mismatched} windows miscounted")
        floor_env = {
            **env,
            "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
            "BASELINE_DATABASE_URL": floor_url,
        }
        floor_cap, floor_rate, floor_results, floor_beyond = asyncio.run(
            rush_floor(args, floor_env, log_dir / "floor.log", rate)
        )
        label = "the floor (no admission control), the same arrivals"
        floor = report(label, floor_results, floor_rate, floor_cap, args.seconds)
        print(f"  database: {floor_beyond} places beyond capacity")
    finally:
        if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
            from django.db import connections

            connections.close_all()
        drop_database(database_url)
        drop_database(floor_url)
        redis.Redis.from_url(redis_url).flushdb()
    print("Chuangkou against the floor, in this run:")
    print(f"  booking capacity: {cap:.0f}/s vs {floor_cap:.0f}/s = {cap / floor_cap:.2f} x")
    print(f"  bookings/s during the rush: {mine['mean_rate']:.0f} vs {floor['mean_rate']:.0f}")
    print(f"  answered within {WITHIN:.0f} s: {mine['share']:.1%} vs {floor['share']:.1%}")
    targets = [
        ("no 5xx", mine["server_errors"] == 0),
        ("no connection errors or time-outs", mine["connection"] + mine["timeouts"] == 0),
        (f"every citizen answered within {WITHIN:.0f} s", mine["share"] == 1),
        ("bookings at >= 80 % of capacity in every 5 s", mine["min_bucket"] >= 0.8 * cap),
        ("nothing oversold", not failed),
    ]
    print("targets:")
    for name, met in targets:
        print(f"  {'met   ' if met else 'MISSED'} {name}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end; logs in {log_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
