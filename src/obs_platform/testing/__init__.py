"""The offline engine, for users' tests and for ``obs-platform plan``.

Run a program directory or a function under Pulumi's mock monitor with the real provider
classes and get back a :class:`Plan` of every registration::

    from obs_platform.testing import run

    def program():
        Ipam("core", IpamArgs(...))

    plan = run(program, config={"aws:region": "eu-west-1"})
    assert plan.get("core-ipam").region == "eu-west-1"

The pytest fixture ``offline_engine`` (installed with the package) does the same inside tests.
"""

from ._answers import DEFAULT_ACCOUNT_ID, ResourceContext, answers
from ._limits import ProgramExitError, ProgramStopError, ProgramTimeoutError
from ._project import Program, ProjectError, load_program, offline_secret
from .engine import ProgramError, run, run_program
from .plan import PLAN_FORMAT, Plan, PlanResource

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "PLAN_FORMAT",
    "Plan",
    "PlanResource",
    "Program",
    "ProgramError",
    "ProgramExitError",
    "ProgramStopError",
    "ProgramTimeoutError",
    "ProjectError",
    "ResourceContext",
    "answers",
    "load_program",
    "offline_secret",
    "run",
    "run_program",
]
