"""Polling benchmark: the cost of the live pages' fallback when the event stream is not available.

    .venv/bin/python bench/polling.py [--phones 200] [--screens 20] [--period 5] [--seconds 60]

Creates its own PostgreSQL database (ck_bench_polling, dropped and re-created, dropped again at the end)
with the hall of bench/sse_clients.py (five services, twenty windows of which fifteen serve someone, 200
waiting tickets) and starts ONE production server (uvicorn, hall.asgi:application, one worker) on
127.0.0.1 with RATE_LIMITS=off. Then, from this process (asyncio, a keep-alive connection per client on a
raw socket):

1. the fallback as it would run: --phones citizens' pages each read their own ticket,
   GET /api/v1/tickets/{token}, every --period seconds, and --screens boards and window displays read
   GET /api/v1/halls/{hall}/board as often, for --seconds; printed: requests/s, latency per endpoint,
   the server's CPU (% of one core) and its CPU per request;
2. what the server sustains: --concurrency clients read each endpoint in a closed loop for --burst seconds;
   printed: requests/s, latency and CPU per request.

Environment: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_bench_polling) and
BENCH_REDIS_URL (default redis://127.0.0.1:6379/10; emptied before and after the run, so give it a Redis
database nobody else uses).
"""

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench.common import PY, ROOT, cpu_seconds, drop_database, recreate_database, server_env  # noqa: E402
from bench.sse_clients import (  # noqa: E402 - the same hall and server as the event-stream benchmark
    HALL,
    create_hall,
    percentiles,
    profile,
    start_server,
    wait_until_up,
)


