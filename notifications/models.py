from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from hall.models import Hall


class Kind(models.TextChoices):
    BOOKING_CONFIRMED = "booking_confirmed", _("booking confirmed")
    BOOKING_CANCELLED = "booking_cancelled", _("booking cancelled")
    BOOKING_RESCHEDULED = "booking_rescheduled", _("booking rescheduled")
    REMINDER_DAY_BEFORE = "reminder_day_before", _("reminder the day before")
    REMINDER_SOON = "reminder_soon", _("reminder before the window")
    WAITLIST_OFFER = "waitlist_offer", _("waiting-list place offered")
    VERIFICATION_CODE = "verification_code", _("verification code")
    COME_IN = "come_in", _("please come in now")
    CALLED = "called", _("called to a counter")
    MATERIALS_MISSING = "materials_missing", _("materials missing")
    NO_SHOW_WARNING = "no_show_warning", _("no-show warning")
    BLOCKED = "blocked", _("booking blocked")
    CLOSURE = "closure", _("hall closure")
    RATING_REQUEST = "rating_request", _("rating request")


class State(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    REFUSED = "refused", _("refused")


class Notification(models.Model):
    """A message to a citizen, written in the same transaction as the change that causes it (outbox)."""

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("hall")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    subject_type = models.CharField(_("subject type"), max_length=20)  # "booking", "ticket", "waitlist"
    subject_id = models.BigIntegerField(_("subject id"))
    # Distinguishes messages of one kind for one subject, e.g. the booked start of a reminder.
    key = models.CharField(_("key"), max_length=64, blank=True, default="")
    phone = PhoneNumberField(_("mobile"), region="CN", blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    text = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    gateway_id = models.CharField(_("gateway message id"), max_length=100, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind", "key"],
                name="notification_once_per_subject_kind",
            )
        ]
        indexes = [models.Index(fields=["state", "not_before"], name="notification_due")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject_type}:{self.subject_id}"
