"""Event-stream benchmark: 1,000 boards and phones on the hall's event stream of ONE uvicorn process.

    .venv/bin/python bench/sse_clients.py [--clients 1000] [--client-procs 2] [--calls 30] [--interval 0.5]
    .venv/bin/python bench/sse_clients.py --clients 10000 --servers 2 --client-procs 4   # issue 20, item 6
    .venv/bin/python bench/sse_clients.py --clients 10000 --servers 2 --client-procs 2 --node  # Node clients

Creates its own PostgreSQL database (ck_bench_display, dropped and re-created, dropped again at the end),
migrates it and adds one hall with five services, twenty windows and a queue (what a snapshot reads); starts
one production server (uvicorn, hall.asgi:application, one worker) on 127.0.0.1. The clients run in
--client-procs other processes (asyncio, raw sockets, HTTP/1.1 with chunked bodies parsed by hand), so that
the server's memory is measured alone: VmRSS from /proc/<pid>/status when the server is up and warm, when
every client holds its stream (each has had its `snapshot`), and after the calls.

Then this process publishes --calls ticket.called events through queueing.events.publish_now (Redis stream
+ pub/sub, as a call at a counter does after commit), one every --interval seconds, each carrying the time
it was published; every client notes when it read each one. Printed: connection time, server memory and
CPU, and the publish-to-client latency over all clients and calls (target: p95 < 500 ms with 1,000
clients and the server under 200 MB).

With --servers N, N uvicorn processes listen on consecutive ports and the client processes are spread
over them in turn, as nginx's upstream spreads streams; memory and CPU are the sum over the servers.

Raises the soft limit of open files to the hard limit (the server inherits it); with fewer descriptors
than clients + 100 it stops. Environment: BENCH_DATABASE_URL (default
postgres://root@127.0.0.1:5432/ck_bench_display) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/10;
emptied before and after the run, so give it a Redis database nobody else uses).
"""

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*

from bench.common import PY, ROOT, cpu_seconds, drop_database, recreate_database, server_env  # noqa: E402

HALL = "bench-display"
BENCH_TYPE = "ticket.called"


# The clients (run with --client in their own processes)


