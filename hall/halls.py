"""The hall and its windows (counters), and the times a window is unstaffed. Part of hall.models, which
re-exports every model; import them from there."""

import datetime as dt
import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from hall import calendar
from hall.hours import HolidaySchedule


def validate_timezone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value}) from None


SEAT_RE = re.compile(r"^(\d+)-(\d+)$")


def validate_seat_list(value):
    if not isinstance(value, list) or not all(isinstance(s, str) and SEAT_RE.match(s) for s in value):
        raise ValidationError(_('Write seats as a list like ["1-2", "3-4"] (row-seat).'))


class Hall(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name in links"), unique=True)
    address = models.CharField(_("address"), max_length=200)
    consultation_phone = models.CharField(_("24-hour consultation line"), max_length=40, blank=True)
    supervision_phone = models.CharField(_("supervision line"), max_length=40, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=50, default="Asia/Shanghai", validators=[validate_timezone]
    )
    max_waiting_inside = models.PositiveIntegerField(
        _("most citizens waiting inside"),
        default=30,
        help_text=_("When this many wait inside, new tickets wait outside until called in."),
    )
    seat_rows = models.PositiveSmallIntegerField(_("seat rows"), default=4)
    seats_per_row = models.PositiveSmallIntegerField(_("seats per row"), default=8)
    seats_out_of_use = models.JSONField(
        _("seats out of use"),
        default=list,
        blank=True,
        validators=[validate_seat_list],
        help_text=_('Row-seat pairs, for example ["1-1", "2-4"].'),
    )
    notice = models.TextField(_("notice"), blank=True, help_text=_("Shown on the home page."))
    # The hall's screens (kiosks, boards, window displays): see hall.devices and docs/display.md.
    kiosk_tickets_per_minute = models.PositiveSmallIntegerField(
        _("tickets a kiosk may issue a minute"), default=20, validators=[MinValueValidator(1)]
    )
    kiosk_wrong_codes_per_minute = models.PositiveSmallIntegerField(
        _("wrong booking codes a kiosk takes a minute"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("After this many, the kiosk pauses check-in for a minute."),
    )
    unpaired_boards_show_calls = models.BooleanField(
        _("screens that are not set up show calls"),
        default=False,
        help_text=_("Off: only paired boards and window displays show the calls."),
    )

    class Meta:
        verbose_name = _("hall")
        verbose_name_plural = _("halls")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.tz).date()

    def schedule(self) -> calendar.Schedule:
        """The hall's hours as plain data for the pure functions in hall.calendar."""
        return calendar.Schedule(
            timezone=self.timezone,
            weekly=[s.as_calendar() for s in self.weekly_sessions.all()],
            closures=[c.as_calendar() for c in self.closures.all()],
            extra=[e.as_calendar() for e in self.extra_sessions.all()],
            national=HolidaySchedule.entered(),
        )


class CounterKind(models.TextChoices):
    WINDOW = "window", _("window in the hall")
    ONLINE_ROOM = "online_room", _("online room (video appointments)")


class CounterQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def windows(self):
        """The hall's windows in use (not its online room, which is not in the hall)."""
        return self.active().filter(kind=CounterKind.WINDOW)

    def serving(self, service):
        """The hall's windows serving the service: what arrival windows and the queue count (with the
        window's session open, in SQL: queueing/windows.py)."""
        return self.active().filter(services=service, kind=CounterKind.WINDOW)

    def online_rooms(self, service):
        """The online-room counters serving the service by video (网上户籍室): what video slots count."""
        return self.active().filter(services=service, kind=CounterKind.ONLINE_ROOM)


class Counter(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="counters", verbose_name=_("hall"))
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    label = models.CharField(_("label"), max_length=100, blank=True)
    services = models.ManyToManyField(
        "hall.Service", related_name="counters", blank=True, verbose_name=_("services")
    )
    active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(
        _("kind"),
        max_length=12,
        choices=CounterKind.choices,
        default=CounterKind.WINDOW,
        help_text=_("An online room's clerks serve video appointments; it takes no walk-in tickets."),
    )

    objects = CounterQuerySet.as_manager()

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["hall", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "number"], name="counter_number_unique_per_hall")
        ]

    def __str__(self):
        return _("Window %(number)s") % {"number": self.number}

    def clean(self):
        if self.pk and self.services.exclude(hall_id=self.hall_id).exists():
            raise ValidationError(_("A counter can only serve services of its own hall."))


class CounterAbsenceQuerySet(models.QuerySet):
    def overlapping(self, start: dt.datetime, end: dt.datetime):
        return self.filter(start__lt=end, end__gt=start)


class CounterAbsence(models.Model):
    """A period when a counter is unstaffed (its staff are out on a home visit, for example): the arrival
    windows of the services it serves do not count it during that period."""

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="counter_absences", verbose_name=_("hall")
    )
    counter = models.ForeignKey(
        Counter, on_delete=models.CASCADE, related_name="absences", verbose_name=_("counter")
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)

    objects = CounterAbsenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("counter absence")
        verbose_name_plural = _("counter absences")
        ordering = ["hall", "start", "counter"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="counter_absence_start_before_end")
        ]
        indexes = [models.Index(fields=["counter", "start"], name="counter_absence_counter_start")]

    def __str__(self):
        return f"{self.counter} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"
