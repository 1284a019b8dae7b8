"""Hard questions sent up a known chain (window → 治安大队 → 市局治安支队) and the answer that comes back to
whoever took the question first (首问责任). Part of consultations.models, which re-exports these models.

The levels above the window are outside the hall's software: the clerk records each level's named owner
(a person or a unit) and, when it comes, the answer on their behalf (docs/decisions.md, "Escalations").
An escalation links to what was escalated by a nullable foreign key per kind of matter (a consultation today,
a video matter later) rather than a generic relation, so every link is a real, joinable foreign key."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hall.models import Hall


class EscalationLevel(models.Model):
    """One level of a hall's chain above the window (rank 1 the first), with its name in both languages
    (django-modeltranslation: name_zh_hans, name_en) and how many working days it has to answer."""

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="escalation_levels", verbose_name=_("hall")
    )
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 for the level just above the window."))
    name = models.CharField(_("name"), max_length=60)
    working_days = models.PositiveSmallIntegerField(
        _("working days to answer"), help_text=_("Counted from the next working morning.")
    )

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["hall", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "rank"], name="escalation_level_rank_once"),
            models.CheckConstraint(condition=models.Q(rank__gte=1), name="escalation_level_above_window"),
            models.CheckConstraint(condition=models.Q(working_days__gte=1), name="escalation_level_has_days"),
        ]

    def __str__(self):
        return str(self.name)


class EscalationState(models.TextChoices):
    OPEN = "open", _("waiting for the answer")
    ANSWERED = "answered", _("answered, to pass on")
    PASSED_ON = "passed_on", _("passed on to the citizen")


class PassedOnBy(models.TextChoices):
    PHONE = "phone", _("by phone")
    SMS = "sms", _("by text message")


class EscalationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=EscalationState.OPEN)

    def overdue(self, now: dt.datetime):
        return self.open().filter(deadline__lt=now)

    def to_pass_on(self):
        return self.filter(state=EscalationState.ANSWERED)


class Escalation(models.Model):
    """A question sent up the chain: the level it waits at, that level's named owner and deadline, and the
    answer once recorded. `first_taker` is who took the question first: the answer comes back to them."""

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("hall")
    )
    # What was escalated: one nullable link per kind of matter (a video matter adds its own).
    consultation = models.OneToOneField(
        "consultations.Consultation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="escalation",
        verbose_name=_("consultation"),
    )
    first_taker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="escalations",
        verbose_name=_("first taker (首问责任)"),
    )
    question = models.CharField(_("question"), max_length=300)
    state = models.CharField(
        _("state"), max_length=10, choices=EscalationState.choices, default=EscalationState.OPEN
    )
    level = models.ForeignKey(
        EscalationLevel, on_delete=models.PROTECT, related_name="+", verbose_name=_("level")
    )
    owner_name = models.CharField(_("owner at this level"), max_length=60)
    escalated_at = models.DateTimeField(_("escalated at"))
    deadline = models.DateTimeField(_("deadline"))
    answer = models.TextField(_("answer"), max_length=1000, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    passed_on_at = models.DateTimeField(_("passed on at"), null=True, blank=True)
    passed_on_by = models.CharField(_("passed on"), max_length=5, choices=PassedOnBy.choices, blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["hall", "state", "deadline"], name="escalation_hall_state_due")]

    def __str__(self):
        return _("Escalation %(id)s") % {"id": self.pk}

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.state == EscalationState.OPEN and self.deadline < now


class EscalationEvent(models.Model):
    """Every change of an escalation: who (the staff member who recorded it), when, from which state to
    which, at which level and owner; `note` names the level. The audit page reads these (reports/audit.py)."""

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="events", verbose_name=_("escalation")
    )
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    from_state = models.CharField(_("from"), max_length=10, choices=EscalationState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=10, choices=EscalationState.choices)
    level = models.ForeignKey(
        EscalationLevel, on_delete=models.PROTECT, related_name="+", verbose_name=_("level")
    )
    owner_name = models.CharField(_("owner at this level"), max_length=60)
    deadline = models.DateTimeField(_("deadline"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("escalation event")
        verbose_name_plural = _("escalation events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.from_state or '-'} → {self.to_state}"
