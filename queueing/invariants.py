"""Invariants that can be checked after the fact on the stored data (`manage.py check_invariants`).

Each check returns a list of findings, empty when the data are sound; the race tests run them all after
each rush (tests/invariants.py). They read only, so they may run against a live production database.
Lives in `queueing` because it is the last app whose data it reads (bookings, holds, tickets, messages).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, Count, F, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Greatest, Left, Length
from django.utils import timezone

from appointments.models import (
    Booking,
    BookingEvent,
    BookingMatter,
    BookingState,
    HoldReason,
    PlaceHold,
    Slot,
    WaitlistEntry,
    WaitlistState,
)
from hall.models import Service
from notifications.models import Notification, State
from queueing import hours_checks
from queueing.models import AT_COUNTER_STATES, OPEN_STATES, DaySequence, Ticket, TicketEvent

# A shown list stops here; the total is still counted.
MAX_FINDINGS_PER_CHECK = 50


@dataclass(frozen=True)
class Finding:
    check: str
    message: str

    def __str__(self):
        return f"{self.check}: {self.message}"


def _sum_of(queryset, field: str = "persons"):
    """A correlated `SUM(field)` per slot, 0 when there are no rows."""
    summed = queryset.filter(slot=OuterRef("pk")).order_by().values("slot").annotate(total=Sum(field))
    return Coalesce(Subquery(summed.values("total"), output_field=IntegerField()), Value(0))


def slot_counters() -> list[Finding]:
    """`taken` equals the persons of the slot's bookings that still hold their places (every state but
    cancelled: a served or no-show booking used its place), counting the further matters of bookings with
    several services in their own slots, plus the places on hold (cancelled or moved away, not yet back on
    sale, or offered to the waiting list); the same for the held-back share."""
    holding = Booking.objects.exclude(state=BookingState.CANCELLED)
    further = BookingMatter.objects.exclude(booking__state=BookingState.CANCELLED)
    slots = Slot.objects.annotate(
        booked=_sum_of(holding.filter(uses_held_back=False))
        + _sum_of(further.filter(uses_held_back=False), "booking__persons"),
        held=_sum_of(PlaceHold.objects.filter(held_back=False)),
        booked_back=_sum_of(holding.filter(uses_held_back=True))
        + _sum_of(further.filter(uses_held_back=True), "booking__persons"),
        held_back_holds=_sum_of(PlaceHold.objects.filter(held_back=True)),
    ).filter(~Q(taken=F("booked") + F("held")) | ~Q(taken_held_back=F("booked_back") + F("held_back_holds")))
    return [
        Finding(
            "slot_counters",
            f"slot {s.pk} ({s.service_id} {s.start:%Y-%m-%d %H:%M}): taken {s.taken}, but bookings hold "
            f"{s.booked} and holds {s.held}; held-back taken {s.taken_held_back}, but bookings hold "
            f"{s.booked_back} and holds {s.held_back_holds}",
        )
        for s in slots.order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]


def slot_capacity() -> list[Finding]:
    over = Slot.objects.filter(Q(taken__gt=F("capacity")) | Q(taken_held_back__gt=F("held_back")))
    return [
        Finding(
            "slot_capacity",
            f"slot {s.pk}: {s.taken} of {s.capacity} places taken, "
            f"{s.taken_held_back} of {s.held_back} held back",
        )
        for s in over.order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]


def _number_prefix():
    """The service prefix of a ticket's number (A012 → A, A1000 → A). A ticket with several matters keeps
    the number it was issued under while its `service` follows the current matter, so the numbering is
    grouped by the prefix; prefixes are unique within a hall."""
    digits = Greatest(Value(3), Length(Cast("sequence", CharField())))
    return Left("number", Length("number") - digits)


def ticket_numbers() -> list[Finding]:
    """Numbers run 1..N per hall, service and day, and the day's sequence has issued exactly N."""
    days = (
        Ticket.objects.annotate(prefix=_number_prefix())
        .order_by()
        .values("hall", "prefix", "date")
        .annotate(
            n=Count("id"),
            distinct=Count("sequence", distinct=True),
            low=Min("sequence"),
            high=Max("sequence"),
        )
    )
    prefixes = {(s.hall_id, s.prefix): s.pk for s in Service.objects.only("hall", "prefix")}
    last = {(d.hall_id, d.service_id, d.date): d.last for d in DaySequence.objects.all()}
    findings = []
    for day in days:
        key = (day["hall"], prefixes.get((day["hall"], day["prefix"])), day["date"])
        issued = last.pop(key, None)
        if day["low"] != 1 or day["high"] != day["n"] or day["distinct"] != day["n"] or issued != day["n"]:
            findings.append(_numbering_finding(key, day, issued))
    findings += [
        _numbering_finding(key, {"n": 0, "low": None, "high": None}, issued)
        for key, issued in last.items()
        if issued
    ]
    return findings[:MAX_FINDINGS_PER_CHECK]


def _numbering_finding(key, day, issued) -> Finding:
    hall, service, date = key
    return Finding(
        "ticket_numbers",
        f"hall {hall} service {service} on {date}: {day['n']} tickets numbered {day['low']}..{day['high']}, "
        f"day sequence at {issued}",
    )


