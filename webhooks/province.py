"""The province's 好差评 platform: a subscriber of kind "province" gets every rating and every closed
follow-up case as one of the platform's records, signed the platform's way, through the webhooks' own
outbox, delivery and retries (docs/integrations.md). The record format and the signature are this
product's assumption of a typical provincial platform: the real ones differ by province, so both are
kept to this module.
"""

import datetime as dt
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

from django.db.models import Count, Q

from webhooks.models import DUE_STATES, Delivery, DeliveryState, EventType, SubscriberKind

# The platform's own vocabulary for the five levels (GB/T 39735 政务服务评价工作指南).
LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RECORD_TYPES = {EventType.RATING_GIVEN: "evaluation", EventType.FOLLOW_UP_CLOSED: "rectification"}
TOLERANCE = 300  # seconds a receiver accepts between the signed timestamp and its clock


def record(event: str, hall, at: str | None, data: dict, subscriber) -> dict:
    """The platform's record of a rating (evaluation) or of a closed case (rectification)."""
    subject = data.get("rating") or data.get("follow_up") or {}
    service = subject.get("service", "")
    body = {
        "recordType": RECORD_TYPES[event],
        "recordId": f"{hall.slug}-{subject.get('record', '')}",
        "hallCode": subscriber.hall_code or hall.slug,
        "serviceCode": (subscriber.service_codes or {}).get(service, service),
        "window": str(subject.get("counter") or ""),
        "evaluatedAt": subject.get("rated_at"),
        "level": subject.get("score"),
        "levelName": LEVEL_NAMES.get(subject.get("score"), ""),
        "comment": subject.get("comment", ""),
        "caseNumber": subject.get("case") or "",
        "transactionNumber": subject.get("booking") or subject.get("ticket") or "",
    }
    if event == EventType.FOLLOW_UP_CLOSED:
        body.update(
            evaluationId=f"{hall.slug}-{subject.get('rating_record', '')}",
            callBackBy=subject.get("call_back_by"),
            resolveBy=subject.get("resolve_by"),
            closedAt=at,
            result=subject.get("result", ""),
        )
    return body


def signature(secret: str, app_id: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = "\n".join((app_id, timestamp, nonce)).encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(*, subscriber, delivery_id: int, timestamp: int, body: bytes) -> dict[str, str]:
    nonce = uuid.uuid4().hex
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Chuangkou-Province/1",
        "X-Hcp-App-Id": subscriber.app_id,
        "X-Hcp-Record": str(delivery_id),
        "X-Hcp-Timestamp": str(timestamp),
        "X-Hcp-Nonce": nonce,
        "X-Hcp-Signature": signature(subscriber.secret, subscriber.app_id, str(timestamp), nonce, body),
    }


def verify(app_id: str, secret: str, headers, body: bytes, *, now: float | None = None) -> bool:
    """The platform's check (what a test platform on loopback runs): app id, fresh timestamp, signature."""
    timestamp = headers.get("X-Hcp-Timestamp", "")
    if headers.get("X-Hcp-App-Id", "") != app_id or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE:
        return False
    expected = signature(secret, app_id, timestamp, headers.get("X-Hcp-Nonce", ""), body)
    return hmac.compare_digest(headers.get("X-Hcp-Signature", ""), expected)


@dataclass(frozen=True)
class Pending:
    record_id: str
    event: str
    created_at: dt.datetime
    deadline: dt.datetime
    attempts: int
    last_error: str
    overdue: bool


@dataclass(frozen=True)
class ReportStatus:
    configured: bool
    sent: int
    pending: int
    failed: int
    within_hours: int | None
    waiting: list[Pending]


def report_status(hall, now: dt.datetime, limit: int = 50) -> ReportStatus:
    """What the hall has reported to the province: sent, pending (with each one's deadline, the rules'
    delay after it was recorded) and failed (no more tries: an administrator sends them again)."""
    rows = Delivery.objects.filter(subscriber__hall=hall, subscriber__kind=SubscriberKind.PROVINCE)
    counts = rows.aggregate(
        sent=Count("pk", filter=Q(state=DeliveryState.SENT)),
        pending=Count("pk", filter=Q(state__in=DUE_STATES)),
        failed=Count("pk", filter=Q(state=DeliveryState.DEAD)),
    )
    platform = hall.webhook_subscribers.filter(kind=SubscriberKind.PROVINCE).order_by("-enabled").first()
    waiting = []
    due = rows.filter(state__in=DUE_STATES).select_related("subscriber")
    for row in due.order_by("created_at", "id")[:limit]:
        deadline = row.created_at + dt.timedelta(hours=row.subscriber.report_within_hours)
        waiting.append(
            Pending(
                record_id=row.payload.get("recordId", ""),
                event=row.get_event_display(),
                created_at=row.created_at,
                deadline=deadline,
                attempts=row.attempts,
                last_error=row.last_error,
                overdue=now > deadline,
            )
        )
    return ReportStatus(
        configured=platform is not None,
        within_hours=platform.report_within_hours if platform else None,
        waiting=waiting,
        **counts,
    )
