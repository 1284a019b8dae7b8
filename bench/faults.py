"""Faults against the production server: PostgreSQL restarted, its connections terminated, Redis restarted,
the ASGI server restarted. Each scenario prints what the clients saw and how long recovery took.

    .venv/bin/python bench/faults.py            # all four; results recorded in docs/faults.md
    .venv/bin/python bench/faults.py redis      # one (pg_restart, pg_terminate, redis, server)

Everything runs on PRIVATE servers started here and removed afterwards (a PostgreSQL cluster from initdb
and a redis-server, each on a free port, in a temporary folder), never on the shared ones on 5432 and 6379:
restarting those would break other people's tests. The app is one uvicorn process (hall.asgi:application)
with DEPLOYMENT=production and the anti-abuse limits ON (Redis-backed rate limits are part of what a Redis
outage tests); booking SMS codes are off, as in every loopback benchmark (README). tests/test_faults.py
runs the same scenarios under pytest.
"""

import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PY, ROOT, free_port, server_env  # noqa: E402
from hall.privacy import check_digit  # noqa: E402 (pure: needs no settings)

# The newest PostgreSQL server installed (Debian: /usr/lib/postgresql/<major>/bin).
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin/initdb"),
    key=lambda p: int(p.parts[-3]),
    default=Path("/nonexistent/initdb"),
).parent
HALL = "wangchuan"  # a demo hall (seed_demo)
CLERK = "wc_clerk1"
DATABASE = "ck_faults"
# What a citizen must read on the outage page (templates/503.html), in each language.
TRY_AGAIN = {"zh-hans": "请稍后再试", "en": "Please try again in a moment"}
UNAVAILABLE_JSON = {"zh-hans": "服务暂时不可用，请几分钟后再试。"}


def _as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, *command], capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-1000:]}")
    return done


class Postgres:
    """A throw-away PostgreSQL cluster on a free port, its data and socket in `folder`."""

    def __init__(self, folder: Path):
        self.folder, self.data, self.port = folder, folder / "pgdata", free_port()
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        _as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "root",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self.pg_ctl = [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(folder / "pg.log"),
        ]

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://root@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _as_postgres(*self.pg_ctl, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(*self.pg_ctl, "-w", "-m", mode, "stop")

    def execute(self, sql: str, params=(), database: str = "postgres"):
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def terminate_app_connections(self) -> int:
        rows = self.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (DATABASE,),
        )
        return rows[0][0]

    def app_connections(self) -> int:
        rows = self.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (DATABASE,))
        return rows[0][0]

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")


class Redis:
    def __init__(self, folder: Path):
        self.folder, self.port, self.process = folder, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(self.folder / "redis.log", "a")  # noqa: SIM115 - kept for the process's life
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Web:
    """The production server: one uvicorn process serving hall.asgi:application."""

    def __init__(self, folder: Path, env: dict):
        self.folder, self.env, self.port, self.process = folder, env, free_port(), None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait until it answers; returns the time it first answered."""
        log = open(self.folder / "web.log", "a")  # noqa: SIM115 - kept for the process's life
        self.process = subprocess.Popen(
            [
                PY,
                "-m",
                "uvicorn",
                "hall.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "1",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn stopped; see {self.folder / 'web.log'}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return time.monotonic()
            time.sleep(0.02)
        raise RuntimeError("uvicorn did not start within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Answer:
    """What a client got: status, seconds, and the parts of the answer the checks look at."""

    what: str
    status: int
    seconds: float
    retry_after: str | None = None
    text: str = ""

    def brief(self) -> str:
        extra = f" Retry-After {self.retry_after}" if self.retry_after else ""
        return f"{self.what}: {self.status} in {self.seconds:.2f} s{extra}"


class Stream(threading.Thread):
    """An event-stream client that behaves like the board's EventSource: it reconnects one second (the
    server's `retry:`) after its stream ends or fails, with Last-Event-ID. Records (time, event type)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.events, self.last_id, self.stopped = url, [], None, threading.Event()
        self.connects = 0

    def run(self) -> None:
        while not self.stopped.is_set():
            with contextlib.suppress(httpx.HTTPError, OSError, ValueError):
                self._once()
            self.stopped.wait(1.0)

    def _once(self) -> None:
        headers = {"Accept": "text/event-stream", **({"Last-Event-ID": self.last_id} if self.last_id else {})}
        timeout = httpx.Timeout(5, read=20)
        with httpx.stream("GET", self.url, headers=headers, timeout=timeout) as response:
            if response.status_code != 200:
                return
            self.connects += 1
            fields = {}
            for line in response.iter_lines():
                if self.stopped.is_set():
                    return
                if line == "":
                    if "event" in fields:
                        self.events.append((time.monotonic(), fields["event"], fields.get("data", "")))
                        self.last_id = fields.get("id") or self.last_id
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")

    def first_after(self, since: float, kind: str | None = None) -> float | None:
        return next((t for t, k, _d in self.events if t >= since and (kind is None or k == kind)), None)

    def wait_for(self, since: float, kind: str | None = None, timeout: float = 15) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (found := self.first_after(since, kind)) is not None:
                return found
            time.sleep(0.02)
        return None

    def stop(self) -> None:
        self.stopped.set()


