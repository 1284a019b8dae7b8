"""Wait-estimate benchmark (issue 19): simulated days of the demo hall, the live estimate against the old one.

    .venv/bin/python bench/simulate.py [--seeds 10] [--days quiet normal peak] [--jobs 3] [--history 8]
                                       [--oracle 200 [--ablation]]

Migrates a scratch SQLite database once (under a temporary directory, with an embedded Redis on a socket
there) and loads the demo halls. Per day type it first plays and keeps a history (simulation.api.
play_weeks_before: the same day type on the same weekday in each of the --history weeks before, the record the
expected walk-ins are learnt from), then plays the day for seeds 1..N through simulation.api.simulate_day
(each rolled back, on that same history). Day types run in parallel processes, each on its own copy of
the database.
Prints per day type the error of the estimate shown at issue (the kiosk slip) and at every later reading
of the ticket page: the share within 5 minutes of the actual wait, the median and the p90 absolute error,
for the old estimator (people ahead x configured average / open counters) and the new (live) one; then the
days' waits, the share within the hall's target and the run time per day. With --oracle, beside them at
issue the oracle estimator's error (bench/oracle.py: the ceiling of any estimator given the hall's state at
issue), on the same tickets; with --ablation also the oracle with one piece of its knowledge taken away at a
time. After the days, manage.py check_invariants' checks (queueing.invariants) on the database.
"""

import argparse
import ast
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench.common import ROOT  # noqa: E402


def environment(var: Path, redis: Path) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "hall.settings",
        "VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'sim.sqlite3'}",
        "REDIS_URL": f"unix://{redis}",
    }


def prepare(var: Path) -> None:
    import django
    from django.core.management import call_command

    os.environ.update(environment(var, var / "redis.sock"))
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--quiet")
    from django.db import connection

    connection.close()  # SQLite folds its write-ahead log into the file the workers copy


def worker_setup(template: Path, var: Path) -> None:
    """In a worker process: its own copy of the prepared database under `var`, the template's Redis, Django
    set up, and the simulator's INFO logging off."""
    for path in template.glob("sim.sqlite3*"):
        shutil.copy(path, var / path.name)
    os.environ.update(environment(var, template / "redis.sock"))
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)


def play(args: tuple) -> dict:
    """One day type over the seeds, in its own process and its own copy of the database."""
    name, seeds, weeks, oracles, template, var = args
    worker_setup(template, var)
    from hall.models import Hall
    from queueing import invariants
    from simulation import api, measures
    from simulation.api import default_date, simulate_day
    from simulation.history import play_weeks_before

    if oracles["plays"] or oracles["before"]:
        from bench import oracle

        oracle.Observed.alternatives = oracles["before"]
        oracle.Observed.plays = oracles["plays"]
        oracle.Observed.oracles = {
            k: v
            for k, v in oracle.ABLATIONS.items()
            if oracles["plays"] and (k == "ceiling" or oracles["ablation"])
        }

    hall = Hall.objects.get(slug="wangchuan")
    date = default_date(hall)
    history_started = time.process_time()
    history = play_weeks_before(hall, name, date, weeks=weeks)
    history_cpu = time.process_time() - history_started
    if oracles["plays"] or oracles["before"]:
        api.Hallday = oracle.Observed  # the same days, with the oracle's reading at each issue
    logs = [simulate_day(hall, name, seed=seed, date=date) for seed in seeds]
    found = invariants.check_all()  # manage.py check_invariants: the kept history and the rolled-back days
    return {
        "invariants": [str(f) for f in found],
        "oracle": oracle.tables(logs) if oracles["plays"] or oracles["before"] else {},
        "day": name,
        "history": {"days": len(history), "cpu_seconds": history_cpu},
        "at_issue": _table(measures.error_table(logs)),
        "at_readings": _table(measures.error_table(logs, at_issue=False)),
        "tickets": [row for log in logs for row in ticket_rows(log)],
        "days": [
            {k: v for k, v in measures.summary(log).items() if k not in ("by_hour", "by_service")}
            for log in logs
        ],
    }


def ticket_rows(log) -> list[dict]:
    """Each called ticket's estimate at issue against its wait (for bench/estimate_errors.py and --merge),
    with the oracles' and the alternatives' figures (`figures`, by name)."""
    rows = []
    others = getattr(log, "oracle", {})
    for ticket in log.tickets.values():
        if ticket.called_at is None or not ticket.readings:
            continue
        first = ticket.readings[0]
        rows.append(
            {
                "seed": log.seed,
                "service": str(ticket.service),
                "kind": "green" if ticket.green else str(ticket.kind),
                "hour": ticket.issued_at.astimezone(log.tz).hour,
                "ahead": first.ahead,
                "wait": ticket.wait(),
                "new": first.minutes,
                "old": first.old,
                "figures": {name: figures.get(ticket.id) for name, figures in others.items()},
            }
        )
    return rows


