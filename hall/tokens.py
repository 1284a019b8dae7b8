"""Keys held outside: API tokens (scope, expiry) and the hall's paired screens (devices), of which only a
hash is kept. Part of hall.models, which re-exports every model; import them from there."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hall.halls import Hall
from hall.staffing import Staff


class TokenScope(models.TextChoices):
    """What an API token may do; each endpoint family names the scopes it accepts (hall.api)."""

    DEVICE = "device", _("device: issue tickets, read the board")
    COUNTER = "counter", _("counter: a window's calls")
    REPORTS = "reports", _("reports: read only")


def default_scope(user) -> str:
    """A device account (no staff row) gets a device token, a staff member a counter token."""
    return TokenScope.COUNTER if Staff.objects.filter(user_id=user.pk).exists() else TokenScope.DEVICE


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def revoke(self, now: dt.datetime) -> int:
        return self.filter(revoked_at__isnull=True).update(revoked_at=now)

    def issue(
        self, *, user, hall: Hall, name: str, scope: str | None = None, days: int | None = None
    ) -> tuple["ApiToken", str]:
        """Create a token and return it with its key, which is not stored and cannot be shown again.
        Without a scope, the user's default (default_scope); without days, the scope's lifetime."""
        token = self.model(user=user, hall=hall, name=name, scope=scope or default_scope(user))
        if days is not None:
            token.expires_at = timezone.now() + dt.timedelta(days=days)
        key = token.set_new_key()
        token.full_clean()
        token.save()
        return token, key


class ApiToken(models.Model):
    """A bearer key for a device (kiosk, ticket printer, display) or a staff member's tool, scoped to one
    hall. Only a SHA-256 hash of the key is kept; the key is shown once, when it is issued."""

    KEY_START = "ck_"
    PREFIX_LENGTH = 10
    LAST_USED_PRECISION = dt.timedelta(minutes=1)

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("hall")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
        help_text=_("The staff member, or the user account of the device."),
    )
    name = models.CharField(_("device or purpose"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=TokenScope.choices)
    expires_at = models.DateTimeField(
        _("expires"), blank=True, help_text=_("Empty: the scope's usual lifetime from now.")
    )
    prefix = models.CharField(_("key starts with"), max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["hall", "-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def save(self, *args, **kwargs):
        if self.expires_at is None and self.scope:
            self.expires_at = timezone.now() + self.lifetime(self.scope)
        super().save(*args, **kwargs)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def set_new_key(self) -> str:
        """Draw a new key, keep only its hash and prefix, and return it to be shown once."""
        key = self.KEY_START + secrets.token_urlsafe(30)
        self.prefix, self.key_hash = key[: self.PREFIX_LENGTH], self.hash_key(key)
        return key

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def is_expired(self, now: dt.datetime) -> bool:
        return self.expires_at <= now

    @staticmethod
    def lifetime(scope: str) -> dt.timedelta:
        return dt.timedelta(days=settings.API_TOKEN_DAYS[scope])

    def clean(self):
        staff = Staff.objects.filter(user_id=self.user_id).first() if self.user_id else None
        if staff and self.hall_id and staff.hall_id != self.hall_id:
            raise ValidationError(
                _("%(user)s is staff of %(hall)s: a token can only be for their own hall.")
                % {"user": staff.user, "hall": staff.hall}
            )
        if self.scope == TokenScope.COUNTER and staff is None:
            raise ValidationError(
                {"scope": _("Only staff of the hall work at a window: choose another scope.")}
            )
        if self.scope == TokenScope.REPORTS and not (staff and staff.is_supervisor):
            raise ValidationError({"scope": _("Only supervisors of the hall read reports.")})
        if self.pk is None and self.expires_at is not None and self.expires_at <= timezone.now():
            raise ValidationError({"expires_at": _("The expiry must be in the future.")})

    def touch(self, now: dt.datetime) -> None:
        """Record use, at most once a minute, so that busy devices do not write on every request."""
        stale = now - self.LAST_USED_PRECISION
        if self.last_used_at is not None and self.last_used_at >= stale:
            return
        ApiToken.objects.filter(pk=self.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)


class DeviceKind(models.TextChoices):
    KIOSK = "kiosk", _("kiosk")
    BOARD = "board", _("display board")
    COUNTER_DISPLAY = "counter_display", _("window display")


class PrinterTrouble(models.TextChoices):
    PRINT_FAILED = "print_failed", _("printing failed")
    NOT_PRINTED = "not_printed", _("printing was cancelled or never finished")


class DeviceQuerySet(models.QuerySet):
    def paired(self):
        return self.filter(key_hash__isnull=False)

    def with_printer_trouble(self):
        return self.paired().exclude(printer_trouble="")


class Device(models.Model):
    """A screen of the hall (kiosk, board, window display), paired by a supervisor. The screen's browser
    keeps a key in an HttpOnly cookie; like an API token's, only its SHA-256 hash is stored
    (ApiToken.hash_key). Revoking forgets the hash: the screen shows "not set up" again until it is paired
    anew."""

    KEY_START = "ckd_"
    LAST_SEEN_PRECISION = dt.timedelta(minutes=1)

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="devices", verbose_name=_("hall"))
    kind = models.CharField(_("kind"), max_length=20, choices=DeviceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    place = models.CharField(_("place"), max_length=100, blank=True, help_text=_("Where it stands."))
    key_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    paired_at = models.DateTimeField(_("paired"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("unpaired"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    printer_trouble = models.CharField(
        _("printer trouble"), max_length=20, choices=PrinterTrouble.choices, blank=True, editable=False
    )
    printer_trouble_at = models.DateTimeField(
        _("printer trouble since"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("screen")
        verbose_name_plural = _("screens")
        ordering = ["hall", "kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "kind", "name"], name="device_name_unique_per_hall_kind")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"

    @property
    def is_paired(self) -> bool:
        return self.key_hash is not None

    def set_new_key(self) -> str:
        """Draw a new key, keep only its hash, and return it for the screen's cookie."""
        key = self.KEY_START + secrets.token_urlsafe(30)
        self.key_hash = ApiToken.hash_key(key)
        return key


class PairingRequest(models.Model):
    """A screen that is not set up asks to be paired: it shows `code` (valid a few minutes) and keeps a claim
    secret in a cookie (only its hash is here). A supervisor enters the code and names the device; the screen
    then claims the device's key with its secret, and this row is deleted."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+", verbose_name=_("hall"))
    kind = models.CharField(_("kind"), max_length=20, choices=DeviceKind.choices)
    code = models.CharField(_("pairing code"), max_length=10)
    claim_hash = models.CharField(max_length=64, unique=True)
    address = models.CharField(_("address"), max_length=200, help_text=_("The screen's page."))
    device = models.ForeignKey(Device, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("pairing request")
        verbose_name_plural = _("pairing requests")
        constraints = [models.UniqueConstraint(fields=["hall", "code"], name="pairing_code_unique_per_hall")]

    def __str__(self):
        return f"{self.kind} {self.code}"
