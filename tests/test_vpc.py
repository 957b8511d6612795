"""create_private_vpc under the offline engine, with the engine's IPAM-aware VPC answer."""

from __future__ import annotations

import ipaddress
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws
import pytest

from obs_platform import Ipam, IpamArgs, ObsPlatformError, TransitNetwork
from obs_platform._component import Component
from obs_platform._internal.types import ArgsModel
from obs_platform.network.vpc import (
    EKS_UNSUPPORTED_ZONE_IDS,
    PrivateVpc,
    add_transit_routes,
    check_vpc_sizes,
    check_zone_ids,
    create_private_vpc,
    pick_zone,
)
from obs_platform.testing import Plan, ProgramError, run

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
RTB = "aws:ec2/routeTable:RouteTable"
RTB_ASSOC = "aws:ec2/routeTableAssociation:RouteTableAssociation"


class OwnerArgs(ArgsModel):
    """Test owner's args."""

    pool: Any
    az_count: int = 3
    network: Any = None


class Owner(Component[OwnerArgs]):
    """A stand-in for ObservabilityStack / Cell."""

    TYPE_TOKEN: ClassVar[str] = "test:index:Owner"
    ARGS_TYPE: ClassVar[type[ArgsModel]] = OwnerArgs
    made: PrivateVpc

    def _build(self, args: OwnerArgs) -> dict[str, Any]:
        self.made = create_private_vpc(
            self,
            "vpc",
            region="us-east-1",
            ipam_pool_id=args.pool,
            netmask_length=20,
            az_count=args.az_count,
            subnet_netmask_length=22,
            tags=self.tags({"cell": "us"}),
        )
        return {
            "vpc_id": self.made.vpc_id,
            "cidr_block": self.made.cidr_block,
            "subnet_ids": self.made.subnet_ids,
            "route_table_ids": self.made.route_table_ids,
        }


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        ipam = Ipam("core", IpamArgs(regions=["eu-west-1", "us-east-1"]))
        Owner("obs", {"pool": ipam.pool_id("us-east-1")})
        Owner("cell", {"pool": ipam.pool_id("us-east-1"), "az_count": 2})
        Owner("remote", {"pool": "ipam-pool-0123456789abcdef0"})

    return run(program, config={"aws:region": "eu-west-1"})


def test_graph_names_types_regions_parentage(plan: Plan) -> None:
    owner = plan.get("obs", "test:index:Owner")
    found = {(r.type, r.name) for r in plan.descendants(owner)}
    expected = {(VPC, "obs-vpc")}
    for i in range(3):
        expected |= {
            (SUBNET, f"obs-vpc-private-{i}"),
            (RTB, f"obs-vpc-rt-{i}"),
            (RTB_ASSOC, f"obs-vpc-rt-{i}-association"),
        }
    assert found == expected
    for resource in plan.descendants(owner):
        assert resource.parent == owner.urn
        assert resource.region == "us-east-1"
    assert {
        r.name for r in plan.descendants(plan.get("cell", "test:index:Owner")) if r.type == SUBNET
    } == {"cell-vpc-private-0", "cell-vpc-private-1"}
    # No internet gateway, NAT gateway or public IPs anywhere.
    assert not plan.by_type("aws:ec2/internetGateway:InternetGateway")
    assert not plan.by_type("aws:ec2/natGateway:NatGateway")


def test_vpc_takes_its_cidr_from_the_pool(plan: Plan) -> None:
    vpc = plan.get("obs-vpc", VPC)
    pool = plan.get("core-pool-us-east-1", "aws:ec2/vpcIpamPool:VpcIpamPool")
    assert {k: v for k, v in vpc.inputs.items() if k != "tags"} == {
        "ipv4IpamPoolId": pool.outputs["id"],
        "ipv4NetmaskLength": 20,
        "enableDnsSupport": True,
        "enableDnsHostnames": True,
        "region": "us-east-1",
    }
    assert vpc.inputs["tags"]["Name"] == "obs-vpc" and vpc.inputs["tags"]["cell"] == "us"
    # The pool ID handed out waits for the pool's CIDR to be provisioned.
    assert plan.get("core-pool-us-east-1-cidr").urn in vpc.depends_on
    # The engine allocates distinct, realistic blocks inside the pool's CIDR.
    obs = ipaddress.IPv4Network(vpc.outputs["cidrBlock"])
    cell = ipaddress.IPv4Network(plan.get("cell-vpc", VPC).outputs["cidrBlock"])
    regional = ipaddress.IPv4Network("10.16.0.0/12")
    assert obs.subnet_of(regional) and cell.subnet_of(regional)
    assert obs.prefixlen == cell.prefixlen == 20
    assert not obs.overlaps(cell)
    remote = ipaddress.IPv4Network(plan.get("remote-vpc", VPC).outputs["cidrBlock"])
    assert remote.subnet_of(ipaddress.IPv4Network("10.0.0.0/8")) and remote.prefixlen == 20


