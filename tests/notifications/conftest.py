import pytest
from rq.registry import ScheduledJobRegistry

from notifications import dispatch, sms
from notifications.models import Kind
from tests.makers import make_counter, make_hall, make_service, make_weekday_hours
from tests.notifications.fakegateway import (
    AliyunGateway,
    TencentGateway,
    aliyun_settings,
    serve,
    tencent_settings,
)


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


@pytest.fixture
def aliyun(settings):
    """A loopback Alibaba Cloud SMS that the settings point at (tests.notifications.fakegateway)."""
    gateway = AliyunGateway()
    server = serve(gateway)
    for name, value in aliyun_settings(server.server_port).items():
        setattr(settings, name, value)
    settings.SMS_TEMPLATES = {"default": "SMS_0001", Kind.REMINDER_DAY_BEFORE: "SMS_0002"}
    yield gateway
    gateway.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def tencent(settings):
    """A loopback Tencent Cloud SMS that the settings point at."""
    gateway = TencentGateway()
    server = serve(gateway)
    for name, value in tencent_settings(server.server_port).items():
        setattr(settings, name, value)
    settings.SMS_TEMPLATES = {"default": "100001"}
    yield gateway
    gateway.release.set()
    server.shutdown()
    server.server_close()
