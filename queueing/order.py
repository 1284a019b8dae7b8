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
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

APPOINTMENT = "appointment"
WALK_IN = "walk_in"

# The lines of a queue. Each is called from its head, in the order of these fields (`booked`: the booked
# start, or the time of issue without one); so whoever reads the queue needs only the first few tickets of
# each line (queueing/heads.py reads them in this order). The shared lines come first, across a counter's
# services, green before transferred; the others are one per service.
GREEN, TRANSFERRED, APPOINTMENTS, WALK_INS = "green", "transferred", "appointments", "walk_ins"
LINES = {
    GREEN: ("issued_at", "id"),
    TRANSFERRED: ("issued_at", "id"),
    APPOINTMENTS: ("booked", "issued_at", "id"),
    WALK_INS: ("issued_at", "id"),
}
SHARED = (GREEN, TRANSFERRED)
PER_SERVICE = (APPOINTMENTS, WALK_INS)


@dataclass(frozen=True)
class Waiting:
    id: int
    service_id: int
    kind: str  # APPOINTMENT or WALK_IN
    issued_at: dt.datetime
    booked_start: dt.datetime | None = None
    green: bool = False
    transferred: bool = False

    @property
    def booked(self) -> dt.datetime:
        return self.booked_start or self.issued_at


def line_of(item: Waiting) -> str | None:
    if item.green:
        return GREEN
    if item.transferred:
        return TRANSFERRED
    return {APPOINTMENT: APPOINTMENTS, WALK_IN: WALK_INS}.get(item.kind)


def _key(item: Waiting) -> tuple:
    """The item's place in its line."""
    return tuple(getattr(item, field) for field in LINES[line_of(item)])


def _urgent(items: Iterable[Waiting]) -> list[Waiting]:
    """The items of the shared lines, in the order they are called."""
    shared = (i for i in items if line_of(i) in SHARED)
    return sorted(shared, key=lambda i: (SHARED.index(line_of(i)), *_key(i)))


def _line(items: Iterable[Waiting], line: str) -> list[Waiting]:
    return sorted((i for i in items if line_of(i) == line), key=_key)


def order(
    waiting: Iterable[Waiting],
    *,
    now: dt.datetime,
    appointments_per_walk_in: int = 2,
    calls_since_walk_in: int = 0,
) -> list[Waiting]:
    """The order in which these tickets will be called, if nobody else arrives."""
    items = list(waiting)
    appointments, walk_ins = _line(items, APPOINTMENTS), _line(items, WALK_INS)
    result = _urgent(items)
    streak = calls_since_walk_in
    a = w = 0  # the heads of the two lines
    while a < len(appointments) or w < len(walk_ins):
        due_appointment = a < len(appointments) and (appointments[a].booked_start or now) <= now
        take_walk_in = w < len(walk_ins) and (not due_appointment or streak >= appointments_per_walk_in)
        if take_walk_in:
            result.append(walk_ins[w])
            w, streak = w + 1, 0
        else:
            result.append(appointments[a])
            a, streak = a + 1, streak + 1
    return result


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
    urgent = _urgent(mine)
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


def _first(appointments: Waiting | None, walk_in: Waiting | None, now, per_walk_in: int, streak: int):
    """The first call of `order` over one service's lines, given their heads (the rule of `order`)."""
    due_appointment = appointments is not None and (appointments.booked_start or now) <= now
    if walk_in is not None and (not due_appointment or streak >= per_walk_in):
        return walk_in
    return appointments


class Lines:
    """A queue kept as its lines, each a heap per service in its order (LINES): for playing calls forward
    (queueing/forecast.py), where a counter asks for its next ticket hundreds of times. `next_for_counter`
    answers what the function of that name answers for the same tickets, from the lines' heads alone, and
    the ticket called is the head of its line, so that taking it is one pop."""

    def __init__(self, waiting: Iterable[Waiting] = ()):
        self._heaps: dict[tuple[str, int], list] = {}
        for item in waiting:
            self.add(item)

    def add(self, item: Waiting) -> None:
        line = line_of(item)
        if line is None:
            return
        key = (item.booked, item.issued_at, item.id) if line == APPOINTMENTS else (item.issued_at, item.id)
        heapq.heappush(self._heaps.setdefault((line, item.service_id), []), (key, item))

    def _head(self, line: str, service_id: int) -> Waiting | None:
        heap = self._heaps.get((line, service_id))
        return heap[0][1] if heap else None

    def next_for_counter(
        self,
        *,
        services: Sequence[int],
        now: dt.datetime,
        appointments_per_walk_in: int = 2,
        calls_since_walk_in: int = 0,
    ) -> Waiting | None:
        for line in SHARED:  # green first, then transferred, of any of the counter's services
            heads = [heap[0] for s in services if (heap := self._heaps.get((line, s)))]
            if heads:
                return min(heads, key=lambda entry: entry[0])[1]
        for service_id in services:
            found = _first(
                self._head(APPOINTMENTS, service_id),
                self._head(WALK_INS, service_id),
                now,
                appointments_per_walk_in,
                calls_since_walk_in,
            )
            if found is not None:
                return found
        return None

    def take(self, item: Waiting) -> None:
        """Remove `item`, the head of its line (as `next_for_counter` answers it)."""
        heap = self._heaps[(line_of(item), item.service_id)]
        if heap[0][1] is not item:
            raise ValueError(f"ticket {item.id} is not at the head of its line")
        heapq.heappop(heap)


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
