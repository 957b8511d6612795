"""The stack's standby in ``dr_region``: what the primary hands it, and what joins the two.

The standby is an :class:`~obs_platform.observability.stack.ObservabilityStack` named
``{name}-dr``, a child of the primary, built by the same code from arguments derived here
(:func:`standby_args`). What differs is passed in a :class:`StandbyWiring`:

* storage: no buckets of its own; Loki and Tempo use the primary's replica buckets (and the
  replica KMS keys). Their roles hold the write grant statically (the managed policies
  ``{name}-dr-loki-write`` and ``{name}-dr-tempo-write``, always attached as
  ``{name}-dr-{engine}-write-attachment``); what keeps them read-only until
  ``StandbyStackArgs.promoted`` is a Deny statement (``Sid`` ``ObsPlatformReadOnlyUntilPromoted``)
  in each replica bucket's policy, which ``obs-platform dr failover`` removes with S3 calls in
  the standby's region (statically stable: no IAM control-plane call on the recovery path);
* Grafana's database: the global database made by the DR layer's Aurora module
  (:func:`obs_platform.dr.aurora.create_global_database`), whose children are the primary's and
  are named ``{name}-grafana-*`` (``{name}-grafana-global``, ``{name}-grafana-primary-db``,
  ``{name}-grafana-standby-db``, their ``-db-{i}`` instances, ``{name}-grafana-db-master``);
  each stack places its member in its own VPC: ``{name}[-dr]-grafana-db-kms``,
  ``-grafana-db-subnets`` and ``-grafana-db-sg``;
* alerting: the same routes and receivers, except that the Watchdog goes to the standby's own
  dead man's switch check (``StandbyStackArgs.heartbeat_url``).

Alerting across regions is two independent Alertmanagers, not one gossip cluster. Alertmanager's
cluster (memberlist on 9094 TCP and UDP) needs every peer to reach every other peer's pod
address, and a peer behind a load balancer answers from whichever pod the NLB picks, so an
``additionalPeers`` entry through an NLB joins the cluster but later probes address pod IPs that
only a flat, routed pod network reaches; a TGW partition would then split the cluster anyway and
both halves would notify. Two Alertmanagers with identical routing give each group the same
group key, from which PagerDuty's ``dedup_key`` and Opsgenie's ``alias`` are derived
(Alertmanager ``notify/pagerduty`` and ``notify/opsgenie``), so those receivers deduplicate;
Slack, webhook, email and SNS receivers get each notification once per region.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .._internal.alertmanager import AlertingArgs, WebhookReceiver
from .._internal.helm_values import Scale, loki_ingester
from .._internal.rto import Budget, DrTimingConfig, compute_budget
from .._internal.telemetry_rpo import TelemetryRpo, telemetry_rpo
from ..dr.args import AuroraGlobalArgs
from ..dr.aurora import (
    AuroraParts,
    create_db_placement,
    create_global_database,
    create_region_key,
)
from .failover import detection_seconds
from .identity import bucket_write_policy
from .network import StackNetwork
from .releases import GrafanaDatabaseSettings, Releases
from .storage import Bucket

if TYPE_CHECKING:
    from .._component import Component
    from .args import ObservabilityStackArgs, StandbyStackArgs

GRAFANA_DATABASE = "grafana"
"""Grafana's database name and user on the global cluster."""

STANDBY_SUFFIX = "dr"
"""The standby child's name is ``{name}-dr`` (short: the stack's name budget is tight, 13
characters for ``{name}-tg-grafana`` target groups)."""


