"""Cell behaviours that decide whether it deploys and works on real AWS (issue 13).

Each test pins one rule from the AWS or provider documentation, cited where the code applies
it: who may reach the Kubernetes API, which identity gets its token, which key encrypts node
volumes, how ``/healthz`` reaches a pod, and what the public API routes and logs.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from conftest import CELL_DEPLOYER_ROLE, build_cell
from conftest import docker_hub_credential as docker_hub
from obs_platform import (
    Cell,
    CellArgs,
    ObsPlatformError,
    TransitGatewayHandle,
    TransitNetwork,
    TransitNetworkArgs,
)
from obs_platform._internal.kms import (
    AUTO_SCALING_ROLE,
    auto_scaling_key_statements,
    grants_auto_scaling,
    logs_key_policy,
)
from obs_platform.cells.health import ACCESS_LOG_FORMAT
from obs_platform.testing import Plan, run

CELL = "obs-platform:cell:Cell"
SEED: dict[str, Any] = dict(
    region="eu-west-1",
    dr_strategy="pilot-light",
    replicas=0,
    rds_global=True,
    kafka_replication=True,
)
DEPLOYER = CELL_DEPLOYER_ROLE


def build(
    args: dict[str, Any], *, provider: bool = False, captured: list[Any] | None = None
) -> Plan:
    """Plan one cell (conftest.build_cell), exporting its target group, capturing its kubeconfig."""

    def on_cell(cell: Cell) -> None:
        if captured is not None:
            cell.kubeconfig.apply(captured.append)
        pulumi.export("ingress_target_group_arn", cell.ingress_target_group_arn)

    plan: Plan = build_cell(args, provider=provider, on_cell=on_cell)
    return plan


@pytest.fixture(scope="module")
def seed() -> Plan:
    return build(dict(SEED))


# --- reaching the Kubernetes API ---------------------------------------------------------------


def test_api_endpoint_is_private_unless_cidrs_are_listed(seed: Plan) -> None:
    eks = seed.get("eu-west-1-eks")
    assert eks.inputs["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in eks.inputs
    plan = build({**SEED, "public_access_cidrs": ["203.0.113.0/24"]})
    eks = plan.get("eu-west-1-eks")
    assert eks.inputs["endpointPrivateAccess"] is True
    assert eks.inputs["endpointPublicAccess"] is True
    assert eks.inputs["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_api_open_to_the_internet_is_refused() -> None:
    with pytest.raises(ValueError, match="opens the Kubernetes API to the whole internet"):
        CellArgs.model_validate({**SEED, "public_access_cidrs": ["0.0.0.0/0"]})


def test_cross_account_cell_gets_its_token_as_the_deployer_role() -> None:
    captured: list[Any] = []
    plan = build({**SEED, "kubeconfig_role_arn": DEPLOYER}, provider=True, captured=captured)
    eks = plan.get("eu-west-1-eks")
    assert eks.inputs["providerCredentialOpts"] == {"roleArn": DEPLOYER}
    (kubeconfig,) = captured
    (user,) = json.loads(kubeconfig)["users"]
    args = user["user"]["exec"]["args"]
    assert args[args.index("--role-arn") + 1] == DEPLOYER
    assert args[args.index("--region") + 1] == "eu-west-1"
    assert plan.get("eu-west-1-k8s").inputs["kubeconfig"] == "[secret]"


def test_without_a_role_the_kubeconfig_is_pinned_to_the_region_only() -> None:
    captured: list[Any] = []
    plan = build(dict(SEED), captured=captured)
    assert "providerCredentialOpts" not in plan.get("eu-west-1-eks").inputs
    (user,) = json.loads(captured[0])["users"]
    assert "--role-arn" not in user["user"]["exec"]["args"]


def test_kubeconfig_role_must_be_a_role_arn() -> None:
    with pytest.raises(ValueError, match="is not an IAM role ARN"):
        CellArgs.model_validate({**SEED, "kubeconfig_role_arn": "obs-platform-deployer"})


def test_admin_principals_get_access_entries_before_kubernetes_objects() -> None:
    other = "arn:aws:iam::333333333333:role/ci-runner"
    plan = build({**SEED, "kubeconfig_role_arn": other, "admin_principal_arns": [other]})
    entry = plan.get("eu-west-1-admin-0")
    assert entry.type == "aws:eks/accessEntry:AccessEntry"
    assert entry.inputs["principalArn"] == other
    assert entry.inputs["type"] == "STANDARD"
    assert entry.inputs["clusterName"] == "eu-west-1-eks"
    association = plan.get("eu-west-1-admin-0-policy")
    assert association.inputs["policyArn"] == (
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )
    assert association.inputs["accessScope"] == {"type": "cluster"}
    assert entry.urn in association.depends_on
    provider = plan.get("eu-west-1-k8s")
    assert {entry.urn, association.urn} <= set(provider.depends_on)


# --- node volumes --------------------------------------------------------------------------------


def test_node_volumes_use_the_aws_managed_key_by_default(seed: Plan) -> None:
    ebs = seed.get("eu-west-1-node-template").inputs["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true"
    # No kmsKeyId: aws/ebs, which the Auto Scaling service-linked role may always use.
    assert "kmsKeyId" not in ebs


def test_a_customer_key_for_node_volumes_is_passed_through() -> None:
    key = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-4000-8000-000000000000"
    plan = build({**SEED, "node_volume_kms_key_arn": key})
    ebs = plan.get("eu-west-1-node-template").inputs["blockDeviceMappings"][0]["ebs"]
    assert ebs["kmsKeyId"] == key


def test_auto_scaling_statements_are_what_aws_documents() -> None:
    use, grant = auto_scaling_key_statements("111111111111")
    role = f"arn:aws:iam::111111111111:{AUTO_SCALING_ROLE}"
    assert use["Principal"] == {"AWS": role} and grant["Principal"] == {"AWS": role}
    assert use["Action"] == [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    ]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": True}}
    policy = {"Statement": auto_scaling_key_statements("111111111111")}
    assert grants_auto_scaling(json.dumps(policy))
    assert not grants_auto_scaling({"Statement": [use]})  # no CreateGrant
    assert not grants_auto_scaling(None)
    assert not grants_auto_scaling(logs_key_policy("111111111111", "eu-west-1", ["/x"]))


def test_cell_key_lets_cloudwatch_logs_encrypt_only_the_api_log_group(seed: Plan) -> None:
    policy = json.loads(seed.get("eu-west-1-kms").inputs["policy"])
    root, logs = policy["Statement"]
    assert root["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert root["Action"] == "kms:*"
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": [
                "arn:aws:logs:eu-west-1:111111111111:log-group:/obs-platform/eu-west-1/api-access"
            ]
        }
    }


# --- /healthz ------------------------------------------------------------------------------------


def test_nodes_are_registered_and_health_checked_on_the_node_port(seed: Plan) -> None:
    targets = seed.get("eu-west-1-tg")
    assert targets.inputs["targetType"] == "instance"
    assert targets.inputs["port"] == 30080 and targets.inputs["protocol"] == "TCP"
    assert targets.inputs["healthCheck"]["port"] == "traffic-port"
    assert targets.inputs["healthCheck"]["path"] == "/healthz"
    assert targets.inputs["healthCheck"]["protocol"] == "HTTP"
    attachment = seed.get("eu-west-1-ingress-attachment")
    assert attachment.type == "aws:autoscaling/attachment:Attachment"
    assert attachment.inputs["lbTargetGroupArn"] == targets.outputs["arn"]
    nodes = seed.get("eu-west-1-nodes")
    asg = nodes.outputs["resources"][0]["autoscalingGroups"][0]["name"]
    assert attachment.inputs["autoscalingGroupName"] == asg
    assert seed.outputs["ingress_target_group_arn"] == targets.outputs["arn"]


def test_node_port_service_selects_the_workloads(seed: Plan) -> None:
    service = seed.get("eu-west-1-ingress-service")
    assert service.provider == seed.get("eu-west-1-k8s").urn
    assert service.inputs["metadata"]["namespace"] == "app"
    assert service.inputs["spec"]["type"] == "NodePort"
    assert service.inputs["spec"]["selector"] == {"app.kubernetes.io/name": "app"}
    assert service.inputs["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080, "protocol": "TCP"}
    ]
    namespace = seed.get("eu-west-1-workload-namespace")
    assert namespace.inputs["metadata"]["name"] == "app"
    assert namespace.urn in service.depends_on


def test_exactly_the_node_port_is_open_from_the_load_balancer(seed: Plan) -> None:
    # The nodes carry pulumi-eks's node security group (the engine answers its ID).
    (node_sg,) = seed.get("eu-west-1-node-template").inputs["vpcSecurityGroupIds"]
    assert node_sg.startswith("sg-")
    lb_sg = seed.get("eu-west-1-ingress-sg")
    rule = seed.get("eu-west-1-nodes-from-ingress")
    assert rule.inputs["securityGroupId"] == node_sg
    assert rule.inputs["referencedSecurityGroupId"] == lb_sg.outputs["id"]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (30080, 30080)
    assert rule.inputs["ipProtocol"] == "tcp"
    to_nodes = [e for e in lb_sg.inputs["egress"] if e.get("securityGroups")]
    assert to_nodes == [
        {
            "protocol": "tcp",
            "fromPort": 30080,
            "toPort": 30080,
            "securityGroups": [node_sg],
            "description": "Traffic and health checks to the nodes' NodePort",
        }
    ]
    assert len(seed.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) == 1


def test_node_port_outside_the_kubernetes_range_is_refused() -> None:
    with pytest.raises(ValueError, match="ingress_node_port"):
        CellArgs.model_validate({**SEED, "ingress_node_port": 8080})


# --- the public API ------------------------------------------------------------------------------


def test_api_routes_only_the_health_check_by_default(seed: Plan) -> None:
    routes = seed.by_type("aws:apigatewayv2/route:Route")
    assert [r.inputs["routeKey"] for r in routes] == ["GET /healthz"]


def test_api_routes_what_the_user_declares() -> None:
    plan = build({**SEED, "api_routes": ["ANY /orders/{proxy+}", "GET /status"]})
    keys = {r.name: r.inputs["routeKey"] for r in plan.by_type("aws:apigatewayv2/route:Route")}
    assert keys == {
        "eu-west-1-api-route": "GET /healthz",
        "eu-west-1-api-route-0": "ANY /orders/{proxy+}",
        "eu-west-1-api-route-1": "GET /status",
    }
    integration = plan.get("eu-west-1-api-integration").outputs["id"]
    assert {r.inputs["target"] for r in plan.by_type("aws:apigatewayv2/route:Route")} == {
        f"integrations/{integration}"
    }


@pytest.mark.parametrize("key", ["/orders", "FETCH /orders", "GET orders", "$connect"])
def test_malformed_route_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="is not an HTTP API route key"):
        CellArgs.model_validate({**SEED, "api_routes": [key]})


def test_access_logs_go_to_an_encrypted_log_group_with_retention(seed: Plan) -> None:
    logs = seed.get("eu-west-1-api-logs")
    assert logs.type == "aws:cloudwatch/logGroup:LogGroup"
    assert logs.inputs["name"] == "/obs-platform/eu-west-1/api-access"
    assert logs.inputs["retentionInDays"] == 90
    assert logs.inputs["kmsKeyId"] == seed.get("eu-west-1-kms").outputs["arn"]
    stage = seed.get("eu-west-1-api-stage")
    assert stage.inputs["accessLogSettings"] == {
        "destinationArn": logs.outputs["arn"],
        "format": ACCESS_LOG_FORMAT,
    }
    assert json.loads(ACCESS_LOG_FORMAT)["routeKey"] == "$context.routeKey"


def test_retention_must_be_one_cloudwatch_accepts() -> None:
    with pytest.raises(ValueError, match="10 is not a CloudWatch Logs retention"):
        CellArgs.model_validate({**SEED, "api_log_retention_days": 10})
    assert CellArgs.model_validate({**SEED, "api_log_retention_days": 14})


# --- availability zones --------------------------------------------------------------------------


def test_static_vpc_subnets_are_placed_by_zone_id_without_eks_unsupported_zones() -> None:
    plan = build({**SEED, "region": "us-east-1"})
    zones = [plan.get(f"eu-west-1-vpc-private-{i}").inputs["availabilityZoneId"] for i in range(3)]
    assert zones == ["use1-az1", "use1-az2", "use1-az4"]  # use1-az3: EKS refuses it
    assert "availabilityZone" not in plan.get("eu-west-1-vpc-private-0").inputs


def test_caller_pinned_zone_ids() -> None:
    plan = build({**SEED, "az_count": 2, "availability_zone_ids": ["euw1-az3", "euw1-az1"]})
    zones = [plan.get(f"eu-west-1-vpc-private-{i}").inputs["availabilityZoneId"] for i in (0, 1)]
    assert zones == ["euw1-az3", "euw1-az1"]


def test_pinned_eks_unsupported_zone_is_refused() -> None:
    with pytest.raises(ObsPlatformError, match="does not support Amazon EKS") as info:
        Cell(
            "c",
            {
                **SEED,
                "region": "us-east-1",
                "az_count": 2,
                "availability_zone_ids": ["use1-az3", "use1-az1"],
            },
        )
    assert info.value.field == "CellArgs.availability_zone_ids"


# --- the shared Transit Gateway, by ID -----------------------------------------------------------

TGW_IDS = {"eu-west-1": "tgw-0123456789abcdef0", "us-east-1": "tgw-0fedcba9876543210"}
TABLES = {
    "eu-west-1": {"shared": "tgw-rtb-000000000000000a1", "cells": "tgw-rtb-000000000000000c1"},
    "us-east-1": {"shared": "tgw-rtb-000000000000000a2", "cells": "tgw-rtb-000000000000000c2"},
}
NETWORK_ROLE = "arn:aws:iam::111111111111:role/network-deployer"


def attached(extra: dict[str, Any], *, network_provider: bool) -> Plan:
    def program() -> None:
        network = (
            aws.Provider(
                "network-account", region="eu-west-1", assume_roles=[{"role_arn": NETWORK_ROLE}]
            )
            if network_provider
            else None
        )
        cell_account = aws.Provider(
            "cell-account", region="eu-west-1", assume_roles=[{"role_arn": DEPLOYER}]
        )
        handle = TransitGatewayHandle.from_outputs(
            "eu-west-1",
            transit_gateway_ids=pulumi.Output.from_input(TGW_IDS),
            route_table_ids=pulumi.Output.from_input(TABLES),
        )
        cell = Cell(
            "eu-west-1",
            {
                **SEED,
                "transit_gateway": handle,
                "transit_network_provider": network,
                "transit_routes": ["10.0.0.0/8"],
                "docker_hub_credential_arn": docker_hub(),
                **extra,
            },
            pulumi.ResourceOptions(providers=[cell_account]),
        )
        pulumi.export("transit_attachment_id", cell.transit_attachment_id)

    return run(program, config={"aws:region": "eu-west-1"})


def test_cell_attaches_to_the_shared_gateway_by_id_in_its_own_account() -> None:
    plan = attached({}, network_provider=True)
    cell_account = plan.get("cell-account").urn
    network = plan.get("network-account").urn
    attachment = plan.get("eu-west-1-tgw")
    assert attachment.type == "aws:ec2transitgateway/vpcAttachment:VpcAttachment"
    assert attachment.provider == cell_account
    assert attachment.inputs["transitGatewayId"] == TGW_IDS["eu-west-1"]
    assert attachment.inputs["vpcId"] == plan.get("eu-west-1-vpc").outputs["id"]
    assert attachment.inputs["transitGatewayDefaultRouteTableAssociation"] is False
    assert attachment.region == "eu-west-1"
    # Segment placement in the gateway's account: cells table, propagating into shared only.
    association = plan.get("eu-west-1-tgw-association")
    assert association.provider == network
    assert association.inputs["transitGatewayRouteTableId"] == TABLES["eu-west-1"]["cells"]
    assert association.inputs["transitGatewayAttachmentId"] == attachment.outputs["id"]
    propagation = plan.get("eu-west-1-tgw-propagation-shared")
    assert propagation.provider == network
    assert propagation.inputs["transitGatewayRouteTableId"] == TABLES["eu-west-1"]["shared"]
    assert not [r for r in plan.resources if r.name == "eu-west-1-tgw-propagation-cells"]
    # The VPC's route tables reach transit_routes through the attachment.
    for i in range(3):
        route = plan.get(f"eu-west-1-tgw-route-{i}-10-0-0-0-8")
        assert route.inputs["transitGatewayId"] == TGW_IDS["eu-west-1"]
        assert route.inputs["routeTableId"] == plan.get(f"eu-west-1-vpc-rt-{i}").outputs["id"]
        assert attachment.urn in route.depends_on
        assert route.provider == cell_account
    assert plan.outputs["transit_attachment_id"] == attachment.outputs["id"]


def test_without_a_network_provider_the_shared_side_associates() -> None:
    plan = attached({}, network_provider=False)
    assert not plan.by_type("aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation")

    def shared() -> None:
        transit = TransitNetwork("transit", TransitNetworkArgs(regions=["eu-west-1"]))
        transit.associate_attachment(
            "eu-west-1-tgw", region="eu-west-1", attachment_id="tgw-attach-0123456789abcdef0"
        )

    network = run(shared, config={"aws:region": "eu-west-1"})
    association = network.get("transit-eu-west-1-tgw-association")
    assert association.inputs["transitGatewayAttachmentId"] == "tgw-attach-0123456789abcdef0"
    cells = network.get("transit-rt-eu-west-1-cells").outputs["id"]
    assert association.inputs["transitGatewayRouteTableId"] == cells
    propagation = network.get("transit-eu-west-1-tgw-propagation-shared")
    assert (
        propagation.inputs["transitGatewayRouteTableId"]
        == (network.get("transit-rt-eu-west-1-shared").outputs["id"])
    )


def test_transit_routes_without_a_gateway_are_refused() -> None:
    with pytest.raises(ObsPlatformError, match="need a Transit Gateway") as info:
        Cell("c", {**SEED, "transit_routes": ["10.0.0.0/8"]})
    assert info.value.field == "CellArgs.transit_routes"


def test_handle_of_another_region_is_refused() -> None:
    handle = TransitGatewayHandle(
        region="us-east-1", transit_gateway_id="tgw-1", route_table_ids=TABLES["us-east-1"]
    )
    with pytest.raises(ObsPlatformError, match="a VPC attaches only to a gateway in its own"):
        Cell("c", {**SEED, "transit_gateway": handle})


def test_handle_without_the_segments_is_refused() -> None:
    handle = TransitGatewayHandle(
        region="eu-west-1", transit_gateway_id="tgw-1", route_table_ids={"shared": "tgw-rtb-1"}
    )
    with pytest.raises(ObsPlatformError, match=r"lacks the segments \['cells'\]"):
        Cell("c", {**SEED, "transit_gateway": handle})


def test_handle_of_the_network_in_the_same_program() -> None:
    def program() -> None:
        transit = TransitNetwork("transit", TransitNetworkArgs(regions=["eu-west-1"]))
        handle = transit.handle("eu-west-1")
        pulumi.export("tgw", handle.transit_gateway_id)
        pulumi.export("tables", handle.route_table_ids)

    plan = run(program, config={"aws:region": "eu-west-1"})
    assert plan.outputs["tgw"] == plan.get("transit-tgw-eu-west-1").outputs["id"]
    assert plan.outputs["tables"] == {
        "shared": plan.get("transit-rt-eu-west-1-shared").outputs["id"],
        "cells": plan.get("transit-rt-eu-west-1-cells").outputs["id"],
    }


# --- images --------------------------------------------------------------------------------------


def test_cell_without_any_image_path_is_refused() -> None:
    with pytest.raises(ObsPlatformError, match="no internet path") as info:
        Cell("c", dict(SEED))
    assert info.value.field == "CellArgs.docker_hub_credential_arn"
    assert "image_source='mirror'" in str(info.value)


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        ("arn:aws:secretsmanager:eu-west-1:111111111111:secret:dockerhub-Ab12Cd", "named"),
        (docker_hub("us-east-1"), "the secret is in us-east-1"),
        ("dockerhub", "not a Secrets Manager secret ARN"),
    ],
)
def test_credential_ecr_would_refuse_is_refused(arn: str, message: str) -> None:
    with pytest.raises(ObsPlatformError, match=message):
        Cell("c", {**SEED, "docker_hub_credential_arn": arn})


def test_pull_through_caches_in_the_cells_account(seed: Plan) -> None:
    rule = seed.get("eu-west-1-ptc-docker-hub")
    assert rule.type == "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
    assert rule.inputs["ecrRepositoryPrefix"] == "docker-hub"
    assert rule.inputs["upstreamRegistryUrl"] == "registry-1.docker.io"
    assert rule.inputs["credentialArn"] == docker_hub()
    assert rule.region == "eu-west-1"
    daemonset = seed.get("eu-west-1-telemetry-collector")
    (container,) = daemonset.inputs["spec"]["template"]["spec"]["containers"]
    assert container["image"] == (
        "111111111111.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/"
        "otel/opentelemetry-collector-contrib:0.123.0"
    )
    assert rule.urn in daemonset.depends_on
    policy = json.loads(seed.get("eu-west-1-node-role-pull-through").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"]
    assert statement["Resource"] == ["arn:aws:ecr:eu-west-1:111111111111:repository/docker-hub/*"]
    nodes = seed.get("eu-west-1-nodes")
    assert seed.get("eu-west-1-node-role-pull-through").urn in nodes.depends_on


def test_mirror_rewrites_the_collector_image() -> None:
    mirror = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mirror"
    plan = build({**SEED, "image_source": "mirror", "image_registry": mirror})
    (container,) = plan.get("eu-west-1-telemetry-collector").inputs["spec"]["template"]["spec"][
        "containers"
    ]
    assert container["image"] == f"{mirror}/otel/opentelemetry-collector-contrib:0.123.0"
    assert not plan.by_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")


def test_mirror_needs_the_registry() -> None:
    with pytest.raises(ObsPlatformError, match="needs image_registry"):
        Cell("c", {**SEED, "image_source": "mirror"})


def test_egress_needs_a_default_route_through_the_gateway() -> None:
    with pytest.raises(ObsPlatformError, match="no route") as info:
        Cell("c", {**SEED, "image_source": "egress"})
    assert info.value.field == "CellArgs.image_source"
    handle = TransitGatewayHandle(
        region="eu-west-1", transit_gateway_id="tgw-1", route_table_ids=TABLES["eu-west-1"]
    )
    plan = build(
        {
            **SEED,
            "image_source": "egress",
            "transit_gateway": handle,
            "transit_routes": ["0.0.0.0/0"],
        }
    )
    (container,) = plan.get("eu-west-1-telemetry-collector").inputs["spec"]["template"]["spec"][
        "containers"
    ]
    assert container["image"] == "otel/opentelemetry-collector-contrib:0.123.0"
    assert plan.get("eu-west-1-tgw-route-0-0-0-0-0-0").inputs["destinationCidrBlock"] == (
        "0.0.0.0/0"
    )
