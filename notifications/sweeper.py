"""The periodic sweep (every NOTIFY_SWEEP_INTERVAL seconds, on RQ's cron scheduler): what no single
request or job can be trusted to do. Each step is idempotent, so overlapping or repeated sweeps are safe.

- rows left `sending` by a worker that died (after NOTIFY_SENDING_TIMEOUT): the gateway is asked whether it
  took the message; taken → sent, not taken → queued again, cannot tell → asked again at the next sweep,
  and queued again once NOTIFY_LOOKUP_PATIENCE has passed without an answer (at least once);
- the periodic tasks the apps registered (notifications/registry.py): those that record messages (the
  booking reminders) first;
- due rows without a live job are enqueued: held by the quiet hours, retried after a back-off whose
  scheduled job was lost, or recorded while Redis was down;
- the other periodic tasks (booking housekeeping: no-shows, places whose hold has ended).
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notifications import delivery, dispatch, registry, sms
from notifications.models import Notification, State

log = logging.getLogger(__name__)

BATCH = 1000
WORKER_LOST = "worker lost during the attempt"
FOUND_TAKEN = "worker lost during the attempt; the gateway had taken the message"
NO_ANSWER = "worker lost during the attempt; the gateway could not say whether it took the message"
LOOKUPS_PER_SWEEP = 100
# A gateway that does not answer is not asked again until the next sweep, and the questions of one sweep
# stop after LOOKUP_SECONDS, so that a slow or dead gateway cannot hold up the rest of the sweep.
UNANSWERED_PER_SWEEP = 3
LOOKUP_SECONDS = 60


def recover_stale(now: dt.datetime) -> int:
    """Settle rows whose worker died mid-send; returns how many left `sending` (sent or queued again)."""
    claimed_before = now - dt.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT)
    rows = list(Notification.objects.stale(claimed_before).order_by("claimed_at")[:LOOKUPS_PER_SWEEP])
    if not rows:
        return 0
    backend, unanswered, settled = _backend(), 0, 0
    deadline = time.monotonic() + LOOKUP_SECONDS
    for row in rows:
        if backend is None or unanswered >= UNANSWERED_PER_SWEEP or time.monotonic() > deadline:
            fate = sms.Fate.no_answer("not asked in this sweep: the gateway did not answer, or time ran out")
        else:
            fate = ask(backend, row)
            unanswered += not fate.answered
        settled += settle(row, fate, now)
    return settled


def _backend() -> sms.Backend | None:
    try:
        return sms.get_backend()
    except Exception:  # a misconfigured gateway must not stop the reminders and the housekeeping
        log.exception("sweep: the SMS backend cannot be built; stale sends wait")
        return None


def ask(backend: sms.Backend, row: Notification) -> sms.Fate:
    if not row.phone:
        return sms.Fate.not_taken("no mobile number")
    try:
        return backend.lookup(delivery.message_for(row), since=row.claimed_at)
    except Exception as error:  # a bug in a backend must not stop the sweep; the answer is unknown
        log.exception("notification %s: looking it up failed", row.pk)
        return sms.Fate.no_answer(f"{type(error).__name__}: {error}")


def settle(row: Notification, fate: sms.Fate, now: dt.datetime) -> bool:
    """Apply the gateway's answer, if the row is still in the claim that was asked about."""
    log.warning("notification %s: worker lost mid-send; gateway: %s %s", row.pk, fate.answer, fate.detail)
    claim = Notification.objects.filter(
        pk=row.pk, state=State.SENDING, attempts=row.attempts, claimed_at=row.claimed_at
    )
    done = {"claimed_at": None, "last_attempt_at": now}
    if fate.answer == sms.Answer.TAKEN:
        sent = {"state": State.SENT, "gateway_id": fate.gateway_id[:100], "sent_at": row.claimed_at}
        return bool(claim.update(**done, **sent, last_error=FOUND_TAKEN))
    error = WORKER_LOST
    if fate.answer == sms.Answer.UNKNOWN:
        patience = dt.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT + settings.NOTIFY_LOOKUP_PATIENCE)
        if now - row.claimed_at < patience:
            return False  # asked again at the next sweep
        error = NO_ANSWER  # at least once: a duplicate is better than a booking nobody hears of
    if row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        claim.update(**done, state=State.FAILED, last_error=error)
        return False
    return bool(
        claim.update(**done, state=State.QUEUED, next_attempt_at=now, enqueued_at=None, last_error=error)
    )


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
    done = {"recovered": recover_stale(now)}
    errors = []
    _run([p for p in registry.PERIODIC if p.before_enqueue], now, done, errors)
    done["enqueued"] = enqueue_due(now)
    _run([p for p in registry.PERIODIC if not p.before_enqueue], now, done, errors)
    if errors:
        raise errors[0]
    return done


def _run(tasks: list[registry.Periodic], now: dt.datetime, done: dict, errors: list) -> None:
    for periodic in tasks:
        try:
            result = periodic.task(now=now)
        except Exception as error:  # one failing task must not stop the others; the next sweep retries
            log.exception("sweep: %s failed", periodic.name)
            errors.append(error)
            continue
        done[periodic.name] = len(result) if isinstance(result, list) else result
