"""Signalling for a video call: the two browsers swap WebRTC session descriptions and network candidates
through the product's server, as small messages posted to and polled from a table.

A message lives VIDEO_SIGNAL_SECONDS (then it is deleted on the next post): the call's media go straight
between the browsers (or through the TURN server), never through here, and nothing of the call is kept.
Each side reads only the other side's messages, after the last one it has seen.
"""

import datetime as dt
import json

from django.conf import settings
from django.utils import timezone

from hall.errors import DomainError
from video.models import Side, Signal

KINDS = {"hello", "offer", "answer", "candidate", "bye", "done"}
MAX_BODY = 20_000  # characters: a session description with many candidates is about 6,000
MAX_LIVE = 400  # messages of one booking within VIDEO_SIGNAL_SECONDS: a looping browser is cut off


class SignalError(DomainError):
    """A message that is not one of ours."""

    api_status = {"bad_signal": 400, "too_many": 429}


def _since(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.VIDEO["SIGNAL_SECONDS"])


def post(*, booking, sender: str, kind: str, body, now: dt.datetime | None = None) -> int:
    """Store one message for the other side; returns its id."""
    now = now or timezone.now()
    if kind not in KINDS:
        raise SignalError("bad_signal", "unknown kind")
    text = json.dumps(body, separators=(",", ":")) if body is not None else ""
    if len(text) > MAX_BODY:
        raise SignalError("bad_signal", "message too long")
    purge(now=now)
    if Signal.objects.filter(booking=booking).count() >= MAX_LIVE:
        raise SignalError("too_many", "too many messages")
    return Signal.objects.create(booking=booking, sender=sender, kind=kind, body=text, created_at=now).pk


def purge(*, now: dt.datetime | None = None) -> int:
    """Delete the messages older than VIDEO_SIGNAL_SECONDS (on every post, and by the outbox's sweep)."""
    return Signal.objects.filter(created_at__lt=_since(now or timezone.now())).delete()[0]


def fetch(*, booking, reader: str, after: int, now: dt.datetime | None = None) -> list[dict]:
    """The other side's live messages after the id `after`, oldest first."""
    now = now or timezone.now()
    other = Side.CLERK if reader == Side.CITIZEN else Side.CITIZEN
    rows = Signal.objects.filter(booking=booking, sender=other, pk__gt=after, created_at__gte=_since(now))
    return [
        {"id": row.pk, "kind": row.kind, "body": json.loads(row.body) if row.body else None}
        for row in rows.order_by("pk")[:50]
    ]


def cursor(booking) -> int:
    """The newest message's id: a page that starts now reads only what comes after it."""
    last = Signal.objects.filter(booking=booking).order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def ice_servers() -> list[dict]:
    """The STUN and TURN servers for RTCPeerConnection, from settings (docs/production.md, coturn)."""
    return settings.VIDEO["ICE_SERVERS"]
