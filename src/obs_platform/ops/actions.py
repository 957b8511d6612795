"""The AWS reads and writes behind the steps.

Aurora global cluster, EKS node groups, Route 53 health checks, MSK Replicator, ARC Region
switch, the replication-lag metric, and the replica bucket policies that keep an observability
stack's standby read-only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from .._internal import arc_ungraceful
from .aws import AwsContext, error_code, translate
from .errors import OpsError
from .model import NodeGroupRef, ReadOnlyBucketRef

HEALTHY_FRACTION = 0.18
"""Route 53 treats an endpoint as healthy when more than 18% of its checkers see it healthy."""
LAG_METRIC = "AuroraGlobalDBReplicationLag"
"""CloudWatch metric (milliseconds) of a secondary cluster's lag behind the writer."""


def arn_region(arn: str) -> str | None:
    """Return the region field of an ARN (``arn:aws:rds:REGION:...``), else ``None``."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


def arn_name(arn: str) -> str:
    """Return the last ``:``-separated field of an ARN (a cluster's identifier)."""
    return arn.rsplit(":", 1)[-1]


# Aurora global database ---------------------------------------------------------------------


def describe_global_cluster(aws: AwsContext, identifier: str, regions: list[str]) -> dict[str, Any]:
    """Return the global cluster, asking each region in turn (an impaired one is skipped).

    Raises:
        OpsError: If no region knows it, or none could be reached.
    """
    errors: list[OpsError] = []
    for region in regions:
        try:
            response = aws.call(
                "rds", region, "describe_global_clusters", GlobalClusterIdentifier=identifier
            )
        except OpsError as exc:
            if exc.resumable:
                errors.append(exc)
                continue
            if str(exc).startswith("not found"):
                continue
            raise
        for cluster in response.get("GlobalClusters", []):
            if str(cluster.get("GlobalClusterIdentifier", "")).lower() == identifier.lower():
                return dict(cluster)
    if errors and len(errors) == len(regions):
        raise errors[0]
    raise OpsError(
        f"global cluster {identifier!r} not found (asked {', '.join(regions)})",
        fix="check --global-cluster (the GlobalClusterIdentifier, lower case) and that your "
        "credentials are for the account that owns it.",
    )


def members(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the members of a global cluster."""
    return [dict(m) for m in cluster.get("GlobalClusterMembers", [])]


def member_in(cluster: dict[str, Any], region: str) -> dict[str, Any] | None:
    """Return the member cluster in ``region``, or ``None``."""
    for member in members(cluster):
        if arn_region(str(member.get("DBClusterArn", ""))) == region:
            return member
    return None


def writer_region(cluster: dict[str, Any]) -> str | None:
    """Return the region of the global cluster's writer, or ``None`` while there is none."""
    for member in members(cluster):
        if member.get("IsWriter"):
            return arn_region(str(member.get("DBClusterArn", "")))
    return None


def failover_in_progress(cluster: dict[str, Any]) -> bool:
    """True while a switchover or failover of the global cluster is running."""
    state = cluster.get("FailoverState") or {}
    return bool(state) and state.get("Status") not in (None, "", "cancelled")


def switch_database(
    aws: AwsContext, identifier: str, target_arn: str, region: str, allow_data_loss: bool
) -> dict[str, Any]:
    """Start a switchover (RPO 0) or, with ``allow_data_loss``, an unplanned failover."""
    if allow_data_loss:
        return aws.call(
            "rds",
            region,
            "failover_global_cluster",
            GlobalClusterIdentifier=identifier,
            TargetDbClusterIdentifier=target_arn,
            AllowDataLoss=True,
        )
    return aws.call(
        "rds",
        region,
        "switchover_global_cluster",
        GlobalClusterIdentifier=identifier,
        TargetDbClusterIdentifier=target_arn,
    )


def replication_lag_seconds(aws: AwsContext, member_arn: str, now: dt.datetime) -> float | None:
    """Return the member's highest replication lag over the last 5 minutes, ``None`` if unknown.

    A secondary's lag is published in its own region as ``AuroraGlobalDBReplicationLag``.
    """
    region = arn_region(member_arn) or ""
    response = aws.call(
        "cloudwatch",
        region,
        "get_metric_statistics",
        Namespace="AWS/RDS",
        MetricName=LAG_METRIC,
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": arn_name(member_arn)}],
        StartTime=now - dt.timedelta(minutes=5),
        # A minute past now, so the newest datapoint is inside the window whatever its rounding.
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )
    points = [float(p["Maximum"]) for p in response.get("Datapoints", []) if "Maximum" in p]
    return max(points) / 1000.0 if points else None


def db_cluster_status(aws: AwsContext, member_arn: str) -> str | None:
    """Return a member cluster's own status (``available``, ...), ``None`` if it cannot be read."""
    region = arn_region(member_arn) or ""
    try:
        response = aws.call(
            "rds", region, "describe_db_clusters", DBClusterIdentifier=arn_name(member_arn)
        )
    except OpsError as exc:
        if exc.resumable:
            return None
        raise
    clusters = response.get("DBClusters", [])
    return str(clusters[0].get("Status")) if clusters else None


# EKS node groups ------------------------------------------------------------------------------


def describe_nodegroup(aws: AwsContext, ng: NodeGroupRef) -> dict[str, Any]:
    """Return a node group's description.

    Raises:
        OpsError: If the cluster or node group does not exist in its region.
    """
    try:
        response = aws.call(
            "eks",
            ng.region,
            "describe_nodegroup",
            clusterName=ng.cluster,
            nodegroupName=ng.nodegroup,
        )
    except OpsError as exc:
        if str(exc).startswith("not found"):
            raise OpsError(
                f"node group {ng.cluster}:{ng.nodegroup} not found in {ng.region}",
                fix="check --node-group [REGION/]CLUSTER:NODEGROUP (`aws eks list-nodegroups "
                f"--cluster-name {ng.cluster} --region {ng.region}`).",
            ) from None
        raise
    return dict(response["nodegroup"])


def scaling_of(nodegroup: dict[str, Any]) -> tuple[int, int, int]:
    """Return a node group's ``(min, desired, max)``."""
    sc = nodegroup.get("scalingConfig") or {}
    return int(sc.get("minSize", 0)), int(sc.get("desiredSize", 0)), int(sc.get("maxSize", 1))


def update_scaling(aws: AwsContext, ng: NodeGroupRef, size: tuple[int, int, int]) -> None:
    """Set a node group's ``(min, desired, max)``."""
    aws.call(
        "eks",
        ng.region,
        "update_nodegroup_config",
        clusterName=ng.cluster,
        nodegroupName=ng.nodegroup,
        scalingConfig={"minSize": size[0], "desiredSize": size[1], "maxSize": size[2]},
    )


def nodegroup_ready(nodegroup: dict[str, Any], desired: int) -> bool:
    """True when a node group is ACTIVE and has at least ``desired`` nodes requested."""
    return nodegroup.get("status") == "ACTIVE" and scaling_of(nodegroup)[1] >= desired


# Route 53 -------------------------------------------------------------------------------------


def _route53_read(
    aws: AwsContext, operation: str, health_check_id: str, flag: str
) -> dict[str, Any]:
    """Call a Route 53 health-check read (in us-east-1), naming the flag when it is not found."""
    try:
        return aws.call("route53", "us-east-1", operation, HealthCheckId=health_check_id)
    except OpsError as exc:
        if str(exc).startswith("not found"):
            raise OpsError(
                f"Route 53 health check {health_check_id!r} not found",
                fix=f"check {flag} (`aws route53 list-health-checks`).",
            ) from None
        raise


def health_check_status(aws: AwsContext, health_check_id: str) -> dict[str, Any]:
    """Return ``{"healthy": bool, "checkers": n, "success": n}`` for a health check.

    Raises:
        OpsError: If the health check does not exist.
    """
    response = _route53_read(aws, "get_health_check_status", health_check_id, "--health-check")
    observations = response.get("HealthCheckObservations", [])
    success = sum(
        1
        for o in observations
        if str(o.get("StatusReport", {}).get("Status", "")).startswith("Success")
    )
    healthy = bool(observations) and success / len(observations) > HEALTHY_FRACTION
    return {"healthy": healthy, "checkers": len(observations), "success": success}


ROUTE53_METRICS_REGION = "us-east-1"
"""Route 53 publishes its health-check metrics in us-east-1 only."""


def calculated_check_status(
    aws: AwsContext, health_check_id: str, now: dt.datetime
) -> dict[str, Any]:
    """Return ``{"healthy": bool | None, "checkers": 0, "success": 0}`` for a calculated check.

    botocore route53 ``GetHealthCheckStatus.HealthCheckId``: "You can't use GetHealthCheckStatus
    to get the status of a calculated health check." Route 53 publishes every health check's
    status as the CloudWatch metric ``AWS/Route53`` ``HealthCheckStatus`` (1 healthy, 0
    unhealthy; dimension ``HealthCheckId``) in us-east-1 (Route 53 developer guide, *Monitoring
    health checks using CloudWatch*), so the newest one-minute ``Minimum`` is read instead.
    ``healthy`` is ``None`` while there is no datapoint in the last five minutes.

    Raises:
        OpsError: If the health check does not exist.
    """
    _route53_read(aws, "get_health_check", health_check_id, "--dns-gate")
    response = aws.call(
        "cloudwatch",
        ROUTE53_METRICS_REGION,
        "get_metric_statistics",
        Namespace="AWS/Route53",
        MetricName="HealthCheckStatus",
        Dimensions=[{"Name": "HealthCheckId", "Value": health_check_id}],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=["Minimum"],
    )
    points = sorted(
        (p for p in response.get("Datapoints", []) if "Minimum" in p),
        key=lambda p: p.get("Timestamp") or now,
    )
    healthy = None if not points else float(points[-1]["Minimum"]) >= 1
    return {"healthy": healthy, "checkers": 0, "success": 0, "source": "HealthCheckStatus"}


def check_status(
    aws: AwsContext, health_check_id: str, calculated: bool, now: dt.datetime
) -> dict[str, Any]:
    """Return a check's status: the metric for a calculated check, the checkers otherwise."""
    if calculated:
        return calculated_check_status(aws, health_check_id, now)
    return health_check_status(aws, health_check_id)


# MSK Replicator -------------------------------------------------------------------------------


def replicator_state(aws: AwsContext, replicator_arn: str, region: str) -> dict[str, Any]:
    """Return the replicator's state, its state message and each flow's source and target.

    Flows name clusters by alias; the aliases are mapped to the MSK cluster ARNs when known.
    """
    response = aws.call(
        "kafka",
        arn_region(replicator_arn) or region,
        "describe_replicator",
        ReplicatorArn=replicator_arn,
    )
    clusters: dict[str, str] = {}
    for cluster in response.get("KafkaClusters", []):
        alias = str(cluster.get("KafkaClusterAlias", ""))
        arn = (cluster.get("AmazonMskCluster") or {}).get("MskClusterArn")
        clusters[alias] = str(arn) if arn else alias
    info = response.get("StateInfo") or {}
    return {
        "arn": replicator_arn,
        "name": response.get("ReplicatorName"),
        "state": response.get("ReplicatorState"),
        "state_message": info.get("Message"),
        "flows": [
            {
                "source": clusters.get(
                    str(i.get("SourceKafkaClusterAlias")), i.get("SourceKafkaClusterAlias")
                ),
                "target": clusters.get(
                    str(i.get("TargetKafkaClusterAlias")), i.get("TargetKafkaClusterAlias")
                ),
            }
            for i in response.get("ReplicationInfoList", [])
        ],
    }


# ARC Region switch ----------------------------------------------------------------------------

REGION_SWITCH_DONE = frozenset(
    {"completed", "completedWithExceptions", "completedMonitoringApplicationHealth"}
)
REGION_SWITCH_FAILED = frozenset(
    {"failed", "canceled", "planExecutionTimedOut", "pausedByFailedStep"}
)
REGION_SWITCH_ACTIVE = frozenset(
    {"inProgress", "pending", "pendingManualApproval", "pausedByOperator"}
)


def start_region_switch(
    aws: AwsContext, plan_arn: str, target_region: str, mode: str, comment: str, token: str
) -> str:
    """Start a Region switch plan execution activating ``target_region``; return its ID.

    The call goes to the target region's endpoint, which does not depend on the impaired one.
    """
    response = aws.call(
        "arc-region-switch",
        target_region,
        "start_plan_execution",
        planArn=plan_arn,
        targetRegion=target_region,
        action="activate",
        mode=mode,
        comment=comment[:1024],
        # The same token for the same operation: a retry after a lost answer starts nothing new.
        clientToken=token[:128],
    )
    return str(response["executionId"])


def running_region_switch(aws: AwsContext, plan_arn: str, target_region: str) -> str | None:
    """Return the ID of an active execution of the plan towards ``target_region``, if any."""
    found = running_region_switch_execution(aws, plan_arn, target_region)
    return str(found["executionId"]) if found else None


def running_region_switch_execution(
    aws: AwsContext, plan_arn: str, target_region: str
) -> dict[str, Any] | None:
    """Return the active execution towards ``target_region`` (ID, state, ``mode``), if any.

    A failed step pauses an execution (``pausedByFailedStep``); it is still active, and can be
    switched to ungraceful (``UpdatePlanExecution``).
    """
    response = aws.call(
        "arc-region-switch", target_region, "list_plan_executions", planArn=plan_arn
    )
    for item in response.get("items", []):
        if (
            item.get("executionState") in REGION_SWITCH_ACTIVE | {"pausedByFailedStep"}
            and item.get("executionRegion") == target_region
            and item.get("executionAction") == "activate"
        ):
            return dict(item)
    return None


class _RegionSwitchClient:
    """A Region switch client of one region that calls through :class:`AwsContext`.

    Code written against a boto3 client then gets the context's retries and endpoint.
    """

    def __init__(self, aws: AwsContext, region: str) -> None:
        self._aws, self._region = aws, region

    def __getattr__(self, operation: str) -> Any:
        return lambda **params: self._aws.call(
            "arc-region-switch", self._region, operation, **params
        )


def switch_region_switch_to_ungraceful(
    aws: AwsContext, plan_arn: str, execution_id: str, region: str, comment: str
) -> bool:
    """Switch a running execution to ungraceful; return whether it then had to be resumed.

    botocore ``UpdatePlanExecution`` action ``switchToUngraceful``: its steps then take their
    ungraceful behaviour, for the Aurora step FailoverGlobalCluster with AllowDataLoss. The ARC
    guide does not say whether switching an execution paused by a failed step resumes it, so
    one still ``pausedByFailedStep`` afterwards is resumed (action ``resume``), as the
    automatic ungraceful path does (the same function).
    """
    client = _RegionSwitchClient(aws, region)
    return arc_ungraceful.switch_to_ungraceful(client, plan_arn, execution_id, comment)


def region_switch_execution(
    aws: AwsContext, plan_arn: str, execution_id: str, region: str
) -> dict[str, Any]:
    """Return an execution's state and its steps' states."""
    response = aws.call(
        "arc-region-switch",
        region,
        "get_plan_execution",
        planArn=plan_arn,
        executionId=execution_id,
    )
    return {
        "state": response.get("executionState"),
        "steps": [
            {"name": s.get("name"), "status": s.get("status")}
            for s in response.get("stepStates", [])
        ],
        "actual_recovery_time": response.get("actualRecoveryTime"),
    }


# S3: the replica buckets that keep a stack standby read-only -------------------------------

AUTONAME_SUFFIX = re.compile(r"-[0-9a-f]{7}$")
"""Pulumi autonames a resource ``{resource name}-{7 random hex characters}`` (Pulumi docs,
*Resource names: autonaming*); the plan holds only the resource name."""


def _autonamed(names: list[str], base: str) -> list[str]:
    return [
        n
        for n in names
        if n == base or (n.startswith(base) and AUTONAME_SUFFIX.fullmatch(n[len(base) :]))
    ]


def _one(found: list[str], what: str, base: str, where: str) -> str:
    if len(found) == 1:
        return found[0]
    if not found:
        raise OpsError(
            f"no {what} named {base} or {base}-XXXXXXX (Pulumi's autoname) {where}",
            fix="check that your credentials are for the account the stack runs in and that "
            "the stack is deployed with its standby.",
        )
    raise OpsError(
        f"{len(found)} {what}s match {base}-XXXXXXX {where}: {', '.join(sorted(found))}",
        fix="delete the stale one (a destroyed stack's), or edit the bucket policy by hand "
        "(runbook, *Fail the platform over*).",
        exit_code=4,
    )


def resolve_bucket(aws: AwsContext, ref: ReadOnlyBucketRef) -> str:
    """Return the name of a replica bucket, found by its autoname in its own region.

    ``ListBuckets`` with ``Prefix`` and ``BucketRegion``, sent to that region's endpoint (the
    S3 API reference, *ListBuckets*: a ``BucketRegion`` other than the endpoint's region is
    not supported), so it needs nothing outside the standby's region.

    Raises:
        OpsError: If none or more than one matches.
    """
    names: list[str] = []
    token: str | None = None
    while True:
        page = aws.call(
            "s3",
            ref.region,
            "list_buckets",
            Prefix=ref.bucket,
            BucketRegion=ref.region,
            **({"ContinuationToken": token} if token else {}),
        )
        names.extend(str(b["Name"]) for b in page.get("Buckets", []))
        token = page.get("ContinuationToken")
        if not token:
            break
    return _one(_autonamed(names, ref.bucket), "S3 bucket", ref.bucket, f"in {ref.region}")


def get_bucket_policy(aws: AwsContext, bucket: str, region: str) -> str | None:
    """Return a bucket's policy document (``GetBucketPolicy``), or ``None`` when it has none."""
    try:
        response = aws.client("s3", region).get_bucket_policy(Bucket=bucket)
    except Exception as exc:
        if error_code(exc) == "NoSuchBucketPolicy":
            return None
        raise translate(exc, "s3", "get_bucket_policy", region, aws.max_attempts) from None
    return str(response["Policy"])


def put_bucket_policy(aws: AwsContext, bucket: str, region: str, policy: dict[str, Any]) -> None:
    """Replace a bucket's policy (``PutBucketPolicy``), or delete it when it has no statement.

    A document without statements is no policy, so it is removed (``DeleteBucketPolicy``).
    ``ExpectedBucketOwner`` is not needed: the bucket was found among the caller's own.
    """
    if policy.get("Statement"):
        aws.call("s3", region, "put_bucket_policy", Bucket=bucket, Policy=json.dumps(policy))
    else:
        aws.call("s3", region, "delete_bucket_policy", Bucket=bucket)


def _iam_pages(aws: AwsContext, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Return every item of a paginated IAM list (``Marker``/``IsTruncated``)."""
    items: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = aws.call(
            "iam", "us-east-1", operation, **params, **({"Marker": marker} if marker else {})
        )
        items.extend(page.get(key, []))
        if not page.get("IsTruncated"):
            return items
        marker = page.get("Marker")


def resolve_writer_arns(aws: AwsContext, ref: ReadOnlyBucketRef) -> list[str]:
    """Return the ARNs of the roles a demotion names in the read-only statement.

    Only a failback needs them (to put the statement back), with both regions up: a read of
    IAM (``ListRoles``), never on the failover path.

    Raises:
        OpsError: If a role is missing or more than one matches.
    """
    roles = {str(r["RoleName"]): str(r["Arn"]) for r in _iam_pages(aws, "list_roles", "Roles")}
    return [
        roles[_one(_autonamed(list(roles), role), "IAM role", role, "in this account")]
        for role in ref.roles
    ]
