"""Live events: published through Redis so that every web process can stream them.

Each event is appended to a per-hall Redis stream (capped; its id is the SSE event id, so a client that
reconnects with Last-Event-ID gets what it missed) and announced on a per-hall pub/sub channel, in one
atomic script. Web processes hold ONE pattern subscription each and fan events out in memory
(queueing.live). Events carry no personal data: ticket numbers, services, counters, counts.

Publishing happens after commit: a rolled-back call announces nothing. A Redis outage loses live events
(pages fall back to polling and catch up with a snapshot), never the change itself.
"""

import json
import logging
from functools import cache

import redis
from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

STREAM_LENGTH = 2000
CHANNEL_PREFIX = "ck:live:"

TICKET_ISSUED = "ticket.issued"
TICKET_CALLED = "ticket.called"
TICKET_COMPLETED = "ticket.completed"
QUEUE_CHANGED = "queue.changed"

# XADD then PUBLISH "<id> <payload>", atomically, so a subscriber never sees an event without its id.
_PUBLISH = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[1])
redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[1])
return id
"""


def stream_key(hall_id: int) -> str:
    return f"ck:events:{hall_id}"


def channel(hall_id: int) -> str:
    return f"{CHANNEL_PREFIX}{hall_id}"


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def publish_now(hall_id: int, type_: str, data: dict) -> str | None:
    payload = json.dumps({"type": type_, "data": data}, ensure_ascii=False, separators=(",", ":"))
    try:
        event_id = _client().eval(_PUBLISH, 2, stream_key(hall_id), channel(hall_id), payload, STREAM_LENGTH)
    except redis.RedisError as error:
        log.warning("live event %s for hall %s not published: %s", type_, hall_id, error)
        return None
    return event_id.decode() if isinstance(event_id, bytes) else event_id


def publish(hall_id: int, type_: str, data: dict) -> None:
    """Publish once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: publish_now(hall_id, type_, data))


def ticket_data(ticket) -> dict:
    return {
        "number": ticket.number,
        "service": ticket.service.code,
        "state": ticket.state,
        "counter": ticket.counter.number if ticket.counter_id else None,
        "calls": ticket.calls,
    }


def since(hall_id: int, last_id: str, limit: int = 500) -> list[tuple[str, dict]]:
    """Events after `last_id` (exclusive), oldest first, for a client that reconnects."""
    try:
        rows = _client().xrange(stream_key(hall_id), min=f"({last_id}", count=limit)
    except redis.RedisError as error:
        log.warning("cannot read missed events for hall %s: %s", hall_id, error)
        return []
    return [(row_id.decode(), json.loads(fields[b"e"])) for row_id, fields in rows]
