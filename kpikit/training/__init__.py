"""Training: guided workbooks whose exercises check the trainee's answers.

Each exercise in :data:`EXERCISES` (keyed like ``"m1.cost_per_like"``) has a
scenario generated from a seed, an expected answer computed from that
scenario, a tolerance for honest rounding, and a list of common mistakes, each
a function computing the wrong-but-plausible answer, with feedback and a hint.

Examples
--------
>>> from kpikit import training
>>> ex = training.exercise("m1.cost_per_like", seed=7)
>>> result = training.check("m1.cost_per_like", ..., seed=7)
>>> result.status, result.passed
('blank', False)
>>> training.check("m1.cost_per_like", ex.exercise.solve(seed=7), seed=7).passed
True
"""

from kpikit.training import m1_vanity as _m1  # noqa: F401  (registers exercises)
from kpikit.training import m2_exports as _m2  # noqa: F401
from kpikit.training import m3_funnel as _m3  # noqa: F401
from kpikit.training import m4_attribution as _m4  # noqa: F401
from kpikit.training import m5_alignment as _m5  # noqa: F401
from kpikit.training._core import EXERCISES, Assignment, CheckResult, Exercise, Mistake, Scenario, check, exercise
from kpikit.training.progress import Progress, progress, reset_progress
from kpikit.training.scenarios import practice_model, sample_config, sample_model

MODULES: dict[str, str] = {
    "m1": "Vanity vs value",
    "m2": "Reading a client's exports",
    "m3": "The funnel and the cost per real outcome",
    "m4": "Attribution",
    "m5": "KPI alignment and incentives",
}

__all__ = [
    "EXERCISES",
    "MODULES",
    "Assignment",
    "CheckResult",
    "Exercise",
    "Mistake",
    "Progress",
    "Scenario",
    "check",
    "exercise",
    "practice_model",
    "progress",
    "reset_progress",
    "sample_config",
    "sample_model",
]
