"""Internal Network Load Balancers with access logs and deletion protection: one helper for all.

The stack's ingest NLB (:mod:`.ingest`) and each cell's ingress NLB
(:mod:`obs_platform.cells.health`) are built here, so both get the same guards:

* **Access logs** to a bucket of their own (:func:`.storage.access_log_bucket`: private,
  owner-enforced, SSE-S3, TLS-only, expiring after :data:`.storage.ACCESS_LOG_DAYS`) whose
  policy is the one the Elastic Load Balancing guide gives for NLB log delivery
  (``delivery.logs.amazonaws.com``, scoped to the account and region: Network Load Balancers
  user guide, "Enable access logs for your Network Load Balancer", "Bucket requirements": same
  Region, "a bucket policy that grants permission to write the access logs"). The NLB waits
  for the bucket's configuration (policy, encryption, public-access block), so logging is never
  turned on against a bucket that cannot yet take the delivery. Only TLS listeners produce log
  entries: "Access logs are created only if the load balancer has a TLS listener, and the logs
  contain information about TLS requests only" (same guide).
* **Deletion protection** (``enable_deletion_protection``, the ``deletion_protection.enabled``
  attribute: "prevents your load balancer from being deleted accidentally"), on by default;
  turn it off with an update before a destroy.

Guardrails ``lb-access-logs`` and ``lb-deletion-protection`` (errors) check both in every plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .storage import Bucket, access_log_bucket

if TYPE_CHECKING:
    from .._component import Component

__all__ = ["internal_nlb"]


def internal_nlb(
    owner: Component[Any],
    role: str,
    *,
    region: str,
    subnet_ids: Any,
    security_group_ids: list[pulumi.Input[str]],
    access_logs_account_id: pulumi.Input[str] | None,
    deletion_protection: bool,
    protect: bool,
    opts: pulumi.ResourceOptions | None = None,
) -> tuple[aws.lb.LoadBalancer, Bucket | None]:
    """Create an internal, cross-zone NLB ``{owner}-{role}`` and, on request, its log bucket.

    Args:
        owner: The component the children belong to.
        role: The NLB's part of the child name (``"ingest"``, ``"ingress"``); its log bucket is
            ``{owner}-{role}-logs-bucket``.
        region: The NLB's (and the bucket's) region.
        subnet_ids: Private subnets for the NLB.
        security_group_ids: The NLB's security groups.
        access_logs_account_id: The account whose log deliveries the bucket admits (the NLB's
            own); ``None`` writes no access logs.
        deletion_protection: The NLB's deletion protection.
        protect: Pulumi ``protect`` on the log bucket.
        opts: Extra options for the NLB.

    Returns:
        The NLB and its log bucket (``None`` without access logs).
    """
    logs: dict[str, Any] = {}
    bucket: Bucket | None = None
    if access_logs_account_id is not None:
        bucket = access_log_bucket(
            owner, f"{role}-logs", region=region, account_id=access_logs_account_id, protect=protect
        )
        logs = {"access_logs": {"bucket": bucket.bucket.bucket, "enabled": True}}
    nlb = aws.lb.LoadBalancer(
        owner.child_name(role),
        internal=True,
        load_balancer_type="network",
        subnets=subnet_ids,
        security_groups=security_group_ids,
        enable_cross_zone_load_balancing=True,
        enable_deletion_protection=deletion_protection,
        region=region,
        tags=owner.tags({"Name": owner.child_name(role)}),
        opts=owner.child_opts(opts, depends_on=bucket.configuration if bucket else []),
        **logs,
    )
    return nlb, bucket
