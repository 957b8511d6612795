"""examples/app-cells end to end under the offline engine and through ``obs-platform plan``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import app_cells_stack_outputs, shared_account_plan_json
from obs_platform.cli import main
from obs_platform.testing import Plan, run_program

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "app-cells"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run_program(EXAMPLE, stack_outputs=app_cells_stack_outputs())


def test_project_files() -> None:
    assert "runtime: python" in (EXAMPLE / "Pulumi.yaml").read_text()
    assert "obs-platform" in (EXAMPLE / "requirements.txt").read_text()
    stack = (EXAMPLE / "Pulumi.dev.yaml").read_text()
    assert stack.count("#") >= 10  # every setting explained


def test_two_cells_and_the_dr(plan: Plan) -> None:
    top = [r for r in plan.children(plan.stack_urn)]
    assert {(r.type, r.name) for r in top} == {
        ("obs-platform:cell:Cell", "eu-west-1"),
        ("obs-platform:cell:Cell", "us-east-1"),
        ("obs-platform:dr:PilotLightDr", "app"),
        ("pulumi:providers:aws", "standby-account"),
        ("pulumi:providers:aws", "network-account"),
        ("pulumi:pulumi:StackReference", "organization/shared-account/dev"),
    }
    primary_nodes = plan.get("eu-west-1-nodes")
    standby_nodes = plan.get("us-east-1-nodes")
    assert primary_nodes.inputs["scalingConfig"]["desiredSize"] == 3
    assert standby_nodes.inputs["scalingConfig"]["desiredSize"] == 0
    assert plan.get("us-east-1-eks").type == "eks:index:Cluster"


def test_cells_take_their_pools_from_the_shared_accounts_plan(plan: Plan) -> None:
    shared = json.loads(shared_account_plan_json().read_text(encoding="utf-8"))
    pools = shared["outputs"]["regional_pool_ids"]
    reference = plan.get("organization/shared-account/dev", "pulumi:pulumi:StackReference")
    assert reference.inputs == {"name": "organization/shared-account/dev"}
    assert reference.outputs["outputs"]["regional_pool_ids"] == pools
    assert plan.get("eu-west-1-vpc").inputs["ipv4IpamPoolId"] == pools["eu-west-1"]
    assert plan.get("us-east-1-vpc").inputs["ipv4IpamPoolId"] == pools["us-east-1"]
    assert pools["eu-west-1"] != pools["us-east-1"]


def test_without_the_shared_outputs_the_plan_names_the_stack(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "pulumi.StackReference('organization/shared-account/dev') has no outputs offline" in err
    assert "--stack-outputs organization/shared-account/dev=PLAN.json" in err
    assert "Traceback" not in err


def test_standby_in_another_region_and_account(plan: Plan) -> None:
    provider = plan.get("standby-account")
    assert provider.inputs["region"] == "us-east-1"
    assert "222222222222" in json.dumps(provider.inputs["assumeRoles"])
    network = plan.get("network-account").urn
    standby = plan.get("us-east-1", "obs-platform:cell:Cell")
    aws_children = [r for r in plan.children(standby) if r.type.startswith("aws:")]
    # Everything in the standby's account, except the segment placement of its Transit Gateway
    # attachment, which belongs to the gateway's (network) account.
    in_network = {"us-east-1-tgw-association", "us-east-1-tgw-propagation-shared"}
    assert {r.name for r in aws_children if r.provider == network} == in_network
    assert aws_children and {r.provider for r in aws_children if r.name not in in_network} == {
        provider.urn
    }
    assert {r.region for r in aws_children} == {"us-east-1"}
    primary = plan.get("eu-west-1", "obs-platform:cell:Cell")
    assert {
        r.provider
        for r in plan.children(primary)
        if r.type.startswith("aws:")
        and r.name not in {"eu-west-1-tgw-association", "eu-west-1-tgw-propagation-shared"}
    } == {None}
    # The standby's ARNs carry its own account.
    assert plan.get("us-east-1-kms").outputs["arn"].split(":")[4] == "222222222222"


def test_dr_joins_the_cells(plan: Plan) -> None:
    healthz = plan.get("app-primary-healthz")
    assert healthz.inputs["fqdn"] == plan.get("eu-west-1-api").outputs["apiEndpoint"].removeprefix(
        "https://"
    )
    # Clients resolve the failover name to the active cell's custom domain (TLS matches).
    for role, cell in (("primary", "eu-west-1"), ("standby", "us-east-1")):
        target = plan.get(f"{cell}-api-domain").outputs["domainNameConfiguration"]
        assert plan.get(f"app-{role}-record").inputs["records"] == [target["targetDomainName"]]
        assert plan.get(f"{cell}-api-domain").inputs["domainName"] == "app.example.com"
    # One account holds the whole global database: the standby member lives in the primary
    # account, on the standby cell's subnets shared through RAM.
    standby_db = plan.get("app-standby-db", "aws:rds/cluster:Cluster")
    assert standby_db.provider is None and standby_db.region == "us-east-1"
    assert (
        standby_db.inputs["dbSubnetGroupName"] == plan.get("app-standby-db-subnets").outputs["name"]
    )
    assert plan.get("app-standby-db-subnets").inputs["subnetIds"] == [
        plan.get(f"us-east-1-vpc-private-{i}").outputs["id"] for i in range(3)
    ]
    assert standby_db.inputs["kmsKeyId"] == plan.get("app-standby-db-key").outputs["arn"]
    assert plan.get("app-standby-db-key").outputs["arn"].split(":")[4] == "111111111111"
    principal = plan.get("us-east-1-subnet-share-principal-0")
    assert principal.inputs["principal"] == "111111111111"
    assert principal.provider == plan.get("standby-account").urn
    assert plan.get("us-east-1-subnet-share").inputs["allowExternalPrincipals"] is False
    scaling = plan.get("app-region-switch").inputs["workflows"][0]["steps"][0]
    parallel = scaling["parallelConfigs"][0]["steps"]
    assert [s["executionBlockType"] for s in parallel] == [
        "EC2AutoScaling",
        "EKSResourceScaling",
        "AuroraGlobalDatabase",
    ]
    asgs = parallel[0]["ec2AsgCapacityIncreaseConfigs"][0]["asgs"]
    assert asgs[1]["arn"].startswith("arn:aws:autoscaling:us-east-1:222222222222:autoScalingGroup:")
    # The DR creates the plan's role in the standby account, through the standby's provider.
    cross = plan.get("app-arc-standby-cross-account", "aws:iam/role:Role")
    assert cross.provider == plan.get("standby-account").urn
    assert asgs[1]["crossAccountRole"] == cross.outputs["arn"]
    assert asgs[1]["externalId"] == "app-region-switch-standby"
    clusters = parallel[1]["eksResourceScalingConfigs"][0]
    assert clusters["eksClusters"][1]["crossAccountRole"] == cross.outputs["arn"]
    assert plan.get("app-arc-standby-access").inputs["principalArn"] == cross.outputs["arn"]
    assert '"sts:AssumeRole"' in plan.get("app-arc-policy").inputs["policy"]
    # MSK Replicator joins one account's clusters: the standby's MSK cluster is the DR's, in
    # the primary account (default provider), on the standby's RAM-shared subnets.
    target = plan.get("app-standby-kafka", "aws:msk/cluster:Cluster")
    assert target.provider is None and target.region == "us-east-1"
    assert (
        target.inputs["brokerNodeGroupInfo"]["clientSubnets"]
        == (plan.get("us-east-1", "obs-platform:cell:Cell").outputs["subnet_ids"])
    )
    assert not [r for r in plan.resources if r.name == "us-east-1-kafka"]
    replicator = plan.get("app-kafka-replicator")
    assert replicator.provider is None
    info = replicator.inputs["replicationInfoList"]
    assert info["sourceKafkaClusterArn"] == plan.get("eu-west-1-kafka").outputs["arn"]
    assert info["targetKafkaClusterArn"] == target.outputs["arn"]
    arc = plan.get("app-region-switch")
    assert arc.inputs["regions"] == ["eu-west-1", "us-east-1"]


def test_budget_in_plan_and_outputs(plan: Plan) -> None:
    [entry] = plan.dr()
    assert entry["primary_region"] == "eu-west-1" and entry["standby_region"] == "us-east-1"
    assert entry["rto_seconds"] == 185 < entry["rto_target_seconds"]
    assert entry["rpo_seconds"] == 30 < entry["rpo_target_seconds"] == 60
    assert plan.outputs["rto_seconds"] == 185 and plan.outputs["rpo_seconds"] == 30
    assert plan.outputs["primary_healthz_url"].endswith("/healthz")
    assert plan.diagnostics == ()


def test_cli_prints_tree_and_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plan.json"
    shared = shared_account_plan_json()
    assert main(["plan", str(EXAMPLE), "--stack-outputs", str(shared), "--json", str(target)]) == 0
    text = capsys.readouterr().out
    assert "Plan for project 'app-cells', stack 'dev'" in text
    assert "obs-platform:dr:PilotLightDr  app" in text
    assert "aws:rds/cluster:Cluster  app-standby-db  [us-east-1] protected" in text
    assert "DR budget (worst case, from configuration):" in text
    assert "RTO 185 s, target 300 s: meets" in text
    assert "drill: unverified" in text
    assert document_has_unverified(target)
    assert "RPO 30 s, target 60 s: meets" in text
    document = json.loads(target.read_text())
    assert document["dr"][0]["terms"]["orchestration_seconds"] == 70


def test_standby_db_placement_waits_for_the_subnet_share(plan: Plan) -> None:
    # The primary account sees the standby's subnets only once the RAM share is associated.
    share = {
        plan.get(name).urn
        for name in (
            "us-east-1-subnet-share-0",
            "us-east-1-subnet-share-1",
            "us-east-1-subnet-share-2",
            "us-east-1-subnet-share-principal-0",
        )
    }
    for name in ("app-standby-db-subnets", "app-standby-db-sg"):
        assert share <= set(plan.get(name).depends_on), name


def document_has_unverified(path: Path) -> bool:
    """The plan JSON's dr entry says the budget is unverified until a drill report is given."""
    entry = json.loads(path.read_text())["dr"][0]
    return bool(entry["verification"]["status"] == "unverified")


