"""``TransitNetwork``: one Transit Gateway per region, segments, RAM shares and peering.

Segments are route tables with a fixed policy (:func:`propagated_to`):

* ``shared`` (shared services such as the observability stack) learns the routes of every
  ``shared`` and ``cells`` attachment: shared services reach every cell;
* ``cells`` learns the routes of ``shared`` attachments only: cells reach shared services but
  not each other, unless ``allow_cell_to_cell`` is set.

Every gateway has default route-table association and propagation off, so an attachment is
placed in a segment explicitly (:meth:`TransitNetwork.attach_vpc`); attachments from accounts
the gateway is shared with are accepted automatically.

Cross-region peering: the peering attachment lives in the requester's region and its accepter
in the accepter's region. Peering carries static routes only, so each side gets a static route
for the other side's CIDR (``region_cidrs``, normally the IPAM's regional pool CIDRs) in both
segment route tables, and the peering attachment is associated with the ``shared`` route table
on each side (traffic arriving over the peering may reach shared services and cells). Transit
Gateway routes on the destination only: a cell can reach a *remote* region's cells over a
peering even when ``allow_cell_to_cell`` is off. Keep cross-region cell isolation in security
groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws
from pydantic import Field

from .._component import Component
from .._internal.cidr import CidrError, check_disjoint
from .._internal.errors import ObsPlatformError
from .._internal.types import ArgsModel, Cidr, Input, Region, Tags
from .cidr_claims import claim_vpc_cidr
from .sharing import RamPrincipals, share_resources

PRIVATE_ASN_RANGES: tuple[tuple[int, int], ...] = ((64512, 65534), (4200000000, 4294967294))
"""The private ASN ranges a Transit Gateway accepts as its Amazon-side ASN."""

DEFAULT_ASN_BASE = 64512
"""The default ASN of the first region; the region at position ``i`` gets ``64512 + i``."""


class Segment(StrEnum):
    """A routing segment: one Transit Gateway route table per region."""

    SHARED = "shared"
    """Shared services (the observability stack, shared tooling)."""

    CELLS = "cells"
    """Regional application cells."""


def propagated_to(segment: Segment, *, allow_cell_to_cell: bool = False) -> list[Segment]:
    """Return the segments whose route tables learn the routes of an attachment in ``segment``.

    Args:
        segment: The attachment's segment.
        allow_cell_to_cell: Whether cells reach each other.
    """
    if segment is Segment.SHARED:
        return [Segment.SHARED, Segment.CELLS]
    return [Segment.SHARED, Segment.CELLS] if allow_cell_to_cell else [Segment.SHARED]


def _in_private_range(asn: int) -> bool:
    return any(lo <= asn <= hi for lo, hi in PRIVATE_ASN_RANGES)


class TransitPeering(ArgsModel):
    """A cross-region peering between two of the network's gateways (same account)."""

    requester: Region
    """The region whose gateway requests the peering (the peering attachment lives here)."""

    accepter: Region
    """The region whose gateway accepts it (the accepter lives here)."""


class TransitNetworkArgs(ArgsModel):
    """Arguments of :class:`TransitNetwork`."""

    regions: list[Region] = Field(min_length=1)
    """Regions that get a Transit Gateway, in a stable order (default ASNs follow it)."""

    asns: dict[Region, int] = Field(default_factory=dict)
    """Amazon-side private ASN per region; unset regions get ``64512 + position``. Each must be
    in 64512-65534 or 4200000000-4294967294 and unique across the regions."""

    peerings: list[TransitPeering] = Field(default_factory=list)
    """Cross-region peerings; each pair at most once, both regions in ``regions``."""

    region_cidrs: dict[Region, Cidr] = Field(default_factory=dict)
    """The CIDR behind each region, routed statically over peerings; required for every peered
    region. Pass the IPAM's plain ``Ipam.regional_pool_cidrs``."""

    allow_cell_to_cell: bool = False
    """Let cells in one region reach each other (``cells`` learns ``cells`` routes)."""

    sharing: RamPrincipals | None = None
    """Share every gateway through RAM (one share per region) with these principals."""

    tags: Tags = Field(default_factory=dict)
    """Tags for every resource, under the precedence of :mod:`obs_platform._internal.tags`."""


