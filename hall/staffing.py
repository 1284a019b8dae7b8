"""Staff of a hall and the audit log of their actions. Part of hall.models, which re-exports every model;
import them from there."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hall.halls import Hall


class StaffRole(models.TextChoices):
    CLERK = "clerk", _("window staff")
    SUPERVISOR = "supervisor", _("supervisor")


class Staff(models.Model):
    """Scopes a user to one hall; the role's permissions come from the group of the same name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff", verbose_name=_("user")
    )
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="staff", verbose_name=_("hall"))
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.hall})"

    @property
    def is_supervisor(self) -> bool:
        return self.role == StaffRole.SUPERVISOR


class AuditAction(models.TextChoices):
    SIGNED_IN = "signed_in", _("signed in")
    SIGNED_OUT = "signed_out", _("signed out")
    SIGN_IN_FAILED = "sign_in_failed", _("sign-in refused")
    COUNTER_OPENED = "counter_opened", _("window opened")
    COUNTER_PAUSED = "counter_paused", _("window paused")
    COUNTER_RESUMED = "counter_resumed", _("window resumed")
    COUNTER_CLOSED = "counter_closed", _("window closed")
    PHONE_REVEALED = "phone_revealed", _("full mobile number shown")
    REPORT_EXPORTED = "report_exported", _("report exported")
    DEVICE_ADDED = "device_added", _("screen added")
    DEVICE_PAIRED = "device_paired", _("screen paired")
    DEVICE_REVOKED = "device_revoked", _("screen unpaired")
    DEVICE_REFUSED = "device_refused", _("screen refused")
    PRINTER_TROUBLE = "printer_trouble", _("kiosk printer trouble")
    PRINTER_FIXED = "printer_fixed", _("kiosk printer fixed")
    HOLIDAYS_ENTERED = "holidays_entered", _("holiday schedule entered")
    PERSON_LOOKED_UP = "person_looked_up", _("person looked up by ID number")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    OTP_ENROLLED = "otp_enrolled", _("authenticator app set up")
    OTP_RESET = "otp_reset", _("two-step sign-in reset")
    OTP_FAILED = "otp_failed", _("wrong sign-in code")
    ENROLMENT_ISSUED = "enrolment_issued", _("enrolment code issued")
    ENROLMENT_USED = "enrolment_used", _("enrolment code used")
    ENROLMENT_REFUSED = "enrolment_refused", _("enrolment code refused")
    OTHER_HALL_REFUSED = "other_hall_refused", _("refused: another hall")
    HOURS_EXTENDED = "hours_extended", _("closing time extended")
    SMS_REPLY = "sms_reply", _("booking answered by SMS reply")
    VIDEO_IDENTITY_CHECKED = "video_identity_checked", _("identity checked by video")


class AuditEntry(models.Model):
    """A staff action or a reveal of personal data that no booking or ticket event records (those are
    read beside these entries on the audit page). `detail` never holds personal data: ids and codes only."""

    hall = models.ForeignKey(
        Hall,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("hall"),
        help_text=_("Empty for people who are not staff of a hall, and for unknown user names."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("staff member"),
    )
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object"), max_length=40, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["hall", "at"], name="audit_hall_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"
