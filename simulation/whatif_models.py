"""A supervisor's what-if run: the plan it started from, the counters and walk-in level they chose, and
what the simulated day predicted. Kept with the plan's date, so the staffing plan page can list its runs."""

from django.conf import settings
from django.db import models

from hall.models import Hall
from simulation.job_models import SimulationJob


class WhatIfRun(SimulationJob):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="what_if_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    date = models.DateField(help_text="The day of the staffing plan the run started from.")
    day_type = models.CharField(max_length=20)  # simulation.scenario.DAY_TYPES
    walk_in_percent = models.PositiveSmallIntegerField(default=100)
    seed = models.PositiveIntegerField(default=1)
    # Clock hour ("8") -> counters open: the plan's recommendation and the supervisor's choice.
    plan_counters = models.JSONField(default=dict)
    counters = models.JSONField(default=dict)
    job_id = models.CharField(max_length=64, blank=True)
    # result: simulation.whatif.result_of (same inputs, same result); error: a code of simulation.whatif

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["hall", "date"])]

    def __str__(self):
        return f"what-if {self.pk} {self.hall_id} {self.date}"

    @property
    def within_percent(self) -> int | None:
        """The share of the day's called citizens called within the target, in whole %."""
        share = (self.result or {}).get("within_target")
        return None if share is None else round(100 * share)

    def hours(self) -> list[tuple[int, int, int | None]]:
        """(hour, counters chosen, counters planned) in clock order."""
        return [
            (int(hour), count, self.plan_counters.get(hour))
            for hour, count in sorted(self.counters.items(), key=lambda item: int(item[0]))
        ]
