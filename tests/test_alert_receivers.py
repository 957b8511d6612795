"""PagerDuty, Opsgenie, SNS and email receivers; the masked configuration the plan shows."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from conftest import shared_stack_args
from obs_platform import (
    AlertingArgs,
    AlertRoute,
    ArgsError,
    EmailReceiver,
    OpsgenieReceiver,
    PagerDutyReceiver,
    SlackReceiver,
    SnsReceiver,
)
from obs_platform._internal.alertmanager import (
    MASKED_URL,
    MASKED_VALUE,
    build_alertmanager_config,
    masked_alertmanager_config,
)
from obs_platform.observability.stack import ObservabilityStack
from obs_platform.testing import run

ROUTING_KEY = "0123456789abcdef0123456789ABCDEF"
OPSGENIE_KEY = "og-api-key-0000-1111"
SMTP_PASSWORD = "smtp-pa55word-secret"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
TOPIC = "arn:aws:sns:us-east-1:111111111111:obs-alerts"
SECRETS = {"pager": ROUTING_KEY, "genie": OPSGENIE_KEY, "mail": SMTP_PASSWORD, "chat": SLACK_URL}


def every_receiver(secret: Any = lambda value: value) -> AlertingArgs:
    return AlertingArgs(
        slack_receivers=[SlackReceiver(name="chat", api_url=secret(SLACK_URL))],
        pagerduty_receivers=[PagerDutyReceiver(name="pager", routing_key=secret(ROUTING_KEY))],
        opsgenie_receivers=[
            OpsgenieReceiver(
                name="genie", api_key=secret(OPSGENIE_KEY), api_url="https://api.eu.opsgenie.com/"
            )
        ],
        sns_receivers=[SnsReceiver(name="topic", topic_arn=TOPIC)],
        email_receivers=[
            EmailReceiver(
                name="mail",
                to=["oncall@example.com", "sre@example.com"],
                sender="alertmanager@example.com",
                smarthost="email-smtp.eu-west-1.amazonaws.com:587",
                auth_username="AKIAEXAMPLE",
                auth_password=secret(SMTP_PASSWORD),
            )
        ],
        default_receiver="chat",
        routes=[
            AlertRoute(receiver="pager", severities=["critical"], continue_matching=True),
            AlertRoute(receiver="genie", severities=["critical"], cells=["eu-west-1"]),
            AlertRoute(receiver="topic", cells=["us-east-1"]),
            AlertRoute(receiver="mail", severities=["warning"]),
        ],
    )


def _amtool(amtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([amtool, *args], capture_output=True, text=True, timeout=60, check=False)


def test_each_receiver_renders_its_alertmanager_config() -> None:
    config = build_alertmanager_config(every_receiver(), SECRETS)
    receivers = {r["name"]: r for r in config["receivers"]}
    (pager,) = receivers["pager"]["pagerduty_configs"]
    assert pager["routing_key"] == ROUTING_KEY  # Events API v2 (routing_key, not service_key)
    assert "service_key" not in pager
    (genie,) = receivers["genie"]["opsgenie_configs"]
    assert (genie["api_key"], genie["api_url"]) == (OPSGENIE_KEY, "https://api.eu.opsgenie.com/")
    (topic,) = receivers["topic"]["sns_configs"]
    assert topic["topic_arn"] == TOPIC
    assert topic["sigv4"] == {"region": "us-east-1"}  # signed for the topic's region, no keys
    (mail,) = receivers["mail"]["email_configs"]
    assert mail["to"] == "oncall@example.com, sre@example.com"
    assert (mail["auth_username"], mail["auth_password"]) == ("AKIAEXAMPLE", SMTP_PASSWORD)
    assert mail["require_tls"] is True


@pytest.mark.tool
@pytest.mark.parametrize("masked", [False, True])
def test_amtool_checks_every_receiver(amtool: str, tmp_path: Path, masked: bool) -> None:
    args = every_receiver()
    config = (
        masked_alertmanager_config(args) if masked else build_alertmanager_config(args, SECRETS)
    )
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    result = _amtool(amtool, "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " - 6 receivers" in result.stdout


@pytest.mark.tool
def test_amtool_catches_a_broken_receiver(amtool: str, tmp_path: Path) -> None:
    config = build_alertmanager_config(every_receiver(), SECRETS)
    config["receivers"][-1]["email_configs"][0]["smarthost"] = "no-port"
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    assert _amtool(amtool, "check-config", str(path)).returncode != 0


def _stack_plan(alerting: AlertingArgs) -> Any:
    def program() -> None:
        stack = ObservabilityStack(
            "shared",
            shared_stack_args(alerting=alerting),
        )
        pulumi.export("alertmanager_config", stack.alertmanager_config)

    return run(program, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def plan() -> Any:
    return _stack_plan(every_receiver(pulumi.Output.secret))


def test_plan_shows_the_routing_with_secrets_masked(plan: Any) -> None:
    shown = plan.outputs["alertmanager_config"]
    dumped = plan.dumps()
    for secret in SECRETS.values():
        assert secret not in dumped
    config = yaml.safe_load(shown)
    assert config == masked_alertmanager_config(every_receiver())
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["chat"]["slack_configs"][0]["api_url"] == MASKED_URL
    assert receivers["pager"]["pagerduty_configs"][0]["routing_key"] == MASKED_VALUE
    assert receivers["mail"]["email_configs"][0]["auth_password"] == MASKED_VALUE
    # the Secret Alertmanager reads holds the real values, and the plan shows none of them
    assert plan.get("shared-alertmanager-config").inputs["stringData"] == "[secret]"


@pytest.mark.tool
@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (
            ["alertname=PrimaryHealthCheckFailing", "severity=critical", "cell=eu-west-1"],
            "pager,genie",
        ),
        (["alertname=StandbyNotReady", "severity=critical", "cell=us-east-1"], "pager,topic"),
        (["alertname=LokiDiscardingLogs", "severity=warning", "cell=ap-south-1"], "mail"),
        (["alertname=Other", "severity=info", "cell=ap-south-1"], "chat"),
    ],
)
def test_amtool_routes_test_against_the_plan(
    amtool: str, plan: Any, tmp_path: Path, labels: list[str], receivers: str
) -> None:
    # What a user does with `obs-platform plan --json plan.json`: take the output and test.
    path = tmp_path / "alertmanager.yaml"
    path.write_text(plan.outputs["alertmanager_config"])
    result = _amtool(amtool, "config", "routes", "test", f"--config.file={path}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receivers


def test_sns_receivers_give_alertmanager_a_publish_role(plan: Any) -> None:
    role = plan.get("shared-alertmanager-role")
    assert role.type == "aws:iam/role:Role"
    policies = [
        r
        for r in plan.by_type("aws:iam/rolePolicy:RolePolicy")
        if r.name.startswith("shared-alertmanager")
    ]
    (policy,) = policies
    document = json.loads(policy.inputs["policy"])
    assert document["Statement"] == [
        {"Sid": "PublishAlerts", "Effect": "Allow", "Action": "sns:Publish", "Resource": [TOPIC]}
    ]
    association = plan.get("shared-alertmanager-pod-identity")
    assert association.inputs["serviceAccount"] == "kps-alertmanager"
    assert association.inputs["namespace"] == "monitoring"


@pytest.mark.parametrize(
    ("model", "fields", "message"),
    [
        (PagerDutyReceiver, {"name": "p", "routing_key": "short"}, "32 letters and digits"),
        (SnsReceiver, {"name": "s", "topic_arn": "arn:aws:sqs:eu-west-1:1:q"}, "should match"),
        (
            EmailReceiver,
            {
                "name": "m",
                "to": ["a@b.c"],
                "sender": "x@y.z",
                "smarthost": "h:25",
                "auth_username": "u",
            },
            "go together",
        ),
        (OpsgenieReceiver, {"name": "o", "api_key": "k", "api_url": "http://x/"}, "should match"),
    ],
)
def test_receivers_refuse_bad_values(model: Any, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        model.model_validate(fields)


def test_receiver_names_are_unique_across_kinds() -> None:
    with pytest.raises(ArgsError, match="two receivers are named 'x'"):
        AlertingArgs(
            slack_receivers=[SlackReceiver(name="x", api_url=SLACK_URL)],
            sns_receivers=[SnsReceiver(name="x", topic_arn=TOPIC)],
            default_receiver="x",
        )
