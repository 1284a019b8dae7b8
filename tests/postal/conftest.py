import datetime as dt

import phonenumbers
import pytest
from django.conf import settings as django_settings

from appointments.services import Actor
from postal import services
from tests.makers import make_hall, make_id_number, make_service, make_staff, make_weekday_hours

ID_NUMBER = make_id_number(7)
PHONE = "13800138000"
# A Monday with working days after it (2026-03-02); deadlines count China's working days.
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _memory_sms(settings):
    settings.SMS_BACKEND = "memory"
    settings.RATE_LIMITS = False
    settings.SITE_URL = "https://hall.example"
    settings.NOTIFY_QUIET_HOURS = "off"


@pytest.fixture
def hall(db):
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


@pytest.fixture
def service(hall):
    return make_service(
        hall,
        code="hukou-cert",
        prefix="E",
        by_post=True,
        name_en="Household certificate",
        name_zh_hans="户籍证明",
    )


@pytest.fixture
def desk_service(hall):
    return make_service(
        hall, code="move-in", prefix="F", by_post=False, name_en="Move in", name_zh_hans="迁入"
    )


@pytest.fixture
def clerk(hall):
    return make_staff(hall, "clerk")


@pytest.fixture
def supervisor(hall):
    return make_staff(hall, "boss", role="supervisor")


@pytest.fixture
def other_clerk(db):
    return make_staff(make_hall("south", name_en="South Hall", name_zh_hans="南区大厅"), "south_clerk")


@pytest.fixture
def staff_actor(clerk):
    return Actor("staff", user=clerk)


def applicant(language="en", n=7):
    return services.Applicant.with_id_number(
        name="张三", phone=phonenumbers.parse(PHONE, "CN"), id_number=make_id_number(n), language=language
    )


def address():
    return services.Address(
        "张三", phonenumbers.parse("13900139000", "CN"), "浙江省", "望川市", "城关区", "人民路88号3幢201室"
    )


@pytest.fixture
def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
