"""Writing messages to the outbox and acting on outbox rows. The outbox imports no app but `hall`
(tests/test_layers.py): what a message is about is the business of the app that writes it, which tells the
sweep and the send job what they need through notifications/registry.py.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation

from notifications import dispatch, messages
from notifications.models import URGENT_KINDS, Kind, Notification, State
from notifications.timing import QuietHours

log = logging.getLogger(__name__)


def quiet_hours() -> QuietHours | None:
    return QuietHours.parse(settings.NOTIFY_QUIET_HOURS)


def record(*, new_subject: bool = False, **message):
    """Write a message to the outbox once per (subject, kind, key); `render()` runs in the citizen's language.

    Call inside the transaction of the change that causes the message, so a rollback records nothing; a
    send job is enqueued when that transaction commits. Non-urgent kinds (see URGENT_KINDS; `urgent`
    overrides) recorded during the quiet hours wait for their end, and the sweeper enqueues them then.
    `enqueue=False` leaves even a due row to the sweeper (which enqueues in bulk). `new_subject=True`:
    the subject was created in this transaction, so no message about it can be recorded already, and the
    row is written without the savepoint that catches a second one (a hot path's statements).
    Returns the new row, or None when this message was already recorded.
    """
    notification = prepare(**message)  # hall, kind, subject_type, subject_id, phone, language, render, ...
    try:
        with transaction.atomic(savepoint=not new_subject):
            notification.save(force_insert=True)
    except IntegrityError:
        if new_subject:
            raise
        return None
    recorded(notification)
    return notification


def prepare(
    *,
    hall,
    kind: str,
    subject_type: str,
    subject_id: int | None,
    phone,
    language: str,
    render,
    key: str = "",
    urgent: bool | None = None,
    now: dt.datetime | None = None,
    enqueue: bool = True,
) -> Notification:
    """The outbox row `record` writes, not saved yet: for a caller that writes it together with the row of
    its subject (`subject_id` None until then), then calls `recorded`."""
    now = now or timezone.now()
    with translation.override(language):
        text = str(render())
    is_urgent = kind in URGENT_KINDS if urgent is None else urgent
    window = None if is_urgent else quiet_hours()
    held_until = window.held_until(now, hall.tz) if window else None
    send_now = held_until is None and enqueue
    return Notification(
        hall=hall,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        key=key,
        phone=phone,
        language=language,
        text=text,
        not_before=held_until,
        next_attempt_at=held_until or now,
        enqueued_at=now if send_now else None,
    )


def recorded(notification: Notification) -> None:
    """After a row of `prepare` was written: its send job is enqueued when the transaction commits, unless
    it waits for the end of the quiet hours or for the sweeper (no `enqueued_at`)."""
    if notification.enqueued_at is not None:
        dispatch.enqueue_on_commit([notification.pk])


def request_rating(*, ticket, now: dt.datetime | None = None):
    """Ask a citizen who has just been served to rate the service (once per ticket)."""
    if not ticket.phone:
        return None
    url = messages.rating_url(ticket)
    if url is None:
        return None
    return record(
        hall=ticket.hall,
        kind=Kind.RATING_REQUEST,
        subject_type="ticket",
        subject_id=ticket.pk,
        phone=ticket.phone,
        language=ticket.language,
        render=lambda: messages.rating_text(ticket, url=url),
        now=now,
    )


def retry_now(*, notifications, now: dt.datetime | None = None) -> int:
    """Send failed, refused or waiting rows again at once (an administrator fixed the number or the
    gateway account). Sent rows are never sent twice; rows being sent are left to their worker."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            notifications.filter(state__in=[State.QUEUED, State.FAILED, State.REFUSED]).values_list(
                "pk", flat=True
            )
        )
        Notification.objects.filter(pk__in=ids).update(
            state=State.QUEUED, attempts=0, next_attempt_at=now, not_before=None, enqueued_at=now
        )
        dispatch.enqueue_on_commit(ids)
    log.info("%s notification(s) queued again by an administrator", len(ids))
    return len(ids)


def daily_counts(hall, date: dt.date) -> dict[str, int]:
    """Messages of one hall on one local day: sent, failed (given up after retries), refused by the gateway,
    and still pending (queued or being sent, whatever their day)."""
    start = dt.datetime.combine(date, dt.time.min, tzinfo=hall.tz)
    end = start + dt.timedelta(days=1)
    finished = Notification.objects.filter(hall=hall, last_attempt_at__gte=start, last_attempt_at__lt=end)
    counts = finished.aggregate(
        sent=Count("pk", filter=Q(state=State.SENT)),
        failed=Count("pk", filter=Q(state=State.FAILED)),
        refused=Count("pk", filter=Q(state=State.REFUSED)),
    )
    counts["pending"] = Notification.objects.filter(
        hall=hall, state__in=[State.QUEUED, State.SENDING]
    ).count()
    return counts
