"""The hall's services with their guides (办事指南) and required materials, and temporary notices about them.
Part of hall.models, which re-exports every model; import them from there."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hall.halls import Hall


class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def bookable(self):
        return self.active().filter(bookable=True)


class Service(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="services", verbose_name=_("hall"))
    code = models.SlugField(_("code"), max_length=40)
    prefix = models.CharField(
        _("ticket prefix"),
        max_length=1,
        validators=[RegexValidator(r"^[A-Z]$", _("Use one capital letter A–Z."))],
    )
    name = models.CharField(_("name"), max_length=100)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    average_handling_minutes = models.PositiveSmallIntegerField(
        _("average handling minutes"), default=10, validators=[MinValueValidator(1)]
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("arrival window minutes"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    bookable = models.BooleanField(_("bookable online"), default=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The guide (办事指南).
    eligibility = models.TextField(_("who can apply"), blank=True)
    fees = models.TextField(_("fees"), blank=True)
    time_limit = models.CharField(_("legal time limit"), max_length=200, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(
        _("legal time limit in days"),
        null=True,
        blank=True,
        help_text=_("Calendar days from acceptance; empty: the hall's default number of working days."),
    )
    steps = models.TextField(_("steps"), blank=True, help_text=_("One step per line."))
    notes = models.TextField(_("notes"), blank=True)
    online_url = models.URLField(_("online application link"), blank=True)
    by_post = models.BooleanField(_("can be finished by post"), default=False)
    home_visit = models.BooleanField(_("home visits possible"), default=False)
    by_video = models.BooleanField(
        _("can be done by video"),
        default=False,
        help_text=_("The citizen may book a video appointment with the online room instead of coming."),
    )
    video_needs = models.TextField(
        _("what to have at hand for the video call"),
        blank=True,
        help_text=_("One item per line, e.g. your resident ID card to hold up to the camera."),
    )
    video_questions = models.TextField(
        _("questions the clerk asks on the video call"),
        blank=True,
        help_text=_("One per line: shown on the clerk's identity checklist."),
    )

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["hall", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "code"], name="service_code_unique_per_hall"),
            models.UniqueConstraint(fields=["hall", "prefix"], name="service_prefix_unique_per_hall"),
        ]

    def __str__(self):
        return f"{self.prefix} {self.name}"

    @property
    def step_list(self) -> list[str]:
        return [line.strip() for line in self.steps.splitlines() if line.strip()]

    @property
    def video_needs_list(self) -> list[str]:
        return [line.strip() for line in self.video_needs.splitlines() if line.strip()]

    @property
    def video_question_list(self) -> list[str]:
        return [line.strip() for line in self.video_questions.splitlines() if line.strip()]


class Material(models.Model):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="materials", verbose_name=_("service")
    )
    name = models.CharField(_("material"), max_length=200)
    note = models.CharField(
        pgettext_lazy("remark on a required document", "note"), max_length=300, blank=True
    )
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["service", "position", "id"]

    def __str__(self):
        return self.name


class NoticeQuerySet(models.QuerySet):
    def current(self, now: dt.datetime):
        """Notices valid at `now`: an expired one drops out on the next read, no restart needed."""
        return self.filter(valid_from__lte=now, valid_until__gt=now)

    def for_service(self, service: "Service"):
        """Notices about this service, and hall-wide ones (no services chosen)."""
        return self.filter(Q(services=service) | Q(services__isnull=True)).distinct()


class Notice(models.Model):
    """A temporary notice about documents or arrangements (公告), e.g. certificates valid longer during an
    emergency; shown on the affected services' guides, the hall's home page and the board while valid."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="notices", verbose_name=_("hall"))
    title = models.CharField(_("title"), max_length=120, help_text=_("Short: the board shows it from afar."))
    body = models.TextField(_("text"), blank=True)
    services = models.ManyToManyField(
        Service,
        related_name="notices",
        blank=True,
        verbose_name=_("affected services"),
        help_text=_("None: the notice concerns the whole hall."),
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("published by"),
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["hall", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__lt=F("valid_until")), name="notice_valid_from_before_until"
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise ValidationError({"valid_until": _("The end of validity must be later than its start.")})

    def is_current(self, now: dt.datetime) -> bool:
        return self.valid_from <= now < self.valid_until
