"""The simulation app's models, one module per concept."""

from simulation.job_models import JobState  # noqa: F401
from simulation.plan_check_models import PlanCheck  # noqa: F401
from simulation.whatif_models import WhatIfRun  # noqa: F401
