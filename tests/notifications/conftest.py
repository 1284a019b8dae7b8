import pytest
from rq.registry import ScheduledJobRegistry

from notifications import dispatch, sms
from tests.makers import make_counter, make_hall, make_service, make_weekday_hours


@pytest.fixture(autouse=True)
def _memory_sms(settings):
    """Messages go to notifications.sms.outbox, emptied around every test."""
    settings.SMS_BACKEND = "memory"
    settings.RATE_LIMITS = False
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def rq_queue():
    """The notifications queue on the test Redis, empty (jobs, scheduled jobs) before and after."""
    queue = dispatch.queue()

    def empty():
        queue.empty()
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)

    empty()
    yield queue
    empty()


@pytest.fixture
def service(db):
    hall = make_hall()
    make_weekday_hours(hall)
    service = make_service(hall, average_handling_minutes=10)
    make_counter(hall, 1, [service])
    return service
