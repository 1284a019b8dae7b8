"""What the citizen and the clerk are told about the queue ahead: pure functions, no database."""

import datetime as dt
import math
from collections.abc import Iterable, Sequence

from queueing import order


def estimated_wait_minutes(people_ahead: int, average_handling_minutes: int, open_counters: int) -> int:
    """Minutes until a ticket is likely called: the people ahead shared among the counters open for its
    service, each taking the service's average time. Rounded up, so that nobody is told "0 minutes"
    while someone is still ahead; with nobody ahead there is nothing to wait for. A service whose
    counters are all closed or paused is reckoned as one counter, not as an endless wait."""
    if people_ahead <= 0:
        return 0
    return max(1, math.ceil(people_ahead * average_handling_minutes / max(1, open_counters)))


def counter_queue(
    waiting: Iterable[order.Waiting],
    *,
    services: Sequence[int],
    now: dt.datetime,
    appointments_per_walk_in: int = 2,
    calls_since_walk_in: int = 0,
) -> list[order.Waiting]:
    """The order in which a counter serving `services` (in its order of preference) would call these
    tickets if nobody else arrived: what repeated order.next_for_counter would give, in one pass."""
    mine = [i for i in waiting if i.service_id in services]
    urgent = order.order(
        (i for i in mine if i.green or i.transferred),
        now=now,
        appointments_per_walk_in=appointments_per_walk_in,
    )
    result = list(urgent)
    for service_id in services:
        result += order.order(
            (i for i in mine if i.service_id == service_id and not (i.green or i.transferred)),
            now=now,
            appointments_per_walk_in=appointments_per_walk_in,
            calls_since_walk_in=calls_since_walk_in,
        )
    return result


def handling_minutes(started: dt.datetime | None, ended: dt.datetime | None) -> int | None:
    """Whole minutes a ticket took at the counter (at least 1 once it has ended)."""
    if started is None or ended is None:
        return None
    return max(1, round((ended - started).total_seconds() / 60))
