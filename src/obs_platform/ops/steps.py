"""Step planning for failover, failback and drills.

Which steps, in which order, against which budget term. Pure: no AWS calls, so it is tested
directly (with hypothesis).

Steps that start work come first and return at once (scale node groups, switch the database
over); the waits follow, so compute scale-up and database promotion run in parallel, as the RTO
model of DESIGN.md section 4 assumes (RTO ~= detection + max(DNS, database, compute) + start).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .._internal.bucket_policy import READ_ONLY_SID
from .errors import OpsError
from .model import DrTargets, NodeGroupRef, ReadOnlyBucketRef, RtoBudget


class Direction(StrEnum):
    """Which way traffic moves."""

    FAILOVER = "failover"
    """From the primary region to the standby region."""
    FAILBACK = "failback"
    """From the standby region back to the primary region."""


class Mode(StrEnum):
    """Planned (no data loss) or unplanned (the old primary is unreachable)."""

    PLANNED = "planned"
    """Switchover: the database waits until the target is caught up (RPO 0)."""
    UNPLANNED = "unplanned"
    """Failover: the target is promoted without waiting; unreplicated writes are lost."""


class Engine(StrEnum):
    """Who runs the steps."""

    REGION_SWITCH = "region-switch"
    """Start the ARC Region switch plan and follow its execution."""
    DIRECT = "direct"
    """Run each step with boto3."""


class StepKind(StrEnum):
    """What a step does."""

    PREFLIGHT = "preflight"
    SCALE_NODEGROUP = "scale-nodegroup"
    SWITCHOVER_DATABASE = "switchover-database"
    FAILOVER_DATABASE = "failover-database"
    START_REGION_SWITCH = "start-region-switch"
    WAIT_DATABASE = "wait-database"
    WAIT_NODEGROUPS = "wait-nodegroups"
    WAIT_REGION_SWITCH = "wait-region-switch"
    WAIT_HEALTH = "wait-health"
    SCALE_DOWN_NODEGROUP = "scale-down-nodegroup"
    PROMOTE_STORAGE = "promote-storage"
    """Remove the read-only Deny from a replica bucket's policy (S3, the standby's region)."""
    WAIT_STORAGE_DRAIN = "wait-storage-drain"
    """Wait until the standby's Loki and Tempo have flushed what they took while serving."""
    DEMOTE_STORAGE = "demote-storage"
    """Put the read-only Deny back: the standby reads the replica buckets only."""


WAIT_KINDS = frozenset(
    {
        StepKind.WAIT_DATABASE,
        StepKind.WAIT_NODEGROUPS,
        StepKind.WAIT_REGION_SWITCH,
        StepKind.WAIT_HEALTH,
        StepKind.WAIT_STORAGE_DRAIN,
    }
)
"""Steps that only observe; everything else changes something."""

_WAITS_ON: dict[StepKind, frozenset[StepKind]] = {
    StepKind.WAIT_DATABASE: frozenset({StepKind.SWITCHOVER_DATABASE, StepKind.FAILOVER_DATABASE}),
    StepKind.WAIT_NODEGROUPS: frozenset({StepKind.SCALE_NODEGROUP}),
    StepKind.WAIT_REGION_SWITCH: frozenset({StepKind.START_REGION_SWITCH}),
}

BUDGET_TERMS: dict[StepKind, str] = {
    StepKind.WAIT_DATABASE: "database_seconds",
    StepKind.WAIT_NODEGROUPS: "compute_seconds",
    StepKind.WAIT_HEALTH: "detection_seconds",
}
"""The budget term each wait is measured against (DESIGN.md section 4)."""


@dataclass(frozen=True)
class Step:
    """One step of an operation.

    Attributes:
        step_id: Stable ID, recorded in the state file (``scale:us-east-1/app:workers``).
        kind: What the step does.
        description: One line for the terminal and the report.
        region: The region it acts in.
        params: What it acts on (node group, sizes, global cluster, ...).
        data_loss: True when running it can lose committed writes.
        counts_toward_rto: False for clean-up after recovery (scaling the old standby down).
    """

    step_id: str
    kind: StepKind
    description: str
    region: str
    params: dict[str, Any] = field(default_factory=dict)
    data_loss: bool = False
    counts_toward_rto: bool = True

    @property
    def is_wait(self) -> bool:
        """True for steps that only observe."""
        return self.kind in WAIT_KINDS

    def waits_on(self) -> frozenset[StepKind]:
        """Return the kinds of step whose work this wait observes (empty for actions)."""
        return _WAITS_ON.get(self.kind, frozenset())

    def to_json(self) -> dict[str, Any]:
        """Return the step for ``--dry-run --json`` and reports."""
        return {
            "id": self.step_id,
            "kind": str(self.kind),
            "description": self.description,
            "region": self.region,
            "params": self.params,
            "data_loss": self.data_loss,
            "counts_toward_rto": self.counts_toward_rto,
        }


