import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from hall.models import Hall
from simulation import whatif
from tests.makers import make_counter, make_service, make_staff, make_weekday_hours


@pytest.fixture
def demo_hall(db):
    call_command("seed_demo", "--quiet")
    return Hall.objects.get(slug="wangchuan")


@pytest.fixture
def furnish_for_what_if():
    """What makes a hall's what-if play in seconds, put in a hall made as the test needs it: weekdays
    08:30-17:30, two of the simulator's services and no bookable one (a day of a few dozen walk-ins), two
    windows calling both, and a supervisor "boss"."""

    def furnish(hall: Hall) -> Hall:
        make_weekday_hours(hall)
        renewal = make_service(hall, code="id-card-renewal", prefix="A", bookable=False)
        pickup = make_service(hall, code="pickup", prefix="B", bookable=False, average_handling_minutes=5)
        make_counter(hall, 1, [renewal, pickup])
        make_counter(hall, 2, [renewal, pickup])
        make_staff(hall, "boss", role="supervisor")
        return hall

    return furnish


@pytest.fixture
def next_tuesday(hall) -> dt.date:
    """The day a what-if plays: next Tuesday in the hall (never today), a weekday of its hours."""
    today = hall.local_date(timezone.now())
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 or 7)


@pytest.fixture
def rq_queue():
    """The what-if's job queue, empty before and after."""
    queue = whatif.queue()
    queue.empty()
    yield queue
    queue.empty()
