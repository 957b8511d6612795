"""Ipam under the offline engine: the exact graph, and every input it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from obs_platform import Ipam, IpamSharing, ObsPlatformError
from obs_platform.network.sharing import RamPrincipals
from obs_platform.testing import Plan, run

IPAM = "obs-platform:network:Ipam"
VPC_IPAM = "aws:ec2/vpcIpam:VpcIpam"
SCOPE = "aws:ec2/vpcIpamScope:VpcIpamScope"
POOL = "aws:ec2/vpcIpamPool:VpcIpamPool"
POOL_CIDR = "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr"
SHARE = "aws:ram/resourceShare:ResourceShare"
SHARE_RESOURCE = "aws:ram/resourceAssociation:ResourceAssociation"
SHARE_PRINCIPAL = "aws:ram/principalAssociation:PrincipalAssociation"

ORG = "arn:aws:organizations::111111111111:organization/o-abcdefghij"
OU = "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh12"


def _run(args: dict[str, Any], stack_region: str = "us-west-2") -> tuple[Plan, dict[str, Any]]:
    seen: dict[str, Any] = {}

    def program() -> None:
        ipam = Ipam("core", args)
        seen["ipam"] = ipam
        seen["cidr"] = (
            ipam.pool_cidr("us-east-1", "staging")
            if args.get("environments")
            else ipam.pool_cidr("us-east-1")
        )

    return run(program, config={"aws:region": stack_region}), seen


@pytest.fixture(scope="module")
def full() -> tuple[Plan, dict[str, Any]]:
    return _run(
        {
            "regions": ["eu-west-1", "us-east-1"],
            "environments": ["prod", "staging"],
            "sharing": [
                IpamSharing(name="prod", environments=["prod"], organizational_unit_arns=[OU]),
                IpamSharing(
                    name="partner",
                    regions=["us-east-1"],
                    environments=["staging"],
                    external_account_ids=["999999999999"],
                ),
            ],
            "tags": {"team": "platform"},
        }
    )


def test_full_graph_types_and_names(full: tuple[Plan, dict[str, Any]]) -> None:
    plan, _ = full
    component = plan.get("core", IPAM)
    names = {(r.type, r.name) for r in plan.descendants(component)}
    pools = [
        "core-pool",
        "core-pool-eu-west-1",
        "core-pool-eu-west-1-prod",
        "core-pool-eu-west-1-staging",
        "core-pool-us-east-1",
        "core-pool-us-east-1-prod",
        "core-pool-us-east-1-staging",
    ]
    expected = {(VPC_IPAM, "core-ipam"), (SCOPE, "core-scope")}
    expected |= {(POOL, p) for p in pools} | {(POOL_CIDR, f"{p}-cidr") for p in pools}
    expected |= {
        (SHARE, "core-share-prod"),
        (SHARE_RESOURCE, "core-share-prod-pool-eu-west-1-prod"),
        (SHARE_RESOURCE, "core-share-prod-pool-us-east-1-prod"),
        (SHARE_PRINCIPAL, "core-share-prod-principal-ou-ab12-cdefgh12"),
        (SHARE, "core-share-partner"),
        (SHARE_RESOURCE, "core-share-partner-pool-us-east-1-staging"),
        (SHARE_PRINCIPAL, "core-share-partner-principal-999999999999"),
    }
    assert names == expected
    # Every child is a direct child of the component, in the home region (the first region),
    # whatever the stack's region.
    for resource in plan.descendants(component):
        assert resource.parent == component.urn, resource.name
        assert resource.region == "eu-west-1", resource.name


def test_full_graph_protection(full: tuple[Plan, dict[str, Any]]) -> None:
    plan, _ = full
    for resource in plan.descendants(plan.get("core", IPAM)):
        assert resource.protect is (resource.type in {VPC_IPAM, SCOPE, POOL, POOL_CIDR}), (
            resource.name
        )


def test_full_graph_key_inputs(full: tuple[Plan, dict[str, Any]]) -> None:
    plan, seen = full
    ipam = plan.get("core-ipam")
    assert ipam.inputs["operatingRegions"] == [
        {"regionName": "eu-west-1"},
        {"regionName": "us-east-1"},
    ]
    assert ipam.inputs["tier"] == "advanced"
    assert ipam.inputs["tags"]["team"] == "platform"
    assert ipam.inputs["tags"]["Name"] == "core-ipam"
    scope = plan.get("core-scope")
    assert scope.inputs["ipamId"] == ipam.outputs["id"]

    top = plan.get("core-pool", POOL)
    assert top.inputs["ipamScopeId"] == scope.outputs["id"]
    assert "locale" not in top.inputs and "sourceIpamPoolId" not in top.inputs
    assert plan.get("core-pool-cidr").inputs["cidr"] == "10.0.0.0/8"

    cidrs = {
        "core-pool-eu-west-1": "10.0.0.0/12",
        "core-pool-eu-west-1-prod": "10.0.0.0/14",
        "core-pool-eu-west-1-staging": "10.4.0.0/14",
        "core-pool-us-east-1": "10.16.0.0/12",
        "core-pool-us-east-1-prod": "10.16.0.0/14",
        "core-pool-us-east-1-staging": "10.20.0.0/14",
    }
    for name, cidr in cidrs.items():
        pool = plan.get(name, POOL)
        provisioned = plan.get(f"{name}-cidr", POOL_CIDR)
        assert provisioned.inputs["cidr"] == cidr
        assert provisioned.inputs["ipamPoolId"] == pool.outputs["id"]
        region = name.split("-pool-")[1][:9]
        assert pool.inputs["locale"] == region
        parent_name = name.rsplit("-", 1)[0] if name.endswith(("prod", "staging")) else "core-pool"
        assert pool.inputs["sourceIpamPoolId"] == plan.get(parent_name, POOL).outputs["id"]
        # A child pool's CIDR waits for its parent's CIDR.
        assert plan.get(f"{parent_name}-cidr").urn in provisioned.depends_on
        leaf = name.endswith(("prod", "staging"))
        rules = {
            k: pool.inputs.get(k)
            for k in (
                "allocationMinNetmaskLength",
                "allocationDefaultNetmaskLength",
                "allocationMaxNetmaskLength",
            )
        }
        assert rules == (
            {
                "allocationMinNetmaskLength": 16,
                "allocationDefaultNetmaskLength": 20,
                "allocationMaxNetmaskLength": 28,
            }
            if leaf
            else dict.fromkeys(rules)
        )

    ipam_obj = seen["ipam"]
    assert seen["cidr"] == "10.20.0.0/14"
    assert ipam_obj.regional_pool_cidrs == {"eu-west-1": "10.0.0.0/12", "us-east-1": "10.16.0.0/12"}
    assert ipam_obj.pool_cidr("eu-west-1", "prod") == "10.0.0.0/14"
    outputs = plan.get("core", IPAM).outputs
    assert outputs["regional_pool_ids"] == {
        "eu-west-1": plan.get("core-pool-eu-west-1", POOL).outputs["id"],
        "us-east-1": plan.get("core-pool-us-east-1", POOL).outputs["id"],
    }
    assert (
        outputs["environment_pool_ids"]["us-east-1"]["staging"]
        == plan.get("core-pool-us-east-1-staging", POOL).outputs["id"]
    )
    assert outputs["regional_pool_cidrs"] == ipam_obj.regional_pool_cidrs
    assert outputs["ipam_id"] == ipam.outputs["id"]


def test_full_graph_sharing(full: tuple[Plan, dict[str, Any]]) -> None:
    plan, _ = full
    prod = plan.get("core-share-prod", SHARE)
    assert prod.inputs["allowExternalPrincipals"] is False
    assert plan.get("core-share-prod-principal-ou-ab12-cdefgh12").inputs["principal"] == OU
    association = plan.get("core-share-prod-pool-eu-west-1-prod")
    assert (
        association.inputs["resourceArn"]
        == plan.get("core-pool-eu-west-1-prod", POOL).outputs["arn"]
    )
    assert association.inputs["resourceShareArn"] == prod.outputs["arn"]
    partner = plan.get("core-share-partner", SHARE)
    assert partner.inputs["allowExternalPrincipals"] is True
    assert (
        plan.get("core-share-partner-principal-999999999999").inputs["principal"] == "999999999999"
    )
    assert plan.get("core", IPAM).outputs["share_arns"] == {
        "prod": prod.outputs["arn"],
        "partner": partner.outputs["arn"],
    }


def test_no_environments_protect_off_home_region_and_pins() -> None:
    plan, seen = _run(
        {
            "regions": ["us-east-1", "eu-west-1"],
            "home_region": "eu-west-1",
            "cidr": "10.64.0.0/10",
            "regional_netmask_length": 14,
            "regional_cidrs": {"us-east-1": "10.68.0.0/14"},
            "sharing": [{"name": "all", "organization_arn": ORG, "account_ids": ["222222222222"]}],
            "protect": False,
        }
    )
    component = plan.get("core", IPAM)
    assert all(not r.protect for r in plan.descendants(component))
    assert {r.region for r in plan.descendants(component)} == {"eu-west-1"}
    # us-east-1 is pinned to the second block; eu-west-1, unpinned, takes the lowest free one.
    assert seen["cidr"] == "10.68.0.0/14"
    assert plan.get("core-pool-eu-west-1-cidr").inputs["cidr"] == "10.64.0.0/14"
    assert plan.get("core-pool-us-east-1-cidr").inputs["cidr"] == "10.68.0.0/14"
    regional = plan.get("core-pool-us-east-1", POOL)
    assert regional.inputs["allocationDefaultNetmaskLength"] == 20
    assert {r.name for r in plan.by_type(SHARE_RESOURCE)} == {
        "core-share-all-pool-us-east-1",
        "core-share-all-pool-eu-west-1",
    }
    assert {r.name: r.inputs["principal"] for r in plan.by_type(SHARE_PRINCIPAL)} == {
        "core-share-all-principal-organization": ORG,
        "core-share-all-principal-222222222222": "222222222222",
    }
    assert plan.get("core-share-all").inputs["allowExternalPrincipals"] is False


def test_pool_lookups_refuse_unknown_region_and_environment(
    full: tuple[Plan, dict[str, Any]],
) -> None:
    ipam = full[1]["ipam"]
    with pytest.raises(ObsPlatformError, match="no pool for region 'ap-south-1'") as info:
        ipam.pool_id("ap-south-1")
    assert info.value.field == "region" and info.value.value == "ap-south-1"
    with pytest.raises(ObsPlatformError, match=r"no pool for environment 'qa'.*Fix: Use one of"):
        ipam.pool_cidr("eu-west-1", "qa")


BASE: dict[str, Any] = {"regions": ["eu-west-1", "us-east-1"]}


@pytest.mark.parametrize(
    ("changes", "field", "value", "match"),
    [
        (
            {"regions": ["eu-west-1", "eu-wset-1"]},
            "IpamArgs.regions[1]",
            "eu-wset-1",
            "Did you mean 'eu-west-1'",
        ),
        (
            {"regions": ["eu-west-1", "us-east-1", "eu-west-1"]},
            "IpamArgs.regions",
            ["eu-west-1", "us-east-1", "eu-west-1"],
            r"\['eu-west-1'\] more than once",
        ),
        ({"regions": []}, "IpamArgs.regions", [], "at least 1 item"),
        (
            {"home_region": "us-west-2"},
            "IpamArgs.home_region",
            "us-west-2",
            "is not one of regions",
        ),
        ({"cidr": "10.1.0.0/8"}, "IpamArgs.cidr", "10.1.0.0/8", "host bits set"),
        (
            {"regional_cidrs": {"us-east-1": "10.0.0.0/12"}},
            "IpamArgs.regional_cidrs[us-east-1]",
            "10.0.0.0/12",
            "overlaps '10.0.0.0/12' of region 'eu-west-1'",
        ),
        (
            {"regional_cidrs": {"us-east-1": "10.16.0.1/12"}},
            "IpamArgs.regional_cidrs.us-east-1",
            "10.16.0.1/12",
            "host bits set",
        ),
        (
            {"regional_cidrs": {"us-east-1": "172.16.0.0/12"}},
            "IpamArgs.regional_cidrs[us-east-1]",
            "172.16.0.0/12",
            "is not inside 10.0.0.0/8",
        ),
        (
            {"regional_cidrs": {"ap-south-1": "10.16.0.0/12"}},
            "IpamArgs.regional_cidrs[ap-south-1]",
            "10.16.0.0/12",
            "not in regions",
        ),
        (
            {"regions": ["eu-west-1", "us-east-1", "ap-south-1"], "regional_netmask_length": 9},
            "IpamArgs.regional_netmask_length",
            9,
            r"holds 2\*\*\(9-8\) = 2 blocks of /9, and 3 regions need 3",
        ),
        (
            {"environments": ["prod", "staging", "qa"], "environment_netmask_length": 13},
            "IpamArgs.environment_netmask_length",
            13,
            r"2\*\*\(13-12\) = 2 blocks of /13",
        ),
        (
            {"environments": ["prod", "prod"]},
            "IpamArgs.environments",
            ["prod", "prod"],
            "more than once",
        ),
        ({"environments": ["Prod"]}, "IpamArgs.environments[0]", "Prod", "lowercase"),
        (
            {"environment_netmask_length": 14},
            "IpamArgs.environment_netmask_length",
            14,
            "environments is empty",
        ),
        (
            {"allocation_min_netmask_length": 24, "allocation_default_netmask_length": 20},
            "IpamArgs.allocation_default_netmask_length",
            (24, 20, 28),
            "bounds out of order",
        ),
        (
            {"allocation_default_netmask_length": 28, "allocation_max_netmask_length": 24},
            "IpamArgs.allocation_default_netmask_length",
            (16, 28, 24),
            "bounds out of order",
        ),
        (
            {"regional_netmask_length": 20},
            "IpamArgs.allocation_min_netmask_length",
            16,
            "larger than the pools VPCs allocate from",
        ),
        (
            {"allocation_max_netmask_length": 29},
            "IpamArgs.allocation_max_netmask_length",
            29,
            "less than or equal to 28",
        ),
        (
            {"sharing": [{"name": "x", "account_ids": ["12345"]}]},
            "IpamArgs.sharing[0].account_ids[0]",
            "12345",
            "exactly 12 digits",
        ),
        (
            {"sharing": [{"name": "x", "organization_arn": "o-abcdefghij"}]},
            "IpamArgs.sharing[0].organization_arn",
            "o-abcdefghij",
            "organization ARN",
        ),
        (
            {"sharing": [{"name": "x", "organizational_unit_arns": ["ou-ab12-cdefgh12"]}]},
            "IpamArgs.sharing[0].organizational_unit_arns[0]",
            "ou-ab12-cdefgh12",
            "organizational unit ARN",
        ),
        ({"sharing": [{"name": "x"}]}, "IpamArgs.sharing[0]", None, "no principals given"),
        (
            {
                "sharing": [
                    {
                        "name": "x",
                        "account_ids": ["222222222222"],
                        "external_account_ids": ["222222222222"],
                    }
                ]
            },
            "IpamArgs.sharing[0]",
            None,
            "in both account_ids and external_account_ids",
        ),
        (
            {
                "sharing": [
                    {"name": "x", "account_ids": ["222222222222"]},
                    {"name": "x", "account_ids": ["333333333333"]},
                ]
            },
            "IpamArgs.sharing",
            ["x", "x"],
            "more than once",
        ),
        (
            {
                "sharing": [
                    {"name": "x", "account_ids": ["222222222222"], "regions": ["ap-south-1"]}
                ]
            },
            "IpamArgs.sharing[0].regions",
            "ap-south-1",
            "not in regions",
        ),
        (
            {"sharing": [{"name": "x", "account_ids": ["222222222222"], "environments": ["prod"]}]},
            "IpamArgs.sharing[0].environments",
            ["prod"],
            "has no environments",
        ),
        (
            {"tier": "free", "sharing": [{"name": "x", "account_ids": ["222222222222"]}]},
            "IpamArgs.tier",
            "free",
            "needs the advanced tier",
        ),
        ({"bogus": 1}, "IpamArgs.bogus", 1, "unknown field"),
    ],
)
def test_rejected_inputs(changes: dict[str, Any], field: str, value: Any, match: str) -> None:
    with pytest.raises(ObsPlatformError, match=match) as info:
        Ipam("core", {**BASE, **changes})
    error = info.value
    assert error.field == field
    if value is not None:
        assert error.value == value
    assert "Ipam 'core'" in str(error)
    # Pydantic-level errors carry the fix inside the message; ours carry it in `fix`.
    assert error.fix or "invalid arguments" in str(error)


def test_sharing_principals_and_external_flag() -> None:
    both = RamPrincipals(
        organization_arn=ORG,
        organizational_unit_arns=[OU],
        account_ids=["222222222222"],
        external_account_ids=["999999999999"],
    )
    assert both.allow_external_principals is True
    assert both.principals() == [
        ("organization", ORG),
        ("ou-ab12-cdefgh12", OU),
        ("222222222222", "222222222222"),
        ("999999999999", "999999999999"),
    ]
    assert RamPrincipals(account_ids=["222222222222"]).allow_external_principals is False
