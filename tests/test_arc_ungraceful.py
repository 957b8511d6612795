"""The ``{n}-arc-ungraceful`` Lambda's code against botocore's Stubber (request shapes from the
``arc-region-switch`` and ``cloudwatch`` models): it switches a stalled automatic failover to
ungraceful only in an outage, and never an operator's or a drill's execution."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from obs_platform._internal import arc_ungraceful

PLAN = "arn:aws:arc-region-switch::111111111111:plan/app-region-switch:d56652"
ALARM = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:app-primary-healthz-alarm-5413ef9"
EXECUTION = "us-east-1/0123456789abcdef"
SETTINGS = {
    "PLAN_ARN": PLAN,
    "STANDBY_REGION": "us-east-1",
    "ALARM_ARN": ALARM,
    "DATABASE_STEPS": "database-us-east-1,recover",
}
START = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def clients() -> tuple[Any, Any]:
    session = botocore.session.get_session()
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    arc = session.create_client("arc-region-switch", region_name="us-east-1", **creds)
    cloudwatch = session.create_client("cloudwatch", region_name="us-east-1", **creds)
    return arc, cloudwatch


def summary(**extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "planArn": PLAN,
        "executionId": EXECUTION,
        "startTime": START,
        "mode": "graceful",
        "executionState": "pausedByFailedStep",
        "executionAction": "activate",
        "executionRegion": "us-east-1",
    }
    item.update(extra)
    return item


def details(state: str = "pausedByFailedStep", failed: str = "recover") -> dict[str, Any]:
    return {
        **summary(executionState=state),
        "stepStates": [
            {"name": failed, "status": "failed", "stepMode": "graceful"},
            {"name": "approve", "status": "completed", "stepMode": "graceful"},
        ],
    }


def alarm(state: str) -> dict[str, Any]:
    return {
        "MetricAlarms": [
            {
                "AlarmName": "app-primary-healthz-alarm-5413ef9",
                "AlarmArn": ALARM,
                "StateValue": state,
            }
        ]
    }


LIST = {"planArn": PLAN, "state": "pausedByFailedStep"}
GET = {"planArn": PLAN, "executionId": EXECUTION}
DESCRIBE = {"AlarmNames": ["app-primary-healthz-alarm-5413ef9"], "AlarmTypes": ["MetricAlarm"]}


def update(action: str) -> dict[str, Any]:
    return {
        "planArn": PLAN,
        "executionId": EXECUTION,
        "action": action,
        "comment": arc_ungraceful.COMMENT,
    }


def stalled(a: Stubber, item: dict[str, Any] | None = None, failed: str = "recover") -> None:
    """Queue the listing of one paused execution and its step states."""
    a.add_response("list_plan_executions", {"items": [item or summary()]}, LIST)
    a.add_response("get_plan_execution", details(failed=failed), GET)


def test_outage_switches_to_ungraceful_and_resumes() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a)
        c.add_response("describe_alarms", alarm("ALARM"), DESCRIBE)
        a.add_response("update_plan_execution", {}, update("switchToUngraceful"))
        a.add_response("get_plan_execution", details(), GET)  # still paused
        a.add_response("update_plan_execution", {}, update("resume"))
        done = arc_ungraceful.run(arc, cloudwatch, SETTINGS)
        a.assert_no_pending_responses()
        c.assert_no_pending_responses()
    assert done == [
        {
            "execution_id": EXECUTION,
            "reason": "step recover failed and the primary /healthz alarm is ALARM",
            "resumed": "yes",
        }
    ]


def test_switch_that_resumes_by_itself_is_not_resumed_again() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a, failed="database-us-east-1")
        c.add_response("describe_alarms", alarm("ALARM"), DESCRIBE)
        a.add_response("update_plan_execution", {}, update("switchToUngraceful"))
        a.add_response("get_plan_execution", details(state="inProgress"), GET)
        done = arc_ungraceful.run(arc, cloudwatch, SETTINGS)
        a.assert_no_pending_responses()
    assert [d["resumed"] for d in done] == ["no"]


def test_unreachable_us_east_1_counts_as_an_outage() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a)
        c.add_client_error("describe_alarms", "ServiceUnavailable", http_status_code=503)
        a.add_response("update_plan_execution", {}, update("switchToUngraceful"))
        a.add_response("get_plan_execution", details(state="inProgress"), GET)
        done = arc_ungraceful.run(arc, cloudwatch, SETTINGS)
    assert done[0]["reason"] == "step recover failed and the primary /healthz alarm does not answer"


@pytest.mark.parametrize(
    ("item", "failed", "alarm_value"),
    [
        (summary(), "recover", "OK"),  # the primary is healthy: a person decides
        (summary(), "recover", "INSUFFICIENT_DATA"),
        (summary(), "scale-us-east-1", "ALARM"),  # not the database step
        (summary(comment="obs-platform dr failover (planned)"), "recover", "ALARM"),  # the CLI's
        (summary(executionRegion="eu-west-1"), "recover", "ALARM"),  # a failback
        (summary(executionAction="deactivate"), "recover", "ALARM"),
    ],
)
def test_left_alone(item: dict[str, Any], failed: str, alarm_value: str) -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a, item, failed)
        c.add_response("describe_alarms", alarm(alarm_value), DESCRIBE)
        # No update_plan_execution is stubbed: calling it would raise.
        assert arc_ungraceful.run(arc, cloudwatch, SETTINGS) == []
        a.assert_no_pending_responses()


def test_already_ungraceful_is_not_read_or_switched() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch):
        a.add_response(
            "list_plan_executions", {"items": [summary(mode="ungraceful")], "nextToken": "n2"}, LIST
        )
        a.add_response("list_plan_executions", {"items": []}, {**LIST, "nextToken": "n2"})
        assert arc_ungraceful.run(arc, cloudwatch, SETTINGS) == []
        a.assert_no_pending_responses()


def test_access_denied_on_the_alarm_is_raised_not_taken_for_an_outage() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a)
        c.add_client_error("describe_alarms", "AccessDenied", http_status_code=403)
        with pytest.raises(Exception, match="AccessDenied"):
            arc_ungraceful.run(arc, cloudwatch, SETTINGS)


def test_handler_reads_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    arc, cloudwatch = clients()
    made: list[tuple[str, str]] = []

    def client(service: str, region_name: str, **_: Any) -> Any:
        made.append((service, region_name))
        return arc if service == "arc-region-switch" else cloudwatch

    import boto3

    monkeypatch.setattr(boto3, "client", client)
    for key, value in SETTINGS.items():
        monkeypatch.setenv(key, value)
    with Stubber(arc) as a:
        a.add_response("list_plan_executions", {"items": []}, LIST)
        result = arc_ungraceful.handler({"detail-type": "ARC Region Switch Plan Execution"}, None)
    assert result == {"trigger": "ARC Region Switch Plan Execution", "switched": []}
    assert made == [("arc-region-switch", "us-east-1"), ("cloudwatch", "us-east-1")]


def test_alarm_name_from_arn() -> None:
    assert arc_ungraceful.alarm_name(ALARM) == "app-primary-healthz-alarm-5413ef9"
    with pytest.raises(ValueError, match="not a CloudWatch alarm ARN"):
        arc_ungraceful.alarm_name("arn:aws:sns:us-east-1:111111111111:topic")


def test_shipped_source_needs_nothing_but_the_lambda_runtime() -> None:
    # The file is the function's index.py: only the standard library and boto3/botocore.
    tree = ast.parse(Path(arc_ungraceful.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "json", "os", "collections", "typing", "boto3", "botocore"}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))
