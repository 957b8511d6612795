"""The RTO/RPO budget of a pilot-light failover (DESIGN.md section 4), as pure arithmetic.

The budget is a worst-case estimate computed at synthesis time from the configuration a
:class:`~obs_platform.dr.pilot_light.PilotLightDr` is built from. It never measures anything: each
figure is either derived from a setting (a health-check interval, a record TTL, an alarm period) or
an *assumption* about how long AWS takes to do something. Every assumption is a named field of
:class:`TimingAssumptions` with its source, and every one can be overridden (for example with the
figures of your own game days).

The model::

    RTO = detection + orchestration + max(dns, database, compute)
    RPO = max(database lag bound, kafka lag bound)

* ``detection``: Route 53 marks the primary unhealthy after ``request_interval x
  failure_threshold`` seconds.
* ``orchestration``: the CloudWatch alarm on ``HealthCheckStatus`` evaluates
  (``period x evaluation_periods``), the ARC Region switch plan starts, and, when configured, a
  person approves.
* ``dns``: resolvers hold the old answer for the record's TTL (alias records: 60 s, fixed).
* ``database``: Aurora Global Database unplanned failover; a *headless* secondary (no instances)
  must first create an instance, which alone takes longer than a 5-minute target allows.
* ``compute``: what the failover really does, since no node autoscaler runs in the cells: the
  Region switch plan's EC2 Auto Scaling step raises the standby node group's Auto Scaling group
  (ARC developer guide, *EC2 Auto Scaling execution block*), the group launches instances, each
  boots and joins the cluster (``Ready``), then the plan's EKS step scales the workloads and the
  pods pull images and pass readiness. A standby with warm nodes skips the launch; a pair whose
  sites give no Auto Scaling group has no such step, so a person must scale the nodes; a standby
  without an EKS cluster must first create a control plane (13-16 minutes).

``terms`` also carries the RPO bounds (``database_lag_seconds``, ``kafka_lag_seconds``) and two
breakdowns already counted above (``add_instance_seconds``,
``cluster_create_seconds``), non-zero only for a headless secondary or a missing standby
cluster, so the plan shows why such a budget misses.

The three middle terms run in parallel (the Region switch plan starts them together, DNS moves
on its own), which is why they enter through ``max``. Detection and orchestration are sequential
and conservative: the model does not credit overlaps it cannot guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field

from .plan_figures import plain
from .types import SettingsModel

__all__ = [
    "DRILL_FORMAT",
    "UNVERIFIED",
    "Budget",
    "DrTimingConfig",
    "Finding",
    "KafkaReplicationMode",
    "TimingAssumptions",
    "compute_budget",
    "verify_with_drill",
]

ROUTE53_METRIC_PERIOD_SECONDS = 60
"""Route 53 publishes ``HealthCheckStatus`` once a minute (standard resolution), so an alarm on it
cannot use a period under 60 s (CloudWatch user guide, high-resolution alarms)."""

ALIAS_RECORD_TTL_SECONDS = 60
"""Alias records take the TTL of their target; for ELB and API Gateway targets that is 60 s
(Route 53 developer guide, alias records)."""


class KafkaReplicationMode(StrEnum):
    """How Kafka data reaches the standby region."""

    NONE = "none"
    """No Kafka replication (the RPO is the database's alone)."""
    MSK_REPLICATOR = "msk-replicator"
    """Amazon MSK Replicator (managed; identical topic names, consumer offsets synchronised)."""
    MIRROR_MAKER_2 = "mirror-maker-2"
    """Strimzi KafkaMirrorMaker2 (Kafka Connect based; offsets via checkpoints)."""


MAX_TIMING_SECONDS = 86_400
"""No timing assumption is above a day: a larger figure is a typo, and a figure no DR budget can
use (``inf`` or ``10**30`` would only fail later, half-way)."""


class _Frozen(SettingsModel):
    # ArgsModel's validation errors (the library's format); no Outputs among timing figures.
    NUMBER_LIMIT: ClassVar[float] = MAX_TIMING_SECONDS


class TimingAssumptions(_Frozen):
    """How long AWS takes to do things: the model's assumptions, each with its source.

    Override any of them with your own measurements
    (``PilotLightDrArgs(timing=TimingAssumptions(node_ready_seconds=70))``). Where a figure has a
    physical floor (an Aurora instance is never created in seconds), lower values are refused, so a
    configuration that cannot meet a target is never made to look as if it could.
    """

    aurora_failover_seconds: int = Field(default=60, ge=1)
    """Aurora Global Database unplanned failover (``failover_global_cluster`` with data loss
    allowed) to a secondary that has an instance. Source: Aurora user guide, "Using switchover or
    failover in an Amazon Aurora global database": promotion typically takes about a minute."""

    aurora_add_instance_seconds: int = Field(default=900, ge=300)
    """Adding the first DB instance to a headless secondary before it can be promoted. Source:
    creating an Aurora DB instance typically takes 10-15 minutes (Aurora user guide, creating a
    DB instance; observed). Never under 5 minutes, so lower values are refused."""

    aurora_replication_lag_seconds: float = Field(default=1.0, gt=0)
    """Typical Aurora global replication lag. Source: Aurora user guide, global databases
    ("latency typically under a second"). It is a typical, not a bound: set
    ``global_db_rpo_seconds`` (``rds.global_db_rpo``, PostgreSQL) for a bound."""

    eks_control_plane_create_seconds: int = Field(default=900, ge=600)
    """Creating an EKS control plane, paid only when the standby has no cluster. Source: EKS user
    guide and observation: 13-16 minutes; never under 10, so lower values are refused."""

    asg_launch_seconds: int = Field(default=20, ge=0)
    """From the Region switch plan's EC2 Auto Scaling step raising the standby's desired capacity
    to the new instances running: the group's scaling activity starts the launch and EC2 moves
    the instance from ``pending`` to ``running``. Assumption: AWS publishes no launch-time
    figure; the drill's ``wait:node-groups`` measures it with the node's join."""

    node_ready_seconds: int = Field(default=45, ge=0)
    """A running instance to a ``Ready`` node: boot, ``nodeadm`` bootstrap of the EKS-optimized
    Amazon Linux 2023 AMI, kubelet registration, VPC CNI ready. Assumption: 45-60 s is the
    figure reported for EKS-optimized AMIs (DESIGN.md section 4; AWS publishes none); measure
    yours with ``obs-platform dr drill``."""

    pod_ready_seconds: int = Field(default=20, ge=0)
    """Image pull from the in-region ECR and readiness probe of the workload pods. Assumption for
    small images pulled in-region; measure yours."""

    plan_start_seconds: int = Field(default=10, ge=0)
    """From the trigger alarm entering ALARM to the ARC Region switch plan's first step.
    Assumption (AWS publishes no figure); measure it in a game day."""

    manual_approval_seconds: int = Field(default=900, ge=0)
    """Time a person takes to approve, when the failover workflow has a manual approval step.
    Assumption: an on-call engineer paged at night (the plan's approval timeout)."""

    msk_replicator_lag_seconds: float = Field(default=30.0, gt=0)
    """MSK Replicator lag including consumer-offset synchronisation. Assumption: AWS publishes no
    bound; watch the ``ReplicationLatency`` and ``MessageLag`` metrics and override."""

    mirror_maker_lag_seconds: float = Field(default=5.0, gt=0)
    """MirrorMaker 2 record replication lag (offsets come on top, from the checkpoint and
    group-offset-sync intervals). Assumption for a connector that keeps up; measure yours."""


class DrTimingConfig(_Frozen):
    """The settings of one pilot-light pair that the budget depends on."""

    rto_target_seconds: int = Field(default=300, ge=1)
    """Recovery time objective: the budget must be strictly under it."""
    rpo_target_seconds: int = Field(default=60, ge=1)
    """Recovery point objective: the budget must be strictly under it."""
    health_check_interval_seconds: Literal[10, 30] = 10
    """Route 53 ``request_interval`` (10 s "fast" or 30 s standard)."""
    health_check_failure_threshold: int = Field(default=3, ge=1, le=10)
    """Consecutive failed checks before Route 53 marks the endpoint unhealthy."""
    detection_alarm_seconds: int | None = Field(default=None, ge=60)
    """For a health check that follows a CloudWatch alarm instead of probing (private
    endpoints, which Route 53's checkers cannot reach: the observability stack's ingest), the
    alarm's period x evaluation periods; it replaces ``request_interval x failure_threshold``.
    ``None`` for a probing health check."""
    fixes_for: Literal["pilot-light", "observability-stack"] = "pilot-light"
    """Whose settings the findings' fixes name: a
    :class:`~obs_platform.dr.pilot_light.PilotLightDr`'s (``PilotLightDrArgs``, the standby
    Cell), or an observability stack's standby (``StandbyStackArgs``: its detection is
    ``health_alarm_evaluation_periods``, its failover of Grafana's database always waits for a
    person, and no health-check interval or approval setting exists there). Issue 14's rule: a
    fix names only a setting that exists and lowers the budget."""
    dns_ttl_seconds: int = Field(default=60, ge=0)
    """TTL of the failover records (ignored for alias records, whose TTL is fixed at 60 s)."""
    alias_records: bool = False
    """Whether the failover records are aliases (to an ELB or API Gateway domain)."""
    alarm_period_seconds: int = Field(
        default=ROUTE53_METRIC_PERIOD_SECONDS, ge=ROUTE53_METRIC_PERIOD_SECONDS
    )
    """Period of the alarm on ``HealthCheckStatus`` (60 s minimum: the metric is per minute)."""
    alarm_evaluation_periods: int = Field(default=1, ge=1)
    """Periods the alarm must breach before it fires."""
    manual_approval: bool = False
    """Whether the failover workflow waits for a person (never meets a 5-minute RTO)."""
    rds_global: bool = True
    """Whether an Aurora Global Database is part of the failover."""
    headless_secondary: bool = False
    """Whether the Aurora secondary has no instances (cheaper; must add one before promotion)."""
    global_db_rpo_seconds: int | None = Field(default=None, ge=20)
    """``rds.global_db_rpo`` (Aurora PostgreSQL): an upper bound on replication lag, enforced by
    pausing commits. ``None`` leaves the lag unbounded, and the model uses the typical lag."""
    standby_cluster_exists: bool = True
    """Whether the standby region's EKS cluster already exists (the pilot light)."""
    standby_warm_nodes: int = Field(default=0, ge=0)
    """Nodes kept running in the standby; with any, pods start without waiting for a node."""
    nodes_scaled_by_plan: bool = True
    """Whether the Region switch plan raises the standby's nodes (its EC2 Auto Scaling step, which
    needs both sites' Auto Scaling groups). Without it, and without a node autoscaler (the cells
    run none), a person scales the node group: the budget charges ``manual_approval_seconds``."""
    kafka: KafkaReplicationMode = KafkaReplicationMode.NONE
    """How Kafka is replicated, if at all."""
    mm2_checkpoint_interval_seconds: int = Field(default=10, ge=1)
    """MirrorMaker 2 ``emit.checkpoints.interval.seconds`` (upstream default 60)."""
    mm2_sync_group_offsets_interval_seconds: int = Field(default=10, ge=1)
    """MirrorMaker 2 ``sync.group.offsets.interval.seconds`` (upstream default 60)."""
    assumptions: TimingAssumptions = Field(default_factory=TimingAssumptions)
    """The AWS timings the budget assumes."""


@dataclass(frozen=True)
class Finding:
    """One reason a budget misses its target.

    Attributes:
        term: The term at fault (``"database_seconds"``).
        seconds: Its value.
        reason: Why it is that large.
        fix: What to change.
    """

    term: str
    seconds: float
    reason: str
    fix: str

    def __str__(self) -> str:
        return f"{self.term} = {_fmt(self.seconds)} s ({self.reason}); fix: {self.fix}"


@dataclass(frozen=True)
class Budget:
    """A computed RTO/RPO budget.

    Attributes:
        rto_seconds: Worst-case recovery time.
        rpo_seconds: Worst-case data-loss window.
        rto_target_seconds: The RTO target.
        rpo_target_seconds: The RPO target.
        terms: Every term, by name (RTO terms and the RPO lag bounds).
        findings: Why the budget misses a target; empty when it meets both.
    """

    rto_seconds: float
    rpo_seconds: float
    rto_target_seconds: int
    rpo_target_seconds: int
    terms: dict[str, float] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def meets_rto(self) -> bool:
        """Whether the RTO is strictly under its target."""
        return self.rto_seconds < self.rto_target_seconds

    @property
    def meets_rpo(self) -> bool:
        """Whether the RPO is strictly under its target."""
        return self.rpo_seconds < self.rpo_target_seconds

    @property
    def meets_targets(self) -> bool:
        """Whether both targets are met."""
        return self.meets_rto and self.meets_rpo

    def explain(self) -> str:
        """Return a readable account of what misses and what to change (empty when it meets)."""
        if self.meets_targets:
            return ""
        parts = []
        if not self.meets_rto:
            parts.append(
                f"RTO budget {_fmt(self.rto_seconds)} s is not under the target "
                f"{self.rto_target_seconds} s."
            )
        if not self.meets_rpo:
            parts.append(
                f"RPO budget {_fmt(self.rpo_seconds)} s is not under the target "
                f"{self.rpo_target_seconds} s."
            )
        parts.extend(f"  - {finding}" for finding in self.findings)
        return "\n".join(parts)

    def as_output(self, primary_region: str, standby_region: str) -> dict[str, Any]:
        """Return the budget in the shape of the plan's ``dr`` entries (DESIGN.md section 3)."""
        return {
            "primary_region": primary_region,
            "standby_region": standby_region,
            "rto_seconds": plain(self.rto_seconds),
            "rto_target_seconds": self.rto_target_seconds,
            "rpo_seconds": plain(self.rpo_seconds),
            "rpo_target_seconds": self.rpo_target_seconds,
            "terms": {name: plain(value) for name, value in self.terms.items()},
        }


def _fmt(value: float) -> str:
    return str(plain(value))


def detection_seconds(config: DrTimingConfig) -> int:
    """Return how long Route 53 takes to mark the primary unhealthy."""
    if config.detection_alarm_seconds is not None:
        return config.detection_alarm_seconds
    return config.health_check_interval_seconds * config.health_check_failure_threshold


def dns_seconds(config: DrTimingConfig) -> int:
    """Return how long resolvers may keep answering with the failed primary."""
    return ALIAS_RECORD_TTL_SECONDS if config.alias_records else config.dns_ttl_seconds


def database_seconds(config: DrTimingConfig) -> int:
    """Return how long the Aurora secondary takes to become the writer (0 without a database)."""
    if not config.rds_global:
        return 0
    a = config.assumptions
    add_instance = a.aurora_add_instance_seconds if config.headless_secondary else 0
    return add_instance + a.aurora_failover_seconds


def compute_seconds(config: DrTimingConfig) -> int:
    """Return how long the standby's workloads take to serve.

    The nodes come from the Region switch plan raising the Auto Scaling group (launch, then
    join), or from a person when the plan has no such step; warm nodes skip both.
    """
    a = config.assumptions
    control_plane = 0 if config.standby_cluster_exists else a.eks_control_plane_create_seconds
    nodes = 0
    if config.standby_warm_nodes == 0 or control_plane:
        nodes = a.asg_launch_seconds + a.node_ready_seconds
        if not config.nodes_scaled_by_plan:
            nodes += a.manual_approval_seconds
    return control_plane + nodes + a.pod_ready_seconds


def orchestration_seconds(config: DrTimingConfig) -> int:
    """Return alarm evaluation, plan start and (when configured) a person's approval."""
    a = config.assumptions
    alarm = config.alarm_period_seconds * config.alarm_evaluation_periods
    approval = a.manual_approval_seconds if config.manual_approval else 0
    return alarm + a.plan_start_seconds + approval


def database_lag_seconds(config: DrTimingConfig) -> float:
    """Return the bound (or typical figure) of Aurora replication lag; 0 without a database."""
    if not config.rds_global:
        return 0.0
    if config.global_db_rpo_seconds is not None:
        return float(config.global_db_rpo_seconds)
    return config.assumptions.aurora_replication_lag_seconds


def _mm2_interval(config: DrTimingConfig) -> int:
    return max(
        config.mm2_checkpoint_interval_seconds, config.mm2_sync_group_offsets_interval_seconds
    )


def kafka_lag_seconds(config: DrTimingConfig) -> float:
    """Return the Kafka data-loss window: record lag, plus offset sync for MirrorMaker 2."""
    a = config.assumptions
    if config.kafka is KafkaReplicationMode.MSK_REPLICATOR:
        return a.msk_replicator_lag_seconds
    if config.kafka is KafkaReplicationMode.MIRROR_MAKER_2:
        return a.mirror_maker_lag_seconds + _mm2_interval(config)
    return 0.0


def compute_budget(config: DrTimingConfig) -> Budget:
    """Compute the worst-case budget of a configuration, with findings where it misses.

    Args:
        config: The settings and assumptions.

    Returns:
        The budget; ``findings`` names each term that makes it miss and what to change.
    """
    terms: dict[str, float] = {
        "detection_seconds": detection_seconds(config),
        "dns_seconds": dns_seconds(config),
        "database_seconds": database_seconds(config),
        "compute_seconds": compute_seconds(config),
        "orchestration_seconds": orchestration_seconds(config),
        "database_lag_seconds": database_lag_seconds(config),
        "kafka_lag_seconds": kafka_lag_seconds(config),
        # Breakdowns (already inside database_seconds / compute_seconds), shown so that the
        # plan says when a headless secondary or a missing standby cluster drives the budget.
        "add_instance_seconds": (
            config.assumptions.aurora_add_instance_seconds
            if config.rds_global and config.headless_secondary
            else 0
        ),
        "cluster_create_seconds": (
            0
            if config.standby_cluster_exists
            else config.assumptions.eks_control_plane_create_seconds
        ),
    }
    parallel = max(terms["dns_seconds"], terms["database_seconds"], terms["compute_seconds"])
    rto = terms["detection_seconds"] + terms["orchestration_seconds"] + parallel
    rpo = max(terms["database_lag_seconds"], terms["kafka_lag_seconds"])
    budget = Budget(
        rto_seconds=rto,
        rpo_seconds=rpo,
        rto_target_seconds=config.rto_target_seconds,
        rpo_target_seconds=config.rpo_target_seconds,
        terms=terms,
    )
    findings: list[Finding] = []
    if not budget.meets_rto:
        findings.extend(_rto_findings(config, terms))
    if not budget.meets_rpo:
        findings.extend(_rpo_findings(config, terms))
    return Budget(
        rto_seconds=rto,
        rpo_seconds=rpo,
        rto_target_seconds=config.rto_target_seconds,
        rpo_target_seconds=config.rpo_target_seconds,
        terms=terms,
        findings=tuple(findings),
    )


def _rto_of(config: DrTimingConfig) -> float:
    terms = {
        "detection": detection_seconds(config),
        "orchestration": orchestration_seconds(config),
        "parallel": max(dns_seconds(config), database_seconds(config), compute_seconds(config)),
    }
    return float(sum(terms.values()))


def _rpo_of(config: DrTimingConfig) -> float:
    return max(database_lag_seconds(config), kafka_lag_seconds(config))


_MIN_INTERVAL: Literal[10] = 10
_MIN_THRESHOLD = 1
_MIN_EVALUATION_PERIODS = 1
_MIN_TTL = 1
_MIN_GLOBAL_DB_RPO = 20
_DETECTION_ALARM_PERIOD_SECONDS = 60
"""The observability stack's ingest alarm period (``observability.failover``); the detection
alarm's budget is this times ``StandbyStackArgs.health_alarm_evaluation_periods``."""


def _stack(config: DrTimingConfig) -> bool:
    return config.fixes_for == "observability-stack"


def _detection_alarm_candidate(
    config: DrTimingConfig,
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Fewer evaluation periods of the alarm the health check follows, when above one."""
    seconds = config.detection_alarm_seconds
    if seconds is None or seconds <= _DETECTION_ALARM_PERIOD_SECONDS:
        return []
    periods = seconds // _DETECTION_ALARM_PERIOD_SECONDS
    # The most periods that meet the target (fewer means failing over on a shorter outage of
    # the NLB's targets), else one.
    lower = next(
        (
            n
            for n in range(periods - 1, 1, -1)
            if _rto_of(
                config.model_copy(
                    update={"detection_alarm_seconds": n * _DETECTION_ALARM_PERIOD_SECONDS}
                )
            )
            < config.rto_target_seconds
        ),
        1,
    )
    setting = (
        "health_alarm_evaluation_periods"
        if _stack(config)
        else "detection_alarm_seconds (the alarm's evaluation periods)"
    )
    value = lower if _stack(config) else lower * _DETECTION_ALARM_PERIOD_SECONDS
    return [
        (
            "detection_seconds",
            f"the health check follows an alarm: {periods} period(s) of "
            f"{_DETECTION_ALARM_PERIOD_SECONDS} s",
            f"{setting}={value} (a shorter outage of the ingest targets fails over)",
            {"detection_alarm_seconds": lower * _DETECTION_ALARM_PERIOD_SECONDS},
        )
    ]


def _rto_candidates(config: DrTimingConfig) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Return ``(term, reason, fix, change)`` for each setting not yet at its limit.

    Every change is to a real setting of PilotLightDrArgs or of the standby cell, towards the
    limit that setting allows; a setting already at its limit yields nothing.
    """
    a = config.assumptions
    found = _detection_alarm_candidate(config)
    # A health check that follows an alarm has no request interval or failure threshold that
    # counts (detection_seconds ignores them), so neither is suggested.
    probing = config.detection_alarm_seconds is None
    if probing and config.health_check_interval_seconds > _MIN_INTERVAL:
        found.append(
            (
                "detection_seconds",
                f"{config.health_check_interval_seconds} s interval x "
                f"{config.health_check_failure_threshold} failures",
                "health_check_interval_seconds=10",
                {"health_check_interval_seconds": _MIN_INTERVAL},
            )
        )
    if probing and config.health_check_failure_threshold > _MIN_THRESHOLD:
        # The largest threshold that meets the target on its own (fewer failures before a
        # failover means more false ones), else the minimum.
        lower = next(
            (
                t
                for t in range(config.health_check_failure_threshold - 1, _MIN_THRESHOLD, -1)
                if _rto_of(config.model_copy(update={"health_check_failure_threshold": t}))
                < config.rto_target_seconds
            ),
            _MIN_THRESHOLD,
        )
        found.append(
            (
                "detection_seconds",
                f"{config.health_check_interval_seconds} s interval x "
                f"{config.health_check_failure_threshold} failures",
                f"health_check_failure_threshold={lower} (fewer failures before failover: "
                "more false alarms)",
                {"health_check_failure_threshold": lower},
            )
        )
    # The stack has no alarm on HealthCheckStatus (no Region switch plan): nothing to lower.
    if not _stack(config) and config.alarm_evaluation_periods > _MIN_EVALUATION_PERIODS:
        found.append(
            (
                "orchestration_seconds",
                f"{config.alarm_evaluation_periods} alarm period(s) of "
                f"{config.alarm_period_seconds} s + {a.plan_start_seconds} s plan start",
                "alarm_evaluation_periods=1",
                {"alarm_evaluation_periods": _MIN_EVALUATION_PERIODS},
            )
        )
    if not config.alias_records and config.dns_ttl_seconds > _MIN_TTL:
        floor = max(database_seconds(config), compute_seconds(config), _MIN_TTL)
        if floor < config.dns_ttl_seconds:
            found.append(
                (
                    "dns_seconds",
                    f"record TTL {config.dns_ttl_seconds} s",
                    f"dns_ttl_seconds={floor}",
                    {"dns_ttl_seconds": floor},
                )
            )
    if config.standby_warm_nodes == 0 and config.standby_cluster_exists:
        found.append(
            (
                "compute_seconds",
                f"nodes launched on failover: {a.asg_launch_seconds} s launch + "
                f"{a.node_ready_seconds} s to Ready"
                + ("" if config.nodes_scaled_by_plan else " + a person scaling them")
                + f", then {a.pod_ready_seconds} s pods",
                "keep warm nodes in the standby ("
                + (
                    "standby.node_groups desired_size >= 1"
                    if _stack(config)
                    else "its Cell with replicas >= 1 and standby=True"
                )
                + ")",
                {"standby_warm_nodes": 1},
            )
        )
    return found


def _rto_findings(config: DrTimingConfig, terms: dict[str, float]) -> list[Finding]:
    """Explain what makes the RTO miss, with only the changes that lower it.

    Structural causes come first. Then each setting not at its limit is tried at its limit, and
    suggested only when that lowers the RTO (a setting whose term is not the largest of the
    parallel ones changes nothing). When even every setting at its limit misses, that is said:
    no setting reaches the target.
    """
    a = config.assumptions
    found: list[Finding] = []
    structural: dict[str, Any] = {}
    if config.rds_global and config.headless_secondary:
        structural["headless_secondary"] = False
        found.append(
            Finding(
                "database_seconds",
                terms["database_seconds"],
                f"the Aurora secondary is headless: adding an instance takes "
                f"{a.aurora_add_instance_seconds} s before the "
                f"{a.aurora_failover_seconds} s failover",
                "give the standby cluster at least one instance (standby_instances >= 1)",
            )
        )
    if not config.standby_cluster_exists:
        structural["standby_cluster_exists"] = True
        found.append(
            Finding(
                "compute_seconds",
                terms["compute_seconds"],
                f"the standby has no EKS cluster: creating one takes "
                f"{a.eks_control_plane_create_seconds} s",
                "pre-provision the standby cluster (a standby Cell always has one)",
            )
        )
    if not config.nodes_scaled_by_plan and config.standby_warm_nodes == 0 and not _stack(config):
        structural["nodes_scaled_by_plan"] = True
        found.append(
            Finding(
                "compute_seconds",
                terms["compute_seconds"],
                "nothing raises the standby's nodes: the sites give no Auto Scaling group "
                "for the plan's EC2 Auto Scaling step and the cells run no node autoscaler, "
                f"so a person scales them (assumed {a.manual_approval_seconds} s)",
                "give both sites node_group_asg_arn (Cell.dr_site() does), or keep warm nodes",
            )
        )
    if config.manual_approval and _stack(config):
        # Inherent: nothing fails Grafana's database over on its own, so no setting removes
        # the person; the term stays in every figure below.
        found.append(
            Finding(
                "orchestration_seconds",
                terms["orchestration_seconds"],
                f"an operator runs obs-platform dr failover for Grafana's database (assumed "
                f"{a.manual_approval_seconds} s)",
                "no setting of the stack removes this step (nothing fails Grafana's "
                "database over on its own)",
            )
        )
    elif config.manual_approval:
        structural["manual_approval"] = False
        found.append(
            Finding(
                "orchestration_seconds",
                terms["orchestration_seconds"],
                f"the failover waits for a person (assumed {a.manual_approval_seconds} s)",
                "make failover automatic (automatic_failover=True, manual_approval=False and, "
                "with a database, automatic_ungraceful_failover=True so that an outage does "
                "not wait for consent); keep approval for failback only",
            )
        )
    base = config.model_copy(update=structural)
    rto = _rto_of(base)
    if structural and rto < config.rto_target_seconds:
        return found  # the structural changes alone meet the target
    for term, reason, fix, change in _rto_candidates(base):
        lowered = _rto_of(base.model_copy(update=change))
        if lowered < rto:
            found.append(
                Finding(term, terms[term], reason, f"{fix} (RTO {_fmt(rto)} -> {_fmt(lowered)} s)")
            )
    # The best this configuration can do: every setting at its limit at once.
    best = base.model_copy(
        update={
            "health_check_interval_seconds": _MIN_INTERVAL,
            "health_check_failure_threshold": _MIN_THRESHOLD,
            "alarm_evaluation_periods": _MIN_EVALUATION_PERIODS,
            "standby_warm_nodes": max(base.standby_warm_nodes, 1),
            "detection_alarm_seconds": (
                None
                if base.detection_alarm_seconds is None
                else min(base.detection_alarm_seconds, _DETECTION_ALARM_PERIOD_SECONDS)
            ),
        }
    )
    if not best.alias_records:
        best = best.model_copy(
            update={"dns_ttl_seconds": max(database_seconds(best), compute_seconds(best), 1)}
        )
    floor = _rto_of(best)
    if floor >= config.rto_target_seconds:
        found.append(
            Finding(
                "rto_seconds",
                floor,
                f"with every setting at its limit the budget is still {_fmt(floor)} s "
                f"(detection {detection_seconds(best)} s + orchestration "
                f"{orchestration_seconds(best)} s + the slowest of DNS "
                f"{dns_seconds(best)} s, database {database_seconds(best)} s and compute "
                f"{compute_seconds(best)} s): no setting reaches {config.rto_target_seconds} s",
                (
                    f"raise standby.rto_target_seconds above {_fmt(floor)}"
                    if _stack(config)
                    else f"raise rto_target_seconds above {_fmt(floor)}, or measure the AWS "
                    "timings (obs-platform dr drill) and override them in timing"
                ),
            )
        )
    return found


def _rpo_findings(config: DrTimingConfig, terms: dict[str, float]) -> list[Finding]:
    found: list[Finding] = []
    target = config.rpo_target_seconds
    a = config.assumptions
    if terms["database_lag_seconds"] >= target:
        settable = (
            config.global_db_rpo_seconds is not None
            and config.global_db_rpo_seconds > _MIN_GLOBAL_DB_RPO
            and target > _MIN_GLOBAL_DB_RPO
        )
        if settable:
            reason = f"rds.global_db_rpo is {config.global_db_rpo_seconds} s"
            fix = f"global_db_rpo_seconds={_MIN_GLOBAL_DB_RPO} (Aurora's minimum)"
        else:
            floor = (
                _MIN_GLOBAL_DB_RPO
                if config.global_db_rpo_seconds is not None
                else a.aurora_replication_lag_seconds
            )
            reason = (
                f"Aurora replication lag bound {_fmt(terms['database_lag_seconds'])} s; the "
                f"lowest Aurora allows is {_fmt(floor)} s"
            )
            fix = f"no setting reaches {target} s: raise rpo_target_seconds above {_fmt(floor)}"
        found.append(Finding("database_lag_seconds", terms["database_lag_seconds"], reason, fix))
    if terms["kafka_lag_seconds"] >= target:
        if config.kafka is KafkaReplicationMode.MIRROR_MAKER_2:
            reason = (
                f"MirrorMaker 2 lag {_fmt(a.mirror_maker_lag_seconds)} s + offset checkpoints "
                f"every {_mm2_interval(config)} s (the DR derives the intervals from "
                "rpo_target_seconds; no setting lowers them further)"
            )
            fix = (
                f"no setting reaches {target} s: raise rpo_target_seconds, or measure the "
                "connector's lag and override mirror_maker_lag_seconds in timing"
            )
        else:
            reason = f"MSK Replicator lag assumed {_fmt(a.msk_replicator_lag_seconds)} s"
            fix = (
                f"no setting reaches {target} s: raise rpo_target_seconds above "
                f"{_fmt(a.msk_replicator_lag_seconds)}, or measure the replicator's "
                "ReplicationLatency and override msk_replicator_lag_seconds in timing"
            )
        found.append(Finding("kafka_lag_seconds", terms["kafka_lag_seconds"], reason, fix))
    return found


DRILL_FORMAT = "obs-platform.dr-drill/1"
"""The format of ``obs-platform dr drill --report-json`` (see :mod:`obs_platform.ops.report`)."""

UNVERIFIED: dict[str, Any] = {
    "status": "unverified",
    "reason": "no drill report given (PilotLightDrArgs.drill_report)",
}
"""The plan's ``verification`` of a budget no drill has measured."""


def verify_with_drill(
    budget: Budget, report: dict[str, Any], primary_region: str, standby_region: str
) -> dict[str, Any]:
    """Compare a budget with the times a drill measured.

    A drill switches over with nothing failed, so it measures what runs after detection and
    orchestration: its failover's measured RTO (first change to ready) is compared with the
    budget's parallel part, ``max(dns, database, compute)``, and each measured wait with its own
    term.

    Args:
        budget: The computed budget.
        report: A parsed ``obs-platform dr drill --report-json`` document.
        primary_region: The pair's primary region, which the drill must have failed over from.
        standby_region: The pair's standby region.

    Returns:
        ``{"status": "verified" | "exceeded", ...}`` with the figures compared.

    Raises:
        ValueError: If the report is not a drill report of this pair, or has no measured
            failover.
    """
    if not isinstance(report, dict) or report.get("format") != DRILL_FORMAT:
        got = report.get("format") if isinstance(report, dict) else type(report).__name__
        raise ValueError(f"it has format {got!r}, not {DRILL_FORMAT!r}")
    regions = (report.get("primary_region"), report.get("standby_region"))
    if regions != (primary_region, standby_region):
        raise ValueError(
            f"it is a drill of {regions[0]} -> {regions[1]}, not {primary_region} -> "
            f"{standby_region}"
        )
    phases = [p for p in report.get("phases") or [] if isinstance(p, dict)]
    failover = next((p for p in phases if p.get("operation") == "failover"), None)
    measured = failover.get("measured_rto_seconds") if failover else None
    if not isinstance(measured, int | float) or isinstance(measured, bool):
        raise ValueError("it has no measured failover (the drill resumed only its failback?)")
    recovery = max(
        budget.terms["dns_seconds"],
        budget.terms["database_seconds"],
        budget.terms["compute_seconds"],
    )
    over = [
        str(step.get("id"))
        for step in failover.get("steps") or []  # type: ignore[union-attr]
        if isinstance(step, dict) and step.get("within_budget") is False
    ]
    return {
        "status": "verified" if measured <= recovery and not over else "exceeded",
        "drill_started_at": report.get("started_at"),
        "measured_failover_seconds": plain(float(measured)),
        "budget_recovery_seconds": plain(recovery),
        "steps_over_budget": over,
    }
