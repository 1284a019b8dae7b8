"""The simulation app's background jobs (what-if runs, plan checks): the RQ queue they share, and
enqueuing a row's job once the transaction that recorded the row commits (so the worker finds it), without
failing the request when Redis is down: the row is then marked failed by `refused`, and the page says so."""

import logging
from collections.abc import Callable
from functools import cache

import redis
from django.conf import settings
from django.db import transaction
from rq import Queue

log = logging.getLogger(__name__)

QUEUE = "simulation"  # not "default": a simulated day takes a minute, and SMS must not wait for it


@cache
def _connection(url: str) -> redis.Redis:
    # Short timeouts: the supervisor's page must not hang on a Redis that is down.
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def queue() -> Queue:
    return Queue(QUEUE, connection=_connection(settings.RQ_QUEUES[QUEUE]["URL"]))


def enqueue(job: str, row_id: int, *, refused: Callable[[int], None], **options) -> bool:
    """Enqueue `job(row_id)` with RQ's `options` (job_id, job_timeout, result_ttl, failure_ttl); when Redis
    cannot take it, call `refused(row_id)` and return False."""
    try:
        queue().enqueue(job, row_id, **options)
    except (redis.RedisError, OSError) as error:
        log.warning("could not enqueue %s(%s): %s", job, row_id, error)
        refused(row_id)
        return False
    return True


def enqueue_on_commit(job: str, row_id: int, *, refused: Callable[[int], None], **options) -> None:
    """`enqueue` once the current transaction commits (at once outside one); nothing if it rolls back."""
    transaction.on_commit(lambda: enqueue(job, row_id, refused=refused, **options))
