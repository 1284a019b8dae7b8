"""The periodic sweep (every NOTIFY_SWEEP_INTERVAL seconds, on RQ's cron scheduler): what no single
request or job can be trusted to do. Each step is idempotent, so overlapping or repeated sweeps are safe.

- rows left `sending` by a worker that died are put back (after NOTIFY_SENDING_TIMEOUT);
- reminders that have become due are recorded;
- due rows without a live job are enqueued: held by the quiet hours, retried after a back-off whose
  scheduled job was lost, or recorded while Redis was down;
- booking housekeeping: no-shows, places whose hold has ended (offered to the waiting list first).
"""

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from appointments import housekeeping
from appointments import services as appointments
from notifications import dispatch, reminders
from notifications.models import Notification, State

log = logging.getLogger(__name__)

BATCH = 1000
WORKER_LOST = "worker lost during the attempt"


def recover_stale(now: dt.datetime) -> int:
    stale = Notification.objects.stale(now - dt.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT))
    failed = stale.filter(attempts__gte=settings.NOTIFY_MAX_ATTEMPTS).update(
        state=State.FAILED, claimed_at=None, last_attempt_at=now, last_error=WORKER_LOST
    )
    requeued = stale.update(
        state=State.QUEUED, claimed_at=None, next_attempt_at=now, enqueued_at=None, last_error=WORKER_LOST
    )
    if failed or requeued:
        log.warning("stale sends: %s queued again, %s failed", requeued, failed)
    return requeued


def enqueue_due(now: dt.datetime) -> int:
    """Enqueue due rows that have no job, or whose job should have run by now (NOTIFY_REQUEUE_AFTER)."""
    requeue_before = now - dt.timedelta(seconds=settings.NOTIFY_REQUEUE_AFTER)
    due = Notification.objects.due(now).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue_before)
    )
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        Notification.objects.filter(pk__in=batch).update(enqueued_at=now)
        dispatch.enqueue_on_commit(batch)
    return len(ids)


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    done = {"recovered": recover_stale(now), "reminders": len(reminders.record_due(now=now))}
    done["enqueued"] = enqueue_due(now)
    errors = []
    for name, task in [
        ("no_shows", housekeeping.mark_no_shows),
        ("released", appointments.release_due_places),
    ]:
        try:
            done[name] = task(now=now)
        except Exception as error:  # one failing task must not stop the others; the next sweep retries
            log.exception("sweep: %s failed", name)
            errors.append(error)
    if errors:
        raise errors[0]
    return done