def test_cells_attach_to_the_shared_transit_gateway(plan: Plan) -> None:
    # The seed's layout: cells in their own accounts attach to the shared account's gateways
    # (read through the StackReference) and route the IPAM's range through them.
    shared = json.loads(shared_account_plan_json().read_text(encoding="utf-8"))
    gateways = shared["outputs"]["transit_gateway_ids"]
    tables = shared["outputs"]["transit_route_table_ids"]
    network = plan.get("network-account")
    assert "111111111111:role/obs-platform-network" in json.dumps(network.inputs["assumeRoles"])
    for region in ("eu-west-1", "us-east-1"):
        attachment = plan.get(f"{region}-tgw")
        assert attachment.type == "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
        assert attachment.inputs["transitGatewayId"] == gateways[region]
        assert attachment.region == region
        association = plan.get(f"{region}-tgw-association")
        assert association.provider == network.urn
        assert association.inputs["transitGatewayRouteTableId"] == tables[region]["cells"]
        propagation = plan.get(f"{region}-tgw-propagation-shared")
        assert propagation.inputs["transitGatewayRouteTableId"] == tables[region]["shared"]
        route = plan.get(f"{region}-tgw-route-0-10-0-0-0-8")
        assert route.inputs["transitGatewayId"] == gateways[region]
        assert attachment.urn in route.depends_on


