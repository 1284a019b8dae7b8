"""The invariants of hours at the door and closing time (run by queueing.invariants.check_all):

- walk_ins_within_hours: every walk-in ticket was issued while its hall was open, by the hall's schedule as
  stored now (a closure entered afterwards for that day would also show up). Tickets made by a transfer
  are left out: a citizen served after hours may be sent on to another window.
- waiting_after_closing: no ticket is still open (waiting, called, being served, fetching papers) from a
  day the hall has closed, a day before the hall's latest day of tickets (judged from the data, not the
  clock, so that the check means the same on a copy of the database; queueing.dayend ends such tickets each
  night); a ticket given a priority booking at closing ended as `rebooked` with its booking.
"""

from django.db.models import Max, Q

from hall.models import Hall
from queueing import hours
from queueing.models import OPEN_STATES, ClosingOutcome, Ticket, TicketKind, TicketState

MAX_FINDINGS = 50


def _finding(check: str, message: str):
    from queueing.invariants import Finding  # the shared type; invariants imports this module

    return Finding(check, message)


def walk_ins_within_hours() -> list:
    walk_ins = Ticket.objects.filter(kind=TicketKind.WALK_IN, transferred_from__isnull=True)
    days = walk_ins.order_by().values_list("hall_id", "date").distinct()
    halls = Hall.objects.filter(pk__in={hall_id for hall_id, _date in days}).prefetch_related(
        "weekly_sessions", "closures", "extra_sessions"
    )
    schedules = {hall.pk: hall.schedule() for hall in halls}
    findings = []
    for hall_id, date in sorted(days):
        inside = Q()
        for start, end in hours.stretches(schedules[hall_id], date):
            inside |= Q(issued_at__gte=start, issued_at__lt=end)
        outside = walk_ins.filter(hall_id=hall_id, date=date)
        if inside:
            outside = outside.exclude(inside)
        findings += [
            _finding(
                "walk_ins_within_hours",
                f"walk-in ticket {t.pk} ({t.number}, hall {hall_id}) was issued at "
                f"{t.issued_at.isoformat()}, when the hall was not open",
            )
            for t in outside.order_by("pk")[:MAX_FINDINGS]
        ]
        if len(findings) >= MAX_FINDINGS:
            break
    return findings[:MAX_FINDINGS]


def waiting_after_closing() -> list:
    latest = dict(
        Ticket.objects.order_by().values("hall_id").annotate(last=Max("date")).values_list("hall_id", "last")
    )
    stale = Ticket.objects.none()
    for hall_id, last in latest.items():
        stale |= Ticket.objects.filter(hall_id=hall_id, date__lt=last, state__in=OPEN_STATES)
    findings = [
        _finding(
            "waiting_after_closing",
            f"ticket {t.pk} ({t.number} of {t.date.isoformat()}, hall {t.hall_id}) is still {t.state} after "
            "its day closed, without an outcome",
        )
        for t in stale.order_by("pk")[:MAX_FINDINGS]
    ]
    rebooked = Q(state=TicketState.REBOOKED) | Q(closing_outcome=ClosingOutcome.REBOOKED)
    broken = Ticket.objects.filter(rebooked).filter(
        ~Q(state=TicketState.REBOOKED)
        | ~Q(closing_outcome=ClosingOutcome.REBOOKED)
        | Q(rebooking__isnull=True)
        | Q(rebooking__green_channel="")
    )
    findings += [
        _finding(
            "waiting_after_closing",
            f"ticket {t.pk} is {t.state} with outcome '{t.closing_outcome}' but no priority booking to match",
        )
        for t in broken.order_by("pk")[:MAX_FINDINGS]
    ]
    return findings[:MAX_FINDINGS]
