"""Test data for home visits: a hall with three windows, a service that allows visits, a supervisor and
two window staff."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import phonenumbers

from appointments.slots import SlotConfig, window_capacity
from hall.models import Counter, Material, Service
from homevisits import services
from homevisits.models import HomeVisit
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, make_weekday_hours

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday morning
TUESDAY = dt.date(2026, 11, 24)


def expected(counters: int) -> tuple[int, int]:
    """(places online, held back) of a 30-minute window of a 10-minute service with this many counters."""
    return window_capacity(SlotConfig(counters=counters, handling_minutes=10), 30)


def window(counters: int) -> tuple[int, int, bool]:
    return (*expected(counters), False)


def at(hour, minute=0, date=TUESDAY) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour, minute), TZ)


@dataclass
class Setting:
    hall: object
    service: Service  # served at windows 1, 2 and 3
    other: Service  # served at windows 1 and 3
    counters: list[Counter]
    supervisor: object
    clerk1: object
    clerk2: object
    clerk3: object


def make_setting(slug="north", prefix="") -> Setting:
    hall = make_hall(slug)
    make_weekday_hours(hall)
    service = make_service(hall, code="id-renewal", prefix="A", home_visit=True, average_handling_minutes=10)
    Material.objects.create(
        service=service, name_zh_hans="居民身份证", name_en="Resident ID card", position=2
    )
    other = make_service(
        hall,
        code="hukou-certificate",
        prefix="B",
        average_handling_minutes=10,
        name_zh_hans="户籍证明",
        name_en="Household certificate",
    )
    counters = [
        make_counter(hall, 1, [service, other]),
        make_counter(hall, 2, [service]),
        make_counter(hall, 3, [service, other]),
    ]
    return Setting(
        hall=hall,
        service=service,
        other=other,
        counters=counters,
        supervisor=make_staff(hall, f"{prefix}supervisor", role="supervisor"),
        clerk1=make_staff(hall, f"{prefix}clerk1"),
        clerk2=make_staff(hall, f"{prefix}clerk2"),
        clerk3=make_staff(hall, f"{prefix}clerk3"),
    )


def visit_request(n=1, language="en", **fields) -> services.Request:
    values = {
        "person_name": "王秀英",
        "id_number": make_id_number(n, birth="19300215"),
        "requester_name": "李明",
        "relationship": "grandson",
        "phone": phonenumbers.parse("13912345678", "CN"),
        "reason": "immobile",
        "address": "北区幸福路8号3单元502",
        "preferred_dates": (TUESDAY, dt.date(2026, 11, 25)),
        "reason_note": "",
        "contact_notes": "Call after 10 am",
        "language": language,
    }
    values.update(fields)
    return services.Request(**values)


def make_visit(setting: Setting, n=1, **fields) -> HomeVisit:
    return services.request_visit(
        service=setting.service, request=visit_request(n, **fields), now=NOW - dt.timedelta(hours=2)
    )


def schedule(setting: Setting, visit, start=None, minutes=90, counters=None, now=NOW):
    return services.schedule_visit(
        visit=visit,
        start=start or at(10),
        minutes=minutes,
        staff=[setting.clerk1, setting.clerk2],
        counters=setting.counters[:2] if counters is None else counters,
        actor=services.Actor("staff", setting.supervisor),
        now=now,
    )
