"""A private VPC whose CIDR comes from an IPAM pool, for ``ObservabilityStack`` and ``Cell``.

The VPC asks the pool for a block of ``netmask_length`` (``ipv4_ipam_pool_id`` +
``ipv4_netmask_length``), so its CIDR is known only after deploy; the subnets' CIDRs are carved
from it inside ``.apply`` with the same pure function the IPAM uses
(:func:`obs_platform._internal.cidr.subnets`): subnet ``i`` is the ``i``-th block of
``subnet_netmask_length``, in availability zone ``i`` of the region.

The VPC is private: no internet gateway, no NAT gateway, no public IPs. It reaches other VPCs
through the Transit Gateway (:meth:`obs_platform.network.transit.TransitNetwork.attach_vpc`,
then :func:`add_transit_routes`) and AWS services through VPC endpoints.

Destroy: when the VPC is deleted, IPAM releases its allocation asynchronously; it can take
20-30 minutes before the pool shows the space free, and the pool (or its CIDR) cannot be
deleted before then.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .._component import Component
from .._internal.cidr import (
    MAX_VPC_NETMASK_LENGTH,
    MIN_VPC_NETMASK_LENGTH,
    CidrError,
    network,
    subnets,
)
from .._internal.errors import ObsPlatformError
from .._internal.regions import check_region
from .._internal.types import Input

MIN_AZ_COUNT = 2
"""Fewer zones than two is not highly available; EKS itself needs subnets in two zones."""

MAX_AZ_COUNT = 6
"""No commercial region offers more than six standard availability zones."""

EKS_UNSUPPORTED_ZONE_IDS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az3",),
    "us-west-1": ("usw1-az2",),
    "ca-central-1": ("cac1-az3",),
}
"""Availability Zone IDs where EKS refuses cluster subnets ("The subnets can't reside in the
following Availability Zones", Amazon EKS user guide, "View Amazon EKS networking requirements
for VPC and subnets"); creating a cluster there fails with
``UnsupportedAvailabilityZoneException``. Zones are chosen by ID, not by name: names map to
different physical zones in every account, IDs do not."""

_ZONE_ID = re.compile(r"^[a-z]{2,5}\d-az\d{1,2}$")


def check_zone_ids(zone_ids: Sequence[str], *, region: str, az_count: int) -> None:
    """Check caller-pinned Availability Zone IDs (``euw1-az1``...) before anything is created.

    Raises:
        ObsPlatformError: For a malformed, repeated or EKS-unsupported ID, or a count other
            than ``az_count``.
    """
    for zone in zone_ids:
        if not isinstance(zone, str) or not _ZONE_ID.match(zone):
            raise ObsPlatformError(
                f"{zone!r} is not an Availability Zone ID.",
                field="availability_zone_ids",
                value=zone,
                fix="Write zone IDs such as 'euw1-az1' (`aws ec2 describe-availability-zones "
                "--query 'AvailabilityZones[].ZoneId'`), not zone names such as 'eu-west-1a'.",
            )
        if zone in EKS_UNSUPPORTED_ZONE_IDS.get(region, ()):
            raise ObsPlatformError(
                f"Availability Zone {zone!r} in {region} does not support Amazon EKS cluster "
                "subnets (UnsupportedAvailabilityZoneException).",
                field="availability_zone_ids",
                value=zone,
                fix="Choose another zone ID of the region.",
            )
    if len(set(zone_ids)) != len(zone_ids):
        raise ObsPlatformError(
            "availability_zone_ids lists a zone twice.",
            field="availability_zone_ids",
            value=list(zone_ids),
            fix="List each zone once (one subnet per zone).",
        )
    if len(zone_ids) != az_count:
        raise ObsPlatformError(
            f"availability_zone_ids has {len(zone_ids)} zones but az_count is {az_count}.",
            field="availability_zone_ids",
            value=list(zone_ids),
            fix=f"List {az_count} zone IDs, or set az_count={len(zone_ids)}.",
        )


def zone_ids_output(
    owner: Component[Any], region: str, provider: pulumi.ProviderResource | None = None
) -> pulumi.Output[list[str]]:
    """The region's available, non-opt-in zone IDs that EKS supports, in the data source's order.

    ``aws.get_availability_zones`` with ``exclude_zone_ids`` (the :data:`EKS_UNSUPPORTED_ZONE_IDS`
    of the region), run through ``provider`` (the account whose zones are meant).
    """
    zones = aws.get_availability_zones_output(
        region=region,
        state="available",
        exclude_zone_ids=list(EKS_UNSUPPORTED_ZONE_IDS.get(region, ())) or None,
        filters=[
            aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])
        ],
        opts=pulumi.InvokeOutputOptions(parent=owner, provider=provider),
    )
    ids: pulumi.Output[list[str]] = zones.zone_ids
    return ids


@dataclass(frozen=True)
class PrivateVpc:
    """What :func:`create_private_vpc` made.

    Attributes:
        vpc: The VPC resource.
        vpc_id: Its ID.
        subnet_ids: The private subnets' IDs, one per availability zone, in zone order.
        route_table_ids: The route tables' IDs, one per subnet, in the same order; add routes
            (for example to the Transit Gateway) to each.
        cidr_block: The CIDR IPAM allocated to the VPC.
        subnets: The subnet resources.
        route_tables: The route table resources.
    """

    vpc: aws.ec2.Vpc
    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    route_table_ids: pulumi.Output[list[str]]
    cidr_block: pulumi.Output[str]
    subnets: list[aws.ec2.Subnet]
    route_tables: list[aws.ec2.RouteTable]


def check_vpc_sizes(*, netmask_length: int, subnet_netmask_length: int, az_count: int) -> None:
    """Check that ``az_count`` subnets of ``subnet_netmask_length`` fit a VPC of ``netmask_length``.

    Raises:
        ObsPlatformError: Naming the field, the value and the arithmetic.
    """
    if not isinstance(az_count, int) or not MIN_AZ_COUNT <= az_count <= MAX_AZ_COUNT:
        raise ObsPlatformError(
            f"az_count {az_count!r} is out of range.",
            field="az_count",
            value=az_count,
            fix=f"Use {MIN_AZ_COUNT} to {MAX_AZ_COUNT} availability zones (3 is the default).",
        )
    for field, value in (
        ("netmask_length", netmask_length),
        ("subnet_netmask_length", subnet_netmask_length),
    ):
        if (
            not isinstance(value, int)
            or not MIN_VPC_NETMASK_LENGTH <= value <= MAX_VPC_NETMASK_LENGTH
        ):
            raise ObsPlatformError(
                f"{field} {value!r} is outside AWS's VPC and subnet sizes.",
                field=field,
                value=value,
                fix=f"Use {MIN_VPC_NETMASK_LENGTH} to {MAX_VPC_NETMASK_LENGTH}.",
            )
    fit = (
        2 ** (subnet_netmask_length - netmask_length)
        if subnet_netmask_length >= netmask_length
        else 0
    )
    if fit < az_count:
        raise ObsPlatformError(
            f"{az_count} subnets of /{subnet_netmask_length} do not fit a /{netmask_length} VPC: "
            f"it holds {fit} of them.",
            field="subnet_netmask_length",
            value=subnet_netmask_length,
            fix="Use a larger subnet_netmask_length, a smaller netmask_length (a larger VPC) or "
            "fewer zones.",
        )


def pick_zone(names: Sequence[str], index: int, *, az_count: int, region: str, vpc: str) -> str:
    """Return the availability zone (ID) of subnet ``index`` (runs inside ``apply``).

    Args:
        names: The region's available zone IDs, as the data source returns them.
        index: The subnet's position.
        az_count: How many zones the VPC asked for.
        region: The VPC's region, for the message.
        vpc: The VPC's logical name, for the message.

    Raises:
        ObsPlatformError: If the region has fewer zones than ``az_count``.
    """
    if len(names) < az_count:
        raise ObsPlatformError(
            f"create_private_vpc {vpc!r}: region {region!r} offers {len(names)} "
            f"availability zones ({list(names)}), fewer than az_count={az_count}.",
            field="az_count",
            value=az_count,
            fix=f"Use az_count={len(names)} or fewer.",
        )
    return names[index]


def zone_of(ids: Sequence[str], *, index: int, az_count: int, region: str, vpc: str) -> str:
    """:func:`pick_zone` with keyword arguments, for ``functools.partial`` in ``apply``."""
    return pick_zone(ids, index, az_count=az_count, region=region, vpc=vpc)


def create_private_vpc(
    owner: Component[Any],
    role: str,
    *,
    region: str,
    ipam_pool_id: Input[str],
    netmask_length: int,
    az_count: int = 3,
    subnet_netmask_length: int,
    tags: Mapping[str, str],
    zone_ids: Sequence[str] = (),
) -> PrivateVpc:
    """Create a private VPC with its CIDR from an IPAM pool, and one private subnet per zone.

    Children, all parented to ``owner`` and in ``region`` (``base`` = ``owner.child_name(role)``):

    * ``{base}`` (``aws:ec2/vpc:Vpc``): DNS support and DNS hostnames on;
    * ``{base}-private-{i}`` (``aws:ec2/subnet:Subnet``) for ``i`` in ``0..az_count-1``, in
      Availability Zone ID ``zone_ids[i]``, else the ``i``-th zone ID of the region that EKS
      supports (:data:`EKS_UNSUPPORTED_ZONE_IDS` excluded);
    * ``{base}-rt-{i}`` (``aws:ec2/routeTable:RouteTable``) and ``{base}-rt-{i}-association``.

    No internet gateway is created. Destroying the VPC returns its CIDR to the pool
    asynchronously (20-30 minutes).

    Args:
        owner: The component the VPC belongs to; its providers choose the account.
        role: The VPC's role in the owner (``"vpc"``).
        region: The VPC's region; the pool's locale must be this region.
        ipam_pool_id: The IPAM pool to allocate from (``Ipam.pool_id(region)``).
        netmask_length: The VPC's size (``20`` for a /20); within the pool's allocation rules.
        az_count: How many availability zones (and subnets), 2 to 6.
        subnet_netmask_length: Each subnet's size (``22`` for a /22).
        tags: Tags for every resource (normally ``owner.tags()``); ``Name`` is set per resource.
        zone_ids: Availability Zone IDs to pin the subnets to (``az_count`` of them); empty
            chooses them from the region's zones.

    Returns:
        The VPC, its subnets and route tables.

    Raises:
        ObsPlatformError: For an unknown region or sizes that do not fit, before any resource
            is created; inside ``apply``, if the region has fewer zones than ``az_count``.
    """
    try:
        check_region(region)
    except ValueError as exc:
        raise ObsPlatformError(
            f"create_private_vpc: {exc}",
            field="region",
            value=region,
            fix="Pass a commercial AWS region code.",
        ) from None
    check_vpc_sizes(
        netmask_length=netmask_length,
        subnet_netmask_length=subnet_netmask_length,
        az_count=az_count,
    )
    if zone_ids:
        check_zone_ids(zone_ids, region=region, az_count=az_count)
    base = owner.child_name(role)

    def named(name: str) -> dict[str, str]:
        return {**tags, "Name": name}

    vpc = aws.ec2.Vpc(
        base,
        ipv4_ipam_pool_id=ipam_pool_id,
        ipv4_netmask_length=netmask_length,
        enable_dns_support=True,
        enable_dns_hostnames=True,
        region=region,
        tags=named(base),
        opts=owner.child_opts(),
    )
    zones = pulumi.Output.from_input(list(zone_ids)) if zone_ids else zone_ids_output(owner, region)

    subnet_list: list[aws.ec2.Subnet] = []
    tables: list[aws.ec2.RouteTable] = []
    for index in range(az_count):
        subnet_name = f"{base}-private-{index}"
        subnet = aws.ec2.Subnet(
            subnet_name,
            vpc_id=vpc.id,
            cidr_block=vpc.cidr_block.apply(
                lambda cidr, i=index: subnets(cidr, subnet_netmask_length, az_count)[i]
            ),
            availability_zone_id=zones.apply(
                functools.partial(zone_of, index=index, az_count=az_count, region=region, vpc=base)
            ),
            map_public_ip_on_launch=False,
            region=region,
            tags=named(subnet_name),
            opts=owner.child_opts(),
        )
        table_name = f"{base}-rt-{index}"
        table = aws.ec2.RouteTable(
            table_name,
            vpc_id=vpc.id,
            region=region,
            tags=named(table_name),
            opts=owner.child_opts(),
        )
        aws.ec2.RouteTableAssociation(
            f"{table_name}-association",
            subnet_id=subnet.id,
            route_table_id=table.id,
            region=region,
            opts=owner.child_opts(),
        )
        subnet_list.append(subnet)
        tables.append(table)
    return PrivateVpc(
        vpc=vpc,
        vpc_id=vpc.id,
        subnet_ids=pulumi.Output.all(*[s.id for s in subnet_list]),
        route_table_ids=pulumi.Output.all(*[t.id for t in tables]),
        cidr_block=vpc.cidr_block,
        subnets=subnet_list,
        route_tables=tables,
    )


def add_transit_routes(
    owner: Component[Any],
    role: str,
    vpc: PrivateVpc,
    *,
    region: str,
    transit_gateway_id: Input[str],
    destination_cidr_blocks: Sequence[str],
    attachment: pulumi.Resource,
) -> list[aws.ec2.Route]:
    """Route CIDRs from every route table of a private VPC to a Transit Gateway.

    Use it after :meth:`~obs_platform.network.transit.TransitNetwork.attach_vpc`: a route to a
    gateway the VPC is not attached to yet is refused, so each route depends on ``attachment``.
    Children, parented to ``owner`` and in ``region``: ``{base}-rt-{i}-to-{cidr}`` with
    ``base = owner.child_name(role)`` and the CIDR written with dashes (``10-0-0-0-8``).

    Args:
        owner: The component that made the VPC.
        role: The role the VPC was made with (``"vpc"``).
        vpc: What :func:`create_private_vpc` returned.
        region: The VPC's region.
        transit_gateway_id: The gateway (``TransitNetwork.transit_gateway_id(region)``).
        destination_cidr_blocks: What to send to the gateway, normally the IPAM's top-level
            CIDR (every VPC of the organization) or the regional pool CIDRs.
        attachment: The VPC's Transit Gateway attachment.

    Returns:
        The routes, route table by route table.

    Raises:
        ObsPlatformError: For a malformed or duplicated CIDR.
    """
    for cidr in destination_cidr_blocks:
        try:
            network(cidr)
        except CidrError as exc:
            raise ObsPlatformError(
                f"add_transit_routes: {exc}",
                field="destination_cidr_blocks",
                value=cidr,
                fix="Pass network CIDRs such as '10.0.0.0/8'.",
            ) from None
    if len(set(destination_cidr_blocks)) != len(destination_cidr_blocks):
        raise ObsPlatformError(
            "add_transit_routes: a CIDR is listed twice.",
            field="destination_cidr_blocks",
            value=list(destination_cidr_blocks),
            fix="List each CIDR once.",
        )
    base = owner.child_name(role)
    routes: list[aws.ec2.Route] = []
    for index, table in enumerate(vpc.route_tables):
        for cidr in destination_cidr_blocks:
            slug = cidr.replace(".", "-").replace("/", "-")
            routes.append(
                aws.ec2.Route(
                    f"{base}-rt-{index}-to-{slug}",
                    route_table_id=table.id,
                    destination_cidr_block=cidr,
                    transit_gateway_id=transit_gateway_id,
                    region=region,
                    opts=owner.child_opts(depends_on=[attachment]),
                )
            )
    return routes