def merge(paths: list[str]) -> None:
    """The error at issue of every estimate over the tickets of several runs' --json files (runs of the
    same commit over different seeds), per day type: as oracle.tables scores them (a figure missing where
    no play reached the ticket counts as the live estimate's)."""
    from simulation.measures import Errors

    by_day: dict[str, list[dict]] = {}
    for path in paths:
        for result in json.loads(Path(path).read_text()):
            by_day.setdefault(result["day"], []).extend(result["tickets"])
    for day, rows in by_day.items():
        rows = [r for r in rows if r["new"] is not None]
        seeds = sorted({r["seed"] for r in rows})
        print(f"\n{day}: seeds {seeds[0]}-{seeds[-1]} ({len(seeds)}), {len(rows)} tickets scored at issue")
        print(f"  {'estimate':<40} {'n':>6} {'<=5 min':>9} {'median':>8} {'p90':>8}")
        names = {name: None for r in rows for name in r.get("figures", {})}
        columns = {"old": lambda r: r["old"], "new (live)": lambda r: r["new"]}
        for name in names:
            columns[name] = lambda r, name=name: (
                r["new"] if r["figures"].get(name) is None else r["figures"][name]
            )
        for label, figure in columns.items():
            print(_row(label, Errors.of([abs(figure(r) - r["wait"]) for r in rows]).__dict__))


def _table(table: dict) -> dict:
    return {k: (v.__dict__ if hasattr(v, "__dict__") else v) for k, v in table.items()}


def _row(label: str, errors: dict) -> str:
    return (
        f"  {label:<40} {errors['count']:>6} {100 * errors['within']:>8.1f}% {errors['median']:>8.1f} "
        f"{errors['p90']:>8.1f}"
    )


def report(results: list[dict]) -> None:
    for result in results:
        days = result["days"]
        history = result["history"]
        print(
            f"\n{result['day']}: {len(days)} seeds, on a history of {history['days']} past days "
            f"({history['cpu_seconds']:.0f} s CPU)"
        )
        print(f"  {'estimate':<40} {'n':>6} {'<=5 min':>9} {'median':>8} {'p90':>8}")
        for when in ("at_issue", "at_readings"):
            table = result[when]
            print(_row(f"{when.replace('_', ' ')}, old", table["old"]))
            print(_row(f"{when.replace('_', ' ')}, new", table["new"]))
            if table["no_basis"]:
                print(
                    f"  {when.replace('_', ' ')}: {table['no_basis']} readings without a basis (not scored)"
                )
        for label, errors in result["oracle"].items():
            print(_row(f"at issue, {label}", errors))
        if result["invariants"]:
            print(f"  check_invariants: {len(result['invariants'])} findings: {result['invariants'][:3]}")
        else:
            print("  check_invariants: none found")
        within = [d["within_target"] for d in days]
        print(
            f"  tickets/day {statistics.mean(d['tickets'] for d in days):.0f}, "
            f"within target {100 * statistics.mean(within):.0f}% (worst seed {100 * min(within):.0f}%), "
            f"most inside {max(d['most_inside'] for d in days)} (cap {days[0]['cap_inside']}), "
            f"sent outside/day {statistics.mean(d['sent_outside'] for d in days):.0f}"
        )
        print(
            f"  run time per day: {statistics.mean(d['seconds'] for d in days):.0f} s wall, "
            f"{statistics.mean(d['cpu_seconds'] for d in days):.0f} s CPU"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1, help="the first of the seeds")
    parser.add_argument("--days", nargs="+", default=["quiet", "normal", "peak"])
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument(
        "--history", type=int, default=8, help="weeks of kept past days before the measured day (0: none)"
    )
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--oracle",
        type=int,
        default=0,
        metavar="PLAYS",
        help="also the oracle estimator's (bench/oracle.py: the ceiling) from this many plays at each issue",
    )
    parser.add_argument("--ablation", action="store_true", help="and the oracle less one piece of knowledge")
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="only print the errors at issue over these runs' --json files",
    )
    parser.add_argument(
        "--before",
        action="append",
        default=[],
        metavar="ATTRIBUTE=VALUE[,...]",
        help="also the live estimate at issue with these queueing.forecast attributes set (estimates.A: "
        "queueing.estimates') (the estimator before a change), on the same tickets, e.g. "
        "estimates.WORK=False (repeat for several)",
    )
    options = parser.parse_args()
    if options.merge:
        merge(options.merge)
        return 0
    started = time.monotonic()
    seeds = list(range(options.first_seed, options.first_seed + options.seeds))
    before = {  # "A=1,B=2" -> live with those set
        f"live, {item}": {k: ast.literal_eval(v) for k, v in (pair.split("=", 1) for pair in item.split(","))}
        for item in options.before
    }
    oracles = {"plays": options.oracle, "ablation": options.ablation, "before": before}
    results = in_workers(
        play, options.days, (seeds, options.history, oracles), jobs=options.jobs, prefix="ck-sim-"
    )
    report(results)
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


def in_workers(play, days: list[str], extra: tuple, *, jobs: int, prefix: str) -> list[dict]:
    """Migrate and seed a template database once (with an embedded Redis), then `play((day, *extra,
    template, var))` for each day type in `jobs` spawned processes, each given its own `var` directory."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        base = Path(tmp)
        template = base / "template"
        template.mkdir()
        redis = _redis(template)
        try:
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                pool.apply(prepare, (template,))
            work = []
            for name in days:
                var = base / name
                var.mkdir()
                work.append((name, *extra, template, var))
            with multiprocessing.get_context("spawn").Pool(jobs) as pool:
                return pool.map(play, work)
        finally:
            redis.terminate()


def _redis(var: Path):
    sys.path.insert(0, str(ROOT))
    from dev import start_embedded_redis

    return start_embedded_redis(var / "redis.sock")


if __name__ == "__main__":
    sys.exit(main())