class Stream:
    """One event-stream client on a raw socket (HTTP/1.1, chunked transfer coding, SSE lines) that, like
    EventSource, connects again one second after its stream ends or fails."""

    def __init__(self, host: str, port: int, path: str, latencies: list, expected: int):
        self.host, self.port, self.path = host, port, path
        self.latencies, self.expected = latencies, expected
        self.snapshots = 0
        self.snapshot = asyncio.Event()
        self.received = 0
        self.done = asyncio.Event()
        self.dropped_at: float | None = None
        self.back_after: float | None = None  # seconds from a dropped stream to the next snapshot
        self.back = asyncio.Event()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(OSError, EOFError, ValueError, RuntimeError):
                await self._once()
            if self.dropped_at is None:
                self.dropped_at = time.time()
            await asyncio.sleep(1.0)  # the server's retry: 1000

    async def _once(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            request = f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: text/event-stream\r\n\r\n"
            writer.write(request.encode())
            status = await reader.readline()
            if b" 200 " not in status:
                raise RuntimeError(f"stream answered {status!r}")
            chunked = False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                chunked |= line.lower().startswith(b"transfer-encoding: chunked")
            buffer = b""
            fields: dict[str, str] = {}
            while True:
                if chunked:
                    size = int((await reader.readline()).split(b";")[0], 16)
                    if size == 0:
                        return
                    data = await reader.readexactly(size + 2)
                    buffer += data[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        return
                    buffer += data
                *lines, buffer = buffer.split(b"\n")
                for raw in lines:
                    self._line(raw.decode(), fields)
        finally:
            writer.close()

    def _line(self, line: str, fields: dict) -> None:
        if line == "":
            self._dispatch(fields.get("event"), fields.get("data"))
            fields.clear()
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")

    def _dispatch(self, event: str | None, data: str | None) -> None:
        now = time.time()
        if event == "snapshot":
            self.snapshots += 1
            self.snapshot.set()
            if self.dropped_at is not None:
                self.back_after, self.dropped_at = now - self.dropped_at, None
                self.back.set()
        elif event == BENCH_TYPE and data:
            sent = json.loads(data).get("bench_sent")
            if sent is not None:
                self.latencies.append(now - sent)
                self.received += 1
                if self.received >= self.expected:
                    self.done.set()


async def clients_main(host: str, port: int, path: str, count: int, expected: int, wait: float) -> None:
    """Connect, say READY, collect the calls and say RESULT; then, while the conductor restarts the server,
    reconnect and say BACK with the time each stream took from its end to its next snapshot."""
    latencies: list[float] = []
    streams = [Stream(host, port, path, latencies, expected) for _ in range(count)]
    started = time.perf_counter()
    tasks = []
    for n, stream in enumerate(streams):
        tasks.append(asyncio.create_task(stream.run()))
        if n % 50 == 49:
            await asyncio.sleep(0.05)  # a hall's screens and phones do not all connect in one millisecond
    await asyncio.wait_for(asyncio.gather(*(s.snapshot.wait() for s in streams)), timeout=300)
    print(f"READY {time.perf_counter() - started:.3f}", flush=True)
    if expected:
        await asyncio.wait([asyncio.create_task(s.done.wait()) for s in streams], timeout=wait)
    summary = {"latencies": latencies, "complete": sum(1 for s in streams if s.done.is_set())}
    print("RESULT " + json.dumps(summary), flush=True)
    if expected:
        await asyncio.wait([asyncio.create_task(s.back.wait()) for s in streams], timeout=wait + 120)
        print("BACK " + json.dumps([s.back_after for s in streams]), flush=True)
    for task in tasks:
        task.cancel()


# The conductor


def raise_open_files(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < needed:
        raise SystemExit(f"ulimit -n is {soft}: {needed} are needed (raise the hard limit)")
    return soft


def create_hall(waiting: int) -> int:
    """A hall with five services, twenty windows (fifteen serving someone) and `waiting` tickets."""
    import datetime as dt

    from django.utils import timezone

    from hall.models import Counter, Hall, Service
    from queueing.models import CounterSession, Ticket, TicketKind, TicketState

    hall = Hall.objects.create(slug=HALL, name="压测大厅", address="127.0.0.1", notice="周六延时服务至18:00")
    services = [
        Service.objects.create(
            hall=hall, code=f"s{n}", prefix="ABCDE"[n], name=f"事项{n}", average_handling_minutes=10
        )
        for n in range(5)
    ]
    now = timezone.now()
    today = hall.local_date(now)
    tickets = []
    for number in range(1, 21):
        counter = Counter.objects.create(hall=hall, number=number)
        counter.services.set(services)
        CounterSession.objects.create(counter=counter, state="open" if number <= 15 else "closed")
        if number <= 15:
            tickets.append((services[number % 5], TicketState.CALLED, counter))
    tickets += [(services[n % 5], TicketState.WAITING, None) for n in range(waiting)]
    issued = {service.pk: 0 for service in services}
    rows = []
    for service, state, counter in tickets:
        issued[service.pk] += 1
        rows.append(
            Ticket(
                hall=hall,
                service=service,
                date=today,
                sequence=issued[service.pk],
                number=f"{service.prefix}{issued[service.pk]:03d}",
                token=secrets.token_urlsafe(24),
                kind=TicketKind.WALK_IN,
                state=state,
                counter=counter,
                calls=1 if counter else 0,
                issued_at=now - dt.timedelta(minutes=30),
                called_at=now if counter else None,
            )
        )
    Ticket.objects.bulk_create(rows)
    return hall.pk


def profile(pid: int, output: str) -> subprocess.Popen:
    """py-spy (in the virtualenv) samples the server until stopped by SIGINT; collapsed stacks."""
    py_spy = str(Path(PY).with_name("py-spy"))
    command = [py_spy, "record", "-p", str(pid), "-o", output, "-f", "raw", "-r", "200"]
    command += ["--gil", "--nonblocking"]  # the threads holding the GIL: where the CPU goes
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return proc


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(port: int, env: dict) -> subprocess.Popen:
    command = [PY, "-m", "uvicorn", "hall.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning", "--timeout-graceful-shutdown", "1"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    import httpx

    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("the server stopped")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/halls/{HALL}/board", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not answer within 30 s")


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return (
        f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms"
    )


def start_clients(args, ports: list[int]) -> list[subprocess.Popen]:
    per_proc = [
        args.clients // args.client_procs + (n < args.clients % args.client_procs)
        for n in range(args.client_procs)
    ]
    wait = args.calls * args.interval + 30
    program = ["node", str(ROOT / "bench" / "sse_client.mjs")] if args.node else [PY, __file__, "--client"]
    return [
        subprocess.Popen(
            [
                *program,
                "--port",
                str(ports[n % len(ports)]),
                "--clients",
                str(count),
                "--calls",
                str(args.calls),
                "--wait",
                str(wait),
                "--path",
                f"/api/v1/halls/{HALL}/events",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n, count in enumerate(per_proc)
    ]


def read_line(proc: subprocess.Popen, prefix: str) -> str:
    for line in proc.stdout:
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    raise SystemExit(f"a client process ended without {prefix.strip()}")


def conduct(args) -> int:
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_bench_display")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    limit = raise_open_files(args.clients + 200)
    env = server_env(
        database_url, redis_url, tempfile.mkdtemp(prefix="ck-bench-display-"), LOG_LEVEL="WARNING"
    )
    load_at_start = os.getloadavg()[0]
    recreate_database(database_url)
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis
    from django.db import connections

    from queueing import events

    redis.Redis.from_url(redis_url).flushdb()
    hall_id = create_hall(args.waiting)
    connections.close_all()

    ports = [args.port + n for n in range(args.servers)]
    servers = [start_server(port, env) for port in ports]
    clients: list[subprocess.Popen] = []
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_until_up(port, server)
        # Warm: the stream's code paths and the snapshot have run once in each server.
        for port in ports:
            warm = subprocess.run(
                [
                    PY,
                    __file__,
                    "--client",
                    "--port",
                    str(port),
                    "--clients",
                    "1",
                    "--calls",
                    "0",
                    "--wait",
                    "0",
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
            assert "READY" in warm.stdout, warm.stdout
        time.sleep(1)
        rss_idle = sum(rss_mb(server.pid) for server in servers)
        cpu_0 = sum(cpu_seconds(server.pid) for server in servers)
        profiler = profile(servers[0].pid, args.profile_connect) if args.profile_connect else None
        started = time.perf_counter()
        clients = start_clients(args, ports)
        ready = [float(read_line(proc, "READY ")) for proc in clients]
        connect_wall = time.perf_counter() - started
        if profiler:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
        cpu_connect = sum(cpu_seconds(server.pid) for server in servers) - cpu_0
        time.sleep(2)
        rss_connected = sum(rss_mb(server.pid) for server in servers)

        cpu_1 = sum(cpu_seconds(server.pid) for server in servers)
        publish_started = time.perf_counter()
        for n in range(args.calls):
            data = {
                "number": f"A{n + 1:03d}",
                "service": "s0",
                "state": "called",
                "counter": 1 + n % 15,
                "calls": 1,
                "bench_sent": time.time(),
            }
            if events.publish_now(hall_id, BENCH_TYPE, data) is None:
                raise SystemExit("publishing failed (Redis?)")
            time.sleep(args.interval)
        results = [json.loads(read_line(proc, "RESULT ")) for proc in clients]
        publish_wall = time.perf_counter() - publish_started
        cpu_calls = sum(cpu_seconds(server.pid) for server in servers) - cpu_1
        rss_after = sum(rss_mb(server.pid) for server in servers)

        # A restart: every client reconnects one second after its stream ends, all at about once.
        stopping = time.perf_counter()
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
        stopped_after = time.perf_counter() - stopping
        servers = [start_server(port, env) for port in ports]
        for port, server in zip(ports, servers, strict=True):
            wait_until_up(port, server)
        up_after = time.perf_counter() - stopping
        back = [v for proc in clients for v in json.loads(read_line(proc, "BACK "))]
        all_back = time.perf_counter() - stopping
    finally:
        for proc in clients:
            proc.kill()
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)

    latencies = [v for r in results for v in r["latencies"]]
    complete = sum(r["complete"] for r in results)
    print(
        f"open files limit {limit}; load average at the start {load_at_start:.1f}, "
        f"at the end {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{args.servers} server process(es); "
        f"{args.clients} clients in {args.client_procs} processes connected (each had its snapshot) in "
        f"{connect_wall:.1f} s (slowest process {max(ready):.1f} s); server CPU for that {cpu_connect:.1f} s "
        f"({cpu_connect / args.clients * 1000:.1f} ms per connection)"
    )
    print(
        f"server RSS: {rss_idle:.1f} MB warm and idle, {rss_connected:.1f} MB with {args.clients} streams "
        f"({(rss_connected - rss_idle) / args.clients * 1024:.1f} KB per stream), "
        f"{rss_after:.1f} MB after the calls"
    )
    print(
        f"{args.calls} calls, one per {args.interval} s: {len(latencies)} deliveries of "
        f"{args.calls * args.clients} expected, {complete} clients got every call; "
        f"server CPU {cpu_calls:.2f} s ({cpu_calls / max(1, len(latencies)) * 1e6:.0f} µs per delivery, "
        f"{cpu_calls / publish_wall * 100:.0f} % of a core)"
    )
    print(f"publish-to-client latency: {percentiles(latencies)}")
    missing = sum(1 for v in back if v is None)
    back = [v for v in back if v is not None]
    print(
        f"restart (terminate, start, first answer): {up_after:.1f} s (stopping took {stopped_after:.1f} s); "
        f"all {len(back)} streams back with a snapshot {all_back:.1f} s after the stop ({missing} not back); "
        f"from each stream's end to its next snapshot: {percentiles(back)}"
    )
    redis.Redis.from_url(redis_url).flushdb()
    drop_database(database_url)
    rss_target = 200 if args.servers == 1 and args.clients <= 1000 else 1536
    ok = rss_connected < rss_target and latencies and statistics.quantiles(latencies, n=100)[94] < 0.5
    print(f"targets (RSS < {rss_target} MB, p95 < 500 ms): " + ("met" if ok else "MISSED"))
    # tests/queueing/test_live.py asserts that streams come back after a restart; how fast is measured here.
    print(f"restart target (every stream back < 5 s after the stop): {'met' if all_back < 5 else 'MISSED'}")
    return 0 if ok and len(latencies) == args.calls * args.clients else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between calls")
    parser.add_argument("--waiting", type=int, default=200, help="waiting tickets (the snapshot counts them)")
    parser.add_argument("--port", type=int, default=8781)
    parser.add_argument("--servers", type=int, default=1, help="uvicorn processes, on --port and up")
    parser.add_argument(
        "--profile-connect", metavar="FILE", help="py-spy collapsed stacks of the connections"
    )
    parser.add_argument(
        "--node",
        action="store_true",
        help="clients in Node.js (bench/sse_client.mjs): lighter than Python, for 10,000 streams on 2 cores",
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--wait", type=float, default=60, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        raise_open_files(args.clients + 50)
        path = f"/api/v1/halls/{HALL}/events"
        asyncio.run(clients_main("127.0.0.1", args.port, path, args.clients, args.calls, args.wait))
        return 0
    return conduct(args)


if __name__ == "__main__":
    sys.exit(main())
