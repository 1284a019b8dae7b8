"""An open-loop load generator, and nginx in front of the server under test, for bench/open_loop.py and
bench/release_rush.py.

Open loop: arrival n is due at start + n / rate (or after exponential gaps, `poisson=True`), whatever the
server did with the earlier ones; each arrival is a task of its own, and its latency is measured from the
time it was due, not from when it was sent, so that a generator that fell behind cannot hide the wait it
caused (coordinated omission). How far behind the generator fell is reported as its send lag.

The client speaks plain HTTP/1.0 on asyncio streams, one connection per request (gunicorn's sync workers
close each connection anyway): httpx spends milliseconds of CPU per request and caps at about 400 a second
on this box, which is less than the rush's rate.

The front is Debian's nginx with deploy/nginx.conf's proxy settings (X-Request-Start included, which the
admission control reads), without TLS and without its per-address limits (all the load comes from one
address); both the floor and Chuangkou are driven through one, so the figures compare like with like.
"""

import asyncio
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TIMEOUT = 10.0  # a client time-out: the citizen's browser gave up


@dataclass
class Answer:
    status: int  # 0: no answer (connection error or time-out)
    headers: dict
    body: bytes
    error: str = ""  # "connection" or "timeout" when status is 0


async def http(port: int, method: str, path: str, headers: dict | None = None, body: bytes = b"") -> Answer:
    """One request on a connection of its own to 127.0.0.1:`port`, answered within TIMEOUT seconds."""

    async def exchange() -> Answer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            # HTTP/1.0: the body ends with the connection, never chunked by nginx.
            lines = [f"{method} {path} HTTP/1.0", "Host: 127.0.0.1", "Connection: close"]
            lines += [f"Content-Length: {len(body)}"] if body or method == "POST" else []
            lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            raw = await reader.read(-1)
        finally:
            writer.close()
        head, _sep, content = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in header_lines if ": " in line)
        return Answer(int(status_line.split()[1]), {k.lower(): v for k, v in fields.items()}, content)

    try:
        return await asyncio.wait_for(exchange(), TIMEOUT)
    except TimeoutError:
        return Answer(0, {}, b"", "timeout")
    except (OSError, IndexError, ValueError):
        return Answer(0, {}, b"", "connection")


@dataclass
class Result:
    kind: str
    due: float  # seconds after the start
    latency: float  # from due to answered
    lag: float  # from due to sent
    answer: Answer


async def open_loop(unit, rate: float, seconds: float, poisson: bool = False) -> list[Result]:
    """Arrivals at `rate` a second for `seconds`; arrival n runs `await unit(n)`, which returns (kind,
    Answer, the loop time at which the answer that counts arrived, or None for "now")."""
    loop = asyncio.get_running_loop()
    results: list[Result] = []
    pending: set[asyncio.Task] = set()
    start = loop.time() + 0.2

    async def arrive(n: int, due: float):
        sent = loop.time()
        kind, answer, answered = await unit(n)
        answered = answered or loop.time()
        results.append(Result(kind, due - start, answered - due, sent - due, answer))

    n, due = 0, start
    while due < start + seconds:
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(arrive(n, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        n += 1
        due += random.expovariate(rate) if poisson else 1 / rate
    while pending:
        await asyncio.gather(*list(pending))
    return results


async def closed_loop(unit, clients: int, seconds: float) -> float:
    """`clients` loops, each running the next unit as soon as the last one ended; units done a second."""
    numbers = iter(range(10**9))
    done = 0
    deadline = time.perf_counter() + seconds

    async def client():
        nonlocal done
        while time.perf_counter() < deadline:
            _kind, answer, _answered = await unit(next(numbers))
            done += 200 <= answer.status < 300

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return done / (time.perf_counter() - start)


async def capacity(unit, label: str, ramp=(2, 4, 8, 16), seconds: float = 3) -> float:
    """A short closed-loop ramp after a warm-up: the most units a second any number of clients got done (it
    stops once doubling the clients gains less than 5 %)."""
    await closed_loop(unit, ramp[-1], 2)  # warm up: every worker's imports, connections and caches
    best = 0.0
    for clients in ramp:
        rate = await closed_loop(unit, clients, seconds)
        print(f"  capacity ramp, {label}: {clients} clients in a closed loop: {rate:.0f}/s")
        if rate < best * 1.05:
            break
        best = max(best, rate)
    return best


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms"


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else float("nan")


class Front:
    """nginx on a free loopback port proxying to 127.0.0.1:`upstream` as deploy/nginx.conf does, for the
    length of a `with`; `port` is its port."""

    def __init__(self, upstream: int):
        self.upstream = upstream

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="ck-front-"))
        self.port = free_port()
        conf = self.dir / "nginx.conf"
        conf.write_text(
            f"pid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log;\ndaemon off;\nworker_processes 1;\n"
            "worker_rlimit_nofile 20000;\nevents { worker_connections 16000; }\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {self.dir};\n"
            f"  proxy_temp_path {self.dir};\n"
            f"  upstream app {{ server 127.0.0.1:{self.upstream}; keepalive 32; }}\n"
            f"  server {{\n    listen 127.0.0.1:{self.port} backlog=4096;\n    location / {{\n"
            "      proxy_pass http://app;\n      proxy_http_version 1.1;\n"
            '      proxy_set_header Connection "";\n      proxy_set_header Host $host;\n'
            '      proxy_set_header X-Request-Start "t=${msec}";\n      proxy_read_timeout 60s;\n'
            "    }\n  }\n}\n"
        )
        self.process = subprocess.Popen([NGINX, "-c", str(conf)], stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"nginx did not start; see {self.dir}/error.log")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)
