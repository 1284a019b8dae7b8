"""Queue order: pure functions, no database.

1. The green channel first (in order of issue).
2. A transferred ticket goes to the head of its new queue (after the green channel), keeping its place.
3. Then appointments by booked time, with walk-ins interleaved so that they are not starved: after
   `appointments_per_walk_in` appointment calls, a waiting walk-in comes next (default two to one).
   Appointments whose window has not begun yet do not jump ahead of walk-ins who are here now.
4. A counter calls only the services it serves, in its configured order of preference; a green-channel
   or transferred ticket of any of its services comes first.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

APPOINTMENT = "appointment"
WALK_IN = "walk_in"


@dataclass(frozen=True)
class Waiting:
    id: int
    service_id: int
    kind: str  # APPOINTMENT or WALK_IN
    issued_at: dt.datetime
    booked_start: dt.datetime | None = None
    green: bool = False
    transferred: bool = False


def _priority(item: Waiting) -> tuple:
    if item.green:
        return (0, item.issued_at, item.id)
    if item.transferred:
        return (1, item.issued_at, item.id)
    return (2,)


def _appointment_key(item: Waiting) -> tuple:
    return (item.booked_start or item.issued_at, item.issued_at, item.id)


def _walk_in_key(item: Waiting) -> tuple:
    return (item.issued_at, item.id)


def order(
    waiting: Iterable[Waiting],
    *,
    now: dt.datetime,
    appointments_per_walk_in: int = 2,
    calls_since_walk_in: int = 0,
) -> list[Waiting]:
    """The order in which these tickets will be called, if nobody else arrives."""
    items = list(waiting)
    urgent = sorted((i for i in items if i.green or i.transferred), key=_priority)
    appointments = sorted((i for i in items if _is_regular(i, APPOINTMENT)), key=_appointment_key)
    walk_ins = sorted((i for i in items if _is_regular(i, WALK_IN)), key=_walk_in_key)

    result = list(urgent)
    streak = calls_since_walk_in
    while appointments or walk_ins:
        due_appointment = bool(appointments) and (appointments[0].booked_start or now) <= now
        take_walk_in = walk_ins and (not due_appointment or streak >= appointments_per_walk_in)
        if take_walk_in:
            result.append(walk_ins.pop(0))
            streak = 0
        else:
            result.append(appointments.pop(0))
            streak += 1
    return result


def _is_regular(item: Waiting, kind: str) -> bool:
    return item.kind == kind and not item.green and not item.transferred


def next_for_counter(
    waiting: Iterable[Waiting],
    *,
    services: Sequence[int],
    now: dt.datetime,
    appointments_per_walk_in: int = 2,
    calls_since_walk_in: int = 0,
) -> Waiting | None:
    """The ticket a counter serving `services` (in order of preference) should call next."""
    mine = [i for i in waiting if i.service_id in services]
    urgent = sorted((i for i in mine if i.green or i.transferred), key=_priority)
    if urgent:
        return urgent[0]
    for service_id in services:
        queue = order(
            (i for i in mine if i.service_id == service_id),
            now=now,
            appointments_per_walk_in=appointments_per_walk_in,
            calls_since_walk_in=calls_since_walk_in,
        )
        if queue:
            return queue[0]
    return None


def people_ahead(
    waiting: Iterable[Waiting], ticket_id: int, *, now: dt.datetime, appointments_per_walk_in: int = 2
) -> int:
    """How many tickets of the same service will be called before this one (0 when it is next)."""
    items = list(waiting)
    mine = next(i for i in items if i.id == ticket_id)
    queue = order(
        (i for i in items if i.service_id == mine.service_id),
        now=now,
        appointments_per_walk_in=appointments_per_walk_in,
    )
    return [i.id for i in queue].index(ticket_id)
