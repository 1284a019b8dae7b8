"""Home visits (上门服务): a citizen who cannot come to the hall asks for staff to come to them."""

from django.conf import settings
from django.db import models
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from hall.models import CounterAbsence, Hall, Material, Service
from hall.privacy import mask_name, mask_phone


class VisitState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    SCHEDULED = "scheduled", _("approved and scheduled")
    DECLINED = "declined", _("declined")
    CANCELLED = "cancelled", _("cancelled")
    DONE = "done", _("done")
    MATERIALS_MISSING = "materials_missing", _("materials missing")


# The only transitions there are; each one lives in exactly one function of homevisits.services.
TRANSITIONS = {
    VisitState.REQUESTED: {VisitState.SCHEDULED, VisitState.DECLINED, VisitState.CANCELLED},
    VisitState.SCHEDULED: {VisitState.DONE, VisitState.MATERIALS_MISSING, VisitState.CANCELLED},
}
FINISHED_STATES = (VisitState.DECLINED, VisitState.CANCELLED, VisitState.DONE, VisitState.MATERIALS_MISSING)


class VisitReason(models.TextChoices):
    IMMOBILE = "immobile", _("cannot move or leave the bed")
    ELDERLY = "elderly", _("elderly and frail")
    ILL = "ill", _("seriously ill")
    OTHER = "other", _("other reason")


class HomeVisitQuerySet(models.QuerySet):
    def pending_first(self):
        """Requests waiting for a decision first (oldest first), then scheduled visits by date, then the rest
        newest first."""
        order = Case(
            When(state=VisitState.REQUESTED, then=Value(0)),
            When(state=VisitState.SCHEDULED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return self.annotate(_order=order).order_by("_order", "start", "created_at", "id")

    def for_staff_member(self, user):
        return self.filter(staff=user)


class HomeVisit(models.Model):
    token = models.CharField(_("status link token"), max_length=64, unique=True)
    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="home_visits", verbose_name=_("hall")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="home_visits", verbose_name=_("service")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=VisitState.choices, default=VisitState.REQUESTED
    )
    # The person to be served, and who asked.
    person_name = models.CharField(_("name of the person to visit"), max_length=60)
    id_hash = models.CharField(max_length=64, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=18)
    requester_name = models.CharField(_("requested by"), max_length=60)
    relationship = models.CharField(_("relationship to the person"), max_length=40)
    phone = PhoneNumberField(_("mobile"), region="CN")
    reason = models.CharField(_("why a visit is needed"), max_length=10, choices=VisitReason.choices)
    reason_note = models.CharField(_("about the reason"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=300)
    preferred_date_1 = models.DateField(_("preferred date"))
    preferred_date_2 = models.DateField(_("second preferred date"), null=True, blank=True)
    preferred_date_3 = models.DateField(_("third preferred date"), null=True, blank=True)
    contact_notes = models.CharField(_("notes for contact"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # The schedule: a block for two staff members, travel included, that takes counters out of the hall.
    start = models.DateTimeField(_("leaves the hall"), null=True, blank=True)
    end = models.DateTimeField(_("back at the hall"), null=True, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="home_visits", verbose_name=_("staff members")
    )
    absences = models.ManyToManyField(
        CounterAbsence, blank=True, related_name="home_visits", verbose_name=_("counters left closed")
    )
    decision_note = models.CharField(_("reason given"), max_length=300, blank=True)
    # The outcome, like a counter's: done, or materials missing with the list.
    missing = models.ManyToManyField(Material, blank=True, verbose_name=_("missing materials"))
    missing_note = models.TextField(_("also missing"), blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = HomeVisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["hall", "state"], name="home_visit_hall_state")]

    def __str__(self):
        return f"{self.service_id} {self.created_at:%Y-%m-%d} {self.state}"

    @property
    def preferred_dates(self) -> list:
        return [d for d in (self.preferred_date_1, self.preferred_date_2, self.preferred_date_3) if d]

    @property
    def person_name_masked(self) -> str:
        return mask_name(self.person_name)

    @property
    def requester_name_masked(self) -> str:
        return mask_name(self.requester_name)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_pending(self) -> bool:
        return self.state == VisitState.REQUESTED

    @property
    def is_scheduled(self) -> bool:
        return self.state == VisitState.SCHEDULED

    @property
    def can_cancel(self) -> bool:
        return VisitState.CANCELLED in TRANSITIONS.get(self.state, ())

    def can_move_to(self, state: str) -> bool:
        return state in TRANSITIONS.get(self.state, ())

    def has_staff_member(self, user) -> bool:
        return any(member.pk == user.pk for member in self.staff.all())


class HomeVisitEvent(models.Model):
    """Every state change of a home visit: who, when, from which state to which."""

    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(max_length=20)  # web, staff, system
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("home visit event")
        verbose_name_plural = _("home visit events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.visit_id}: {self.from_state} → {self.to_state}"

    @property
    def from_label(self) -> str:
        return VisitState(self.from_state).label if self.from_state else ""

    @property
    def to_label(self) -> str:
        return VisitState(self.to_state).label
