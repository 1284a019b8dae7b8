"""Sending one delivery: claim the row, POST the signed JSON, and record what happened.

The claim is a conditional update that pushes `next_try_at` forward by WEBHOOK_LEASE and counts the try,
so a duplicate job sends nothing, and a worker killed mid-delivery leaves a row that is due again when the
lease ends (the sweep enqueues it): at least once, never lost. A 2xx answer is success; anything else (an
error status, a redirect, which is never followed, a refused connection, a timeout) is retried after
WEBHOOK_RETRY_MINUTES[attempt - 1] minutes, and the row is dead after the last try.
"""

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from webhooks import province, signing
from webhooks.models import Delivery, DeliveryState, SubscriberKind

log = logging.getLogger(__name__)

NOT_HTTP = "the address is not http or https"


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx is then raised as an HTTPError: a failed try


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    if not url.lower().startswith(("http://", "https://")):
        return Answer(None, NOT_HTTP)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - http(s) only
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_HTTP_TIMEOUT) as response:
            return Answer(response.status)
    except urllib.error.HTTPError as error:
        return Answer(error.code, f"HTTP {error.code}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return Answer(None, str(getattr(error, "reason", error))[:300])


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


def claim(delivery_id: int, now: dt.datetime) -> Delivery | None:
    lease_end = now + dt.timedelta(seconds=settings.WEBHOOK_LEASE)
    claimed = (
        Delivery.objects.due(now)
        .filter(pk=delivery_id)
        .update(next_try_at=lease_end, attempts=F("attempts") + 1)
    )
    return Delivery.objects.select_related("subscriber").get(pk=delivery_id) if claimed else None


def retry_delay(attempts: int) -> dt.timedelta | None:
    """After the `attempts`-th failed try: how long until the next, or None when that was the last."""
    steps = settings.WEBHOOK_RETRY_MINUTES
    return dt.timedelta(minutes=steps[attempts - 1]) if attempts <= len(steps) else None


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> str | None:
    """Try one delivery if it is due; answers its new state (None when there was nothing to do)."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return None
    body = body_of(delivery)
    if not delivery.subscriber.enabled:
        answer = Answer(None, "the subscriber is disabled")
    else:
        answer = post(delivery.subscriber.url, body, headers_for(delivery, body))
    return settle(delivery, answer, now)


def headers_for(delivery: Delivery, body: bytes) -> dict[str, str]:
    """A province platform is signed its own way (webhooks/province.py); every other subscriber ours."""
    subscriber, timestamp = delivery.subscriber, int(time.time())
    if subscriber.kind == SubscriberKind.PROVINCE:
        return province.headers(
            subscriber=subscriber, delivery_id=delivery.pk, timestamp=timestamp, body=body
        )
    return signing.headers(
        secret=subscriber.secret,
        event=delivery.event,
        delivery_id=delivery.pk,
        timestamp=timestamp,
        body=body,
    )


def settle(delivery: Delivery, answer: Answer, now: dt.datetime) -> str:
    fields = {"last_status": answer.status, "last_error": answer.error}
    if answer.ok:
        fields.update(state=DeliveryState.SENT, sent_at=now)
    elif (delay := retry_delay(delivery.attempts)) is not None:
        fields.update(state=DeliveryState.FAILED, next_try_at=now + delay)
    else:
        fields.update(state=DeliveryState.DEAD)
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    log.info("webhook delivery %s try %s: %s", delivery.pk, delivery.attempts, fields["state"])
    return fields["state"]
