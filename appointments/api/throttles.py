"""The per-address rate limits of the API's public routes (in Redis; off with RATE_LIMITS=off)."""

from ninja.throttling import BaseThrottle

from appointments import limits
from hall.api import client_ip


class PerIpRateLimit(BaseThrottle):
    """A fixed-window count of requests per client address and scope."""

    def __init__(self, scope: str, limit: int, seconds: int):
        self.scope, self.limit, self.seconds = scope, limit, seconds

    def allow_request(self, request) -> bool:
        return not limits.hit_rate_limit(f"api-{self.scope}", client_ip(request), self.limit, self.seconds)


READS = PerIpRateLimit("read", limit=600, seconds=600)
# Looking a booking up needs its code and mobile number; a low limit keeps guessing pointless.
LOOKUPS = PerIpRateLimit("lookup", limit=60, seconds=3600)
# Each code is a text message: few per address, besides the per-number limit in verification.
PHONE_CODES = PerIpRateLimit("phone-code", limit=20, seconds=3600)
