"""What the hall's screens show: plain data, no personal data (ticket numbers, counters, counts)."""

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from hall.models import Hall
from queueing.models import CounterSession, Ticket, TicketEvent, TicketState

RECENT_CALLS = 16  # the latest and 10 earlier calls, with room for recalls


def snapshot(hall: Hall, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    today = hall.local_date(now)
    calls = (
        TicketEvent.objects.filter(ticket__hall=hall, ticket__date=today, to_state=TicketState.CALLED)
        .select_related("ticket", "counter")
        .order_by("-at", "-id")[:RECENT_CALLS]
    )
    serving = {
        t.counter_id: t.number
        for t in Ticket.objects.today(hall, today).filter(state__in=[TicketState.CALLED, TicketState.SERVING])
    }
    sessions = {s.counter_id: s.state for s in CounterSession.objects.filter(counter__hall=hall)}
    waiting = dict(
        Ticket.objects.today(hall, today)
        .waiting()
        .values_list("service__code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "hall": hall.slug,
        "date": today.isoformat(),
        "calls": [
            {
                "number": e.ticket.number,
                "counter": e.counter.number if e.counter else None,
                "at": e.at.isoformat(),
            }
            for e in calls
        ],
        "counters": [
            {"number": c.number, "state": sessions.get(c.pk, "closed"), "serving": serving.get(c.pk)}
            for c in hall.counters.windows()
        ],
        "waiting": [
            {"service": s.code, "prefix": s.prefix, "name": s.name, "count": waiting.get(s.code, 0)}
            for s in hall.services.active()
        ],
        "notice": hall.notice,
        "notices": [{"id": n.pk, "title": n.title} for n in hall.notices.current(now)],
    }
