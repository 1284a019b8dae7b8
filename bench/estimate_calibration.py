"""Is the live estimate as good as its information allows? (issue 19: the 80 % goal)

    .venv/bin/python bench/estimate_calibration.py [--day quiet] [--seeds 4] [--history 8]

The live estimate (queueing/forecast.py) plays the queue forward 40 times with drawn handling times and
shows the middle of the ten minutes holding the most plays' calls. Each estimate so carries its own
forecast of being right: the share of its plays within 5 minutes of the figure shown. This bench plays the
demo hall's days as bench/simulate.py does (a kept history of the same weekday, then seeded days, rolled
back) and puts, for every reading (the kiosk slip at issue, and each later look at the ticket page), that
forecast beside what happened: was the ticket called within 5 minutes of the figure?

If the two agree (the estimator is calibrated), no figure drawn from the same information can be right more
often: the figure already sits where its plays are densest, and the plays are as likely as the day. The
forecast's mean is then the ceiling of the share within 5 minutes for that information, and a higher share
needs information the hall does not have when the ticket is issued (who will walk in, how long each
citizen will take). Where the plays are right less often than they forecast, the model misses something
the hall could know. Printed per reading kind and by the forecast's decile.
"""

import argparse
import datetime as dt
import math
import multiprocessing
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import simulate  # noqa: E402

WITHIN = 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--day", default="quiet")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--history", type=int, default=8)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change the day type (a number field of simulation.scenario.DayType), e.g. gone_rate=0",
    )
    parser.add_argument(
        "--even-walk-ins",
        action="store_true",
        help="the simulated walk-ins come at evenly spread moments of their hourly profile, not at random",
    )
    args = parser.parse_args()
    args.changes = {name: float(value) for name, value in (item.split("=", 1) for item in args.set)}
    with tempfile.TemporaryDirectory(prefix="ck-calibration-") as tmp:
        template, var = Path(tmp) / "template", Path(tmp) / "var"
        template.mkdir()
        var.mkdir()
        redis = simulate._redis(template)
        try:
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                pool.apply(simulate.prepare, (template,))
            simulate.worker_setup(template, var)
            return measure(args)
        finally:
            redis.terminate()


def measure(args) -> int:
    from hall.models import Hall
    from queueing import forecast
    from simulation import engine
    from simulation.api import default_date, simulate_day
    from simulation.history import play_weeks_before
    from simulation.scenario import day_type

    last = {"mass": None}
    original = forecast.estimate_from

    def estimate_from(wait, later_by=0.0):
        estimate = original(wait, later_by)
        last["mass"] = None
        if wait and estimate.minutes is not None:
            times = [x - later_by for x in wait]
            last["mass"] = sum(abs(t - estimate.minutes) <= WITHIN for t in times) / len(times)
        return estimate

    masses: dict[int, float | None] = {}
    reading = engine.Reading

    def recorded(*fields, **named):
        made = reading(*fields, **named)
        masses[id(made)] = last["mass"]
        return made

    forecast.estimate_from = estimate_from
    engine.Reading = recorded
    if args.even_walk_ins:
        even_walk_ins()
    hall = Hall.objects.get(slug="wangchuan")
    date = default_date(hall)
    day = day_type(args.day, **args.changes)
    play_weeks_before(hall, day, date, weeks=args.history)
    rows = {"at issue": [], "later readings": []}
    for seed in range(1, args.seeds + 1):
        log = simulate_day(hall, day, seed=seed, date=date)
        for ticket in log.tickets.values():
            if ticket.called_at is None:
                continue
            for n, r in enumerate(ticket.readings):
                mass = masses.get(id(r))
                if r.minutes is None or mass is None:
                    continue
                left = (ticket.called_at - r.at).total_seconds() / 60
                rows["at issue" if n == 0 else "later readings"].append(
                    (mass, abs(r.minutes - left) <= WITHIN)
                )
    load = os.getloadavg()[0]
    changed = ", ".join(args.set + (["walk-ins evenly spread"] if args.even_walk_ins else [])) or "as defined"
    print(f"day type {args.day} ({changed}), {args.seeds} seeds, {args.history} weeks of history")
    print(f"load average {load:.1f}")
    print(f"{'readings':<16} {'count':>6} {'forecast right':>15} {'right':>7}")
    for kind, found in rows.items():
        if found:
            forecast_share = sum(m for m, _ in found) / len(found)
            right = sum(h for _, h in found) / len(found)
            print(f"{kind:<16} {len(found):>6} {100 * forecast_share:>14.1f}% {100 * right:>6.1f}%")
    print("at issue, by the estimate's own forecast:")
    buckets = defaultdict(list)
    for mass, hit in rows["at issue"]:
        buckets[min(9, math.floor(mass * 10))].append(hit)
    for decile in sorted(buckets):
        hits = buckets[decile]
        share = 100 * sum(hits) / len(hits)
        low = 10 * decile
        print(f"  forecast {low:>3}-{low + 10:<3}%: {len(hits):>5} readings, right {share:5.1f}%")
    return 0


def even_walk_ins() -> None:
    """The day's walk-ins at the quantiles of their profile's minutes (the k-th of n at (k + 1/2) / n), as
    the estimator expects them, instead of drawn: what is left of the gap is not the walk-ins' bursts."""
    from simulation import scenario

    def walk_in_times(self, day, sessions):
        profile = scenario.WALK_IN_PROFILE if day.profile is None else day.profile
        minutes = []
        for start, end in sessions:
            moment = start
            while moment < end:
                minutes.append((moment, profile.get(moment.hour, 0.2 if day.profile is None else 0.0)))
                moment += dt.timedelta(minutes=1)
        total = sum(w for _m, w in minutes)
        if not total or not day.walk_ins:
            return []
        found, seen, k = [], 0.0, 0
        for moment, weight in minutes:
            seen += weight
            while k < day.walk_ins and (k + 0.5) / day.walk_ins * total <= seen:
                found.append(moment + dt.timedelta(seconds=30))
                k += 1
        return found

    scenario.Draws.walk_in_times = walk_in_times


if __name__ == "__main__":
    sys.exit(main())
