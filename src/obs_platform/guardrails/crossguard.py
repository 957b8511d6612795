"""The guardrails as a Pulumi CrossGuard policy pack (needs ``pip install obs-platform[policy]``).

``pulumi preview --policy-pack policy-pack`` runs the same rules as ``obs-platform check``:
:func:`make_policies` turns each :class:`~obs_platform.guardrails.Rule` into a CrossGuard
policy. Rules of scope ``resource`` become resource policies, judged on each resource's inputs
as it is registered; rules of scope ``stack`` (they relate resources, such as a bucket and its
encryption configuration) become stack policies, judged on the whole stack at the end. Both
convert CrossGuard's arguments into a :class:`~obs_platform.testing.Plan` with the same
camelCase property names the offline engine records, so the rule functions are shared.

Severity ``error`` is MANDATORY (the preview fails), ``warning`` ADVISORY. Waivers come from the
:class:`~obs_platform.guardrails.GuardrailsConfig` given to :func:`make_policies` and from each
policy's configuration (``pulumi preview --policy-pack-config``)::

    {"s3-tls-only": {"waivers": [{"resource": "legacy-bucket", "reason": "INC-1234"}]},
     "required-tags": {"required_tags": ["team"]},
     "ram-external-principals": {"allowed_external_principals": ["222222222222"]}}

The engine sends secrets to policy packs; ``pulumi_policy`` unwraps them before a policy sees
them, which would make every Pulumi secret look like plaintext to ``no-plaintext-secrets``.
:func:`preserve_secrets` makes the pack keep them marked, so they read as ``"[secret]"``, as
in the offline plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import Severity as PolicySeverity
from pulumi_policy import policy as _policy_module
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)
from pulumi_policy.secret import Secret

from ..testing.plan import Plan, PlanResource
from ._inspect import SECRET, UNKNOWN
from ._model import GuardrailsConfig, Rule, Scope, Severity, Waiver
from .rules import RULES
from .runner import evaluate

POLICY_PACK_NAME = "obs-platform-guardrails"
"""The pack's name, as in ``policy-pack/PulumiPolicy.yaml``."""

_UNKNOWNS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)

ENFORCEMENT: Mapping[Severity, EnforcementLevel] = {
    Severity.ERROR: EnforcementLevel.MANDATORY,
    Severity.WARNING: EnforcementLevel.ADVISORY,
}
"""How each guardrail severity is enforced by CrossGuard."""

_POLICY_SEVERITY: Mapping[Severity, PolicySeverity] = {
    Severity.ERROR: PolicySeverity.HIGH,
    Severity.WARNING: PolicySeverity.MEDIUM,
}

_WAIVER_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["resource", "reason"],
        "properties": {
            "resource": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 1},
        },
    },
}


def plain(value: Any) -> Any:
    """Return a CrossGuard property value as plain JSON, in the offline plan's conventions.

    Unwraps the unknown-checking and secret-preserving proxies (reading through them raises
    on unknowns and drops secrecy); secrets become ``"[secret]"``, unknowns ``"[unknown]"``.
    """
    if isinstance(value, Secret):
        return SECRET
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWNS else value
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        target = _target(value)
        return {str(k): plain(target[k]) for k in target}
    if isinstance(value, Sequence):
        return [plain(item) for item in _target(value)]
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        return f"[{type(value).__name__}]"
    return str(value)


def _target(proxy: Any) -> Any:
    """Return the object behind a pulumi_policy proxy, or the value itself."""
    if type(proxy).__module__.startswith("pulumi_policy."):
        try:
            return proxy["__target"]
        except (KeyError, IndexError, TypeError):
            return proxy
    return proxy


def _project_stack(urn: str) -> tuple[str, str]:
    """Return ``(project, stack)`` from ``urn:pulumi:<stack>::<project>::...``."""
    parts = urn.split("::")
    stack = parts[0].rsplit(":", 1)[-1] if parts else ""
    project = parts[1] if len(parts) > 1 else ""
    return project, stack