def test_subnets_are_carved_from_the_vpc_cidr_one_per_zone(plan: Plan) -> None:
    vpc = plan.get("obs-vpc", VPC)
    blocks = list(ipaddress.IPv4Network(vpc.outputs["cidrBlock"]).subnets(new_prefix=22))
    outputs = plan.get("obs", "test:index:Owner").outputs
    subnet_ids = []
    table_ids = []
    # By zone ID, skipping use1-az3, where EKS refuses cluster subnets.
    for i, zone in enumerate(("use1-az1", "use1-az2", "use1-az4")):
        subnet = plan.get(f"obs-vpc-private-{i}", SUBNET)
        assert {k: v for k, v in subnet.inputs.items() if k != "tags"} == {
            "vpcId": vpc.outputs["id"],
            "cidrBlock": str(blocks[i]),
            "availabilityZoneId": zone,
            "mapPublicIpOnLaunch": False,
            "region": "us-east-1",
        }
        table = plan.get(f"obs-vpc-rt-{i}", RTB)
        assert table.inputs["vpcId"] == vpc.outputs["id"]
        association = plan.get(f"obs-vpc-rt-{i}-association", RTB_ASSOC)
        assert association.inputs == {
            "subnetId": subnet.outputs["id"],
            "routeTableId": table.outputs["id"],
            "region": "us-east-1",
        }
        subnet_ids.append(subnet.outputs["id"])
        table_ids.append(table.outputs["id"])
    assert outputs == {
        "vpc_id": vpc.outputs["id"],
        "cidr_block": vpc.outputs["cidrBlock"],
        "subnet_ids": subnet_ids,
        "route_table_ids": table_ids,
    }


@pytest.mark.parametrize(
    ("sizes", "field", "value", "match"),
    [
        ({"az_count": 1}, "az_count", 1, "Use 2 to 6"),
        ({"az_count": 7}, "az_count", 7, "Use 2 to 6"),
        ({"netmask_length": 15}, "netmask_length", 15, "Use 16 to 28"),
        ({"subnet_netmask_length": 29}, "subnet_netmask_length", 29, "Use 16 to 28"),
        (
            {"netmask_length": 24, "subnet_netmask_length": 25},
            "subnet_netmask_length",
            25,
            "3 subnets of /25 do not fit a /24 VPC: it holds 2",
        ),
        (
            {"netmask_length": 24, "subnet_netmask_length": 20},
            "subnet_netmask_length",
            20,
            "it holds 0",
        ),
    ],
)
def test_size_refusals(sizes: dict[str, int], field: str, value: int, match: str) -> None:
    args = {"netmask_length": 20, "subnet_netmask_length": 22, "az_count": 3, **sizes}
    with pytest.raises(ObsPlatformError, match=match) as info:
        check_vpc_sizes(**args)
    assert info.value.field == field and info.value.value == value


def test_unknown_region_is_refused_before_any_resource() -> None:
    class Bad(Owner):
        def _build(self, args: OwnerArgs) -> dict[str, Any]:
            create_private_vpc(
                self,
                "vpc",
                region="us-east-9",
                ipam_pool_id="p",
                netmask_length=20,
                subnet_netmask_length=22,
                tags={},
            )
            return {}

    with pytest.raises(ProgramError) as info:
        run(lambda: Bad("bad", {"pool": "p"}), config={"aws:region": "us-east-1"})
    error = info.value.original
    assert isinstance(error, ObsPlatformError)
    assert error.field == "region" and error.value == "us-east-9"
    assert "Did you mean 'us-east-2'" in str(error)


def test_more_zones_than_the_region_has_is_refused() -> None:
    # Checked inside apply, once the zones are known. Tested directly: an engine run whose
    # registrations fail inside apply leaves failed futures behind that upset later imports on
    # CPython 3.11 ("AST constructor recursion depth mismatch").
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert pick_zone(zones, 2, az_count=3, region="us-east-1", vpc="big-vpc") == "us-east-1c"
    with pytest.raises(ObsPlatformError) as info:
        pick_zone(zones, 0, az_count=4, region="us-east-1", vpc="big-vpc")
    error = info.value
    assert error.field == "az_count" and error.value == 4
    assert "'big-vpc': region 'us-east-1' offers 3 availability zones" in str(error)
    assert "az_count=3 or fewer" in str(error)


def test_vpc_answer_echoes_a_given_cidr() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("plain", cidr_block="172.31.0.0/16")
        pulumi.export("cidr", vpc.cidr_block)

    plan = run(program, config={"aws:region": "us-east-1"})
    assert plan.outputs["cidr"] == "172.31.0.0/16"
    assert plan.get("plain").outputs["id"].startswith("vpc-")