def id_number(serial: int) -> str:
    first17 = f"110105198001{(serial % 28) + 1:02d}{serial % 1000:03d}"
    return first17 + check_digit(first17)


@dataclass
class Harness:
    folder: Path
    postgres: Postgres
    redis: Redis
    web: Web
    token: str = ""
    service: str = ""
    slots: list = field(default_factory=list)
    booked: int = 0

    # Requests, each a fresh connection as from a citizen's phone.

    def request(self, what: str, method: str, path: str, language="zh-hans", **kwargs) -> Answer:
        headers = {"Accept-Language": language, **kwargs.pop("headers", {})}
        started = time.monotonic()
        try:
            response = httpx.request(method, self.web.base + path, headers=headers, timeout=60, **kwargs)
        except httpx.HTTPError as error:
            return Answer(what, 0, time.monotonic() - started, text=type(error).__name__)
        return Answer(
            what,
            response.status_code,
            time.monotonic() - started,
            response.headers.get("Retry-After"),
            response.text,
        )

    def page(self, language="zh-hans", session: str = "") -> Answer:
        """The hall's home page; with a session cookie, as a citizen half-way through booking or signed-in
        staff send it (middleware then reads the session before any view runs)."""
        headers = {"Cookie": f"sessionid={session}"} if session else {}
        what = f"home page ({language}{', with a session' if session else ''})"
        return self.request(what, "GET", f"/h/{HALL}/", language=language, headers=headers)

    def api_halls(self) -> Answer:
        return self.request("API halls", "GET", "/api/v1/halls")

    def book(self) -> Answer:
        """A booking through the API as a citizen's app makes it with codes on (the production default):
        ask for the code texted to the mobile, read it from the outbox as the phone would, then book. The
        answer is the booking's, or the code request's when that failed."""
        self.booked += 1
        n = self.booked
        phone = f"139{n:08d}"
        code = self.request("API booking", "POST", "/api/v1/phone-codes", json={"hall": HALL, "phone": phone})
        if code.status != 201:
            return code
        nonce = json.loads(code.text)["nonce"]
        rows = self.postgres.execute(
            "SELECT text FROM notifications_notification WHERE key = %s", (nonce,), database=DATABASE
        )
        body = {
            "hall": HALL,
            "service": self.service,
            "slot": self.slots[n % len(self.slots)],
            "name": "测试",
            "phone": phone,
            "id_number": id_number(n),
            "phone_code": {"nonce": nonce, "code": re.search(r"\b(\d{6})\b", rows[0][0]).group(1)},
        }
        answer = self.request("API booking", "POST", "/api/v1/bookings", json=body)
        answer.seconds += code.seconds
        return answer

    def ticket(self) -> Answer:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.request(
            "API walk-in ticket",
            "POST",
            f"/api/v1/halls/{HALL}/tickets",
            json={"service": self.service},
            headers=headers,
        )

    def stream(self) -> Stream:
        stream = Stream(f"{self.web.base}/api/v1/halls/{HALL}/events")
        stream.start()
        return stream

    def manage(self, *args: str, **env: str) -> str:
        done = subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env={**self.web.env, **env}, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    def stop(self) -> None:
        self.web.stop()
        self.redis.stop()
        self.postgres.remove()