class TransitGatewayHandle(ArgsModel):
    """One region's gateway of a :class:`TransitNetwork`, by ID.

    What a VPC in another account (or another stack) needs to attach to it.
    ``TransitNetwork.handle(region)`` returns one in the network's own program; in another
    program build it from the shared stack's outputs with :meth:`from_outputs` (a
    ``StackReference`` carries ``transit_gateway_ids`` and ``transit_route_table_ids``). The
    gateway must be shared with the VPC's account through RAM (``TransitNetworkArgs.sharing``).
    """

    region: Region
    """The gateway's region; the attaching VPC must be in it."""
    transit_gateway_id: Input[str]
    """The Transit Gateway."""
    route_table_ids: Input[dict[str, str]]
    """``{segment: Transit Gateway route table ID}`` of that region (``shared``, ``cells``)."""
    allow_cell_to_cell: bool = False
    """The network's ``allow_cell_to_cell``: whether a ``cells`` attachment propagates into the
    ``cells`` table too."""
    attached_vpc_cidrs: Input[dict[str, str]] = Field(default_factory=dict)
    """``{name: CIDR}`` of the VPCs already on this gateway (the shared stack's
    ``TransitNetwork.attached_vpc_cidrs`` for the region): a cell with a fixed ``vpc_cidr``
    that overlaps one is refused, naming both (docs: accounts-and-regions, "Overlapping CIDRs
    on one gateway")."""

    @classmethod
    def from_outputs(
        cls,
        region: str,
        *,
        transit_gateway_ids: Input[Mapping[str, str]],
        route_table_ids: Input[Mapping[str, Mapping[str, str]]],
        allow_cell_to_cell: bool = False,
        attached_vpc_cidrs: Input[Mapping[str, Mapping[str, str]]] | None = None,
    ) -> TransitGatewayHandle:
        """Build the handle of ``region`` from a network's ``{region: ...}`` outputs.

        Args:
            region: The region to attach in.
            transit_gateway_ids: ``TransitNetwork.transit_gateway_ids`` (or a StackReference's
                output of it).
            route_table_ids: ``TransitNetwork.route_table_ids`` (or its StackReference output).
            allow_cell_to_cell: The network's setting of the same name.
            attached_vpc_cidrs: ``TransitNetwork.attached_vpc_cidrs`` (its StackReference
                output ``transit_attached_cidrs``): the VPCs already on each gateway; a region
                it does not list has none.
        """

        def pick(values: Any) -> Any:
            if region not in values:
                raise ObsPlatformError(
                    f"the transit network has no gateway in {region!r}; it has {sorted(values)}.",
                    field="TransitGatewayHandle.region",
                    value=region,
                    fix="Attach in one of the network's regions, or add the region to "
                    "TransitNetworkArgs.regions in the shared stack.",
                )
            return values[region]

        def of_region(values: Any) -> dict[str, str]:
            return dict((values or {}).get(region) or {})

        attached: Input[dict[str, str]] = {}
        if attached_vpc_cidrs is not None:
            attached = pulumi.Output.from_input(attached_vpc_cidrs).apply(of_region)
        return cls(
            region=region,
            transit_gateway_id=pulumi.Output.from_input(transit_gateway_ids).apply(pick),
            route_table_ids=pulumi.Output.from_input(route_table_ids).apply(pick),
            allow_cell_to_cell=allow_cell_to_cell,
            attached_vpc_cidrs=attached,
        )


def _asns(args: TransitNetworkArgs, label: str) -> dict[str, int]:
    model = "TransitNetworkArgs"
    duplicates = sorted({r for r in args.regions if args.regions.count(r) > 1})
    if duplicates:
        raise ObsPlatformError(
            f"{label}: {model}.regions lists {duplicates} more than once.",
            field=f"{model}.regions",
            value=args.regions,
            fix="List each region once.",
        )
    for region, asn in args.asns.items():
        if region not in args.regions:
            raise ObsPlatformError(
                f"{label}: {model}.asns sets an ASN for {region!r}, which is not in regions "
                f"{args.regions}.",
                field=f"{model}.asns[{region}]",
                value=asn,
                fix="Add the region to regions or remove its ASN.",
            )
        if not _in_private_range(asn):
            raise ObsPlatformError(
                f"{label}: {model}.asns[{region}] = {asn} is not a private ASN.",
                field=f"{model}.asns[{region}]",
                value=asn,
                fix="Use 64512-65534 or 4200000000-4294967294.",
            )
    result = {r: args.asns.get(r, DEFAULT_ASN_BASE + i) for i, r in enumerate(args.regions)}
    seen: dict[int, str] = {}
    for region, asn in result.items():
        if asn in seen:
            raise ObsPlatformError(
                f"{label}: {model}.asns: regions {seen[asn]!r} and {region!r} both get ASN {asn} "
                f"(unset regions default to {DEFAULT_ASN_BASE} + their position).",
                field=f"{model}.asns[{region}]",
                value=asn,
                fix="Give every region a distinct ASN.",
            )
        seen[asn] = region
    return result