@dataclass
class StandbyWiring:
    """What the primary hands the standby it builds.

    Attributes:
        primary_region: The primary's region.
        buckets: The replica buckets, by role (``loki-chunks``, ``loki-ruler``, ``tempo-traces``).
        keys: The replica KMS keys, by engine (``loki``, ``tempo``).
        promoted: Whether the standby's Loki and Tempo may write (their roles' inline policy
            is then read-write too; either way the write grant is attached, and the replicas'
            policies withhold it while passive).
        database: Creates the standby's placement and the global database once the standby's
            network exists; returns Grafana's connection settings.
        grafana_replicas: Grafana pods.
        amp_extra: ``(url, workspace ARN, region)`` of the primary's AMP workspace.
        content_standby_region: The region the DR rules and dashboards name as standby (the
            primary's ``dr_region``), so both stacks evaluate the same rules.
    """

    primary_region: str
    buckets: dict[str, Bucket]
    keys: dict[str, Any]
    promoted: bool
    database: Callable[[Component[Any], StackNetwork], GrafanaDatabaseSettings]
    grafana_replicas: int
    amp_extra: tuple[tuple[Any, Any, str], ...]
    content_standby_region: str | None


def standby_alerting(alerting: AlertingArgs, heartbeat_url: Any) -> AlertingArgs:
    """Return the standby's routing: the primary's, with its own Watchdog endpoint."""
    if alerting.heartbeat_receiver is None or heartbeat_url is None:
        return alerting
    receivers = tuple(
        WebhookReceiver.model_validate({**dict(r), "url": heartbeat_url})
        if r.name == alerting.heartbeat_receiver
        else r
        for r in alerting.webhook_receivers
    )
    return AlertingArgs.model_validate({**dict(alerting), "webhook_receivers": receivers})


def standby_args(args: ObservabilityStackArgs) -> ObservabilityStackArgs:
    """Return the standby's arguments, derived from the primary's (``args.standby`` is set)."""
    standby: StandbyStackArgs = args.standby  # type: ignore[assignment]
    assert args.dr_region is not None  # checked by the args model
    update: dict[str, Any] = {
        "region": args.dr_region,
        "node_groups": standby.node_groups,
        "vpc_id": standby.vpc_id,
        "private_subnet_ids": standby.private_subnet_ids,
        "docker_hub_credential_arn": standby.docker_hub_credential_arn,
        "ghcr_credential_arn": standby.ghcr_credential_arn,
        "amp_remote_write_url": standby.amp_remote_write_url,
        "amp_workspace_arn": standby.amp_workspace_arn,
        "alerting": standby_alerting(args.alerting, standby.heartbeat_url),
        # The CloudWatch exporter reads both regions from either side.
        "dr_region": args.region,
        "replicate_images": False,
        "replicate_storage": False,
        "standby": None,
        "grafana_replicas": None,
        # The repositories replicate from the primary (same names in dr_region).
        "ecr_repositories": (),
        # The primary's zone holds the failover records; the standby's VPC joins it.
        "ingest_zone_name": None,
        "ingest_zone_authorized_vpcs": (),
    }
    values = {name: getattr(args, name) for name in type(args).model_fields}
    return type(args).model_validate({**values, **update})


@dataclass(frozen=True)
class _Prefixed:
    """An owner whose children are named ``{name}-{prefix}-{role}`` (the Aurora module's)."""

    owner: Component[Any]
    prefix: str

    def child_name(self, role: str) -> str:
        return self.owner.child_name(f"{self.prefix}-{role}")

    def child_opts(self, opts: Any = None, **kwargs: Any) -> pulumi.ResourceOptions:
        return self.owner.child_opts(opts, **kwargs)

    def tags(self, resource_tags: Any = None) -> dict[str, str]:
        return self.owner.tags(resource_tags)


@dataclass(frozen=True)
class DatabaseSite:
    """One stack's side of Grafana's global database (the Aurora module's site protocol)."""

    name: str
    region: str
    db_subnet_group_name: Any
    db_security_group_ids: Any
    db_kms_key_arn: Any
    vpc_id: Any = None
    vpc_cidr: Any = None
    db_subnet_ids: Any = None
    shared_subnets_ready: tuple[Any, ...] = ()

    def opts(self) -> dict[str, Any]:
        """Same account as the stack: no provider of its own."""
        return {}


