"""The period's tickets as rows for the report, one query for tickets and one for their matters: waits,
handling times and local hours are computed by the database."""

import datetime as dt

from django.db.models import Case, DurationField, ExpressionWrapper, F, Value, When
from django.db.models.functions import Coalesce, ExtractHour

from hall.models import Hall
from queueing.models import MatterState, Ticket, TicketMatter, TicketState
from reports import stats

TICKET_FIELDS = (
    "id",
    "date",
    "service_id",
    "counter_id",
    "owner_id",
    "kind",
    "green_channel",
    "state",
    "outcome",
    "transferred_from_id",
)


def service_start():
    """When handling began: `serving_at`, unless the ticket went from called straight to done, where
    queueing.calls.complete() sets `serving_at` to the completion time; then the call."""
    return Case(When(serving_at__lt=F("completed_at"), then=F("serving_at")), default=F("called_at"))


ROW_FIELDS = (*TICKET_FIELDS, "wait", "handling", "issued_hour", "completed_hour", "further")


def ticket_rows(hall: Hall, first: dt.date, last: dt.date) -> list:
    """The period's tickets as named tuples. Durations and local hours are computed by the database:
    a month holds thousands of tickets, and turning four timestamps each into aware datetimes in Python
    cost more than the rest of the report.

    A ticket that carried several matters (a booking with several services) stands as one row per matter,
    so that each service counts its own matter once; `further` marks the matters after the first, which
    are not new visitors."""
    tz = hall.tz
    tickets = list(
        Ticket.objects.filter(hall=hall, date__gte=first, date__lte=last)
        .order_by()
        .annotate(
            wait=ExpressionWrapper(F("called_at") - F("issued_at"), output_field=DurationField()),
            handling=ExpressionWrapper(F("completed_at") - service_start(), output_field=DurationField()),
            issued_hour=ExtractHour("issued_at", tzinfo=tz),
            completed_hour=ExtractHour("completed_at", tzinfo=tz),
            further=Value(False),
        )
        .values_list(*ROW_FIELDS, named=True)
    )
    matters = matter_rows(hall, first, last)
    if not matters:
        return tickets
    if not tickets:
        return []
    row_type = type(tickets[0])
    carried = {m["ticket_id"] for m in matters}
    return [t for t in tickets if t.id not in carried] + [row_type(*_as_ticket_row(m)) for m in matters]


def matter_rows(hall: Hall, first: dt.date, last: dt.date) -> list[dict]:
    tz = hall.tz
    return list(
        TicketMatter.objects.filter(ticket__hall=hall, ticket__date__gte=first, ticket__date__lte=last)
        .order_by()
        .annotate(
            wait=ExpressionWrapper(F("called_at") - F("queued_at"), output_field=DurationField()),
            handling=ExpressionWrapper(
                F("ended_at") - Coalesce("started_at", "called_at"), output_field=DurationField()
            ),
            issued_hour=ExtractHour("ticket__issued_at", tzinfo=tz),
            completed_hour=ExtractHour("ended_at", tzinfo=tz),
        )
        .values(
            "ticket_id",
            "position",
            "service_id",
            "counter_id",
            "served_by_id",
            "state",
            "outcome",
            "called_at",
            "wait",
            "handling",
            "issued_hour",
            "completed_hour",
            "ticket__date",
            "ticket__kind",
            "ticket__green_channel",
            "ticket__state",
            "ticket__transferred_from_id",
        )
    )


def _matter_state(m: dict) -> str:
    """A matter's state in the ticket's terms: done; no-show for the one being called when the citizen
    went (the others were not served and count nowhere); not finished for those the day's end left; the
    ticket's state for the current one."""
    if m["state"] == MatterState.DONE:
        return TicketState.DONE
    if m["state"] == MatterState.CURRENT:
        return m["ticket__state"]
    if m["state"] == MatterState.NOT_SERVED and m["called_at"] and m["ticket__state"] == TicketState.NO_SHOW:
        return TicketState.NO_SHOW
    if m["state"] == MatterState.NOT_SERVED and m["ticket__state"] == TicketState.DAY_ENDED:
        return TicketState.DAY_ENDED  # the day ended before this matter was done (queueing.dayend)
    return m["state"]


def _as_ticket_row(m: dict) -> tuple:
    state = _matter_state(m)
    further = m["position"] > 1
    return (
        m["ticket_id"],
        m["ticket__date"],
        m["service_id"],
        m["counter_id"],
        m["served_by_id"],
        m["ticket__kind"],
        m["ticket__green_channel"],
        state,
        m["outcome"],
        None if further else m["ticket__transferred_from_id"],
        m["wait"],
        m["handling"],
        m["issued_hour"],
        m["completed_hour"] if state == TicketState.DONE else None,
        further,
    )


def wait_of(t) -> float | None:
    """Issued → first call, in minutes; None for a ticket never called."""
    return None if t.wait is None else stats.minutes(t.wait)


def handling_of(t) -> float | None:
    """Start of service (or the call) → completion, in minutes, for tickets done."""
    if t.state != TicketState.DONE or t.handling is None:
        return None
    return stats.minutes(t.handling)
