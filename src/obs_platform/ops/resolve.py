"""Turn command-line names and a plan JSON into :class:`DrTargets`.

Names given on the command line win. What the plan lacks (IDs AWS assigns at deploy) is looked
up by name: health checks by their endpoint and path, node groups by name across the region's
clusters, the replicator and the Region switch plan by name. What cannot be found is reported
as a note naming the flag that supplies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .aws import AwsContext
from .errors import OpsError
from .model import (
    DrTargets,
    HealthCheckRef,
    NodeGroupRef,
    RtoBudget,
    parse_health_check,
    parse_node_group,
    region_arg,
)
from .plan_targets import HealthCheckHint, NamedHint, NodeGroupHint, hints_from_plan, load_plan


@dataclass(frozen=True)
class TargetArgs:
    """The names an operator passes (every field optional when a plan is given)."""

    primary_region: str | None = None
    standby_region: str | None = None
    global_cluster: str | None = None
    node_groups: tuple[str, ...] = ()
    health_checks: tuple[str, ...] = ()
    dns_gates: tuple[str, ...] = ()
    replicator_arn: str | None = None
    region_switch_plan_arn: str | None = None
    plan_path: Path | None = None
    rto_budget_seconds: float | None = None
    rto_target_seconds: float | None = None


def build_targets(args: TargetArgs, aws: AwsContext | None) -> tuple[DrTargets, list[str]]:
    """Return the targets and notes about what could not be resolved.

    Args:
        args: The operator's names.
        aws: Used to look up what the plan lacks; ``None`` (a dry run) looks nothing up.

    Raises:
        OpsError: For an unknown region, a malformed name, or no regions at all.
    """
    primary = region_arg(args.primary_region, "--primary-region") if args.primary_region else None
    standby = region_arg(args.standby_region, "--standby-region") if args.standby_region else None
    notes: list[str] = []
    hints = None
    if args.plan_path is not None:
        hints = hints_from_plan(load_plan(args.plan_path), primary, standby)
        primary = primary or hints.primary_region
        standby = standby or hints.standby_region
    if not primary or not standby:
        raise OpsError(
            "the primary and standby regions are not known",
            fix="pass --primary-region and --standby-region, or --plan FILE of a "
            "program with a PilotLightDr.",
        )
    primary = region_arg(primary, "primary region")
    standby = region_arg(standby, "standby region")

    global_cluster = args.global_cluster
    if global_cluster is None and hints and hints.global_clusters:
        if len(hints.global_clusters) > 1:
            raise OpsError(
                f"the plan has {len(hints.global_clusters)} global clusters "
                f"({', '.join(hints.global_clusters)})",
                fix="pass --global-cluster to choose one.",
            )
        global_cluster = hints.global_clusters[0]

    node_groups = tuple(parse_node_group(t, standby) for t in args.node_groups)
    if not node_groups and hints:
        node_groups = tuple(_resolve_node_groups(hints.node_groups, (primary, standby), aws, notes))

    health_checks = tuple(parse_health_check(t) for t in args.health_checks)
    gates = tuple(HealthCheckRef(g.strip(), None, gate=True) for g in args.dns_gates if g.strip())
    if not health_checks and not gates and hints:
        health_checks = tuple(_resolve_health_checks(hints.health_checks, primary, aws, notes))
    health_checks += gates

    replicator = args.replicator_arn
    if replicator is None and hints and hints.replicators:
        replicator = _resolve_named(
            hints.replicators,
            standby,
            aws,
            notes,
            "replicator",
            "--replicator ARN",
            _find_replicator,
        )
    switch_plan = args.region_switch_plan_arn
    switch_plan_unresolved = None
    if switch_plan is None and hints and hints.region_switch_plans:
        before = len(notes)
        switch_plan = _resolve_named(
            hints.region_switch_plans,
            standby,
            aws,
            notes,
            "Region switch plan",
            "--region-switch-plan ARN",
            _find_switch_plan,
        )
        if switch_plan is None:
            switch_plan_unresolved = "; ".join(notes[before:]) or "not resolved"
    budget = hints.budget if hints else None
    if args.rto_budget_seconds is not None or args.rto_target_seconds is not None:
        base = budget or RtoBudget(0.0, 0.0)
        budget = RtoBudget(
            args.rto_budget_seconds if args.rto_budget_seconds is not None else base.rto_seconds,
            args.rto_target_seconds
            if args.rto_target_seconds is not None
            else base.rto_target_seconds or 300.0,
            base.terms,
        )
    targets = DrTargets(
        primary,
        standby,
        global_cluster,
        node_groups,
        health_checks,
        replicator,
        switch_plan,
        budget,
        switch_plan_unresolved,
        hints.read_only_buckets if hints else (),
    )
    return targets, notes


def _resolve_node_groups(
    hints: tuple[NodeGroupHint, ...],
    regions: tuple[str, str],
    aws: AwsContext | None,
    notes: list[str],
) -> list[NodeGroupRef]:
    refs: list[NodeGroupRef] = []
    for hint in hints:
        if hint.region not in regions:
            continue
        assert hint.region is not None
        if hint.cluster and hint.nodegroup:
            refs.append(NodeGroupRef(hint.region, hint.cluster, hint.nodegroup, hint.idle_size))
        elif hint.nodegroup and aws is not None:
            cluster = _find_cluster_of(aws, hint.region, hint.nodegroup)
            if cluster:
                refs.append(NodeGroupRef(hint.region, cluster, hint.nodegroup, hint.idle_size))
            else:
                notes.append(
                    f"node group {hint.nodegroup!r} ({hint.plan_name}) not found in "
                    f"{hint.region}; pass --node-group {hint.region}/CLUSTER:NODEGROUP"
                )
        else:
            why = (
                "looked up at run time"
                if aws is None and hint.nodegroup
                else "its name is assigned at deploy"
            )
            notes.append(
                f"node group {hint.plan_name} in {hint.region}: {why}; pass "
                f"--node-group {hint.region}/CLUSTER:NODEGROUP to include it"
            )
    return refs


def _find_cluster_of(aws: AwsContext, region: str, nodegroup: str) -> str | None:
    clusters = aws.call("eks", region, "list_clusters").get("clusters", [])
    for cluster in clusters:
        names = aws.call("eks", region, "list_nodegroups", clusterName=cluster).get(
            "nodegroups", []
        )
        if nodegroup in names:
            return str(cluster)
    return None


GATE_SUFFIX = "-primary-gate"
"""A ``PilotLightDr``'s calculated check on the PRIMARY failover record."""
GATE_PART_SUFFIX = "-primary-writer-check"
"""A child of the gate: followed through the gate, not on its own."""


