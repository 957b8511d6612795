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
* ``compute``: the standby's nodes launch and become Ready, then pods pull images and pass
  readiness; a standby without an EKS cluster must first create a control plane (13-16 minutes).

``terms`` also carries the RPO bounds (``database_lag_seconds``, ``kafka_lag_seconds``) and two
breakdowns already counted above (``add_instance_seconds``,
``cluster_create_seconds``), non-zero only for a headless secondary or a missing standby
cluster, so the plan shows why such a budget misses.

The three middle terms run in parallel (the Region switch plan starts them together, DNS moves
on its own), which is why they enter through ``max``. Detection and orchestration are sequential
and conservative: the model does not credit overlaps it cannot guarantee.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Budget",
    "DrTimingConfig",
    "Finding",
    "KafkaReplicationMode",
    "TimingAssumptions",
    "compute_budget",
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


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", use_attribute_docstrings=True, validate_default=True
    )


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

    node_ready_seconds: int = Field(default=45, ge=0)
    """A new node from launch to ``Ready`` when the Region switch plan raises the standby's Auto
    Scaling group from zero. Source: DESIGN.md section 4, 45-60 s for EKS-optimized AMIs (the
    figure Karpenter users report); measure yours."""

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
            "rto_seconds": _plain(self.rto_seconds),
            "rto_target_seconds": self.rto_target_seconds,
            "rpo_seconds": _plain(self.rpo_seconds),
            "rpo_target_seconds": self.rpo_target_seconds,
            "terms": {name: _plain(value) for name, value in self.terms.items()},
        }


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 3)


def _fmt(value: float) -> str:
    return str(_plain(value))


def detection_seconds(config: DrTimingConfig) -> int:
    """Return how long Route 53 takes to mark the primary unhealthy."""
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
    """Return how long the standby's workloads take to serve."""
    a = config.assumptions
    control_plane = 0 if config.standby_cluster_exists else a.eks_control_plane_create_seconds
    nodes = a.node_ready_seconds if config.standby_warm_nodes == 0 or control_plane else 0
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


def _rto_findings(config: DrTimingConfig, terms: dict[str, float]) -> list[Finding]:
    """Explain the RTO terms, largest first; the structural causes before the tunable ones."""
    a = config.assumptions
    found: list[Finding] = []
    if config.rds_global and config.headless_secondary:
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
        found.append(
            Finding(
                "compute_seconds",
                terms["compute_seconds"],
                f"the standby has no EKS cluster: creating one takes "
                f"{a.eks_control_plane_create_seconds} s",
                "pre-provision the standby cluster (a standby Cell always has one)",
            )
        )
    if config.manual_approval:
        found.append(
            Finding(
                "orchestration_seconds",
                terms["orchestration_seconds"],
                f"the failover waits for a person (assumed {a.manual_approval_seconds} s)",
                "make failover automatic (manual_approval=False); keep approval for failback only",
            )
        )
    if found:
        return found
    ranked = sorted(
        (
            "detection_seconds",
            "orchestration_seconds",
            "dns_seconds",
            "database_seconds",
            "compute_seconds",
        ),
        key=lambda t: -terms[t],
    )
    fixes = {
        "detection_seconds": (
            f"{config.health_check_interval_seconds} s interval x "
            f"{config.health_check_failure_threshold} failures",
            "use a 10 s health-check interval and a lower failure threshold",
        ),
        "orchestration_seconds": (
            f"{config.alarm_evaluation_periods} alarm period(s) of {config.alarm_period_seconds} s"
            f" + {a.plan_start_seconds} s plan start",
            "evaluate the trigger alarm over one 60 s period (alarm_evaluation_periods=1)",
        ),
        "dns_seconds": (
            "alias records have a fixed 60 s TTL"
            if config.alias_records
            else f"record TTL {config.dns_ttl_seconds} s",
            "lower dns_ttl_seconds (60 or less)",
        ),
        "database_seconds": (
            f"Aurora failover {a.aurora_failover_seconds} s",
            "measure the failover and override aurora_failover_seconds, or raise the RTO target",
        ),
        "compute_seconds": (
            f"node {a.node_ready_seconds if config.standby_warm_nodes == 0 else 0} s + pods "
            f"{a.pod_ready_seconds} s",
            "keep warm nodes in the standby (standby node group min size >= 1) or use smaller "
            "images",
        ),
    }
    for term in ranked[:2]:
        reason, fix = fixes[term]
        found.append(Finding(term, terms[term], reason, fix))
    return found


def _rpo_findings(config: DrTimingConfig, terms: dict[str, float]) -> list[Finding]:
    found: list[Finding] = []
    target = config.rpo_target_seconds
    if terms["database_lag_seconds"] >= target:
        found.append(
            Finding(
                "database_lag_seconds",
                terms["database_lag_seconds"],
                f"rds.global_db_rpo is {config.global_db_rpo_seconds} s",
                f"set global_db_rpo_seconds below {target} (minimum 20)",
            )
        )
    if terms["kafka_lag_seconds"] >= target:
        if config.kafka is KafkaReplicationMode.MIRROR_MAKER_2:
            reason = (
                f"MirrorMaker 2 lag {_fmt(config.assumptions.mirror_maker_lag_seconds)} s + "
                f"offset checkpoints every {_mm2_interval(config)} s"
            )
            room = math.floor(target - config.assumptions.mirror_maker_lag_seconds) - 1
            fix = (
                f"set checkpoint_interval_seconds and sync_group_offsets_interval_seconds to "
                f"{max(room, 1)} or less"
            )
        else:
            reason = (
                f"MSK Replicator lag assumed "
                f"{_fmt(config.assumptions.msk_replicator_lag_seconds)} s"
            )
            fix = "measure the replicator's lag and override msk_replicator_lag_seconds"
        found.append(Finding("kafka_lag_seconds", terms["kafka_lag_seconds"], reason, fix))
    return found
