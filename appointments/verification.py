"""One-time codes that prove a citizen holds the mobile number they book with (BOOKING_SMS_CODE).

A code is kept only as a keyed hash in PostgreSQL (PhoneCode), beside a keyed hash of the mobile (never the
number itself), for ten minutes and five tries; the text message goes through the notification outbox like
every other message. Nothing here needs Redis, so booking with codes on keeps working through a Redis
outage (docs/faults.md). At most five codes go to one number in an hour, counted from the same rows.
"""

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import PhoneCode
from hall.privacy import hash_phone
from notifications import services as notify
from notifications.models import Kind

CODE_SECONDS = 600
MAX_TRIES = 5
SENDS_PER_PHONE_HOUR = 5

CODE_TEXT = _("[%(hall)s] Your booking code is %(code)s. It is valid for 10 minutes. Do not share it.")
CODE_WRONG = _("The code is not right. Check the text message and type the 6 digits again.")
CODE_EXPIRED = _("The code has expired or was used up. Send a new code.")
TOO_MANY_CODES = _("Too many codes were sent to this number. Please wait an hour and try again.")


# What secrets.token_urlsafe(16) gives; anything else is no nonce of ours (and never reaches the database).
NONCE = re.compile(r"[A-Za-z0-9_-]{16,32}")


def _digest(nonce: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{nonce}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(*, hall, phone, language: str) -> str:
    """Record a text message with a new code for `phone`; return the nonce that names the code.

    Raises ValueError(TOO_MANY_CODES) when this number has had too many codes in the last hour.
    """
    now = timezone.now()
    phone_hash = hash_phone(phone)
    nonce, code = secrets.token_urlsafe(16), f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        recent = PhoneCode.objects.filter(phone_hash=phone_hash, created_at__gt=now - dt.timedelta(hours=1))
        if recent.count() >= SENDS_PER_PHONE_HOUR:
            raise ValueError(str(TOO_MANY_CODES))
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
