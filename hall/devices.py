"""The hall's screens as devices: adding, pairing, revoking, the kiosk's limits and its printer.

A screen (kiosk, board, window display) that is not paired asks for pairing: it shows a short code valid
PAIRING_MINUTES and keeps a claim secret in a cookie. A supervisor enters the code on the device list and
chooses the device it is; on its next look (its page polls, or a refresh) the screen claims the device's
new key, which it keeps in an HttpOnly cookie (hall.screens). Only hashes of the key and the secret are
stored. See docs/display.md.
"""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from hall import audit
from hall.errors import DomainError
from hall.models import ApiToken, AuditAction, Device, DeviceKind, Hall, PairingRequest, PrinterTrouble

log = logging.getLogger(__name__)

PAIRING_MINUTES = 10
PAIRING_CODE_LENGTH = 6
# No 0/O, 1/I/L, 2/Z, 5/S: a code is read off a screen across a room.
PAIRING_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
MAX_PENDING_PER_HALL = 100  # screens waiting for a supervisor at once; more are asked to wait
NEW_CODES_PER_ADDRESS = 20  # new codes an address may ask for in PAIRING_MINUTES (a hall's screens share one)
REFUSAL_AUDIT_SECONDS = 60  # one audit entry a minute per address and hall for refused screens

CODE_UNKNOWN = _(
    "No screen is showing this code, or it has expired. Look at the screen for its current code."
)
KIND_MISMATCH = _("This code is shown by a %(screen)s, but %(device)s is a %(kind)s. Choose a %(screen)s.")
TOO_MANY_WAITING = _("Too many screens are waiting to be set up. Please try again in a few minutes.")


class DeviceError(DomainError):
    """A refused pairing, with a message to show as it is."""


@dataclass(frozen=True)
class Started:
    request: PairingRequest
    secret: str | None  # a new claim secret for the screen's cookie; None when the screen already had one


def _hash(secret: str) -> str:
    return ApiToken.hash_key(secret)


def _new_code() -> str:
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(code.split()).upper()


def add_device(*, hall: Hall, kind: str, name: str, place: str, user, ip: str | None = None) -> Device:
    device = Device.objects.create(hall=hall, kind=kind, name=name, place=place)
    audit.record(action=AuditAction.DEVICE_ADDED, hall=hall, actor=user, obj=device, detail=kind, ip=ip)
    return device


def pending_request(*, hall: Hall, kind: str, secret: str | None, now: dt.datetime) -> PairingRequest | None:
    """The screen's own pairing request (by its claim secret), while it is valid."""
    if not secret or len(secret) > 100:
        return None
    return (
        PairingRequest.objects.select_related("device")
        .filter(hall=hall, kind=kind, claim_hash=_hash(secret), expires_at__gt=now)
        .first()
    )


def start_pairing(
    *, hall: Hall, kind: str, address: str, secret: str | None, ip: str | None, now: dt.datetime
) -> Started:
    """The screen's valid request, or a new one with a new code and claim secret. A browser that keeps no
    cookies (a crawler) asks for a new code on every look: an address gets NEW_CODES_PER_ADDRESS of them in
    PAIRING_MINUTES, and a hall MAX_PENDING_PER_HALL waiting at once."""
    found = pending_request(hall=hall, kind=kind, secret=secret, now=now)
    if found is not None:
        return Started(found, None)
    PairingRequest.objects.filter(expires_at__lte=now).delete()
    waiting = PairingRequest.objects.filter(hall=hall, device__isnull=True).count()
    if waiting >= MAX_PENDING_PER_HALL or _too_many_codes(hall, ip):
        raise DeviceError("busy", TOO_MANY_WAITING)
    expires = now + dt.timedelta(minutes=PAIRING_MINUTES)
    return _create_request(hall=hall, kind=kind, address=address[:200], expires_at=expires, now=now)


def _too_many_codes(hall: Hall, ip: str | None) -> bool:
    if not settings.RATE_LIMITS:
        return False
    key = f"pairing-codes:{hall.pk}:{ip or 'unknown'}"
    try:
        if cache.add(key, 1, timeout=PAIRING_MINUTES * 60):
            return False
        return cache.incr(key) > NEW_CODES_PER_ADDRESS
    except (redis.RedisError, ValueError) as error:
        log.warning("pairing codes not counted: %s", type(error).__name__)
        return False


