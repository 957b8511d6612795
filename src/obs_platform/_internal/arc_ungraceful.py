"""The code of the ``{n}-arc-ungraceful`` Lambda: take a stalled automatic failover ungraceful.

:mod:`obs_platform.dr.ungraceful` ships this file, unchanged, as the function's ``index.py``
(so it imports nothing from this package; ``boto3`` comes with the Lambda Python runtime, and
the ``arc-region-switch`` model it may lack ships beside this file, found through
``AWS_DATA_PATH``: :mod:`obs_platform._internal.botocore_models`).

Why it exists. The plan's trigger starts the failover workflow, and the trigger carries no
execution mode (botocore ``arc-region-switch`` ``Trigger``: action, targetRegion, conditions,
minDelayMinutesBetweenExecutions, description; only ``StartPlanExecution`` has ``mode``). A
graceful execution runs the Aurora step as SwitchoverGlobalCluster, which needs the primary
region healthy; in a regional outage it fails and Region switch pauses the execution
(``ExecutionState`` ``pausedByFailedStep``). Nothing then moves until someone switches it to
ungraceful (``UpdatePlanExecution`` action ``switchToUngraceful``, botocore
``UpdatePlanExecutionAction``: switchToGraceful, switchToUngraceful, pause, resume), where the
Aurora step fails over with data loss bounded by the replication lag (the budget's RPO).
With ``PilotLightDrArgs.automatic_ungraceful_failover`` the user consents to that in advance,
and this function does it.

It switches an execution only when every one of these holds:

* it is an execution of this plan, activating the standby region, in graceful mode, paused by
  a failed step (``ListPlanExecutions`` ``state=pausedByFailedStep``);
* the failed step is the database step (or the parallel step that contains it): switching
  changes nothing for the other steps of this plan, which have no ungraceful behaviour;
* nobody started it through ``obs-platform dr`` (comment ``obs-platform dr ...``): the CLI asks
  its own consent and takes the ungraceful path itself (``--unplanned --allow-data-loss``); a
  drill's switchover that fails in a healthy region is a person's call;
* the primary's ``/healthz`` alarm is red, or us-east-1 (where Route 53 publishes its metrics)
  does not answer: evidence of an outage rather than of a switchover that failed for another
  reason.

It then switches the execution to ungraceful and, if it is still paused, resumes it (the ARC
guide does not say whether switching a paused execution resumes it; ``resume`` is the
documented way on).

It runs in the standby region and calls that region's Region switch endpoint: execution
operations are regional, only plan management goes to the control-plane endpoint (botocore
``arc-region-switch`` endpoint rule set: ``UseControlPlaneEndpoint`` is set only on the plan
operations such as CreatePlan), so it does not depend on the impaired region.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

CLI_COMMENT_PREFIX = "obs-platform dr "
"""How ``obs-platform dr`` starts the comment of the executions it starts (``ops.runner``)."""
COMMENT = "obs-platform: automatic failover switched to ungraceful (regional outage, consented)"
"""The comment of the switch (botocore ``ExecutionComment``: at most 1024 characters)."""
PAUSED = "pausedByFailedStep"


def step_failed(steps: Iterable[Mapping[str, Any]], database_steps: Iterable[str]) -> str | None:
    """Return the name of a failed step that is (or contains) the database step, if any."""
    wanted = set(database_steps)
    for step in steps:
        if step.get("status") == "failed" and step.get("name") in wanted:
            return str(step["name"])
    return None


def primary_impaired(alarm_state: str | None) -> bool:
    """Whether the alarm's state is evidence of an outage: red, or not readable at all.

    ``None`` means us-east-1's CloudWatch did not answer (an outage there); ``OK`` or
    ``INSUFFICIENT_DATA`` mean the primary's health check does not say it is down.
    """
    return alarm_state is None or alarm_state == "ALARM"


def reason_to_switch(
    execution: Mapping[str, Any],
    steps: Sequence[Mapping[str, Any]],
    *,
    standby_region: str,
    database_steps: Sequence[str],
    alarm_state: str | None,
) -> str | None:
    """Return why ``execution`` must go ungraceful, or ``None`` to leave it alone.

    Args:
        execution: An ``AbbreviatedExecution`` of ``ListPlanExecutions``.
        steps: Its ``stepStates`` (``GetPlanExecution``).
        standby_region: The region the failover activates.
        database_steps: Names of the step with the Aurora block and of the step containing it.
        alarm_state: ``StateValue`` of the primary's ``/healthz`` alarm, ``None`` if unreadable.
    """
    if (
        execution.get("executionState") != PAUSED
        or execution.get("mode") != "graceful"
        or execution.get("executionAction") != "activate"
        or execution.get("executionRegion") != standby_region
        or str(execution.get("comment") or "").startswith(CLI_COMMENT_PREFIX)
    ):
        return None
    failed = step_failed(steps, database_steps)
    if failed is None or not primary_impaired(alarm_state):
        return None
    why = "does not answer" if alarm_state is None else "is ALARM"
    return f"step {failed} failed and the primary /healthz alarm {why}"


def alarm_name(alarm_arn: str) -> str:
    """Return an alarm's name from its ARN (``arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME``)."""
    _, found, name = alarm_arn.partition(":alarm:")
    if not found or not name:
        raise ValueError(f"not a CloudWatch alarm ARN: {alarm_arn!r}")
    return name


