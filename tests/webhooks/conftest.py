import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from rq import SimpleWorker

from appointments import availability
from appointments import services as booking_services
from appointments.models import Slot
from notifications import dispatch, sms
from queueing import calls
from queueing.services import Actor
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, make_weekday_hours
from tests.webhooks.receiver import Receiver
from webhooks import outbox
from webhooks.models import EventType, Subscriber

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=TZ)  # a Tuesday
KIOSK = Actor("kiosk")


@pytest.fixture(autouse=True)
def _memory_sms(settings):
    settings.SMS_BACKEND = "memory"
    settings.RATE_LIMITS = False
    sms.outbox.clear()


@pytest.fixture
def rq_queue():
    queue = dispatch.queue()
    queue.empty()
    yield queue
    queue.empty()


def run_jobs(queue) -> int:
    """Run the queued jobs in this process, as `manage.py rqworker --burst` would."""
    done = len(queue)
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
    return done


@pytest.fixture
def hall(db):
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


@pytest.fixture
def service(hall):
    service = make_service(hall)
    make_counter(hall, 1, [service])  # slots are offered for services some counter serves
    return service


@pytest.fixture
def counter(hall, service):
    counter = hall.counters.get()
    calls.open_counter(counter=counter, actor=Actor("console", make_staff(hall)), now=NOW)
    return counter


@pytest.fixture
def receiver():
    receiver = Receiver(secret="").start()
    yield receiver
    receiver.stop()


def subscribe(hall, receiver, events=tuple(EventType.values), **fields) -> Subscriber:
    subscriber = Subscriber.objects.create(
        hall=hall, name="12345", url=receiver.url, events=list(events), **fields
    )
    receiver.secret = subscriber.secret
    outbox.forget_subscribers()
    return subscriber


def citizen(n=1):
    return booking_services.Citizen(
        name="王小五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )


def book(service, n=1, slot_index=1):
    now = NOW - dt.timedelta(days=1)
    slot = availability.day_availability(service=service, date=NOW.date(), now=now).slots[slot_index]
    Slot.objects.filter(pk=slot.pk).update(capacity=20)  # room for every booking a test makes
    slot.refresh_from_db()
    return booking_services.book(slot=slot, citizen=citizen(n), actor=booking_services.Actor("web"), now=now)
