"""Route 53 for a pilot-light pair: health checks, failover records, alarms in us-east-1.

Children (``n`` is the DR component's name):

* ``{n}-primary-healthz`` (``aws:route53/healthCheck:HealthCheck``): HTTPS on the primary's
  ``/healthz``, every ``request_interval`` seconds, unhealthy after ``failure_threshold`` failures;
  tagged ``cell`` and ``dr-role=primary`` for the DR alert rules.
* ``{n}-primary-healthz-alarm`` (``aws:cloudwatch/metricAlarm:MetricAlarm``, in **us-east-1**, where
  Route 53 publishes ``HealthCheckStatus``): the alarm that triggers the Region switch plan.
* ``{n}-primary-never-healthy`` (``aws:cloudwatch/metricAlarm:MetricAlarm``, us-east-1): in
  ALARM while the primary's ``/healthz`` has not been healthy once in the last 24 hours (hourly
  ``Maximum`` of ``HealthCheckStatus`` below 1 in all 24 periods; no data counts as not
  healthy). The Region switch trigger needs it OK, so a primary that has never served (a first
  deploy) is not failed over. CloudWatch allows 24 periods of one hour: "Period multiplied by
  EvaluationPeriods can't be more than 604,800 seconds" (botocore cloudwatch PutMetricAlarm).
* With a database, the failback gate: ``{n}-primary-writer-alarm`` (in the primary region, on
  ``AuroraGlobalDBReplicationLag`` of the primary-region cluster: that metric exists only while
  the cluster is a *secondary*), ``{n}-primary-writer-check`` (a CloudWatch-alarm health check on
  it) and ``{n}-primary-gate`` (a calculated check: healthy only when ``/healthz`` is healthy AND
  the primary region's database is the writer). The PRIMARY record uses the gate, so DNS never
  swings back to the old primary before its database is the writer again.
* ``{n}-primary-record`` / ``{n}-standby-record`` (``aws:route53/record:Record``): PRIMARY and
  SECONDARY failover CNAMEs with set identifiers ``{site}-primary`` / ``{site}-standby``.

The SECONDARY record has no health check on purpose: a pilot-light standby serves nothing before
it is scaled up, and Route 53 answers with the primary when both records are unhealthy, which
would keep clients on the failed region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .._internal.alert_rules import CELL_TAG, DR_ROLE_TAG
from .._internal.regions import ROUTE53_METRICS_REGION
from .._internal.rto import ROUTE53_METRIC_PERIOD_SECONDS

NEVER_HEALTHY_PERIOD_SECONDS = 3600
NEVER_HEALTHY_PERIODS = 24
"""The "has the primary ever been healthy" window: 24 one-hour periods (one day)."""

if TYPE_CHECKING:
    from .args import PilotLightDrArgs
    from .pilot_light import PilotLightDr


@dataclass(frozen=True)
class Route53Parts:
    """What :func:`create_route53` made."""

    health_check: aws.route53.HealthCheck
    alarm: aws.cloudwatch.MetricAlarm
    never_healthy_alarm: aws.cloudwatch.MetricAlarm
    primary_record: aws.route53.Record
    standby_record: aws.route53.Record
    gate: aws.route53.HealthCheck | None
    primary_set_identifier: str
    standby_set_identifier: str


def create_writer_gate(
    owner: Any,
    role: str,
    *,
    region: str,
    cluster_id: pulumi.Input[str],
    endpoint_check: aws.route53.HealthCheck,
    opts: dict[str, Any] | None = None,
) -> aws.route53.HealthCheck:
    """Create the gate a PRIMARY failover record uses: its endpoint is healthy AND its writer.

    ``{n}-{role}-writer-alarm`` (in ``region``, on ``AuroraGlobalDBReplicationLag`` of the
    cluster there: that metric exists only while the cluster is a *secondary*),
    ``{n}-{role}-writer-check`` (a CloudWatch-alarm health check on it) and ``{n}-{role}-gate``
    (a calculated check of both). So DNS moves with a database switchover, and never swings
    back to the old primary before its database is the writer again. ``obs-platform dr`` finds
    the gate by its name (``...-primary-gate``).

    Args:
        owner: The component (``child_name``, ``child_opts``, ``tags``).
        role: Name part of the children (``"primary"``).
        region: The primary region (where the alarm is).
        cluster_id: The primary-region Aurora member's identifier.
        endpoint_check: The endpoint's own health check.
        opts: Extra ``child_opts`` keyword arguments of the alarm (the site's account).
    """
    writer_alarm = aws.cloudwatch.MetricAlarm(
        owner.child_name(f"{role}-writer-alarm"),
        region=region,
        alarm_description=(
            f"The {region} Aurora cluster is a global-database "
            "secondary (it reports replication lag): failback gate closed."
        ),
        namespace="AWS/RDS",
        metric_name="AuroraGlobalDBReplicationLag",
        dimensions={"DBClusterIdentifier": cluster_id},
        statistic="Maximum",
        period=ROUTE53_METRIC_PERIOD_SECONDS,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanOrEqualToThreshold",
        # No lag metric means the cluster is the writer: the gate is open.
        treat_missing_data="notBreaching",
        tags=owner.tags({"Name": owner.child_name(f"{role}-writer-alarm")}),
        opts=owner.child_opts(**(opts or {})),
    )
    writer_check = aws.route53.HealthCheck(
        owner.child_name(f"{role}-writer-check"),
        type="CLOUDWATCH_METRIC",
        cloudwatch_alarm_name=writer_alarm.name,
        cloudwatch_alarm_region=region,
        insufficient_data_health_status="Healthy",
        tags=owner.tags({"Name": owner.child_name(f"{role}-writer-check")}),
        opts=owner.child_opts(),
    )
    return aws.route53.HealthCheck(
        owner.child_name(f"{role}-gate"),
        type="CALCULATED",
        child_healthchecks=[endpoint_check.id, writer_check.id],
        child_health_threshold=2,
        tags=owner.tags({"Name": owner.child_name(f"{role}-gate")}),
        opts=owner.child_opts(),
    )


def create_route53(
    owner: PilotLightDr, args: PilotLightDrArgs, primary_cluster_id: pulumi.Output[str] | None
) -> Route53Parts:
    """Create the health checks, alarms and failover records.

    Args:
        owner: The DR component (parent of every child).
        args: Its arguments.
        primary_cluster_id: The primary-region Aurora cluster's identifier, for the failback
            gate; ``None`` without a database (no gate).
    """
    primary, standby = args.primary, args.standby
    health_check = aws.route53.HealthCheck(
        owner.child_name("primary-healthz"),
        type="HTTPS",
        fqdn=primary.healthz_host,
        port=443,
        resource_path=primary.healthz_path,
        request_interval=args.health_check_interval_seconds,
        failure_threshold=args.health_check_failure_threshold,
        enable_sni=True,
        measure_latency=False,
        # The DR alert rules read these tags (exported by the CloudWatch exporter).
        tags=owner.tags(
            {
                "Name": owner.child_name("primary-healthz"),
                CELL_TAG: primary.name,
                DR_ROLE_TAG: "primary",
            }
        ),
        opts=owner.child_opts(),
    )
    alarm = aws.cloudwatch.MetricAlarm(
        owner.child_name("primary-healthz-alarm"),
        region=ROUTE53_METRICS_REGION,
        alarm_description=(
            f"Primary {primary.name} ({primary.region}) /healthz is failing; "
            f"triggers failover to {standby.name} ({standby.region})."
        ),
        namespace="AWS/Route53",
        metric_name="HealthCheckStatus",
        dimensions={"HealthCheckId": health_check.id},
        statistic="Minimum",
        period=ROUTE53_METRIC_PERIOD_SECONDS,
        evaluation_periods=args.alarm_evaluation_periods,
        datapoints_to_alarm=args.alarm_evaluation_periods,
        threshold=1,
        comparison_operator="LessThanThreshold",
        # A gap in the metric is not evidence of an outage; failing over on it would be.
        treat_missing_data="notBreaching",
        alarm_actions=list(args.alarm_actions),
        ok_actions=list(args.alarm_actions),
        tags=owner.tags({"Name": owner.child_name("primary-healthz-alarm")}),
        opts=owner.child_opts(),
    )
    never_healthy = aws.cloudwatch.MetricAlarm(
        owner.child_name("primary-never-healthy"),
        region=ROUTE53_METRICS_REGION,
        alarm_description=(
            f"Primary {primary.name} ({primary.region}) /healthz has not been healthy once in "
            "24 hours: automatic failover stays off until it has served."
        ),
        namespace="AWS/Route53",
        metric_name="HealthCheckStatus",
        dimensions={"HealthCheckId": health_check.id},
        statistic="Maximum",
        period=NEVER_HEALTHY_PERIOD_SECONDS,
        evaluation_periods=NEVER_HEALTHY_PERIODS,
        datapoints_to_alarm=NEVER_HEALTHY_PERIODS,
        threshold=1,
        comparison_operator="LessThanThreshold",
        # Before the first datapoint the primary has not been seen healthy.
        treat_missing_data="breaching",
        tags=owner.tags({"Name": owner.child_name("primary-never-healthy")}),
        opts=owner.child_opts(),
    )
    gate: aws.route53.HealthCheck | None = None
    if primary_cluster_id is not None:
        gate = create_writer_gate(
            owner,
            "primary",
            region=primary.region,
            cluster_id=primary_cluster_id,
            endpoint_check=health_check,
            opts=primary.opts(),
        )
    primary_id = f"{primary.name}-primary"
    standby_id = f"{standby.name}-standby"
    records: list[aws.route53.Record] = []
    for role, site, set_id, kind, check in (
        ("primary", primary, primary_id, "PRIMARY", gate or health_check),
        ("standby", standby, standby_id, "SECONDARY", None),
    ):
        extra: dict[str, Any] = {"health_check_id": check.id} if check is not None else {}
        records.append(
            aws.route53.Record(
                owner.child_name(f"{role}-record"),
                zone_id=args.zone_id,
                name=args.record_name,
                type="CNAME",
                ttl=args.dns_ttl_seconds,
                set_identifier=set_id,
                failover_routing_policies=[{"type": kind}],
                records=[
                    site.record_target if site.record_target is not None else site.healthz_host
                ],
                opts=owner.child_opts(),
                **extra,
            )
        )
    return Route53Parts(
        health_check=health_check,
        alarm=alarm,
        never_healthy_alarm=never_healthy,
        primary_record=records[0],
        standby_record=records[1],
        gate=gate,
        primary_set_identifier=primary_id,
        standby_set_identifier=standby_id,
    )