def test_standby_kubernetes_provider_gets_its_token_as_the_standby_role(plan: Plan) -> None:
    eks = plan.get("us-east-1-eks")
    assert eks.inputs["providerCredentialOpts"] == {
        "roleArn": "arn:aws:iam::222222222222:role/obs-platform-deployer"
    }
    assert "providerCredentialOpts" not in plan.get("eu-west-1-eks").inputs


def test_each_cells_agent_crds_go_through_a_server_side_apply_provider_with_force(
    plan: Plan,
) -> None:
    """As in the shared stack: the operator CRDs exceed client-side apply's annotation limit,
    and an earlier Helm install's field manager must not block the pinned version."""
    k8s = "pulumi:providers:kubernetes"
    for cell in ("eu-west-1", "us-east-1"):
        main, crds = plan.get(f"{cell}-k8s", k8s), plan.get(f"{cell}-k8s-crds", k8s)
        assert crds.parent == main.parent == plan.get(cell).urn
        # The cell's own cluster, through the same pinned (secret) kubeconfig.
        assert crds.inputs["kubeconfig"] == main.inputs["kubeconfig"] == "[secret]"
        assert crds.inputs["enableServerSideApply"] == "true"
        assert crds.inputs["enablePatchForce"] == "true"
        assert "enablePatchForce" not in main.inputs
        assert set(main.depends_on) <= set(crds.depends_on)
        group = plan.get(f"{cell}-prometheus-crds", "kubernetes:yaml/v2:ConfigGroup")
        assert group.provider == crds.urn
        assert group.urn in plan.get(f"{cell}-telemetry-agent").depends_on
        # Everything else of the cell stays on its ordinary provider.
        assert plan.get(f"{cell}-telemetry-agent").provider == main.urn
    assert [r.name for r in plan.by_type(k8s) if r.name.endswith("-k8s-crds")] == [
        "eu-west-1-k8s-crds",
        "us-east-1-k8s-crds",
    ]