@dataclass(frozen=True)
class OperationSpec:
    """What the operator asked for.

    Attributes:
        direction: Failover or failback.
        mode: Planned switchover or unplanned failover.
        engine: ARC Region switch or direct boto3 steps.
        allow_data_loss: The operator's explicit consent to an unplanned failover.
        desired_size: Node count for each scaled node group; ``None`` derives it.
        idle_size: Node count the old standby returns to after a failback; ``None`` derives
            it: an observability stack standby's configured size from the plan, else 0.
        scale_down_after: Whether a failback returns the standby's node groups to ``idle_size``.
        demote_storage: Whether a failback makes an observability stack standby's replica
            buckets read-only again (after its Loki and Tempo have flushed); ``False`` leaves
            them writable.
    """

    direction: Direction
    mode: Mode = Mode.PLANNED
    engine: Engine = Engine.DIRECT
    allow_data_loss: bool = False
    desired_size: int | None = None
    idle_size: int | None = None
    scale_down_after: bool = True
    demote_storage: bool = True


def regions_for(direction: Direction, targets: DrTargets) -> tuple[str, str]:
    """Return ``(from_region, to_region)`` for a direction."""
    if direction is Direction.FAILOVER:
        return targets.primary_region, targets.standby_region
    return targets.standby_region, targets.primary_region


