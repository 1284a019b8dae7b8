"""Staffing plan checked by simulation (issue 19, item 4): Erlang C's plan against the checked one.

    .venv/bin/python bench/plan_check.py [--days normal peak] [--seeds 3] [--max-plans 10] [--jobs 2]

Migrates a scratch SQLite database once (with an embedded Redis), loads the demo halls, and for each day
type computes Erlang C's counters per hour from the load the day type is expected to bring
(simulation.plan_demand.erlang_counters, the hall's target and goal as on the plan page), then searches
from it (simulation.plan_check): every plan is played over the same seeds, every day rolled back. Day
types run in parallel processes, each on its own copy of the database. Prints, per day type, the counter-
hours and the share called within the target of Erlang C's plan and of the checked plan, every plan tried
and the run time.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: hall.*, bench.*
from bench.simulate import in_workers, worker_setup  # noqa: E402


def play(args: tuple) -> dict:
    name, seeds, max_plans, template, var = args
    import datetime as dt

    worker_setup(template, var)
    from django.utils import timezone

    from hall.models import Hall
    from reports.report import settings_for
    from simulation import plan_check, plan_demand
    from simulation.api import next_open_day
    from simulation.scenario import day_type

    hall = Hall.objects.get(slug="wangchuan")
    day = day_type(name)
    date = next_open_day(hall, hall.local_date(timezone.now()) + dt.timedelta(days=365))
    erlang = plan_demand.erlang_counters(hall, day, date)
    started, cpu = time.monotonic(), time.process_time()

    def progress(trial):
        print(f"{name}: {trial.counter_hours} ch {100 * trial.share:.1f}% {trial.counters}", flush=True)

    check = plan_check.check_plan(
        hall, day, erlang, date=date, seeds=seeds, max_plans=max_plans, progress=progress
    )
    config = settings_for(hall)
    return {
        "day": name,
        "date": str(date),
        "target": config.target_wait_minutes,
        "page_goal": config.service_level_percent,
        "day_type_counter_hours": sum(day.counters.values()),
        "check": check.as_dict(),
        "seconds": time.monotonic() - started,
        "cpu_seconds": time.process_time() - cpu,
    }


def _plan(trial: dict) -> str:
    return " ".join(f"{h}h:{n}" for h, n in trial["counters"].items())


def report(results: list[dict]) -> None:
    for result in results:
        check = result["check"]
        start, best = check["start"], check["checked"]
        print(
            f"\n{result['day']} ({result['date']}): target {result['target']} min, goal "
            f"{100 * check['goal']:.0f}% (Erlang C sized for {result['page_goal']}%), "
            f"seeds {check['seeds']}, "
            f"{len(check['tried'])} plans tried (at most {check['max_plans']}), {check['simulations']} "
            f"simulated days{', stopped by the bound' if check['exhausted'] else ''}"
        )
        print(f"  {'plan':<12} {'counter-hours':>13} {'within target':>14} {'worst seed':>11}")
        rows = [("Erlang C", start)] + ([("checked", best)] if best else [])
        for label, trial in rows:
            print(
                f"  {label:<12} {trial['counter_hours']:>13} {100 * trial['share']:>13.1f}% "
                f"{100 * min(trial['seed_shares']):>10.1f}%"
            )
        if best:
            ratio = best["counter_hours"] / start["counter_hours"]
            print(f"  checked / Erlang C counter-hours: {ratio:.2f}")
        else:
            print("  no plan tried met the goal")
        print(f"  (the day type's own plan: {result['day_type_counter_hours']} counter-hours)")
        for trial in check["tried"]:
            mark = "meets" if trial["meets"] else "     "
            print(f"    {mark} {trial['counter_hours']:>3} ch {100 * trial['share']:5.1f}%  {_plan(trial)}")
        print(f"  run time {result['seconds']:.0f} s wall, {result['cpu_seconds']:.0f} s CPU")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", nargs="+", default=["normal", "peak"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-plans", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", help="also write the results to this file")
    options = parser.parse_args()
    started = time.monotonic()
    seeds = list(range(1, options.seeds + 1))
    results = in_workers(play, options.days, (seeds, options.max_plans), jobs=options.jobs, prefix="ck-plan-")
    report(results)
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