def database_site(
    owner: Component[Any],
    *,
    region: str,
    network: StackNetwork,
    client_cidrs: list[Any],
    protect: bool,
) -> DatabaseSite:
    """Create one stack's placement of its member: KMS key, subnet group, security group.

    The security group admits PostgreSQL from ``client_cidrs``: both stacks' VPCs, since both
    Grafanas write through the global writer endpoint, wherever the writer is.
    """
    named = _Prefixed(owner, "grafana")
    key = create_region_key(
        named, "db-kms", region, f"Grafana's database member in {region}.", {"protect": protect}
    )
    group, sg = create_db_placement(
        named,
        "db",
        region=region,
        vpc_id=network.vpc_id,
        subnet_ids=network.subnet_ids,
        client_cidr=client_cidrs[0],
        subnets_description=f"Grafana's database member in {region}.",
        sg_description="PostgreSQL from the observability stacks' VPCs.",
    )
    for index, cidr in enumerate(client_cidrs[1:], start=1):
        aws.vpc.SecurityGroupIngressRule(
            named.child_name(f"db-sg-peer-{index}"),
            security_group_id=sg.id,
            cidr_ipv4=cidr,
            ip_protocol="tcp",
            from_port=5432,
            to_port=5432,
            region=region,
            description="PostgreSQL from the other region's observability stack",
            tags=owner.tags(),
            opts=owner.child_opts(),
        )
    return DatabaseSite(
        name=region,
        region=region,
        db_subnet_group_name=group.name,
        db_security_group_ids=[sg.id],
        db_kms_key_arn=key.arn,
    )


def grafana_database(
    owner: Component[Any],
    args: ObservabilityStackArgs,
    primary: DatabaseSite,
    standby: DatabaseSite,
) -> tuple[AuroraParts, GrafanaDatabaseSettings]:
    """Create Grafana's global database between the two stacks' placements."""
    settings: StandbyStackArgs = args.standby  # type: ignore[assignment]
    db = settings.grafana_database
    aurora = AuroraGlobalArgs(
        engine_version=db.engine_version,
        instance_class="db.serverless",
        primary_instances=db.primary_instances,
        standby_instances=db.standby_instances,
        database_name=GRAFANA_DATABASE,
        master_username=GRAFANA_DATABASE,
        backup_retention_days=db.backup_retention_days,
        deletion_protection=(
            args.protect if db.deletion_protection is None else db.deletion_protection
        ),
        protect=args.protect,
    )
    parts = create_global_database(
        _Prefixed(owner, "grafana"),
        aurora,
        primary,
        standby,
        serverless_v2_capacity=(db.min_capacity_acu, db.max_capacity_acu),
    )
    assert parts.master_password is not None
    connection = GrafanaDatabaseSettings(
        # The global writer endpoint follows the writer across switchovers and failovers.
        host=parts.global_cluster.endpoint,
        name=GRAFANA_DATABASE,
        user=GRAFANA_DATABASE,
        password=parts.master_password,
        ready=tuple([*parts.primary_instances, *parts.standby_instances]),
        ssl_mode=db.effective_ssl_mode,
        ca_bundle_pem=db.ca_bundle_pem,
    )
    return parts, connection


def storage_write_grants(
    owner: Component[Any],
    releases: Releases,
    buckets: dict[str, Bucket],
    keys: dict[str, Any],
) -> dict[str, aws.iam.Policy]:
    """Create the standby's Loki and Tempo write policies, attached at deploy time.

    The grant is static: promotion never changes IAM, whose control plane (the one
    ``AttachRolePolicy`` needs) is in us-east-1, and which the AWS Fault Isolation Boundaries
    whitepaper (Appendix A, IAM) says not to rely on in a recovery path. What keeps the
    standby read-only is the replica buckets' policy (``storage.read_only_statement``), a
    regional S3 resource in the standby's own region.
    """
    engines = {
        "loki": [buckets["loki-chunks"].bucket.arn, buckets["loki-ruler"].bucket.arn],
        "tempo": [buckets["tempo-traces"].bucket.arn],
    }
    configured = [child for bucket in buckets.values() for child in bucket.configuration]
    policies: dict[str, aws.iam.Policy] = {}
    for engine, arns in engines.items():
        policy = aws.iam.Policy(
            owner.child_name(f"{engine}-write"),
            description=f"Write access of {engine} to the replica buckets (a promoted standby).",
            policy=bucket_write_policy(arns, keys[engine].arn),
            tags=owner.tags(),
            opts=owner.child_opts(),
        )
        policies[engine] = policy
        aws.iam.RolePolicyAttachment(
            owner.child_name(f"{engine}-write-attachment"),
            role=releases.roles[engine].role.name,
            policy_arn=policy.arn,
            # The replicas' policies (with the read-only Deny) first: on a stack that attached
            # the grant only on promotion, the upgrade never lets a passive standby write.
            opts=owner.child_opts(depends_on=configured),
        )
    return policies


