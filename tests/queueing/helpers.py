"""Test data for the queue's pages, which run on the real clock."""

import datetime as dt

import phonenumbers
from django.utils import timezone

from appointments import services as booking_services
from appointments.models import Slot
from hall.models import ExtraSession
from queueing.models import QueueRules
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


def book(service, start, n=1):
    """A booking whose arrival window begins at `start` (dated today), made the day before. The window
    is made here rather than taken from the schedule, so that a test can book "five minutes ago" or
    "in three hours" at any time of day."""
    slot = Slot.objects.create(
        hall=service.hall,
        service=service,
        date=timezone.localdate(),
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
