"""Why a ticket first in its line at issue waited longer than promised (issue 19): a per-ticket trace.

    .venv/bin/python bench/first_in_line.py [--seeds 4] [--days quiet normal peak] [--json F]

Plays the day types like bench/simulate.py, watching the engine: for every ticket with nobody of its
service ahead at issue, the counters serving its service then (open, busy), when each really came free
(the busy intervals of the day's log), and the tickets those counters called before it. Prints, for the
tickets promised more than 5 minutes too early, what took the counter that freed first: another ticket
waiting already (of another service, or an appointment, a green-channel ticket), one that came later, a
parked ticket back, or nobody (the counters were slower than estimated).
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.simulate import in_workers, worker_setup  # noqa: E402

WITHIN = 5


def play(args: tuple) -> str:
    name, seeds, template, var = args
    worker_setup(template, var)
    from hall.models import Hall
    from queueing.models import CounterState
    from simulation import engine
    from simulation.api import simulate_day

    day_class = engine.Hallday
    seen: dict = {}
    took, issued, init = day_class._took, day_class._issued, day_class.__init__

    def watch_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        seen.update(day=self, calls=[], firsts=[])

    def watch_took(self, now, number, ticket, *, resumed):
        seen["calls"].append((now, number, ticket.pk, resumed))
        return took(self, now, number, ticket, resumed=resumed)

    def watch_issued(self, now, ticket):
        issued(self, now, ticket)
        logged = self.log.tickets[ticket.pk]
        if not logged.readings or logged.readings[0].ahead != 0:
            return
        serving = [
            (number, self.state[number] == CounterState.OPEN, number in self.busy)
            for number in self.counters
            if ticket.service_id in self.serves[number]
        ]
        seen["firsts"].append((ticket.pk, now, logged.readings[0].minutes, serving))

    day_class.__init__, day_class._took, day_class._issued = watch_init, watch_took, watch_issued
    hall = Hall.objects.get(slug="wangchuan")
    rows = []
    for seed in seeds:
        log = simulate_day(hall, name, seed=seed)
        busy = [(i.counter, i.start, i.end) for i in log.intervals if i.busy]
        for pk, at, promised, serving in seen["firsts"]:
            ticket = log.tickets[pk]
            if ticket.called_at is None or promised is None:
                continue
            frees = []
            for number, is_open, is_busy in serving:
                if is_open:
                    end = (
                        next((e for c, s, e in busy if c == number and s <= at < e), None) if is_busy else at
                    )
                    frees.append((end - at).total_seconds() / 60 if end else None)
            numbers = {number for number, *_ in serving}
            before = []
            for moment, number, other, resumed in seen["calls"]:
                if at < moment < ticket.called_at and number in numbers and other != pk:
                    them = log.tickets.get(other)
                    before.append(_what(them, ticket, at, resumed))
            rows.append(
                {
                    "seed": seed,
                    "promised": promised,
                    "wait": ticket.wait(),
                    "first_free": min((f for f in frees if f is not None), default=None),
                    "before": before,
                }
            )
    return json.dumps({"day": name, "rows": rows})


def _what(them, ticket, at, resumed) -> str:
    if resumed:
        return "a parked ticket back"
    if them is None:
        return "a ticket the day's log does not have"
    kind = "green channel" if them.green else str(them.kind)
    when = "came later" if them.issued_at > at else "waiting already"
    return f"{kind}, {'same' if them.service == ticket.service else 'other'} service, {when}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--days", nargs="+", default=["quiet", "normal", "peak"])
    parser.add_argument("--json", help="also write the rows to this file")
    options = parser.parse_args()
    seeds = list(range(1, options.seeds + 1))
    results = [json.loads(r) for r in in_workers(play, options.days, (seeds,), jobs=1, prefix="ck-first-")]
    for result in results:
        rows = result["rows"]
        early = [r for r in rows if r["promised"] - r["wait"] < -WITHIN]
        late = [r for r in rows if r["promised"] - r["wait"] > WITHIN]
        print(
            f"\n{result['day']}: {len(rows)} first in line at issue; {len(early)} promised too early, "
            f"{len(late)} too late"
        )
        causes = Counter(r["before"][0] if r["before"] else "nobody: the counters were slower" for r in early)
        for cause, count in causes.most_common():
            print(f"  {count:>4}  {cause}")
    if options.json:
        Path(options.json).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
