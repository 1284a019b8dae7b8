import datetime as dt

import pytest
from django.utils import timezone

from appointments import availability
from hall.models import ExtraSession
from tests.makers import make_counter, make_hall, make_service


@pytest.fixture
def day() -> dt.date:
    """A date certainly open: an extra session, whatever the weekday or holiday."""
    return timezone.localdate() + dt.timedelta(days=2)


@pytest.fixture
def hall(day):
    hall = make_hall()
    ExtraSession.objects.create(
        hall=hall,
        date=day,
        start=dt.time(9),
        end=dt.time(17),
        reason_zh_hans="预约服务",
        reason_en="Service by appointment",
    )
    return hall


@pytest.fixture
def service(hall):
    service = make_service(hall)
    make_counter(hall, 1, [service])  # one counter, 10-minute handling: 1 place online per half hour
    return service


@pytest.fixture
def slots(service, day):
    return availability.day_availability(service=service, date=day, now=timezone.now()).slots
