"""Where one API booking's CPU goes: the statements it runs and a profile of the web side, in-process.

    .venv/bin/python bench/booking_profile.py [--bookings 300] [--statements] [--top 40]

Runs POST /api/v1/bookings through the whole WSGI stack (production settings, every middleware, as
bench/floor.py's server does, RATE_LIMITS and BOOKING_SMS_CODE off) against a scratch PostgreSQL database
(BENCH_DATABASE_URL, default postgres://root@127.0.0.1:5432/ck_booking_profile; dropped at the end) holding
bench/booking_rush.py's hall. Prints the statements of one booking (--statements: their text, and where
each came from) and the cProfile of --bookings bookings, by cumulative time.
"""

import argparse
import cProfile
import io
import logging
import os
import pstats
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import booking_rush  # noqa: E402
from bench.common import PY, ROOT, django_setup, drop_database, recreate_database, server_env  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--statements", action="store_true", help="print each statement and its origin")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-cprofile", action="store_true", help="time only (e.g. under py-spy)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_booking_profile")
    env = server_env(url, os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"), tempfile.mkdtemp())
    env["BOOKING_SMS_CODE"] = "off"
    recreate_database(url)
    try:
        subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        django_setup(env)
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url)


def run(args) -> int:
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    logging.disable(logging.INFO)
    booking_rush.PLACES = 30_000
    _date, slots = booking_rush.create_hall()
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_HOST="127.0.0.1")

    def book(n):
        response = client.post(
            "/api/v1/bookings",
            json.dumps(booking_rush.booking_body(slots, n)),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content

    for n in range(20):  # warm up: imports, caches, connections
        book(n)
    origins = []
    if args.statements:

        def where(execute, sql, params, many, context):
            frames = [f for f in traceback.extract_stack() if "/site-packages/" not in f.filename]
            origins.append((sql, " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in frames[-4:-1])))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(where), CaptureQueriesContext(connection) as queries:
            book(10_000)
        for sql, origin in origins:
            print(f"- {sql[:160]}\n    from {origin}")
    else:
        with CaptureQueriesContext(connection) as queries:
            book(10_000)
    print(f"statements in one booking: {len(queries.captured_queries)} (BEGIN and COMMIT included)")
    cpu = time.process_time()
    for n in range(30_000, 30_000 + args.bookings):
        book(n)
    cpu = time.process_time() - cpu
    print(f"{args.bookings} bookings: {cpu * 1000 / args.bookings:.2f} ms of this process's CPU each")
    if args.no_cprofile:
        return 0
    profile = cProfile.Profile(time.process_time)
    cpu = time.process_time()
    profile.enable()
    for n in range(20_000, 20_000 + args.bookings):
        book(n)
    profile.disable()
    cpu = time.process_time() - cpu
    print(
        f"{args.bookings} bookings: {cpu * 1000 / args.bookings:.2f} ms of this process's CPU each, profiled"
    )
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
