import datetime as dt
import zoneinfo

import pytest

from consultations import services
from consultations.models import Channel, Result
from tests.makers import make_hall, make_service, make_staff, make_weekday_hours

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Friday 19 September 2025, 15:00 in the hall: call-backs are due on Monday the 22nd, 08:30–17:30.
FRIDAY = dt.datetime(2025, 9, 19, 15, 0, tzinfo=SHANGHAI)
MONDAY_MORNING = dt.datetime(2025, 9, 22, 8, 30, tzinfo=SHANGHAI)
MONDAY_CLOSE = dt.datetime(2025, 9, 22, 17, 30, tzinfo=SHANGHAI)


@pytest.fixture
def hall(db):
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def clerk(hall):
    user = make_staff(hall, "clerk")
    user.first_name = "陈晓燕"
    user.save()
    return user


@pytest.fixture
def colleague(hall):
    return make_staff(hall, "colleague")


@pytest.fixture
def supervisor(hall):
    return make_staff(hall, "supervisor", role="supervisor")


@pytest.fixture
def other_hall(db):
    return make_hall("south", name_zh_hans="南区户政大厅", name_en="South District Hall")


@pytest.fixture
def other_hall_clerk(other_hall):
    return make_staff(other_hall, "south_clerk")


@pytest.fixture
def other_hall_supervisor(other_hall):
    return make_staff(other_hall, "south_supervisor", role="supervisor")


def log_call_back(hall, user, *, service=None, now=FRIDAY, mobile="13800138000", name="张三丰"):
    consultation = services.log_consultation(
        hall=hall,
        user=user,
        channel=Channel.PHONE,
        service=service,
        topic="迁入需要什么材料",
        result=Result.CALL_BACK,
        mobile=mobile,
        name=name,
        now=now,
    )
    return consultation.call_back


@pytest.fixture
def call_back(hall, clerk, service):
    return log_call_back(hall, clerk, service=service)