def standby_budget(args: ObservabilityStackArgs) -> Budget:
    """Return the stack's own RTO/RPO budget (the same model as a :class:`PilotLightDr`'s).

    * detection: the ingest alarm (``health_alarm_evaluation_periods`` one-minute periods);
    * dns: the failover records are aliases of NLBs (60 s);
    * database: Grafana's global database fails over (Aurora's promotion figure);
    * compute: the standby runs its node groups (warm nodes), so pods only become ready;
    * orchestration: a person runs ``obs-platform dr failover`` for the database (charged as a
      manual approval); ingest and paging need nothing.
    * RPO: Grafana's state, the global database's replication lag.
    """
    standby: StandbyStackArgs = args.standby  # type: ignore[assignment]
    warm = sum(group.desired_size for group in standby.node_groups.values())
    return compute_budget(
        DrTimingConfig(
            rto_target_seconds=standby.rto_target_seconds,
            rpo_target_seconds=standby.rpo_target_seconds,
            detection_alarm_seconds=detection_seconds(standby.health_alarm_evaluation_periods),
            alias_records=True,
            manual_approval=True,
            rds_global=True,
            headless_secondary=False,
            standby_cluster_exists=True,
            standby_warm_nodes=warm,
            nodes_scaled_by_plan=False,
            fixes_for="observability-stack",
        )
    )


def standby_telemetry_rpo(args: ObservabilityStackArgs) -> TelemetryRpo:
    """Return what a loss of the primary region loses of logs and traces.

    The ``dr`` entry's ``telemetry_rpo``, from the ``ingester`` values the primary's Loki and
    Tempo get. The library renders no Tempo ingester setting, and Loki's only when
    ``loki_max_chunk_age_minutes`` is set (:func:`~obs_platform._internal.helm_values.
    loki_ingester`), so the rest are the binaries' defaults.
    """
    standby: StandbyStackArgs = args.standby  # type: ignore[assignment]
    return telemetry_rpo(
        loki_ingester(args.loki_max_chunk_age_minutes),
        {},
        target_seconds=standby.telemetry_rpo_target_seconds,
        tempo_modelled=args.scale is Scale.MONOLITHIC,
    )


def telemetry_rpo_fix(rpo: TelemetryRpo) -> str:
    """Return the setting that brings the telemetry RPO within its target."""
    minutes = rpo.loki_max_chunk_age_to_meet()
    traces = rpo.traces_seconds or 0.0
    if minutes is not None and traces <= rpo.target_seconds:
        return (
            f"set loki_max_chunk_age_minutes={minutes} (or lower), or raise "
            f"standby.telemetry_rpo_target_seconds to {int(rpo.rpo_seconds)}"
        )
    # The lowest RPO any chunk age reaches: one minute of chunk age, or Tempo's term.
    floor = max(traces, rpo.logs_seconds - rpo.terms["loki_max_chunk_age_seconds"] + 60)
    return (
        f"raise standby.telemetry_rpo_target_seconds to {int(floor)} or more (with "
        "loki_max_chunk_age_minutes=1; the flush and replication terms alone exceed the target)"
    )
