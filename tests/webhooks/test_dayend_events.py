"""The day's end writes its ticket and booking events in bulk (queueing/dayend.py) and still reaches the
webhooks' outbox: a subscriber hears of each ticket left open as `ticket.not_served`, with its state, and of
its checked-in booking as `booking.unfinished`."""

import datetime as dt
import importlib

from django.apps import apps as django_apps

from queueing import dayend, services, walkins
from tests.webhooks.conftest import KIOSK, NOW, book, subscribe
from webhooks.models import Delivery, EventType, Subscriber


def test_tickets_ended_at_night_reach_the_subscriber(hall, service, counter, receiver):
    services.check_in(hall=hall, code=book(service).code, actor=KIOSK, now=NOW)
    walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=NOW)
    subscribe(hall, receiver)

    dayend.end_past_days(now=NOW + dt.timedelta(days=1))

    sent = Delivery.objects.filter(event=EventType.TICKET_NOT_SERVED)
    assert sorted(d.payload["ticket"]["state"] for d in sent) == ["day_ended", "day_ended"]


def test_a_booking_its_day_ended_reaches_the_subscriber_as_unfinished(hall, service, counter, receiver):
    booking = book(service)
    services.check_in(hall=hall, code=booking.code, actor=KIOSK, now=NOW)
    subscribe(hall, receiver)

    dayend.end_past_days(now=NOW + dt.timedelta(days=1))

    sent = list(Delivery.objects.order_by("pk").values_list("event", "payload"))
    assert [event for event, _payload in sent] == [EventType.TICKET_NOT_SERVED, EventType.BOOKING_UNFINISHED]
    ticket, ended = sent[0][1]["ticket"], sent[1][1]["booking"]
    assert (ticket["booking"], ticket["state"]) == (booking.code, "day_ended")
    assert (ended["code"], ended["state"], ended["service"]) == (booking.code, "unfinished", service.code)


def test_the_migration_tells_subscribers_that_follow_checked_in_bookings(hall):
    migration = importlib.import_module("webhooks.migrations.0003_booking_unfinished_event")
    follows = Subscriber.objects.create(
        hall=hall, name="12345", url="https://a.example/", events=["booking.served"]
    )
    tickets = Subscriber.objects.create(
        hall=hall, name="screen", url="https://b.example/", events=["ticket.called"]
    )

    migration.tick(django_apps, None)

    follows.refresh_from_db()
    tickets.refresh_from_db()
    assert (follows.events, tickets.events) == (["booking.served", "booking.unfinished"], ["ticket.called"])