def set_up(folder: Path | None = None, **env: str) -> Harness:
    """Private PostgreSQL and Redis, the demo data, a clerk's API token, and the server started."""
    folder = folder or Path(tempfile.mkdtemp(prefix="ck-faults-"))
    postgres, redis = Postgres(folder), Redis(folder)
    postgres.start()
    redis.start()
    postgres.execute(f'CREATE DATABASE "{DATABASE}"')
    var = folder / "var"
    var.mkdir()
    settings = {
        "RATE_LIMITS": "on",
        "BOOKING_SMS_CODE": "on",  # the production default: codes live in PostgreSQL
        "LOG_LEVEL": "WARNING",
        # The production defaults, whatever the calling environment says (`dev.py test` widens the pool).
        "DATABASE_POOL": "on",
        "DATABASE_POOL_MIN": "2",
        "DATABASE_POOL_MAX": "20",
        "DATABASE_POOL_TIMEOUT": "10",
        **env,
    }
    web = Web(folder, server_env(postgres.url(), redis.url, str(var), **settings))
    harness = Harness(folder, postgres, redis, web)
    try:
        harness.manage("migrate", "--no-input", "-v", "0")
        harness.manage("collectstatic", "--no-input", "-v", "0")
        # The demo's accounts and passwords are refused in production; this private database is no hall.
        harness.manage("seed_demo", "--quiet", DEPLOYMENT="development")
        harness.manage("shell", "-v", "0", "-c", OPEN_ALL_DAY)
        harness.token = harness.manage("issue_token", CLERK, "--device", "faults").strip()
        web.start()
        _find_slots(harness)
    except BaseException:
        harness.stop()
        raise
    return harness


# Walk-in tickets are issued only in hours and before the last-ticket time (queueing.hours): the faults run
# at any hour, so the demo hall is open all of today and issues tickets until it closes.
OPEN_ALL_DAY = f"""
import datetime as dt
from hall.models import ExtraSession, Hall
from queueing.models import QueueRules
hall = Hall.objects.get(slug="{HALL}")
today = hall.local_date(dt.datetime.now(dt.timezone.utc))
ExtraSession.objects.create(hall=hall, date=today, start=dt.time(0), end=dt.time(23, 59),
    reason_zh_hans="故障演练", reason_en="Fault drill")
QueueRules.objects.update_or_create(hall=hall, defaults=dict(last_ticket_minutes=0, stop_by_estimate=False))
"""


def _find_slots(harness: Harness) -> None:
    """A bookable service of the demo hall and its free slots on the first open day ahead."""
    services = httpx.get(f"{harness.web.base}/api/v1/halls/{HALL}/services", timeout=30).json()
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    for service in (s for s in services if s["bookable"]):
        for days in range(1, 15):
            date = (today + dt.timedelta(days=days)).isoformat()
            answer = httpx.get(
                f"{harness.web.base}/api/v1/halls/{HALL}/availability",
                params={"service": service["code"], "date": date},
                timeout=30,
            )
            slots = [s["id"] for s in answer.json().get("slots", []) if s["remaining"] > 0]
            if answer.status_code == 200 and slots:
                harness.service, harness.slots = service["code"], slots
                return
    raise RuntimeError("no bookable slot in the demo hall in the next two weeks")


def concurrently(*calls) -> list[Answer]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def until_healthy(harness: Harness, since: float, seconds: float = 30, healthy_in_a_row: int = 5) -> dict:
    """Requests one after another until `healthy_in_a_row` answered 200: statuses seen and recovery time."""
    answers, streak, deadline = [], 0, time.monotonic() + seconds
    while streak < healthy_in_a_row and time.monotonic() < deadline:
        answer = harness.page() if len(answers) % 2 else harness.api_halls()
        answers.append(answer)
        streak = streak + 1 if answer.status == 200 else 0
        if answer.status != 200:
            time.sleep(0.1)
    first_ok = next(
        (i for i in range(len(answers)) if all(a.status == 200 for a in answers[i:])), len(answers)
    )
    elapsed = sum(a.seconds for a in answers[:first_ok])
    return {
        "statuses": [a.status for a in answers],
        "healthy": streak >= healthy_in_a_row,
        "seconds_to_healthy": round(time.monotonic() - since - sum(a.seconds for a in answers[first_ok:]), 2)
        if streak >= healthy_in_a_row
        else None,
        "failed_seconds": round(elapsed, 2),
    }