def counters() -> list[Finding]:
    """A counter calls or serves at most one ticket; a ticket called or served is at a counter of its hall."""
    busy = (
        Ticket.objects.filter(state__in=AT_COUNTER_STATES, counter__isnull=False)
        .order_by()
        .values("counter")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    findings = [
        Finding("counters", f"counter {row['counter']} has {row['n']} tickets called or being served")
        for row in busy
    ]
    nowhere = Ticket.objects.filter(state__in=AT_COUNTER_STATES).filter(
        Q(counter__isnull=True) | ~Q(counter__hall=F("hall"))
    )
    findings += [
        Finding("counters", f"ticket {t.pk} is {t.state} but not at a counter of its hall")
        for t in nowhere.order_by("pk")
    ]
    return findings[:MAX_FINDINGS_PER_CHECK]


def stuck_sending_before(now: dt.datetime) -> dt.datetime:
    """Past this claim time the sweep should have settled a `sending` row: the sending timeout, the patience
    with a gateway that cannot say whether it took the message, and two sweep intervals."""
    grace = (
        settings.NOTIFY_SENDING_TIMEOUT + settings.NOTIFY_LOOKUP_PATIENCE + 2 * settings.NOTIFY_SWEEP_INTERVAL
    )
    return now - dt.timedelta(seconds=grace)


def notifications(now: dt.datetime | None = None) -> list[Finding]:
    now = now or timezone.now()
    stuck = Notification.objects.filter(state=State.SENDING).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stuck_sending_before(now))
    )
    return [
        Finding("notifications", f"notification {n.pk} ({n.kind}) sending since {n.claimed_at or 'never'}")
        for n in stuck.order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]


def _last_state(events, subject: str):
    latest = events.filter(**{subject: OuterRef("pk")}).order_by("-id").values("to_state")[:1]
    return Subquery(latest)


def history() -> list[Finding]:
    """Every state change is recorded (invariant 4): a booking's or ticket's state is its last event's."""
    bookings = Booking.objects.annotate(recorded=_last_state(BookingEvent.objects, "booking")).filter(
        Q(recorded__isnull=True) | ~Q(state=F("recorded"))
    )
    tickets = Ticket.objects.annotate(recorded=_last_state(TicketEvent.objects, "ticket")).filter(
        Q(recorded__isnull=True) | ~Q(state=F("recorded"))
    )
    findings = [
        Finding("history", f"booking {b.pk} is {b.state}, its last recorded state is {b.recorded}")
        for b in bookings.order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]
    findings += [
        Finding("history", f"ticket {t.pk} is {t.state}, its last recorded state is {t.recorded}")
        for t in tickets.order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]
    return findings[:MAX_FINDINGS_PER_CHECK]


def bookings_and_tickets() -> list[Finding]:
    """A checked-in booking has a ticket; an open ticket's booking is checked in."""
    no_ticket = Booking.objects.filter(state=BookingState.CHECKED_IN, tickets__isnull=True)
    wrong = Ticket.objects.filter(state__in=OPEN_STATES, booking__isnull=False).exclude(
        booking__state=BookingState.CHECKED_IN
    )
    findings = [
        Finding("bookings_and_tickets", f"booking {b.pk} is checked in without a ticket")
        for b in no_ticket.order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]
    findings += [
        Finding(
            "bookings_and_tickets",
            f"ticket {t.pk} is {t.state}, its booking {t.booking_id} is not checked in",
        )
        for t in wrong.select_related("booking").order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]
    return findings[:MAX_FINDINGS_PER_CHECK]


def waitlist_offers() -> list[Finding]:
    """A waiting-list entry is `offered` exactly while an offer hold keeps its place."""
    unheld = WaitlistEntry.objects.filter(state=WaitlistState.OFFERED, hold__isnull=True)
    stray = PlaceHold.objects.filter(reason=HoldReason.OFFER).filter(
        Q(waitlist_entry__isnull=True) | ~Q(waitlist_entry__state=WaitlistState.OFFERED)
    )
    findings = [
        Finding("waitlist_offers", f"waiting-list entry {e.pk} is offered a place that no hold keeps")
        for e in unheld.order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]
    findings += [
        Finding("waitlist_offers", f"offer hold {h.pk} belongs to no offered waiting-list entry")
        for h in stray.order_by("pk")[:MAX_FINDINGS_PER_CHECK]
    ]
    return findings[:MAX_FINDINGS_PER_CHECK]


CHECKS = {
    "slot_counters": slot_counters,
    "slot_capacity": slot_capacity,
    "ticket_numbers": ticket_numbers,
    "counters": counters,
    "notifications": notifications,
    "history": history,
    "bookings_and_tickets": bookings_and_tickets,
    "waitlist_offers": waitlist_offers,
    "walk_ins_within_hours": hours_checks.walk_ins_within_hours,
    "waiting_after_closing": hours_checks.waiting_after_closing,
}


def check_all(names=None) -> list[Finding]:
    return [finding for name in names or CHECKS for finding in CHECKS[name]()]
