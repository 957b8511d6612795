"""Read what a DR operation acts on from a plan JSON (``obs-platform.plan/1``).

A plan records inputs, not the IDs AWS assigns after deploy, so some names are missing from it
(a health check's ID, an autonamed node group, the replicator's ARN). :func:`hints_from_plan`
returns what the plan knows; :mod:`obs_platform.ops.resolve` looks the rest up in AWS by name.
Pure: no AWS calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._internal.bucket_policy import READ_ONLY_SID, without_statement
from .errors import OpsError
from .model import ReadOnlyBucketRef, RtoBudget

PLAN_FORMAT = "obs-platform.plan/1"
GLOBAL_CLUSTER_TYPE = "aws:rds/globalCluster:GlobalCluster"
HEALTH_CHECK_TYPE = "aws:route53/healthCheck:HealthCheck"
NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"
REPLICATOR_TYPE = "aws:msk/replicator:Replicator"
REGION_SWITCH_PLAN_TYPE = "aws:arcregionswitch/plan:Plan"
STACK_TYPE = "obs-platform:observability:ObservabilityStack"
ROLE_TYPE = "aws:iam/role:Role"
BUCKET_TYPE = "aws:s3/bucket:Bucket"
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
POLICY_SUFFIX = "-policy"
"""A bucket ``{x}-bucket``'s policy is ``{x}-policy`` (observability/storage.py)."""
_PLACEHOLDERS = frozenset({"[unknown]", "[secret]"})


def known(value: Any) -> str | None:
    """Return ``value`` when it is a concrete string, ``None`` for placeholders and others."""
    if isinstance(value, str) and value and value not in _PLACEHOLDERS:
        return value
    return None


@dataclass(frozen=True)
class NodeGroupHint:
    """A node group as the plan knows it (cluster name may be an unknown output)."""

    plan_name: str
    region: str | None
    cluster: str | None
    nodegroup: str | None
    idle_size: int | None = None
    """The plan's ``scalingConfig.desiredSize`` when the ``dr`` entry is an observability
    stack's (its standby idles at that size); ``None`` for a cell pair's."""


@dataclass(frozen=True)
class HealthCheckHint:
    """A health check as the plan knows it: its target, not its ID."""

    plan_name: str
    region: str | None
    fqdn: str | None
    ip_address: str | None
    resource_path: str | None
    name_tag: str | None


@dataclass(frozen=True)
class NamedHint:
    """A resource known by name and region (replicator, Region switch plan)."""

    plan_name: str
    region: str | None
    name: str | None


@dataclass(frozen=True)
class PlanHints:
    """What a plan says about one primary/standby pair."""

    primary_region: str | None = None
    standby_region: str | None = None
    budget: RtoBudget | None = None
    global_clusters: tuple[str, ...] = ()
    node_groups: tuple[NodeGroupHint, ...] = ()
    health_checks: tuple[HealthCheckHint, ...] = ()
    replicators: tuple[NamedHint, ...] = ()
    region_switch_plans: tuple[NamedHint, ...] = ()
    notes: tuple[str, ...] = field(default=())
    read_only_buckets: tuple[ReadOnlyBucketRef, ...] = ()


