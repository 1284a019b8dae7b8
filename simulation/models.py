"""The simulation app's models, one module per concept."""

from simulation.plan_check_models import PlanCheck, PlanCheckState  # noqa: F401
from simulation.whatif_models import RunState, WhatIfRun  # noqa: F401
