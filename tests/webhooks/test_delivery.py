"""Retries, the sweep, dead letters and "send again", against a real receiver on loopback."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from notifications import sweeper
from tests.webhooks.conftest import book, run_jobs, subscribe
from tests.webhooks.receiver import Receiver
from webhooks import delivery
from webhooks.models import Delivery, DeliveryState, EventType

# Committed for real: the worker runs jobs as it would in production, after the change commits.
pytestmark = pytest.mark.django_db(transaction=True)


def one_booking(hall, service, receiver, capture):
    subscribe(hall, receiver, events=[EventType.BOOKING_CREATED])
    with capture(execute=True):
        book(service)
    return Delivery.objects.get()


def later(row, minutes):
    """The row as it will be `minutes` from now: its next try moved that much earlier."""
    Delivery.objects.filter(pk=row.pk).update(next_try_at=row.next_try_at - dt.timedelta(minutes=minutes))


def test_a_receiver_that_is_down_gets_the_event_when_it_comes_back(
    hall, service, rq_queue, django_capture_on_commit_callbacks
):
    receiver = Receiver()  # not started: connections are refused
    row = one_booking(hall, service, receiver, django_capture_on_commit_callbacks)
    before = timezone.now()

    run_jobs(rq_queue)

    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_status) == (DeliveryState.FAILED, 1, None)
    assert before + dt.timedelta(minutes=1) <= row.next_try_at <= timezone.now() + dt.timedelta(minutes=1)
    receiver.start()
    try:
        later(row, minutes=1)
        swept = sweeper.sweep()
        run_jobs(rq_queue)
    finally:
        receiver.stop()
    row.refresh_from_db()
    assert swept["webhooks"] == 1
    assert (receiver.events(), row.state, row.attempts, row.last_status) == (
        ["booking.created"],
        DeliveryState.SENT,
        2,
        200,
    )


def test_the_sweep_leaves_a_failed_delivery_alone_until_its_back_off_ends(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks
):
    receiver.status = 503
    row = one_booking(hall, service, receiver, django_capture_on_commit_callbacks)
    run_jobs(rq_queue)

    swept = sweeper.sweep()
    run_jobs(rq_queue)

    row.refresh_from_db()
    assert (swept["webhooks"], receiver.requests, row.state, row.last_status) == (
        0,
        1,
        DeliveryState.FAILED,
        503,
    )


def test_a_new_delivery_whose_job_is_queued_is_not_enqueued_again_until_it_is_late(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks, settings
):
    one_booking(hall, service, receiver, django_capture_on_commit_callbacks)
    queued = len(rq_queue)
    lease = dt.timedelta(seconds=settings.WEBHOOK_LEASE)

    at_once = sweeper.sweep()
    late = sweeper.sweep(now=timezone.now() + lease)

    assert (queued, at_once["webhooks"], late["webhooks"]) == (2, 0, 1)  # the SMS confirmation's job and ours


def test_dead_after_the_last_try_and_sent_again_from_the_admin(
    hall, service, receiver, rq_queue, settings, client, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_MINUTES = [1, 5]
    receiver.status = 500
    row = one_booking(hall, service, receiver, django_capture_on_commit_callbacks)
    states = []
    for minutes in (0, 1, 5):
        later(row, minutes)
        states.append(delivery.deliver(row.pk))
        row.refresh_from_db()
    assert (states, row.attempts, row.last_error) == (
        [DeliveryState.FAILED, DeliveryState.FAILED, DeliveryState.DEAD],
        3,
        "HTTP 500",
    )
    assert sweeper.sweep()["webhooks"] == 0  # dead: no more tries

    receiver.status = 200
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:webhooks_delivery_changelist"),
            {"action": "send_again", "_selected_action": [row.pk]},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    run_jobs(rq_queue)

    row.refresh_from_db()
    assert response.status_code == 302
    assert (row.state, row.attempts, len(receiver.accepted), receiver.requests) == (
        DeliveryState.SENT,
        1,
        1,
        4,
    )


def test_a_duplicate_job_sends_nothing(hall, service, receiver, rq_queue, django_capture_on_commit_callbacks):
    row = one_booking(hall, service, receiver, django_capture_on_commit_callbacks)

    outcomes = [delivery.deliver(row.pk), delivery.deliver(row.pk)]

    assert (outcomes, receiver.requests) == ([DeliveryState.SENT, None], 1)


def test_a_worker_killed_mid_delivery_loses_nothing(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks, settings
):
    row = one_booking(hall, service, receiver, django_capture_on_commit_callbacks)
    rq_queue.empty()
    delivery.claim(row.pk, timezone.now())  # the worker took the row, then died before posting

    row.refresh_from_db()
    lease = dt.timedelta(seconds=settings.WEBHOOK_LEASE)  # and, for a first try, as long again
    before_lease_ends = sweeper.sweep(now=row.next_try_at + lease - dt.timedelta(seconds=1))
    after_lease_ends = sweeper.sweep(now=row.next_try_at + lease)
    later(row, minutes=settings.WEBHOOK_LEASE / 60)
    run_jobs(rq_queue)

    row.refresh_from_db()
    assert (before_lease_ends["webhooks"], after_lease_ends["webhooks"]) == (0, 1)
    assert (row.state, row.attempts, receiver.events()) == (DeliveryState.SENT, 2, ["booking.created"])


def test_a_redirect_is_not_followed(hall, service, receiver, rq_queue, django_capture_on_commit_callbacks):
    receiver.status, receiver.location = 302, "http://127.0.0.1:9/elsewhere"
    row = one_booking(hall, service, receiver, django_capture_on_commit_callbacks)

    state = delivery.deliver(row.pk)

    row.refresh_from_db()
    assert (state, row.last_status, receiver.requests) == (DeliveryState.FAILED, 302, 1)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "file:///etc/passwd"])
def test_an_address_that_is_not_http_is_refused(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks, url
):
    row = one_booking(hall, service, receiver, django_capture_on_commit_callbacks)
    row.subscriber.url = url
    row.subscriber.save()

    state = delivery.deliver(row.pk)

    row.refresh_from_db()
    assert (state, row.last_error, receiver.requests) == (DeliveryState.FAILED, delivery.NOT_HTTP, 0)


def test_a_wrong_secret_is_refused_by_the_example_receiver(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks
):
    row = one_booking(hall, service, receiver, django_capture_on_commit_callbacks)
    receiver.secret = "not the subscriber's secret"

    state = delivery.deliver(row.pk)

    row.refresh_from_db()
    assert (state, row.last_status, receiver.accepted) == (DeliveryState.FAILED, 401, [])


def test_with_redis_down_the_change_is_made_and_its_deliveries_wait_for_the_sweep(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks, monkeypatch, settings
):
    import redis
    from django.core.cache import cache

    from notifications import dispatch

    subscribe(hall, receiver, events=[EventType.BOOKING_CREATED])

    def down(*args, **kwargs):
        raise redis.ConnectionError("Redis is down")

    with monkeypatch.context() as patch:
        patch.setattr(cache, "get", down)
        patch.setattr(dispatch, "queue", down)
        with django_capture_on_commit_callbacks(execute=True):
            booking = book(service)
    swept = sweeper.sweep(now=timezone.now() + dt.timedelta(seconds=settings.WEBHOOK_LEASE))
    run_jobs(rq_queue)

    assert swept["webhooks"] == 1
    assert [body["booking"]["code"] for _h, body in receiver.accepted] == [booking.code]
