from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from hall.models import Counter, Hall, Service
from queueing.models import Ticket


class ReportSettings(models.Model):
    """A hall's targets for the supervisor's reports and the staffing plan; a hall without a row uses the
    defaults below. A model rather than a setting: targets differ between a busy city hall and a two-window
    police station, and supervisors change them in the admin without a deployment."""

    hall = models.OneToOneField(
        Hall, on_delete=models.CASCADE, related_name="report_settings", verbose_name=_("hall")
    )
    target_wait_minutes = models.PositiveSmallIntegerField(
        _("target wait (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Citizens should be called within this time after taking a ticket."),
    )
    # The staffing plan's goal, which the simulated plan check checks too: 90 % unless set (issue 19).
    service_level_percent = models.PositiveSmallIntegerField(
        _("share called within the target (%)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("The staffing plan suggests enough counters for this share."),
    )
    history_weeks = models.PositiveSmallIntegerField(
        _("weeks of history for expected walk-ins"),
        default=6,
        validators=[MinValueValidator(4), MaxValueValidator(8)],
    )
    # A poor rating's case (差评回访整改): the national rules ask for a call back within one working day and
    # a resolution within 15; a hall may set shorter (or, where its province allows, longer) deadlines.
    call_back_working_days = models.PositiveSmallIntegerField(
        _("call back within (working days)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(15)],
        help_text=_("A poor rating's citizen is called back within this many working days."),
    )
    resolve_working_days = models.PositiveSmallIntegerField(
        _("resolve within (working days)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("A poor rating's case is resolved within this many working days."),
    )

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")

    def __str__(self):
        return str(self.hall)


class Score(models.IntegerChoices):
    VERY_SATISFIED = 5, _("very satisfied")
    SATISFIED = 4, _("satisfied")
    FAIRLY_SATISFIED = 3, _("fairly satisfied")
    DISSATISFIED = 2, _("dissatisfied")
    VERY_DISSATISFIED = 1, _("very dissatisfied")


# A rating at or below this opens a follow-up case (差评回访).
FOLLOW_UP_AT_MOST = 2


class RatingQuerySet(models.QuerySet):
    def for_period(self, hall, first, last):
        return self.filter(hall=hall, date__gte=first, date__lte=last)

    def published(self):
        return self.filter(published=True).exclude(comment="")


class Rating(models.Model):
    """A citizen's rating of one served ticket (好差评). Hall, service, counter, staff member and date are
    copied from the ticket so that the reports aggregate ratings without joining the tickets."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("hall"))
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("service")
    )
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ratings",
        verbose_name=_("counter"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ratings",
        verbose_name=_("staff member"),
    )
    date = models.DateField(_("date of the visit"))
    score = models.PositiveSmallIntegerField(_("rating"), choices=Score.choices)
    comment = models.TextField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("rated"))
    # The comment book (意见簿) shows only comments a supervisor has published.
    published = models.BooleanField(_("shown in the comment book"), default=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reply = models.TextField(_("the hall's reply"), max_length=500, blank=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["hall", "date"], name="rating_hall_date"),
            models.Index(fields=["hall", "published", "-created_at"], name="rating_comment_book"),
        ]

    def __str__(self):
        return f"{self.ticket_id}: {self.score}"

    @property
    def needs_follow_up(self) -> bool:
        return self.score <= FOLLOW_UP_AT_MOST


class CaseState(models.TextChoices):
    OPEN = "open", _("open")
    CALLED_BACK = "called_back", _("called back")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")


class FollowUpQuerySet(models.QuerySet):
    def for_hall(self, hall):
        return self.filter(hall=hall)

    def unfinished(self):
        return self.exclude(state=CaseState.CLOSED)


class FollowUp(models.Model):
    """A poor rating's follow-up (差评回访整改): call the citizen back within one working day, resolve
    within 15 working days. Working days come from the hall's own calendar."""

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="follow_up")
    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("hall")
    )
    state = models.CharField(_("state"), max_length=12, choices=CaseState.choices, default=CaseState.OPEN)
    opened_at = models.DateTimeField(_("opened"))
    call_back_by = models.DateField(_("call back by"))
    resolve_by = models.DateField(_("resolve by"))
    called_back_at = models.DateTimeField(_("called back"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up case")
        verbose_name_plural = _("follow-up cases")
        ordering = ["call_back_by", "id"]
        indexes = [models.Index(fields=["hall", "state", "call_back_by"], name="follow_up_list")]

    def __str__(self):
        return f"{self.rating_id} {self.state}"

    @property
    def number(self) -> str:
        """The case number the province's platform and the citizen are told: HC, opening date (the hall's,
        as its deadlines), id."""
        return f"HC{self.hall.local_date(self.opened_at):%Y%m%d}{self.pk:05d}"

    def is_call_back_late(self, today) -> bool:
        return self.state == CaseState.OPEN and today > self.call_back_by

    def is_resolution_late(self, today) -> bool:
        return self.state in (CaseState.OPEN, CaseState.CALLED_BACK) and today > self.resolve_by


class FollowUpNote(models.Model):
    case = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    text = models.TextField(_("note"), max_length=2000)
    at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("follow-up note")
        verbose_name_plural = _("follow-up notes")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.case_id} {self.at:%Y-%m-%d}"

    @property
    def to_state_label(self) -> str:
        return CaseState(self.to_state).label if self.to_state else ""


class WrittenComment(models.Model):
    """A comment written in the comment book (意见簿) without a ticket: a citizen may write before being
    served, or without being served at all. The supervisor reads it beside the ratings' comments."""

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="written_comments", verbose_name=_("hall")
    )
    text = models.TextField(_("comment"), max_length=500)
    # Optional, for a call back: shown masked to the supervisor, in full on request (audited) to call.
    phone = PhoneNumberField(_("mobile"), region="CN", blank=True)
    created_at = models.DateTimeField(_("written"))
    # As a rating's comment: the comment book shows it only once a supervisor has published it.
    published = models.BooleanField(_("shown in the comment book"), default=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reply = models.TextField(_("the hall's reply"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("comment without a ticket")
        verbose_name_plural = _("comments without a ticket")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["hall", "-created_at"], name="written_comment_hall")]

    def __str__(self):
        return f"{self.hall_id}: {self.created_at:%Y-%m-%d}"
