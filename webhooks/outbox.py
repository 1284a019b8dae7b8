"""The webhooks' outbox: one Delivery row per (subscriber, event), written in the transaction of the change,
and a delivery job enqueued once that transaction commits (nothing if it rolls back).

PostgreSQL is the record of what must be sent; a job is only a nudge. Retries after a failure, jobs Redis
refused and tries cut short by a dead worker are all found by `enqueue_due`, which the notifications'
periodic sweep runs (notifications/registry.py). A duplicate job is harmless: delivery claims its row
first (webhooks/delivery.py).
"""

import contextlib
import datetime as dt
import logging
from functools import partial

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from hall import cache as hall_cache
from notifications import dispatch
from webhooks import payloads, province
from webhooks.models import Delivery, DeliveryState, Subscriber, SubscriberKind

log = logging.getLogger(__name__)

DELIVER_JOB = "webhooks.jobs.deliver"
ANY_KEY = "webhooks:any-subscriber"
ANY_TTL = 60
LOCAL_TTL = 2
BATCH = 500


def any_subscriber() -> bool:
    """Whether any hall has an enabled subscriber: asked on every booking and ticket change (twice a call),
    so answered from this process's memory for LOCAL_TTL seconds, then from the cache (forgotten when
    subscribers change, else stale for at most ANY_TTL seconds)."""
    return hall_cache.remembered(ANY_KEY, LOCAL_TTL, _any_subscriber)


def _any_subscriber() -> bool:
    try:
        known = cache.get(ANY_KEY)
    except redis.RedisError:
        known = None
    if known is None:
        known = Subscriber.objects.filter(enabled=True).exists()
        with contextlib.suppress(redis.RedisError):
            cache.set(ANY_KEY, known, ANY_TTL)
    return known


def forget_subscribers() -> None:
    """After a change of subscribers: this process reads the flag again at once, the others within
    LOCAL_TTL seconds."""
    hall_cache.forget_remembered(ANY_KEY)
    try:
        cache.delete(ANY_KEY)
    except redis.RedisError:
        log.warning("webhooks: could not forget the cached subscriber flag; it expires in %ss", ANY_TTL)


def publish(hall, event: str, data: dict, *, at: dt.datetime) -> list[int]:
    """For the apps above this one (reports' ratings and follow-up cases): record an event without personal
    data, in the caller's transaction; nothing at all while no hall has a subscriber."""
    if not any_subscriber():
        return []
    return record(hall, event, data, {"name": "", "phone": None}, at=at)


def _payload(subscriber: Subscriber, event: str, hall, at, data: dict, personal: dict) -> dict:
    if subscriber.kind == SubscriberKind.PROVINCE:
        return province.record(event, hall, payloads.iso(at, hall), data, subscriber)
    return payloads.build(event, hall, at, data, subscriber.fields, **personal)


def record(hall, event: str, data: dict, personal: dict, *, at: dt.datetime) -> list[int]:
    """Write one delivery per subscriber of the hall that wants `event`; enqueue them after commit."""
    rows = [
        Delivery(
            subscriber=subscriber,
            event=event,
            payload=_payload(subscriber, event, hall, at, data, personal),
            next_try_at=timezone.now(),
        )
        for subscriber in Subscriber.objects.filter(hall=hall, enabled=True)
        if subscriber.wants(event)
    ]
    if not rows:
        return []
    ids = [row.pk for row in Delivery.objects.bulk_create(rows)]
    enqueue_on_commit(ids)
    return ids


def enqueue(ids: list[int]) -> bool:
    """One delivery job per row; False when Redis refused (the sweep enqueues them later)."""
    if not ids:
        return True
    try:
        dispatch.queue().enqueue_many(
            [
                dispatch.Queue.prepare_data(
                    DELIVER_JOB,
                    args=(pk,),
                    timeout=settings.WEBHOOK_JOB_TIMEOUT,
                    result_ttl=dispatch.RESULT_TTL,
                    failure_ttl=dispatch.FAILURE_TTL,
                )
                for pk in ids
            ]
        )
    except (redis.RedisError, OSError) as error:
        log.warning("could not enqueue %s webhook deliveries, first %s: %s", len(ids), ids[0], error)
        return False
    return True


def enqueue_on_commit(ids: list[int]) -> None:
    """Explicit rather than django-rq's commit mode, which the sweep's plain Queue does not have."""
    transaction.on_commit(partial(enqueue, list(ids)))


def enqueue_due(now: dt.datetime | None = None) -> int:
    """Enqueue deliveries that are due: retries, and rows whose job was lost or whose try was cut short.
    A row not yet tried waits WEBHOOK_LEASE first, so that a busy queue does not get a second job for it
    every sweep."""
    now = now or timezone.now()
    grace = dt.timedelta(seconds=settings.WEBHOOK_LEASE)
    due = Delivery.objects.to_sweep(now, grace).order_by("next_try_at")
    ids = list(due.values_list("pk", flat=True)[:BATCH])
    enqueue(ids)
    return len(ids)


def send_again(*, delivery_ids, now: dt.datetime | None = None) -> int:
    """A failed or dead delivery goes out again with a fresh set of tries (the admin's action)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(
                pk__in=delivery_ids, state__in=(DeliveryState.FAILED, DeliveryState.DEAD)
            ).values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=ids).update(
            state=DeliveryState.PENDING, attempts=0, next_try_at=now, last_error=""
        )
        enqueue_on_commit(ids)
    return len(ids)
