"""The ingest names' failover between the stack and its standby (private hosted zone).

The cells resolve ``ingest.<zone>`` in the stack's private hosted zone. With a standby, that
name is a pair of failover alias records: PRIMARY to the stack's ingest NLB, SECONDARY to the
standby's. Route 53's health checkers run outside every VPC and cannot reach an internal NLB
("Route 53 health checkers are outside the VPC... You can create a CloudWatch metric, associate
an alarm with the metric, and then create a health check that is based on the state of the
alarm": Route 53 API reference, ``CreateHealthCheck``, *Private Hosted Zones*), so the PRIMARY
record's health check follows a CloudWatch alarm:

* ``{n}-ingest-health-alarm`` (``aws:cloudwatch/metricAlarm:MetricAlarm``, the stack's region):
  ``AWS/NetworkELB`` ``HealthyHostCount`` (statistic ``Minimum``, 60 s, standard resolution: what
  Route 53 supports for alarm health checks, Route 53 API reference, ``AlarmIdentifier``) of the
  remote-write target group below 1, missing data breaching;
* ``{n}-ingest-health`` (``aws:route53/healthCheck:HealthCheck``, ``CLOUDWATCH_METRIC``) on that
  alarm, with ``insufficient_data_health_status="Unhealthy"``: when the primary region's
  CloudWatch cannot be read (the region is down), the primary counts as failed;
* with Grafana's global database, the same writer gate a :class:`~obs_platform.dr.PilotLightDr`
  puts on its PRIMARY record (:func:`obs_platform.dr.route53.create_writer_gate`):
  ``{n}-ingest-primary-writer-alarm``, ``{n}-ingest-primary-writer-check`` and
  ``{n}-ingest-primary-gate`` (healthy only while the ingest is healthy AND the primary region's
  member is the writer). So ``obs-platform dr failover`` (an Aurora switchover) moves the ingest
  names with the database, and failback moves them back only once the primary is the writer;
* ``{n}-ingest-record`` (PRIMARY, with the gate, else the health check) and
  ``{n}-ingest-standby-record`` (SECONDARY, no health check: Route 53 answers with the primary
  when both records are unhealthy), aliases with ``evaluate_target_health``;
* ``{n}-ingest-zone-standby`` (``aws:route53/zoneAssociation:ZoneAssociation``): the standby's
  VPC joins the zone (same account: no authorization needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from ..dr.route53 import create_writer_gate

if TYPE_CHECKING:
    from .._component import Component

REGION_TAG = "obs-platform:region"
"""Tag naming the region whose endpoint a health check watches."""

INGEST_ALARM_PERIOD_SECONDS = 60
"""NLB metrics are published per minute (standard resolution, which Route 53 requires)."""


@dataclass(frozen=True)
class IngestFailover:
    """The standby side of the ingest failover records.

    Attributes:
        standby_dns_name: The standby ingest NLB's DNS name.
        standby_zone_id: Its canonical hosted zone ID (for the alias).
        standby_vpc_id: The standby's VPC, associated with the zone.
        standby_region: Its region.
        evaluation_periods: One-minute periods without healthy targets before failover.
        writer_cluster_id: The primary-region member of Grafana's global database, for the
            writer gate; ``None`` for no gate.
    """

    standby_dns_name: Any
    standby_zone_id: Any
    standby_vpc_id: Any
    standby_region: str
    evaluation_periods: int
    writer_cluster_id: Any = None


def detection_seconds(evaluation_periods: int) -> int:
    """Return how long the alarm takes to turn the health check unhealthy."""
    return INGEST_ALARM_PERIOD_SECONDS * evaluation_periods


def ingest_health_check(
    owner: Component[Any],
    *,
    region: str,
    load_balancer: aws.lb.LoadBalancer,
    target_group: aws.lb.TargetGroup,
    evaluation_periods: int,
    writer_cluster_id: Any = None,
) -> aws.route53.HealthCheck:
    """Create the alarm on the ingest NLB's healthy targets and the health check that follows it.

    Returns the check the PRIMARY record uses: the writer gate over it with
    ``writer_cluster_id``, else the check itself.
    """
    alarm = aws.cloudwatch.MetricAlarm(
        owner.child_name("ingest-health-alarm"),
        region=region,
        alarm_description=(
            f"The ingest NLB of {owner.child_name('eks')} has no healthy remote-write target: "
            "the ingest names fail over to the standby."
        ),
        namespace="AWS/NetworkELB",
        metric_name="HealthyHostCount",
        dimensions={
            "LoadBalancer": load_balancer.arn_suffix,
            "TargetGroup": target_group.arn_suffix,
        },
        statistic="Minimum",
        period=INGEST_ALARM_PERIOD_SECONDS,
        evaluation_periods=evaluation_periods,
        comparison_operator="LessThanThreshold",
        threshold=1,
        treat_missing_data="breaching",
        tags=owner.tags({"Name": owner.child_name("ingest-health-alarm")}),
        opts=owner.child_opts(),
    )
    check = aws.route53.HealthCheck(
        owner.child_name("ingest-health"),
        type="CLOUDWATCH_METRIC",
        cloudwatch_alarm_name=alarm.name,
        cloudwatch_alarm_region=region,
        insufficient_data_health_status="Unhealthy",
        # The region in a tag lets `obs-platform dr` tell whose endpoint this check watches. No
        # dr-role tag: the cells' DR alert rules select Route 53 checks by it.
        tags=owner.tags({"Name": owner.child_name("ingest-health"), REGION_TAG: region}),
        opts=owner.child_opts(),
    )
    if writer_cluster_id is None:
        return check
    return create_writer_gate(
        owner,
        "ingest-primary",
        region=region,
        cluster_id=writer_cluster_id,
        endpoint_check=check,
    )


def standby_records(
    owner: Component[Any],
    *,
    zone_id: pulumi.Input[str],
    name: str,
    failover: IngestFailover,
) -> list[pulumi.Resource]:
    """Create the SECONDARY record and associate the standby's VPC with the zone."""
    association = aws.route53.ZoneAssociation(
        owner.child_name("ingest-zone-standby"),
        zone_id=zone_id,
        vpc_id=failover.standby_vpc_id,
        vpc_region=failover.standby_region,
        opts=owner.child_opts(),
    )
    record = aws.route53.Record(
        owner.child_name("ingest-standby-record"),
        zone_id=zone_id,
        name=name,
        type="A",
        set_identifier="standby",
        failover_routing_policies=[{"type": "SECONDARY"}],
        aliases=[
            {
                "name": failover.standby_dns_name,
                "zone_id": failover.standby_zone_id,
                "evaluate_target_health": True,
            }
        ],
        opts=owner.child_opts(),
    )
    return [association, record]
