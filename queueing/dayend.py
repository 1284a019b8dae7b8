"""The end of the hall's day: whatever the day left open ends, so that nothing of yesterday stands today.

A ticket still open (waiting, called, being served, fetching papers) from a day before its hall's local today
ends as `day_ended`: its seat is freed, it is completed, the change is recorded (source "system"), and its
remaining matters are not served. Its booking, if checked in, ends as `unfinished`
(appointments.lifecycle.end_unfinished): no longer active, so the same citizen may book the same service
again, and not a no-show (the citizen came; the hall did not finish). A counter session left open or paused
from a past day is closed, as signing off does, so that this morning's board and wait estimates do not count a
window nobody staffs.

`end_past_days(now)` does it for every hall (the nightly job, notifications.jobs.end_the_day), idempotent,
never touching a ticket of a hall's today; `end_day` for one hall and day only (a simulated day). Both work
in batches of a few statements, whatever the number of tickets left (a province's halls), and skip rows
another transaction holds (a clerk completing that ticket this very moment): whichever commits first wins,
and the other finds the ticket no longer in the state it expects. `end_at_counter(counter, now)` is the same
for the one ticket at a counter, run at once where a past day's ticket would stand in the way (call-next,
calling a chosen ticket, closing the counter), before the nightly job has run.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from appointments import lifecycle
from hall import rows
from hall.models import Counter, Hall
from queueing.models import (
    AT_COUNTER_STATES,
    OPEN_STATES,
    CounterSession,
    CounterState,
    MatterState,
    Ticket,
    TicketEvent,
    TicketMatter,
    TicketState,
)

BATCH = 500
SOURCE = "system"
NOTE = "the day ended before the ticket was finished"


@dataclass
class Ended:
    """What one sweep ended."""

    tickets: int = 0
    bookings: int = 0
    sessions: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"tickets": self.tickets, "bookings": self.bookings, "sessions": self.sessions}


def _todays(now: dt.datetime, halls=None) -> dict[dt.datetime, list[int]]:
    """The halls by the midnight that began their own local today (halls in one time zone share it)."""
    todays: dict[dt.datetime, list[int]] = defaultdict(list)
    for hall in halls if halls is not None else Hall.objects.all():
        todays[dt.datetime.combine(hall.local_date(now), dt.time.min, hall.tz)].append(hall.pk)
    return todays


def end_past_days(now: dt.datetime | None = None, halls=None) -> dict[str, int]:
    """End every ticket (and its booking) and counter session a past day of its hall left open."""
    now = now or timezone.now()
    todays = _todays(now, halls)
    past = Q(pk__in=[])
    for midnight, hall_ids in todays.items():
        past |= Q(hall_id__in=hall_ids, date__lt=midnight.date())
    ended = Ended()
    while _end_batch(Ticket.objects.filter(past, state__in=OPEN_STATES), now, ended) == BATCH:
        pass
    for midnight, hall_ids in todays.items():
        ended.sessions += _close_sessions(hall_ids, midnight, now)
    return ended.as_dict()


def end_day(hall: Hall, date: dt.date, now: dt.datetime) -> int:
    """End the tickets of this one hall and day still open, as the night ends them (a simulated day, which
    may lie after the real today: no other day's ticket is touched). The number ended."""
    ended = Ended()
    while _end_batch(Ticket.objects.filter(hall=hall, date=date, state__in=OPEN_STATES), now, ended) == BATCH:
        pass
    return ended.tickets


def end_at_counter(counter: Counter, now: dt.datetime | None = None) -> bool:
    """End a past day's ticket still called or being served at `counter` (what call-next and closing the
    counter would otherwise find in their way). True if one was ended."""
    now = now or timezone.now()
    today = counter.hall.local_date(now)
    stale = Ticket.objects.filter(counter=counter, state__in=AT_COUNTER_STATES, date__lt=today)
    ended = Ended()
    _end_batch(stale, now, ended)
    return ended.tickets > 0


def _end_batch(tickets, now: dt.datetime, ended: Ended) -> int:
    """End up to BATCH of these tickets in one transaction; the number found (BATCH: there may be more)."""
    with transaction.atomic():
        found = list(
            tickets.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", "state", "counter_id", "booking_id", "number")[:BATCH]
        )
        if not found:
            return 0
        ids = [row[0] for row in found]
        Ticket.objects.filter(pk__in=ids, state__in=OPEN_STATES).update(
            state=TicketState.DAY_ENDED, seat="", completed_at=now
        )
        TicketMatter.objects.filter(
            ticket_id__in=ids, state__in=[MatterState.CURRENT, MatterState.PENDING]
        ).update(state=MatterState.NOT_SERVED, ended_at=now)
        events = TicketEvent.objects.bulk_create(
            [
                TicketEvent(
                    ticket_id=pk,
                    from_state=state,
                    to_state=TicketState.DAY_ENDED,
                    counter_id=counter_id,
                    source=SOURCE,
                    note=NOTE,
                    at=now,
                )
                for pk, state, counter_id, _booking, _number in found
            ]
        )
        rows.created_in_bulk(TicketEvent, events)
        notes = {booking_id: number for _pk, _s, _c, booking_id, number in found if booking_id}
        ended.bookings += len(lifecycle.end_unfinished(notes, source=SOURCE))
        ended.tickets += len(found)
    return len(found)


def _close_sessions(hall_ids: list[int], midnight: dt.datetime, now: dt.datetime) -> int:
    """Close the counter sessions of these halls left open or paused since before `midnight` began their
    today, as signing off does (counters.set_counter_state): closed, the counter free for anyone. A window
    that has called or served anyone today is being worked (the clerk kept yesterday's session): it stays."""
    worked_today = TicketEvent.objects.filter(counter_id=OuterRef("counter_id"), at__gte=midnight).exclude(
        source=SOURCE  # the end of a past day's ticket there (above) is no work of today
    )
    return (
        CounterSession.objects.filter(
            counter__hall_id__in=hall_ids,
            changed_at__lt=midnight,
            state__in=[CounterState.OPEN, CounterState.PAUSED],
        )
        .exclude(Exists(worked_today))
        .update(state=CounterState.CLOSED, user=None, changed_at=now)
    )
