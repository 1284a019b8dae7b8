"""How a receiver checks a delivery (docs/webhooks.md shows this file). It needs only Python's standard
library, so a receiver can copy it as it is.

    ok = verify(secret, request.headers, request.body)
    if not ok: answer 401 and ignore the body
"""

import hashlib
import hmac
import time

TOLERANCE = 300  # seconds: a delivery signed longer ago than this (or this far ahead) is refused


def verify(
    secret: str, headers, body: bytes, *, now: float | None = None, tolerance: int = TOLERANCE
) -> bool:
    """True if the body was signed with `secret` at a time within `tolerance` of `now`."""
    timestamp = headers.get("X-Chuangkou-Timestamp", "")
    received = headers.get("X-Chuangkou-Signature", "")
    if not timestamp.isdigit() or not received.startswith("sha256="):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.removeprefix("sha256="), expected)
