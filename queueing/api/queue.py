"""The hall's queue today as staff read it: who waits for each service, and each window with its ticket."""

import datetime as dt

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from ninja import Field, Router, Schema

from hall.api import AUTH_ERRORS, DEVICE_AUTH, get_hall_for_staff
from hall.models import Counter, Service, TokenScope
from queueing import access
from queueing.api.schemas import CounterOut, TicketOut, counter_out, ticket_out
from queueing.models import AT_COUNTER_STATES, Ticket, TicketState

router = Router(tags=["queue"])


class WaitingOut(Schema):
    service: str
    name: str
    prefix: str
    waiting: int
    outside: int = Field(description="Of those waiting, how many wait outside the hall.")
    parked: int = Field(description="Tickets fetching papers, to be called back.")


class QueueCounterOut(CounterOut):
    services: list[str]
    ticket: TicketOut | None = Field(description="The ticket called to or served at this counter now.")


class QueueOut(Schema):
    hall: str
    date: dt.date
    services: list[WaitingOut]
    counters: list[QueueCounterOut]


@router.get(
    "/halls/{hall}/queue",
    response={200: QueueOut, **AUTH_ERRORS},
    auth=DEVICE_AUTH,
    tags=["counter"],
    operation_id="queueing_api_hall_queue",
)
def hall_queue(request, hall: str):
    """Today's queue of the caller's hall: waiting and parked tickets per service, and each window with
    the ticket at it now."""
    hall_obj = get_hall_for_staff(request.auth, hall)
    today = hall_obj.local_date(timezone.now())
    tickets = Ticket.objects.today(hall_obj, today)
    counts = {
        row["service_id"]: row
        for row in tickets.filter(state__in=[TicketState.WAITING, TicketState.PARKED])
        .values("service_id")
        .annotate(
            waiting=Count("id", filter=Q(state=TicketState.WAITING)),
            outside=Count("id", filter=Q(state=TicketState.WAITING, inside=False)),
            parked=Count("id", filter=Q(state=TicketState.PARKED)),
        )
        .order_by()
    }
    at_counters = {
        t.counter_id: t
        for t in tickets.filter(state__in=AT_COUNTER_STATES).select_related("hall", "service", "counter")
    }
    counters = (
        Counter.objects.active()
        .filter(hall=hall_obj)
        .select_related("session__user")
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("position", "id")))
    )
    empty = {"waiting": 0, "outside": 0, "parked": 0}
    # A kiosk or display (a device token) has no need of who staffs each window: names are for staff.
    names = not (request.auth.token and request.auth.token.scope == TokenScope.DEVICE)
    return {
        "hall": hall_obj.slug,
        "date": today,
        "services": [
            {
                "service": s.code,
                "name": s.name,
                "prefix": s.prefix,
                **{key: counts.get(s.pk, empty)[key] for key in empty},
            }
            for s in hall_obj.services.active()
        ],
        "counters": [
            {
                **counter_out(c, access.counter_session(c), names=names),
                "services": [s.code for s in c.services.all()],  # in the counter's order of preference
                "ticket": ticket_out(at_counters[c.pk]) if c.pk in at_counters else None,
            }
            for c in counters
        ],
    }