def alarm_state(cloudwatch: Any, alarm_name: str) -> str | None:
    """Return the alarm's ``StateValue``; ``None`` when CloudWatch does not answer.

    A refusal (an HTTP 4xx, such as AccessDenied) is raised: it is a configuration fault, not
    evidence of an outage.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        found = cloudwatch.describe_alarms(AlarmNames=[alarm_name], AlarmTypes=["MetricAlarm"])
    except BotoCoreError:  # connection refused, timeouts: the region does not answer
        return None
    except ClientError as exc:
        if int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)) >= 500:
            return None
        raise
    alarms = found.get("MetricAlarms", [])
    return str(alarms[0]["StateValue"]) if alarms else None


def paused_executions(arc: Any, plan_arn: str) -> list[dict[str, Any]]:
    """Return every execution of the plan paused by a failed step (all pages)."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        extra = {"nextToken": token} if token else {}
        page = arc.list_plan_executions(planArn=plan_arn, state=PAUSED, **extra)
        found += [dict(item) for item in page.get("items", [])]
        token = page.get("nextToken")
        if not token:
            return found


def switch_to_ungraceful(arc: Any, plan_arn: str, execution_id: str, comment: str) -> bool:
    """Switch an execution to ungraceful; resume it if it stays paused. Return whether it did.

    ``obs-platform dr failover --unplanned`` switches the same way (``ops.actions``).
    """
    arc.update_plan_execution(
        planArn=plan_arn,
        executionId=execution_id,
        action="switchToUngraceful",
        comment=comment[:1024],
    )
    after = arc.get_plan_execution(planArn=plan_arn, executionId=execution_id)
    if after.get("executionState") != PAUSED:
        return False
    arc.update_plan_execution(
        planArn=plan_arn, executionId=execution_id, action="resume", comment=comment[:1024]
    )
    return True


def run(arc: Any, cloudwatch: Any, settings: Mapping[str, str]) -> list[dict[str, str]]:
    """Switch every stalled automatic failover of the plan to ungraceful; return what it did.

    Args:
        arc: A Region switch client of the standby region.
        cloudwatch: A CloudWatch client of the alarm's region (us-east-1).
        settings: ``PLAN_ARN``, ``STANDBY_REGION``, ``ALARM_ARN`` and ``DATABASE_STEPS``
            (comma-separated), the function's environment.
    """
    plan_arn = settings["PLAN_ARN"]
    database_steps = [s for s in settings["DATABASE_STEPS"].split(",") if s]
    done: list[dict[str, str]] = []
    state: str | None = None
    state_read = False
    for execution in paused_executions(arc, plan_arn):
        if execution.get("mode") != "graceful":
            continue
        details = arc.get_plan_execution(planArn=plan_arn, executionId=execution["executionId"])
        if not state_read:  # read once, and only when there is something to decide
            state, state_read = alarm_state(cloudwatch, alarm_name(settings["ALARM_ARN"])), True
        why = reason_to_switch(
            execution,
            details.get("stepStates", []),
            standby_region=settings["STANDBY_REGION"],
            database_steps=database_steps,
            alarm_state=state,
        )
        if why is None:
            continue
        execution_id = str(execution["executionId"])
        resumed = switch_to_ungraceful(arc, plan_arn, execution_id, COMMENT)
        done.append(
            {"execution_id": execution_id, "reason": why, "resumed": "yes" if resumed else "no"}
        )
    return done


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point: an EventBridge plan-execution event or the one-minute schedule."""
    import boto3
    from botocore.config import Config

    settings = {k: os.environ[k] for k in ("PLAN_ARN", "STANDBY_REGION", "ALARM_ARN")}
    settings["DATABASE_STEPS"] = os.environ.get("DATABASE_STEPS", "")
    # Short timeouts: an unreachable us-east-1 must not hold the switch for long.
    quick = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 2})
    arc = boto3.client("arc-region-switch", region_name=settings["STANDBY_REGION"])
    cloudwatch = boto3.client(
        "cloudwatch", region_name=settings["ALARM_ARN"].split(":")[3], config=quick
    )
    done = run(arc, cloudwatch, settings)
    result = {"trigger": event.get("detail-type", "schedule"), "switched": done}
    print(json.dumps(result))  # the function's log group keeps the record
    return result
