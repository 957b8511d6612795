"""The automatic ungraceful path: a stalled automatic failover goes on without a person.

Created when ``PilotLightDrArgs.automatic_ungraceful_failover`` is on (by default whenever the
failover is automatic and the pair has a database). Children (``n`` is the DR's name), all in
the standby region, through the DR's own provider (the plan's account):

* ``{n}-arc-ungraceful`` (``aws:lambda/function:Function``, Python 3.13, one concurrent run):
  the code of :mod:`obs_platform._internal.arc_ungraceful`, which switches a graceful
  execution paused at the database step during an outage to ungraceful, with the installed
  botocore's ``arc-region-switch`` model beside it and ``AWS_DATA_PATH`` pointing at it (the
  runtime's own boto3 may predate Region switch);
* ``{n}-arc-ungraceful-role`` and ``{n}-arc-ungraceful-policy``: trusted by Lambda only,
  allowed ``arc-region-switch:ListPlanExecutions``, ``GetPlanExecution`` and
  ``UpdatePlanExecution`` on this plan only (the ARC guide's *Region switch plan execution
  block sample policy* scopes these actions to plan ARNs), ``cloudwatch:DescribeAlarms`` on
  the ``/healthz`` alarm only, and to write its own log group;
* ``{n}-arc-ungraceful-logs`` (``/aws/lambda/{n}-arc-ungraceful``, 90 days);
* ``{n}-arc-ungraceful-errors`` and ``{n}-arc-ungraceful-throttles``: CloudWatch alarms on the
  function's ``AWS/Lambda`` ``Errors`` and ``Throttles`` (:data:`FAILURE_ALARMS`), notifying
  ``PilotLightDrArgs.standby_alarm_actions`` (topics of the standby region: the alarms live
  there). The function is tagged ``cell`` and ``dr-role=standby`` so the stack's CloudWatch
  exporter reads the same metrics for its ``ArcUngracefulFunctionFailing`` alert;
* ``{n}-arc-ungraceful-events``: an EventBridge rule on this plan's execution events (source
  ``aws.arc-region-switch``, detail type ``ARC Region Switch Plan Execution``; ARC guide,
  *Using Region switch in ARC with Amazon EventBridge*), with its target and the permission
  that lets EventBridge invoke the function;
* ``{n}-arc-ungraceful-schedule``: the same every minute, with its target and permission. ARC
  emits events "on a best effort basis" (same page), and the guide does not say in which
  region an execution's events arrive; the schedule bounds the delay to a minute either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .._internal import arc_ungraceful
from .._internal.alert_rules import CELL_TAG, DR_ROLE_TAG
from .._internal.botocore_models import service_model_files
from .._internal.iam import policy_document
from .._internal.regions import ROUTE53_METRICS_REGION
from .route53 import Route53Parts

if TYPE_CHECKING:
    from .args import PilotLightDrArgs
    from .pilot_light import PilotLightDr

RUNTIME = "python3.13"
"""Lambda runtime (pulumi-aws ``lambda_.Runtime.PYTHON3D13``). Its bundled boto3 is whatever
Lambda ships, so the function does not rely on it knowing Region switch: see
:data:`MODEL_DIR`."""
MODEL_DIR = "botocore-data"
"""The archive directory holding the ``arc-region-switch`` model files, taken from the installed
botocore when the program runs (:mod:`obs_platform._internal.botocore_models`)."""
AWS_DATA_PATH = f"${{LAMBDA_TASK_ROOT}}/{MODEL_DIR}"
"""The function's ``AWS_DATA_PATH``: botocore searches it before its own models and expands the
variable (botocore ``loaders.create_loader``); Lambda sets ``LAMBDA_TASK_ROOT`` to the directory
the archive is unpacked into (Lambda developer guide, *Defined runtime environment variables*),
and ``AWS_DATA_PATH`` is not among the variables it reserves."""
EVENT_DETAIL_TYPES = ["ARC Region Switch Plan Execution", "ARC Region switch Plan Execution"]
"""The detail type of plan-execution events: the EventBridge events reference and the ARC
guide's sample event spell it with "Switch", the guide's sample pattern with "switch"; event
patterns match case-sensitively, so the rule lists both."""
LOG_RETENTION_DAYS = 90
MEMORY_MB = 128
"""The function's memory (Lambda's minimum): it makes two or three API calls a run."""
SCHEDULE = "rate(1 minute)"
RUNS_PER_HOUR = 60
"""Scheduled runs an hour (:data:`SCHEDULE`), what the idle-cost estimate counts."""
FAILURE_ALARMS: tuple[tuple[str, str, int, int, str], ...] = (
    (
        "errors",
        "Errors",
        3,
        2,
        "returned an error in 2 of the last 3 minutes (it runs every minute); a stalled "
        "automatic failover would not go ungraceful",
    ),
    (
        "throttles",
        "Throttles",
        5,
        5,
        "was throttled in each of the last 5 minutes: it cannot run",
    ),
)
"""``(suffix, AWS/Lambda metric, evaluation periods, datapoints to alarm, what it means)`` of
the alarms on the function, one-minute ``Sum`` periods (Lambda developer guide, *Types of
metrics for Lambda functions*: ``Errors`` counts invocations that end in a function error,
``Throttles`` invocation requests refused for want of concurrency; view both with ``Sum``).
``Errors`` alarms on two failed runs in three minutes, not one: a lone transient error is
retried by the next run. ``Throttles`` alarms only when every minute is throttled: with one
reserved concurrent run an event arriving with the scheduled run is throttled and retried
(Lambda returns a throttled asynchronous event to its queue and retries it; *Asynchronous
invocation*), which is not a failure."""


@dataclass(frozen=True)
class UngracefulParts:
    """What :func:`create_ungraceful_automation` made."""

    function: aws.lambda_.Function
    rules: tuple[aws.cloudwatch.EventRule, ...]


def function_archive() -> dict[str, str]:
    """Return the function's archive, ``{path: text}``: ``index.py`` and the Region switch model.

    ``index.py`` is :mod:`obs_platform._internal.arc_ungraceful` unchanged; the model files sit
    under :data:`MODEL_DIR` in botocore's layout, so the runtime's botocore, whatever its
    version, can create an ``arc-region-switch`` client.
    """
    files = {"index.py": Path(arc_ungraceful.__file__).read_text(encoding="utf-8")}
    files.update(service_model_files("arc-region-switch", MODEL_DIR))
    return files


def _standby_alarm_actions(args: PilotLightDrArgs) -> tuple[pulumi.Input[str], ...]:
    """Return the topics of the function's alarms.

    ``standby_alarm_actions``, or ``alarm_actions`` when the standby region is the health-check
    alarm's region (us-east-1), where those topics are.
    """
    if args.standby_alarm_actions is not None:
        return args.standby_alarm_actions
    if args.standby.region == ROUTE53_METRICS_REGION:
        return args.alarm_actions
    return ()


def create_ungraceful_automation(
    owner: PilotLightDr,
    args: PilotLightDrArgs,
    plan: aws.arcregionswitch.Plan,
    dns: Route53Parts,
    database_steps: list[str],
) -> UngracefulParts:
    """Create the function, its role, log group and the two rules that run it."""
    region = args.standby.region
    name = owner.child_name("arc-ungraceful")
    log_name = f"/aws/lambda/{name}"
    logs = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=log_name,
        retention_in_days=LOG_RETENTION_DAYS,
        region=region,
        tags=owner.tags({"Name": f"{name}-logs"}),
        opts=owner.child_opts(),
    )
    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=policy_document(
            [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        ),
        description="Switches a stalled automatic failover of the Region switch plan to "
        "ungraceful.",
        tags=owner.tags({"Name": f"{name}-role"}),
        opts=owner.child_opts(),
    )

    def statements(values: dict[str, Any]) -> str:
        return policy_document(
            [
                {
                    "Sid": "SwitchThisPlansExecutions",
                    "Effect": "Allow",
                    "Action": [
                        "arc-region-switch:ListPlanExecutions",
                        "arc-region-switch:GetPlanExecution",
                        "arc-region-switch:UpdatePlanExecution",
                    ],
                    "Resource": values["plan"],
                },
                {
                    "Sid": "ReadTheHealthzAlarm",
                    "Effect": "Allow",
                    "Action": "cloudwatch:DescribeAlarms",
                    "Resource": values["alarm"],
                },
                {
                    "Sid": "WriteItsLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{values['logs']}:*",
                },
            ]
        )

    policy = aws.iam.RolePolicy(
        f"{name}-policy",
        role=role.id,
        policy=pulumi.Output.all(plan=plan.arn, alarm=dns.alarm.arn, logs=logs.arn).apply(
            statements
        ),
        opts=owner.child_opts(),
    )
    function = aws.lambda_.Function(
        name,
        name=name,
        description="Takes a stalled automatic failover ungraceful during a regional outage "
        "(PilotLightDrArgs.automatic_ungraceful_failover).",
        runtime=RUNTIME,
        handler="index.handler",
        role=role.arn,
        code=pulumi.AssetArchive(
            {path: pulumi.StringAsset(text) for path, text in function_archive().items()}
        ),
        timeout=60,
        memory_size=MEMORY_MB,
        # One run at a time: a switch is never decided twice at once.
        reserved_concurrent_executions=1,
        environment={
            "variables": {
                "PLAN_ARN": plan.arn,
                "STANDBY_REGION": region,
                # The name is the ARN's last part (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME).
                "ALARM_ARN": dns.alarm.arn,
                "DATABASE_STEPS": ",".join(database_steps),
                "AWS_DATA_PATH": AWS_DATA_PATH,
            }
        },
        region=region,
        # The CloudWatch exporter reads the function's metrics by these tags (searchTags
        # dr-role=standby; the stack's ArcUngracefulFunctionFailing alert).
        tags=owner.tags({"Name": name, CELL_TAG: args.standby.name, DR_ROLE_TAG: "standby"}),
        opts=owner.child_opts(depends_on=[logs, policy]),
    )
    actions = _standby_alarm_actions(args)
    if not actions and args.alarm_actions and args.standby_alarm_actions is None:
        # The user asked to be notified, but those topics are for the us-east-1 health-check
        # alarm and these alarms live in the standby region: say so rather than stay silent.
        pair = name.removesuffix("-arc-ungraceful")
        pulumi.log.warn(
            f"PilotLightDr {pair!r}: the alarms on {name} ({region}) notify no one: "
            "alarm_actions are for the health-check alarm in us-east-1, not this region. "
            f"Set standby_alarm_actions to SNS topics in {region} (or [] to keep only the "
            "stack's ArcUngracefulFunctionFailing alert).",
            resource=owner,
        )
    for suffix, metric, periods, datapoints, meaning in FAILURE_ALARMS:
        aws.cloudwatch.MetricAlarm(
            f"{name}-{suffix}",
            region=region,
            alarm_description=(
                f"The automatic ungraceful-failover function {name} ({region}) {meaning}. "
                f"Its log group {log_name} says why."
            ),
            namespace="AWS/Lambda",
            metric_name=metric,
            dimensions={"FunctionName": function.name},
            statistic="Sum",
            period=60,
            evaluation_periods=periods,
            datapoints_to_alarm=datapoints,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # No datapoint means no invocation with that outcome.
            treat_missing_data="notBreaching",
            alarm_actions=list(actions),
            ok_actions=list(actions),
            tags=owner.tags({"Name": f"{name}-{suffix}"}),
            opts=owner.child_opts(),
        )
    events = aws.cloudwatch.EventRule(
        f"{name}-events",
        name=f"{name}-events",
        description="Region switch plan execution events of this plan.",
        event_pattern=plan.arn.apply(
            lambda arn: json.dumps(
                {
                    "source": ["aws.arc-region-switch"],
                    "detail-type": EVENT_DETAIL_TYPES,
                    "resources": [arn],
                }
            )
        ),
        region=region,
        tags=owner.tags({"Name": f"{name}-events"}),
        opts=owner.child_opts(),
    )
    schedule = aws.cloudwatch.EventRule(
        f"{name}-schedule",
        name=f"{name}-schedule",
        description="Checks the plan's paused executions every minute (events are best effort).",
        schedule_expression=SCHEDULE,
        region=region,
        tags=owner.tags({"Name": f"{name}-schedule"}),
        opts=owner.child_opts(),
    )
    for rule_name, rule in ((f"{name}-events", events), (f"{name}-schedule", schedule)):
        aws.cloudwatch.EventTarget(
            f"{rule_name}-target",
            rule=rule.name,
            arn=function.arn,
            region=region,
            opts=owner.child_opts(),
        )
        aws.lambda_.Permission(
            f"{rule_name}-permission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            region=region,
            opts=owner.child_opts(),
        )
    return UngracefulParts(function=function, rules=(events, schedule))
