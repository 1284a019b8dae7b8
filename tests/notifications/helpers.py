"""Test data for the notifications tests."""

import datetime as dt
import zoneinfo

import phonenumbers

from appointments import availability, services
from appointments.services import Actor, Citizen
from tests.makers import make_id_number

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
TUESDAY = dt.date(2026, 11, 24)
WEB = Actor("web", ip="127.0.0.1")


def slots(service, date=TUESDAY, now=MONDAY_9):
    return availability.day_availability(service=service, date=date, now=now).slots


def citizen(n=1, phone="13800138000", language="zh-hans") -> Citizen:
    return Citizen(
        name="张三丰", phone=phonenumbers.parse(phone, "CN"), id_number=make_id_number(n), language=language
    )


def book(service, slot=None, n=1, phone="13800138000", language="zh-hans", now=MONDAY_9):
    slot = slot or slots(service, now=now)[0]
    return services.book(slot=slot, citizen=citizen(n, phone, language), actor=WEB, now=now)
