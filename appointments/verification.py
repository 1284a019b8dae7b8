"""One-time codes that prove a citizen holds the mobile number they book with (BOOKING_SMS_CODE).

The code is kept only as a keyed hash in the cache, beside a keyed hash of the mobile (never the number
itself), for ten minutes and five tries; the text message goes through the notification outbox like every
other message.
"""

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from appointments import limits
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


def _key(nonce: str) -> str:
    return f"phone-code:{nonce}"


def _digest(nonce: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{nonce}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(*, hall, phone, language: str) -> str:
    """Record a text message with a new code for `phone`; return the nonce that names the code.

    Raises ValueError(TOO_MANY_CODES) when this number has had too many codes in the last hour.
    """
    if limits.hit_rate_limit("phone-code", hash_phone(phone), SENDS_PER_PHONE_HOUR):
        raise ValueError(str(TOO_MANY_CODES))
    nonce, code = secrets.token_urlsafe(16), f"{secrets.randbelow(10**6):06d}"
    entry = {
        "digest": _digest(nonce, code),
        "phone": hash_phone(phone),  # the mobile itself stays out of Redis
        "tries": 0,
        "until": time.time() + CODE_SECONDS,
    }
    cache.set(_key(nonce), entry, CODE_SECONDS)
    with transaction.atomic():
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
    """None when `code` is the one sent to `phone` under `nonce` (which is then used up), else why not."""
    entry = cache.get(_key(nonce)) if nonce else None
    if entry is None or entry["phone"] != hash_phone(phone) or entry["tries"] >= MAX_TRIES:
        return str(CODE_EXPIRED)
    if hmac.compare_digest(entry["digest"], _digest(nonce, code)):
        cache.delete(_key(nonce))
        return None
    entry["tries"] += 1
    # A wrong try must not extend the code's life.
    cache.set(_key(nonce), entry, max(1, int(entry["until"] - time.time())))
    return str(CODE_EXPIRED if entry["tries"] >= MAX_TRIES else CODE_WRONG)
