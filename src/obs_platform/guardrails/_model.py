"""The data of a guardrails run: rules, findings, waivers, violations and the report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .._internal.tags import MANAGED_BY_KEY

if TYPE_CHECKING:
    from ..testing.plan import Plan, PlanResource

CHECK_FORMAT = "obs-platform.check/1"
"""The version tag of the ``obs-platform check --json`` report format."""


class Severity(StrEnum):
    """How much a broken rule matters.

    ``error`` fails ``obs-platform check`` (exit 1) and is MANDATORY in the CrossGuard pack;
    ``warning`` is printed and is ADVISORY.
    """

    ERROR = "error"
    WARNING = "warning"


class Scope(StrEnum):
    """What a rule needs to see.

    ``resource`` rules judge each resource from its own inputs and options, so CrossGuard runs
    them as resource policies; ``stack`` rules relate resources to each other (a bucket and its
    encryption configuration) and run as stack policies.
    """

    RESOURCE = "resource"
    STACK = "stack"


@dataclass(frozen=True)
class Finding:
    """One resource that breaks a rule.

    Attributes:
        resource: The resource at fault.
        detail: What exactly is wrong with it, with the value found.
    """

    resource: PlanResource
    detail: str


@dataclass(frozen=True)
class Waiver:
    """Permission for one resource to break one rule, with the reason printed on every run.

    Attributes:
        rule: The rule's ID.
        resource: The resource's logical name or its full URN.
        reason: Why the exception is acceptable (who decided, until when); never empty.
    """

    rule: str
    resource: str
    reason: str

    def matches(self, rule_id: str, resource: PlanResource) -> bool:
        """Return whether this waiver covers ``resource`` for ``rule_id``."""
        return self.rule == rule_id and self.resource in (resource.name, resource.urn)

    def __str__(self) -> str:
        return f"{self.rule}:{self.resource}={self.reason}"


@dataclass(frozen=True)
class GuardrailsConfig:
    """The settings of a guardrails run.

    Attributes:
        required_tags: Tag keys every taggable AWS resource must carry (after provider default
            tags); the library's ``obs-platform:managed-by`` is always required.
        allowed_external_principals: Account IDs outside the organization that RAM shares may
            name when they allow external principals.
        default_tags: The default AWS provider's ``aws:defaultTags`` tags from stack config.
        waivers: Per-resource exceptions.
    """

    required_tags: tuple[str, ...] = ()
    allowed_external_principals: frozenset[str] = frozenset()
    default_tags: Mapping[str, str] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()

    @property
    def all_required_tags(self) -> tuple[str, ...]:
        """The library's key followed by the configured keys, without repeats."""
        keys = [MANAGED_BY_KEY, *self.required_tags]
        return tuple(dict.fromkeys(keys))


@dataclass(frozen=True)
class RuleContext:
    """What a rule sees: the whole plan and the run's settings.

    Attributes:
        plan: The plan under review.
        config: The run's settings.
    """

    plan: Plan
    config: GuardrailsConfig


@dataclass(frozen=True)
class Rule:
    """A guardrail: a pure function over a plan, with the words a reviewer needs.

    Attributes:
        id: Stable kebab-case ID, used in waivers and as the CrossGuard policy name.
        severity: Whether a finding fails the check.
        title: What the rule demands, in a few words.
        rationale: One line: why it matters.
        fix: How to satisfy it.
        scope: Whether the rule needs other resources than the one it judges.
        check: The function returning the findings.
    """

    id: str
    severity: Severity
    title: str
    rationale: str
    fix: str
    scope: Scope
    check: Callable[[RuleContext], Iterable[Finding]]

    def describe(self) -> dict[str, str]:
        """Return the rule's metadata as plain strings."""
        return {
            "id": self.id,
            "severity": self.severity.value,
            "title": self.title,
            "rationale": self.rationale,
            "fix": self.fix,
            "scope": self.scope.value,
        }


@dataclass(frozen=True)
class Violation:
    """A finding with its rule's words, and the waiver that excuses it if any.

    Attributes:
        rule: The rule's ID.
        severity: The rule's severity.
        urn: The resource's URN.
        name: The resource's logical name.
        type: The resource's type token.
        detail: What is wrong.
        rationale: Why the rule exists.
        fix: How to satisfy it.
        waived: The waiver's reason, or ``None`` when not waived.
    """

    rule: str
    severity: Severity
    urn: str
    name: str
    type: str
    detail: str
    rationale: str
    fix: str
    waived: str | None = None

    @property
    def blocking(self) -> bool:
        """True for an unwaived error-severity violation."""
        return self.severity is Severity.ERROR and self.waived is None

    def to_json(self) -> dict[str, Any]:
        """Return the violation as plain JSON."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "urn": self.urn,
            "name": self.name,
            "type": self.type,
            "detail": self.detail,
            "rationale": self.rationale,
            "fix": self.fix,
            "waived": self.waived,
        }


@dataclass(frozen=True)
class Report:
    """The outcome of checking one plan.

    Attributes:
        project: The plan's project.
        stack: The plan's stack.
        rules: IDs of the rules that ran.
        violations: Every violation, waived ones included, in rule then plan order.
        unused_waivers: Waivers that matched no violation (stale or misspelt).
    """

    project: str
    stack: str
    rules: tuple[str, ...]
    violations: tuple[Violation, ...]
    unused_waivers: tuple[Waiver, ...] = ()

    @property
    def errors(self) -> list[Violation]:
        """Unwaived error-severity violations: the ones that fail the check."""
        return [v for v in self.violations if v.blocking]

    @property
    def warnings(self) -> list[Violation]:
        """Unwaived warning-severity violations."""
        return [v for v in self.violations if v.severity is Severity.WARNING and v.waived is None]

    @property
    def waived(self) -> list[Violation]:
        """Violations excused by a waiver."""
        return [v for v in self.violations if v.waived is not None]

    @property
    def passed(self) -> bool:
        """True when no unwaived error-severity violation remains."""
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """Return the report in the ``obs-platform.check/1`` format."""
        return {
            "format": CHECK_FORMAT,
            "project": self.project,
            "stack": self.stack,
            "passed": self.passed,
            "summary": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "waived": len(self.waived),
                "rules": len(self.rules),
            },
            "violations": [v.to_json() for v in self.violations],
            "unused_waivers": [
                {"rule": w.rule, "resource": w.resource, "reason": w.reason}
                for w in self.unused_waivers
            ],
        }
