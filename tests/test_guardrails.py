"""Guardrails plumbing: pure helpers (with hypothesis), waivers, settings and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_platform._internal.errors import ObsPlatformError
from obs_platform.guardrails import (
    CHECK_FORMAT,
    GuardrailsConfig,
    Severity,
    Waiver,
    check_plan,
    load_config,
    parse_waiver,
)
from obs_platform.guardrails._inspect import (
    denies_insecure_transport,
    grants_admin,
    is_secret_key,
    key_words,
    plaintext_secrets,
    statements,
)
from obs_platform.testing import run

# ---------------------------------------------------------------------------------------------
# Pure helpers


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "adminPassword",
        "admin_password",
        "api-key",
        "apiKey",
        "API_TOKEN",
        "webhook_url",
        "webhookUrl",
        "secretAccessKey",
        "client_secret",
        "routing_key",
        "secretString",
        "privateKey",
        "token",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "existingSecret",
        "passwordKey",
        "secretName",
        "tokenFile",
        "api_url_file",
        "kmsMasterKeyId",
        "secretId",
        "accessKeyId",
        "clientSecretRef",
        "masterUserSecretKmsKeyId",
        "tls.key",
        "url",
        "name",
        "retention_period",
    ],
)
def test_reference_keys_are_not_secrets(key: str) -> None:
    assert not is_secret_key(key)


@given(st.from_regex(r"[a-z]{2,8}(_[a-z]{2,8}){0,3}", fullmatch=True))
def test_key_words_agree_across_spellings(snake: str) -> None:
    words = snake.split("_")
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    kebab = "-".join(words)
    assert key_words(snake) == key_words(camel) == key_words(kebab) == words
    assert is_secret_key(snake) == is_secret_key(camel) == is_secret_key(kebab)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=12,
)


def _redact(value: object) -> object:
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return "[secret]" if isinstance(value, str) else value


@given(_json)
def test_secret_and_unknown_values_are_never_flagged(value: object) -> None:
    assert list(plaintext_secrets(_redact(value))) == []


@given(
    st.sampled_from(["password", "token", "apiKey", "webhook_url"]),
    st.text(alphabet="abcdefgh0123456789", min_size=1, max_size=20),
)
def test_plaintext_under_a_secret_key_is_flagged(key: str, value: str) -> None:
    assert list(plaintext_secrets({"outer": [{key: value}]})) == [
        (f"outer[0].{key}", f"key {key!r} holds a plaintext value")
    ]


def test_placeholders_and_json_strings() -> None:
    assert (
        list(
            plaintext_secrets(
                {"password": "${GF_PASSWORD}", "token": "$__file{/etc/secrets/token}"}
            )
        )
        == []
    )
    nested = json.dumps({"auth": {"token": "abc"}})
    assert list(plaintext_secrets({"config": nested})) == [
        ("config.auth.token", "key 'token' holds a plaintext value")
    ]


_actions = st.sampled_from(["*", "*:*", "s3:*", "s3:GetObject", "ec2:Describe*"])
_resources = st.sampled_from(["*", "arn:aws:s3:::b/*", "arn:aws:iam::1:role/r"])


@given(
    st.lists(_actions, min_size=1, max_size=3),
    st.lists(_resources, min_size=1, max_size=3),
    st.sampled_from(["Allow", "Deny"]),
)
def test_grants_admin_exactly_when_allow_star_on_star(
    actions: list[str], resources: list[str], effect: str
) -> None:
    statement = {"Effect": effect, "Action": actions, "Resource": resources}
    expected = effect == "Allow" and bool({"*", "*:*"} & set(actions)) and "*" in resources
    assert grants_admin(statement) == expected
    document = json.dumps({"Statement": statement})
    assert statements(document) == [statement]


def test_tls_statement_forms() -> None:
    base = {
        "Effect": "Deny",
        "Principal": {"AWS": ["*"]},
        "Action": ["s3:*"],
        "Condition": {"Bool": {"aws:SecureTransport": False}},
    }
    assert denies_insecure_transport(base)
    assert not denies_insecure_transport({**base, "Action": "s3:GetObject"})
    assert not denies_insecure_transport({**base, "Principal": {"AWS": "arn:aws:iam::1:root"}})
    assert not denies_insecure_transport({**base, "Effect": "Allow"})
    assert not denies_insecure_transport(
        {**base, "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
    )


# ---------------------------------------------------------------------------------------------
# Waivers and settings


def _two_repos() -> None:
    tags = {"obs-platform:managed-by": "obs-platform"}
    aws.ecr.Repository("apps", image_scanning_configuration={"scan_on_push": True}, tags=tags)
    aws.ecr.Repository("tools", image_scanning_configuration={"scan_on_push": True}, tags=tags)


def test_waiver_excuses_one_resource_and_keeps_its_reason() -> None:
    plan = run(_two_repos, config={"aws:region": "eu-west-1"})
    waiver = Waiver("ecr-immutable-tags", "apps", "CI pushes :latest for previews; OPS-42")
    report = check_plan(plan, GuardrailsConfig(waivers=(waiver,)))
    assert [(v.name, v.waived) for v in report.violations] == [
        ("apps", "CI pushes :latest for previews; OPS-42"),
        ("tools", None),
    ]
    assert [v.name for v in report.errors] == ["tools"]
    assert not report.passed
    urn = plan.get("tools").urn
    both = GuardrailsConfig(waivers=(waiver, Waiver("ecr-immutable-tags", urn, "by URN")))
    assert check_plan(plan, both).passed
    assert check_plan(plan, both).unused_waivers == ()


def test_unused_waivers_are_reported() -> None:
    plan = run(_two_repos, config={"aws:region": "eu-west-1"})
    stale = Waiver("s3-tls-only", "gone-bucket", "removed last quarter")
    report = check_plan(plan, GuardrailsConfig(waivers=(stale,)))
    assert report.unused_waivers == (stale,)
    data = report.to_json()
    assert data["format"] == CHECK_FORMAT
    assert data["summary"] == {"errors": 2, "warnings": 0, "waived": 0, "rules": len(report.rules)}
    assert data["unused_waivers"] == [
        {"rule": "s3-tls-only", "resource": "gone-bucket", "reason": "removed last quarter"}
    ]
    assert data["violations"][0]["severity"] == Severity.ERROR.value


def test_parse_waiver_with_urn_and_errors() -> None:
    urn = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs"
    assert parse_waiver(f"s3-tls-only:{urn}=legacy reader, OPS-1") == Waiver(
        "s3-tls-only", urn, "legacy reader, OPS-1"
    )
    for bad in ("s3-tls-only:logs", "s3-tls-only=why", "s3-tls-only:logs=  "):
        with pytest.raises(ObsPlatformError, match="RULE:RESOURCE=REASON"):
            parse_waiver(bad)
    with pytest.raises(ObsPlatformError, match="unknown rule 'no-such-rule'"):
        parse_waiver("no-such-rule:logs=why")


def test_load_config_file(tmp_path: Path) -> None:
    path = tmp_path / "guardrails.yaml"
    path.write_text(
        "required_tags: [team]\n"
        "allowed_external_principals: ['222222222222']\n"
        "waivers:\n"
        "  - {rule: ecr-immutable-tags, resource: apps, reason: ' OPS-42 '}\n",
        encoding="utf-8",
    )
    extra = Waiver("s3-tls-only", "logs", "cli")
    config = load_config(
        path,
        extra_waivers=[extra],
        stack_config={"aws:defaultTags": json.dumps({"tags": {"team": "obs"}})},
    )
    assert config.required_tags == ("team",)
    assert config.all_required_tags == ("obs-platform:managed-by", "team")
    assert config.allowed_external_principals == frozenset({"222222222222"})
    assert config.default_tags == {"team": "obs"}
    assert config.waivers == (Waiver("ecr-immutable-tags", "apps", "OPS-42"), extra)
    assert load_config(tmp_path / "absent.yaml") == GuardrailsConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("waivers:\n  - {rule: s3-tls-only, resource: logs}\n", "reason"),
        ("waivers:\n  - {rule: s3-tls-only, resource: logs, reason: '  '}\n", "needs a reason"),
        ("waivers:\n  - {rule: nope, resource: logs, reason: x}\n", "unknown rule 'nope'"),
        ("required_tag: [team]\n", "required_tag"),
        ("waivers: [\n", "not valid YAML"),
    ],
)
def test_load_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "guardrails.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ObsPlatformError, match=message):
        load_config(path)