def _region(
    inputs: Mapping[str, Any], provider_inputs: Mapping[str, Any] | None, type_token: str
) -> str | None:
    if not type_token.startswith(("aws:", "eks:")):
        return None
    own = inputs.get("region")
    if isinstance(own, str) and own != UNKNOWN:
        return own
    region = (provider_inputs or {}).get("region")
    return region if isinstance(region, str) and region != UNKNOWN else None


def _provider_resource(provider: Any) -> PlanResource | None:
    if provider is None:
        return None
    inputs = plain(provider.props)
    return PlanResource(
        urn=provider.urn,
        type=provider.resource_type,
        name=provider.name,
        parent=None,
        custom=True,
        provider=None,
        region=inputs.get("region") if isinstance(inputs.get("region"), str) else None,
        inputs=inputs,
        outputs=inputs,
    )


def resource_from_args(args: ResourceValidationArgs) -> tuple[PlanResource, PlanResource | None]:
    """Return the resource under validation, and its provider, as plan resources.

    A resource policy sees the resource's inputs; they stand in for outputs too.
    """
    provider = _provider_resource(args.provider)
    inputs = plain(args.props)
    resource = PlanResource(
        urn=args.urn,
        type=args.resource_type,
        name=args.name,
        parent=args.opts.parent,
        custom=True,
        provider=provider.urn if provider else None,
        region=_region(inputs, provider.inputs if provider else None, args.resource_type),
        inputs=inputs,
        protect=bool(args.opts.protect),
        ignore_changes=tuple(args.opts.ignore_changes or ()),
        outputs=inputs,
    )
    return resource, provider


def plan_from_resource_args(args: ResourceValidationArgs) -> Plan:
    """Return a plan holding only the resource under validation (and its provider)."""
    resource, provider = resource_from_args(args)
    project, stack = _project_stack(args.urn)
    resources = (resource,) if provider is None else (provider, resource)
    return Plan(project=project, stack=stack, resources=resources, outputs={})


def _stack_resource(resource: PolicyResource) -> PlanResource:
    provider = resource.provider
    props = plain(resource.props)
    provider_inputs = plain(provider.props) if provider is not None else None
    return PlanResource(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        parent=resource.parent.urn if resource.parent is not None else resource.opts.parent,
        custom=True,
        provider=provider.urn if provider is not None else None,
        region=_region(props, provider_inputs, resource.resource_type),
        inputs=props,
        protect=bool(resource.opts.protect),
        depends_on=tuple(sorted({d.urn for d in resource.dependencies})),
        ignore_changes=tuple(resource.opts.ignore_changes or ()),
        outputs=props,
    )


def plan_from_stack_args(args: StackValidationArgs) -> Plan:
    """Return the stack under validation as a plan.

    A stack policy sees each resource's state (inputs and outputs, one map); it stands in for
    both. Providers that appear only as a resource's provider are added so that provider
    default tags and regions count.
    """
    resources = [_stack_resource(r) for r in args.resources]
    known = {r.urn for r in resources}
    for source in args.resources:
        provider = _provider_resource(source.provider)
        if provider is not None and provider.urn not in known:
            resources.insert(0, provider)
            known.add(provider.urn)
    project, stack = _project_stack(args.resources[0].urn) if args.resources else ("", "")
    return Plan(project=project, stack=stack, resources=tuple(resources), outputs={})


def _config_waivers(rule: Rule, policy_config: Mapping[str, Any]) -> list[Waiver]:
    return [
        Waiver(rule=rule.id, resource=str(w["resource"]), reason=str(w["reason"]))
        for w in policy_config.get("waivers") or []
        if isinstance(w, Mapping) and w.get("resource") and str(w.get("reason", "")).strip()
    ]


