"""Consultations (咨询) logged by a hall's staff, and the call-backs some of them need (首问责任)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from consultations.escalation_models import (  # noqa: F401 - re-exported: import models from here
    Escalation,
    EscalationEvent,
    EscalationLevel,
    EscalationState,
    PassedOnBy,
)
from hall.models import Hall, Service
from hall.privacy import mask_name, mask_phone


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    ONLINE = "online", _("online message")
    WALK_UP = "walk_up", _("walk-up")


class Result(models.TextChoices):
    ANSWERED = "answered", _("answered")
    CALL_BACK = "call_back", _("call back needed")


class ConsultationQuerySet(models.QuerySet):
    def between(self, start: dt.datetime, end: dt.datetime):
        return self.filter(at__gte=start, at__lt=end)


class Consultation(models.Model):
    """One question answered (or taken on) by staff. The topic is free text about the matter, not the person:
    contact data are kept only on a call-back."""

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="consultations", verbose_name=_("hall")
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="consultations",
        verbose_name=_("taken by"),
    )
    at = models.DateTimeField(_("time"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("service"),
        help_text=_("Empty: a general question."),
    )
    topic = models.CharField(_("topic"), max_length=200)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["hall", "at"], name="consultation_hall_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_channel_display()} {self.topic}"


class CallBackState(models.TextChoices):
    OPEN = "open", _("open (to call back)")
    DONE = "done", _("done (answered)")
    UNREACHABLE = "unreachable", _("unreachable")
    CLOSED = "closed", _("closed")


class CallBackQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=CallBackState.OPEN)

    def overdue(self, now: dt.datetime):
        return self.open().filter(deadline__lt=now)

    def owned_by(self, user):
        return self.filter(owner=user)

    def in_order(self):
        """Earliest due first: what is overdue or due today comes before what is due later."""
        return self.order_by("due_at", "id")


class CallBack(models.Model):
    """A promise to call a citizen back, owned by the staff member who took the consultation."""

    consultation = models.OneToOneField(
        Consultation, on_delete=models.CASCADE, related_name="call_back", verbose_name=_("consultation")
    )
    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="call_backs", verbose_name=_("hall")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="call_backs",
        verbose_name=_("owner"),
    )
    mobile = PhoneNumberField(_("mobile"), region="CN")
    name = models.CharField(_("name"), max_length=50, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=CallBackState.choices, default=CallBackState.OPEN
    )
    due_at = models.DateTimeField(_("due"))
    deadline = models.DateTimeField(_("deadline"))
    done_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    unreachable_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    objects = CallBackQuerySet.as_manager()

    class Meta:
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["hall", "state", "due_at"], name="call_back_hall_state_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(unreachable_at__isnull=True),
                name="call_back_done_or_unreachable",
            )
        ]

    def __str__(self):
        return _("Call-back %(id)s") % {"id": self.pk}

    @property
    def mobile_masked(self) -> str:
        return mask_phone(self.mobile)

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.state == CallBackState.OPEN and self.deadline < now

    def done_on_time(self) -> bool | None:
        """True or False once answered; None while not answered."""
        return None if self.done_at is None else self.done_at <= self.deadline


class AttemptResult(models.TextChoices):
    ANSWERED = "answered", _("reached and answered")
    NO_ANSWER = "no_answer", _("no answer")
    BUSY = "busy", _("busy")
    SWITCHED_OFF = "switched_off", _("switched off or out of service")
    WRONG_NUMBER = "wrong_number", _("wrong number")


class CallAttempt(models.Model):
    call_back = models.ForeignKey(
        CallBack, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("call-back")
    )
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    result = models.CharField(_("result"), max_length=15, choices=AttemptResult.choices)

    class Meta:
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_result_display()}"


class CallBackEvent(models.Model):
    """Every change of a call-back: who, when, from which state to which (a reassignment keeps the state
    and names the owners)."""

    call_back = models.ForeignKey(
        CallBack, on_delete=models.CASCADE, related_name="events", verbose_name=_("call-back")
    )
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    from_state = models.CharField(_("from"), max_length=12, choices=CallBackState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=CallBackState.choices)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous owner"),
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new owner"),
    )

    class Meta:
        verbose_name = _("call-back event")
        verbose_name_plural = _("call-back events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.from_state or '-'} → {self.to_state}"
