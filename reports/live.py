"""Today at a glance for the supervisor: who waits where, for how long, and which counters work."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models.functions import Coalesce

from hall.models import Hall
from queueing.models import CounterSession, CounterState, Ticket, TicketState
from reports import stats
from reports.report import settings_for


@dataclass
class ServiceQueue:
    label: str
    waiting: int = 0
    longest: float = 0.0  # minutes


@dataclass
class Live:
    now: dt.datetime
    target: int
    limit: int
    inside: int = 0
    outside: int = 0
    open: int = 0
    paused: int = 0
    closed: int = 0
    queues: list[ServiceQueue] = field(default_factory=list)
    longest: float = 0.0
    longest_number: str = ""
    late: list[tuple[str, float]] = field(default_factory=list)  # (ticket number, minutes) over the target

    @property
    def waiting(self) -> int:
        return self.inside + self.outside

    @property
    def over_limit(self) -> bool:
        return self.inside >= self.limit


def live_view(hall: Hall, now: dt.datetime) -> Live:
    today = hall.local_date(now)
    view = Live(now=now, target=settings_for(hall).target_wait_minutes, limit=hall.max_waiting_inside)
    queues = {s.pk: ServiceQueue(label=str(s)) for s in hall.services.active()}
    for service_id, number, issued_at, inside in (
        Ticket.objects.filter(hall=hall, date=today, state=TicketState.WAITING)
        .order_by("issued_at")
        # A ticket back in the queue for its next matter has waited since then.
        .values_list("service_id", "number", Coalesce("requeued_at", "issued_at"), "inside")
    ):
        waited = max(0.0, stats.minutes(now - issued_at))
        queue = queues.setdefault(service_id, ServiceQueue(label=number[:1]))
        queue.waiting += 1
        queue.longest = max(queue.longest, waited)
        view.inside += inside
        view.outside += not inside
        if waited > view.longest:
            view.longest, view.longest_number = waited, number
        if waited > view.target:
            view.late.append((number, waited))
    view.queues = list(queues.values())
    states = defaultdict(int)
    for state in CounterSession.objects.filter(counter__hall=hall, counter__active=True).values_list(
        "state", flat=True
    ):
        states[state] += 1
    view.open, view.paused = states[CounterState.OPEN], states[CounterState.PAUSED]
    view.closed = hall.counters.active().count() - view.open - view.paused
    return view
