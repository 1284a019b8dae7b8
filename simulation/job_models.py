"""What a row run by a simulation job (simulation/jobs.py) keeps: its state, when it started and finished,
its result, and why it failed. Shared by the what-if runs and the plan checks."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued", _("waiting for the worker")
    RUNNING = "running", _("simulating")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class SimulationJob(models.Model):
    state = models.CharField(_("state"), max_length=10, choices=JobState, default=JobState.QUEUED)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        abstract = True

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def pending(self) -> bool:
        return not self.finished

    @classmethod
    def claim(cls, pk: int) -> bool:
        """Mark a queued row running now; False if it is not queued (gone, or delivered a second time)."""
        return bool(
            cls.objects.filter(pk=pk, state=JobState.QUEUED).update(
                state=JobState.RUNNING, started_at=timezone.now()
            )
        )

    @classmethod
    def finish(cls, pk: int, state: str, *, only_from: str | None = None, **fields) -> int:
        """Mark the row done or failed now (only if it is still `only_from`, when given)."""
        rows = cls.objects.filter(pk=pk, **({"state": only_from} if only_from else {}))
        return rows.update(state=state, finished_at=timezone.now(), **fields)