def load_plan(path: Path) -> dict[str, Any]:
    """Read a plan JSON file and check its format tag.

    Raises:
        OpsError: If the file is missing, not JSON, or not ``obs-platform.plan/1``.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OpsError(
            f"cannot read plan {path}: {exc.strerror}",
            fix="pass the file written by `obs-platform plan DIR --json FILE`.",
        ) from None
    except json.JSONDecodeError as exc:
        raise OpsError(
            f"plan {path} is not JSON: {exc}",
            fix="pass the file written by `obs-platform plan DIR --json FILE`.",
        ) from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise OpsError(
            f"plan {path} has format {got!r}, expected {PLAN_FORMAT!r}",
            fix="regenerate it with `obs-platform plan DIR --json FILE`.",
        )
    return data


def _region_hint(texts: list[str | None], regions: tuple[str, ...]) -> str | None:
    found = {r for r in regions for t in texts if t and r in t}
    return found.pop() if len(found) == 1 else None


def hints_from_plan(
    plan: dict[str, Any], primary_region: str | None = None, standby_region: str | None = None
) -> PlanHints:
    """Extract the DR resources of a plan.

    Args:
        plan: A parsed ``obs-platform.plan/1`` document.
        primary_region: Choose the ``dr`` entry with this primary region when there are several.
        standby_region: Choose the ``dr`` entry with this standby region when there are several.

    Raises:
        OpsError: If the plan has several ``dr`` entries and the regions do not pick one.
    """
    entries = [e for e in plan.get("dr") or [] if isinstance(e, dict)]
    chosen = [
        e
        for e in entries
        if (primary_region is None or e.get("primary_region") == primary_region)
        and (standby_region is None or e.get("standby_region") == standby_region)
    ]
    entry: dict[str, Any] | None = None
    if len(chosen) == 1:
        entry = chosen[0]
    elif len(chosen) > 1:
        pairs = ", ".join(f"{e.get('primary_region')}->{e.get('standby_region')}" for e in chosen)
        raise OpsError(
            f"the plan has {len(chosen)} PilotLightDr entries ({pairs})",
            fix="pass --primary-region and --standby-region to choose one.",
        )
    elif entries:
        pairs = ", ".join(f"{e.get('primary_region')}->{e.get('standby_region')}" for e in entries)
        raise OpsError(
            f"no PilotLightDr in the plan runs {primary_region or '*'}->{standby_region or '*'}; "
            f"it has {pairs}",
            fix="pass the regions of one of them, or leave them out to use the plan's.",
        )
    primary = primary_region or (known(entry.get("primary_region")) if entry else None)
    standby = standby_region or (known(entry.get("standby_region")) if entry else None)
    budget = RtoBudget.from_plan_entry(entry) if entry else None
    regions = tuple(r for r in (primary, standby) if r)
    below = _component_scope(plan, entry)
    stack_entry = entry is not None and any(
        isinstance(r, dict)
        and r.get("urn") == entry.get("component")
        and r.get("type") == STACK_TYPE
        for r in plan.get("resources") or []
    )

    global_clusters: list[str] = []
    node_groups: list[NodeGroupHint] = []
    health_checks: list[HealthCheckHint] = []
    replicators: list[NamedHint] = []
    switch_plans: list[NamedHint] = []
    for res in plan.get("resources") or []:
        if not isinstance(res, dict) or (below is not None and res.get("urn") not in below):
            continue
        rtype = res.get("type")
        raw_inputs = res.get("inputs")
        inputs: dict[str, Any] = raw_inputs if isinstance(raw_inputs, dict) else {}
        name = str(res.get("name", ""))
        region = known(inputs.get("region")) or known(res.get("region"))
        if rtype == GLOBAL_CLUSTER_TYPE:
            gc = known(inputs.get("globalClusterIdentifier"))
            if gc and gc not in global_clusters:
                global_clusters.append(gc)
        elif rtype == NODE_GROUP_TYPE:
            scaling = inputs.get("scalingConfig")
            desired = scaling.get("desiredSize") if isinstance(scaling, dict) else None
            node_groups.append(
                NodeGroupHint(
                    name,
                    region,
                    known(inputs.get("clusterName")),
                    known(inputs.get("nodeGroupName")),
                    desired
                    if stack_entry and isinstance(desired, int) and not isinstance(desired, bool)
                    else None,
                )
            )
        elif rtype == HEALTH_CHECK_TYPE:
            raw_tags = inputs.get("tags")
            tags: dict[str, Any] = raw_tags if isinstance(raw_tags, dict) else {}
            name_tag = known(tags.get("Name"))
            fqdn = known(inputs.get("fqdn"))
            tag_values = [known(v) for v in tags.values()]
            health_checks.append(
                HealthCheckHint(
                    name,
                    _region_hint([name, fqdn, *tag_values], regions),
                    fqdn,
                    known(inputs.get("ipAddress")),
                    known(inputs.get("resourcePath")),
                    name_tag,
                )
            )
        elif rtype == REPLICATOR_TYPE:
            replicators.append(NamedHint(name, region, known(inputs.get("replicatorName"))))
        elif rtype == REGION_SWITCH_PLAN_TYPE:
            switch_plans.append(NamedHint(name, region, known(inputs.get("name"))))
    return PlanHints(
        primary,
        standby,
        budget,
        tuple(global_clusters),
        tuple(node_groups),
        tuple(health_checks),
        tuple(replicators),
        tuple(switch_plans),
        read_only_buckets=_read_only_buckets(plan, entry, standby) if stack_entry else (),
    )


def _read_only_buckets(
    plan: dict[str, Any], entry: dict[str, Any] | None, standby: str | None
) -> tuple[ReadOnlyBucketRef, ...]:
    """Return the replica buckets whose policy keeps the stack's standby read-only.

    Each ``{x}-policy`` bucket policy of the entry's ``ObservabilityStack`` whose document has
    the statement :data:`READ_ONLY_SID`, in the standby's region, for the bucket ``{x}-bucket``
    (``_internal/bucket_policy.py``). The roles are the standby stack's Loki and Tempo roles
    (``{standby stack}-{loki,tempo}-role``). With ``StandbyStackArgs.promoted=True`` the
    statement is not in the plan: the standby writes all the time, and adding the statement
    back would only be undone by the next deploy.
    """
    if entry is None or standby is None:
        return ()
    component = entry.get("component")
    resources = [r for r in plan.get("resources") or [] if isinstance(r, dict)]
    stacks = [
        str(r.get("name"))
        for r in resources
        if r.get("type") == STACK_TYPE and r.get("parent") == component
    ]
    roles = {str(r.get("name")) for r in resources if r.get("type") == ROLE_TYPE}
    writers = tuple(
        f"{stack}-{engine}-role"
        for stack in stacks
        for engine in ("loki", "tempo")
        if f"{stack}-{engine}-role" in roles
    )
    buckets = {str(r.get("name")) for r in resources if r.get("type") == BUCKET_TYPE}
    owner = next((str(r.get("name")) for r in resources if r.get("urn") == component), "")
    found: list[ReadOnlyBucketRef] = []
    for res in resources:
        name = str(res.get("name", ""))
        if res.get("type") != BUCKET_POLICY_TYPE or res.get("parent") != component:
            continue
        inputs = res.get("inputs") or {}
        region = known(inputs.get("region")) or standby
        bucket = f"{name.removesuffix(POLICY_SUFFIX)}-bucket"
        if region != standby or bucket not in buckets or not _has_read_only(inputs):
            continue
        label = name.removeprefix(f"{owner}-").removesuffix(f"-replica{POLICY_SUFFIX}")
        found.append(ReadOnlyBucketRef(standby, bucket, label, writers))
    return tuple(sorted(found, key=lambda b: b.label))


def _has_read_only(inputs: dict[str, Any]) -> bool:
    """True when a bucket policy's document (a JSON string in the plan) has the read-only Deny."""
    document = inputs.get("policy")
    if not isinstance(document, str):
        return False
    try:
        _, statement = without_statement(document, READ_ONLY_SID)
    except (ValueError, AttributeError):
        return False
    return statement is not None


def _component_scope(plan: dict[str, Any], entry: dict[str, Any] | None) -> set[str] | None:
    """Return the URNs that belong with the chosen ``dr`` entry, or ``None`` for all.

    With one ``PilotLightDr`` every resource is in scope (cells hold the node groups). With
    several, the resources under the chosen component's parent (a cell pair's program) are.
    """
    entries = [e for e in plan.get("dr") or [] if isinstance(e, dict)]
    if entry is None or len(entries) < 2:
        return None
    resources = [r for r in plan.get("resources") or [] if isinstance(r, dict)]
    by_urn = {r.get("urn"): r for r in resources}
    component = by_urn.get(entry.get("component"))
    root = component.get("parent") if component else None
    if root is None:
        return None
    scope: set[str] = set()
    frontier = {root}
    while frontier:
        scope |= frontier
        frontier = {
            str(r.get("urn"))
            for r in resources
            if r.get("parent") in frontier and r.get("urn") not in scope
        }
    return scope