def _check_peerings(args: TransitNetworkArgs, label: str) -> None:
    model = "TransitNetworkArgs"
    pairs: set[frozenset[str]] = set()
    for i, peering in enumerate(args.peerings):
        field = f"{model}.peerings[{i}]"
        if peering.requester == peering.accepter:
            raise ObsPlatformError(
                f"{label}: {field} peers {peering.requester!r} with itself.",
                field=field,
                value=peering.requester,
                fix="Peer two different regions.",
            )
        for side in (peering.requester, peering.accepter):
            if side not in args.regions:
                raise ObsPlatformError(
                    f"{label}: {field} names {side!r}, which is not in regions {args.regions}.",
                    field=field,
                    value=side,
                    fix="Add the region to regions or peer only the network's regions.",
                )
        pair = frozenset((peering.requester, peering.accepter))
        if pair in pairs:
            raise ObsPlatformError(
                f"{label}: {field} peers {peering.requester!r} and {peering.accepter!r} a second "
                "time.",
                field=field,
                value=sorted(pair),
                fix="Peer each pair of regions once.",
            )
        pairs.add(pair)
        for side in (peering.requester, peering.accepter):
            if side not in args.region_cidrs:
                raise ObsPlatformError(
                    f"{label}: {field} needs the CIDR of {side!r} for its static routes, and "
                    f"{model}.region_cidrs has none.",
                    field=f"{model}.region_cidrs",
                    value=dict(args.region_cidrs),
                    fix="Pass region_cidrs=ipam.regional_pool_cidrs (or the CIDR of each peered "
                    "region).",
                )
    for region in args.region_cidrs:
        if region not in args.regions:
            raise ObsPlatformError(
                f"{label}: {model}.region_cidrs names {region!r}, which is not in regions "
                f"{args.regions}.",
                field=f"{model}.region_cidrs[{region}]",
                value=args.region_cidrs[region],
                fix="Remove it or add the region.",
            )
    try:
        check_disjoint(args.region_cidrs, what="region")
    except CidrError as exc:
        raise ObsPlatformError(
            f"{label}: {model}.region_cidrs: {exc}",
            field=f"{model}.region_cidrs[{exc.key}]",
            value=exc.value,
            fix="Give each region its own CIDR.",
        ) from None


