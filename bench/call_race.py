"""The 20-windows-at-once race: every window presses call-next at the same instant, round after round.

    .venv/bin/python bench/call_race.py [--workers 4] [--counters 20] [--rounds 50] [--pause 1]

What a hall does (issue 20 item 3): after a break, at opening or when the board clears, all windows press
"call next" together, then serve for minutes. So, unlike bench/call_next.py's closed loop (which saturates
the server and measures its queue), each round here releases one request per window at one instant (an
asyncio.Event as the barrier) and waits for every answer: the 20 call-nexts, then, 0.2 s after the last of
them, the 20 completes of the tickets called (a second burst, timed apart: in a hall a complete comes
minutes later, not in the same second as the others' calls), then a pause of --pause seconds. Latency is
from the instant of the release to the answer. --warm-up rounds first, unmeasured (each worker imports,
connects and prepares its statements on its first requests).

Two servers are up side by side, served as in production (docs/production.md: nginx in front as
deploy/nginx.conf, gunicorn with --workers sync workers, 2 per core by default, DATABASE_POOL_MAX=2):
Chuangkou (hall.wsgi, a hall with 20 windows, a clerk and an API token each, every rule on) and the floor
(bench/baseline: one UPDATE ... SKIP LOCKED for call-next, one UPDATE for complete). Their rounds alternate,
so both meet the same load of a shared machine. The client is bench/load.py's plain HTTP/1.0 one (httpx
would spend milliseconds of the same two cores per request).

Printed: per round, call-next and complete p50 and slowest, and the CPU (web workers + the server's own
database backends) per call-next; overall p50/p95/p99/slowest of each, Chuangkou against the floor; the
arithmetic of the slowest answer (20 requests of C ms of CPU on the cores end after about 20 × C / cores);
and the checks: no ticket given to two windows, and, read back from each database, every ticket called
exactly once and done (each run calls exactly counters × (warm-up + rounds) tickets, the whole queue).

Environment: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/ck_call_race), BASELINE_DATABASE_URL
(.../ck_call_race_floor), BENCH_REDIS_URL (default redis://127.0.0.1:6379/15, emptied before and after).
Both databases are dropped at the end unless --keep.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench import call_next  # noqa: E402
from bench.baseline import serve  # noqa: E402
from bench.common import (  # noqa: E402
    PY,
    ROOT,
    DatabaseCpu,
    clean_up,
    django_setup,
    recreate_database,
    side_by_side_env,
    tree_cpu_seconds,
)
from bench.load import Answer, Front  # noqa: E402
from bench.open_loop import post  # noqa: E402

TARGET = 0.100  # issue 20 item 3: the race's call-next p99
GAP = 0.2  # seconds between the last call-next answer of a round and its completes
DONE = {"outcome": "done"}


@dataclass
class Burst:
    """One request per window released at one instant: seconds from the release to each answer, the
    answers, and the CPU seconds of the server (web + its database's backends), of the database alone, and
    around the server (nginx and the client) for the burst."""

    latencies: list[float]
    answers: list[Answer]
    cpu: float
    database: float
    around: float

    @property
    def statuses(self) -> list[int]:
        return [answer.status for answer in self.answers]


@dataclass
class Round:
    call: Burst
    complete: Burst
    tickets: list[int]  # the tickets the call-nexts gave, in the windows' order
    load: float  # the machine's 1-minute load average as the round began


@dataclass
class App:
    """A server under test, behind its nginx: its windows' headers and counters, its rounds so far."""

    name: str
    port: int
    windows: list[tuple[int, dict]]  # (counter id, headers)
    meter: "Meter"
    rounds: list[Round] = field(default_factory=list)


class Meter:
    """CPU seconds of a server (gunicorn's master and workers, and its own database's PostgreSQL backends),
    and of what is around it (its nginx and this client)."""

    def __init__(self, server: serve.Server, front: Front, database_url: str):
        self.pids, self.database = (server.process.pid, front.process.pid), DatabaseCpu(database_url)

    def read(self) -> tuple:
        web, front = (tree_cpu_seconds(pid) for pid in self.pids)
        return web, self.database.backends(), front, time.process_time()

    def since(self, reading: tuple) -> tuple[float, float, float]:
        """(web, database, around) CPU seconds since `reading`."""
        client = time.process_time() - reading[3]
        web, front = (tree_cpu_seconds(pid) for pid in self.pids)
        return web - reading[0], self.database.since(reading[1]), front - reading[2] + client


async def burst(app: App, requests: list[tuple[str, dict]]) -> Burst:
    """POST each (path, headers) at one instant: every request waits at the barrier until all are ready."""
    loop = asyncio.get_running_loop()
    go = asyncio.Event()

    async def press(path: str, headers: dict):
        await go.wait()
        answer = await post(app.port, path, DONE, headers)
        return answer, loop.time()

    tasks = [asyncio.create_task(press(path, headers)) for path, headers in requests]
    reading = app.meter.read()
    await asyncio.sleep(0.01)  # every task reaches the barrier
    released = loop.time()
    go.set()
    answered = await asyncio.gather(*tasks)
    web, database, around = app.meter.since(reading)
    latencies = [at - released for _answer, at in answered]
    return Burst(latencies, [answer for answer, _at in answered], web + database, database, around)


async def race_round(app: App) -> Round:
    load = os.getloadavg()[0]
    calls = await burst(app, [(f"/api/v1/counters/{c}/call-next", h) for c, h in app.windows])
    tickets = [json.loads(a.body)["ticket"]["id"] if a.status == 200 else None for a in calls.answers]
    await asyncio.sleep(GAP)
    done = [
        (f"/api/v1/tickets/{t}/complete", h) for t, (_c, h) in zip(tickets, app.windows, strict=True) if t
    ]
    complete = await burst(app, done)
    return Round(calls, complete, [t for t in tickets if t is not None], load)


async def race(apps: list[App], rounds: int, warm_up: int, pause: float) -> None:
    """Rounds of each app in turn, the warm-up ones not kept."""
    for n in range(warm_up + rounds):
        for app in apps:
            found = await race_round(app)
            if n >= warm_up:
                app.rounds.append(found)
            await asyncio.sleep(pause)


def summary(latencies: list[float]) -> dict:
    """p50, p95, p99 and the slowest, in milliseconds (statistics' inclusive method: p99 of 20 values lies
    between the two slowest; a single value is all four)."""
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {"p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000, "max": max(latencies) * 1000}


def given_twice(rounds: list[Round]) -> list[int]:
    """Tickets that call-next gave to more than one window (or twice to one)."""
    seen = Counter(ticket for found in rounds for ticket in found.tickets)
    return sorted(ticket for ticket, n in seen.items() if n > 1)


def cpu_per_request(bursts: list[Burst], part: str = "cpu") -> float:
    """Milliseconds of CPU per request (2xx or not) of these bursts: the server's (`part` "cpu") or that of
    nginx and the client ("around"), or its database's alone ("database")."""
    return sum(getattr(b, part) for b in bursts) * 1000 / max(sum(len(b.statuses) for b in bursts), 1)


def print_rounds(apps: list[App]) -> None:
    head = " | ".join(
        f"{app.name}: ms call-next p50 / slowest, complete p50 / slowest, CPU a call" for app in apps
    )
    print(f"| round | load | {head} |")
    print("| --- | --- |" + " --- |" * len(apps))
    for n, rounds in enumerate(zip(*(app.rounds for app in apps), strict=True), start=1):
        cells = []
        for found in rounds:
            call, complete = summary(found.call.latencies), summary(found.complete.latencies)
            cpu = cpu_per_request([found.call])
            cells.append(
                f"{call['p50']:.0f} / {call['max']:.0f}, {complete['p50']:.0f} / {complete['max']:.0f}"
            )
            cells[-1] += f", {cpu:.1f}"
        print(f"| {n} | {rounds[0].load:.1f} | " + " | ".join(cells) + " |")


def print_overall(apps: list[App], counters: int) -> dict:
    """Each app's call-next and complete over all rounds; returns the figures by app name."""
    cores = os.cpu_count() or 1
    figures = {}
    for app in apps:
        call = summary([x for r in app.rounds for x in r.call.latencies])
        complete = summary([x for r in app.rounds for x in r.complete.latencies])
        slowest = statistics.median(max(r.call.latencies) for r in app.rounds) * 1000
        cpu = cpu_per_request([r.call for r in app.rounds])
        figures[app.name] = {"call": call, "complete": complete, "cpu": cpu}
        statuses = Counter(s for r in app.rounds for b in (r.call, r.complete) for s in b.statuses)
        print(
            f"{app.name}, {len(app.rounds)} rounds of {counters}: call-next p50 {call['p50']:.0f}, p95 "
            f"{call['p95']:.0f}, p99 {call['p99']:.0f}, slowest {call['max']:.0f} ms (median of the rounds' "
            f"slowest {slowest:.0f} ms); complete p50 {complete['p50']:.0f}, p95 {complete['p95']:.0f}, p99 "
            f"{complete['p99']:.0f}, slowest {complete['max']:.0f} ms; statuses {dict(statuses)}"
        )
        around = cpu_per_request([r.call for r in app.rounds], "around")
        database = cpu_per_request([r.call for r in app.rounds], "database")
        per_complete = cpu_per_request([r.complete for r in app.rounds])
        print(
            f"  CPU per call-next: server {cpu:.1f} ms (web {cpu - database:.1f} + own database "
            f"{database:.1f}), nginx + client {around:.1f} ms "
            f"(per complete: server {per_complete:.1f} ms); the last of {counters} is answered after about "
            f"{counters} × {cpu + around:.1f} / {cores} cores = {counters * (cpu + around) / cores:.0f} ms "
            f"when the cores are the run's alone"
        )
    return figures


def read_back_floor(database_url: str) -> tuple[int, int]:
    """(tickets done, tickets) in the floor's database."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        query = "SELECT count(*) FILTER (WHERE state = 'done'), count(*) FROM baseline_ticket"
        return conn.execute(query).fetchone()


def set_up(args, env: dict, floor_env: dict, tickets: int) -> list[tuple[int, str]]:
    """Both databases, made anew: the floor's `tickets` waiting, and Chuangkou's hall (call_next's: a
    window, a clerk and a token per counter) with as many. Returns Chuangkou's (counter id, API key)."""
    serve.set_up(floor_env, 0, tickets)
    recreate_database(env["DATABASE_URL"])
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    django_setup(env)
    from django.db import connections

    windows = call_next.create_hall(args.counters, tickets)
    connections.close_all()
    return windows


async def open_counters(app: App) -> None:
    for counter, headers in app.windows:
        answer = await post(app.port, f"/api/v1/counters/{counter}/open", {}, headers)
        assert answer.status == 200, f"a counter did not open: {answer.status} {answer.body[:200]}"


def run(args, env: dict, floor_env: dict, windows: list) -> list[App]:
    log_dir = Path(env["VAR_DIR"])
    with ExitStack() as stack:
        ours = stack.enter_context(
            serve.Server("hall.wsgi:application", env, args.workers, log_dir / "ck.log")
        )
        floor = stack.enter_context(
            serve.Server("bench.baseline.wsgi:application", floor_env, args.workers, log_dir / "floor.log")
        )
        ours.wait_until_up("/api/v1/halls")
        floor.wait_until_up("/ping")
        ours_front, floor_front = (
            stack.enter_context(Front(ours.port)),
            stack.enter_context(Front(floor.port)),
        )
        apps = [
            App(
                "Chuangkou",
                ours_front.port,
                [(counter, {"Authorization": f"Bearer {key}"}) for counter, key in windows],
                Meter(ours, ours_front, env["DATABASE_URL"]),
            ),
            App(
                "floor",
                floor_front.port,
                [(n, {}) for n in range(1, args.counters + 1)],
                Meter(floor, floor_front, floor_env["BASELINE_DATABASE_URL"]),
            ),
        ]
        asyncio.run(open_counters(apps[0]))
        asyncio.run(race(apps, args.rounds, args.warm_up, args.pause))
    return apps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn sync workers"
    )
    parser.add_argument("--counters", type=int, default=20, help="windows pressing call-next together")
    parser.add_argument("--rounds", type=int, default=50, help="measured rounds")
    parser.add_argument("--warm-up", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument(
        "--pause", type=float, default=1.0, help="seconds between one burst's end and the next"
    )
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    args = parser.parse_args()
    env, floor_env = side_by_side_env("call_race", 15, DATABASE_POOL_MAX="2")
    tickets = args.counters * (args.warm_up + args.rounds)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    print(
        f"{args.workers} gunicorn sync workers each behind nginx; {args.counters} windows, {args.warm_up} + "
        f"{args.rounds} rounds, {args.pause:g} s pause; {tickets} tickets waiting"
    )
    try:
        windows = set_up(args, env, floor_env, tickets)
        apps = run(args, env, floor_env, windows)
        twice, not_done, recorded = call_next.read_back()
        floor_done, floor_tickets = read_back_floor(floor_env["BASELINE_DATABASE_URL"])
    finally:
        clean_up(env, floor_env, args.keep)
    print_rounds(apps)
    figures = print_overall(apps, args.counters)
    ours, floor = figures["Chuangkou"], figures["floor"]
    p99_ratio, cpu_ratio = ours["call"]["p99"] / floor["call"]["p99"], ours["cpu"] / floor["cpu"]
    print(
        f"Chuangkou against the floor, in this run: call-next p99 {p99_ratio:.1f} ×, "
        f"CPU per call-next {cpu_ratio:.1f} ×"
    )
    needed = TARGET * 1000 * (os.cpu_count() or 1) / args.counters
    met = ours["call"]["p99"] < TARGET * 1000
    print(
        f"target call-next p99 < {TARGET * 1000:.0f} ms: {'met' if met else 'MISSED'} "
        f"({ours['call']['p99']:.0f} ms); the last of {args.counters} within it takes at most "
        f"{needed:.0f} ms of CPU per call-next on {os.cpu_count()} cores, server, database, nginx and client "
        f"together"
    )
    lost = [name for name, app in zip(("Chuangkou", "floor"), apps, strict=True) if given_twice(app.rounds)]
    print(
        f"given to two windows: {lost or 'none'}; Chuangkou read back: {twice} called twice, {not_done} not "
        f"done, {recorded} calls for {tickets} tickets; floor read back: {floor_done} of {floor_tickets} done"
    )
    print(f"load average {os.getloadavg()[0]:.2f} at the end; logs in {env['VAR_DIR']}")
    ok = (
        not lost and (twice, not_done, recorded) == (0, 0, tickets) and floor_done == floor_tickets == tickets
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
