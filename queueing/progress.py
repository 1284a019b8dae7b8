"""Reads for the queue's pages: where a ticket stands, and who first took charge of a citizen's matter."""

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from hall.cache import cached
from hall.models import Counter
from queueing import estimates, forecast, order
from queueing.models import CounterState, Ticket, TicketState
from queueing.services import rules_for


@dataclass(frozen=True)
class Progress:
    people_ahead: int | None  # None once the ticket is no longer waiting
    wait_minutes: int | None  # the live estimate; None also when it has no basis yet (see `estimate`)
    open_counters: int
    estimate: forecast.Estimate | None = None  # with its range; None once the ticket is no longer waiting
    # Issue 19's baseline, for comparison: people ahead x the configured average / open counters.
    old_wait_minutes: int | None = None

    @property
    def no_basis(self) -> bool:
        """Waiting, but no counter is open for the service: nothing to reckon a wait from yet."""
        return self.people_ahead is not None and self.estimate is not None and self.estimate.minutes is None


def ticket_progress(ticket: Ticket, now: dt.datetime, *, shared: bool = False) -> Progress:
    """People ahead and the estimated wait of a waiting ticket (a fixed number of queries whatever the
    queue's size: queueing.estimates reads the hall once). `shared`: the hall's reads may be those another
    ticket's page made up to WAITING_CACHE_SECONDS ago (`hall_now`); for the citizen's pages, which hundreds
    of phones poll, never for a simulated day (its `now` is not the clock's)."""
    open_counters = Counter.objects.serving(ticket.service).filter(session__state=CounterState.OPEN).count()
    if ticket.state != TicketState.WAITING:
        return Progress(None, None, open_counters)
    if shared:
        hall = hall_now(ticket, now)
    else:
        per_walk_in = rules_for(ticket.hall).appointments_per_walk_in
        hall = estimates.hall_now(ticket.hall, ticket.date, now, per_walk_in)
    if not any(w.id == ticket.pk for w in hall.waiting):  # called since it was loaded
        return Progress(None, None, open_counters)
    per_walk_in = hall.per_walk_in
    ahead = order.people_ahead(hall.waiting, ticket.pk, now=now, appointments_per_walk_in=per_walk_in)
    old = forecast.estimated_wait_minutes(ahead, ticket.service.average_handling_minutes, open_counters)
    estimate = hall.estimate(ticket.pk)
    if estimate.minutes is None and ahead == 0:
        estimate = forecast.Estimate(0, 0, 0)  # next, whenever a counter opens
    return Progress(ahead, estimate.minutes, open_counters, estimate, old)


def hall_now(ticket: Ticket, now: dt.datetime) -> estimates.Snapshot:
    """The hall's queue and live-estimate reads, kept for WAITING_CACHE_SECONDS (two in production, like the
    hall's "waiting now" figures) and shared by every ticket of the hall and day, with `now` the request's.

    A waiting ticket missing from the kept queue was issued (or put back) after it was read: the hall is
    read again and kept anew, so that it never reads as called. A ticket called since the read is no longer
    WAITING in its own row, read by each request. What stays up to the period old: the people ahead who have
    been called meanwhile, the time left at the counters and the expected arrivals; under 2 s against
    estimates in whole minutes, and the next poll has them. Without Redis each read is fresh (hall.cache)."""
    key = f"hallnow:{ticket.hall_id}:{ticket.date.isoformat()}"
    seconds = settings.WAITING_CACHE_SECONDS

    def read() -> estimates.Snapshot:
        per_walk_in = rules_for(ticket.hall).appointments_per_walk_in
        return estimates.hall_now(ticket.hall, ticket.date, now, per_walk_in)

    hall = cached(key, seconds, read)
    if seconds and hall.now != now and not any(w.id == ticket.pk for w in hall.waiting):
        hall = cached(key, seconds, read, fresh=True)
    return dataclasses.replace(hall, now=now)


def matter_owner(ticket: Ticket) -> tuple[object, Ticket] | None:
    """首问责任: the staff member who first served this citizen's matter today, with that ticket. For a
    ticket nobody has served yet, an earlier ticket of the same booking or the same ID number counts."""
    if ticket.owner_id:
        return ticket.owner, ticket
    if not (ticket.booking_id or ticket.id_hash):
        return None
    same_matter = Q(booking_id=ticket.booking_id) if ticket.booking_id else Q(id_hash=ticket.id_hash)
    if ticket.booking_id and ticket.id_hash:
        same_matter |= Q(id_hash=ticket.id_hash)
    earlier = (
        Ticket.objects.today(ticket.hall_id, ticket.date)
        .filter(same_matter, owner__isnull=False)
        .exclude(pk=ticket.pk)
        .select_related("owner")
        .order_by("issued_at", "id")
        .first()
    )
    return (earlier.owner, earlier) if earlier else None
