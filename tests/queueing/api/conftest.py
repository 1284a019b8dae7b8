"""The staff and device API of the queue (queueing/api/): the hall, its counters and the tokens."""

import pytest
from django.contrib.auth.models import User

from hall.models import ApiToken
from queueing import calls
from queueing.services import Actor
from tests.makers import make_counter, make_hall, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS = False


@pytest.fixture
def hall():
    return make_hall_open_today(max_waiting_inside=30, seat_rows=2, seats_per_row=4)


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def other_service(hall):
    return make_service(
        hall, code="household-cert", prefix="B", name_zh_hans="户籍证明", name_en="Household certificate"
    )


@pytest.fixture
def counter(hall, service, other_service):
    return make_counter(hall, 1, [service, other_service])


@pytest.fixture
def clerk(hall):
    return make_staff(hall, "clerk")


@pytest.fixture
def key(hall, clerk):
    return ApiToken.objects.issue(user=clerk, hall=hall, name="window 1")[1]


@pytest.fixture
def colleague_key(hall):
    return ApiToken.objects.issue(user=make_staff(hall, "colleague"), hall=hall, name="window 2")[1]


@pytest.fixture
def kiosk_key(hall):
    return ApiToken.objects.issue(user=User.objects.create_user("kiosk-north"), hall=hall, name="kiosk")[1]


@pytest.fixture
def other_hall_key():
    west = make_hall("west")
    return ApiToken.objects.issue(user=make_staff(west, "west_clerk"), hall=west, name="window 1")[1]


@pytest.fixture
def opened(counter, clerk):
    calls.open_counter(counter=counter, actor=Actor("console", clerk))
    return counter
