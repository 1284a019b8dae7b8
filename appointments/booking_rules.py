"""A hall's booking rules (how far ahead, limits, held-back share, no-show grace) and a day's capacity
override of a service: the settings that shape availability, in a module of their own (appointments/models.py
imports and re-exports them)."""

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hall.models import Hall, Service


class BookingRules(models.Model):
    """A hall's booking rules; a hall without a row uses the defaults below."""

    hall = models.OneToOneField(
        Hall, on_delete=models.CASCADE, related_name="booking_rules", verbose_name=_("hall")
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("booking horizon (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    release_time = models.TimeField(
        _("daily release time"), default=dt.time(8, 30), help_text=_("When the newest day opens for booking.")
    )
    min_notice_minutes = models.PositiveSmallIntegerField(_("minimum notice (minutes)"), default=30)
    cancel_release_minutes = models.PositiveSmallIntegerField(
        _("delay before a cancelled place returns to sale (minutes)"), default=10
    )
    held_back_percent = models.PositiveSmallIntegerField(
        _("share held back for green channel and walk-ins (%)"),
        default=20,
        validators=[MaxValueValidator(100)],
    )
    utilisation_percent = models.PositiveSmallIntegerField(
        _("planned utilisation of counters (%)"),
        default=85,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
    )
    max_per_day = models.PositiveSmallIntegerField(_("bookings per person per day"), default=1)
    max_per_week = models.PositiveSmallIntegerField(_("bookings per person per 7 days"), default=2)
    max_per_month = models.PositiveSmallIntegerField(_("bookings per person per 30 days"), default=6)
    no_show_grace_minutes = models.PositiveSmallIntegerField(
        _("check-in closes after the booked window (minutes)"),
        default=15,
        validators=[MaxValueValidator(240)],
        help_text=_(
            "A booking may check in until this long after its arrival window ends; "
            "after that it is a no-show."
        ),
    )
    no_show_window_days = models.PositiveSmallIntegerField(_("no-show look-back (days)"), default=30)
    no_show_block_count = models.PositiveSmallIntegerField(_("no-shows that block booking"), default=2)
    block_days = models.PositiveSmallIntegerField(_("block length (days)"), default=90)
    green_channel_exempt = models.BooleanField(_("green channel exempt from the no-show block"), default=True)
    rate_per_ip_hour = models.PositiveIntegerField(_("booking attempts per IP address per hour"), default=30)
    rate_per_phone_hour = models.PositiveIntegerField(_("booking attempts per mobile per hour"), default=5)
    retention_days = models.PositiveSmallIntegerField(_("keep personal data for (days)"), default=90)
    waitlist_hold_minutes = models.PositiveSmallIntegerField(
        _("waiting-list offer held for (minutes)"), default=30
    )

    class Meta:
        verbose_name = _("booking rules")
        verbose_name_plural = _("booking rules")

    def __str__(self):
        return str(self.hall)


class CapacityOverride(models.Model):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="capacity_overrides", verbose_name=_("service")
    )
    date = models.DateField(_("date"))
    capacity = models.PositiveSmallIntegerField(_("places per arrival window"))

    class Meta:
        verbose_name = _("capacity override")
        verbose_name_plural = _("capacity overrides")
        constraints = [
            models.UniqueConstraint(fields=["service", "date"], name="capacity_override_once_per_day")
        ]

    def __str__(self):
        return f"{self.service} {self.date}: {self.capacity}"
