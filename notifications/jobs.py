"""RQ entry points. Each takes ids, re-fetches, and calls one service; all are idempotent."""

import logging
from functools import wraps

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from notifications import delivery, sweeper

log = logging.getLogger(__name__)


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
def erase_personal_data() -> dict[str, int]:
    """Every app that keeps personal data erases what is past its retention (settings.PERSONAL_DATA_ERASERS);
    one failing does not stop the others, and the job still fails so that RQ records it."""
    erased, failed = {}, []
    for path in settings.PERSONAL_DATA_ERASERS:
        try:
            erased[path] = import_string(path)()
        except Exception:  # noqa: BLE001 - the other apps' data must still be erased tonight
            log.exception("erasing personal data failed: %s", path)
            failed.append(path)
    if failed:
        raise RuntimeError(f"erasing personal data failed: {', '.join(failed)}")
    return erased


@_db_job
def end_the_day() -> dict[str, dict]:
    """End what the halls' past days left open (settings.DAY_END_TASKS, each idempotent)."""
    now = timezone.now()
    return {path: import_string(path)(now=now) for path in settings.DAY_END_TASKS}
