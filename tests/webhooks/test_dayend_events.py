"""The day's end writes its ticket events in bulk (queueing/dayend.py) and still reaches the webhooks'
outbox: a subscriber hears of each ticket left open as `ticket.not_served`, with its state."""

import datetime as dt

from queueing import dayend, services
from tests.webhooks.conftest import KIOSK, NOW, book, subscribe
from webhooks.models import Delivery, EventType


def test_tickets_ended_at_night_reach_the_subscriber(hall, service, counter, receiver):
    services.check_in(hall=hall, code=book(service).code, actor=KIOSK, now=NOW)
    services.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=NOW)
    subscribe(hall, receiver)

    dayend.end_past_days(now=NOW + dt.timedelta(days=1))

    sent = Delivery.objects.filter(event=EventType.TICKET_NOT_SERVED)
    assert sorted(d.payload["ticket"]["state"] for d in sent) == ["day_ended", "day_ended"]
