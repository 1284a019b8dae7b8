"""Where a province hall's check-in, walk-in and ticket read spend their CPU, in-process through the WSGI
application as gunicorn calls it (issue 20 item 7: these were the province day's slowest actions).

    BENCH_REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/walk_in_profile.py \
        [--waiting 30] [--profile walk-in]

One hall as bench/province_day.py builds it (2 services, 4 windows open, half the visitors booked), with
`--waiting` walk-ins already waiting; then `--units` each of walk-in, check-in and ticket read, three
rounds, the CPU of this process and of the database's backends per request."""

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import province_day  # noqa: E402
from api_profile import App  # noqa: E402
from common import PY, ROOT, DatabaseCpu, django_setup, drop_database, recreate_database, server_env  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiting", type=int, default=30)
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--profile", default="", help="walk-in, check-in or ticket: cProfile it")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--statements", action="store_true", help="print the statements of one of each")
    parser.add_argument(
        "--expired",
        action="store_true",
        help="each request finds the hall's kept reads expired, as in a hall issuing a ticket every 12 s",
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_walk_in_profile")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = server_env(url, redis_url, tempfile.mkdtemp(), BOOKING_SMS_CODE="off", SMS_BACKEND="memory")
    recreate_database(url)
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    try:
        django_setup(env)
        visitors = 2 * (args.units * 4 + args.waiting)
        (made,) = province_day.build_halls(1, visitors, 2026)
        return run(args, made, DatabaseCpu(url))
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url)


def run(args, made: dict, database: DatabaseCpu) -> int:
    import hall.wsgi

    logging.disable(logging.INFO)
    app = App(hall.wsgi.application)
    slug, kiosk, services = made["slug"], made["kiosk"], made["services"]
    for counter, key in made["windows"]:
        code, data = app("POST", f"/api/v1/counters/{counter}/open", token=key)
        assert code == 200, data
    codes = iter(made["codes"])
    tokens = []
    n = iter(range(10**9))

    def walk_in():
        code, data = app("POST", f"/api/v1/halls/{slug}/tickets", {"service": services[next(n) % 2]}, kiosk)
        assert code == 201, data
        tokens.append(json.loads(data)["token"])

    def check_in():
        code, data = app("POST", f"/api/v1/halls/{slug}/tickets", {"booking_code": next(codes)[0]}, kiosk)
        assert code == 201, data
        tokens.append(json.loads(data)["token"])

    reads = iter(range(10**9))

    def ticket():
        code, data = app("GET", f"/api/v1/tickets/{tokens[next(reads) % len(tokens)]}")
        assert code == 200, data

    def ping():
        code, data = app("GET", "/api/v1/halls")
        assert code == 200, data

    for _ in range(args.waiting):
        walk_in()
    paths = {"ping": ping, "walk-in": walk_in, "check-in": check_in, "ticket": ticket}
    if args.expired:
        from django.core.cache import cache
        from django.utils import timezone

        from hall import cache as hall_cache
        from hall.models import Hall

        hall = Hall.objects.get(slug=slug)
        kept = hall_cache.of_release(  # queueing.progress.KeptHall's key (hall.cache.cached)
            f"hallnow:{hall.pk}:{hall.local_date(timezone.now()).isoformat()}"
        )

        def expired(unit):
            def run():
                cache.delete(kept)
                unit()

            return run

        paths = {name: expired(unit) for name, unit in paths.items()}
    if args.statements:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for name, unit in paths.items():
            time.sleep(2.1)  # the hall's kept reads expired (WAITING_CACHE_SECONDS), as most issues find them
            with CaptureQueriesContext(connection) as queries:
                unit()
            print(f"{name}: {len(queries.captured_queries)} statements")
            for query in queries.captured_queries:
                print("   ", " ".join(query["sql"].split())[:120])
    load = os.getloadavg()[0]
    print(f"one province hall, 4 windows open, {args.waiting} waiting at the start; load {load:.1f}")
    for _round in range(3):
        for name, unit in paths.items():
            before, cpu = database.backends(), time.process_time()
            for _ in range(args.units // 3 if name in ("walk-in", "check-in") else args.units):
                unit()
            units = args.units // 3 if name in ("walk-in", "check-in") else args.units
            cpu = (time.process_time() - cpu) * 1000 / units
            db = database.since(before) * 1000 / units
            issued = len(tokens)
            print(f"{name:>9}: {cpu:6.2f} ms web + {db:5.2f} ms database each ({units}; {issued} issued)")
    if args.profile:
        unit = paths[args.profile]
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(args.units // 3):
            unit()
        profile.disable()
        out = io.StringIO()
        ours = rf"{re.escape(str(ROOT))}/(?!\.venv)"  # the project's code, not the libraries'
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(ours, args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
