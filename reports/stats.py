"""The report's arithmetic on plain values: no database, no clock.

Definitions (docs/reports.md has them for supervisors):
- wait: issued_at → called_at (first call), for every ticket that was called;
- handling: start of service → completed_at, for tickets done; the start is serving_at, or called_at when
  the ticket went from called straight to done (queueing then sets serving_at to the completion time);
- percentiles interpolate linearly between the closest ranks (as numpy's default): p50 is the median;
- a counter's (or staff member's) open time on a day runs from its first to its last ticket event that
  day: queueing keeps no history of counter sessions, so this is the span in which it certainly worked;
  idle = open time − handling (pauses, walk-up time after a call and no-shows count as idle).
"""

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass


def minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


def percentile(ordered: list[float], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) of sorted values, interpolated linearly between ranks."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    count: int
    mean: float | None
    p50: float | None
    p90: float | None

    def as_dict(self, digits: int = 1) -> dict:
        def r(value):
            return None if value is None else round(value, digits)

        return {"mean": r(self.mean), "p50": r(self.p50), "p90": r(self.p90)}


def summarise(values: Iterable[float]) -> Summary:
    ordered = sorted(values)
    if not ordered:
        return Summary(0, None, None, None)
    return Summary(
        len(ordered), sum(ordered) / len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.9)
    )


def share_below(values: Iterable[float], limit: float) -> float | None:
    """Percentage of values strictly below the limit; None without values."""
    values = list(values)
    if not values:
        return None
    return 100 * sum(1 for v in values if v < limit) / len(values)


def change_percent(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return 100 * (now - before) / before


def repeat_visitors(visits: Iterable[tuple], first: dt.date, last: dt.date, window_days: int = 30) -> tuple:
    """最多跑一次: of the citizens served for a service in [first, last], those who had already been served
    for the same service on another day in the window_days before. `visits` are (citizen_key, date) pairs,
    including the window before `first`. Returns (citizens, repeaters)."""
    days: dict[str, set[dt.date]] = {}
    for key, date in visits:
        if key:
            days.setdefault(key, set()).add(date)
    citizens = repeaters = 0
    window = dt.timedelta(days=window_days)
    for dates in days.values():
        in_period = [d for d in dates if first <= d <= last]
        if not in_period:
            continue
        citizens += 1
        if any(any(d - window <= other < d for other in dates) for d in in_period):
            repeaters += 1
    return citizens, repeaters


def idle_minutes(spans: Iterable[tuple[dt.datetime, dt.datetime]], handling: float) -> tuple[float, float]:
    """(open minutes, idle minutes) from one span per working day and the handling minutes inside them."""
    opened = sum(minutes(end - start) for start, end in spans)
    return opened, max(0.0, opened - handling)
