"""The arguments of :class:`~obs_platform.dr.pilot_light.PilotLightDr` and their choices.

They live apart from the component so that its helpers (:mod:`.arc`, :mod:`.aurora`,
:mod:`.kafka`, :mod:`.route53`) import them without a cycle through
:mod:`~obs_platform.dr.pilot_light`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from .._internal.cost import CostAssumptions
from .._internal.rto import TimingAssumptions
from .._internal.types import ArgsModel, Input, Tags
from .site import DrSite

__all__ = [
    "AuroraGlobalArgs",
    "BudgetEnforcement",
    "KafkaEngine",
    "KafkaReplicationArgs",
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
    instance_class: str = Field(
        default="db.r6g.large", pattern=r"^db\.(serverless|[a-z0-9]+\.[a-z0-9]+)$"
    )
    """Instance class of every member instance (global databases need memory-optimised ones);
    the secondary's, too, unless ``standby_instance_class`` is given."""
    standby_instance_class: str | None = Field(
        default=None, pattern=r"^db\.(serverless|[a-z0-9]+\.[a-z0-9]+)$"
    )
    """Instance class of the secondary's instances; ``None`` (default) is ``instance_class``.

    A smaller class lowers the idle cost but not the RTO budget: promotion does not depend on
    the class (the Aurora user guide gives a global database's promotion as "under a minute"
    with no reference to it), but the capacity after failover does. The promoted secondary's
    writer then serves the primary's whole write and read load on the smaller class until it is
    scaled up: ARC's guide (*Aurora Provisioned Scaling execution block*) names exactly this
    case, "your Aurora provisioned database in the destination Region may be running a smaller
    instance class than your source Region - leaving you with insufficient compute capacity to
    handle production traffic". Size it for the load it must take (or scale it up as the first
    step after a failover: ``aws rds modify-db-instance --db-instance-class``, which restarts the
    instance). The same format rules as ``instance_class`` apply."""
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
    """Master password (wrapped as a Pulumi secret). ``None`` (default) generates one, kept only
    as a Pulumi secret and in the ``{n}-db-master`` Secrets Manager secret replicated to the
    standby region. RDS-managed passwords (``manage_master_user_password``) are not an option:
    Aurora does not support them for clusters in a global database."""
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
    topics: tuple[Annotated[str, Field(min_length=1, max_length=249)], ...] = Field(
        default=(".*",), min_length=1
    )
    """Regular expressions of the topics to replicate (at least one: an empty list replicates
    nothing; each at most 249 characters, botocore ``__stringMax249``)."""
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
    standby_in_primary_account: bool = False
    """MSK Replicator joins clusters of one account only. Set this when the standby site lives in
    another account: the DR then creates the standby's MSK cluster ``{n}-standby-kafka`` (with
    its key and security group) in the primary site's account, in the standby region, on the
    standby cell's subnets shared with the primary account through RAM (as
    ``AuroraGlobalArgs.standby_in_primary_account`` does for the database). Build the standby
    cell with ``kafka_replication=False``; its workloads use
    ``PilotLightDr.standby_kafka_bootstrap_servers``."""
    protect: bool = True
    """Pulumi ``protect`` on the standby MSK cluster and its key that the DR creates
    (``standby_in_primary_account``)."""
    standby_broker_nodes: int = Field(default=3, ge=2, le=30)
    """Brokers of the DR-created standby cluster (``standby_in_primary_account``); MSK needs a
    multiple of the number of subnets (one per zone: the cell's ``az_count``)."""


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
    """SNS topics notified when the health-check alarm changes state (that alarm lives in
    us-east-1, where Route 53 publishes its metrics: topics of that region)."""
    standby_alarm_actions: tuple[Input[str], ...] | None = None
    """SNS topics in the standby region notified when the alarms on the
    ``{name}-arc-ungraceful`` function (its ``Errors`` and ``Throttles``, in the standby region)
    change state. ``None`` (default): ``alarm_actions`` when the standby region is us-east-1
    (the same region as the health-check alarm's topics), none otherwise. The stack's
    ``ArcUngracefulFunctionFailing`` alert reads the same metrics through the CloudWatch
    exporter and pages through Alertmanager either way."""
    database: AuroraGlobalArgs | None = Field(default_factory=AuroraGlobalArgs)
    """The Aurora Global Database; ``None`` for a pair without one."""
    kafka: KafkaReplicationArgs | None = None
    """Kafka replication; ``None`` for a pair without Kafka."""
    automatic_failover: bool = True
    """Start the failover workflow when the health-check alarm fires."""
    automatic_ungraceful_failover: bool | None = None
    """Consent, given in advance, to lose up to the replication lag (the budget's RPO) when an
    automatic failover meets a regional outage. The trigger's execution runs the Aurora step
    as a switchover (no data loss), which cannot complete while the primary region is down:
    Region switch pauses it. With this on, ``{name}-arc-ungraceful`` (see
    :mod:`obs_platform.dr.ungraceful`) switches such an execution to ungraceful, a failover
    with data loss, once the primary's ``/healthz`` alarm is red; off, a person must do it
    (``obs-platform dr failover --unplanned --allow-data-loss``) and the budget charges
    ``timing.manual_approval_seconds`` for them. ``None`` (default) follows
    ``automatic_failover`` for a pair with a database: a pair that fails over by itself is
    expected to do so in the outage it exists for, within its RPO target."""
    manual_approval: bool = False
    """Wait for a person before failing over (the budget charges for it)."""
    failback_approval: bool = True
    """Wait for a person before failing back (not part of the RTO)."""
    approval_role_arn: Input[str] | None = None
    """Role that approves gated steps; ``None`` creates ``{name}-arc-approver``."""
    budget_enforcement: BudgetEnforcement = BudgetEnforcement.REFUSE
    """Refuse (default) or warn about a configuration whose budget misses a target."""
    drill_report: str | None = None
    """Path of the last ``obs-platform dr drill --report-json`` of this pair (relative to the
    program's folder). The plan's ``dr`` entry then says whether the drill's measured failover
    fits the budget (``verification``); without one the budget is ``unverified``."""
    timing: TimingAssumptions = Field(default_factory=TimingAssumptions)
    """The AWS timings the budget assumes; override with your measurements."""
    cost: CostAssumptions = Field(default_factory=CostAssumptions)
    """Prices and stated volumes of the standby's idle-cost estimate (the plan's
    ``dr[].idle_cost``); override with your region's prices and your traffic."""
    tags: Tags = Field(default_factory=dict)
    """Tags on every taggable child."""


def automatic_ungraceful(args: PilotLightDrArgs) -> bool:
    """Whether a stalled automatic failover goes ungraceful without a person.

    That is, whether the DR creates the ``{name}-arc-ungraceful`` function
    (:mod:`obs_platform.dr.ungraceful`).
    """
    if args.database is None or not args.automatic_failover:
        return False
    return args.automatic_ungraceful_failover is not False
