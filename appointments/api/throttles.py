"""The per-address rate limits of the API's public routes (in Redis; off with RATE_LIMITS=off)."""

import threading

from ninja.throttling import BaseThrottle

from appointments import limits
from hall.api import client_ip


class PerIpRateLimit(BaseThrottle):
    """A fixed-window count of requests per client address and scope."""

    def __init__(self, scope: str, limit: int, seconds: int):
        self.scope, self.limit, self.seconds = scope, limit, seconds
        self.last = threading.local()  # one throttle serves every request: each thread its own address

    def allow_request(self, request) -> bool:
        self.last.key = client_ip(request)
        return not limits.hit_rate_limit(f"api-{self.scope}", self.last.key, self.limit, self.seconds)

    def wait(self) -> int:
        """Seconds until the window ends: ninja sends it as Retry-After with the 429."""
        return limits.seconds_left(f"api-{self.scope}", self.last.key, self.seconds)


READS = PerIpRateLimit("read", limit=600, seconds=600)
# Looking a booking up needs its code and mobile number; a low limit keeps guessing pointless.
LOOKUPS = PerIpRateLimit("lookup", limit=60, seconds=3600)
# Each code is a text message: few per address, besides the per-number limit in verification.
PHONE_CODES = PerIpRateLimit("phone-code", limit=20, seconds=3600)
