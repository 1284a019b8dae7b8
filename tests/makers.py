"""Small, explicit builders of test data."""

import datetime as dt
import secrets

from django.contrib.auth.models import User
from django.urls import reverse

from hall import enrolment_codes
from hall import services as hall_services
from hall.models import Counter, Device, DeviceKind, Hall, Material, Service, WeeklySession
from hall.screens import key_cookie
from queueing.models import Ticket


def make_hall(slug="north", **fields) -> Hall:
    defaults = {
        "name_zh_hans": "北区户政大厅",
        "name_en": "North District Hall",
        "address_zh_hans": "北区人民路1号",
        "address_en": "1 Renmin Road, North District",
        "consultation_phone": "0000-1234567",
    }
    defaults.update(fields)
    return Hall.objects.create(slug=slug, **defaults)


def make_weekday_hours(hall, start=dt.time(8, 30), end=dt.time(17, 30)):
    return [WeeklySession.objects.create(hall=hall, weekday=d, start=start, end=end) for d in range(5)]


def make_service(hall, code="id-renewal", prefix="A", **fields) -> Service:
    defaults = {
        "name_zh_hans": "居民身份证换领",
        "name_en": "ID card renewal",
        "fees_zh_hans": "工本费20元",
        "fees_en": "20 yuan for the card",
        "time_limit_zh_hans": "60日",
        "time_limit_en": "60 days",
        "steps_zh_hans": "取号\n采集照片\n缴费",
        "steps_en": "Take a ticket\nHave your photo taken\nPay the fee",
        "average_handling_minutes": 10,
    }
    defaults.update(fields)
    service = Service.objects.create(hall=hall, code=code, prefix=prefix, **defaults)
    Material.objects.create(service=service, name_zh_hans="户口簿", name_en="Household register booklet")
    return service


def make_counter(hall, number=1, services=(), **fields) -> Counter:
    counter = Counter.objects.create(hall=hall, number=number, **fields)
    counter.services.set(services)
    return counter


def make_staff(hall, username="clerk", role="clerk") -> User:
    user = User.objects.create_user(username, password="pw-for-tests-only")
    hall_services.assign_staff(user=user, hall=hall, role=role)
    return user


def make_reports_key(user, hall, name="report tool") -> str:
    """The key of a reports token for a supervisor, whose account then has a confirmed second factor (a
    reports token works only so)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hall.models import ApiToken, TokenScope

    TOTPDevice.objects.get_or_create(user=user, name="phone", defaults={"confirmed": True})
    return ApiToken.objects.issue(user=user, hall=hall, name=name, scope=TokenScope.REPORTS)[1]


def make_id_number(serial: int = 1, birth: str = "19800101", region: str = "110105") -> str:
    """A resident ID number with a valid GB 11643 check digit."""
    from hall.privacy import check_digit

    first17 = f"{region}{birth}{serial % 1000:03d}"
    return first17 + check_digit(first17)


def make_device(hall, kind=DeviceKind.KIOSK, name="", **fields) -> tuple[Device, str]:
    """A paired screen of the hall and the key its browser holds."""
    device = Device(hall=hall, kind=kind, name=name or f"{kind} {hall.devices.count() + 1}", **fields)
    key = device.set_new_key()
    device.paired_at = device.created_at
    device.save()
    return device, key


def pair_client(client, hall, kind=DeviceKind.KIOSK, **fields) -> Device:
    """Give a Django test client the cookie of a paired screen of the hall."""
    device, key = make_device(hall, kind, **fields)
    client.cookies[key_cookie(kind)] = key
    return device


def pair_browser(context, base_url: str, hall, kind=DeviceKind.KIOSK, **fields) -> Device:
    """Give a Playwright browser context the cookie of a paired screen of the hall."""
    device, key = make_device(hall, kind, **fields)
    context.add_cookies([{"name": key_cookie(kind), "value": key, "url": base_url, "httpOnly": True}])
    return device


def enter_enrolment_code(client, user, next_url: str = ""):
    """As the signed-in `user` whose administrator issued an enrolment code: enter it on the set-up page,
    which then shows the key of a new, unconfirmed authenticator device."""
    code = enrolment_codes.issue(user)
    return client.post(reverse("otp_enrol"), {"enrolment_code": code, "next": next_url})


def past_tickets(service, date: dt.date, rows: list[dict]) -> None:
    """Tickets of `service` on a past `date`, done unless a row says otherwise (test data written directly:
    the hall's record, which the live estimate reads). Each row gives the ticket's other fields."""
    first = Ticket.objects.filter(service=service, date=date).count() + 1
    Ticket.objects.bulk_create(
        Ticket(
            hall=service.hall,
            service=service,
            date=date,
            sequence=first + n,
            number=f"{service.prefix}{first + n:03d}",
            token=secrets.token_urlsafe(24),
            **{"state": "done", **row},
        )
        for n, row in enumerate(rows)
    )
