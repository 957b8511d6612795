"""Alertmanager routing: validation, generated config, amtool check-config and route tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_platform import ArgsError
from obs_platform._internal.alertmanager import (
    NULL_RECEIVER,
    SLACK_TEXT,
    SLACK_TITLE,
    AlertingArgs,
    AlertRoute,
    Severity,
    SlackReceiver,
    WebhookReceiver,
    build_alertmanager_config,
)

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
TEAM_URL = "https://hooks.slack.com/services/T000/B001/YYYYYYYY"
HEARTBEAT_URL = "https://hc-ping.com/0b7c-placeholder"


def full_args() -> AlertingArgs:
    return AlertingArgs(
        slack_receivers=[
            SlackReceiver(name="oncall", api_url=SLACK_URL, channel="#oncall"),
            SlackReceiver(name="team-eu", api_url=TEAM_URL),
        ],
        webhook_receivers=[WebhookReceiver(name="heartbeat", url=HEARTBEAT_URL)],
        default_receiver="team-eu",
        heartbeat_receiver="heartbeat",
        routes=[
            AlertRoute(receiver="oncall", severities=[Severity.CRITICAL], continue_matching=True),
            AlertRoute(receiver="team-eu", cells=["eu-west-1", "eu-central-1"]),
        ],
    )


URLS = {"oncall": SLACK_URL, "team-eu": TEAM_URL, "heartbeat": HEARTBEAT_URL}


def test_defaults_are_valid_and_send_nothing() -> None:
    config = build_alertmanager_config(AlertingArgs(), {})
    assert config["route"]["receiver"] == NULL_RECEIVER
    assert config["receivers"] == [{"name": "null"}]
    info_inhibitor, watchdog = config["route"]["routes"]
    assert info_inhibitor == {
        "receiver": "null",
        "matchers": ['alertname="InfoInhibitor"'],
        "continue": False,
    }
    assert watchdog["matchers"] == ['alertname="Watchdog"']
    assert watchdog["receiver"] == "null"


def test_full_config_structure() -> None:
    config = build_alertmanager_config(full_args(), URLS)
    route = config["route"]
    assert route["receiver"] == "team-eu"
    assert route["group_by"] == ["alertname", "cell"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == (
        "30s",
        "5m",
        "4h",
    )
    _, watchdog, critical, cells = route["routes"]
    assert watchdog == {
        "receiver": "heartbeat",
        "matchers": ['alertname="Watchdog"'],
        "group_wait": "0s",
        "group_interval": "1m",
        "repeat_interval": "1m",
        "continue": False,
    }
    assert critical == {
        "receiver": "oncall",
        "matchers": ['severity=~"critical"'],
        "continue": True,
    }
    assert cells == {
        "receiver": "team-eu",
        "matchers": ['cell=~"eu-west-1|eu-central-1"'],
        "continue": False,
    }
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "cell"],
        },
        {
            "source_matchers": ['severity=~"critical|warning"'],
            "target_matchers": ['severity="info"'],
            "equal": ["alertname", "cell"],
        },
        {
            "source_matchers": ['alertname="InfoInhibitor"'],
            "target_matchers": ['severity="info"'],
            "equal": ["namespace"],
        },
    ]
    receivers = {r["name"]: r for r in config["receivers"]}
    assert set(receivers) == {"null", "oncall", "team-eu", "heartbeat"}
    assert receivers["oncall"]["slack_configs"][0]["api_url"] == SLACK_URL
    assert receivers["oncall"]["slack_configs"][0]["channel"] == "#oncall"
    assert "channel" not in receivers["team-eu"]["slack_configs"][0]
    assert receivers["heartbeat"]["webhook_configs"] == [
        {"url": HEARTBEAT_URL, "send_resolved": True, "max_alerts": 0}
    ]


def test_missing_resolved_url_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no resolved URL for receiver\(s\) \['heartbeat'\]"):
        build_alertmanager_config(full_args(), {"oncall": SLACK_URL, "team-eu": TEAM_URL})


def test_receiver_urls_keep_outputs() -> None:
    marker = object.__new__(pulumi.Output)
    args = AlertingArgs(
        slack_receivers=[SlackReceiver(name="a", api_url=marker)], default_receiver="a"
    )
    assert args.receiver_urls() == {"a": marker}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"slack_receivers": [SlackReceiver(name="unused", api_url=SLACK_URL)]},
            r"receiver\(s\) \['unused'\] are defined but no route",
        ),
        (
            {"routes": [AlertRoute(receiver="pager", severities=["critical"])]},
            r"routes\[0\].receiver is 'pager', which is no receiver",
        ),
        ({"default_receiver": "nobody"}, "default_receiver is 'nobody', which is no receiver"),
        ({"heartbeat_receiver": "nobody"}, "heartbeat_receiver is 'nobody', which is no"),
        (
            {
                "slack_receivers": [SlackReceiver(name="s", api_url=SLACK_URL)],
                "default_receiver": "s",
                "heartbeat_receiver": "s",
            },
            "heartbeat_receiver 's' is not a webhook receiver",
        ),
        (
            {
                "slack_receivers": [SlackReceiver(name="dup", api_url=SLACK_URL)],
                "webhook_receivers": [WebhookReceiver(name="dup", url=HEARTBEAT_URL)],
                "default_receiver": "dup",
            },
            "two receivers are named 'dup'",
        ),
        (
            {"webhook_receivers": [WebhookReceiver(name="null", url=HEARTBEAT_URL)]},
            "'null' is reserved",
        ),
        ({"inhibit_equal_labels": ["cell"]}, "lacks 'alertname'"),
    ],
)
def test_invalid_routing_is_refused_at_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        AlertingArgs(**kwargs)


def test_receiver_and_route_field_checks() -> None:
    with pytest.raises(ArgsError, match="must start with https://"):
        SlackReceiver(name="s", api_url="http://hooks.slack.com/x")
    with pytest.raises(ArgsError, match="starts with '#'"):
        SlackReceiver(name="s", api_url=SLACK_URL, channel="alerts")
    with pytest.raises(ArgsError, match="must start with https:// or http://"):
        WebhookReceiver(name="w", url="ftp://example.com")
    with pytest.raises(ArgsError, match="would catch every alert"):
        AlertRoute(receiver="x")
    with pytest.raises(ArgsError, match="String should match pattern"):
        SlackReceiver(name="On Call", api_url=SLACK_URL)
    with pytest.raises(ArgsError, match="Input should be 'critical', 'warning' or 'info'"):
        AlertRoute(receiver="x", severities=["page"])


NAMES = st.lists(
    st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).filter(lambda n: n != NULL_RECEIVER),
    min_size=0,
    max_size=4,
    unique=True,
)


@given(names=NAMES, data=st.data())
def test_validation_accepts_exactly_the_consistent_configurations(
    names: list[str], data: st.DataObject
) -> None:
    targets = st.sampled_from([*names, NULL_RECEIVER, "ghost"])
    route_targets = data.draw(st.lists(targets, max_size=4))
    default = data.draw(targets)
    kwargs = {
        "slack_receivers": [SlackReceiver(name=n, api_url=SLACK_URL) for n in names],
        "default_receiver": default,
        "routes": [AlertRoute(receiver=t, cells=["eu-west-1"]) for t in route_targets],
    }
    used = {default, *route_targets}
    consistent = "ghost" not in used and set(names) <= used
    if consistent:
        args = AlertingArgs(**kwargs)
        config = build_alertmanager_config(args, dict.fromkeys(names, SLACK_URL))
        declared = {r["name"] for r in config["receivers"]}
        referenced = {config["route"]["receiver"]} | {
            r["receiver"] for r in config["route"]["routes"]
        }
        assert referenced <= declared
        assert declared - {NULL_RECEIVER} <= referenced
    else:
        with pytest.raises(ArgsError, match=r"^AlertingArgs: invalid arguments:\n  AlertingArgs"):
            AlertingArgs(**kwargs)


# --- amtool -----------------------------------------------------------------------------------


def _write(tmp_path: Path, config: dict[str, Any], name: str = "alertmanager.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _amtool(amtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([amtool, *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.tool
@pytest.mark.parametrize("which", ["default", "full"])
def test_amtool_check_config_passes(amtool: str, tmp_path: Path, which: str) -> None:
    config = (
        build_alertmanager_config(AlertingArgs(), {})
        if which == "default"
        else build_alertmanager_config(full_args(), URLS)
    )
    result = _amtool(amtool, "check-config", str(_write(tmp_path, config)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.tool
def test_amtool_check_config_catches_a_broken_config(amtool: str, tmp_path: Path) -> None:
    config = build_alertmanager_config(full_args(), URLS)
    config["route"]["routes"][1]["receiver"] = "ghost"
    result = _amtool(amtool, "check-config", str(_write(tmp_path, config)))
    assert result.returncode != 0
    assert "ghost" in result.stdout + result.stderr


@pytest.mark.tool
@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (["alertname=Watchdog", "severity=none"], "heartbeat"),
        (["alertname=InfoInhibitor", "severity=none", "namespace=monitoring"], "null"),
        (
            ["alertname=PrimaryHealthCheckFailing", "severity=critical", "cell=eu-west-1"],
            "oncall,team-eu",
        ),
        (["alertname=StandbyNotReady", "severity=critical", "cell=us-east-1"], "oncall"),
        (["alertname=LokiDiscardingLogs", "severity=warning", "cell=eu-central-1"], "team-eu"),
        (["alertname=LokiDiscardingLogs", "severity=warning", "cell=ap-south-1"], "team-eu"),
    ],
)
def test_amtool_routes_alerts_to_the_expected_receivers(
    amtool: str, tmp_path: Path, labels: list[str], receivers: str
) -> None:
    config_file = _write(tmp_path, build_alertmanager_config(full_args(), URLS))
    result = _amtool(amtool, "config", "routes", "test", f"--config.file={config_file}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receivers


@pytest.mark.tool
def test_amtool_routes_by_cell_before_the_default(amtool: str, tmp_path: Path) -> None:
    args = AlertingArgs(
        slack_receivers=[
            SlackReceiver(name="eu", api_url=SLACK_URL),
            SlackReceiver(name="rest", api_url=TEAM_URL),
        ],
        default_receiver="rest",
        routes=[AlertRoute(receiver="eu", cells=["eu-west-1"])],
    )
    config_file = _write(
        tmp_path, build_alertmanager_config(args, {"eu": SLACK_URL, "rest": TEAM_URL})
    )
    for cell, expected in (("eu-west-1", "eu"), ("eu-west-10", "rest"), ("us-east-1", "rest")):
        result = _amtool(
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={config_file}",
            "alertname=X",
            "severity=warning",
            f"cell={cell}",
        )
        assert result.stdout.strip() == expected, cell


@pytest.mark.tool
@settings(max_examples=10, deadline=None)
@given(names=NAMES.filter(bool))
def test_amtool_accepts_generated_configs(
    amtool: str, tmp_path_factory: pytest.TempPathFactory, names: list[str]
) -> None:
    args = AlertingArgs(
        webhook_receivers=[WebhookReceiver(name=n, url=HEARTBEAT_URL) for n in names],
        default_receiver=names[0],
        heartbeat_receiver=names[-1],
        routes=[
            AlertRoute(receiver=n, severities=["warning", "info"], cells=[n]) for n in names[1:]
        ],
    )
    path = _write(
        tmp_path_factory.mktemp("am"),
        build_alertmanager_config(args, dict.fromkeys(names, HEARTBEAT_URL)),
    )
    result = _amtool(amtool, "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.tool
@pytest.mark.parametrize("template", [SLACK_TITLE, SLACK_TEXT, "{{ .CommonLabels.alertname "])
def test_amtool_renders_the_slack_templates(amtool: str, tmp_path: Path, template: str) -> None:
    empty = tmp_path / "empty.tmpl"
    empty.write_text("")
    result = _amtool(
        amtool, "template", "render", f"--template.glob={empty}", f"--template.text={template}"
    )
    broken = not template.endswith("}}")
    assert (result.returncode != 0) is broken, result.stdout + result.stderr
    if not broken:
        assert "Runbook" in result.stdout or result.stdout.startswith("[")


def test_resolved_urls_are_checked_without_echoing_them() -> None:
    secret = "ftp://hooks.example.com/T000/SECRET-TOKEN"
    with pytest.raises(
        ValueError, match="receiver 'oncall': the URL must start with https://"
    ) as info:
        build_alertmanager_config(full_args(), {**URLS, "oncall": secret})
    assert "SECRET-TOKEN" not in str(info.value)
    with pytest.raises(ValueError, match="got 'no scheme'") as info:
        build_alertmanager_config(full_args(), {**URLS, "heartbeat": "hc-ping.com/TOKEN"})
    assert "TOKEN" not in str(info.value)
    with pytest.raises(ValueError, match="resolved to a NoneType"):
        build_alertmanager_config(full_args(), {**URLS, "team-eu": None})  # type: ignore[dict-item]


def test_label_names_are_checked() -> None:
    with pytest.raises(ArgsError, match="are not Prometheus label names"):
        AlertingArgs(group_by=["alertname", "dr-role"])
    with pytest.raises(ArgsError, match="are not Prometheus label names"):
        AlertingArgs(inhibit_equal_labels=["alertname", "1cell"])
    assert AlertingArgs(group_by=["..."]).group_by == ("...",)
    with pytest.raises(ArgsError, match="at least 1 character"):
        AlertRoute(receiver="x", cells=[""])
