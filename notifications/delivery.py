"""Sending one outbox row: claim it, check it still applies, hand it to the SMS backend, record the outcome.

The claim is a conditional UPDATE (queued and due → sending, attempts + 1), so of two jobs for one row only
one sends. Each outcome is written only if the row is still in the claim this attempt made (same attempt
number, still sending), so an attempt the sweeper has given up on cannot overwrite a later one.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications import dispatch, registry, sms
from notifications.models import Notification, State
from notifications.timing import backoff

log = logging.getLogger(__name__)


def claim(notification_id: int, now: dt.datetime) -> Notification | None:
    with transaction.atomic():
        claimed = (
            Notification.objects.due(now)
            .filter(pk=notification_id)
            .update(state=State.SENDING, attempts=F("attempts") + 1, claimed_at=now)
        )
        if not claimed:
            return None
        return Notification.objects.select_related("hall").get(pk=notification_id)


def _finish(notification: Notification, now: dt.datetime, **fields) -> bool:
    updated = Notification.objects.filter(
        pk=notification.pk, state=State.SENDING, attempts=notification.attempts
    ).update(claimed_at=None, last_attempt_at=now, **fields)
    if not updated:
        log.warning("notification %s: attempt %s outlived its claim", notification.pk, notification.attempts)
    return bool(updated)


def _retry_later(notification: Notification, now: dt.datetime, error: str) -> str:
    if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        _finish(notification, now, state=State.FAILED, last_error=error)
        log.warning("notification %s failed after %s attempts", notification.pk, notification.attempts)
        return State.FAILED
    at = now + backoff(notification.attempts, dt.timedelta(seconds=settings.NOTIFY_RETRY_BASE))
    with transaction.atomic():
        if _finish(
            notification, now, state=State.QUEUED, last_error=error, next_attempt_at=at, enqueued_at=at
        ):
            dispatch.enqueue_on_commit([notification.pk], at=at)
    return State.QUEUED


def message_for(notification: Notification) -> sms.Message:
    return sms.Message(
        notification_id=notification.pk,
        phone=notification.phone,
        text=notification.text,
        kind=notification.kind,
        language=notification.language,
        reference=notification.idempotency_key.hex,
    )


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> str | None:
    """Send one row if it is due and nobody else is sending it. Returns the row's new state, or None when
    there was nothing to do (already sent, being sent, not yet due, gone)."""
    clock = timezone.now if now is None else lambda: now
    now = clock()
    notification = claim(notification_id, now)
    if notification is None:
        return None
    if not notification.phone:
        _finish(notification, now, state=State.REFUSED, last_error="no mobile number")
        return State.REFUSED
    if not registry.applies(notification):
        _finish(notification, now, state=State.WITHDRAWN)
        return State.WITHDRAWN
    try:
        gateway_id = sms.get_backend().send(message_for(notification))
    except sms.PermanentError as error:
        log.warning("notification %s refused by the gateway: %s", notification.pk, error.code or error)
        _finish(notification, clock(), state=State.REFUSED, last_error=str(error)[:300])
        return State.REFUSED
    except Exception as error:  # a temporary error, a timeout, or a bug in a backend: try again later
        log.warning("notification %s attempt %s failed: %s", notification.pk, notification.attempts, error)
        return _retry_later(notification, clock(), f"{type(error).__name__}: {error}"[:300])
    sent_at = clock()
    _finish(
        notification, sent_at, state=State.SENT, gateway_id=gateway_id[:100], sent_at=sent_at, last_error=""
    )
    return State.SENT
