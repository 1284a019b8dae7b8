"""The signature every delivery carries: HMAC-SHA256 of "<timestamp>.<body>" with the subscriber's secret,
sent as `X-Chuangkou-Signature: sha256=<hex>` beside `X-Chuangkou-Timestamp` (Unix seconds). Signing the
timestamp with the body lets a receiver refuse an old delivery replayed (docs/webhooks.md)."""

import hashlib
import hmac

PREFIX = "sha256="


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(*, secret: str, event: str, delivery_id: int, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Chuangkou-Webhooks/1",
        "X-Chuangkou-Event": event,
        "X-Chuangkou-Delivery": str(delivery_id),
        "X-Chuangkou-Timestamp": str(timestamp),
        "X-Chuangkou-Signature": signature(secret, timestamp, body),
    }
