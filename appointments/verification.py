"""One-time codes that prove a citizen holds the mobile number they book with (BOOKING_SMS_CODE).

A code is kept only as a keyed hash in PostgreSQL (PhoneCode), beside a keyed hash of the mobile (never the
number itself), for ten minutes and five tries; the text message goes through the notification outbox like
every other message. Nothing here needs Redis, so booking with codes on keeps working through a Redis
outage (docs/faults.md). At most five codes go to one number in an hour, counted from the same rows.
"""

import datetime as dt
import hashlib
import hmac
import logging
import math
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.limits import hit_rate_limit
from appointments.models import PhoneCode
from hall.privacy import hash_phone
from notifications import services as notify
from notifications.models import Kind, Notification

log = logging.getLogger(__name__)

CODE_SECONDS = 600
MAX_TRIES = 5
SENDS_PER_PHONE_HOUR = 5
# Against SMS pumping (texts sent to numbers of the sender's choosing, paid by the hall): a new code for a
# number only a minute after the last; at most this many codes asked for from one address an hour (the web
# also limits each browser session, appointments/views.py); and a daily budget of codes per hall
# (settings.SMS_CODES_PER_HALL_DAY), of which the supervisor's dashboard warns when 80 % are used.
RESEND_SECONDS = 60
SENDS_PER_ADDRESS_HOUR = 20
BUDGET_WARNING_SHARE = 0.8

CODE_TEXT = _("[%(hall)s] Your booking code is %(code)s. It is valid for 10 minutes. Do not share it.")
CODE_WRONG = _("The code is not right. Check the text message and type the 6 digits again.")
CODE_EXPIRED = _("The code has expired or was used up. Send a new code.")
TOO_MANY_CODES = _("Too many codes were sent to this number. Please wait an hour and try again.")
TOO_SOON = _("A code was sent to this number a moment ago. You can ask for a new one in %(seconds)s s.")
TOO_MANY_FROM_HERE = _(
    "Too many codes were asked for from this connection. Please wait an hour, or book at the hall."
)
BUDGET_USED = _(
    "The hall cannot send more text messages with codes today. Please book by phone or at the hall."
)


class CodeRefused(ValueError):
    """Why no code was sent, in the citizen's language (str(error))."""


# What secrets.token_urlsafe(16) gives; anything else is no nonce of ours (and never reaches the database).
NONCE = re.compile(r"[A-Za-z0-9_-]{16,32}")


def _digest(nonce: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{nonce}:{code}".encode(), hashlib.sha256).hexdigest()


def next_send_at(phone) -> dt.datetime | None:
    """When a new code may go to `phone` (None: now)."""
    last = PhoneCode.objects.filter(phone_hash=hash_phone(phone)).order_by("-created_at").first()
    if last is None:
        return None
    at = last.created_at + dt.timedelta(seconds=RESEND_SECONDS)
    return at if at > timezone.now() else None


def codes_sent_today(hall, now: dt.datetime) -> int:
    midnight = dt.datetime.combine(hall.local_date(now), dt.time.min, hall.tz)
    return Notification.objects.filter(
        hall=hall, kind=Kind.VERIFICATION_CODE, created_at__gte=midnight
    ).count()


def budget_warning(hall, now: dt.datetime) -> tuple[int, int] | None:
    """(sent today, budget) once the day's codes reach BUDGET_WARNING_SHARE of the budget."""
    sent, budget = codes_sent_today(hall, now), settings.SMS_CODES_PER_HALL_DAY
    return (sent, budget) if sent >= budget * BUDGET_WARNING_SHARE else None


def _refusal(hall, phone_hash: str, ip: str | None, now: dt.datetime) -> str | None:
    recent = PhoneCode.objects.filter(phone_hash=phone_hash, created_at__gt=now - dt.timedelta(hours=1))
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and (wait := RESEND_SECONDS - (now - last).total_seconds()) > 0:
        return str(TOO_SOON % {"seconds": math.ceil(wait)})
    if recent.count() >= SENDS_PER_PHONE_HOUR:
        return str(TOO_MANY_CODES)
    if codes_sent_today(hall, now) >= settings.SMS_CODES_PER_HALL_DAY:
        log.warning(
            "hall %s: the day's budget of %s codes is used up", hall.pk, settings.SMS_CODES_PER_HALL_DAY
        )
        return str(BUDGET_USED)
    if ip is not None and hit_rate_limit("phone-code-ip", ip, SENDS_PER_ADDRESS_HOUR):
        return str(TOO_MANY_FROM_HERE)
    return None


def send_code(*, hall, phone, language: str, ip: str | None = None) -> str:
    """Record a text message with a new code for `phone`; return the nonce that names the code.

    Raises CodeRefused (a ValueError) when a code went to this number a moment ago or too many in the last
    hour, when the hall's budget of codes for the day is used up, or when too many were asked for from
    `ip` (the API counts addresses with its own throttle and passes none).
    """
    now = timezone.now()
    phone_hash = hash_phone(phone)
    nonce, code = secrets.token_urlsafe(16), f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        if refusal := _refusal(hall, phone_hash, ip, now):
            raise CodeRefused(refusal)
        PhoneCode.objects.create(
            nonce=nonce,
            digest=_digest(nonce, code),
            phone_hash=phone_hash,
            expires_at=now + dt.timedelta(seconds=CODE_SECONDS),
            created_at=now,
        )
        notify.record(
            hall=hall,
            kind=Kind.VERIFICATION_CODE,
            subject_type="phone",
            subject_id=secrets.randbits(63),
            key=nonce,
            phone=phone,
            language=language,
            render=lambda: CODE_TEXT % {"hall": hall.name, "code": code},
        )
    return nonce


def check_code(*, nonce: str, phone, code: str) -> str | None:
    """None when `code` is the one sent to `phone` under `nonce` (which is then used up), else why not.

    A wrong try is counted in its own transaction: call this outside any transaction that a refusal
    rolls back, or the count would be undone and the five tries would not hold.
    """
    if not NONCE.fullmatch(nonce or ""):
        return str(CODE_EXPIRED)
    now = timezone.now()
    with transaction.atomic():
        # Locked: two requests with the right code at once use it once.
        entry = PhoneCode.objects.select_for_update().filter(nonce=nonce, used_at__isnull=True).first()
        if (
            entry is None
            or entry.phone_hash != hash_phone(phone)
            or entry.tries >= MAX_TRIES
            or entry.expires_at <= now
        ):
            return str(CODE_EXPIRED)
        if hmac.compare_digest(entry.digest, _digest(nonce, code)):
            entry.used_at = now
            entry.save(update_fields=["used_at"])
            return None
        entry.tries += 1
        entry.save(update_fields=["tries"])
    return str(CODE_EXPIRED if entry.tries >= MAX_TRIES else CODE_WRONG)
