"""One-time enrolment codes: an administrator issues one for a staff member, who must enter it before the
set-up page shows a TOTP key (issue 17). Only an HMAC of the code is stored; it expires after
ENROLMENT_CODE_HOURS, works once and only for its user. Issuing, using and refusing codes is in
hall/enrolment_codes.py; this module holds the model only (imported by hall/models.py)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

# No 0/O, 1/I: read aloud or copied from a note, the code cannot be mistyped that way.
# 16 of 32 signs: 80 bits.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 16
GROUP = 4
HMAC_SALT = "hall.enrolment.EnrolmentCode"


def normalise(typed: str) -> str:
    """What the user typed, without spaces and dashes, in capitals."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def new_code() -> str:
    """A fresh code, grouped for reading: ABCD-EFGH-JKMN-PQRS."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def hash_code(code: str) -> str:
    return salted_hmac(HMAC_SALT, normalise(code), algorithm="sha256").hexdigest()


class EnrolmentCode(models.Model):
    """The enrolment code of one user (issuing a new one deletes the user's earlier codes)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrolment_codes",
        verbose_name=_("user"),
    )
    code_hash = models.CharField(max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")

    def __str__(self):
        return f"enrolment code {self.pk} of user {self.user_id}"

    def matches(self, typed: str) -> bool:
        return constant_time_compare(self.code_hash, hash_code(typed))
