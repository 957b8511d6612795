"""TransitNetwork under the offline engine: the exact graph, segment policy, attachments,
peering and every input it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from obs_platform import ObsPlatformError, TransitNetwork, TransitNetworkArgs, TransitPeering
from obs_platform.network.transit import Segment, propagated_to
from obs_platform.testing import Plan, run, run_program

NETWORK = "obs-platform:network:TransitNetwork"
TGW = "aws:ec2transitgateway/transitGateway:TransitGateway"
RT = "aws:ec2transitgateway/routeTable:RouteTable"
ASSOC = "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation"
PROP = "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation"
PEERING = "aws:ec2transitgateway/peeringAttachment:PeeringAttachment"
ACCEPTER = "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter"
ROUTE = "aws:ec2transitgateway/route:Route"
ATTACHMENT = "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
SHARE = "aws:ram/resourceShare:ResourceShare"
SHARE_RESOURCE = "aws:ram/resourceAssociation:ResourceAssociation"
SHARE_PRINCIPAL = "aws:ram/principalAssociation:PrincipalAssociation"

EU, US = "eu-west-1", "us-east-1"
CIDRS = {EU: "10.0.0.0/12", US: "10.16.0.0/12"}
OU = "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh12"


def _network_program(args: dict[str, Any], seen: dict[str, Any]) -> None:
    network_account = aws.Provider(
        "network-account",
        region=EU,
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn="arn:aws:iam::222222222222:role/deploy")],
    )
    cell_account = aws.Provider(
        "cell-account",
        region=US,
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn="arn:aws:iam::333333333333:role/deploy")],
    )
    network = TransitNetwork("core", args, opts=pulumi.ResourceOptions(providers=[network_account]))
    seen["network"] = network
    network.attach_vpc(
        "obs-tgw",
        region=EU,
        vpc_id="vpc-0aaa",
        subnet_ids=["subnet-a", "subnet-b"],
        segment="shared",
    )
    network.attach_vpc(
        "cell-us-tgw",
        region=US,
        vpc_id="vpc-0bbb",
        subnet_ids=["subnet-c", "subnet-d"],
        opts=pulumi.ResourceOptions(provider=cell_account),
    )


@pytest.fixture(scope="module")
def full() -> tuple[Plan, dict[str, Any]]:
    seen: dict[str, Any] = {}
    args = {
        "regions": [EU, US],
        "peerings": [TransitPeering(requester=EU, accepter=US)],
        "region_cidrs": CIDRS,
        "sharing": {"organizational_unit_arns": [OU], "external_account_ids": ["999999999999"]},
        "tags": {"team": "network"},
    }
    plan = run(lambda: _network_program(args, seen), config={"aws:region": "us-west-2"})
    return plan, seen


def test_full_graph_types_names_regions_parentage(full: tuple[Plan, dict[str, Any]]) -> None:
    plan, _ = full
    component = plan.get("core", NETWORK)
    found = {(r.type, r.name, r.region) for r in plan.descendants(component)}
    expected: set[tuple[str, str, str]] = set()
    for region in (EU, US):
        expected |= {
            (TGW, f"core-tgw-{region}", region),
            (RT, f"core-rt-{region}-shared", region),
            (RT, f"core-rt-{region}-cells", region),
            (SHARE, f"core-share-{region}", region),
            (SHARE_RESOURCE, f"core-share-{region}-tgw", region),
            (SHARE_PRINCIPAL, f"core-share-{region}-principal-ou-ab12-cdefgh12", region),
            (SHARE_PRINCIPAL, f"core-share-{region}-principal-999999999999", region),
        }
    expected |= {
        (PEERING, "core-peering-eu-west-1-us-east-1", EU),
        (ACCEPTER, "core-peering-eu-west-1-us-east-1-accepter", US),
        (ASSOC, "core-peering-eu-west-1-us-east-1-association-eu-west-1", EU),
        (ASSOC, "core-peering-eu-west-1-us-east-1-association-us-east-1", US),
        (ROUTE, "core-route-eu-west-1-shared-to-us-east-1", EU),
        (ROUTE, "core-route-eu-west-1-cells-to-us-east-1", EU),
        (ROUTE, "core-route-us-east-1-shared-to-eu-west-1", US),
        (ROUTE, "core-route-us-east-1-cells-to-eu-west-1", US),
        # attach_vpc: association and propagations belong to the network.
        (ASSOC, "core-obs-tgw-association", EU),
        (PROP, "core-obs-tgw-propagation-shared", EU),
        (PROP, "core-obs-tgw-propagation-cells", EU),
        (ASSOC, "core-cell-us-tgw-association", US),
        (PROP, "core-cell-us-tgw-propagation-shared", US),
    }
    assert found == expected
    for resource in plan.descendants(component):
        assert resource.parent == component.urn, resource.name
        assert resource.protect is False, resource.name
        # The network account's provider flows from the component to every child.
        assert resource.provider is not None and resource.provider.endswith("::network-account")


def test_gateways_and_route_tables(full: tuple[Plan, dict[str, Any]]) -> None:
    plan, _ = full
    for asn, region in ((64512, EU), (64513, US)):
        gateway = plan.get(f"core-tgw-{region}", TGW)
        assert {k: v for k, v in gateway.inputs.items() if k != "description"} == {
            "amazonSideAsn": asn,
            "autoAcceptSharedAttachments": "enable",
            "defaultRouteTableAssociation": "disable",
            "defaultRouteTablePropagation": "disable",
            "dnsSupport": "enable",
            "vpnEcmpSupport": "enable",
            "region": region,
            "tags": {
                "obs-platform:managed-by": "obs-platform",
                "obs-platform:component": NETWORK,
                "team": "network",
                "Name": f"core-tgw-{region}",
            },
        }
        for segment in ("shared", "cells"):
            table = plan.get(f"core-rt-{region}-{segment}", RT)
            assert table.inputs["transitGatewayId"] == gateway.outputs["id"]
            assert table.inputs["tags"]["segment"] == segment
    outputs = plan.get("core", NETWORK).outputs
    assert outputs["asns"] == {EU: 64512, US: 64513}
    assert outputs["transit_gateway_ids"] == {
        r: plan.get(f"core-tgw-{r}", TGW).outputs["id"] for r in (EU, US)
    }
    assert (
        outputs["route_table_ids"][US]["cells"] == plan.get("core-rt-us-east-1-cells").outputs["id"]
    )


def test_peering_static_routes_and_associations(full: tuple[Plan, dict[str, Any]]) -> None:
    plan, _ = full
    peering = plan.get("core-peering-eu-west-1-us-east-1", PEERING)
    assert peering.inputs["transitGatewayId"] == plan.get("core-tgw-eu-west-1").outputs["id"]
    assert peering.inputs["peerTransitGatewayId"] == plan.get("core-tgw-us-east-1").outputs["id"]
    assert peering.inputs["peerRegion"] == US
    accepter = plan.get("core-peering-eu-west-1-us-east-1-accepter", ACCEPTER)
    assert accepter.inputs["transitGatewayAttachmentId"] == peering.outputs["id"]
    for side, peer in ((EU, US), (US, EU)):
        association = plan.get(f"core-peering-eu-west-1-us-east-1-association-{side}", ASSOC)
        assert (
            association.inputs["transitGatewayRouteTableId"]
            == plan.get(f"core-rt-{side}-shared").outputs["id"]
        )
        assert association.inputs["transitGatewayAttachmentId"] == peering.outputs["id"]
        # Routes and associations wait for the acceptance.
        assert accepter.urn in association.depends_on
        for segment in ("shared", "cells"):
            route = plan.get(f"core-route-{side}-{segment}-to-{peer}", ROUTE)
            assert route.inputs["destinationCidrBlock"] == CIDRS[peer]
            assert (
                route.inputs["transitGatewayRouteTableId"]
                == plan.get(f"core-rt-{side}-{segment}").outputs["id"]
            )
            assert route.inputs["transitGatewayAttachmentId"] == peering.outputs["id"]
            assert accepter.urn in route.depends_on
    assert plan.get("core", NETWORK).outputs["peering_attachment_ids"] == {
        "eu-west-1-us-east-1": peering.outputs["id"]
    }


def test_sharing_allows_external_principals_only_when_named(
    full: tuple[Plan, dict[str, Any]],
) -> None:
    plan, _ = full
    for region in (EU, US):
        share = plan.get(f"core-share-{region}", SHARE)
        assert share.inputs["allowExternalPrincipals"] is True
        association = plan.get(f"core-share-{region}-tgw")
        assert association.inputs["resourceArn"] == plan.get(f"core-tgw-{region}").outputs["arn"]
        assert association.inputs["resourceShareArn"] == share.outputs["arn"]
        assert plan.get(f"core-share-{region}-principal-ou-ab12-cdefgh12").inputs["principal"] == OU


def test_attach_vpc(full: tuple[Plan, dict[str, Any]]) -> None:
    plan, _ = full
    obs = plan.get("obs-tgw", ATTACHMENT)
    # Created with the caller's opts: no parent given, so the stack; default provider chain.
    assert obs.parent == plan.stack_urn
    assert obs.region == EU
    assert {k: v for k, v in obs.inputs.items() if k != "tags"} == {
        "transitGatewayId": plan.get("core-tgw-eu-west-1").outputs["id"],
        "vpcId": "vpc-0aaa",
        "subnetIds": ["subnet-a", "subnet-b"],
        "dnsSupport": "enable",
        "transitGatewayDefaultRouteTableAssociation": False,
        "transitGatewayDefaultRouteTablePropagation": False,
        "region": EU,
    }
    assert obs.inputs["tags"]["segment"] == "shared"
    assert set(obs.ignore_changes) == {
        "transitGatewayDefaultRouteTableAssociation",
        "transitGatewayDefaultRouteTablePropagation",
    }
    cell = plan.get("cell-us-tgw", ATTACHMENT)
    assert cell.provider is not None and cell.provider.endswith("::cell-account")
    assert cell.region == US

    def table(name: str) -> str:
        return str(plan.get(name, RT).outputs["id"])

    assert plan.get("core-obs-tgw-association").inputs == {
        "transitGatewayAttachmentId": obs.outputs["id"],
        "transitGatewayRouteTableId": table("core-rt-eu-west-1-shared"),
        "region": EU,
    }
    # shared is learnt by shared and cells; cells only by shared.
    assert plan.get("core-obs-tgw-propagation-cells").inputs["transitGatewayRouteTableId"] == table(
        "core-rt-eu-west-1-cells"
    )
    assert plan.get("core-cell-us-tgw-association").inputs["transitGatewayRouteTableId"] == table(
        "core-rt-us-east-1-cells"
    )
    assert plan.get("core-cell-us-tgw-propagation-shared").inputs == {
        "transitGatewayAttachmentId": cell.outputs["id"],
        "transitGatewayRouteTableId": table("core-rt-us-east-1-shared"),
        "region": US,
    }


def test_segment_policy() -> None:
    assert propagated_to(Segment.SHARED) == [Segment.SHARED, Segment.CELLS]
    assert propagated_to(Segment.CELLS) == [Segment.SHARED]
    assert propagated_to(Segment.CELLS, allow_cell_to_cell=True) == [Segment.SHARED, Segment.CELLS]


def test_cell_to_cell_and_custom_asns_without_peering_or_sharing() -> None:
    def program() -> None:
        network = TransitNetwork(
            "net", TransitNetworkArgs(regions=[EU], asns={EU: 4200000000}, allow_cell_to_cell=True)
        )
        network.attach_vpc("cell-a", region=EU, vpc_id="vpc-1", subnet_ids=["s-1"])

    plan = run(program, config={"aws:region": EU})
    assert plan.get("net-tgw-eu-west-1").inputs["amazonSideAsn"] == 4200000000
    assert {r.name for r in plan.by_type(PROP)} == {
        "net-cell-a-propagation-shared",
        "net-cell-a-propagation-cells",
    }
    assert not plan.by_type(SHARE) and not plan.by_type(PEERING) and not plan.by_type(ROUTE)
    outputs = plan.get("net", NETWORK).outputs
    assert outputs["share_arns"] == {} and outputs["peering_attachment_ids"] == {}


def test_lookups_and_attach_refusals(full: tuple[Plan, dict[str, Any]]) -> None:
    network = full[1]["network"]
    with pytest.raises(ObsPlatformError, match="no gateway in 'ap-south-1'") as info:
        network.transit_gateway_id("ap-south-1")
    assert info.value.field == "region" and info.value.value == "ap-south-1"
    with pytest.raises(ObsPlatformError, match=r"no segment 'dmz'.*\['shared', 'cells'\]") as info:
        network.route_table_id(EU, "dmz")
    assert info.value.field == "segment" and info.value.value == "dmz"
    with pytest.raises(ObsPlatformError, match="no segment 'dmz'"):
        network.attach_vpc("x", region=EU, vpc_id="vpc-1", subnet_ids=["s"], segment="dmz")
    with pytest.raises(ObsPlatformError, match="no gateway in 'us-west-2'"):
        network.attach_vpc("x", region="us-west-2", vpc_id="vpc-1", subnet_ids=["s"])
    with pytest.raises(ObsPlatformError, match="already has an attachment named 'obs-tgw'"):
        network.attach_vpc("obs-tgw", region=EU, vpc_id="vpc-1", subnet_ids=["s"])


BASE: dict[str, Any] = {"regions": [EU, US]}


@pytest.mark.parametrize(
    ("changes", "field", "value", "match"),
    [
        ({"asns": {EU: 65535}}, "TransitNetworkArgs.asns[eu-west-1]", 65535, "not a private ASN"),
        ({"asns": {EU: 100}}, "TransitNetworkArgs.asns[eu-west-1]", 100, "not a private ASN"),
        (
            {"asns": {EU: 4294967295}},
            "TransitNetworkArgs.asns[eu-west-1]",
            4294967295,
            "not a private ASN",
        ),
        (
            {"asns": {US: 64512}},
            "TransitNetworkArgs.asns[us-east-1]",
            64512,
            "'eu-west-1' and 'us-east-1' both get ASN 64512",
        ),
        (
            {"asns": {"ap-south-1": 64600}},
            "TransitNetworkArgs.asns[ap-south-1]",
            64600,
            "not in regions",
        ),
        ({"regions": [EU, EU]}, "TransitNetworkArgs.regions", [EU, EU], "more than once"),
        (
            {"regions": ["eu-west-9"]},
            "TransitNetworkArgs.regions[0]",
            "eu-west-9",
            "not a commercial AWS region",
        ),
        (
            {"peerings": [{"requester": EU, "accepter": EU}], "region_cidrs": CIDRS},
            "TransitNetworkArgs.peerings[0]",
            EU,
            "peers 'eu-west-1' with itself",
        ),
        (
            {"peerings": [{"requester": EU, "accepter": "ap-south-1"}], "region_cidrs": CIDRS},
            "TransitNetworkArgs.peerings[0]",
            "ap-south-1",
            "not in regions",
        ),
        (
            {
                "peerings": [{"requester": EU, "accepter": US}, {"requester": US, "accepter": EU}],
                "region_cidrs": CIDRS,
            },
            "TransitNetworkArgs.peerings[1]",
            [EU, US],
            "a second time",
        ),
        (
            {"peerings": [{"requester": EU, "accepter": US}]},
            "TransitNetworkArgs.region_cidrs",
            {},
            "needs the CIDR of 'eu-west-1'",
        ),
        (
            {"region_cidrs": {EU: "10.0.0.0/12", US: "10.8.0.0/13"}},
            "TransitNetworkArgs.region_cidrs[us-east-1]",
            "10.8.0.0/13",
            "overlaps",
        ),
        (
            {"region_cidrs": {"ap-south-1": "10.0.0.0/12"}},
            "TransitNetworkArgs.region_cidrs[ap-south-1]",
            "10.0.0.0/12",
            "not in regions",
        ),
        (
            {"region_cidrs": {EU: "10.0.0.1/12"}},
            "TransitNetworkArgs.region_cidrs.eu-west-1",
            "10.0.0.1/12",
            "host bits set",
        ),
        ({"segments": ["dmz"]}, "TransitNetworkArgs.segments", ["dmz"], "unknown field"),
        (
            {"sharing": {"account_ids": ["1234"]}},
            "TransitNetworkArgs.sharing.account_ids[0]",
            "1234",
            "exactly 12 digits",
        ),
        (
            {"sharing": {"organizational_unit_arns": ["arn:aws:organizations::1:ou/x"]}},
            "TransitNetworkArgs.sharing.organizational_unit_arns[0]",
            "arn:aws:organizations::1:ou/x",
            "organizational unit ARN",
        ),
        ({"sharing": {}}, "TransitNetworkArgs.sharing", None, "no principals given"),
    ],
)
def test_rejected_inputs(changes: dict[str, Any], field: str, value: Any, match: str) -> None:
    with pytest.raises(ObsPlatformError, match=match) as info:
        TransitNetwork("core", {**BASE, **changes})
    error = info.value
    assert error.field == field
    if value is not None:
        assert error.value == value
    assert "TransitNetwork 'core'" in str(error)
    assert error.fix or "invalid arguments" in str(error)


def test_shared_account_example_plan_json() -> None:
    """The example builds the IPAM and a two-region network with peering; the plan JSON holds
    every resource with its region."""
    example = Path(__file__).resolve().parents[1] / "examples" / "shared-account"
    document = run_program(example).to_json()
    # The network core's resources (the example also holds the observability stack).
    resources = {
        r["name"]: r
        for r in document["resources"]
        if r["type"].startswith("aws:") and r["name"].startswith(("core-", "transit-"))
    }
    types = {r["type"] for r in resources.values()}
    assert {TGW, RT, PEERING, ACCEPTER, ROUTE, SHARE, "aws:ec2/vpcIpam:VpcIpam"} <= types
    for name, resource in resources.items():
        if name.startswith("core-"):
            expected = EU  # the IPAM and all its pools and shares live in the home region
        elif name.startswith("transit-peering-"):
            # The attachment in the requester's region, the accepter in the peer's, and one
            # association on each side.
            expected = US if name.endswith(("-accepter", "-association-us-east-1")) else EU
        else:
            # transit-{tgw,rt,share,route}-{region}-...: the region right after the role; a name
            # with no region there (the shared VPC's attachment, or a bare transit-{role}) lives
            # in the home region. partition() copes with names of any number of parts.
            # The standby observability stack's attachment ('{stack}-dr', the ObservabilityStack
            # standby) lives in the stack's dr_region.
            _, _, after_role = name.removeprefix("transit-").partition("-")
            standby = name.startswith("transit-shared-obs-dr-")
            expected = US if standby or after_role.startswith(US) else EU
        assert resource["region"] == expected, name
    assert document["outputs"]["regional_pool_cidrs"] == CIDRS
    assert (
        resources["transit-route-us-east-1-cells-to-eu-west-1"]["inputs"]["destinationCidrBlock"]
        == CIDRS[EU]
    )
    assert resources["core-ipam"]["protect"] is True