def _effective_config(
    rule: Rule, base: GuardrailsConfig, policy_config: Mapping[str, Any]
) -> GuardrailsConfig:
    config = dataclasses.replace(
        base, waivers=(*base.waivers, *_config_waivers(rule, policy_config))
    )
    tags = policy_config.get("required_tags")
    if isinstance(tags, list):
        config = dataclasses.replace(config, required_tags=(*config.required_tags, *map(str, tags)))
    principals = policy_config.get("allowed_external_principals")
    if isinstance(principals, list):
        config = dataclasses.replace(
            config,
            allowed_external_principals=frozenset(
                config.allowed_external_principals | set(map(str, principals))
            ),
        )
    return config


def _report(
    rule: Rule,
    plan: Plan,
    config: GuardrailsConfig,
    report: ReportViolation,
    only_urn: str | None = None,
) -> None:
    for violation in evaluate(plan, config, (rule,)):
        if violation.waived is not None or (only_urn is not None and violation.urn != only_urn):
            continue
        report(f"{violation.name}: {violation.detail}. Fix: {violation.fix}", violation.urn)


def _resource_validator(
    rule: Rule, base: GuardrailsConfig
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        config = _effective_config(rule, base, plain(args.get_config() or {}))
        _report(rule, plan_from_resource_args(args), config, report, only_urn=args.urn)

    return validate


def _stack_validator(
    rule: Rule, base: GuardrailsConfig
) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        config = _effective_config(rule, base, plain(args.get_config() or {}))
        _report(rule, plan_from_stack_args(args), config, report)

    return validate


def _schema(rule: Rule) -> PolicyConfigSchema:
    properties: dict[str, dict[str, Any]] = {"waivers": _WAIVER_SCHEMA}
    if rule.id == "required-tags":
        properties["required_tags"] = {"type": "array", "items": {"type": "string"}}
    if rule.id == "ram-external-principals":
        properties["allowed_external_principals"] = {"type": "array", "items": {"type": "string"}}
    return PolicyConfigSchema(properties=properties)


def make_policy(
    rule: Rule, config: GuardrailsConfig | None = None
) -> ResourceValidationPolicy | StackValidationPolicy:
    """Return one rule as a CrossGuard policy named by the rule's ID."""
    base = config or GuardrailsConfig()
    common: dict[str, Any] = {
        "name": rule.id,
        "description": f"{rule.title}. {rule.rationale}",
        "enforcement_level": ENFORCEMENT[rule.severity],
        "config_schema": _schema(rule),
        "severity": _POLICY_SEVERITY[rule.severity],
        "remediation_steps": rule.fix,
        "tags": ["obs-platform", rule.severity.value],
    }
    if rule.scope is Scope.RESOURCE:
        return ResourceValidationPolicy(validate=_resource_validator(rule, base), **common)
    return StackValidationPolicy(validate=_stack_validator(rule, base), **common)


def make_policies(
    config: GuardrailsConfig | None = None, rules: Sequence[Rule] = RULES
) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Return every rule as a CrossGuard policy, for ``PolicyPack(policies=...)``."""
    return [make_policy(rule, config) for rule in rules]


def _strip_secret_proxies(value: Any) -> Any:
    target = _target(value)
    if isinstance(target, Secret):
        return Secret(_strip_secret_proxies(target.value))
    if isinstance(target, dict):
        return {k: _strip_secret_proxies(v) for k, v in target.items()}
    if isinstance(target, list):
        return [_strip_secret_proxies(v) for v in target]
    return target


_original_deserialize: Callable[..., Any] = vars(_policy_module)["deserialize_properties"]


def _deserialize_keeping_secrets(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
    if proxy_secrets:
        return _original_deserialize(props, True)
    return _strip_secret_proxies(_original_deserialize(props, True))


def preserve_secrets() -> None:
    """Make the policy pack keep secrets marked, so rules see ``"[secret]"``, not plaintext.

    Call once, before ``PolicyPack(...)``, in the pack's ``__main__.py``. Without it,
    ``pulumi_policy`` hands policies every secret's plaintext, indistinguishable from a value
    that was never secret.
    """
    vars(_policy_module)["deserialize_properties"] = _deserialize_keeping_secrets