def _create_request(*, hall, kind, address, expires_at, now, device=None) -> Started:
    for _attempt in range(5):  # a code already shown in this hall: draw another
        secret = secrets.token_urlsafe(30)
        try:
            with transaction.atomic():
                request = PairingRequest.objects.create(
                    hall=hall,
                    kind=kind,
                    code=_new_code(),
                    claim_hash=_hash(secret),
                    address=address,
                    device=device,
                    created_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue
        return Started(request, secret)
    raise DeviceError("busy", TOO_MANY_WAITING)


def approved_link(*, device: Device, address: str, now: dt.datetime, valid: dt.timedelta) -> str:
    """A pairing request already approved for `device`: its secret, for a one-time link that pairs the browser
    that opens it (development and demos only: seed_demo)."""
    started = _create_request(
        hall=device.hall, kind=device.kind, address=address, expires_at=now + valid, now=now, device=device
    )
    return started.secret


def find_request(*, hall: Hall, code: str, now: dt.datetime) -> PairingRequest | None:
    code = normalise_code(code)
    if not code or len(code) > PAIRING_CODE_LENGTH:
        return None
    return PairingRequest.objects.filter(hall=hall, code=code, expires_at__gt=now).first()


def pair(*, hall: Hall, code: str, device: Device, user, ip: str | None, now: dt.datetime) -> PairingRequest:
    """The supervisor names the device that the screen showing `code` is."""
    request = find_request(hall=hall, code=code, now=now)
    if request is None or device.hall_id != hall.pk:
        detail = f"unknown code {normalise_code(code)[:PAIRING_CODE_LENGTH]}"
        audit.record(action=AuditAction.DEVICE_REFUSED, hall=hall, actor=user, detail=detail, ip=ip, now=now)
        raise DeviceError("unknown_code", CODE_UNKNOWN)
    if request.kind != device.kind:
        screen = DeviceKind(request.kind).label
        raise DeviceError(
            "wrong_kind",
            KIND_MISMATCH % {"screen": screen, "device": device.name, "kind": device.get_kind_display()},
        )
    request.device = device
    request.save(update_fields=["device"])
    audit.record(
        action=AuditAction.DEVICE_PAIRED, hall=hall, actor=user, obj=device, detail=request.code, ip=ip
    )
    return request


@transaction.atomic
def claim(*, hall: Hall, kind: str, secret: str | None, now: dt.datetime) -> tuple[Device, str] | None:
    """The screen takes its device's new key, once its request has been approved; the device's earlier key
    (another browser paired before) stops working."""
    found = pending_request(hall=hall, kind=kind, secret=secret, now=now)
    if found is None or found.device_id is None:
        return None
    request = PairingRequest.objects.select_for_update().filter(pk=found.pk).first()
    if request is None:
        return None  # claimed by a simultaneous request of the same screen
    device = Device.objects.select_for_update().get(pk=request.device_id)
    key = device.set_new_key()
    device.paired_at, device.revoked_at, device.last_seen_at = now, None, now
    device.save(update_fields=["key_hash", "paired_at", "revoked_at", "last_seen_at"])
    request.delete()
    return device, key


def authenticate(*, hall: Hall, kind: str, key: str | None, now: dt.datetime) -> Device | None:
    """The paired device of this hall and kind whose key the screen holds; records it as seen."""
    if not key or not key.startswith(Device.KEY_START) or len(key) > 100:
        return None
    device = Device.objects.filter(hall=hall, kind=kind, key_hash=_hash(key)).first()
    if device is not None:
        device.hall = hall
        stale = now - Device.LAST_SEEN_PRECISION
        if device.last_seen_at is None or device.last_seen_at < stale:
            Device.objects.filter(pk=device.pk).update(last_seen_at=now)
            device.last_seen_at, device.seen_now = now, True  # hall.screens renews the cookie
    return device


def revoke(*, device: Device, user, ip: str | None, now: dt.datetime) -> None:
    Device.objects.filter(pk=device.pk).update(key_hash=None, revoked_at=now)
    PairingRequest.objects.filter(device=device).delete()
    audit.record(action=AuditAction.DEVICE_REVOKED, hall=device.hall, actor=user, obj=device, ip=ip, now=now)


def record_refusal(*, hall: Hall, kind: str, what: str, ip: str | None, now: dt.datetime) -> None:
    """A screen without a paired device tried something (a ticket, a check-in): audited, at most once a
    minute per address, so that a flood of requests cannot flood the log."""
    key = f"device-refusal:{hall.pk}:{ip or 'unknown'}"
    try:
        first = cache.add(key, 1, timeout=REFUSAL_AUDIT_SECONDS)
    except redis.RedisError as error:
        log.warning("device refusal not throttled: %s", type(error).__name__)
        first = True
    if first:
        audit.record(action=AuditAction.DEVICE_REFUSED, hall=hall, detail=f"{kind} {what}", ip=ip, now=now)


# Printer


def report_printer(*, device: Device, trouble: str, now: dt.datetime) -> None:
    """The kiosk page says its printer failed: the kiosk hands out no numbers until a supervisor clears it."""
    if trouble not in PrinterTrouble.values or device.printer_trouble:
        return
    Device.objects.filter(pk=device.pk).update(printer_trouble=trouble, printer_trouble_at=now)
    device.printer_trouble, device.printer_trouble_at = trouble, now
    audit.record(action=AuditAction.PRINTER_TROUBLE, hall=device.hall, obj=device, detail=trouble, now=now)


def clear_printer(*, device: Device, user, ip: str | None, now: dt.datetime) -> None:
    Device.objects.filter(pk=device.pk).update(printer_trouble="", printer_trouble_at=None)
    audit.record(action=AuditAction.PRINTER_FIXED, hall=device.hall, actor=user, obj=device, ip=ip, now=now)


# Limits of one kiosk (fixed one-minute windows in the cache)


def _minute(now: dt.datetime) -> int:
    return int(now.timestamp()) // 60


def _count(key: str) -> int:
    """Add one to a counter that lives two minutes; with Redis down nothing is counted (a paired kiosk keeps
    working)."""
    try:
        if cache.add(key, 1, timeout=120):
            return 1
        return cache.incr(key)
    except (redis.RedisError, ValueError) as error:  # ValueError: expired between add and incr
        log.warning("kiosk limit not counted: %s", type(error).__name__)
        return 0


# What a kiosk (paired, or with a device API token) says when it has issued its tickets for the minute.
TOO_MANY_TICKETS = _(
    "This machine has given out many tickets in the last minute. Please wait a moment and try again."
)


def _take(machine: str, hall: Hall, now: dt.datetime) -> bool:
    """Count a ticket of `machine`; False when it has issued the hall's kiosk_tickets_per_minute."""
    if not settings.RATE_LIMITS:
        return True
    return _count(f"{machine}:{_minute(now)}") <= hall.kiosk_tickets_per_minute


def take_ticket(*, device: Device, now: dt.datetime) -> bool:
    """Count a ticket of this kiosk; False when it has issued its tickets for this minute."""
    return _take(f"device-tickets:{device.pk}", device.hall, now)


def take_token_ticket(*, token_id: int, hall: Hall, now: dt.datetime) -> bool:
    """Count a ticket issued with a device API token (a kiosk of another vendor, a ticket printer): the
    same per-minute limit as a paired kiosk, so that a leaked token cannot print the day's numbers away."""
    return _take(f"token-tickets:{token_id}", hall, now)


def _pause_key(device: Device) -> str:
    return f"device-code-pause:{device.pk}"


def check_in_paused(*, device: Device) -> bool:
    if not settings.RATE_LIMITS:
        return False
    try:
        return bool(cache.get(_pause_key(device)))
    except redis.RedisError:
        return False


def record_wrong_code(*, device: Device, ip: str | None, now: dt.datetime) -> bool:
    """Count a wrong booking code; True when this one starts a pause of a minute (audited)."""
    if not settings.RATE_LIMITS:
        return False
    wrong = _count(f"device-wrong-codes:{device.pk}:{_minute(now)}")
    if wrong < device.hall.kiosk_wrong_codes_per_minute:
        return False
    try:
        cache.set(_pause_key(device), 1, timeout=60)
    except redis.RedisError as error:
        log.warning("kiosk pause not set: %s", type(error).__name__)
    hall = device.hall
    audit.record(
        action=AuditAction.DEVICE_REFUSED, hall=hall, obj=device, detail="wrong codes", ip=ip, now=now
    )
    return True
