import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from hall.models import Hall
from hall.privacy import mask_phone


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
    HOME_VISIT = "home_visit", _("home visit")
    REPLY_CONFIRMED = "reply_confirmed", _("confirmation of an SMS reply")


# Sent at any hour: answers to what the citizen just did, and messages that are useless a few hours later
# (a waiting-list place is held for half an hour; a call to the counter is for now). The other kinds wait
# for the end of the quiet hours (docs/notifications.md).
URGENT_KINDS = frozenset(
    {
        Kind.BOOKING_CONFIRMED,
        Kind.BOOKING_CANCELLED,
        Kind.BOOKING_RESCHEDULED,
        Kind.WAITLIST_OFFER,
        Kind.VERIFICATION_CODE,
        Kind.COME_IN,
        Kind.CALLED,
        Kind.MATERIALS_MISSING,
        Kind.REPLY_CONFIRMED,
    }
)
REMINDER_KINDS = frozenset({Kind.REMINDER_DAY_BEFORE, Kind.REMINDER_SOON})


class State(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")  # no longer applies: the booking was cancelled or moved


FINISHED_STATES = (State.SENT, State.FAILED, State.REFUSED, State.WITHDRAWN)


class NotificationQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(state=State.QUEUED, next_attempt_at__lte=now)

    def stale(self, claimed_before):
        """Claimed by a worker that has not finished in time: it died, or lost its database connection."""
        return self.filter(state=State.SENDING, claimed_at__lt=claimed_before)

    def for_subject(self, subject_type: str, subject_id: int):
        return self.filter(subject_type=subject_type, subject_id=subject_id)


class Notification(models.Model):
    """A message to a citizen, written in the same transaction as the change that causes it (outbox).

    A send job claims the row (queued → sending, attempts + 1) before it talks to the gateway, so that a
    duplicate job sends nothing; the sweeper puts back rows whose worker died (sending for too long).
    """

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
    # Held back by the quiet hours until then (non-urgent kinds only).
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Sent to gateways as their reference for this message (Alibaba OutId, Tencent SessionContext), so that a
    # delivery receipt or a support query finds the row, whatever the attempt.
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    # When a send job may claim the row: now, the end of the quiet hours, or after a back-off.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # When a worker claimed the row (state sending); the sweeper puts it back after NOTIFY_SENDING_TIMEOUT.
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    # When a send job was last put on the queue for the row; empty when that failed (Redis down) or for
    # rows held by the quiet hours, which the sweeper enqueues when they are due.
    enqueued_at = models.DateTimeField(_("enqueued"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

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
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["hall", "last_attempt_at"], name="notification_hall_day"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject_type}:{self.subject_id}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES
