"""The client's address: the one answer that per-address limits, sign-in throttling and the audit log use.

Behind nginx every request comes from the proxy. nginx appends the address it saw to X-Forwarded-For
(`$proxy_add_x_forwarded_for`, deploy/nginx.conf), so the header reads "what the client wrote, ..., what
each of our proxies saw". The client's address is the right-most entry that none of our proxies
(TRUSTED_PROXIES: addresses or networks such as 10.0.0.0/8) wrote; entries left of it were written by the
client and prove nothing. The header is read only when the connection itself comes from a trusted proxy, so
a client cannot choose its address by sending one.

Every answer is a valid IP address in its normal form ("2001:db8::1", IPv4-mapped IPv6 as IPv4), or
NO_ADDRESS, the empty string, when there is none worth believing (a unix socket, a garbled peer). The empty
string keeps every caller simple: it is a string for cache keys, false in a test, and the database stores it
as NULL in an address column (Django's GenericIPAddressField), where a word like "unknown" would make
PostgreSQL's inet type refuse the row.
"""

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NO_ADDRESS = ""

log = logging.getLogger(__name__)
_warned: set[str] = set()

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def normal_address(text: str | None) -> str:
    """`text` as an IP address in its normal form, or NO_ADDRESS when it is none."""
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return NO_ADDRESS
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


@lru_cache(maxsize=8)
def trusted_networks(names: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(name.strip(), strict=False) for name in names if name.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error


def is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    if not address:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip.version == network.version and ip in network for network in trusted)


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address from the connection's address and the X-Forwarded-For header (see above).

    Walking the header from the right, a trusted proxy's entry moves on to the next one; the first other
    valid address is the client. An entry that is no address stops the walk at the last proxy seen: our
    proxies write addresses, so garbage there came from the client's side."""
    address = normal_address(remote_addr)
    if not is_trusted(address, trusted) or not forwarded_for:
        return address
    for entry in reversed(forwarded_for.split(",")):
        entry = normal_address(entry)
        if not entry:
            return address
        if not is_trusted(entry, trusted):
            return entry
        address = entry
    return address


def client_ip(request) -> str:
    """The address of the client who sent `request` (module docstring); NO_ADDRESS without a request."""
    if request is None:
        return NO_ADDRESS
    meta = request.META
    trusted = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    remote, forwarded = meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        warn_untrusted_proxy(normal_address(remote), trusted)
        if len(forwarded) > _REMEMBERED_HEADER:  # a client can send a long one: not kept
            return client_address(remote, forwarded, trusted)
    return _remembered_address(remote, forwarded, trusted)


# `client_address` parses every address anew: about 60 function calls on each request (issue 20). Its answer
# depends on its arguments alone, so the answers for the recent peers and headers are kept; an
# X-Forwarded-For longer than this is worked out every time, so that what is kept stays small.
_REMEMBERED_HEADER = 200
_remembered_address = lru_cache(maxsize=1024)(client_address)


def warn_untrusted_proxy(peer: str, trusted: tuple[Network, ...]) -> None:
    """Log once per process and peer when a proxy on our own network (a loopback or private address)
    forwards a client but is not in TRUSTED_PROXIES: every client then has the proxy's address, and the
    per-address limits of one busy citizen fall on everyone behind it."""
    if not peer or peer in _warned or is_trusted(peer, trusted):
        return
    ip = ipaddress.ip_address(peer)
    if ip.is_loopback or ip.is_private:
        _warned.add(peer)
        log.warning(
            "X-Forwarded-For from %s, which is not in TRUSTED_PROXIES: every client behind it counts as %s "
            "for per-address limits (docs/production.md)",
            peer,
            peer,
        )
