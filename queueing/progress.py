"""Reads for the queue's pages: where a ticket stands, and who first took charge of a citizen's matter."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from hall import calendar, rows
from hall.cache import cached
from queueing import estimates, forecast, heads, order, windows
from queueing.models import Ticket, TicketState
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


def ticket_progress(
    ticket: Ticket,
    now: dt.datetime,
    *,
    shared: bool = False,
    read: estimates.Snapshot | None = None,
    hours: calendar.Schedule | None = None,
) -> Progress:
    """People ahead and the estimated wait of a waiting ticket (a fixed number of queries whatever the
    queue's size: queueing.estimates reads the hall once). `shared`: from the hall's reads and play that
    another ticket's page made up to WAITING_CACHE_SECONDS ago (`KeptHall.kept`); for the citizen's pages,
    which hundreds of phones poll, never for a simulated day (its `now` is not the clock's). `read`: the
    hall as read just before the ticket was issued, in the same request (walkins.issue_walk_in's
    `WalkIn.read`): joined by the ticket instead of read again (issue 20 item 7); `hours`: the hall's, read
    in the same request."""
    open_counters = open_windows(ticket.service_id)
    if ticket.state != TicketState.WAITING:
        return Progress(None, None, open_counters)
    shared = shared and settings.WAITING_CACHE_SECONDS > 0  # off: the play up to this ticket only, as before
    if shared:
        kept = KeptHall.kept(ticket, now, read, hours)
        waiting, per_walk_in = kept.snapshot.waiting, kept.snapshot.per_walk_in
    else:
        if read is not None:
            hall = joined(read, ticket)
        else:
            per_walk_in = rules_for(ticket.hall).appointments_per_walk_in
            hall = estimates.hall_now(ticket.hall, ticket.date, now, per_walk_in, hours)
        waiting, per_walk_in = hall.waiting, hall.per_walk_in
    if not any(w.id == ticket.pk for w in waiting):  # called since it was loaded
        return Progress(None, None, open_counters)
    ahead = order.people_ahead(waiting, ticket.pk, now=now, appointments_per_walk_in=per_walk_in)
    old = forecast.estimated_wait_minutes(ahead, ticket.service.average_handling_minutes, open_counters)
    estimate = kept.estimate(ticket.pk, now) if shared else hall.estimate(ticket.pk)
    if estimate.minutes is None and ahead == 0:
        estimate = forecast.Estimate(0, 0, 0)  # next, whenever a counter opens
    return Progress(ahead, estimate.minutes, open_counters, estimate, old)


# The windows open for a service (queueing.windows), counted: every read of a ticket asks, written out (the
# ORM's statement cost more to build than to run).
_OPEN_WINDOWS = f"SELECT COUNT(*) FROM ({windows.OPEN_WINDOWS}) w WHERE w.service_id = %s"  # noqa: S608


def open_windows(service_id: int) -> int:
    return rows.fetch(_OPEN_WINDOWS, [service_id])[0][0]


@dataclass(frozen=True)
class KeptHall:
    """The hall's queue and live-estimate reads with every waiting ticket's wait played from them (one play
    answers them all: forecast.waits), kept for WAITING_CACHE_SECONDS (two in production, as the hall's
    "waiting now" figures) and shared by every ticket of the hall and day.

    A waiting ticket missing from the kept queue was issued (or put back) after it was read: it joins the kept
    reads (`joined_by`), or the hall is read again and kept anew, so that it never reads as called. A ticket
    called since is no longer WAITING in its own row, which each request reads. A wait asked later than the
    play is shorter by the time gone by (the counters were at work meanwhile). What stays up to the period
    old: the people ahead called meanwhile and the expected arrivals; the next poll has them. Without Redis
    each read is fresh."""

    snapshot: estimates.Snapshot
    waits: dict[int, tuple[float, ...]]

    def estimate(self, ticket_id: int, now: dt.datetime) -> forecast.Estimate:
        later_by = max(0.0, (now - self.snapshot.now).total_seconds() / 60)
        return forecast.estimate_from(self.waits.get(ticket_id), later_by)

    @classmethod
    def read(cls, ticket: Ticket, now: dt.datetime, hours: calendar.Schedule | None = None) -> "KeptHall":
        per_walk_in = rules_for(ticket.hall).appointments_per_walk_in
        return cls.played(estimates.hall_now(ticket.hall, ticket.date, now, per_walk_in, hours))

    @classmethod
    def played(cls, hall: estimates.Snapshot) -> "KeptHall":
        waits = forecast.waits(
            hall.waiting,
            hall.counters,
            hall.handling,
            now=hall.now,
            arriving=hall.arriving,
            appointments_per_walk_in=hall.per_walk_in,
            work=hall.work,
        )
        return cls(hall, waits)

    def joined_by(self, ticket: Ticket, seconds: float) -> "KeptHall | None":
        """The kept hall with `ticket`, issued since it was read, at the end of its line (as a read after it
        would show the hall: estimates.Snapshot.joined_by), played again: a new ticket is all that the hall's
        reads would find changed that matters to it (issue 20 item 7: reading the hall again was two
        thirds of a walk-in's and a check-in's CPU). None for a ticket put back in the queue (transferred,
        requeued for its next matter, recalled from parking): the kept reads may show it at a window."""
        if ticket.transferred_from_id is not None or ticket.requeued_at is not None:
            return None
        if ticket.issued_at < self.snapshot.now - dt.timedelta(seconds=seconds):
            return None
        return self.played(joined(self.snapshot, ticket))

    @classmethod
    def kept(
        cls,
        ticket: Ticket,
        now: dt.datetime,
        read: estimates.Snapshot | None = None,
        hours: calendar.Schedule | None = None,
    ) -> "KeptHall":
        """The kept hall (read anew when missing or without `ticket`). `read`: the hall as read just before
        `ticket` was issued, in the same request: joined by it, played, and kept, whatever was kept.
        `hours`: the hall's, when the caller has read them."""
        key = f"hallnow:{ticket.hall_id}:{ticket.date.isoformat()}"
        seconds = settings.WAITING_CACHE_SECONDS
        if read is not None:
            played = cls.played(joined(read, ticket))
            return cached(key, seconds, lambda: played, fresh=True)
        hall = cached(key, seconds, lambda: cls.read(ticket, now, hours))
        if seconds and hall.snapshot.now != now and not any(w.id == ticket.pk for w in hall.snapshot.waiting):
            newer = hall.joined_by(ticket, seconds)
            hall = cached(
                key, seconds, (lambda: newer) if newer else (lambda: cls.read(ticket, now, hours)), fresh=True
            )
        return hall


def joined(hall: estimates.Snapshot, ticket: Ticket) -> estimates.Snapshot:
    """`hall` with `ticket`, issued since it was read, waiting at the end of its line
    (estimates.Snapshot.joined_by)."""
    newcomer = heads.item({field: getattr(ticket, field) for field in heads.FIELDS})
    return hall.joined_by(newcomer, ticket.booking_id)


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
