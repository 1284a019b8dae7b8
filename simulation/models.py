from simulation.whatif_models import RunState, WhatIfRun  # noqa: F401 - the app's models