class Connection:
    """A keep-alive HTTP/1.1 client on a raw socket: far lighter than httpx, so that the clients, on the
    same machine, take little of the CPU the server needs."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n"
            self.writer.write(request.encode())
            try:
                status_line = await self.reader.readline()
            except ConnectionError:
                status_line = b""
            if status_line:
                break
            # The server closed the idle connection (uvicorn keeps one alive for 5 s): open another.
            self.close()
            if attempt == 2:
                raise ConnectionError("the server closed two connections in a row")
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def poll(client: Connection, path: str, period: float, until: float, figures: dict) -> None:
    """One page polling every `period` seconds, starting at a random moment of the first period."""
    await asyncio.sleep(random.uniform(0, period))
    while time.perf_counter() < until:
        started = time.perf_counter()
        status = await client.get(path)
        figures["latency"].append(time.perf_counter() - started)
        figures["status"][status] = figures["status"].get(status, 0) + 1
        await asyncio.sleep(max(0.0, period - (time.perf_counter() - started)))


async def hammer(client: Connection, paths: list[str], until: float, figures: dict) -> None:
    while time.perf_counter() < until:
        started = time.perf_counter()
        status = await client.get(random.choice(paths))
        figures["latency"].append(time.perf_counter() - started)
        figures["status"][status] = figures["status"].get(status, 0) + 1


def new_figures() -> dict:
    return {"latency": [], "status": {}}


async def fallback(port: int, tokens: list[str], args) -> tuple[dict, dict]:
    phones, screens = new_figures(), new_figures()
    until = time.perf_counter() + args.seconds
    clients = [Connection(port) for _ in range(args.phones + args.screens)]
    try:
        await asyncio.gather(
            *(
                poll(client, f"/api/v1/tickets/{token}", args.period, until, phones)
                for client, token in zip(clients, tokens, strict=False)
            ),
            *(
                poll(client, f"/api/v1/halls/{HALL}/board", args.period, until, screens)
                for client in clients[args.phones :]
            ),
        )
    finally:
        for client in clients:
            client.close()
    return phones, screens


async def saturate(port: int, paths: list[str], args) -> dict:
    figures = new_figures()
    until = time.perf_counter() + args.burst
    clients = [Connection(port) for _ in range(args.concurrency)]
    try:
        await asyncio.gather(*(hammer(client, paths, until, figures) for client in clients))
    finally:
        for client in clients:
            client.close()
    return figures


def open_with_history(hall_id: int, weeks: int, per_day: int = 200) -> None:
    """The bench hall open all of today (so that the estimate expects walk-ins before it closes), and
    `per_day` walk-ins spread over the whole day on the same weekday in each of `weeks` weeks before."""
    import datetime as dt
    import secrets

    from django.utils import timezone

    from hall.models import ExtraSession, Hall
    from queueing.models import Ticket, TicketKind, TicketState

    hall = Hall.objects.get(pk=hall_id)
    today = hall.local_date(timezone.now())
    ExtraSession.objects.create(
        hall=hall, date=today, start=dt.time(0), end=dt.time(23, 59), reason_zh_hans="压测", reason_en="bench"
    )
    services = list(hall.services.all())
    rows = []
    for week in range(1, weeks + 1):
        date = today - dt.timedelta(weeks=week)
        start = dt.datetime.combine(date, dt.time(0), hall.tz)
        for n in range(per_day):
            service = services[n % len(services)]
            sequence = n // len(services) + 1
            rows.append(
                Ticket(
                    hall=hall,
                    service=service,
                    date=date,
                    sequence=sequence,
                    number=f"{service.prefix}{sequence:03d}",
                    token=secrets.token_urlsafe(24),
                    kind=TicketKind.WALK_IN,
                    state=TicketState.DONE,
                    issued_at=start + dt.timedelta(days=n / per_day),
                )
            )
    Ticket.objects.bulk_create(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--period", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--burst", type=float, default=15.0)
    parser.add_argument("--port", type=int, default=8782)
    parser.add_argument("--profile", metavar="FILE", help="py-spy collapsed stacks of the closed loops")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="WEEKS",
        help="open the hall all day today, with 200 walk-ins a day on record on its weekday in WEEKS weeks "
        "before (the expected walk-ins then come from that history, as the ticket page reads them)",
    )
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_bench_polling")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    env = server_env(
        database_url, redis_url, tempfile.mkdtemp(prefix="ck-bench-polling-"), LOG_LEVEL="WARNING"
    )
    load_at_start = os.getloadavg()[0]
    recreate_database(database_url)
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    import redis
    from django.db import connections

    from queueing.models import Ticket, TicketState

    logging.getLogger("httpx").setLevel(logging.WARNING)
    redis.Redis.from_url(redis_url).flushdb()
    hall_id = create_hall(args.phones)
    if args.history:
        open_with_history(hall_id, args.history)
    tokens = list(Ticket.objects.filter(state=TicketState.WAITING).values_list("token", flat=True))
    connections.close_all()
    base = f"http://127.0.0.1:{args.port}"

    server = start_server(args.port, env)
    try:
        wait_until_up(args.port, server)
        for path in (f"/api/v1/tickets/{tokens[0]}", f"/api/v1/halls/{HALL}/board"):
            httpx.get(base + path, timeout=10).raise_for_status()  # warm
        cpu, wall = cpu_seconds(server.pid), time.perf_counter()
        phones, screens = asyncio.run(fallback(args.port, tokens, args))
        fallback_cpu, fallback_wall = cpu_seconds(server.pid) - cpu, time.perf_counter() - wall
        bursts = {}
        for name, urls in (
            ("ticket", [f"/api/v1/tickets/{token}" for token in tokens]),
            ("board", [f"/api/v1/halls/{HALL}/board"]),
        ):
            profiler = profile(server.pid, f"{args.profile}.{name}") if args.profile else None
            cpu, wall = cpu_seconds(server.pid), time.perf_counter()
            figures = asyncio.run(saturate(args.port, urls, args))
            bursts[name] = (figures, cpu_seconds(server.pid) - cpu, time.perf_counter() - wall)
            if profiler:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=20)

    print(f"load average at the start {load_at_start:.1f}, at the end {os.getloadavg()[0]:.1f}")
    requests = len(phones["latency"]) + len(screens["latency"])
    print(
        f"fallback: {args.phones} phones and {args.screens} screens, one request each per {args.period:g} s, "
        f"for {fallback_wall:.0f} s: {requests / fallback_wall:.1f} requests/s; server CPU "
        f"{fallback_cpu / fallback_wall * 100:.0f} % of one core, "
        f"{fallback_cpu / requests * 1000:.1f} ms per request"
    )
    print(
        f"  GET /api/v1/tickets/{{token}}: {len(phones['latency'])} answers {phones['status']}, "
        f"{percentiles(phones['latency'])}"
    )
    print(
        f"  GET /api/v1/halls/{{hall}}/board: {len(screens['latency'])} answers {screens['status']}, "
        f"{percentiles(screens['latency'])}"
    )
    for name, (figures, cpu, wall) in bursts.items():
        count = len(figures["latency"])
        print(
            f"sustained, {args.concurrency} clients in a closed loop on the {name} JSON for {wall:.0f} s: "
            f"{count / wall:.0f} requests/s, answers {figures['status']}, {percentiles(figures['latency'])}; "
            f"server CPU {cpu / wall * 100:.0f} % of one core, {cpu / count * 1000:.1f} ms per request"
        )
    redis.Redis.from_url(redis_url).flushdb()
    drop_database(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
