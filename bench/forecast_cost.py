"""The CPU of one estimate play-through (queueing/forecast.py `waits`) by queue length, against the way it
was played before, in the same run: the whole queue as a list, sorted by order.next_for_counter at every
call (the reference, kept here). Pure Python, no database.

    .venv/bin/python bench/forecast_cost.py [--lengths 10,20,40,80,150,300] [--repeat 5]

Every ticket page, kiosk slip and walk-in answer reads the waits of its hall's queue (cached for a few
seconds per hall), so this cost is paid at every ticket issued in a busy hall.
"""

import argparse
import datetime as dt
import random
import sys
import time
import zoneinfo
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from queueing import forecast, order  # noqa: E402

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


class ListQueue:
    """The reference: the queue as a list, next_for_counter over all of it at each call."""

    def __init__(self, waiting=()):
        self.items = list(waiting)

    def add(self, item):
        self.items.append(item)

    def next_for_counter(self, **rules):
        return order.next_for_counter(self.items, **rules)

    def take(self, item):
        self.items.remove(item)


def queue(length: int, rng: random.Random) -> list[order.Waiting]:
    made = []
    for n in range(1, length + 1):
        kind = rng.choice([order.APPOINTMENT, order.WALK_IN])
        booked = NOW + dt.timedelta(minutes=rng.randrange(-60, 60)) if kind == order.APPOINTMENT else None
        made.append(
            order.Waiting(
                id=n,
                service_id=rng.choice([1, 2]),
                kind=kind,
                issued_at=NOW - dt.timedelta(minutes=rng.randrange(120)),
                booked_start=booked,
                green=rng.random() < 0.05,
            )
        )
    return made


def timed(waiting, counters, handling, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        forecast.waits(waiting, counters, handling, now=NOW)
        best = min(best, time.process_time() - started)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lengths", default="10,20,40,80,150,300")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    counters = [forecast.OpenCounter(services=(1, 2)), forecast.OpenCounter(services=(2, 1))] * 2
    handling = {1: forecast.Handling(10.0, 5.0, 50), 2: forecast.Handling(6.0, 3.0, 50)}
    print(f"{'waiting':>8} {'plays':>6} {'lines ms':>9} {'list ms':>9} {'ratio':>6}")
    for length in (int(n) for n in args.lengths.split(",")):
        waiting = queue(length, random.Random(length))
        plays = min(forecast.SAMPLES, forecast.PLAY_BUDGET // length**2)
        plays = plays if plays >= forecast.MIN_SAMPLES else 1
        now_ms = timed(waiting, counters, handling, args.repeat)
        with mock.patch.object(order, "Lines", ListQueue):
            before_ms = timed(waiting, counters, handling, args.repeat)
        print(f"{length:>8} {plays:>6} {now_ms:>9.1f} {before_ms:>9.1f} {before_ms / now_ms:>5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
