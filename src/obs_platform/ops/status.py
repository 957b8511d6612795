"""``dr status``: the state of a primary/standby pair, read from AWS.

Each part (database, node groups, health checks, replicator, Region switch plan) is read on its
own; a part that cannot be read is reported with its error instead of hiding the others.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from . import actions
from .aws import AwsContext
from .errors import OpsError
from .model import DrTargets, HealthCheckRef, NodeGroupRef


def _part(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return read()
    except OpsError as exc:
        return {"error": str(exc)}


def collect_status(
    aws: AwsContext, targets: DrTargets, clock: Callable[[], float] = time.time
) -> dict[str, Any]:
    """Return the pair's state as JSON-ready data.

    Raises:
        OpsError: Only for failures that make every part unreadable (missing credentials).
    """
    out: dict[str, Any] = {
        "primary_region": targets.primary_region,
        "standby_region": targets.standby_region,
    }
    now = dt.datetime.fromtimestamp(clock(), tz=dt.UTC)
    if targets.global_cluster:
        out["database"] = _part(lambda: _database(aws, targets, now))
    out["node_groups"] = [_part(partial(_nodegroup, aws, ng)) for ng in targets.node_groups]
    out["health_checks"] = [_part(partial(_health, aws, hc, now)) for hc in targets.health_checks]
    if targets.replicator_arn:
        arn = targets.replicator_arn
        out["kafka_replication"] = _part(
            lambda: actions.replicator_state(aws, arn, targets.standby_region)
        )
    if targets.region_switch_plan_arn:
        out["region_switch_plan"] = {"arn": targets.region_switch_plan_arn}
    if targets.budget:
        out["budget"] = {
            "rto_seconds": targets.budget.rto_seconds,
            "rto_target_seconds": targets.budget.rto_target_seconds,
        }
    errors = [p["error"] for p in _parts(out) if "error" in p]
    credential_errors = ("no usable AWS credentials", "AWS rejected the credentials")
    if errors and len(errors) == len(_parts(out)) and errors[0].startswith(credential_errors):
        raise OpsError(
            errors[0].split(" Fix: ")[0],
            fix="set AWS_PROFILE (or pass --profile), run `aws sso login`, or export "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
        )
    return out


def _parts(out: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for key in ("database", "kafka_replication"):
        if isinstance(out.get(key), dict):
            parts.append(out[key])
    parts.extend(out.get("node_groups", []))
    parts.extend(out.get("health_checks", []))
    return parts


def _database(aws: AwsContext, targets: DrTargets, now: dt.datetime) -> dict[str, Any]:
    assert targets.global_cluster
    cluster = actions.describe_global_cluster(
        aws, targets.global_cluster, [targets.primary_region, targets.standby_region]
    )
    members = []
    for member in actions.members(cluster):
        arn = str(member.get("DBClusterArn", ""))
        lag: float | None = None
        lag_error: str | None = None
        if not member.get("IsWriter"):
            try:
                lag = actions.replication_lag_seconds(aws, arn, now)
            except OpsError as exc:
                lag_error = str(exc)
        members.append(
            {
                "cluster": actions.arn_name(arn),
                "arn": arn,
                "region": actions.arn_region(arn),
                "writer": bool(member.get("IsWriter")),
                "synchronization": member.get("SynchronizationStatus"),
                "replication_lag_seconds": lag,
                **({"lag_error": lag_error} if lag_error else {}),
            }
        )
    failover = cluster.get("FailoverState") or None
    return {
        "identifier": cluster.get("GlobalClusterIdentifier"),
        "status": cluster.get("Status"),
        "engine": cluster.get("Engine"),
        "writer_region": actions.writer_region(cluster),
        "failover_state": failover,
        "members": members,
    }


def _health(aws: AwsContext, hc: HealthCheckRef, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": hc.health_check_id,
        "region": hc.region,
        "gate": hc.gate,
        **actions.check_status(aws, hc.health_check_id, hc.gate, now),
    }


def _nodegroup(aws: AwsContext, ng: NodeGroupRef) -> dict[str, Any]:
    desc = actions.describe_nodegroup(aws, ng)
    low, desired, high = actions.scaling_of(desc)
    return {
        "region": ng.region,
        "cluster": ng.cluster,
        "nodegroup": ng.nodegroup,
        "status": desc.get("status"),
        "min_size": low,
        "desired_size": desired,
        "max_size": high,
    }


def render_status(status: dict[str, Any]) -> str:
    """Return the status as text for the terminal."""
    lines = [f"DR pair: primary {status['primary_region']} -> standby {status['standby_region']}"]
    db = status.get("database")
    if db is not None:
        lines.append("")
        if "error" in db:
            lines.append(f"Database: cannot read: {db['error']}")
        else:
            lines.append(
                f"Database: global cluster {db['identifier']} ({db['engine']}), "
                f"status {db['status']}, writer in {db['writer_region']}"
            )
            if db.get("failover_state"):
                fs = db["failover_state"]
                lines.append(
                    f"  failover running: {fs.get('Status')} to "
                    f"{actions.arn_region(str(fs.get('ToDbClusterArn', '')))}"
                )
            for m in db["members"]:
                role = "writer" if m["writer"] else "reader"
                lag = m["replication_lag_seconds"]
                lag_text = (
                    ""
                    if m["writer"]
                    else (f", lag {lag:.3f} s" if lag is not None else ", lag not reported")
                )
                sync = f", {m['synchronization']}" if m.get("synchronization") else ""
                lines.append(f"  {m['region']:<15} {m['cluster']:<30} {role}{sync}{lag_text}")
    if status.get("node_groups"):
        lines.append("")
        lines.append("Node groups:")
        for ng in status["node_groups"]:
            if "error" in ng:
                lines.append(f"  cannot read: {ng['error']}")
                continue
            lines.append(
                f"  {ng['region']:<15} {ng['cluster']}:{ng['nodegroup']:<20} "
                f"{ng['status']}, min {ng['min_size']} desired {ng['desired_size']} "
                f"max {ng['max_size']}"
            )
    if status.get("health_checks"):
        lines.append("")
        lines.append("Route 53 health checks:")
        for hc in status["health_checks"]:
            if "error" in hc:
                lines.append(f"  cannot read: {hc['error']}")
                continue
            word = {True: "healthy", False: "UNHEALTHY", None: "no data"}[hc["healthy"]]
            where = f" ({hc['region']})" if hc.get("region") else ""
            if hc.get("gate"):
                where += ", DNS gate of the PRIMARY record"
            how = (
                "HealthCheckStatus metric (calculated check)"
                if hc.get("source") == "HealthCheckStatus"
                else f"{hc['success']}/{hc['checkers']} checkers report success"
            )
            lines.append(f"  {hc['id']}{where}: {word}, {how}")
    kafka = status.get("kafka_replication")
    if kafka is not None:
        lines.append("")
        if "error" in kafka:
            lines.append(f"Kafka replication: cannot read: {kafka['error']}")
        else:
            lines.append(f"Kafka replication: {kafka['name']} {kafka['state']}")
            for flow in kafka["flows"]:
                lines.append(f"  {flow['source']} -> {flow['target']}")
    if status.get("region_switch_plan"):
        lines.append("")
        lines.append(f"ARC Region switch plan: {status['region_switch_plan']['arn']}")
    if status.get("budget"):
        b = status["budget"]
        lines.append("")
        lines.append(f"RTO budget {b['rto_seconds']:g} s (target {b['rto_target_seconds']:g} s)")
    return "\n".join(lines) + "\n"
