"""The hall of the live estimate's tests (test_joined_reads, test_walk_in_history, test_estimate_record): open
08:30-17:30 on weekdays, issuing walk-in tickets until it closes, with two services of different handling
times. Tests that need another hall define their own `hall`."""

import pytest

from queueing.models import QueueRules
from tests.makers import make_hall, make_service, make_weekday_hours


@pytest.fixture
def hall(db):
    hall = make_hall()
    make_weekday_hours(hall)
    QueueRules.objects.create(hall=hall, last_ticket_minutes=0, stop_by_estimate=False)
    return hall


@pytest.fixture
def id_card(hall):
    return make_service(hall, average_handling_minutes=10)


@pytest.fixture
def pickup(hall):
    return make_service(hall, code="pickup", prefix="B", average_handling_minutes=3)