def outage_checks(answers: list[Answer]) -> dict:
    """What the outage answers were: statuses, Retry-After and whether the text said 'try again'."""
    return {
        answer.what: {
            "status": answer.status,
            "seconds": round(answer.seconds, 2),
            "retry_after": answer.retry_after,
            "says_try_again": any(
                text in answer.text for text in (*TRY_AGAIN.values(), *UNAVAILABLE_JSON.values())
            ),
        }
        for answer in answers
    }


# The scenarios. Each returns a dict of figures; `ok` says whether it met the goal.


def pg_restart(harness: Harness, down_seconds: float = 3) -> dict:
    """PostgreSQL restarted while the app serves: 503 'try again' during the outage, then everything works
    again without restarting the app."""
    warm = concurrently(harness.page, harness.api_halls, harness.book)
    harness.postgres.stop()
    stopped = time.monotonic()
    during = concurrently(
        lambda: harness.page("zh-hans"),
        lambda: harness.page("en"),
        lambda: harness.page(session="faults0session0cookie"),
        harness.api_halls,
        harness.book,
    )
    time.sleep(max(0.0, down_seconds - (time.monotonic() - stopped)))
    harness.postgres.start()
    restarted = time.monotonic()
    after = until_healthy(harness, restarted)
    booking = harness.book()
    statuses = [a.status for a in during] + after["statuses"] + [booking.status]
    result = {
        "warm": [a.status for a in warm],
        "outage_seconds": round(restarted - stopped, 2),
        "during": outage_checks(during),
        "after_restart": after,
        "booking_after": booking.status,
        "server_errors": sum(s >= 500 and s != 503 for s in statuses),
    }
    result["ok"] = (
        all(
            a.status == 503
            and a.retry_after
            and any(t in a.text for t in (*TRY_AGAIN.values(), *UNAVAILABLE_JSON.values()))
            for a in during
        )
        and after["healthy"]
        and booking.status == 201
        and result["server_errors"] == 0
        and harness.web.process.poll() is None
    )
    return result


def pg_terminate(harness: Harness) -> dict:
    """Every connection of the app terminated by PostgreSQL: the next requests succeed, none 500."""
    concurrently(*[harness.page for _ in range(6)], *[harness.api_halls for _ in range(6)])
    before = harness.postgres.app_connections()
    terminated = harness.postgres.terminate_app_connections()
    started = time.monotonic()
    burst = concurrently(*[harness.page for _ in range(4)], *[harness.api_halls for _ in range(4)])
    sequential = [harness.api_halls() if n % 2 else harness.page() for n in range(10)]
    booking = harness.book()
    statuses = [a.status for a in burst + sequential] + [booking.status]
    result = {
        "pool_connections_before": before,
        "terminated": terminated,
        "statuses": statuses,
        "seconds": round(time.monotonic() - started, 2),
        "server_errors": sum(s >= 500 and s != 503 for s in statuses),
        "unavailable": statuses.count(503),
    }
    result["ok"] = terminated > 0 and result["server_errors"] == 0 and statuses[-11:] == [200] * 10 + [201]
    return result


