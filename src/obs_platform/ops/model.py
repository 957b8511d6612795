"""What a DR operation acts on: regions, the global database, node groups, health checks.

Pure data and parsing, no AWS calls, so the command line and the tests share one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._internal.regions import check_region
from .errors import OpsError


@dataclass(frozen=True)
class NodeGroupRef:
    """One EKS managed node group.

    Attributes:
        region: The region the cluster lives in.
        cluster: The EKS cluster name.
        nodegroup: The node group name.
        idle_size: For a node group of an observability stack's standby, the desired size
            the plan configures: the nodes the standby pages and takes ingest from while idle,
            so a failback returns it there, never to zero. ``None`` for a cell's pilot-light
            group (which idles at ``--idle-size``, 0 by default).
    """

    region: str
    cluster: str
    nodegroup: str
    idle_size: int | None = None

    @property
    def key(self) -> str:
        """A stable identifier, ``region/cluster:nodegroup``, used in step IDs."""
        return f"{self.region}/{self.cluster}:{self.nodegroup}"


@dataclass(frozen=True)
class HealthCheckRef:
    """One Route 53 health check.

    Attributes:
        health_check_id: The health check's ID.
        region: The region whose endpoint it watches, or ``None`` when not known.
        gate: True for the check on the PRIMARY failover record (a ``PilotLightDr``'s
            ``{name}-primary-gate``: healthy only while the primary serves and its database is
            the writer). Unhealthy means DNS answers with the standby, so a failover waits for
            it to turn unhealthy and a failback for it to turn healthy.
    """

    health_check_id: str
    region: str | None = None
    gate: bool = False


@dataclass(frozen=True)
class ReadOnlyBucketRef:
    """A replica bucket an observability stack's standby may not write to until promoted.

    The standby's Loki and Tempo roles hold their write grant statically; the replica bucket's
    policy denies them ``s3:PutObject`` and ``s3:DeleteObject`` in the statement
    ``ObsPlatformReadOnlyUntilPromoted`` (``_internal/bucket_policy.py``). Promotion removes
    that statement, demotion restores it: S3 calls in the bucket's region, no IAM call. The
    bucket is autonamed by Pulumi, so the plan knows its resource name and AWS holds it as
    ``{resource name}-{7 hex characters}``; the run looks it up by that pattern.

    Attributes:
        region: The standby's region (where the replica bucket is).
        bucket: The replica bucket's Pulumi resource name
            (``shared-obs-loki-chunks-replica-bucket``).
        label: The bucket's role in step IDs and messages (``loki-chunks``).
        roles: The Pulumi resource names of the roles the statement names
            (``shared-obs-dr-loki-role``, ``shared-obs-dr-tempo-role``).
    """

    region: str
    bucket: str
    label: str
    roles: tuple[str, ...]

    @property
    def key(self) -> str:
        """A stable identifier, ``region/label``, used in step IDs."""
        return f"{self.region}/{self.label}"


@dataclass(frozen=True)
class RtoBudget:
    """The RTO/RPO budget a ``PilotLightDr`` reports in the plan's ``dr`` section.

    Attributes:
        rto_seconds: The computed worst-case RTO.
        rto_target_seconds: The stated RTO target.
        terms: The budget's terms (``detection_seconds``, ``database_seconds``, ...).
        storage_drain_seconds: For an observability stack's entry, how long its Loki and Tempo
            take to flush once ingest has left them (``telemetry_rpo.drain_seconds``).
    """

    rto_seconds: float
    rto_target_seconds: float
    terms: dict[str, float] = field(default_factory=dict)
    storage_drain_seconds: float | None = None

    @classmethod
    def from_plan_entry(cls, entry: dict[str, Any]) -> RtoBudget:
        """Build the budget from one entry of a plan's ``dr`` list."""
        terms = {
            str(k): float(v)
            for k, v in dict(entry.get("terms") or {}).items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        telemetry = entry.get("telemetry_rpo")
        drain = telemetry.get("drain_seconds") if isinstance(telemetry, dict) else None
        try:
            return cls(
                rto_seconds=float(entry["rto_seconds"]),
                rto_target_seconds=float(entry["rto_target_seconds"]),
                terms=terms,
                storage_drain_seconds=(
                    float(drain)
                    if isinstance(drain, int | float) and not isinstance(drain, bool)
                    else None
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise OpsError(
                f"the plan's dr entry has no usable rto_seconds/rto_target_seconds: {exc}",
                fix="regenerate the plan with `obs-platform plan PROGRAM_DIR --json FILE`.",
            ) from None


@dataclass(frozen=True)
class DrTargets:
    """Everything a DR command acts on.

    Attributes:
        primary_region: The region serving in normal operation.
        standby_region: The pilot-light region.
        global_cluster: The Aurora global cluster identifier, or ``None``.
        node_groups: Node groups in either region (their own ``region`` says which).
        health_checks: Route 53 health checks on the regions' ``/healthz``.
        replicator_arn: The MSK Replicator ARN, or ``None``.
        region_switch_plan_arn: The ARC Region switch plan ARN, or ``None``.
        budget: The RTO budget from the plan, or ``None``.
        region_switch_plan_unresolved: Why the Region switch plan that the plan JSON names has
            no ARN here (lookup failed, not found), else ``None``. ``--engine auto`` refuses
            to run without it rather than change engine silently.
        read_only_buckets: The replica buckets whose policy keeps an observability stack's
            standby read-only: made writable on failover, read-only again on failback.
    """

    primary_region: str
    standby_region: str
    global_cluster: str | None = None
    node_groups: tuple[NodeGroupRef, ...] = ()
    health_checks: tuple[HealthCheckRef, ...] = ()
    replicator_arn: str | None = None
    region_switch_plan_arn: str | None = None
    budget: RtoBudget | None = None
    region_switch_plan_unresolved: str | None = None
    read_only_buckets: tuple[ReadOnlyBucketRef, ...] = ()

    def __post_init__(self) -> None:
        if self.primary_region == self.standby_region:
            raise OpsError(
                f"primary and standby region are both {self.primary_region!r}",
                fix="pass two different regions to --primary-region and --standby-region.",
            )

    def node_groups_in(self, region: str) -> tuple[NodeGroupRef, ...]:
        """Return the node groups in one region."""
        return tuple(ng for ng in self.node_groups if ng.region == region)

    def health_checks_for(self, region: str) -> tuple[HealthCheckRef, ...]:
        """Return the endpoint checks watching ``region`` (all unassigned ones when none do)."""
        checks = [hc for hc in self.health_checks if not hc.gate]
        own = tuple(hc for hc in checks if hc.region == region)
        if own:
            return own
        return tuple(hc for hc in checks if hc.region is None)

    def read_only_buckets_in(self, region: str) -> tuple[ReadOnlyBucketRef, ...]:
        """Return the replica buckets in ``region`` that keep a standby read-only."""
        return tuple(b for b in self.read_only_buckets if b.region == region)

    @property
    def dns_gates(self) -> tuple[HealthCheckRef, ...]:
        """Return the checks on the PRIMARY failover record."""
        return tuple(hc for hc in self.health_checks if hc.gate)


def region_arg(value: str, flag: str) -> str:
    """Validate a region given on the command line.

    Raises:
        OpsError: If it is not a commercial AWS region; the message suggests the closest one.
    """
    try:
        return check_region(value)
    except ValueError as exc:
        raise OpsError(f"{flag}: {exc}") from None


def parse_node_group(text: str, default_region: str) -> NodeGroupRef:
    """Parse ``[REGION/]CLUSTER:NODEGROUP``.

    Args:
        text: The value of ``--node-group``.
        default_region: The region used when ``text`` names none (the standby region).

    Raises:
        OpsError: If the value is not of that form or the region is unknown.
    """
    region = default_region
    rest = text.strip()
    if "/" in rest:
        region_text, rest = rest.split("/", 1)
        region = region_arg(region_text, "--node-group")
    cluster, sep, nodegroup = rest.partition(":")
    if not sep or not cluster or not nodegroup or ":" in nodegroup or "/" in nodegroup:
        raise OpsError(
            f"--node-group {text!r} is not of the form [REGION/]CLUSTER:NODEGROUP",
            fix="write it like 'us-east-1/app-standby:workers' or 'app-standby:workers'.",
        )
    return NodeGroupRef(region=region, cluster=cluster, nodegroup=nodegroup)


def parse_health_check(text: str) -> HealthCheckRef:
    """Parse ``[REGION=]HEALTH_CHECK_ID``.

    Raises:
        OpsError: If the ID is empty or the region unknown.
    """
    region: str | None = None
    rest = text.strip()
    if "=" in rest:
        region_text, rest = rest.split("=", 1)
        region = region_arg(region_text, "--health-check")
    if not rest:
        raise OpsError(
            f"--health-check {text!r} has no ID",
            fix="write it like 'us-east-1=abcd1234-...' or just the ID.",
        )
    return HealthCheckRef(health_check_id=rest, region=region)
