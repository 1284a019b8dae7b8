"""RQ entry points. Each takes ids, re-fetches, and calls one service; all are idempotent."""

from functools import wraps

from django.db import close_old_connections

from appointments import housekeeping
from notifications import delivery, sweeper


def _db_job(func):
    # Like a request: no connection left broken or stale by an earlier job in the same worker process.
    @wraps(func)
    def job(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return job


@_db_job
def send(notification_id: int) -> str | None:
    return delivery.deliver(notification_id)


@_db_job
def sweep() -> dict[str, int]:
    return sweeper.sweep()


@_db_job
def erase_personal_data() -> int:
    return housekeeping.erase_expired_personal_data()
