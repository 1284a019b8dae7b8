"""Opening hours: weekly sessions, closures, extra sessions and the national holiday schedule, as rows;
hall.calendar computes with them. Part of hall.models, which re-exports every model; import them from
there."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hall import calendar


class SessionKind(models.TextChoices):
    REGULAR = "regular", _("regular hours")
    EXTENDED = "extended", _("extended hours")
    WEEKEND_DUTY = "weekend_duty", _("weekend duty")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class TimeRange(models.Model):
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        abstract = True

    def clean(self):
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValidationError(_("The end must be later than the start."))


class WeeklySession(TimeRange):
    hall = models.ForeignKey(
        "hall.Hall", on_delete=models.CASCADE, related_name="weekly_sessions", verbose_name=_("hall")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    kind = models.CharField(
        _("kind"), max_length=20, choices=SessionKind.choices, default=SessionKind.REGULAR
    )

    class Meta:
        verbose_name = _("weekly session")
        verbose_name_plural = _("weekly sessions")
        ordering = ["hall", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="weekly_session_start_before_end")
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def as_calendar(self):
        return calendar.WeeklySession(self.weekday, self.start, self.end, self.kind)


class Closure(models.Model):
    hall = models.ForeignKey(
        "hall.Hall", on_delete=models.CASCADE, related_name="closures", verbose_name=_("hall")
    )
    date = models.DateField(_("date"))
    start = models.TimeField(_("from"), null=True, blank=True, help_text=_("Empty: the whole day."))
    end = models.TimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["hall", "date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True) | Q(start__lt=F("end")),
                name="closure_whole_day_or_range",
            )
        ]

    def __str__(self):
        return f"{self.date} {self.reason}"

    def clean(self):
        if (self.start is None) != (self.end is None):
            raise ValidationError(_("Give both a start and an end, or neither for the whole day."))
        if self.start is not None and self.start >= self.end:
            raise ValidationError(_("The end must be later than the start."))

    def as_calendar(self):
        return calendar.Closure(self.date, self.start, self.end, self.reason)


class ExtraSession(TimeRange):
    hall = models.ForeignKey(
        "hall.Hall", on_delete=models.CASCADE, related_name="extra_sessions", verbose_name=_("hall")
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("extra session")
        verbose_name_plural = _("extra sessions")
        ordering = ["hall", "date", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="extra_session_start_before_end")
        ]

    def __str__(self):
        return f"{self.date} {self.start:%H:%M}–{self.end:%H:%M}"

    def as_calendar(self):
        return calendar.ExtraSession(self.date, self.start, self.end, self.reason)


class HolidaySchedule(models.Model):
    """A year's State Council holiday schedule, entered by a supervisor or administrator
    (hall.services.enter_holiday_schedule); it wins over the holiday libraries for that year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    # [{"name": a festival key of hall.calendar.FESTIVALS, "first": "2027-01-01", "last": "2027-01-03"}]
    holidays = models.JSONField(_("holidays"), default=list)
    workdays = models.JSONField(_("make-up workdays"), default=list)  # ["2027-02-20", ...]
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)

    class Meta:
        verbose_name = _("holiday schedule")
        verbose_name_plural = _("holiday schedules")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)

    def as_calendar(self) -> calendar.NationalYear:
        return calendar.NationalYear(
            year=self.year,
            holidays=tuple(
                calendar.HolidayRange(
                    dt.date.fromisoformat(h["first"]), dt.date.fromisoformat(h["last"]), h["name"]
                )
                for h in self.holidays
            ),
            workdays=frozenset(dt.date.fromisoformat(d) for d in self.workdays),
        )

    @classmethod
    def entered(cls) -> dict[int, calendar.NationalYear]:
        return {s.year: s.as_calendar() for s in cls.objects.all()}
