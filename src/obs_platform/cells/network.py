"""A cell's network: its VPC, Transit Gateway attachment, RAM subnet sharing and VPC endpoints."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .._component import Component
from .._internal.cidr import subnets as carve_subnets
from ..network.transit import Segment, propagated_to
from ..network.vpc import create_private_vpc, zone_ids_output, zone_of
from .args import CellArgs

__all__ = ["INTERFACE_ENDPOINTS", "create_endpoints", "create_network", "share_subnets"]

INTERFACE_ENDPOINTS = (
    "ec2",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "eks",
    "eks-auth",
    "elasticloadbalancing",
    "secretsmanager",
    "kafka",
)
"""Interface endpoints a private cell needs: nodes join (ec2, eks, sts), pull images (ecr.*
plus the S3 gateway endpoint), ship logs, use Pod Identity (eks-auth), and reach the Secrets
Manager and MSK APIs without a NAT gateway."""


def create_network(
    owner: Component[Any], args: CellArgs, aws_provider: pulumi.ProviderResource | None
) -> tuple[Any, Any, Any, list[Any], list[Any], aws.ec2transitgateway.VpcAttachment | None]:
    """Create the VPC (from the IPAM pool, else ``vpc_cidr``) and attach it to the transit network.

    Returns:
        The VPC ID, the private subnet IDs, the VPC CIDR, the route tables, the subnets and the
        Transit Gateway attachment (``None`` for an unattached cell).
    """
    tags = owner.tags({"cell": owner._name})
    if args.ipam_pool_id is not None:
        vpc = create_private_vpc(
            owner,
            "vpc",
            region=args.region,
            ipam_pool_id=args.ipam_pool_id,
            netmask_length=args.vpc_netmask_length,
            az_count=args.az_count,
            subnet_netmask_length=args.subnet_netmask_length,
            tags=tags,
            zone_ids=args.availability_zone_ids,
        )
        vpc_id, subnet_ids, cidr = vpc.vpc_id, vpc.subnet_ids, vpc.cidr_block
        tables: list[Any] = list(vpc.route_tables)
        subnets: list[Any] = list(vpc.subnets)
    else:
        vpc_id, subnet_ids, cidr, tables, subnets = _static_vpc(owner, args, tags, aws_provider)
    attachment, gateway = _attach(owner, args, vpc_id, subnet_ids)
    if attachment is not None:
        for index, table in enumerate(tables):
            for destination in args.transit_routes:
                slug = destination.replace(".", "-").replace("/", "-")
                aws.ec2.Route(
                    owner.child_name(f"tgw-route-{index}-{slug}"),
                    route_table_id=table.id,
                    destination_cidr_block=destination,
                    transit_gateway_id=gateway,
                    region=args.region,
                    opts=owner.child_opts(depends_on=[attachment]),
                )
    return vpc_id, subnet_ids, cidr, tables, subnets, attachment


def _attach(
    owner: Component[Any], args: CellArgs, vpc_id: Any, subnet_ids: Any
) -> tuple[aws.ec2transitgateway.VpcAttachment | None, Any]:
    """Attach the VPC to the transit network (same program) or to a gateway by ID.

    Returns:
        The attachment and the gateway's ID, or ``(None, None)`` for an unattached cell.
    """
    if args.transit_network is not None:
        attachment = args.transit_network.attach_vpc(
            owner.child_name("tgw"),
            region=args.region,
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
            segment="cells",
            opts=owner.child_opts(),
        )
        return attachment, args.transit_network.transit_gateway_id(args.region)
    handle = args.transit_gateway
    if handle is None:
        return None, None
    # In the cell's account; the gateway, shared through RAM with auto-accept on, accepts it.
    attachment = aws.ec2transitgateway.VpcAttachment(
        owner.child_name("tgw"),
        transit_gateway_id=handle.transit_gateway_id,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        dns_support="enable",
        transit_gateway_default_route_table_association=False,
        transit_gateway_default_route_table_propagation=False,
        region=args.region,
        tags=owner.tags({"Name": owner.child_name("tgw"), "segment": Segment.CELLS.value}),
        # From a sharee account the provider cannot read the owner's route tables and reports
        # both flags as true (as TransitNetwork.attach_vpc notes): ignore them.
        opts=owner.child_opts(
            ignore_changes=[
                "transitGatewayDefaultRouteTableAssociation",
                "transitGatewayDefaultRouteTablePropagation",
            ]
        ),
    )
    if args.transit_network_provider is not None:
        tables = pulumi.Output.from_input(handle.route_table_ids)
        network = args.transit_network_provider
        aws.ec2transitgateway.RouteTableAssociation(
            owner.child_name("tgw-association"),
            transit_gateway_attachment_id=attachment.id,
            transit_gateway_route_table_id=tables.apply(
                functools.partial(_segment_table, segment=Segment.CELLS.value)
            ),
            region=args.region,
            opts=owner.child_opts(provider=network),
        )
        for target in propagated_to(Segment.CELLS, allow_cell_to_cell=handle.allow_cell_to_cell):
            aws.ec2transitgateway.RouteTablePropagation(
                owner.child_name(f"tgw-propagation-{target.value}"),
                transit_gateway_attachment_id=attachment.id,
                transit_gateway_route_table_id=tables.apply(
                    functools.partial(_segment_table, segment=target.value)
                ),
                region=args.region,
                opts=owner.child_opts(provider=network),
            )
    return attachment, handle.transit_gateway_id


def _segment_table(tables: Any, *, segment: str) -> str:
    table: str = tables[segment]
    return table


def _static_vpc(
    owner: Component[Any],
    args: CellArgs,
    tags: dict[str, str],
    aws_provider: pulumi.ProviderResource | None,
) -> tuple[Any, Any, Any, list[Any], list[Any]]:
    """The fallback VPC from ``vpc_cidr``, named like the IPAM one (same children)."""
    base = owner.child_name("vpc")
    vpc = aws.ec2.Vpc(
        base,
        cidr_block=args.vpc_cidr,
        enable_dns_support=True,
        enable_dns_hostnames=True,
        region=args.region,
        tags={**tags, "Name": base},
        opts=owner.child_opts(),
    )
    zones: pulumi.Output[list[str]] = (
        pulumi.Output.from_input(list(args.availability_zone_ids))
        if args.availability_zone_ids
        else zone_ids_output(owner, args.region, aws_provider)
    )
    blocks = carve_subnets(args.vpc_cidr, args.subnet_netmask_length, args.az_count)
    subnets, tables = [], []
    for index, block in enumerate(blocks):
        name = f"{base}-private-{index}"
        subnet = aws.ec2.Subnet(
            name,
            vpc_id=vpc.id,
            cidr_block=block,
            availability_zone_id=zones.apply(
                functools.partial(
                    zone_of, index=index, az_count=args.az_count, region=args.region, vpc=base
                )
            ),
            map_public_ip_on_launch=False,
            region=args.region,
            tags={**tags, "Name": name, "kubernetes.io/role/internal-elb": "1"},
            opts=owner.child_opts(),
        )
        table = aws.ec2.RouteTable(
            f"{base}-rt-{index}",
            vpc_id=vpc.id,
            region=args.region,
            tags={**tags, "Name": f"{base}-rt-{index}"},
            opts=owner.child_opts(),
        )
        aws.ec2.RouteTableAssociation(
            f"{base}-rt-{index}-association",
            subnet_id=subnet.id,
            route_table_id=table.id,
            region=args.region,
            opts=owner.child_opts(),
        )
        subnets.append(subnet)
        tables.append(table)
    return (
        vpc.id,
        pulumi.Output.all(*[s.id for s in subnets]),
        pulumi.Output.from_input(args.vpc_cidr),
        tables,
        subnets,
    )


def share_subnets(
    owner: Component[Any], args: CellArgs, subnets: Sequence[Any]
) -> list[pulumi.Resource]:
    """Share the private subnets through RAM (VPC sharing) with ``share_subnets_with``.

    Principals are accounts of the organization (``allow_external_principals=False``), which
    RAM accepts only once sharing with AWS Organizations is enabled in the management account
    (``aws ram enable-sharing-with-aws-organization``; RAM user guide, "Enable resource sharing
    within AWS Organizations").

    Returns:
        The resource and principal associations: what another account's use of the subnets
        must wait for.
    """
    if not args.share_subnets_with:
        return []
    ready: list[pulumi.Resource] = []
    share = aws.ram.ResourceShare(
        owner.child_name("subnet-share"),
        name=owner.child_name("subnet-share"),
        allow_external_principals=False,
        region=args.region,
        tags=owner.tags({"Name": owner.child_name("subnet-share")}),
        opts=owner.child_opts(),
    )
    for index, subnet in enumerate(subnets):
        resource_association = aws.ram.ResourceAssociation(
            owner.child_name(f"subnet-share-{index}"),
            resource_share_arn=share.arn,
            resource_arn=subnet.arn,
            region=args.region,
            opts=owner.child_opts(),
        )
        ready.append(resource_association)
    for index, principal in enumerate(args.share_subnets_with):
        principal_association = aws.ram.PrincipalAssociation(
            owner.child_name(f"subnet-share-principal-{index}"),
            resource_share_arn=share.arn,
            principal=principal,
            region=args.region,
            opts=owner.child_opts(),
        )
        ready.append(principal_association)
    return ready


def create_endpoints(
    owner: Component[Any],
    args: CellArgs,
    vpc_id: Any,
    subnet_ids: Any,
    cidr: Any,
    tables: list[Any],
) -> None:
    """Create the interface endpoints (:data:`INTERFACE_ENDPOINTS`) and the S3 gateway endpoint."""
    group = aws.ec2.SecurityGroup(
        owner.child_name("endpoints-sg"),
        vpc_id=vpc_id,
        region=args.region,
        description="HTTPS from the cell's VPC to its VPC endpoints.",
        ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [cidr]}],
        tags=owner.tags({"Name": owner.child_name("endpoints-sg")}),
        opts=owner.child_opts(),
    )
    for service in INTERFACE_ENDPOINTS:
        slug = service.replace(".", "-")
        aws.ec2.VpcEndpoint(
            owner.child_name(f"endpoint-{slug}"),
            vpc_id=vpc_id,
            region=args.region,
            service_name=f"com.amazonaws.{args.region}.{service}",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=subnet_ids,
            security_group_ids=[group.id],
            tags=owner.tags({"Name": owner.child_name(f"endpoint-{slug}")}),
            opts=owner.child_opts(),
        )
    aws.ec2.VpcEndpoint(
        owner.child_name("endpoint-s3"),
        vpc_id=vpc_id,
        region=args.region,
        service_name=f"com.amazonaws.{args.region}.s3",
        vpc_endpoint_type="Gateway",
        route_table_ids=[t.id for t in tables],
        tags=owner.tags({"Name": owner.child_name("endpoint-s3")}),
        opts=owner.child_opts(),
    )
