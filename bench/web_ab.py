"""Two (or more) builds of the web server under gunicorn, measured in alternation on one database: CPU per
call-next + complete (or per empty call-next, or per trivial view) of each, paired round by round.

    .venv/bin/python bench/web_ab.py [--variant NAME=ROOT@APP[@ENV=VALUE,...]]... [--rounds 8] [--seconds 4]
                                     [--clients 8] [--workers 4] [--what call|empty|ping]

On a shared machine a run of bench/floor.py against another run cannot tell 1 ms of web CPU a unit from the
load's drift (its pairs spread by ±3 ms: bench/RESULTS.md, issue 20 item 3). Here every variant's gunicorn
is up for the whole run, serving the same hall of the same database, and the phases alternate (A B B A A B
...): each round gives a pair measured seconds apart, and the medians of the rounds compare the variants.
The idle server's sync workers wait in select() and cost nothing meanwhile.

A variant is a name, the root of a tree (this one, or another build exported with `git archive`: its own
code and its own deploy/gunicorn.conf.py), the WSGI application, and environment variables of its own; by
default this tree's `hall.wsgi:application` against `bench.wsgi_whole_way:application` (every request the
whole way through the middleware: what the bearer requests' short way saves under gunicorn).

Printed per round and variant: units, web CPU (gunicorn's master and workers) and the CPU of the
database's backends per unit; then the medians, and each variant's median against the first's.
Environment: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_web_ab), BENCH_REDIS_URL
(default redis://127.0.0.1:6379/11, emptied before and after). The database is dropped at the end.
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench import call_next  # noqa: E402
from bench.api_profile import empty_window  # noqa: E402
from bench.baseline.serve import Server  # noqa: E402
from bench.common import (  # noqa: E402
    PY,
    ROOT,
    DatabaseCpu,
    django_setup,
    drop_database,
    empty_redis,
    recreate_database,
    server_env,
    tree_cpu_seconds,
)

TICKETS = 30_000


@dataclass
class Variant:
    name: str
    root: Path
    app: str
    env: dict
    server: Server | None = None
    found: list[dict] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> "Variant":
        name, rest = text.split("=", 1)
        root, app, *extra = rest.split("@")
        env = dict(pair.split("=", 1) for pair in extra[0].split(",")) if extra and extra[0] else {}
        return cls(name, Path(root or ROOT).resolve(), app, env)

    def serve(self, env: dict, workers: int, log_dir: Path) -> Server:
        """Its gunicorn, from its own tree with its own variables: started by entering it (a `with`)."""
        log = log_dir / f"{self.name}.log"
        self.server = Server(self.app, {**env, **self.env}, workers, log, root=self.root)
        return self.server


async def phase(variant: Variant, windows: list, what: str, seconds: float, database: DatabaseCpu) -> dict:
    """--clients clients in a closed loop on `variant` for `seconds`: units, CPU per unit, cookies seen."""
    outcome: Counter = Counter()
    deadline = time.perf_counter() + seconds
    clients = [
        httpx.AsyncClient(
            base_url=variant.server.base, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        for _counter, key in windows
    ]

    async def unit(client, counter) -> bool:
        if what == "ping":
            return (await client.get("/api/v1/halls")).status_code == 200
        response = await client.post(f"/api/v1/counters/{counter}/call-next")
        if what == "empty":
            return response.status_code == 204
        if response.status_code != 200:
            return False
        ticket = response.json()["ticket"]["id"]
        done = await client.post(f"/api/v1/tickets/{ticket}/complete", json={"outcome": "done"})
        return done.status_code == 200

    async def loop(client, counter):
        while time.perf_counter() < deadline:
            outcome["done" if await unit(client, counter) else "failed"] += 1

    backends, web = database.backends(), tree_cpu_seconds(variant.server.process.pid)
    try:
        await asyncio.gather(*(loop(c, counter) for c, (counter, _key) in zip(clients, windows, strict=True)))
        units = max(outcome["done"], 1)
        return {
            "units": outcome["done"],
            "failed": outcome["failed"],
            "web": (tree_cpu_seconds(variant.server.process.pid) - web) * 1000 / units,
            "db": database.since(backends) * 1000 / units,
            "cookies": sum(len(c.cookies) for c in clients),
            "load": os.getloadavg()[0],
        }
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def open_windows(variant: Variant, windows: list) -> None:
    async with httpx.AsyncClient(base_url=variant.server.base, timeout=30) as client:
        for counter, key in windows:
            answer = await client.post(
                f"/api/v1/counters/{counter}/open", headers={"Authorization": f"Bearer {key}"}
            )
            assert answer.status_code == 200, answer.text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", action="append", default=[], help="NAME=ROOT@APP[@ENV=VALUE,...]")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--warm-up", type=float, default=3, help="unmeasured seconds of each variant first")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--what", default="call", choices=("call", "empty", "ping"))
    args = parser.parse_args()
    variants = [
        Variant.parse(v)
        for v in args.variant
        or [f"short={ROOT}@hall.wsgi:application", f"whole={ROOT}@bench.wsgi_whole_way:application"]
    ]
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/ck_web_ab")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    log_dir = Path(tempfile.mkdtemp(prefix="ck-web-ab-"))
    env = server_env(database_url, redis_url, str(log_dir), BOOKING_SMS_CODE="off")
    empty_redis(env)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    print(
        f"{args.workers} gunicorn sync workers a variant, {args.clients} clients, {args.what}, "
        f"{args.rounds} rounds of {args.seconds:g} s a variant; variants: "
        + "; ".join(f"{v.name} = {v.root} {v.app} {v.env or ''}" for v in variants)
    )
    recreate_database(database_url)
    try:
        subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        django_setup(env)
        from django.db import connections

        windows = call_next.create_hall(args.clients, TICKETS)
        if args.what == "empty":
            windows = [empty_window()] * args.clients  # one window nobody waits for, asked by every client
        connections.close_all()
        with contextlib.ExitStack() as servers:
            for variant in variants:  # all started, then waited for: they start up side by side
                servers.enter_context(variant.serve(env, args.workers, log_dir))
            for variant in variants:
                variant.server.wait_until_up("/api/v1/halls")
            database = DatabaseCpu(database_url)
            asyncio.run(run(args, variants, windows, database))
    finally:
        if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
            from django.db import connections

            connections.close_all()
        drop_database(database_url)
        empty_redis(env)
    report(variants)
    print(f"load average {os.getloadavg()[0]:.2f} at the end; logs in {log_dir}")
    return 0


async def run(args, variants: list[Variant], windows: list, database: DatabaseCpu) -> None:
    distinct = list(dict.fromkeys(windows))
    await open_windows(variants[0], distinct)
    for variant in variants:
        await phase(variant, windows, args.what, args.warm_up, database)
    for n in range(args.rounds):
        order = variants if n % 2 == 0 else variants[::-1]
        for variant in order:
            variant.found.append(await phase(variant, windows, args.what, args.seconds, database))


def report(variants: list[Variant]) -> None:
    print(
        "| round | "
        + " | ".join(f"{v.name}: units, web + database ms a unit (load)" for v in variants)
        + " |"
    )
    print("| --- |" + " --- |" * len(variants))
    for n, found in enumerate(zip(*(v.found for v in variants), strict=True), start=1):
        cells = [f"{f['units']}, {f['web']:.2f} + {f['db']:.2f} ({f['load']:.1f})" for f in found]
        print(f"| {n} | " + " | ".join(cells) + " |")
    first = None
    for variant in variants:
        web = statistics.median(f["web"] for f in variant.found)
        db = statistics.median(f["db"] for f in variant.found)
        total = statistics.median(f["web"] + f["db"] for f in variant.found)
        failed = sum(f["failed"] for f in variant.found)
        cookies = max(f["cookies"] for f in variant.found)
        first = first or (web, db, total)
        print(
            f"{variant.name}: medians web {web:.2f} ms, database {db:.2f} ms, together {total:.2f} ms a unit "
            f"({total / first[2]:.3f} of the first; web {web / first[0]:.3f}); failed {failed}; "
            f"cookies held by the clients {cookies}"
        )
    if len(variants) == 2:
        a, b = variants
        differences = [
            fa["web"] + fa["db"] - fb["web"] - fb["db"] for fa, fb in zip(a.found, b.found, strict=True)
        ]
        webs = [fa["web"] - fb["web"] for fa, fb in zip(a.found, b.found, strict=True)]
        print(
            f"{a.name} - {b.name}, round by round: together {', '.join(f'{d:+.2f}' for d in differences)} ms "
            f"(median {statistics.median(differences):+.2f}); web {', '.join(f'{d:+.2f}' for d in webs)} ms "
            f"(median {statistics.median(webs):+.2f}); {b.name} lower in {sum(d > 0 for d in differences)} "
            f"rounds of {len(differences)}"
        )


if __name__ == "__main__":
    sys.exit(main())
