"""Staff sign-in throttling against password spraying, beside django-axes (docs/production.md, "Security").

django-axes refuses one user name at one address after LOGIN_FAILURE_LIMIT failures (kept in PostgreSQL).
That does not see spraying: one address trying a few passwords on many user names, or many addresses trying
one user name a few times each. Two counts in Redis do, each over LOGIN_LOCKOUT_MINUTES:
- the user names that failed from one address: at SIGNIN_NAMES_PER_ADDRESS the address is refused;
- the addresses at which one user name failed: at SIGNIN_ADDRESSES_PER_NAME the name is refused.
A refusal lasts LOGIN_LOCKOUT_MINUTES, says how long to wait, and is audited.

A hall's staff share one public address (NAT) with everyone else on its network, so neither these refusals
nor axes' lock-out may lock a clerk out. A successful sign-in gives the browser a signed "known device"
cookie for that user name (SIGNIN_DEVICE_DAYS); with it, that user's sign-ins pass all three. The device
has its own count of failures (LOGIN_FAILURE_LIMIT per LOGIN_LOCKOUT_MINUTES), so a copied cookie cannot be
used to guess passwords: past it the device is an unknown one again.

Redis down (docs/faults.md): the two counts fail open, logged, as the other per-address limits do; axes'
lock-out is in PostgreSQL and still holds, and refusing every sign-in in the province for the outage would
close the halls. The known-device pass fails closed: without its count of failures a device is an unknown
one, so axes applies to it as to anyone.
"""

import logging
import math
import secrets
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from hall import audit
from hall.cache import count
from hall.net import client_ip

log = logging.getLogger(__name__)

NAMES_FROM_ADDRESS = _(
    "Too many failed sign-ins with different user names from this network. Please wait %(minutes)s "
    "minutes, then try again. Staff who have signed in on this computer before can sign in now."
)
ADDRESSES_FOR_NAME = _(
    "Too many failed sign-ins for this user name from different places. Please wait %(minutes)s minutes, "
    "then try again. On a computer where you have signed in before, you can sign in now."
)
COOKIE = "known_device"
SALT = "hall.signin_throttle"
NAMES_PER_DEVICE = 10  # user names a shared hall computer remembers


@dataclass(frozen=True, eq=False)
class Rule:
    block: str  # cache key prefix of the refusal
    count: str  # cache key prefix of the count
    limit_setting: str
    message: str
    audit_detail: str  # no personal data: which rule, not whose name


BY_ADDRESS = Rule(
    "signin:refused:address",
    "signin:names",
    "SIGNIN_NAMES_PER_ADDRESS",
    NAMES_FROM_ADDRESS,
    "throttled: many user names from this address",
)
BY_NAME = Rule(
    "signin:refused:name",
    "signin:addresses",
    "SIGNIN_ADDRESSES_PER_NAME",
    ADDRESSES_FOR_NAME,
    "throttled: this user name from many addresses",
)


def clock() -> float:
    """Seconds since the epoch; tests replace it to move time on."""
    return time.time()


def _window() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def name_key(username: str) -> str:
    """A user name in cache keys and cookies: keyed, so a mistyped password in it is not kept readable."""
    return salted_hmac(SALT, username).hexdigest()[:24]


def _subjects(request, username: str) -> dict[Rule, str]:
    return {BY_ADDRESS: client_ip(request), BY_NAME: name_key(username)}


# The known device


def _device(request) -> dict | None:
    try:
        device = signing.loads(
            request.COOKIES.get(COOKIE, ""), salt=SALT, max_age=settings.SIGNIN_DEVICE_DAYS * 86400
        )
    except signing.BadSignature:
        return None
    if isinstance(device, dict) and isinstance(device.get("d"), str) and isinstance(device.get("n"), list):
        return device
    return None


def _device_failures_key(device: dict) -> str:
    return f"signin:device:{device['d']}"


def is_known_device(request, credentials: dict | None = None) -> bool:
    """This browser signed this user name in before and has not failed too often since (also django-axes'
    AXES_WHITELIST_CALLABLE: a known device is not locked out by failures at its address)."""
    username = (credentials or {}).get("username") or ""
    device = _device(request)
    if device is None or not username or name_key(username) not in device["n"]:
        return False
    try:
        return (cache.get(_device_failures_key(device)) or 0) < settings.AXES_FAILURE_LIMIT
    except redis.RedisError as error:
        log.warning("known device not checked: %s", type(error).__name__)
        return False


def remember_device(request, response, username: str) -> None:
    """After a successful sign-in: this browser is a known device for this user name."""
    device = _device(request) or {"d": secrets.token_urlsafe(12), "n": []}
    key = name_key(username)
    names = [name for name in device["n"] if name != key][-(NAMES_PER_DEVICE - 1) :] + [key]
    try:
        cache.delete(_device_failures_key(device))
    except redis.RedisError as error:
        log.warning("known device failures not cleared: %s", type(error).__name__)
    response.set_cookie(
        COOKIE,
        signing.dumps({"d": device["d"], "n": names}, salt=SALT),
        max_age=settings.SIGNIN_DEVICE_DAYS * 86400,
        path=reverse("login"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# Refusing and counting


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    minutes: int

    @property
    def message(self) -> str:
        return self.rule.message % {"minutes": self.minutes}


def refusal(request, username: str) -> Refusal | None:
    """Why this sign-in is refused before its password is checked, or None (also while Redis is down)."""
    if not settings.RATE_LIMITS or is_known_device(request, {"username": username}):
        return None
    try:
        for rule, subject in _subjects(request, username).items():
            until = cache.get(f"{rule.block}:{subject}")
            if until is not None:
                return Refusal(rule, max(1, math.ceil((until - clock()) / 60)))
    except redis.RedisError as error:
        log.warning("sign-in throttle not read: %s", type(error).__name__)
    return None


def record_refusal(request, username: str, refused: Refusal) -> None:
    audit.sign_in_refused(request, username, detail=refused.rule.audit_detail)


def _count(rule: Rule, subject: str) -> None:
    window = _window()
    if count(f"{rule.count}:{subject}", window) >= getattr(settings, rule.limit_setting):
        cache.add(f"{rule.block}:{subject}", clock() + window, timeout=window)


def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    """A failed sign-in (Django's user_login_failed): a new (address, user name) pair counts once towards
    both rules; a known device's failure counts against the device."""
    if request is None or not settings.RATE_LIMITS:
        return
    username = credentials.get("username") or ""
    subjects = _subjects(request, username)
    try:
        device = _device(request)
        if device is not None and name_key(username) in device["n"]:
            count(_device_failures_key(device), _window())
        if cache.add(f"signin:pair:{subjects[BY_ADDRESS]}:{subjects[BY_NAME]}", 1, timeout=_window()):
            for rule, subject in subjects.items():
                _count(rule, subject)
    except redis.RedisError as error:
        log.warning("failed sign-in not counted: %s", type(error).__name__)
