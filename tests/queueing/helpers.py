"""Test data for the queue's pages, which run on the real clock."""

import datetime as dt
import secrets

import phonenumbers
from django.utils import timezone

from appointments import services as booking_services
from appointments.models import Slot
from hall.models import ExtraSession
from queueing.models import DaySequence, QueueRules, Ticket, TicketKind
from tests.makers import make_hall, make_id_number


def make_hall_open_today(**fields):
    """A hall open all of today, whatever the weekday or holiday, that issues walk-in tickets until it
    closes (no last-ticket cut-off, no stop by the estimate), so that pages on the real clock issue them
    at any hour of the day but the last minute."""
    hall = make_hall(**fields)
    QueueRules.objects.create(hall=hall, last_ticket_minutes=0, stop_by_estimate=False)
    ExtraSession.objects.create(
        hall=hall,
        date=timezone.localdate(),
        start=dt.time(0),
        end=dt.time(23, 59),
        reason_zh_hans="延时服务",
        reason_en="Extended hours",
    )
    return hall


def book(service, start, n=1, date=None):
    """A booking whose arrival window begins at `start` (dated today, or `date`), made the day before. The
    window is made here rather than taken from the schedule, so that a test can book "five minutes ago" or
    "in three hours" at any time of day."""
    slot = Slot.objects.create(
        hall=service.hall,
        service=service,
        date=date or timezone.localdate(),
        start=start,
        end=start + dt.timedelta(minutes=30),
        capacity=5,
    )
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )
    return booking_services.book(
        slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=start - dt.timedelta(days=1)
    )


def waiting_walk_ins(hall, service, n, now) -> list[int]:
    """n walk-in tickets waiting in order of issue, issued in the 25 minutes before `now` (test data written
    directly, not a service call)."""
    DaySequence.objects.create(hall=hall, service=service, date=now.date(), last=n)
    tickets = Ticket.objects.bulk_create(
        Ticket(
            hall=hall,
            service=service,
            date=now.date(),
            sequence=i,
            number=f"{service.prefix}{i:03d}",
            token=secrets.token_urlsafe(24),
            kind=TicketKind.WALK_IN,
            issued_at=now - dt.timedelta(minutes=25) + dt.timedelta(seconds=i),
        )
        for i in range(1, n + 1)
    )
    return [t.pk for t in tickets]
