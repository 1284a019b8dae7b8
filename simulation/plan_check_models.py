"""A staffing plan checked by the simulator (simulation/plan_check.py): asked for from the plan page, run
in an RQ job (simulation/plan_check_jobs.py), its result kept for the page (the latest per hall and day)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hall.models import Hall
from simulation.job_models import SimulationJob


class PlanCheck(SimulationJob):
    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="plan_checks", verbose_name=_("hall")
    )
    date = models.DateField(_("day of the plan"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked for at"), auto_now_add=True)
    # result: simulation.plan_check.Check.as_dict() (the plan the page showed, the checked plan, every plan
    # tried); the state, times and error: simulation.job_models

    class Meta:
        verbose_name = _("staffing plan check")
        verbose_name_plural = _("staffing plan checks")
        indexes = [models.Index(fields=["hall", "date", "-requested_at"], name="plancheck_hall_date")]

    def __str__(self) -> str:
        return f"{self.hall.slug} {self.date} {self.state}"