def _resolve_health_checks(
    hints: tuple[HealthCheckHint, ...], primary: str, aws: AwsContext | None, notes: list[str]
) -> list[HealthCheckRef]:
    hints = tuple(h for h in hints if not h.plan_name.endswith(GATE_PART_SUFFIX))
    if not hints:
        return []
    if aws is None:
        notes.append(f"{len(hints)} health check(s) from the plan are looked up at run time")
        return []
    checks: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = aws.call(
            "route53", "us-east-1", "list_health_checks", **({"Marker": marker} if marker else {})
        )
        checks.extend(page.get("HealthChecks", []))
        if not page.get("IsTruncated"):
            break
        marker = page.get("NextMarker")
    names = _name_tags(aws, [str(c["Id"]) for c in checks]) if checks else {}
    refs: list[HealthCheckRef] = []
    for hint in hints:
        found = [c for c in checks if hint.name_tag and names.get(str(c["Id"])) == hint.name_tag]
        if len(found) != 1:
            by_target = [c for c in checks if _matches(c.get("HealthCheckConfig", {}), hint)]
            found = [c for c in found if c in by_target] if found else by_target
        gate = hint.plan_name.endswith(GATE_SUFFIX)
        if len(found) == 1:
            region = primary if gate else hint.region
            refs.append(HealthCheckRef(str(found[0]["Id"]), region, gate=gate))
        else:
            what = "none" if not found else f"{len(found)}"
            flag = "--dns-gate ID" if gate else "--health-check REGION=ID"
            notes.append(
                f"health check {hint.plan_name} (Name tag {hint.name_tag!r}): {what} match in "
                f"Route 53; pass {flag}"
            )
    return refs


def _name_tags(aws: AwsContext, ids: list[str]) -> dict[str, str]:
    """Return each health check's ``Name`` tag (Route 53 takes 10 IDs per call)."""
    names: dict[str, str] = {}
    for start in range(0, len(ids), 10):
        page = aws.call(
            "route53",
            "us-east-1",
            "list_tags_for_resources",
            ResourceType="healthcheck",
            ResourceIds=ids[start : start + 10],
        )
        for item in page.get("ResourceTagSets", []):
            for tag in item.get("Tags", []):
                if tag.get("Key") == "Name":
                    names[str(item.get("ResourceId"))] = str(tag.get("Value"))
    return names


def _matches(config: dict[str, Any], hint: HealthCheckHint) -> bool:
    if hint.fqdn is None and hint.ip_address is None:
        return False
    if hint.fqdn is not None and config.get("FullyQualifiedDomainName") != hint.fqdn:
        return False
    if hint.ip_address is not None and config.get("IPAddress") != hint.ip_address:
        return False
    return hint.resource_path is None or config.get("ResourcePath") == hint.resource_path


def _resolve_named(
    hints: tuple[NamedHint, ...],
    default_region: str,
    aws: AwsContext | None,
    notes: list[str],
    what: str,
    flag: str,
    finder: Any,
) -> str | None:
    if len(hints) > 1:
        notes.append(f"the plan has {len(hints)} {what}s; pass {flag} to use one")
        return None
    hint = hints[0]
    if hint.name is None:
        notes.append(f"{what} {hint.plan_name}: its name is assigned at deploy; pass {flag}")
        return None
    if aws is None:
        notes.append(f"{what} {hint.name!r} is looked up at run time")
        # A dry run shows the steps the run would take with it.
        return f"({what} {hint.name} looked up at run time)"
    try:
        arn: str | None = finder(aws, hint.region or default_region, hint.name)
    except OpsError as exc:
        notes.append(f"{what} {hint.name!r} could not be looked up ({exc}); pass {flag}")
        return None
    if arn is None:
        notes.append(f"{what} {hint.name!r} not found; pass {flag}")
    return arn


def _find_replicator(aws: AwsContext, region: str, name: str) -> str | None:
    token: str | None = None
    while True:
        extra = {"NextToken": token} if token else {}
        page = aws.call("kafka", region, "list_replicators", ReplicatorNameFilter=name, **extra)
        for item in page.get("Replicators", []):
            if item.get("ReplicatorName") == name:
                return str(item["ReplicatorArn"])
        token = page.get("NextToken")
        if not token:
            return None


def _find_switch_plan(aws: AwsContext, region: str, name: str) -> str | None:
    token: str | None = None
    while True:
        extra = {"nextToken": token} if token else {}
        page = aws.call("arc-region-switch", region, "list_plans_in_region", **extra)
        for item in page.get("plans", []):
            if item.get("name") == name:
                return str(item["arn"])
        token = page.get("nextToken")
        if not token:
            return None
