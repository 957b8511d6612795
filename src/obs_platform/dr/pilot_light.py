"""``PilotLightDr``: what joins a primary region to a standby so that failover is automatic.

See :mod:`obs_platform.dr` for the parts and :mod:`obs_platform._internal.rto` for the budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

import pulumi
from pydantic import Field

from .._component import Component
from .._internal.errors import ObsPlatformError
from .._internal.kafka_replication import offset_sync_interval_seconds
from .._internal.rto import (
    Budget,
    DrTimingConfig,
    KafkaReplicationMode,
    TimingAssumptions,
    compute_budget,
)
from .._internal.types import ArgsModel, Input, Tags
from .arc import create_region_switch
from .aurora import AuroraParts, create_aurora
from .kafka import create_mirror_maker2, create_msk_replicator
from .route53 import create_route53
from .site import DrSite

__all__ = [
    "AuroraGlobalArgs",
    "BudgetEnforcement",
    "KafkaEngine",
    "KafkaReplicationArgs",
    "PilotLightDr",
    "PilotLightDrArgs",
]


class BudgetEnforcement(StrEnum):
    """What happens when the RTO/RPO budget misses a target."""

    REFUSE = "refuse"
    """Raise before any resource is created (the default)."""
    WARN = "warn"
    """Create the resources and log a warning with the same explanation."""


class KafkaEngine(StrEnum):
    """Which Kafka replication the DR creates (matches the cells' Kafka engine)."""

    MSK = "msk"
    """Amazon MSK Replicator between two MSK clusters."""
    STRIMZI = "strimzi"
    """Strimzi KafkaMirrorMaker2 on the standby cell's EKS cluster."""


class AuroraGlobalArgs(ArgsModel):
    """The Aurora PostgreSQL Global Database of the pair."""

    engine_version: str = Field(default="16.6", pattern=r"^\d+\.\d+$")
    """Aurora PostgreSQL version; both members run it (upgrade the secondary first)."""
    instance_class: str = Field(default="db.r6g.large", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    """Instance class of every member instance (global databases need memory-optimised ones)."""
    primary_instances: int = Field(default=2, ge=1, le=15)
    """Instances in the primary cluster (a writer and readers)."""
    standby_instances: int = Field(default=1, ge=0, le=16)
    """Instances in the secondary; 0 is a *headless* secondary, which must add an instance before
    promotion and so never meets a 5-minute RTO (the budget refuses it)."""
    database_name: str = Field(default="app", pattern=r"^[a-zA-Z][a-zA-Z0-9_]{0,62}$")
    """Initial database."""
    master_username: str = Field(default="app_admin", pattern=r"^[a-zA-Z][a-zA-Z0-9_]{0,15}$")
    """Master user of the primary (the secondary inherits it)."""
    master_password: Input[str] | None = None
    """Master password, wrapped as a Pulumi secret; ``None`` (default) lets RDS manage it in
    Secrets Manager, so it is never in state."""
    global_db_rpo_seconds: int | None = Field(default=None, ge=20)
    """``rds.global_db_rpo``: Aurora pauses commits when replication lag would exceed it, which
    turns the typical sub-second lag into a bound. ``None`` leaves it unset."""
    backup_retention_days: int = Field(default=7, ge=1, le=35)
    """Automated backup retention."""
    deletion_protection: bool = True
    """AWS-side deletion protection of the global cluster and both members."""
    protect: bool = True
    """Pulumi ``protect`` on the global cluster and both members."""
    standby_in_primary_account: bool = False
    """AWS keeps every member of a global database in one account. Set this when the standby
    site lives in another account: the standby member (and its subnet group, security group and
    KMS key) is then created in the primary site's account, in the standby region, on the
    standby cell's subnets shared with the primary account through RAM
    (``CellArgs.share_subnets_with``; both accounts in one AWS Organization)."""


class KafkaReplicationArgs(ArgsModel):
    """Kafka replication from the primary's cluster into the standby's."""

    engine: KafkaEngine = KafkaEngine.MSK
    """MSK Replicator or Strimzi MirrorMaker 2 (the sites must run that engine)."""
    topics: tuple[str, ...] = (".*",)
    """Regular expressions of the topics to replicate."""
    consumer_groups: tuple[str, ...] = (".*",)
    """Regular expressions of the consumer groups whose offsets follow."""
    topics_exclude: tuple[str, ...] = ()
    """Topics not to replicate (MSK Replicator only)."""
    namespace: str = Field(default="kafka", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    """Namespace of the Strimzi cluster on the standby (MirrorMaker 2 only)."""
    mirror_maker_replicas: int = Field(default=2, ge=1)
    """Kafka Connect workers of MirrorMaker 2."""
    trusted_ca_secret: str | None = None
    """Secret with the CA (``ca.crt``) of both Strimzi clusters' TLS listeners (MirrorMaker 2)."""


class PilotLightDrArgs(ArgsModel):
    """Arguments of :class:`PilotLightDr`."""

    primary: DrSite
    """The region that serves (``Cell.dr_site()`` of the primary cell)."""
    standby: DrSite
    """The pilot-light region (``Cell.dr_site()`` of the standby cell)."""
    zone_id: Input[str]
    """Route 53 public hosted zone of ``record_name``."""
    record_name: str = Field(pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}\.?$")
    """The name clients resolve, such as ``"app.example.com"``."""
    rto_target_seconds: int = Field(default=300, ge=60)
    """Recovery time objective (strictly under)."""
    rpo_target_seconds: int = Field(default=60, ge=1)
    """Recovery point objective (strictly under)."""
    health_check_interval_seconds: Literal[10, 30] = 10
    """Route 53 request interval."""
    health_check_failure_threshold: int = Field(default=3, ge=1, le=10)
    """Failed checks before the primary is unhealthy."""
    dns_ttl_seconds: int = Field(default=60, ge=1, le=60)
    """TTL of the failover records (60 s or less, as Route 53 recommends for failover)."""
    alarm_evaluation_periods: int = Field(default=1, ge=1, le=5)
    """One-minute periods the health-check alarm must breach before the plan starts."""
    alarm_actions: tuple[Input[str], ...] = ()
    """SNS topics notified when the health-check alarm changes state."""
    database: AuroraGlobalArgs | None = Field(default_factory=AuroraGlobalArgs)
    """The Aurora Global Database; ``None`` for a pair without one."""
    kafka: KafkaReplicationArgs | None = None
    """Kafka replication; ``None`` for a pair without Kafka."""
    automatic_failover: bool = True
    """Start the failover workflow when the health-check alarm fires."""
    manual_approval: bool = False
    """Wait for a person before failing over (the budget charges for it)."""
    failback_approval: bool = True
    """Wait for a person before failing back (not part of the RTO)."""
    approval_role_arn: Input[str] | None = None
    """Role that approves gated steps; ``None`` creates ``{name}-arc-approver``."""
    budget_enforcement: BudgetEnforcement = BudgetEnforcement.REFUSE
    """Refuse (default) or warn about a configuration whose budget misses a target."""
    timing: TimingAssumptions = Field(default_factory=TimingAssumptions)
    """The AWS timings the budget assumes; override with your measurements."""
    tags: Tags = Field(default_factory=dict)
    """Tags on every taggable child."""


def timing_config(args: PilotLightDrArgs) -> DrTimingConfig:
    """Return the budget's view of a :class:`PilotLightDrArgs`."""
    kafka = KafkaReplicationMode.NONE
    interval = 10
    if args.kafka is not None:
        if args.kafka.engine is KafkaEngine.MSK:
            kafka = KafkaReplicationMode.MSK_REPLICATOR
        else:
            kafka = KafkaReplicationMode.MIRROR_MAKER_2
            try:
                interval = offset_sync_interval_seconds(
                    args.rpo_target_seconds, args.timing.mirror_maker_lag_seconds
                )
            except ValueError:
                interval = 60
    db = args.database
    return DrTimingConfig(
        rto_target_seconds=args.rto_target_seconds,
        rpo_target_seconds=args.rpo_target_seconds,
        health_check_interval_seconds=args.health_check_interval_seconds,
        health_check_failure_threshold=args.health_check_failure_threshold,
        dns_ttl_seconds=args.dns_ttl_seconds,
        alias_records=False,
        alarm_evaluation_periods=args.alarm_evaluation_periods,
        manual_approval=args.manual_approval or not args.automatic_failover,
        rds_global=db is not None,
        headless_secondary=db is not None and db.standby_instances == 0,
        global_db_rpo_seconds=db.global_db_rpo_seconds if db is not None else None,
        standby_cluster_exists=args.standby.eks_cluster_arn is not None,
        standby_warm_nodes=args.standby.warm_nodes,
        kafka=kafka,
        mm2_checkpoint_interval_seconds=interval,
        mm2_sync_group_offsets_interval_seconds=interval,
        assumptions=args.timing,
    )


_DB_FIELDS = ("db_subnet_group_name", "db_security_group_ids", "db_kms_key_arn")
_SHARED_DB_FIELDS = ("vpc_id", "vpc_cidr", "db_subnet_ids")
_MSK_FIELDS = ("kafka_cluster_arn", "kafka_subnet_ids", "kafka_security_group_ids")


class PilotLightDr(Component[PilotLightDrArgs]):
    """Pilot-light disaster recovery between a primary and a standby site.

    Creates, as children (see :mod:`obs_platform.dr.route53`, :mod:`~obs_platform.dr.aurora`,
    :mod:`~obs_platform.dr.kafka` and :mod:`~obs_platform.dr.arc` for exact names):

    * Route 53: an HTTPS health check on the primary's ``/healthz``, PRIMARY/SECONDARY failover
      records (TTL 60 s or less), the ``HealthCheckStatus`` alarm in us-east-1 and, with a
      database, a failback gate on the primary-region database being the writer;
    * the Aurora Global Database: global cluster and both member clusters (this component owns
      them, the cells own their placement: see :mod:`obs_platform.dr.aurora` for why);
    * Kafka replication (MSK Replicator or Strimzi MirrorMaker 2);
    * an ARC Region switch plan that fails over automatically on the alarm and fails back only
      through an approval and a no-data-loss switchover.

    Before anything is created the RTO/RPO budget (:mod:`obs_platform._internal.rto`) is computed
    from the arguments. A configuration that misses its targets is refused with the term at
    fault and the change that fixes it, or, with ``budget_enforcement="warn"``, built with a
    warning. The budget is the ``budget`` output (the plan's ``dr`` section) and
    ``rto_seconds`` / ``rpo_seconds``.

    Accounts: children of one site use that site's ``provider`` (``DrSite.provider``); the
    Route 53, alarm and plan children use the component's own (``opts.providers``).

    Example:
        >>> PilotLightDr("app", PilotLightDrArgs(  # doctest: +SKIP
        ...     primary=primary_cell.dr_site(), standby=standby_cell.dr_site(),
        ...     zone_id=zone.zone_id, record_name="app.example.com"))
    """

    TYPE_TOKEN = "obs-platform:dr:PilotLightDr"
    ARGS_TYPE = PilotLightDrArgs

    budget: pulumi.Output[dict[str, Any]]
    """The RTO/RPO budget: regions, ``rto_seconds``, ``rpo_seconds``, targets and ``terms``."""
    rto_seconds: pulumi.Output[float]
    """Worst-case recovery time, in seconds."""
    rpo_seconds: pulumi.Output[float]
    """Worst-case data-loss window, in seconds."""
    health_check_id: pulumi.Output[str]
    """The Route 53 health check on the primary's ``/healthz``."""
    health_alarm_arn: pulumi.Output[str]
    """The us-east-1 alarm on that health check (the failover trigger)."""
    record_fqdn: pulumi.Output[str]
    """The failover name clients resolve."""
    global_cluster_id: pulumi.Output[str | None]
    """The Aurora global cluster's identifier (``None`` without a database)."""
    primary_cluster_arn: pulumi.Output[str | None]
    """ARN of the primary-region member cluster."""
    standby_cluster_arn: pulumi.Output[str | None]
    """ARN of the standby-region member cluster."""
    kafka_replication_id: pulumi.Output[str | None]
    """ARN of the MSK Replicator or name of the MirrorMaker 2 resource (``None`` without)."""
    region_switch_plan_arn: pulumi.Output[str]
    """ARN of the ARC Region switch plan."""

    def __init__(
        self,
        name: str,
        args: PilotLightDrArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._computed: Budget | None = None
        super().__init__(name, args, opts)

    def _check(self, args: PilotLightDrArgs, label: str) -> None:
        primary, standby = args.primary, args.standby
        if primary.region == standby.region:
            raise ObsPlatformError(
                f"{label}: primary and standby are both in {primary.region!r}; a regional "
                "outage would take both.",
                field="PilotLightDrArgs.standby.region",
                value=standby.region,
                fix="Put the standby site in another region.",
            )
        if primary.name == standby.name:
            raise ObsPlatformError(
                f"{label}: both sites are named {primary.name!r}; names become record set "
                "identifiers and Kafka aliases, which must differ.",
                field="PilotLightDrArgs.standby.name",
                value=standby.name,
                fix="Name each site after its cell (for example its region).",
            )
        if args.database is not None:
            shared = args.database.standby_in_primary_account
            for role, site in (("primary", primary), ("standby", standby)):
                fields = _SHARED_DB_FIELDS if shared and role == "standby" else _DB_FIELDS
                missing = [f for f in fields if getattr(site, f) is None]
                if missing:
                    raise ObsPlatformError(
                        f"{label}: the Aurora Global Database needs {', '.join(missing)} on the "
                        f"{role} site {site.name!r}.",
                        field=f"PilotLightDrArgs.{role}.{missing[0]}",
                        value=None,
                        fix="Build the site with Cell.dr_site() of a cell with "
                        "rds_global=True, or set database=None.",
                    )
        if args.kafka is not None:
            needed = (
                _MSK_FIELDS
                if args.kafka.engine is KafkaEngine.MSK
                else ("kafka_bootstrap_servers",)
            )
            for role, site in (("primary", primary), ("standby", standby)):
                missing = [f for f in needed if getattr(site, f) is None]
                if missing:
                    raise ObsPlatformError(
                        f"{label}: {args.kafka.engine.value} replication needs "
                        f"{', '.join(missing)} on the {role} site {site.name!r}.",
                        field=f"PilotLightDrArgs.{role}.{missing[0]}",
                        value=None,
                        fix="Use cells with kafka_replication=True and the same kafka_engine, "
                        "or set kafka=None.",
                    )
            if args.kafka.engine is KafkaEngine.STRIMZI and standby.kubernetes_provider is None:
                raise ObsPlatformError(
                    f"{label}: MirrorMaker 2 runs on the standby cluster, but the standby site "
                    "has no kubernetes_provider.",
                    field="PilotLightDrArgs.standby.kubernetes_provider",
                    value=None,
                    fix="Use Cell.dr_site() of a Strimzi cell, or pass its Kubernetes provider.",
                )
        budget = compute_budget(timing_config(args))
        self._computed = budget
        if not budget.meets_targets and args.budget_enforcement is BudgetEnforcement.REFUSE:
            raise ObsPlatformError(
                f"{label}: the failover budget misses its targets.\n{budget.explain()}",
                field="PilotLightDrArgs",
                value=budget.as_output(primary.region, standby.region),
                fix="Change the settings named above, or raise the targets; set "
                "budget_enforcement='warn' to deploy anyway with a warning.",
            )

    def _build(self, args: PilotLightDrArgs) -> dict[str, Any]:
        assert self._computed is not None
        budget = self._computed
        if (
            args.database is not None
            and not args.database.standby_in_primary_account
            and args.standby.provider is not None
            and args.standby.provider is not args.primary.provider
        ):
            pulumi.log.warn(
                f"PilotLightDr {self._name!r}: the sites use different AWS providers. If the "
                "standby lives in another account, set "
                "database.standby_in_primary_account=True: AWS keeps every member of an Aurora "
                "global database in one account.",
                resource=self,
            )
        if not budget.meets_targets:
            pulumi.log.warn(
                f"PilotLightDr {self._name!r}: the failover budget misses its targets "
                f"(budget_enforcement=warn).\n{budget.explain()}",
                resource=self,
            )
        aurora: AuroraParts | None = None
        if args.database is not None:
            aurora = create_aurora(self, args)
        dns = create_route53(self, args, aurora.primary_cluster.id if aurora else None)
        kafka_id: Any = None
        if args.kafka is not None:
            if args.kafka.engine is KafkaEngine.MSK:
                kafka_id = create_msk_replicator(self, args).arn
            else:
                kafka_id = create_mirror_maker2(
                    self, args, args.timing.mirror_maker_lag_seconds
                ).metadata["name"]
        plan = create_region_switch(self, args, dns, aurora)
        summary = budget.as_output(args.primary.region, args.standby.region)
        return {
            "budget": pulumi.Output.from_input(summary),
            "rto_seconds": pulumi.Output.from_input(summary["rto_seconds"]),
            "rpo_seconds": pulumi.Output.from_input(summary["rpo_seconds"]),
            "health_check_id": dns.health_check.id,
            "health_alarm_arn": dns.alarm.arn,
            "record_fqdn": dns.primary_record.fqdn,
            "global_cluster_id": pulumi.Output.from_input(
                aurora.global_cluster.id if aurora else None
            ),
            "primary_cluster_arn": pulumi.Output.from_input(
                aurora.primary_cluster.arn if aurora else None
            ),
            "standby_cluster_arn": pulumi.Output.from_input(
                aurora.standby_cluster.arn if aurora else None
            ),
            "kafka_replication_id": pulumi.Output.from_input(kafka_id),
            "region_switch_plan_arn": plan.arn,
        }
