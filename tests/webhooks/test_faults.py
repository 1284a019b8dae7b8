"""A worker killed in the middle of a delivery loses nothing: with the worker in its own process
(`manage.py rqworker`), a real Redis and PostgreSQL (tests/notifications/test_faults.py has the harness)."""

import datetime as dt
import os
import signal

import pytest
from django.conf import settings

from notifications import sweeper
from tests.notifications.test_faults import Workers
from tests.webhooks.conftest import book, subscribe
from webhooks.models import Delivery, DeliveryState, EventType

pytestmark = [pytest.mark.requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(tmp_path, rq_queue):
    workers = Workers(tmp_path, settings.RQ_QUEUES["default"]["URL"])
    yield workers
    workers.stop_all()


def test_a_worker_killed_mid_delivery_loses_nothing(hall, service, receiver, workers, rq_queue):
    subscribe(hall, receiver, events=[EventType.BOOKING_CREATED])
    receiver.release.clear()  # the receiver takes the request and does not answer yet
    booking = book(service)  # commits: the delivery job is enqueued on commit
    worker = workers.start()

    assert receiver.arrived.wait(timeout=30)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    receiver.release.set()
    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.sent_at) == (DeliveryState.PENDING, 1, None)

    lease = dt.timedelta(seconds=settings.WEBHOOK_LEASE)
    swept = sweeper.sweep(now=row.next_try_at + lease)
    # As if that time had passed: the worker's claim compares with the real clock.
    Delivery.objects.filter(pk=row.pk).update(next_try_at=row.next_try_at - 2 * lease)
    workers.burst()

    row.refresh_from_db()
    assert swept["webhooks"] == 1
    assert (row.state, row.attempts) == (DeliveryState.SENT, 2)
    # At least once: the killed try may have reached the receiver too, with the same delivery id.
    assert {(h["X-Chuangkou-Delivery"], body["booking"]["code"]) for h, body in receiver.accepted} == {
        (str(row.pk), booking.code)
    }
