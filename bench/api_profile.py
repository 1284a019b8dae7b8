"""Where the CPU of the hot API paths goes, in-process, through the WSGI application as gunicorn calls it.

    .venv/bin/python bench/api_profile.py [--units 300] [--what ping,book,call,empty] [--profile book]
                                          [--top 40] [--keep] [--middleware]

Requests are handed to hall.wsgi.application as WSGI environs (no test client, no sockets), with production
settings (RATE_LIMITS and BOOKING_SMS_CODE off), against a scratch PostgreSQL database (BENCH_DATABASE_URL,
default postgres://root@127.0.0.1:5432/ck_api_profile) holding bench/booking_rush.py's and
bench/call_next.py's halls (`empty`: a call-next at a window of that hall nobody waits for, answered 204).
For each path it prints this process's CPU per unit and the CPU of the
database's backends (read from /proc), and the statements of one unit; --per-statement: the backend's CPU
per statement. --profile: the cProfile of that path, by cumulative time.
--middleware: the CPU each middleware adds (the difference with it left out, on GET /api/v1/halls; one
that another needs fails that run).
--keep: keep the database for the next run (and reuse one kept before).
"""

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import booking_rush, call_next  # noqa: E402
from bench.common import (  # noqa: E402
    PY,
    ROOT,
    DatabaseCpu,
    django_setup,
    drop_database,
    recreate_database,
    server_env,
)

TICKETS = 20_000


def environ(method: str, path: str, body: dict | None = None, token: str = "") -> dict:
    data = json.dumps(body).encode() if body is not None else b""
    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_USER_AGENT": "python-httpx/0.28",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if data:
        env["CONTENT_TYPE"] = "application/json"
        env["CONTENT_LENGTH"] = str(len(data))
    if token:
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return env


class App:
    def __init__(self, application):
        self.application = application

    def __call__(self, method, path, body=None, token="") -> tuple[int, bytes]:
        status = []

        def start_response(code, headers, exc_info=None):
            status.append(int(code.split()[0]))

        chunks = self.application(environ(method, path, body, token), start_response)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return status[0], data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--what", default="ping,book,call")
    parser.add_argument("--profile", default="", help="ping, book or call: cProfile it")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative", help="the profile's order: cumulative, tottime, ...")
    parser.add_argument("--dump", default="", help="with --profile: write the profile to this file too")
    parser.add_argument("--callers", default="", help="with --profile: also the callers of these functions")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--middleware", action="store_true")
    parser.add_argument("--statements", action="store_true", help="print each unit's statements")
    parser.add_argument(
        "--per-statement", action="store_true", help="the database backend's CPU per statement (from /proc)"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_api_profile")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env = server_env(url, redis_url, tempfile.mkdtemp(), BOOKING_SMS_CODE="off")
    state = Path(tempfile.gettempdir()) / f"api_profile_{url.rsplit('/', 1)[1]}.json"
    fresh = not (args.keep and state.exists())
    if fresh:
        recreate_database(url)
        subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    try:
        django_setup(env)
        if fresh:
            booking_rush.PLACES = 30_000
            _date, slots = booking_rush.create_hall()
            windows = call_next.create_hall(8, TICKETS)
            empty = empty_window()
            state.write_text(json.dumps({"slots": slots, "windows": windows, "empty": empty, "n": 0}))
        return run(args, state, DatabaseCpu(url))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url)
            state.unlink(missing_ok=True)


def empty_window() -> tuple[int, str]:
    """A window of the call-next hall whose one service nobody waits for, its clerk and its token: a
    call-next there answers 204 (windows asking an empty queue were half of a province day's requests)."""
    from django.contrib.auth.models import User

    from hall.models import ApiToken, Counter, Hall, Service
    from hall.services import assign_staff

    hall = Hall.objects.get(slug=call_next.HALL)
    service = Service.objects.create(hall=hall, code="empty", prefix="E", name="无人排队", position=99)
    counter = Counter.objects.create(hall=hall, number=99)
    counter.services.set([service])
    user = User.objects.create(username="bench-clerk-empty")
    assign_staff(user=user, hall=hall, role="clerk")
    _token, key = ApiToken.objects.issue(user=user, hall=hall, name="window 99")
    return counter.pk, key