class TransitNetwork(Component[TransitNetworkArgs]):
    """One Transit Gateway per region with segmented routing, RAM shares and peering.

    Children (``name`` = the component's name), each in its region:

    * ``{name}-tgw-{region}``: the gateway (private ASN, DNS support on, default route-table
      association and propagation off, shared attachments auto-accepted)
    * ``{name}-rt-{region}-{segment}``: a route table per segment (``shared``, ``cells``)
    * ``{name}-share-{region}``, ``{name}-share-{region}-tgw``,
      ``{name}-share-{region}-principal-{label}``: RAM share of the gateway (with ``sharing``)
    * ``{name}-peering-{requester}-{accepter}`` (requester region) and ``...-accepter``
      (accepter region); ``...-association-{region}`` on each side (``shared`` table);
      ``{name}-route-{region}-{segment}-to-{peer}``: static routes for the peer's CIDR
    * per :meth:`attach_vpc`: ``{name}-{attachment}-association`` and
      ``{name}-{attachment}-propagation-{segment}``

    Example:
        ::

            tgw = TransitNetwork("core", TransitNetworkArgs(
                regions=["eu-west-1", "us-east-1"],
                peerings=[TransitPeering(requester="eu-west-1", accepter="us-east-1")],
                region_cidrs=ipam.regional_pool_cidrs))
    """

    TYPE_TOKEN: ClassVar[str] = "obs-platform:network:TransitNetwork"
    ARGS_TYPE: ClassVar[type[ArgsModel]] = TransitNetworkArgs

    transit_gateway_ids: pulumi.Output[dict[str, str]]
    """``{region: Transit Gateway ID}``."""

    transit_gateway_arns: pulumi.Output[dict[str, str]]
    """``{region: Transit Gateway ARN}``."""

    route_table_ids: pulumi.Output[dict[str, dict[str, str]]]
    """``{region: {segment: Transit Gateway route table ID}}``."""

    peering_attachment_ids: pulumi.Output[dict[str, str]]
    """``{"{requester}-{accepter}": peering attachment ID}``."""

    share_arns: pulumi.Output[dict[str, str]]
    """``{region: RAM resource share ARN}``; empty without ``sharing``."""

    asns: dict[str, int]
    """``{region: Amazon-side ASN}``; plain values."""

    def __init__(
        self,
        name: str,
        args: TransitNetworkArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the gateways, route tables, shares and peerings.

        Args:
            name: The component's name; children are named ``{name}-{role}``.
            args: A :class:`TransitNetworkArgs` or a dict of its fields.
            opts: Options; ``providers`` choose the network account.

        Raises:
            ObsPlatformError: For invalid args, before any resource is created.
        """
        self._gateways: dict[str, aws.ec2transitgateway.TransitGateway] = {}
        self._tables: dict[tuple[str, Segment], aws.ec2transitgateway.RouteTable] = {}
        self._attachments: set[str] = set()
        self._attached_cidrs: dict[str, dict[str, Input[str]]] = {}
        self._asn_plan: dict[str, int] = {}
        super().__init__(name, args, opts)

    def _check(self, args: TransitNetworkArgs, label: str) -> None:
        self._asn_plan = _asns(args, label)
        _check_peerings(args, label)

    def _build(self, args: TransitNetworkArgs) -> dict[str, Any]:
        asns = self._asn_plan or _asns(args, repr(self._name))
        shares: dict[str, pulumi.Output[str]] = {}
        for region in args.regions:
            gateway = aws.ec2transitgateway.TransitGateway(
                self.child_name(f"tgw-{region}"),
                description=f"obs-platform {self._name} {region}",
                amazon_side_asn=asns[region],
                auto_accept_shared_attachments="enable",
                default_route_table_association="disable",
                default_route_table_propagation="disable",
                dns_support="enable",
                vpn_ecmp_support="enable",
                region=region,
                tags=self.tags({"Name": self.child_name(f"tgw-{region}")}),
                opts=self.child_opts(),
            )
            self._gateways[region] = gateway
            for segment in Segment:
                table_name = self.child_name(f"rt-{region}-{segment.value}")
                self._tables[(region, segment)] = aws.ec2transitgateway.RouteTable(
                    table_name,
                    transit_gateway_id=gateway.id,
                    region=region,
                    tags=self.tags({"Name": table_name, "segment": segment.value}),
                    opts=self.child_opts(),
                )
            if args.sharing is not None:
                share_name = self.child_name(f"share-{region}")
                share = share_resources(
                    share_name,
                    region=region,
                    principals=args.sharing,
                    resources=[("tgw", gateway.arn)],
                    tags=self.tags({"Name": share_name}),
                    child_opts=self.child_opts,
                )
                shares[region] = share.arn

        peering_ids: dict[str, pulumi.Output[str]] = {}
        for peering in args.peerings:
            peering_ids[f"{peering.requester}-{peering.accepter}"] = self._peer(peering)

        return {
            "transit_gateway_ids": pulumi.Output.all(
                **{r: g.id for r, g in self._gateways.items()}
            ),
            "transit_gateway_arns": pulumi.Output.all(
                **{r: g.arn for r, g in self._gateways.items()}
            ),
            "route_table_ids": pulumi.Output.all(
                **{
                    r: pulumi.Output.all(**{s.value: self._tables[(r, s)].id for s in Segment})
                    for r in args.regions
                }
            ),
            "peering_attachment_ids": pulumi.Output.all(**peering_ids)
            if peering_ids
            else pulumi.Output.from_input({}),
            "share_arns": pulumi.Output.all(**shares) if shares else pulumi.Output.from_input({}),
            "asns": dict(asns),
        }

    def _peer(self, peering: TransitPeering) -> pulumi.Output[str]:
        req, acc = peering.requester, peering.accepter
        role = f"peering-{req}-{acc}"
        attachment = aws.ec2transitgateway.PeeringAttachment(
            self.child_name(role),
            transit_gateway_id=self._gateways[req].id,
            peer_transit_gateway_id=self._gateways[acc].id,
            peer_region=acc,
            region=req,
            tags=self.tags({"Name": self.child_name(role), "side": "requester"}),
            opts=self.child_opts(),
        )
        accepter = aws.ec2transitgateway.PeeringAttachmentAccepter(
            self.child_name(f"{role}-accepter"),
            transit_gateway_attachment_id=attachment.id,
            region=acc,
            tags=self.tags({"Name": self.child_name(role), "side": "accepter"}),
            opts=self.child_opts(),
        )
        # Reading the ID through the accepter makes associations and routes wait for the
        # acceptance: an attachment pending acceptance takes neither.
        accepted_id: pulumi.Output[str] = accepter.transit_gateway_attachment_id
        cidrs = self.args.region_cidrs
        for side, peer in ((req, acc), (acc, req)):
            aws.ec2transitgateway.RouteTableAssociation(
                self.child_name(f"{role}-association-{side}"),
                transit_gateway_attachment_id=accepted_id,
                transit_gateway_route_table_id=self._tables[(side, Segment.SHARED)].id,
                region=side,
                opts=self.child_opts(),
            )
            for segment in Segment:
                aws.ec2transitgateway.Route(
                    self.child_name(f"route-{side}-{segment.value}-to-{peer}"),
                    destination_cidr_block=cidrs[peer],
                    transit_gateway_attachment_id=accepted_id,
                    transit_gateway_route_table_id=self._tables[(side, segment)].id,
                    region=side,
                    opts=self.child_opts(),
                )
        return accepted_id

    def _region(self, region: str) -> str:
        if region not in self._gateways:
            raise ObsPlatformError(
                f"TransitNetwork {self._name!r} has no gateway in {region!r}; its regions are "
                f"{list(self._gateways)}.",
                field="region",
                value=region,
                fix="Use one of the network's regions, or add it to TransitNetworkArgs.regions.",
            )
        return region

    def _segment(self, segment: str) -> Segment:
        try:
            return Segment(segment)
        except ValueError:
            raise ObsPlatformError(
                f"TransitNetwork {self._name!r} has no segment {segment!r}.",
                field="segment",
                value=segment,
                fix=f"Use one of {[s.value for s in Segment]}.",
            ) from None

    def transit_gateway_id(self, region: str) -> pulumi.Output[str]:
        """Return the ID of the gateway in ``region``.

        Raises:
            ObsPlatformError: For a region the network does not have.
        """
        gateway_id: pulumi.Output[str] = self._gateways[self._region(region)].id
        return gateway_id

    def route_table_id(self, region: str, segment: str) -> pulumi.Output[str]:
        """Return the ID of a segment's route table in ``region``.

        Args:
            region: One of the network's regions.
            segment: ``"shared"`` or ``"cells"``.

        Raises:
            ObsPlatformError: For an unknown region or segment.
        """
        table_id: pulumi.Output[str] = self._tables[
            (self._region(region), self._segment(segment))
        ].id
        return table_id

    @property
    def attached_vpc_cidrs(self) -> pulumi.Output[dict[str, dict[str, str]]]:
        """``{region: {attachment name: CIDR}}`` of the VPCs attached with ``cidr=`` so far.

        Export it (``transit_attached_cidrs``) after the attachments are made, so that cells in
        other stacks compare their CIDRs with these (``TransitGatewayHandle.from_outputs(...,
        attached_vpc_cidrs=...)``).
        """
        return pulumi.Output.all(
            **{
                region: pulumi.Output.all(**dict(names))
                for region, names in self._attached_cidrs.items()
            }
        )

    def handle(self, region: str) -> TransitGatewayHandle:
        """Return the gateway of ``region`` as a :class:`TransitGatewayHandle`.

        Raises:
            ObsPlatformError: For a region the network does not have.
        """
        region = self._region(region)
        return TransitGatewayHandle(
            region=region,
            transit_gateway_id=self._gateways[region].id,
            route_table_ids=pulumi.Output.all(
                **{s.value: self._tables[(region, s)].id for s in Segment}
            ),
            allow_cell_to_cell=self.args.allow_cell_to_cell,
        )

    def associate_attachment(
        self,
        name: str,
        *,
        region: str,
        attachment_id: Input[str],
        segment: str = "cells",
    ) -> list[pulumi.Resource]:
        """Place a VPC attachment made elsewhere (another account's stack) in a segment.

        For a cell that attached to the gateway by ID (``CellArgs.transit_gateway``) without a
        provider for this network's account: read its ``transit_attachment_id`` (for example
        through a ``StackReference``) and associate it here, in the gateway's account.
        Children: ``{network}-{name}-association`` and ``{network}-{name}-propagation-{segment}``
        (the same as :meth:`attach_vpc` makes).

        Args:
            name: Unique per network, like :meth:`attach_vpc`'s (``"eu-west-1-tgw"``).
            region: The gateway's region.
            attachment_id: The VPC attachment (``tgw-attach-...``).
            segment: ``"cells"`` (default) or ``"shared"``.

        Returns:
            The association and the propagations.

        Raises:
            ObsPlatformError: For an unknown region or segment, or a name used twice.
        """
        region = self._region(region)
        seg = self._segment(segment)
        self._claim(name)
        return self._associate(name, region, seg, attachment_id)

    def _claim(self, name: str) -> None:
        if name in self._attachments:
            raise ObsPlatformError(
                f"TransitNetwork {self._name!r} already has an attachment named {name!r}.",
                field="name",
                value=name,
                fix="Give each attachment a distinct name.",
            )
        self._attachments.add(name)

    def _associate(
        self, name: str, region: str, seg: Segment, attachment_id: Input[str]
    ) -> list[pulumi.Resource]:
        made: list[pulumi.Resource] = [
            aws.ec2transitgateway.RouteTableAssociation(
                self.child_name(f"{name}-association"),
                transit_gateway_attachment_id=attachment_id,
                transit_gateway_route_table_id=self._tables[(region, seg)].id,
                region=region,
                opts=self.child_opts(),
            )
        ]
        for target in propagated_to(seg, allow_cell_to_cell=self.args.allow_cell_to_cell):
            made.append(
                aws.ec2transitgateway.RouteTablePropagation(
                    self.child_name(f"{name}-propagation-{target.value}"),
                    transit_gateway_attachment_id=attachment_id,
                    transit_gateway_route_table_id=self._tables[(region, target)].id,
                    region=region,
                    opts=self.child_opts(),
                )
            )
        return made

    def attach_vpc(
        self,
        name: str,
        *,
        region: str,
        vpc_id: Input[str],
        subnet_ids: Input[Sequence[str]],
        segment: str = "cells",
        cidr: Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> aws.ec2transitgateway.VpcAttachment:
        """Attach a VPC to the gateway in ``region`` and place it in a segment.

        The attachment is created with the caller's ``opts`` (pass ``parent=`` and the VPC
        account's provider there); the gateway, shared through RAM, accepts it automatically.
        Default route-table association and propagation are off on the attachment (and
        ignored on update: the provider cannot read them from a sharee account). The
        association with the segment's route table and the propagations of the segment policy
        (:func:`propagated_to`) belong to the gateway's account, so they are children of this
        component: ``{network}-{name}-association`` and ``{network}-{name}-propagation-{segment}``.

        The VPC's own route tables still need a route to the gateway for the CIDRs it should
        reach (for example the IPAM's top-level CIDR); that is the caller's.

        Args:
            name: Logical name of the attachment, unique per network (``"cell-eu-tgw"``).
            region: The gateway's region; the VPC must be in it.
            vpc_id: The VPC to attach.
            subnet_ids: One subnet per availability zone the attachment uses.
            segment: ``"cells"`` (default) or ``"shared"``.
            cidr: The VPC's CIDR (an Output for an allocated one): claimed on the gateway, so a
                cell with an overlapping ``vpc_cidr`` is refused (docs: accounts-and-regions,
                "Overlapping CIDRs on one gateway"; the attachment waits for that comparison),
                and listed in
                :attr:`attached_vpc_cidrs` for the stacks that attach later.
            opts: Options for the attachment itself.

        Returns:
            The VPC attachment.

        Raises:
            ObsPlatformError: For an unknown region or segment, or a name used twice.
        """
        region = self._region(region)
        seg = self._segment(segment)
        self._claim(name)
        if cidr is not None:
            self._attached_cidrs.setdefault(region, {})[name] = cidr
            gate = claim_vpc_cidr(self, region, cidr, f"VPC attachment {name!r}")
            if gate is not None:
                opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=gate))
        attachment = aws.ec2transitgateway.VpcAttachment(
            name,
            transit_gateway_id=self._gateways[region].id,
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
            dns_support="enable",
            transit_gateway_default_route_table_association=False,
            transit_gateway_default_route_table_propagation=False,
            region=region,
            tags=self.tags({"Name": name, "segment": seg.value}),
            # From an account the gateway is shared with, the provider cannot read the owner's
            # route tables and reports both flags as true: ignore them, or every update would
            # show a diff. The gateway has no default route tables, so neither flag acts.
            opts=pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(
                    ignore_changes=[
                        "transitGatewayDefaultRouteTableAssociation",
                        "transitGatewayDefaultRouteTablePropagation",
                    ]
                ),
            ),
        )
        self._associate(name, region, seg, attachment.id)
        return attachment
