import datetime as dt
import json

import phonenumbers
from django.urls import reverse
from django.utils import timezone

from appointments import services as booking_services
from appointments.models import Mode, Slot
from hall.models import CounterKind
from tests.makers import make_counter, make_id_number, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

ID_SERIAL = 7


def video_setup():
    """A hall open today with a service done by video (and by post), its online room and a clerk."""
    hall = make_hall_open_today()
    service = make_service(
        hall,
        by_video=True,
        by_post=True,
        video_needs_zh_hans="居民身份证",
        video_questions_zh_hans="户口簿丢失的时间和地点？",
        video_questions_en="When and where was the booklet lost?",
    )
    make_counter(hall, 9, [service], kind=CounterKind.ONLINE_ROOM)
    return hall, service, make_staff(hall)


def video_booking(service, start=None, n=ID_SERIAL):
    """A video booking whose window began five minutes ago (or at `start`), made the day before."""
    start = start or timezone.now() - dt.timedelta(minutes=5)
    slot = Slot.objects.create(
        hall=service.hall,
        service=service,
        date=timezone.localdate(start),
        start=start,
        end=start + dt.timedelta(minutes=30),
        capacity=2,
        mode=Mode.VIDEO,
    )
    citizen = booking_services.Citizen(
        name="王五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )
    return booking_services.book(
        slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=start - dt.timedelta(days=1)
    )


def join_call(client, booking):
    """The citizen opens the waiting room and their page, camera on, says hello: their arrival."""
    client.get(reverse("video:waiting_room", args=[booking.manage_token]))
    url = reverse("video:citizen_signal", args=[booking.manage_token])
    return client.post(url, json.dumps({"kind": "hello", "body": None}), content_type="application/json")