def run(args, state: Path, database: DatabaseCpu) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import hall.wsgi

    logging.disable(logging.INFO)
    saved = json.loads(state.read_text())
    slots, windows = saved["slots"], saved["windows"]
    app = App(hall.wsgi.application)
    numbers = iter(range(saved["n"], 10**9))
    opened = set()

    def ping():
        code, data = app("GET", "/api/v1/halls")
        assert code == 200, data

    def book():
        n = next(numbers)
        code, data = app("POST", "/api/v1/bookings", booking_rush.booking_body(slots, n))
        assert code == 201, data

    counter, key = windows[0]

    def call():
        if counter not in opened:
            app("POST", f"/api/v1/counters/{counter}/open", token=key)
            opened.add(counter)
        code, data = app("POST", f"/api/v1/counters/{counter}/call-next", token=key)
        assert code == 200, data
        ticket = json.loads(data)["ticket"]["id"]
        code, data = app("POST", f"/api/v1/tickets/{ticket}/complete", {"outcome": "done"}, token=key)
        assert code == 200, data

    empty_counter, empty_key = saved["empty"]

    def empty():
        if empty_counter not in opened:
            app("POST", f"/api/v1/counters/{empty_counter}/open", token=empty_key)
            opened.add(empty_counter)
        code, data = app("POST", f"/api/v1/counters/{empty_counter}/call-next", token=empty_key)
        assert code == 204, data

    paths = {"ping": ping, "book": book, "call": call, "empty": empty}
    try:
        for name in args.what.split(","):
            unit = paths[name]
            for _ in range(20):  # warm up
                unit()
            if args.statements:
                with CaptureQueriesContext(connection) as queries:
                    unit()
                print(f"{name}: {len(queries.captured_queries)} statements")
                for query in queries.captured_queries:
                    print("   ", query["sql"][:150])
            for _round in range(3):
                before, cpu = database.backends(), time.process_time()
                for _ in range(args.units):
                    unit()
                cpu = (time.process_time() - cpu) * 1000 / args.units
                db = database.since(before) * 1000 / args.units
                print(f"{name}: {cpu:.2f} ms web + {db:.2f} ms database per unit ({args.units} units)")
        if args.per_statement:
            for name in args.what.split(","):
                per_statement(paths[name], args.units, name)
        if args.profile:
            unit = paths[args.profile]
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            for _ in range(args.units):
                unit()
            profile.disable()
            if args.dump:
                profile.dump_stats(args.dump)
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).sort_stats(args.sort)
            stats.print_stats(args.top)
            if args.callers:
                stats.print_callers(args.callers)
            print(out.getvalue())
        if args.middleware:
            middleware_costs(args.units)
    finally:
        saved["n"] = next(numbers)
        state.write_text(json.dumps(saved))
    return 0


def per_statement(unit, units: int, name: str) -> None:
    """The CPU of the database backend serving each statement of `unit` (its /proc ticks before and after,
    summed over `units` units: each reading is coarse, the sum is not), and the round trip's wall time."""
    from collections import defaultdict

    from django.db import connection

    from bench.common import cpu_seconds

    spent, wall, seen = defaultdict(float), defaultdict(float), []

    def measure(execute, sql, params, many, context):
        pid = connection.connection.info.backend_pid
        key = " ".join(sql.split()[:4])[:60]
        before, started = cpu_seconds(pid), time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            wall[key] += time.perf_counter() - started
            spent[key] += cpu_seconds(pid) - before
            if key not in seen:
                seen.append(key)

    with connection.execute_wrapper(measure):
        for _ in range(units):
            unit()
    print(f"{name}: the database's CPU and the wall time per statement, ms per unit")
    for key in seen:
        print(f"  {spent[key] * 1000 / units:6.2f} cpu {wall[key] * 1000 / units:6.2f} wall  {key}")
    total, waited = sum(spent.values()) * 1000 / units, sum(wall.values()) * 1000 / units
    print(f"  {total:6.2f} cpu {waited:6.2f} wall  all")


def middleware_costs(units: int) -> None:
    """Each middleware's CPU on GET /api/v1/halls: the whole stack, then the stack without that one."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    full = list(settings.MIDDLEWARE)

    def per_request(middleware) -> float:
        settings.MIDDLEWARE = middleware
        app = App(WSGIHandler())
        for _ in range(20):
            app("GET", "/api/v1/halls")
        best = float("inf")
        for _round in range(3):
            cpu = time.process_time()
            for _ in range(units):
                app("GET", "/api/v1/halls")
            best = min(best, (time.process_time() - cpu) * 1000 / units)
        return best

    whole = per_request(full)
    print(f"GET /api/v1/halls, every middleware: {whole:.3f} ms")
    print(f"  without any: {per_request([]):.3f} ms")
    for name in full:
        print(f"  {name}: {whole - per_request([m for m in full if m != name]):+.3f} ms")
    settings.MIDDLEWARE = full


if __name__ == "__main__":
    sys.exit(main())
