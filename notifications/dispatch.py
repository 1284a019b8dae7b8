"""Putting send jobs on the RQ queue, after commit, without ever failing the change that caused them.

PostgreSQL is the record of what must be sent; a job is only a nudge. When Redis cannot take the job, the
row is left with no `enqueued_at` and the sweeper enqueues it on its next run.
"""

import datetime as dt
import logging
from functools import cache, partial

import redis
from django.conf import settings
from django.db import transaction
from rq import Queue

from notifications.models import Notification

log = logging.getLogger(__name__)

SEND_JOB = "notifications.jobs.send"


@cache
def _connection(url: str) -> redis.Redis:
    # Short timeouts: a booking must not hang on a Redis that is down.
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def queue() -> Queue:
    config = settings.RQ_QUEUES[settings.NOTIFY_QUEUE]
    return Queue(settings.NOTIFY_QUEUE, connection=_connection(config["URL"]))


RESULT_TTL = 600
FAILURE_TTL = 7 * 24 * 3600


def enqueue(ids: list[int], *, at: dt.datetime | None = None) -> bool:
    """Enqueue one send job per row (at `at`, on RQ's scheduler, if given). False when Redis refused."""
    if not ids:
        return True
    try:
        rq_queue = queue()
        if at is None:
            jobs = [
                Queue.prepare_data(
                    SEND_JOB,
                    args=(pk,),
                    timeout=settings.NOTIFY_JOB_TIMEOUT,
                    result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL,
                )
                for pk in ids
            ]
            rq_queue.enqueue_many(jobs)
        else:
            for pk in ids:
                rq_queue.enqueue_at(
                    at,
                    SEND_JOB,
                    pk,
                    job_timeout=settings.NOTIFY_JOB_TIMEOUT,
                    result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL,
                )
    except (redis.RedisError, OSError) as error:
        log.warning(
            "could not enqueue %s notification(s), first %s: %s; the sweeper will", len(ids), ids[0], error
        )
        return False
    return True


def _enqueue_or_forget(ids: list[int], at: dt.datetime | None) -> None:
    if not enqueue(ids, at=at):
        # Let the sweeper see them at once instead of after NOTIFY_REQUEUE_AFTER.
        Notification.objects.filter(pk__in=ids).update(enqueued_at=None)


def enqueue_on_commit(ids: list[int], *, at: dt.datetime | None = None) -> None:
    """Enqueue after the current transaction commits (at once outside one); nothing if it rolls back.

    Explicit rather than django-rq's commit mode, which `enqueue_at` ignores.
    """
    transaction.on_commit(partial(_enqueue_or_forget, list(ids), at))
