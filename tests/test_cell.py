"""Cell under the offline engine: the seed contract, the exact graph and every refusal."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
import yaml

import reference
from conftest import build_cell, parsed_collector_config
from conftest import docker_hub_credential as docker_hub
from obs_platform import Cell, CellArgs, ObsPlatformError, TransitNetwork, TransitNetworkArgs
from obs_platform._internal.alert_rules import (
    DR_ROLE_TAG,
    NODE_METRIC,
    STANDBY_NODES_RECORD,
    dr_rules,
)
from obs_platform._internal.yace import STANDBY_ONLY
from obs_platform.cell import INTERFACE_ENDPOINTS
from obs_platform.testing import Plan, ProgramError, run

CELL = "obs-platform:cell:Cell"


SEED = dict(
    region="eu-west-1",
    dr_strategy="pilot-light",
    replicas=0,
    rds_global=True,
    kafka_replication=True,
)


def build(
    args: dict[str, Any],
    *,
    name: str = "eu-west-1",
    provider: bool = False,
    region: str = "eu-west-1",
) -> tuple[Plan, list[Any]]:
    """Plan one cell (conftest.build_cell); also return its DR site when it is pilot-light."""
    sites: list[Any] = []

    def on_cell(cell: Cell) -> None:
        if cell.args.dr_strategy.value == "pilot-light":
            sites.append(cell.dr_site())
        pulumi.export("healthz_url", cell.healthz_url)

    plan = build_cell(args, name=name, region=region, provider=provider, on_cell=on_cell)
    return plan, sites


@pytest.fixture(scope="module")
def seed() -> Plan:
    def program() -> None:
        Cell(
            "eu-west-1",
            CellArgs(
                region="eu-west-1",
                dr_strategy="pilot-light",
                replicas=0,
                rds_global=True,
                kafka_replication=True,
                docker_hub_credential_arn=docker_hub(),
            ),
        )

    return run(program, config={"aws:region": "eu-west-1"})


def test_seed_contract_graph(seed: Plan) -> None:
    cell = seed.get("eu-west-1", CELL)
    children = seed.children(cell)
    assert all(r.parent == cell.urn for r in children)
    assert seed.descendants(cell) == children
    names = {(r.type, r.name) for r in children}
    expected = {
        ("aws:kms/key:Key", "eu-west-1-kms"),
        ("aws:kms/alias:Alias", "eu-west-1-kms-alias"),
        ("aws:ec2/vpc:Vpc", "eu-west-1-vpc"),
        ("aws:ec2/securityGroup:SecurityGroup", "eu-west-1-endpoints-sg"),
        ("aws:ec2/vpcEndpoint:VpcEndpoint", "eu-west-1-endpoint-s3"),
        ("eks:index:Cluster", "eu-west-1-eks"),
        ("aws:iam/role:Role", "eu-west-1-node-role"),
        ("aws:ec2/launchTemplate:LaunchTemplate", "eu-west-1-node-template"),
        ("aws:eks/nodeGroup:NodeGroup", "eu-west-1-nodes"),
        ("aws:rds/subnetGroup:SubnetGroup", "eu-west-1-db-subnets"),
        ("aws:ec2/securityGroup:SecurityGroup", "eu-west-1-db-sg"),
        ("aws:ec2/securityGroup:SecurityGroup", "eu-west-1-kafka-sg"),
        ("aws:msk/cluster:Cluster", "eu-west-1-kafka"),
        ("aws:ec2/securityGroup:SecurityGroup", "eu-west-1-ingress-sg"),
        ("aws:lb/loadBalancer:LoadBalancer", "eu-west-1-ingress"),
        ("aws:lb/targetGroup:TargetGroup", "eu-west-1-tg"),
        ("aws:lb/listener:Listener", "eu-west-1-ingress-listener"),
        ("aws:apigatewayv2/api:Api", "eu-west-1-api"),
        ("aws:apigatewayv2/vpcLink:VpcLink", "eu-west-1-api-link"),
        ("aws:apigatewayv2/integration:Integration", "eu-west-1-api-integration"),
        ("aws:apigatewayv2/route:Route", "eu-west-1-api-route"),
        ("aws:apigatewayv2/stage:Stage", "eu-west-1-api-stage"),
        ("pulumi:providers:kubernetes", "eu-west-1-k8s"),
        ("kubernetes:apps/v1:DaemonSet", "eu-west-1-telemetry-collector"),
        ("kubernetes:core/v1:ConfigMap", "eu-west-1-telemetry-config"),
        ("kubernetes:core/v1:Service", "eu-west-1-telemetry-service"),
        (
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "eu-west-1-nodes-from-ingress",
        ),
        ("aws:autoscaling/attachment:Attachment", "eu-west-1-ingress-attachment"),
        ("aws:cloudwatch/logGroup:LogGroup", "eu-west-1-api-logs"),
        ("kubernetes:core/v1:Namespace", "eu-west-1-workload-namespace"),
        ("kubernetes:core/v1:Service", "eu-west-1-ingress-service"),
        ("aws:ecr/pullThroughCacheRule:PullThroughCacheRule", "eu-west-1-ptc-docker-hub"),
        ("aws:iam/rolePolicy:RolePolicy", "eu-west-1-node-role-pull-through"),
        ("aws:s3/bucket:Bucket", "eu-west-1-ingress-logs-bucket"),
        ("aws:s3/bucketPolicy:BucketPolicy", "eu-west-1-ingress-logs-policy"),
    }
    assert expected <= names
    for i in range(3):
        assert ("aws:ec2/subnet:Subnet", f"eu-west-1-vpc-private-{i}") in names
    for service in INTERFACE_ENDPOINTS:
        assert (
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            f"eu-west-1-endpoint-{service.replace('.', '-')}",
        ) in names
    # rds_global: the member cluster belongs to the PilotLightDr, not the cell.
    assert not seed.by_type("aws:rds/cluster:Cluster")
    # 11 endpoints, 3 subnets + 3 tables + 3 associations, 4 node-role attachments, ...
    assert len(children) == 67
    assert {r.region for r in children if r.type.startswith("aws:")} == {"eu-west-1"}


def test_eks_private_encrypted_always_there(seed: Plan) -> None:
    eks = seed.get("eu-west-1-eks")
    assert eks.protect
    assert eks.inputs["endpointPrivateAccess"] is True
    assert eks.inputs["endpointPublicAccess"] is False
    assert eks.inputs["skipDefaultNodeGroup"] is True
    assert eks.inputs["authenticationMode"] == "API"
    assert eks.inputs["name"] == "eu-west-1-eks"
    assert eks.inputs["encryptionConfigKeyArn"] == seed.get("eu-west-1-kms").outputs["arn"]
    assert eks.inputs["privateSubnetIds"] == [
        seed.get(f"eu-west-1-vpc-private-{i}").outputs["id"] for i in range(3)
    ]


def test_node_group_scales_from_zero(seed: Plan) -> None:
    nodes = seed.get("eu-west-1-nodes")
    assert nodes.inputs["scalingConfig"] == {"desiredSize": 0, "minSize": 0, "maxSize": 10}
    assert nodes.ignore_changes == ("scalingConfig.desiredSize",)
    assert nodes.inputs["clusterName"] == "eu-west-1-eks"
    assert nodes.inputs["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert seed.get("eu-west-1-eks").urn in nodes.depends_on
    template = seed.get("eu-west-1-node-template")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    asg = seed.get("eu-west-1", CELL).outputs["node_group_asg_arn"]
    assert asg.startswith("arn:aws:autoscaling:eu-west-1:111111111111:autoScalingGroup:")
    assert asg.endswith(
        ":autoScalingGroupName/" + nodes.outputs["resources"][0]["autoscalingGroups"][0]["name"]
    )
    k8s_provider = seed.get("eu-west-1-k8s")
    assert nodes.urn in k8s_provider.depends_on


def test_msk_and_database_placement(seed: Plan) -> None:
    kafka = seed.get("eu-west-1-kafka")
    assert kafka.protect
    assert kafka.inputs["clientAuthentication"]["sasl"] == {"iam": True}
    assert kafka.inputs["encryptionInfo"]["encryptionInTransit"] == {
        "clientBroker": "TLS",
        "inCluster": True,
    }
    assert kafka.inputs["numberOfBrokerNodes"] == 3
    connectivity = kafka.inputs["brokerNodeGroupInfo"]["connectivityInfo"]
    assert connectivity["vpcConnectivity"]["clientAuthentication"]["sasl"] == {"iam": True}
    policy = seed.get("eu-west-1-kafka-policy")
    assert policy.inputs["clusterArn"] == kafka.outputs["arn"]
    assert '"kafka:CreateVpcConnection"' in policy.inputs["policy"]
    db_sg = seed.get("eu-west-1-db-sg")
    assert db_sg.inputs["ingress"][0]["fromPort"] == 5432
    assert seed.get("eu-west-1-kms").protect


def test_healthz_exposure(seed: Plan) -> None:
    nlb = seed.get("eu-west-1-ingress")
    assert nlb.inputs["internal"] is True and nlb.inputs["loadBalancerType"] == "network"
    integration = seed.get("eu-west-1-api-integration")
    assert integration.inputs["connectionType"] == "VPC_LINK"
    assert (
        integration.inputs["integrationUri"]
        == seed.get("eu-west-1-ingress-listener").outputs["arn"]
    )
    targets = seed.get("eu-west-1-tg")
    assert targets.inputs["healthCheck"]["path"] == "/healthz"


def test_ingress_nlb_logs_access_and_resists_deletion(seed: Plan) -> None:
    nlb = seed.get("eu-west-1-ingress")
    bucket = seed.get("eu-west-1-ingress-logs-bucket")
    assert nlb.inputs["enableDeletionProtection"] is True
    assert nlb.inputs["accessLogs"] == {"bucket": bucket.outputs["bucket"], "enabled": True}
    assert bucket.protect is True and bucket.region == "eu-west-1"
    assert bucket.parent == seed.get("eu-west-1", CELL).urn
    policy_resource = seed.get("eu-west-1-ingress-logs-policy")
    assert policy_resource.urn in nlb.depends_on
    statements = {s["Sid"]: s for s in json.loads(policy_resource.inputs["policy"])["Statement"]}
    write = statements["AWSLogDeliveryWrite"]
    assert write["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert write["Resource"] == f"{bucket.outputs['arn']}/AWSLogs/111111111111/*"
    assert write["Condition"]["ArnLike"] == {
        "aws:SourceArn": ["arn:aws:logs:eu-west-1:111111111111:*"]
    }
    assert statements["DenyInsecureTransport"]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    encryption = seed.get("eu-west-1-ingress-logs-encryption").inputs["rules"]
    assert encryption == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    public = seed.get("eu-west-1-ingress-logs-public-access").inputs
    assert all(public[f] is True for f in ("blockPublicAcls", "blockPublicPolicy"))
    assert all(public[f] is True for f in ("ignorePublicAcls", "restrictPublicBuckets"))


@pytest.mark.parametrize(
    ("given", "deletion_protection"),
    [
        ({"ingress_access_logs": False, "ingress_deletion_protection": False}, False),
        ({"ingress_access_logs": False, "protect": False}, False),
        (
            {"ingress_access_logs": False, "protect": False, "ingress_deletion_protection": True},
            True,
        ),
    ],
)
def test_ingress_nlb_switches(given: dict[str, Any], deletion_protection: bool) -> None:
    plan, _ = build({**SEED, **given})
    nlb = plan.get("eu-west-1-ingress")
    assert nlb.inputs["enableDeletionProtection"] is deletion_protection
    assert "accessLogs" not in nlb.inputs
    assert not plan.by_type("aws:s3/bucket:Bucket")


def test_custom_domain_is_the_record_target() -> None:
    cert = "arn:aws:acm:eu-west-1:111111111111:certificate/abc"
    plan, sites = build({**SEED, "api_domain_name": "app.example.com", "api_certificate_arn": cert})
    domain = plan.get("eu-west-1-api-domain")
    assert domain.inputs["domainName"] == "app.example.com"
    assert domain.inputs["domainNameConfiguration"]["certificateArn"] == cert
    assert domain.inputs["domainNameConfiguration"]["endpointType"] == "REGIONAL"
    assert domain.inputs["domainNameConfiguration"]["securityPolicy"] == "TLS_1_2"
    mapping = plan.get("eu-west-1-api-mapping")
    assert mapping.inputs["apiId"] == plan.get("eu-west-1-api").outputs["id"]
    assert mapping.inputs["stage"] == plan.get("eu-west-1-api-stage").outputs["id"]
    assert sites[0].record_target is not None


def test_telemetry_labels_and_endpoints() -> None:
    plan, _ = build(
        {
            **SEED,
            "telemetry": {
                "metrics_remote_write_url": "https://prom.shared/api/v1/write",
                "logs_otlp_url": "https://loki.shared/otlp",
                "traces_otlp_endpoint": "tempo.shared:4317",
            },
        }
    )
    config = yaml.safe_load(plan.get("eu-west-1-telemetry-config").inputs["data"]["config.yaml"])
    labels = {
        "cell": "eu-west-1",
        "dr_role": "standby",
        "dr_strategy": "pilot-light",
        "region": "eu-west-1",
        "account": "111111111111",
        "cluster": "eu-west-1",
    }
    assert config["exporters"]["prometheusremotewrite"]["external_labels"] == labels
    assert (
        config["exporters"]["prometheusremotewrite"]["endpoint"]
        == "https://prom.shared/api/v1/write"
    )
    assert config["exporters"]["otlphttp/loki"]["endpoint"] == "https://loki.shared/otlp"
    assert config["exporters"]["otlp/tempo"]["endpoint"] == "tempo.shared:4317"
    assert {a["key"]: a["value"] for a in config["processors"]["resource"]["attributes"]} == labels
    assert set(config["service"]["pipelines"]) == {"metrics", "logs", "traces"}
    daemonset = plan.get("eu-west-1-telemetry-collector")
    assert daemonset.provider == plan.get("eu-west-1-k8s").urn


@pytest.mark.parametrize(
    ("args", "role"),
    [
        ({**SEED, "replicas": 3}, "primary"),
        ({"region": "eu-west-1", "replicas": 0}, "primary"),
        ({"region": "eu-west-1"}, "primary"),
    ],
)
def test_telemetry_dr_role_of_serving_cells(args: dict[str, Any], role: str) -> None:
    # A pilot-light cell with nodes, and a standalone cell (even at zero nodes), serve: primary.
    plan, _ = build(
        {**args, "telemetry": {"metrics_remote_write_url": "https://prom.shared/api/v1/write"}}
    )
    assert CellArgs.model_validate(args).dr_role == role
    config = yaml.safe_load(plan.get("eu-west-1-telemetry-config").inputs["data"]["config.yaml"])
    external = config["exporters"]["prometheusremotewrite"]["external_labels"]
    assert external["dr_role"] == role
    assert {"key": "dr_role", "value": role, "action": "upsert"} in config["processors"][
        "resource"
    ]["attributes"]


@pytest.mark.parametrize(
    ("args", "role"),
    [
        ({**SEED, "replicas": 2, "standby": True}, "standby"),  # a warm standby keeps nodes
        ({**SEED, "replicas": 0, "standby": False}, "primary"),  # a primary at zero nodes
        ({**SEED, "replicas": 0}, "standby"),  # inferred
    ],
)
def test_standby_setting_decides_the_dr_role(args: dict[str, Any], role: str) -> None:
    plan, _ = build(
        {**args, "telemetry": {"metrics_remote_write_url": "https://prom.shared/api/v1/write"}}
    )
    assert CellArgs.model_validate(args).dr_role == role
    config = yaml.safe_load(plan.get("eu-west-1-telemetry-config").inputs["data"]["config.yaml"])
    assert config["exporters"]["prometheusremotewrite"]["external_labels"]["dr_role"] == role


def test_standby_without_pilot_light_is_refused() -> None:
    with pytest.raises(ValueError, match="standby=True needs dr_strategy='pilot-light'") as err:
        CellArgs.model_validate({"region": "eu-west-1", "standby": True})
    assert "got 'none'" in str(err.value)


def test_telemetry_dr_role_is_what_the_standby_rules_select() -> None:
    # The StandbyNotReady / DrSignalsMissing recording rule selects the label the cell sets.
    (record,) = [
        r
        for r in dr_rules(rpo_target_seconds=60, rto_target_seconds=300)["rules"]
        if r.get("record") == STANDBY_NODES_RECORD
    ]
    assert record["expr"] == f'count by (cell) ({NODE_METRIC}{{dr_role="standby"}})'
    assert CellArgs.model_validate(SEED).dr_role == "standby"


@pytest.mark.parametrize(
    ("args", "role", "instance_role"),
    [({**SEED, "replicas": 0}, "standby", "standby"), ({**SEED, "replicas": 2}, "primary", None)],
)
def test_cluster_and_standby_instances_carry_the_dr_role_tag_the_exporter_reads(
    args: dict[str, Any], role: str, instance_role: str | None
) -> None:
    # YACE reads AWS/EKS and AWS/EC2 only for resources tagged dr-role=standby
    # (yace.STANDBY_ONLY); pulumi-eks applies Cluster.tags to the EKS cluster it manages.
    plan, _ = build(args)
    assert plan.get("eu-west-1-eks").inputs["tags"][DR_ROLE_TAG] == role
    (spec,) = plan.get("eu-west-1-node-template").inputs["tagSpecifications"]
    assert spec["resourceType"] == "instance"
    assert spec["tags"]["cell"] == "eu-west-1"
    # a primary's launch template (and so its nodes) does not change for the tag
    assert spec["tags"].get(DR_ROLE_TAG) == instance_role
    assert STANDBY_ONLY == ((DR_ROLE_TAG, "^standby$"),)


def test_collector_config_without_endpoints() -> None:
    config = parsed_collector_config()
    assert list(config["exporters"]) == ["debug"]
    assert list(config["receivers"]) == ["otlp"]


def test_cell_in_its_own_account_and_region() -> None:
    plan, sites = build({**SEED, "region": "us-east-1"}, name="us-east-1", provider=True)
    provider = plan.get("cell-account").urn
    cell = plan.get("us-east-1", CELL)
    aws_children = [r for r in plan.children(cell) if r.type.startswith("aws:")]
    assert aws_children and all(r.provider == provider for r in aws_children)
    assert {r.region for r in aws_children} == {"us-east-1"}
    assert sites[0].provider is not None
    arn = plan.outputs["healthz_url"]
    assert arn.endswith(".execute-api.us-east-1.amazonaws.com/healthz")
    assert "us-east-1-aws" not in {r.name for r in plan.resources}


def test_region_other_than_stack_gets_provider_for_eks() -> None:
    plan, _ = build({**SEED, "region": "us-west-2"}, name="us-west-2")
    provider = plan.get("us-west-2-aws")
    assert provider.inputs["region"] == "us-west-2"


def test_ipam_pool_and_transit_attachment() -> None:
    def program() -> None:
        transit = TransitNetwork("transit", TransitNetworkArgs(regions=["eu-west-1"]))
        Cell(
            "eu-west-1",
            {
                **SEED,
                "ipam_pool_id": "ipam-pool-0123456789abcdef0",
                "transit_network": transit,
                "transit_routes": ["10.0.0.0/8"],
                "docker_hub_credential_arn": docker_hub(),
            },
        )

    plan = run(program, config={"aws:region": "eu-west-1"})
    vpc = plan.get("eu-west-1-vpc")
    assert vpc.inputs["ipv4IpamPoolId"] == "ipam-pool-0123456789abcdef0"
    assert vpc.inputs["ipv4NetmaskLength"] == 20
    attachment = plan.get("eu-west-1-tgw", "aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert attachment.parent == plan.get("eu-west-1", CELL).urn
    route = plan.get("eu-west-1-tgw-route-0-10-0-0-0-8")
    assert route.inputs["destinationCidrBlock"] == "10.0.0.0/8"
    assert (
        route.inputs["transitGatewayId"]
        == plan.get(
            "transit-tgw-eu-west-1", "aws:ec2transitgateway/transitGateway:TransitGateway"
        ).outputs["id"]
    )


def test_subnets_shared_with_the_database_account() -> None:
    plan, _ = build({**SEED, "share_subnets_with": ["444444444444"]})
    share = plan.get("eu-west-1-subnet-share")
    assert share.inputs["allowExternalPrincipals"] is False
    for i in range(3):
        association = plan.get(f"eu-west-1-subnet-share-{i}")
        assert (
            association.inputs["resourceArn"]
            == plan.get(f"eu-west-1-vpc-private-{i}").outputs["arn"]
        )
        assert association.inputs["resourceShareArn"] == share.outputs["arn"]
    assert plan.get("eu-west-1-subnet-share-principal-0").inputs["principal"] == "444444444444"


def test_standalone_cell_owns_its_database() -> None:
    plan, sites = build({"region": "eu-west-1"})
    assert not sites
    cluster = plan.get("eu-west-1-db", "aws:rds/cluster:Cluster")
    assert cluster.protect and cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["manageMasterUserPassword"] is True
    assert cluster.inputs["storageEncrypted"] is True
    assert "masterPassword" not in cluster.inputs
    assert [r.name for r in plan.by_type("aws:rds/clusterInstance:ClusterInstance")] == [
        "eu-west-1-db-0",
        "eu-west-1-db-1",
    ]
    assert not plan.by_type("aws:msk/cluster:Cluster")
    assert plan.get("eu-west-1-nodes").inputs["scalingConfig"]["desiredSize"] == 2


def test_dr_site_carries_the_cell() -> None:
    plan, sites = build(dict(SEED))
    site = sites[0]
    assert site.eks_cluster_name == plan.get("eu-west-1-eks").inputs["name"]
    assert site.name == "eu-west-1" and site.region == "eu-west-1"
    assert site.warm_nodes == 0 and site.scaling_namespace == "app"
    assert site.kubernetes_provider is not None and site.provider is None


def test_strimzi_resources_validate() -> None:
    plan, sites = build(
        {
            **SEED,
            "replicas": 3,
            "kafka_engine": "strimzi",
            "kafka_advertised_host": "kafka.eu-west-1.cells.internal",
        }
    )
    assert not plan.by_type("aws:msk/cluster:Cluster")
    release = plan.get("eu-west-1-strimzi")
    assert release.inputs["chart"] == "strimzi-kafka-operator"
    assert release.inputs["version"] == "1.2.0"
    assert release.inputs["repositoryOpts"] == {"repo": "https://strimzi.io/charts/"}
    for name, kind in (("eu-west-1-kafka", "Kafka"), ("eu-west-1-kafka-pool", "KafkaNodePool")):
        resource = plan.get(name)
        assert resource.inputs["kind"] == kind
        reference.validate_custom_resource(resource.inputs)
    assert sites[0].kafka_bootstrap_servers == "kafka.eu-west-1.cells.internal:9095"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"rds_global": True, "dr_strategy": "none"}, "rds_global=True"),
        ({**SEED, "kafka_engine": "strimzi"}, "Strimzi runs the brokers"),
        ({"replicas": 12}, "exceeds max_replicas"),
        ({"api_domain_name": "app.example.com"}, "go together"),
        ({"az_count": 6, "vpc_cidr": "10.0.0.0/22"}, "az_count"),
        ({"region": "eu-west-9"}, "CellArgs.region"),
        ({"dr_strategy": "active-active"}, "CellArgs.dr_strategy"),
        ({"replicas": -1}, "CellArgs.replicas"),
        ({"vpc_cidr": "10.0.0.1/20"}, "host bits"),
        ({"surprise": 1}, "unknown field"),
    ],
)
def test_refused(args: dict[str, Any], expected: str) -> None:
    merged = {"region": "eu-west-1", **args}
    with pytest.raises(ProgramError) as info:
        build(merged)
    assert isinstance(info.value.original, ObsPlatformError)
    assert expected in str(info.value.original)


def test_dr_site_refused_for_standalone_cell() -> None:
    def program() -> None:
        Cell("solo", {"region": "eu-west-1", "docker_hub_credential_arn": docker_hub()}).dr_site()

    with pytest.raises(ProgramError) as info:
        run(program, config={"aws:region": "eu-west-1"})
    assert "dr_strategy='pilot-light'" in str(info.value.original)


def test_a_strimzi_cell_ships_the_kafka_and_mirror_maker_metrics() -> None:
    plan, _ = build(
        {
            **SEED,
            "replicas": 3,
            "kafka_engine": "strimzi",
            "kafka_advertised_host": "kafka.eu-west-1.cells.internal",
            "telemetry": {"metrics_remote_write_url": "https://prom.shared/api/v1/write"},
        }
    )
    config = yaml.safe_load(plan.get("eu-west-1-telemetry-config").inputs["data"]["config.yaml"])
    assert "prometheus/strimzi" in config["service"]["pipelines"]["metrics"]["receivers"]
    (job,) = config["receivers"]["prometheus/strimzi"]["config"]["scrape_configs"]
    # Only the pods on the collector's own node, so each target is scraped once.
    assert job["kubernetes_sd_configs"][0]["selectors"] == [
        {"role": "pod", "field": "spec.nodeName=${env:K8S_NODE_NAME}"}
    ]
    kept = {
        tuple(r["source_labels"]): r["regex"]
        for r in job["relabel_configs"]
        if r.get("action") == "keep"
    }
    assert kept == {
        ("__meta_kubernetes_pod_label_strimzi_io_kind",): "Kafka|KafkaMirrorMaker2",
        ("__meta_kubernetes_pod_container_port_name",): "tcp-prometheus",
    }
    rules = plan.get("eu-west-1-telemetry-role").inputs["rules"]
    assert {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]} in rules
    msk, _ = build({**SEED, "telemetry": {"metrics_remote_write_url": "https://p/api/v1/write"}})
    msk_config = yaml.safe_load(msk.get("eu-west-1-telemetry-config").inputs["data"]["config.yaml"])
    assert "prometheus/strimzi" not in msk_config["receivers"]
    assert len(msk.get("eu-west-1-telemetry-role").inputs["rules"]) == 1
