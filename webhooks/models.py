"""Subscribers (systems outside the hall told of its bookings and tickets) and the outbox of deliveries to
them (docs/webhooks.md)."""

import datetime as dt
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hall.models import Hall


class EventType(models.TextChoices):
    BOOKING_CREATED = "booking.created", _("booking made")
    BOOKING_RESCHEDULED = "booking.rescheduled", _("booking moved")
    BOOKING_CANCELLED = "booking.cancelled", _("booking cancelled")
    BOOKING_CHECKED_IN = "booking.checked_in", _("booking checked in")
    BOOKING_NO_SHOW = "booking.no_show", _("booking not kept")
    BOOKING_SERVED = "booking.served", _("booking served")
    BOOKING_UNFINISHED = "booking.unfinished", _("booking not finished (its day ended)")
    TICKET_ISSUED = "ticket.issued", _("ticket issued")
    TICKET_CALLED = "ticket.called", _("ticket called")
    TICKET_SERVED = "ticket.served", _("ticket served")
    TICKET_NOT_SERVED = "ticket.not_served", _("ticket not served")
    RATING_GIVEN = "rating.given", _("rating given")
    FOLLOW_UP_CLOSED = "follow_up.closed", _("follow-up case closed")


class SubscriberKind(models.TextChoices):
    WEBHOOK = "webhook", _("webhook (signed JSON of every event chosen)")
    PROVINCE = "province", _("province's 好差评 platform (ratings and closed cases as its records)")


# What a province platform is sent, whatever events are ticked (docs/integrations.md).
PROVINCE_EVENTS = (EventType.RATING_GIVEN, EventType.FOLLOW_UP_CLOSED)


class PersonalField(models.TextChoices):
    """What personal data a subscriber may receive; none by default, never the ID number."""

    NAME_MASKED = "name_masked", _("name, masked (张*丰)")
    NAME = "name", _("name in full")
    MOBILE_MASKED = "mobile_masked", _("mobile, masked (138****5678)")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscriber(models.Model):
    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="webhook_subscribers", verbose_name=_("hall")
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("address"), max_length=500, help_text=_("http or https; redirects are not followed.")
    )
    events = models.JSONField(_("events"), default=list)
    fields = models.JSONField(_("personal data sent"), default=list, blank=True)
    secret = models.CharField(_("secret"), max_length=100, default=new_secret, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SubscriberKind.choices, default="webhook")
    # A province platform's own identifiers and rules (docs/integrations.md); unused by plain webhooks.
    app_id = models.CharField(_("platform app id"), max_length=64, blank=True)
    hall_code = models.CharField(
        _("hall code on the platform"),
        max_length=64,
        blank=True,
        help_text=_("The platform's code of this hall."),
    )
    service_codes = models.JSONField(
        _("service codes on the platform"),
        default=dict,
        blank=True,
        help_text=_('The platform’s item code of each service, as JSON: {"id-renewal": "11370100MB…"}.'),
    )
    report_within_hours = models.PositiveSmallIntegerField(
        _("report within (hours)"),
        default=24,
        help_text=_("How long the province's rules allow between a rating and its report."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscriber")
        verbose_name_plural = _("webhook subscribers")
        ordering = ["hall", "name"]

    def __str__(self):
        return self.name

    def wants(self, event: str) -> bool:
        if self.kind == SubscriberKind.PROVINCE:
            return self.enabled and event in PROVINCE_EVENTS
        return self.enabled and event in self.events


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, will be retried")
    DEAD = "dead", _("dead (no more tries)")


DUE_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)


class DeliveryQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(state__in=DUE_STATES, next_try_at__lte=now)

    def to_sweep(self, now, grace: dt.timedelta):
        """Due rows that no job is known to be coming for: retries, and rows not yet tried whose job
        should have run `grace` ago (Redis refused it, it was lost, or its worker died mid-try)."""
        return self.filter(
            models.Q(state=DeliveryState.FAILED, next_try_at__lte=now)
            | models.Q(state=DeliveryState.PENDING, next_try_at__lte=now - grace)
        )


class Delivery(models.Model):
    """One event for one subscriber, written in the transaction of the change it reports."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscriber")
    )
    event = models.CharField(_("event"), max_length=30, choices=EventType.choices)
    payload = models.JSONField(_("payload"))
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # When the next try is due; a try in progress pushes it forward by WEBHOOK_LEASE (its claim), so that a
    # worker killed mid-delivery leaves a row the sweeper finds due again.
    next_try_at = models.DateTimeField(_("next try"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_try_at"], name="webhook_due")]

    def __str__(self):
        return f"{self.event} #{self.pk}"

    @property
    def can_send_again(self) -> bool:
        return self.state in (DeliveryState.FAILED, DeliveryState.DEAD)
