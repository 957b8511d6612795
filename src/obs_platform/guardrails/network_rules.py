"""Guardrails for the mistakes a program can make wiring cells to the network and to AWS.

* ``transit-routes-attached``: a VPC route to a Transit Gateway the VPC is not attached to in
  the plan. EC2 refuses the route (``CreateRoute`` needs the gateway attached to the VPC), or,
  if the attachment is made elsewhere, the route waits on nothing in this program.
* ``eks-api-reachable``: a private-only EKS API endpoint whose VPC is attached to no Transit
  Gateway, while the same program installs Kubernetes objects through it. "If you disable
  public access, your cluster's Kubernetes API server can only receive requests from within the
  cluster VPC" (EKS API reference, ``VpcConfigRequest.endpointPublicAccess``): ``pulumi up``
  times out unless it runs inside that VPC.
* ``node-volume-key-grants-auto-scaling``: a launch template encrypting volumes with a KMS key
  of the plan whose policy does not grant the EC2 Auto Scaling service-linked role; instance
  launches fail ("Required AWS KMS key policy for use with encrypted volumes", EC2 Auto Scaling
  user guide), for a standby exactly when it scales up at failover.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._internal.kms import grants_auto_scaling
from ._inspect import as_list, dig, is_unknown
from ._model import Finding, RuleContext

if TYPE_CHECKING:
    from ..testing.plan import Plan, PlanResource

__all__ = ["eks_api_reachable", "node_volume_key_grants_auto_scaling", "transit_routes_attached"]

ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
TGW_ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
EKS_COMPONENT = "eks:index:Cluster"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
KMS_KEY = "aws:kms/key:Key"


def _known(value: Any) -> str | None:
    return value if isinstance(value, str) and value and not is_unknown(value) else None


def _by_output(plan: Plan, type_token: str, key: str, value: str) -> PlanResource | None:
    for resource in plan.resources:
        if resource.type == type_token and value in (
            resource.outputs.get(key),
            resource.inputs.get(key),
        ):
            return resource
    return None


def _attached_vpcs(plan: Plan) -> set[tuple[str, str | None]]:
    """``(vpc ID, gateway ID)`` of each VPC attachment in the plan (gateway ``None``: unknown)."""
    found: set[tuple[str, str | None]] = set()
    for attachment in plan.resources:
        if attachment.type != TGW_ATTACHMENT:
            continue
        vpc = _known(attachment.inputs.get("vpcId"))
        if vpc is not None:
            found.add((vpc, _known(attachment.inputs.get("transitGatewayId"))))
    return found


def transit_routes_attached(ctx: RuleContext) -> Iterator[Finding]:
    """Routes to a Transit Gateway come from VPCs attached to it."""
    attached = _attached_vpcs(ctx.plan)
    for route in ctx.plan.resources:
        if route.type != ROUTE:
            continue
        gateway = _known(route.inputs.get("transitGatewayId"))
        table_id = _known(route.inputs.get("routeTableId"))
        if gateway is None or table_id is None:
            continue
        table = _by_output(ctx.plan, ROUTE_TABLE, "id", table_id)
        vpc = _known(table.inputs.get("vpcId")) if table is not None else None
        if vpc is None:
            continue
        if (vpc, gateway) not in attached and (vpc, None) not in attached:
            yield Finding(
                route,
                f"routes {route.inputs.get('destinationCidrBlock')} to {gateway}, but VPC {vpc} "
                "has no attachment to that gateway in the plan",
            )


def eks_api_reachable(ctx: RuleContext) -> Iterator[Finding]:
    """A private-only EKS API is reachable from where the program installs Kubernetes objects."""
    plan = ctx.plan
    attached = {vpc for vpc, _ in _attached_vpcs(plan)}
    providers_by_parent: dict[str | None, list[PlanResource]] = {}
    for provider in plan.resources:
        if provider.type == KUBERNETES_PROVIDER:
            providers_by_parent.setdefault(provider.parent, []).append(provider)
    for cluster in plan.resources:
        if cluster.type != EKS_COMPONENT:
            continue
        if cluster.inputs.get("endpointPublicAccess") is not False:
            continue
        vpc = _known(cluster.inputs.get("vpcId"))
        if vpc is None or vpc in attached:
            continue
        if not providers_by_parent.get(cluster.parent):
            continue
        yield Finding(
            cluster,
            f"the API endpoint is private-only and VPC {vpc} is attached to no Transit Gateway, "
            "yet this program installs Kubernetes objects through it: only a runner inside that "
            "VPC can run `pulumi up`",
        )


def _volume_keys(template: PlanResource) -> list[str]:
    keys = []
    for mapping in as_list(template.inputs.get("blockDeviceMappings")):
        key = _known(dig(mapping, "ebs", "kmsKeyId"))
        if key is not None:
            keys.append(key)
    return keys


def node_volume_key_grants_auto_scaling(ctx: RuleContext) -> Iterator[Finding]:
    """A customer-managed key for node volumes grants the Auto Scaling service-linked role."""
    for template in ctx.plan.resources:
        if template.type != LAUNCH_TEMPLATE:
            continue
        for key_ref in _volume_keys(template):
            key = _by_output(ctx.plan, KMS_KEY, "arn", key_ref) or _by_output(
                ctx.plan, KMS_KEY, "id", key_ref
            )
            if key is None:
                continue  # a key from outside the plan: nothing to judge
            policy = key.inputs.get("policy")
            if is_unknown(policy):
                continue
            if not grants_auto_scaling(policy):
                yield Finding(
                    template,
                    f"encrypts volumes with {key.name}, whose key policy does not grant "
                    "AWSServiceRoleForAutoScaling (kms:Decrypt, kms:GenerateDataKey*, "
                    "kms:CreateGrant)",
                )
