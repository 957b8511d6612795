"""The stack's VPC: given, or created from the IPAM pool, attached to the ``shared`` segment.

A created VPC is private (no internet or NAT gateway). The cluster reaches AWS through VPC
endpoints made here (S3 as a gateway endpoint, the rest as interface endpoints with private DNS),
and the cells through the Transit Gateway: each route table gets a route for the IPAM's CIDR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from ..network.vpc import add_transit_routes, create_private_vpc

if TYPE_CHECKING:
    from .._component import Component
    from .args import ObservabilityStackArgs

INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ec2",
    "eks",
    "eks-auth",
    "logs",
    "elasticloadbalancing",
    "autoscaling",
    "kms",
    "monitoring",
    "tagging",
)
"""AWS services the nodes and add-ons call: image pulls, tokens, Pod Identity, logs, KMS, and
for the CloudWatch exporter (YACE) and Grafana's CloudWatch datasource ``monitoring``
(GetMetricData, ListMetrics) and ``tagging`` (the Resource Groups Tagging API's GetResources,
YACE's discovery). These reach the stack's own region only: YACE reads other regions (Route 53's
metrics live in us-east-1) over the network, so a stack outside us-east-1 needs an egress path
for them (interface endpoints for CloudWatch are not cross-region; the PrivateLink guide's
"Cross-region enabled AWS services" lists neither ``monitoring`` nor ``tagging``)."""


@dataclass
class StackNetwork:
    """Where the cluster runs.

    Attributes:
        vpc_id: The VPC.
        subnet_ids: Its private subnets.
        ready: What the cluster must wait for (routes, attachment, endpoints).
        cidr: The VPC's CIDR when the stack created it (``None`` for a given VPC).
    """

    vpc_id: pulumi.Input[str]
    subnet_ids: Any
    ready: list[pulumi.Resource] = field(default_factory=list)
    cidr: pulumi.Input[str] | None = None


def create_network(owner: Component[Any], args: ObservabilityStackArgs) -> StackNetwork:
    """Return the given VPC, or create one from the IPAM pool with endpoints and TGW routes."""
    if args.vpc_id is not None:
        return StackNetwork(args.vpc_id, args.private_subnet_ids)
    assert args.ipam is not None  # checked by the args model
    region = args.region
    vpc = create_private_vpc(
        owner,
        "vpc",
        region=region,
        ipam_pool_id=args.ipam.pool_id(region),
        netmask_length=args.vpc_netmask_length,
        az_count=args.az_count,
        subnet_netmask_length=args.subnet_netmask_length,
        tags=owner.tags(),
    )
    ready: list[pulumi.Resource] = []
    endpoint_sg = aws.ec2.SecurityGroup(
        owner.child_name("endpoints-sg"),
        vpc_id=vpc.vpc_id,
        region=region,
        description="VPC interface endpoints: HTTPS from inside the VPC",
        ingress=[
            {
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "cidr_blocks": [vpc.cidr_block],
                "description": "HTTPS from the VPC",
            }
        ],
        tags=owner.tags({"Name": owner.child_name("endpoints-sg")}),
        opts=owner.child_opts(),
    )
    ready.append(
        aws.ec2.VpcEndpoint(
            owner.child_name("endpoint-s3"),
            vpc_id=vpc.vpc_id,
            region=region,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=vpc.route_table_ids,
            tags=owner.tags({"Name": owner.child_name("endpoint-s3")}),
            opts=owner.child_opts(),
        )
    )
    for service in INTERFACE_ENDPOINTS:
        role = "endpoint-" + service.replace(".", "-")
        ready.append(
            aws.ec2.VpcEndpoint(
                owner.child_name(role),
                vpc_id=vpc.vpc_id,
                region=region,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=vpc.subnet_ids,
                security_group_ids=[endpoint_sg.id],
                tags=owner.tags({"Name": owner.child_name(role)}),
                opts=owner.child_opts(),
            )
        )
    if args.transit is not None:
        attachment = args.transit.attach_vpc(
            owner.child_name("tgw"),
            region=region,
            vpc_id=vpc.vpc_id,
            subnet_ids=vpc.subnet_ids,
            segment="shared",
            cidr=vpc.cidr_block,
            opts=owner.child_opts(),
        )
        ready.append(attachment)
        ready += add_transit_routes(
            owner,
            "vpc",
            vpc,
            region=region,
            transit_gateway_id=args.transit.transit_gateway_id(region),
            destination_cidr_blocks=[args.ipam.args.cidr],
            attachment=attachment,
        )
    return StackNetwork(vpc.vpc_id, vpc.subnet_ids, ready, cidr=vpc.cidr_block)
