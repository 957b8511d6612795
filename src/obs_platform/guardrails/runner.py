"""Run the rules over a plan, apply waivers, and report."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._model import GuardrailsConfig, Report, Rule, RuleContext, Violation, Waiver
from .rules import RULES

if TYPE_CHECKING:
    from ..testing.plan import Plan


def evaluate(
    plan: Plan, config: GuardrailsConfig | None = None, rules: Iterable[Rule] = RULES
) -> list[Violation]:
    """Return every violation of ``rules`` in ``plan``, waived ones marked with their reason.

    Args:
        plan: The plan to check (from :func:`obs_platform.testing.run` or ``run_program``).
        config: Required tags, allowed external principals, default tags and waivers.
        rules: The rules to run; all of :data:`~obs_platform.guardrails.RULES` by default.
    """
    return _evaluate(plan, config or GuardrailsConfig(), tuple(rules))[0]


def _evaluate(
    plan: Plan, config: GuardrailsConfig, rules: tuple[Rule, ...]
) -> tuple[list[Violation], set[Waiver]]:
    ctx = RuleContext(plan=plan, config=config)
    violations: list[Violation] = []
    used: set[Waiver] = set()
    for rule in rules:
        seen: set[tuple[str, str]] = set()
        for finding in rule.check(ctx):
            key = (finding.resource.urn, finding.detail)
            if key in seen:
                continue
            seen.add(key)
            waiver = next((w for w in config.waivers if w.matches(rule.id, finding.resource)), None)
            if waiver is not None:
                used.add(waiver)
            violations.append(
                Violation(
                    rule=rule.id,
                    severity=rule.severity,
                    urn=finding.resource.urn,
                    name=finding.resource.name,
                    type=finding.resource.type,
                    detail=finding.detail,
                    rationale=rule.rationale,
                    fix=rule.fix,
                    waived=waiver.reason if waiver is not None else None,
                )
            )
    return violations, used


def check_plan(
    plan: Plan, config: GuardrailsConfig | None = None, rules: Iterable[Rule] = RULES
) -> Report:
    """Check a plan against the guardrails and return the report.

    Args:
        plan: The plan to check.
        config: The run's settings; defaults require only the library's tag.
        rules: The rules to run.

    Returns:
        A :class:`Report`; ``report.passed`` is False when an unwaived error remains.

    Example::

        plan = run_program("examples/shared-account")
        report = check_plan(plan)
        assert report.passed, [v.detail for v in report.errors]
    """
    config = config or GuardrailsConfig()
    chosen = tuple(rules)
    violations, used = _evaluate(plan, config, chosen)
    unused = tuple(w for w in config.waivers if w not in used)
    return Report(
        project=plan.project,
        stack=plan.stack,
        rules=tuple(r.id for r in chosen),
        violations=tuple(violations),
        unused_waivers=unused,
    )
