"""Where the wait estimate misses (issue 19): per-ticket errors at issue of simulated days, broken down.

    .venv/bin/python bench/estimate_errors.py [--seeds 3] [--days quiet normal peak] [--jobs 1] [--json F]

Plays the day types like bench/simulate.py (same scratch database and workers), or reads the per-ticket
rows of a `bench/simulate.py --json` file (`--read`), and prints, for the
estimate on the kiosk slip, the share within 5 minutes and the mean signed error (estimate - actual:
negative promises too early a call) of the new and old estimators by service, by kind, by people ahead
and by hour of issue; and the new estimate's misses as shares of all tickets: in all, promised more than 5
minutes too early ("early"), more than 5 minutes too late ("late").
"""

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.simulate import in_workers, ticket_rows, worker_setup  # noqa: E402

WITHIN = 5


def play(args: tuple) -> dict:
    name, seeds, template, var = args
    worker_setup(template, var)
    from hall.models import Hall
    from simulation.api import simulate_day

    hall = Hall.objects.get(slug="wangchuan")
    logs = [simulate_day(hall, name, seed=seed) for seed in seeds]
    return {"day": name, "tickets": [row for log in logs for row in ticket_rows(log)]}


def bucket(ahead) -> str:
    if ahead is None:
        return "?"
    for top in (0, 1, 2, 4, 8, 15):
        if ahead <= top:
            return f"<={top}"
    return ">15"


def wait_bucket(wait: float) -> str:
    for top in (5, 15, 30, 60):
        if wait < top:
            return f"<{top:>2}"
    return ">=60"


def breakdown(rows: list[dict], key) -> None:
    groups = defaultdict(list)
    for row in rows:
        if row["new"] is not None:
            groups[key(row)].append(row)
    print(
        f"    {'':<20} {'n':>5} {'new<=5':>7} {'old<=5':>7} {'new bias':>9} {'wait':>6} {'misses':>7}"
        f" {'early':>6} {'late':>6}"
    )
    total = sum(len(v) for v in groups.values())
    for k, items in sorted(groups.items(), key=lambda kv: str(kv[0])):
        new = [r["new"] - r["wait"] for r in items]
        old = [r["old"] - r["wait"] for r in items]
        misses = sum(abs(e) > WITHIN for e in new)
        early, late = sum(e < -WITHIN for e in new), sum(e > WITHIN for e in new)
        print(
            f"    {str(k):<20} {len(items):>5} {100 * sum(abs(e) <= WITHIN for e in new) / len(items):>6.0f}%"
            f" {100 * sum(abs(e) <= WITHIN for e in old) / len(items):>6.0f}% {statistics.mean(new):>9.1f}"
            f" {statistics.mean(r['wait'] for r in items):>6.1f} {100 * misses / total:>6.1f}%"
            f" {100 * early / total:>5.1f}% {100 * late / total:>5.1f}%"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--days", nargs="+", default=["quiet", "normal", "peak"])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", help="also write the per-ticket rows to this file")
    parser.add_argument("--read", help="no simulation: the rows of this file (simulate.py's or our --json)")
    options = parser.parse_args()
    if options.read:
        results = json.loads(Path(options.read).read_text())
    else:
        seeds = list(range(1, options.seeds + 1))
        results = in_workers(play, options.days, (seeds,), jobs=options.jobs, prefix="ck-est-")
    for result in results:
        rows = result["tickets"]
        scored = [r for r in rows if r["new"] is not None]
        within = sum(abs(r["new"] - r["wait"]) <= WITHIN for r in scored) / len(scored)
        old = sum(abs(r["old"] - r["wait"]) <= WITHIN for r in scored) / len(scored)
        day = result["day"]
        print(f"\n{day}: {len(scored)} tickets, within 5 min new {100 * within:.1f}%, old {100 * old:.1f}%")
        print("  by service (misses: share of all tickets missed by the new estimate, in this group)")
        breakdown(rows, lambda r: r["service"])
        print("  by kind")
        breakdown(rows, lambda r: r["kind"])
        print("  by people ahead")
        breakdown(rows, lambda r: bucket(r["ahead"]))
        print("  by the actual wait (minutes)")
        breakdown(rows, lambda r: wait_bucket(r["wait"]))
        print("  by hour of issue")
        breakdown(rows, lambda r: r["hour"])
    if options.json:
        Path(options.json).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