def signature(spec: OperationSpec, targets: DrTargets) -> str:
    """Return a short hash naming this operation on these targets, stored in the state file.

    A state file with another signature belongs to another operation and is never resumed by
    this one.
    """
    source, target = regions_for(spec.direction, targets)
    data = {
        "direction": str(spec.direction),
        "mode": str(spec.mode),
        "from": source,
        "to": target,
        "engine": str(spec.engine),
        "global_cluster": targets.global_cluster,
        "plan": targets.region_switch_plan_arn,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def check_consent(spec: OperationSpec) -> None:
    """Refuse an operation that can lose data unless the operator consented.

    Raises:
        OpsError: (exit code 4) for ``--unplanned`` without ``--allow-data-loss``, or an
            unplanned failback.
    """
    if spec.mode is Mode.UNPLANNED and spec.direction is Direction.FAILBACK:
        raise OpsError(
            "a failback is always planned: it waits until the old primary's database is caught up",
            fix="if the standby region is failing now, run `dr failover --unplanned "
            "--allow-data-loss` with --primary-region and --standby-region swapped.",
            exit_code=4,
        )
    if spec.mode is Mode.UNPLANNED and not spec.allow_data_loss:
        raise OpsError(
            "an unplanned failover promotes the standby without waiting for replication, so "
            "writes not yet replicated are lost; it does not run without consent",
            fix="add --allow-data-loss to accept that, or drop --unplanned for a planned "
            "switchover (RPO 0) while the primary is reachable.",
            exit_code=4,
        )


def scale_target(
    current_min: int,
    current_desired: int,
    current_max: int,
    requested: int | None,
    peer_desired: int | None,
) -> tuple[int, int, int]:
    """Return the ``(min, desired, max)`` a standby node group is scaled to.

    The desired size is the requested one, else the matching primary node group's, else the
    node group's maximum, and at least 1. The minimum is raised to it, so an autoscaler does not
    remove the nodes before workloads land; the maximum is raised when it is lower.

    Raises:
        OpsError: If ``requested`` is negative.
    """
    if requested is not None and requested < 0:
        raise OpsError(f"--desired-size {requested} is negative", fix="pass 1 or more.")
    desired = requested if requested is not None else peer_desired
    if desired is None or desired < 1:
        desired = max(current_max, current_desired, 1)
    desired = max(desired, 1)
    return max(current_min, desired), desired, max(current_max, desired)


def scaled_enough(current: tuple[int, int, int], target: tuple[int, int, int]) -> bool:
    """True when a node group already has at least the target's minimum and desired size."""
    return current[0] >= target[0] and current[1] >= target[1]


def plan_steps(spec: OperationSpec, targets: DrTargets) -> list[Step]:
    """Return the ordered steps of an operation.

    Raises:
        OpsError: If the operator has not consented to data loss where it is possible, or there
            is nothing to act on.
    """
    check_consent(spec)
    source, target = regions_for(spec.direction, targets)
    unplanned = spec.mode is Mode.UNPLANNED
    steps: list[Step] = [
        Step(
            "preflight",
            StepKind.PREFLIGHT,
            f"check that the resources exist and {target} can take over from {source}",
            target,
            {"from_region": source, "to_region": target},
        )
    ]
    # The standby's Loki and Tempo flush to the replica buckets from the moment they may
    # write, so promotion comes first: it only rewrites a bucket policy (S3 in the standby's
    # region, no IAM call) and returns.
    for bucket in targets.read_only_buckets_in(target):
        steps.append(
            Step(
                f"promote:{bucket.key}",
                StepKind.PROMOTE_STORAGE,
                f"let Loki and Tempo in {bucket.region} write to {bucket.bucket}: remove "
                f"statement {READ_ONLY_SID} from its bucket policy",
                bucket.region,
                _bucket_params(bucket),
            )
        )
    if spec.engine is Engine.REGION_SWITCH:
        if not targets.region_switch_plan_arn:
            raise OpsError(
                "--engine region-switch needs a Region switch plan",
                fix="pass --region-switch-plan ARN, or use --engine direct.",
            )
        mode = "ungraceful" if unplanned else "graceful"
        # What PilotLightDr's plan does in each mode (dr/arc.py): the Aurora step is
        # switchoverOnly (SwitchoverGlobalCluster, no data loss) when graceful, and fails over
        # with AllowDataLoss only in the failover workflow's ungraceful path; a failback never
        # loses data. A running graceful execution (the alarm trigger's) is switched to
        # ungraceful instead of starting a second one.
        database = (
            "Aurora failover with AllowDataLoss (unreplicated writes are lost)"
            if unplanned
            else "Aurora switchover, no data loss"
        )
        steps.append(
            Step(
                "region-switch:start",
                StepKind.START_REGION_SWITCH,
                f"start the ARC Region switch plan: activate {target} ({mode}: scale nodes and "
                f"workloads, {database}); a running graceful execution is "
                + ("switched to ungraceful" if unplanned else "followed"),
                target,
                {
                    "plan_arn": targets.region_switch_plan_arn,
                    "mode": mode,
                    "action": "activate",
                    "aurora": "failover" if unplanned else "switchoverOnly",
                },
                data_loss=unplanned,
            )
        )
        steps.append(
            Step(
                "region-switch:wait",
                StepKind.WAIT_REGION_SWITCH,
                "wait for the Region switch execution to complete",
                target,
                {"plan_arn": targets.region_switch_plan_arn},
            )
        )
    else:
        to_groups = targets.node_groups_in(target)
        for ng in to_groups:
            steps.append(
                Step(
                    f"scale:{ng.key}",
                    StepKind.SCALE_NODEGROUP,
                    f"scale node group {ng.cluster}:{ng.nodegroup} up",
                    ng.region,
                    {
                        "cluster": ng.cluster,
                        "nodegroup": ng.nodegroup,
                        "desired_size": spec.desired_size,
                    },
                )
            )
        if targets.global_cluster:
            if unplanned:
                steps.append(
                    Step(
                        "database:failover",
                        StepKind.FAILOVER_DATABASE,
                        f"fail global cluster {targets.global_cluster} over to {target} "
                        "(AllowDataLoss: unreplicated writes are lost)",
                        target,
                        {"global_cluster": targets.global_cluster},
                        data_loss=True,
                    )
                )
            else:
                steps.append(
                    Step(
                        "database:switchover",
                        StepKind.SWITCHOVER_DATABASE,
                        f"switch global cluster {targets.global_cluster} over to {target} (RPO 0)",
                        target,
                        {"global_cluster": targets.global_cluster},
                    )
                )
            steps.append(
                Step(
                    "wait:database",
                    StepKind.WAIT_DATABASE,
                    f"wait until the writer is in {target} and the global cluster is available",
                    target,
                    {"global_cluster": targets.global_cluster},
                )
            )
        if to_groups:
            steps.append(
                Step(
                    "wait:node-groups",
                    StepKind.WAIT_NODEGROUPS,
                    f"wait until the node groups in {target} are active at their new size",
                    target,
                    {"nodegroups": [ng.key for ng in to_groups]},
                )
            )
        if len(steps) == 1 + len(targets.read_only_buckets_in(target)):
            raise OpsError(
                "nothing to fail over: no global cluster and no node groups in "
                f"{target} were given",
                fix="pass --global-cluster and --node-group, or --plan FILE.",
            )
    healthy = [hc.health_check_id for hc in targets.health_checks_for(target)]
    gates = [hc.health_check_id for hc in targets.dns_gates]
    unhealthy: list[str] = []
    if target == targets.primary_region:
        healthy += gates
    else:
        unhealthy = gates
    if healthy or unhealthy:
        what = [f"the checks for {target} report healthy"] if healthy else []
        if unhealthy:
            what.append("the primary's DNS gate reports unhealthy (DNS answers with the standby)")
        elif gates:
            what[-1] += " (the primary's DNS gate among them)"
        steps.append(
            Step(
                "wait:health",
                StepKind.WAIT_HEALTH,
                f"wait until {' and '.join(what)}",
                target,
                {"healthy": healthy, "unhealthy": unhealthy, "gates": gates},
            )
        )
    buckets = targets.read_only_buckets_in(source)
    if spec.direction is Direction.FAILBACK and spec.demote_storage and buckets:
        drain = storage_drain_seconds(targets.budget)
        steps.append(
            Step(
                "wait:storage-drain",
                StepKind.WAIT_STORAGE_DRAIN,
                f"wait {drain:g} s after ingest left {source}, until its Loki and Tempo have "
                "flushed what they took while serving (idle chunks and blocks)",
                source,
                {"seconds": drain},
                counts_toward_rto=False,
            )
        )
        for bucket in buckets:
            steps.append(
                Step(
                    f"demote:{bucket.key}",
                    StepKind.DEMOTE_STORAGE,
                    f"make {bucket.bucket} in {bucket.region} read-only again for "
                    f"{', '.join(bucket.roles)}: put statement {READ_ONLY_SID} back into its "
                    "bucket policy",
                    bucket.region,
                    _bucket_params(bucket),
                    counts_toward_rto=False,
                )
            )
    if (
        spec.direction is Direction.FAILBACK
        and spec.scale_down_after
        and spec.engine is Engine.DIRECT
    ):
        for ng in targets.node_groups_in(source):
            idle = idle_size(spec, ng)
            steps.append(
                Step(
                    f"scale-down:{ng.key}",
                    StepKind.SCALE_DOWN_NODEGROUP,
                    f"return node group {ng.cluster}:{ng.nodegroup} to its pilot-light size "
                    f"({idle})",
                    ng.region,
                    {
                        "cluster": ng.cluster,
                        "nodegroup": ng.nodegroup,
                        "desired_size": idle,
                    },
                    counts_toward_rto=False,
                )
            )
    return steps


STORAGE_DRAIN_SECONDS = 1830.0
"""How long a standby's Loki and Tempo need to flush once ingest has left them, when the plan
does not say (its ``dr`` entry's ``telemetry_rpo.drain_seconds``): Loki flushes a chunk that
received nothing for ``chunk_idle_period`` (30 min) at its next ``flush_check_period`` (30 s),
Tempo cuts its head block after ``max_block_duration`` (30 min); the library renders neither, so
these are the defaults (Loki configuration reference; Tempo ``modules/ingester/config.go``)."""


def _bucket_params(bucket: ReadOnlyBucketRef) -> dict[str, Any]:
    """A promote or demote step's parameters (what the runner rebuilds the reference from)."""
    return {"bucket": bucket.bucket, "label": bucket.label, "roles": list(bucket.roles)}


def storage_drain_seconds(budget: RtoBudget | None) -> float:
    """Return the wait before a failback makes a standby's replica buckets read-only again."""
    if budget is not None and budget.storage_drain_seconds is not None:
        return budget.storage_drain_seconds
    return STORAGE_DRAIN_SECONDS


def idle_size(spec: OperationSpec, ng: NodeGroupRef) -> int:
    """Return the size a failback returns ``ng`` to.

    An observability stack's standby idles at its configured size (``ng.idle_size``): its
    Alertmanager pages and its ingest NLB takes traffic from those nodes, and with none every
    pod is Pending. So ``--idle-size 0`` is refused for it, before any step runs.

    Raises:
        OpsError: (exit code 2) for an explicit idle size of 0 on a stack standby's group.
    """
    if spec.idle_size is None:
        return ng.idle_size if ng.idle_size is not None else 0
    if spec.idle_size == 0 and ng.idle_size is not None:
        raise OpsError(
            f"--idle-size 0 would scale node group {ng.cluster}:{ng.nodegroup} of the "
            "observability stack's standby to zero nodes: with no node its Alertmanager "
            "cannot page and its ingest NLB has no targets",
            fix=f"leave out --idle-size (the plan's idle size, {ng.idle_size}), or pass "
            "--keep-standby-scaled to leave it as it is.",
        )
    return spec.idle_size


def budget_seconds(step: Step, budget: RtoBudget | None) -> float | None:
    """Return the budget a step's measured time is compared with, or ``None``.

    Waits compare with their term (database, compute, detection); the Region switch execution
    with the whole RTO budget; actions, which only start work, with nothing.
    """
    if budget is None:
        return None
    if step.kind is StepKind.WAIT_REGION_SWITCH:
        return budget.rto_seconds
    term = BUDGET_TERMS.get(step.kind)
    return budget.terms.get(term) if term else None