def redis_restart(harness: Harness, down_seconds: float = 3) -> dict:
    """Redis restarted: bookings keep working while it is down, live streams reconnect and resume (a call
    made as soon as Redis is back reaches the board), no 500; the sweep enqueues the messages of the
    bookings made during the outage."""
    stream = harness.stream()
    try:
        connected = stream.wait_for(0, "snapshot")
        sent_before = time.monotonic()
        before = harness.ticket()
        live_before = stream.wait_for(sent_before, "ticket.issued")
        harness.redis.stop()
        stopped = time.monotonic()
        during = [harness.book(), harness.book(), harness.page(), harness.api_halls(), harness.ticket()]
        time.sleep(max(0.0, down_seconds - (time.monotonic() - stopped)))
        snapshots_during = sum(1 for t, k, _d in stream.events if stopped <= t and k == "snapshot")
        harness.redis.start()
        restarted = time.monotonic()
        after = harness.ticket()  # at once: before the server has subscribed to Redis again
        live_after = stream.wait_for(restarted, "ticket.issued", timeout=15)
        swept = harness.manage(
            "shell", "-v", "0", "-c", "from notifications import sweeper; print(sweeper.sweep())"
        )
    finally:
        stream.stop()
    statuses = [before.status, after.status] + [a.status for a in during]
    result = {
        "stream_connected": connected is not None,
        "event_before_seconds": round(live_before - sent_before, 3) if live_before else None,
        "during": {f"{a.what} #{i}": a.status for i, a in enumerate(during)},
        "during_seconds": [round(a.seconds, 2) for a in during],
        "stream_snapshots_during_outage": snapshots_during,
        "ticket_after_restart": after.status,
        "event_after_restart_seconds": round(live_after - restarted, 2) if live_after else None,
        "stream_connects": stream.connects,
        "sweep_after": swept.strip(),
        "server_errors": sum(s >= 500 and s != 503 for s in statuses),
    }
    result["ok"] = (
        [a.status for a in during[:4]] == [201, 201, 200, 200]
        and after.status == 201
        and result["server_errors"] == 0
        and live_after is not None
    )
    return result


def server_restart(harness: Harness) -> dict:
    """The ASGI server restarted: a display's stream is back within five seconds of the server being up."""
    stream = harness.stream()
    try:
        stream.wait_for(0, "snapshot")
        stopping = time.monotonic()
        harness.web.stop()
        stopped = time.monotonic()
        up = harness.web.start()
        back = stream.wait_for(up, "snapshot", timeout=20)
        sent = time.monotonic()
        harness.ticket()
        live = stream.wait_for(sent, "ticket.issued", timeout=10)
    finally:
        stream.stop()
    result = {
        "stop_seconds": round(stopped - stopping, 2),
        "start_seconds": round(up - stopped, 2),
        "first_event_after_up_seconds": round(back - up, 2) if back else None,
        "event_after_restart_seconds": round(live - sent, 3) if live else None,
    }
    result["ok"] = back is not None and back - up <= 5 and live is not None
    return result


SCENARIOS = {
    "pg_restart": pg_restart,
    "pg_terminate": pg_terminate,
    "redis": redis_restart,
    "server": server_restart,
}


# How fast the live screens come back: figures, not test asserts (tests/test_faults.py asserts that they do).
TARGETS = {
    ("redis", "event_after_restart_seconds"): 5,
    ("server", "first_event_after_up_seconds"): 5,
    ("server", "event_after_restart_seconds"): 2,
}


def targets(results: dict) -> list[str]:
    lines = []
    for (name, key), limit in TARGETS.items():
        if name in results:
            value = results[name].get(key)
            met = value is not None and value < limit
            lines.append(f"{name} {key}: {value} s (target < {limit} s): {'met' if met else 'MISSED'}")
    return lines


def main() -> int:
    names = sys.argv[1:] or list(SCENARIOS)
    started = time.monotonic()
    harness = set_up()
    print(f"set-up {time.monotonic() - started:.1f} s in {harness.folder}", flush=True)
    results = {}
    try:
        for name in names:
            results[name] = SCENARIOS[name](harness)
            print(f"{name}: {json.dumps(results[name], ensure_ascii=False)}", flush=True)
        invariants = subprocess.run(
            [PY, "manage.py", "check_invariants"],
            cwd=ROOT,
            env=harness.web.env,
            capture_output=True,
            text=True,
        )
        print(
            f"check_invariants: exit {invariants.returncode} {invariants.stdout.strip()}"
            f"{invariants.stderr.strip()}"
        )
    finally:
        harness.stop()
        shutil.rmtree(harness.folder, ignore_errors=True)
    for line in targets(results):
        print(line)
    print(
        f"{platform.node()} {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
