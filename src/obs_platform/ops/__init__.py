"""DR operations against AWS: status, failover, failback and drills.

The pure parts (what to act on, which steps in which order, the budget each step is measured
against) live in :mod:`~obs_platform.ops.model`, :mod:`~obs_platform.ops.plan_targets` and
:mod:`~obs_platform.ops.steps`; the boto3 calls in :mod:`~obs_platform.ops.actions` and
:mod:`~obs_platform.ops.runner`. The command line is ``obs-platform dr``.
"""

from __future__ import annotations

from .aws import AwsContext
from .drill import run_drill
from .errors import OpsError
from .model import DrTargets, HealthCheckRef, NodeGroupRef, RtoBudget
from .resolve import TargetArgs, build_targets
from .runner import OperationResult, Runner, RunOptions, StepResult
from .status import collect_status, render_status
from .steps import Direction, Engine, Mode, OperationSpec, Step, StepKind, plan_steps

__all__ = [
    "AwsContext",
    "Direction",
    "DrTargets",
    "Engine",
    "HealthCheckRef",
    "Mode",
    "NodeGroupRef",
    "OperationResult",
    "OperationSpec",
    "OpsError",
    "RtoBudget",
    "RunOptions",
    "Runner",
    "Step",
    "StepKind",
    "StepResult",
    "TargetArgs",
    "build_targets",
    "collect_status",
    "plan_steps",
    "render_status",
    "run_drill",
]