def test_transit_routes_after_the_attachment() -> None:
    class Attached(Owner):
        def _build(self, args: OwnerArgs) -> dict[str, Any]:
            outputs = super()._build(args)
            network = args.network
            attachment = network.attach_vpc(
                self.child_name("tgw"),
                region="us-east-1",
                vpc_id=self.made.vpc_id,
                subnet_ids=self.made.subnet_ids,
                opts=pulumi.ResourceOptions(parent=self),
            )
            add_transit_routes(
                self,
                "vpc",
                self.made,
                region="us-east-1",
                transit_gateway_id=network.transit_gateway_id("us-east-1"),
                destination_cidr_blocks=["10.0.0.0/8"],
                attachment=attachment,
            )
            return outputs

    def program() -> None:
        network = TransitNetwork("net", {"regions": ["us-east-1"]})
        Attached("cell", {"pool": "ipam-pool-0123456789abcdef0", "az_count": 2, "network": network})

    plan = run(program, config={"aws:region": "us-east-1"})
    owner = plan.get("cell", "test:index:Owner")
    attachment = plan.get("cell-tgw", "aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert attachment.parent == owner.urn
    assert attachment.inputs["subnetIds"] == [
        plan.get(f"cell-vpc-private-{i}").outputs["id"] for i in (0, 1)
    ]
    gateway = plan.get("net-tgw-us-east-1").outputs["id"]
    for i in (0, 1):
        route = plan.get(f"cell-vpc-rt-{i}-to-10-0-0-0-8", "aws:ec2/route:Route")
        assert route.parent == owner.urn and route.region == "us-east-1"
        assert route.inputs == {
            "routeTableId": plan.get(f"cell-vpc-rt-{i}", RTB).outputs["id"],
            "destinationCidrBlock": "10.0.0.0/8",
            "transitGatewayId": gateway,
            "region": "us-east-1",
        }
        assert attachment.urn in route.depends_on
    assert len(plan.by_type("aws:ec2/route:Route")) == 2


@pytest.mark.parametrize(
    ("cidrs", "match"),
    [(["10.0.0.1/8"], "mis-aligned"), (["10.0.0.0/8", "10.0.0.0/8"], "listed twice")],
)
def test_transit_route_refusals(cidrs: list[str], match: str) -> None:
    made = PrivateVpc(
        vpc=None,
        vpc_id=None,
        subnet_ids=None,
        route_table_ids=None,  # type: ignore[arg-type]
        cidr_block=None,
        subnets=[],
        route_tables=[],
    )  # type: ignore[arg-type]
    with pytest.raises(ObsPlatformError, match=match) as info:
        add_transit_routes(
            None,
            "vpc",
            made,
            region="us-east-1",  # type: ignore[arg-type]
            transit_gateway_id="tgw-1",
            destination_cidr_blocks=cidrs,
            attachment=None,
        )  # type: ignore[arg-type]
    assert info.value.field == "destination_cidr_blocks"


def test_eks_unsupported_zones_are_those_aws_lists() -> None:
    # Amazon EKS user guide, "View Amazon EKS networking requirements for VPC and subnets".
    assert EKS_UNSUPPORTED_ZONE_IDS == {
        "us-east-1": ("use1-az3",),
        "us-west-1": ("usw1-az2",),
        "ca-central-1": ("cac1-az3",),
    }


def test_pinned_zone_ids_are_used_in_order() -> None:
    class Pinned(Owner):
        def _build(self, args: OwnerArgs) -> dict[str, Any]:
            self.made = create_private_vpc(
                self,
                "vpc",
                region="us-east-1",
                ipam_pool_id=args.pool,
                netmask_length=20,
                az_count=2,
                subnet_netmask_length=22,
                tags={},
                zone_ids=("use1-az6", "use1-az2"),
            )
            return {}

    plan = run(lambda: Pinned("p", {"pool": "ipam-pool-1"}), config={"aws:region": "us-east-1"})
    assert [
        plan.get(f"p-vpc-private-{i}", SUBNET).inputs["availabilityZoneId"] for i in (0, 1)
    ] == [
        "use1-az6",
        "use1-az2",
    ]


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (("use1-az1", "use1-az3"), "does not support Amazon EKS"),
        (("us-east-1a", "us-east-1b"), "is not an Availability Zone ID"),
        (("use1-az1", "use1-az1"), "lists a zone twice"),
        (("use1-az1",), "has 1 zones but az_count is 2"),
    ],
)
def test_bad_pinned_zone_ids_are_refused(zones: tuple[str, ...], message: str) -> None:
    with pytest.raises(ObsPlatformError, match=message) as info:
        check_zone_ids(zones, region="us-east-1", az_count=2)
    assert info.value.field == "availability_zone_ids"
