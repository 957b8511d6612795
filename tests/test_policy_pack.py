"""The CrossGuard policy pack, tested without the Pulumi CLI.

Policies are called with ``ResourceValidationArgs`` / ``StackValidationArgs`` built as
``pulumi_policy``'s analyzer builds them (properties behind the unknown-checking proxy), and
once through the analyzer servicer itself with a protobuf request, to check secrets.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_policy
import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as policy_module
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from obs_platform.guardrails import RULES, GuardrailsConfig, Scope, Severity, Waiver, check_plan
from obs_platform.guardrails.crossguard import (
    POLICY_PACK_NAME,
    make_policies,
    plain,
    plan_from_stack_args,
    preserve_secrets,
)
from obs_platform.testing import Plan, run

PACK_DIR = Path(__file__).resolve().parents[1] / "policy-pack"
STACK = "urn:pulumi:dev::shop::"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def options(
    protect: bool = False, ignore_changes: list[str] | None = None, parent: str | None = None
) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect, ignore_changes or [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent
    )


PROVIDER = PolicyProviderResource(
    "pulumi:providers:aws",
    unknown_checking_proxy({"region": "eu-west-1"}),
    f"{STACK}pulumi:providers:aws::default",
    "default",
)


def policies_by_name(config: GuardrailsConfig | None = None) -> dict[str, Any]:
    return {p.name: p for p in make_policies(config)}


def validate_resource(
    policy: Any,
    type_: str,
    name: str,
    props: dict[str, Any],
    config: dict[str, Any] | None = None,
    protect: bool = False,
) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    args = ResourceValidationArgs(
        type_,
        unknown_checking_proxy(props),
        f"{STACK}{type_}::{name}",
        name,
        options(protect),
        PROVIDER,
        config,
    )
    policy.validate(args, lambda message, urn=None: reported.append((message, urn)))
    return reported


def policy_resource(
    type_: str, name: str, props: dict[str, Any], deps: list[PolicyResource] | None = None
) -> PolicyResource:
    return PolicyResource(
        type_,
        unknown_checking_proxy(props),
        f"{STACK}{type_}::{name}",
        name,
        options(),
        PROVIDER,
        None,
        deps or [],
        {},
    )


def validate_stack(
    policy: Any, resources: list[PolicyResource], config: dict[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []
    policy.validate(
        StackValidationArgs(resources, config),
        lambda message, urn=None: reported.append((message, urn)),
    )
    return reported


def test_one_policy_per_rule_with_scope_level_and_severity() -> None:
    policies = make_policies()
    assert [p.name for p in policies] == [r.id for r in RULES]
    for rule, policy in zip(RULES, policies, strict=True):
        expected = (
            ResourceValidationPolicy if rule.scope is Scope.RESOURCE else StackValidationPolicy
        )
        assert isinstance(policy, expected)
        level = (
            EnforcementLevel.MANDATORY
            if rule.severity is Severity.ERROR
            else EnforcementLevel.ADVISORY
        )
        assert policy.enforcement_level is level
        assert policy.remediation_steps == rule.fix
        assert "waivers" in policy.config_schema.properties


def test_resource_policy_reports_against_the_resource() -> None:
    policy = policies_by_name()["ecr-immutable-tags"]
    urn = f"{STACK}aws:ecr/repository:Repository::apps"
    assert validate_resource(
        policy, "aws:ecr/repository:Repository", "apps", {"imageTagMutability": "MUTABLE"}
    ) == [("apps: imageTagMutability is MUTABLE. Fix: Set image_tag_mutability='IMMUTABLE'.", urn)]
    assert (
        validate_resource(
            policy, "aws:ecr/repository:Repository", "apps", {"imageTagMutability": "IMMUTABLE"}
        )
        == []
    )


def test_unknown_values_do_not_raise_or_report() -> None:
    policy = policies_by_name()["ecr-immutable-tags"]
    assert (
        validate_resource(
            policy,
            "aws:ecr/repository:Repository",
            "apps",
            {"imageTagMutability": UNKNOWN_STRING_VALUE},
        )
        == []
    )


def test_resource_options_reach_the_rules() -> None:
    policy = policies_by_name()["rds-protected"]
    props = {"engine": "postgres", "storageEncrypted": True}
    assert len(validate_resource(policy, "aws:rds/instance:Instance", "db", props)) == 1
    assert validate_resource(policy, "aws:rds/instance:Instance", "db", props, protect=True) == []


def test_policy_config_waives_and_extends() -> None:
    policies = policies_by_name()
    waivers = {"waivers": [{"resource": "apps", "reason": "OPS-42"}]}
    assert (
        validate_resource(
            policies["ecr-immutable-tags"],
            "aws:ecr/repository:Repository",
            "apps",
            {"imageTagMutability": "MUTABLE"},
            config=waivers,
        )
        == []
    )
    tagged = {"tags": {"obs-platform:managed-by": "obs-platform"}, "bucket": "b", "id": "b"}
    bucket = policy_resource("aws:s3/bucket:Bucket", "logs", tagged)
    assert validate_stack(policies["required-tags"], [bucket]) == []
    reported = validate_stack(policies["required-tags"], [bucket], {"required_tags": ["team"]})
    assert reported == [
        (
            "logs: missing tag(s) team. Fix: " + policies["required-tags"].remediation_steps,
            bucket.urn,
        )
    ]


def test_config_waivers_from_guardrails_config() -> None:
    policies = policies_by_name(
        GuardrailsConfig(waivers=(Waiver("ecr-immutable-tags", "apps", "OPS-42"),))
    )
    assert (
        validate_resource(
            policies["ecr-immutable-tags"],
            "aws:ecr/repository:Repository",
            "apps",
            {"imageTagMutability": "MUTABLE"},
        )
        == []
    )


def test_stack_policy_relates_resources() -> None:
    policy = policies_by_name()["s3-encryption"]
    bucket = policy_resource(
        "aws:s3/bucket:Bucket", "logs", {"bucket": "logs-1a2b3c4", "id": "logs-1a2b3c4"}
    )
    sse = policy_resource(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "logs-sse",
        {
            "bucket": "logs-1a2b3c4",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
        },
        [bucket],
    )
    assert validate_stack(policy, [bucket, sse]) == []
    reported = validate_stack(policy, [bucket])
    assert [urn for _, urn in reported] == [bucket.urn]
    plan = plan_from_stack_args(StackValidationArgs([bucket, sse]))
    assert (plan.project, plan.stack) == ("shop", "dev")
    assert plan.get("logs-sse").depends_on == (bucket.urn,)
    assert plan.get("default").type == "pulumi:providers:aws"
    assert plan.get("logs").region == "eu-west-1"


def _program() -> None:
    tags = {"obs-platform:managed-by": "obs-platform"}
    bucket = aws.s3.Bucket("logs", tags=tags)
    aws.s3.BucketPublicAccessBlock(
        "logs-pab",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=False,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.ecr.Repository("apps", tags=tags)
    aws.cloudwatch.LogGroup("app", retention_in_days=0)
    k8s.helm.v3.Release("loki", chart="loki", values={"loki": {"auth_token": "plain"}})


def _as_stack_args(plan: Plan) -> StackValidationArgs:
    by_urn: dict[str, PolicyResource] = {}
    for r in plan.resources:
        if r.type == "pulumi:pulumi:Stack":
            continue
        props = {**r.inputs, **r.outputs}
        resource = PolicyResource(
            r.type,
            unknown_checking_proxy(props),
            r.urn,
            r.name,
            options(r.protect, list(r.ignore_changes), r.parent),
            PROVIDER if r.type.startswith("aws:") else None,
            None,
            [by_urn[d] for d in r.depends_on if d in by_urn],
            {},
        )
        by_urn[r.urn] = resource
    return StackValidationArgs(list(by_urn.values()))


def test_pack_and_offline_check_agree_on_a_real_program() -> None:
    plan = run(_program, config={"aws:region": "eu-west-1"})
    offline = {(v.rule, v.urn) for v in check_plan(plan).violations}
    args = _as_stack_args(plan)
    via_pack: set[tuple[str, str | None]] = set()
    for policy in make_policies():
        if isinstance(policy, StackValidationPolicy):
            policy.validate(args, lambda m, urn=None, n=policy.name: via_pack.add((n, urn)))
            continue
        for resource in args.resources:
            resource_args = ResourceValidationArgs(
                resource.resource_type,
                resource.props,
                resource.urn,
                resource.name,
                resource.opts,
                resource.provider,
            )
            policy.validate(
                resource_args, lambda m, urn=None, n=policy.name: via_pack.add((n, urn))
            )
    assert via_pack == offline
    assert {rule for rule, _ in offline} >= {
        "s3-public-access-blocked",
        "ecr-immutable-tags",
        "retention-set",
        "no-plaintext-secrets",
    }


def _analyze(values: dict[str, Any]) -> list[str]:
    servicer = policy_module._PolicyAnalyzerServicer(  # what PolicyPack serves to the CLI
        POLICY_PACK_NAME, "0.1.0", make_policies(), EnforcementLevel.MANDATORY
    )
    properties = struct_pb2.Struct()
    json_format.ParseDict({"chart": "grafana", "values": values}, properties)
    request = analyzer_pb2.AnalyzeRequest(
        type="kubernetes:helm.sh/v3:Release",
        properties=properties,
        urn=f"{STACK}kubernetes:helm.sh/v3:Release::grafana",
        name="grafana",
        options=analyzer_pb2.AnalyzerResourceOptions(),
    )
    response = servicer.Analyze(request, None)
    return [d.policyName for d in response.diagnostics]


def test_secrets_stay_secret_through_the_analyzer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        policy_module, "deserialize_properties", policy_module.deserialize_properties
    )
    secret = {"adminPassword": {**SECRET_SIG, "value": "from-pulumi-config"}}
    plaintext = {"adminPassword": "hunter2"}
    assert _analyze(secret) == ["no-plaintext-secrets"]  # pulumi_policy unwraps secrets
    preserve_secrets()
    assert _analyze(secret) == []
    assert _analyze(plaintext) == ["no-plaintext-secrets"]


def test_plain_converts_proxies_secrets_and_unknowns() -> None:
    from pulumi_policy.secret import Secret

    value = unknown_checking_proxy({"a": [UNKNOWN_STRING_VALUE, {"b": Secret("x")}], "n": 1})
    assert plain(value) == {"a": ["[unknown]", {"b": "[secret]"}], "n": 1}


def test_pack_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert set(project) <= {
        "runtime",
        "version",
        "main",
        "description",
        "author",
        "website",
        "license",
    }
    assert project["runtime"]["name"] == "python"
    requirements = (PACK_DIR / "requirements.txt").read_text(encoding="utf-8")
    assert "pulumi-policy" in requirements and "obs-platform" in requirements

    created: dict[str, Any] = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: created.update(kwargs))
    monkeypatch.setattr(
        policy_module, "deserialize_properties", policy_module.deserialize_properties
    )
    settings = tmp_path / "guardrails.yaml"
    settings.write_text(
        "waivers:\n  - {rule: ecr-immutable-tags, resource: apps, reason: x}\n", encoding="utf-8"
    )
    monkeypatch.setenv("OBS_PLATFORM_GUARDRAILS", str(settings))
    runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="__main__")
    assert created["name"] == POLICY_PACK_NAME
    names = [p.name for p in created["policies"]]
    assert names == [r.id for r in RULES]
    assert policy_module.deserialize_properties.__name__ == "_deserialize_keeping_secrets"
    waived = {p.name: p for p in created["policies"]}["ecr-immutable-tags"]
    assert (
        validate_resource(
            waived, "aws:ecr/repository:Repository", "apps", {"imageTagMutability": "MUTABLE"}
        )
        == []
    )
