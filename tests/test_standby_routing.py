"""The standby's cross-region paths, followed hop by hop through the examples' plans (issue 19).

Grafana in the standby region writes to the Aurora writer in the primary region, and cells in
either region push to the standby's ingest NLB after a failover. Both cross the Transit Gateway
peering. This test follows each packet the way AWS routes it, from the plans' own resources:

* VPC: the source subnet's route table (``aws:ec2/routeTableAssociation``), longest prefix
  among its routes and the implicit ``local`` route of the VPC's CIDR (VPC user guide, *Route
  priority*: the most specific route wins);
* Transit Gateway: the route table the arriving attachment is **associated** with (one per
  attachment), longest prefix among its static routes and the CIDRs **propagated** into it by
  VPC attachments (Transit Gateway guide, *Route tables*, *Route evaluation order*); a peering
  attachment takes no propagation, only static routes (*Transit gateway peering attachments*),
  and arrives on the peer gateway as the same attachment, associated there by its own
  association in that region;
* delivery into the destination VPC, then the security group of the destination (the
  database's, the NLB's) admitting the port from a CIDR that holds the source's.

Both directions are followed: a TCP session needs the return path too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import app_cells_stack_outputs
from obs_platform.testing import Plan, run_program

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
Network = ipaddress.IPv4Network


@dataclass(frozen=True)
class Hop:
    where: str
    via: str


class Fabric:
    """The routing state of one or more plans' resources."""

    def __init__(self, *plans: Plan) -> None:
        self.res = [r for plan in plans for r in plan.resources]

    def of(self, rtype: str) -> list[Any]:
        return [r for r in self.res if r.type == rtype]

    def named(self, name: str, rtype: str) -> Any:
        (found,) = [r for r in self.of(rtype) if r.name == name]
        return found

    def vpc_cidr(self, vpc_id: str) -> Network:
        (vpc,) = [v for v in self.of("aws:ec2/vpc:Vpc") if v.outputs["id"] == vpc_id]
        return ipaddress.ip_network(vpc.outputs["cidrBlock"])

    def subnets(self, vpc_id: str) -> list[Any]:
        return [s for s in self.of("aws:ec2/subnet:Subnet") if s.outputs["vpcId"] == vpc_id]

    def vpc_of_ip(self, ip: ipaddress.IPv4Address) -> str | None:
        for vpc in self.of("aws:ec2/vpc:Vpc"):
            if ip in ipaddress.ip_network(vpc.outputs["cidrBlock"]):
                return str(vpc.outputs["id"])
        return None

    def subnet_route(self, subnet_id: str, ip: ipaddress.IPv4Address) -> str:
        """Return the target of the route a subnet takes to ``ip`` (``local`` inside the VPC)."""
        (subnet,) = [s for s in self.of("aws:ec2/subnet:Subnet") if s.outputs["id"] == subnet_id]
        vpc_id = subnet.outputs["vpcId"]
        tables = [
            a.inputs["routeTableId"]
            for a in self.of("aws:ec2/routeTableAssociation:RouteTableAssociation")
            if a.inputs.get("subnetId") == subnet_id
        ]
        assert len(tables) == 1, f"subnet {subnet_id} has {len(tables)} route tables"
        candidates: list[tuple[Network, str]] = [(self.vpc_cidr(vpc_id), "local")]
        for route in self.of("aws:ec2/route:Route"):
            if route.inputs["routeTableId"] == tables[0]:
                target = route.inputs.get("transitGatewayId") or route.inputs.get(
                    "natGatewayId", "other"
                )
                candidates.append(
                    (ipaddress.ip_network(route.inputs["destinationCidrBlock"]), target)
                )
        return _longest(candidates, ip, f"subnet {subnet.name}")

    def attachment_of_vpc(self, vpc_id: str, tgw_id: str) -> str:
        (att,) = [
            a
            for a in self.of("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
            if a.inputs["vpcId"] == vpc_id and a.inputs["transitGatewayId"] == tgw_id
        ]
        return str(att.outputs["id"])

    def tgw_region(self, tgw_id: str) -> str:
        (tgw,) = [
            t
            for t in self.of("aws:ec2transitgateway/transitGateway:TransitGateway")
            if t.outputs["id"] == tgw_id
        ]
        return str(tgw.region)

    def tgw_route(self, attachment: str, region: str, ip: ipaddress.IPv4Address) -> str:
        """Return the attachment the gateway of ``region`` sends ``ip`` to, arriving on
        ``attachment``."""
        tables = [
            a.inputs["transitGatewayRouteTableId"]
            for a in self.of("aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation")
            if a.inputs["transitGatewayAttachmentId"] == attachment and a.region == region
        ]
        assert len(tables) == 1, f"attachment {attachment} in {region}: {len(tables)} associations"
        table = tables[0]
        candidates: list[tuple[Network, str]] = [
            (
                ipaddress.ip_network(r.inputs["destinationCidrBlock"]),
                r.inputs.get("transitGatewayAttachmentId") or "blackhole",
            )
            for r in self.of("aws:ec2transitgateway/route:Route")
            if r.inputs["transitGatewayRouteTableId"] == table
        ]
        vpc_atts = {
            str(a.outputs["id"]): a
            for a in self.of("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
        }
        for prop in self.of("aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"):
            if prop.inputs["transitGatewayRouteTableId"] == table:
                att = vpc_atts[prop.inputs["transitGatewayAttachmentId"]]
                candidates.append((self.vpc_cidr(att.inputs["vpcId"]), str(att.outputs["id"])))
        return _longest(candidates, ip, f"TGW route table {table} ({region})")

    def peering(self, attachment: str) -> Any | None:
        for peer in self.of("aws:ec2transitgateway/peeringAttachment:PeeringAttachment"):
            if peer.outputs["id"] == attachment:
                return peer
        return None

    def path(self, subnet_id: str, ip: ipaddress.IPv4Address) -> list[Hop]:
        """Follow a packet from a subnet to ``ip``; return the hops, ending in the VPC of ``ip``."""
        (subnet,) = [s for s in self.of("aws:ec2/subnet:Subnet") if s.outputs["id"] == subnet_id]
        src_vpc = subnet.outputs["vpcId"]
        target = self.subnet_route(subnet_id, ip)
        hops = [Hop(f"subnet {subnet.name}", target)]
        if target == "local":
            return hops
        assert target.startswith("tgw-"), f"{subnet.name} sends {ip} to {target}, not a TGW"
        region = self.tgw_region(target)
        arriving = self.attachment_of_vpc(src_vpc, target)
        for _ in range(4):
            out = self.tgw_route(arriving, region, ip)
            hops.append(Hop(f"TGW {region}", out))
            peer = self.peering(out)
            if peer is None:
                att = next(
                    a
                    for a in self.of("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
                    if a.outputs["id"] == out
                )
                assert ip in self.vpc_cidr(att.inputs["vpcId"]), f"{out} does not hold {ip}"
                hops.append(Hop("VPC", att.inputs["vpcId"]))
                return hops
            region = peer.inputs["peerRegion"] if peer.region == region else peer.region
            arriving = out
        raise AssertionError(f"{ip} loops between gateways: {hops}")

    def admits(self, sg_id: str, port: int, source: Network) -> bool:
        """Whether a security group admits TCP ``port`` from every address of ``source``."""
        rules: list[tuple[int, int, str]] = []
        for sg in self.of("aws:ec2/securityGroup:SecurityGroup"):
            if sg.outputs["id"] == sg_id:
                for rule in sg.inputs.get("ingress") or []:
                    rules += [
                        (rule["fromPort"], rule["toPort"], c) for c in rule.get("cidrBlocks", [])
                    ]
        for rule in self.of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
            if rule.inputs["securityGroupId"] == sg_id and rule.inputs.get("cidrIpv4"):
                rules.append(
                    (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["cidrIpv4"])
                )
        return any(
            low <= port <= high and source.subnet_of(ipaddress.ip_network(cidr))
            for low, high, cidr in rules
        )


def _longest(candidates: list[tuple[Network, str]], ip: ipaddress.IPv4Address, where: str) -> str:
    matching = [(net, target) for net, target in candidates if ip in net]
    assert matching, f"{where} has no route to {ip}"
    best = max(net.prefixlen for net, _ in matching)
    targets = {t for net, t in matching if net.prefixlen == best}
    assert len(targets) == 1, f"{where}: {len(targets)} equally specific routes to {ip}"
    return targets.pop()


@pytest.fixture(scope="module")
def fabric() -> Fabric:
    shared = run_program(EXAMPLES / "shared-account")
    cells = run_program(EXAMPLES / "app-cells", None, stack_outputs=app_cells_stack_outputs())
    return Fabric(shared, cells)


def _first_host(fabric: Fabric, subnet: Any) -> ipaddress.IPv4Address:
    return next(ipaddress.ip_network(subnet.outputs["cidrBlock"]).hosts())


def _round_trip(fabric: Fabric, src_subnet: Any, dst_subnet: Any) -> None:
    """Both directions reach their VPC through the peering."""
    there = fabric.path(src_subnet.outputs["id"], _first_host(fabric, dst_subnet))
    back = fabric.path(dst_subnet.outputs["id"], _first_host(fabric, src_subnet))
    for hops, subnet in ((there, dst_subnet), (back, src_subnet)):
        assert hops[-1] == Hop("VPC", subnet.outputs["vpcId"]), hops
        assert any(fabric.peering(h.via) for h in hops), f"no peering on {hops}"


def test_the_standbys_grafana_reaches_the_aurora_writer_in_the_primary_region(
    fabric: Fabric,
) -> None:
    cluster = fabric.named("shared-obs-grafana-primary-db", "aws:rds/cluster:Cluster")
    group = next(
        g
        for g in fabric.of("aws:rds/subnetGroup:SubnetGroup")
        if g.outputs["name"] == cluster.outputs["dbSubnetGroupName"]
    )
    standby_vpc = fabric.named("shared-obs-dr-vpc", "aws:ec2/vpc:Vpc").outputs["id"]
    for node_subnet in fabric.subnets(standby_vpc):
        for db_subnet_id in group.inputs["subnetIds"]:
            (db_subnet,) = [
                s for s in fabric.of("aws:ec2/subnet:Subnet") if s.outputs["id"] == db_subnet_id
            ]
            _round_trip(fabric, node_subnet, db_subnet)
    # The writer's security group admits PostgreSQL from the standby's whole VPC (Grafana's
    # pods take addresses from the node subnets: the VPC CNI), and the standby's member admits
    # the primary's, for when the writer has moved.
    (primary_sg,) = cluster.outputs["vpcSecurityGroupIds"]
    assert fabric.admits(primary_sg, 5432, fabric.vpc_cidr(standby_vpc))
    standby = fabric.named("shared-obs-grafana-standby-db", "aws:rds/cluster:Cluster")
    (standby_sg,) = standby.outputs["vpcSecurityGroupIds"]
    primary_vpc = fabric.named("shared-obs-vpc", "aws:ec2/vpc:Vpc").outputs["id"]
    assert fabric.admits(standby_sg, 5432, fabric.vpc_cidr(primary_vpc))
    assert not fabric.admits(primary_sg, 5433, fabric.vpc_cidr(standby_vpc))


@pytest.mark.parametrize("cell_region", ["eu-west-1", "us-east-1"])
def test_cells_in_either_region_reach_both_ingest_nlbs(fabric: Fabric, cell_region: str) -> None:
    cell_vpc = fabric.named(f"{cell_region}-vpc", "aws:ec2/vpc:Vpc").outputs["id"]
    for stack in ("shared-obs", "shared-obs-dr"):
        nlb = fabric.named(f"{stack}-ingest", "aws:lb/loadBalancer:LoadBalancer")
        nlb_subnets = [
            s
            for s in fabric.of("aws:ec2/subnet:Subnet")
            if s.outputs["id"] in nlb.inputs["subnets"]
        ]
        assert nlb_subnets
        for cell_subnet in fabric.subnets(cell_vpc):
            for nlb_subnet in nlb_subnets:
                dst = _first_host(fabric, nlb_subnet)
                hops = fabric.path(cell_subnet.outputs["id"], dst)
                assert hops[-1] == Hop("VPC", nlb_subnet.outputs["vpcId"]), hops
                back = fabric.path(nlb_subnet.outputs["id"], _first_host(fabric, cell_subnet))
                assert back[-1] == Hop("VPC", cell_vpc), back
        listeners = [
            listener.inputs["port"]
            for listener in fabric.of("aws:lb/listener:Listener")
            if listener.inputs["loadBalancerArn"] == nlb.outputs["arn"]
        ]
        assert sorted(listeners) == [443, 3100, 4317, 4318, 9090]
        (sg,) = nlb.inputs["securityGroups"]
        for port in listeners:
            assert fabric.admits(sg, port, fabric.vpc_cidr(cell_vpc)), (stack, port)
