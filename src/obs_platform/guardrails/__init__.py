"""Guardrails: security and data-safety rules over a plan.

The library's defaults are secure; guardrails keep them so as programs are customised, and give
reviewers a gate before ``pulumi up``. Each rule is a pure function over a
:class:`~obs_platform.testing.Plan` with an ID, a severity, a one-line rationale and the fix::

    from obs_platform.guardrails import check_plan
    from obs_platform.testing import run_program

    report = check_plan(run_program("examples/shared-account"))
    for violation in report.errors:
        print(violation.rule, violation.name, violation.detail, violation.fix)

The same rules run as ``obs-platform check PROGRAM_DIR`` and, through
:mod:`obs_platform.guardrails.crossguard`, as a Pulumi CrossGuard policy pack. Waivers are
per resource, with a printed reason, in ``guardrails.yaml`` (see
:mod:`obs_platform.guardrails.config`) or ``--waive RULE:RESOURCE=REASON``.
"""

from ._model import (
    CHECK_FORMAT,
    Finding,
    GuardrailsConfig,
    Report,
    Rule,
    RuleContext,
    Scope,
    Severity,
    Violation,
    Waiver,
)
from .config import CONFIG_FILE, load_config, parse_waiver
from .rules import RULES, rule, rule_ids
from .runner import check_plan, evaluate

__all__ = [
    "CHECK_FORMAT",
    "CONFIG_FILE",
    "RULES",
    "Finding",
    "GuardrailsConfig",
    "Report",
    "Rule",
    "RuleContext",
    "Scope",
    "Severity",
    "Violation",
    "Waiver",
    "check_plan",
    "evaluate",
    "load_config",
    "parse_waiver",
    "rule",
    "rule_ids",
]
