"""ObservabilityStack under the offline engine: the exact graph, its security defaults, the
ordering of Kubernetes resources, the releases' values, and every input it refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import STACK_IMAGES
from obs_platform import Ipam, IpamArgs, ObsPlatformError, TransitNetwork, TransitNetworkArgs
from obs_platform._internal import helm_values as hv
from obs_platform.observability.stack import ObservabilityStack, ObservabilityStackArgs
from obs_platform.testing import Plan, PlanResource, ProgramError, run

STACK = "obs-platform:observability:ObservabilityStack"
EKS = "eks:index:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "kubernetes:helm.sh/v4:Chart"
CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
K8S_PROVIDER = "pulumi:providers:kubernetes"
NLB = "aws:lb/loadBalancer:LoadBalancer"
REPO = "aws:ecr/repository:Repository"
PTC = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"

EU, US = "eu-west-1", "us-east-1"
PASSWORD = "Gr4fana-Adm1n-Secret!"  # a test secret that must never show up in a plan
ADMIN = "arn:aws:iam::111111111111:role/platform-admin"
GIVEN_VPC: dict[str, Any] = {
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": ["subnet-0a", "subnet-0b", "subnet-0c"],
}


def _plan(seen: dict[str, Any] | None = None, **overrides: Any) -> Plan:
    def program() -> None:
        args: dict[str, Any] = {
            "region": EU,
            **GIVEN_VPC,
            "grafana_admin_password": pulumi.Output.secret(PASSWORD),
            **STACK_IMAGES,
            "admin_principal_arns": [ADMIN],
        }
        args.update(overrides)
        stack = ObservabilityStack("shared", args)
        if seen is not None:
            seen["stack"] = stack
        for output in (
            "loki_otlp_url",
            "cluster_name",
            "kubeconfig",
            "remote_write_url",
            "loki_push_url",
            "otlp_endpoint",
            "grafana_url",
        ):
            pulumi.export(output, getattr(stack, output))

    return run(program, config={"aws:region": EU})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _plan()


def _named(plan: Plan, name: str) -> PlanResource:
    return plan.get(name)


def test_every_child_is_parented_to_the_component(plan: Plan) -> None:
    component = plan.by_type(STACK)[0]
    assert component.name == "shared"
    direct = {r.name for r in plan.children(component)}
    assert {
        "shared-eks",
        "shared-system",
        "shared-system-lt",
        "shared-ebs-csi",
        "shared-loki-chunks-bucket",
        "shared-kube-prometheus-stack",
        "shared-loki",
        "shared-tempo",
        "shared-cloudwatch-exporter",
        "shared-prometheus-crds",
        "shared-ingest",
        "shared-k8s",
        "shared-k8s-crds",
        "shared-gp3",
        "shared-rules-dr",
        "shared-alertmanager-config",
    } <= direct
    outside = [
        r.name
        for r in plan.resources
        if r.type not in ("pulumi:pulumi:Stack", STACK) and r.parent != component.urn
    ]
    assert outside == []
    assert all(r.name.startswith("shared-") for r in plan.children(component))


def test_aws_resources_are_in_the_stack_region(plan: Plan) -> None:
    regions = {r.region for r in plan.resources if r.type.startswith(("aws:", "eks:"))}
    assert regions == {EU}


def test_cluster_is_private_api_authenticated_and_encrypted(plan: Plan) -> None:
    cluster = plan.get("shared-eks", EKS)
    inputs = cluster.inputs
    assert inputs["endpointPrivateAccess"] is True
    assert inputs["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in inputs
    assert inputs["authenticationMode"] == "API"
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["createOidcProvider"] is False  # Pod Identity by default
    assert inputs["privateSubnetIds"] == GIVEN_VPC["private_subnet_ids"]
    key = plan.get("shared-eks-kms", KEY)
    assert inputs["encryptionConfigKeyArn"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    assert key.urn in cluster.depends_on


def test_public_endpoint_only_to_listed_cidrs() -> None:
    inputs = _plan(public_access_cidrs=["203.0.113.0/24"]).get("shared-eks", EKS).inputs
    assert inputs["endpointPublicAccess"] is True
    assert inputs["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_node_groups_require_imdsv2_and_follow_their_args(plan: Plan) -> None:
    template = plan.get("shared-system-lt", LAUNCH_TEMPLATE)
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 2,
        "instanceMetadataTags": "disabled",
    }
    ebs = template.inputs["blockDeviceMappings"][0]["ebs"]
    assert (ebs["volumeType"], ebs["encrypted"], ebs["volumeSize"]) == ("gp3", "true", 50)
    group = plan.get("shared-system", NODE_GROUP)
    assert group.inputs["scalingConfig"] == {"minSize": 2, "desiredSize": 3, "maxSize": 6}
    assert group.inputs["instanceTypes"] == ["m7i.xlarge"]
    assert group.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert group.inputs["launchTemplate"] == {"id": template.outputs["id"], "version": "1"}
    assert group.ignore_changes == ("scalingConfig.desiredSize",)


def test_custom_node_groups() -> None:
    plan = _plan(
        node_groups={
            "general": {
                "instance_types": ["m7g.xlarge", "m6g.xlarge"],
                "min_size": 1,
                "desired_size": 1,
                "max_size": 3,
                "capacity_type": "SPOT",
            },
            "memory": {"instance_types": ["r7i.2xlarge"]},
        }
    )
    general = plan.get("shared-general", NODE_GROUP).inputs
    assert general["amiType"] == "AL2023_ARM_64_STANDARD"
    assert general["capacityType"] == "SPOT"
    assert plan.get("shared-memory", NODE_GROUP).inputs["instanceTypes"] == ["r7i.2xlarge"]
    assert len(plan.by_type(NODE_GROUP)) == 2


def test_ebs_csi_add_on_with_its_role_and_gp3_default(plan: Plan) -> None:
    addon = plan.get("shared-ebs-csi", ADDON)
    role = plan.get("shared-ebs-csi-role", ROLE)
    assert addon.inputs["addonName"] == "aws-ebs-csi-driver"
    assert addon.inputs["podIdentityAssociations"] == [
        {"roleArn": role.outputs["arn"], "serviceAccount": "ebs-csi-controller-sa"}
    ]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert plan.get("shared-pod-identity-agent", ADDON).urn in addon.depends_on
    storage_class = plan.get("shared-gp3")
    assert storage_class.inputs["provisioner"] == "ebs.csi.aws.com"
    assert storage_class.inputs["parameters"] == {
        "type": "gp3",
        "encrypted": "true",
        "fsType": "ext4",
    }
    assert storage_class.inputs["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "true"
    }


def test_admins_get_access_entries(plan: Plan) -> None:
    entry = plan.get("shared-admin-0", ACCESS_ENTRY)
    policy = plan.get("shared-admin-0-policy", ACCESS_POLICY)
    assert (entry.inputs["principalArn"], entry.inputs["type"]) == (ADMIN, "STANDARD")
    assert policy.inputs["policyArn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert policy.inputs["accessScope"] == {"type": "cluster"}


def test_every_kubernetes_resource_waits_for_nodes_and_access(plan: Plan) -> None:
    k8s_provider = plan.get("shared-k8s", K8S_PROVIDER)
    crd_provider = plan.get("shared-k8s-crds", K8S_PROVIDER)
    needed = {
        plan.get("shared-system", NODE_GROUP).urn,
        plan.get("shared-admin-0").urn,
        plan.get("shared-admin-0-policy").urn,
    }
    kube = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert len(kube) >= 15
    for resource in kube:
        assert needed <= set(resource.depends_on), resource.name
        assert resource.provider in (k8s_provider.urn, crd_provider.urn), resource.name


def test_kubernetes_providers_use_the_pinned_secret_kubeconfig(plan: Plan) -> None:
    main, crds = plan.get("shared-k8s", K8S_PROVIDER), plan.get("shared-k8s-crds", K8S_PROVIDER)
    assert main.inputs["kubeconfig"] == crds.inputs["kubeconfig"] == "[secret]"
    assert main.inputs["enableServerSideApply"] == "true"
    assert "enablePatchForce" not in main.inputs
    assert crds.inputs["enablePatchForce"] == "true"


def test_crds_are_their_own_pinned_step_before_the_stack(plan: Plan) -> None:
    crds = plan.get("shared-prometheus-crds", CONFIG_GROUP)
    assert crds.provider == plan.get("shared-k8s-crds").urn
    assert len(crds.inputs["files"]) == 10
    assert all("/prometheus-operator/v0.93.1/" in f for f in crds.inputs["files"])
    release = plan.get("shared-kube-prometheus-stack", RELEASE)
    assert crds.urn in release.depends_on
    assert plan.get("shared-rules-dr").urn not in crds.depends_on
    assert crds.urn in plan.get("shared-rules-dr").depends_on


def test_kube_prometheus_stack_release(plan: Plan) -> None:
    release = plan.get("shared-kube-prometheus-stack", RELEASE)
    inputs = release.inputs
    assert (inputs["chart"], inputs["version"], inputs["name"]) == (
        "kube-prometheus-stack",
        "88.5.3",
        "kps",
    )
    assert inputs["repositoryOpts"] == {
        "repo": "https://prometheus-community.github.io/helm-charts"
    }
    assert inputs["namespace"] == "monitoring"
    assert inputs["skipCrds"] is True
    values = inputs["values"]
    assert values["crds"] == {"enabled": False}
    assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin"
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["enableRemoteWriteReceiver"] is True
    assert spec["retention"] == "15d"
    # The content layer's overlay is merged in, and the release waits for its resources.
    assert values["alertmanager"]["alertmanagerSpec"]["configSecret"] == (
        "shared-alertmanager-config"
    )
    assert values["alertmanager"]["alertmanagerSpec"]["replicas"] == 2
    assert any(
        d["type"] == "loki" and d["url"] == "http://loki-gateway.monitoring.svc.cluster.local:80"
        for d in values["grafana"]["additionalDataSources"]
    )
    assert plan.get("shared-alertmanager-config").urn in release.depends_on
    assert plan.get("shared-grafana-admin").urn in release.depends_on


def test_grafana_password_only_in_a_secret(plan: Plan) -> None:
    secret = plan.get("shared-grafana-admin")
    assert secret.type == "kubernetes:core/v1:Secret"
    assert secret.inputs["metadata"] == {"name": "grafana-admin", "namespace": "monitoring"}
    assert secret.inputs["stringData"] == "[secret]"


def test_no_secret_in_plaintext_anywhere(plan: Plan) -> None:
    dumped = plan.dumps()
    assert PASSWORD not in dumped
    for resource in plan.resources:
        for path, value in _leaves(resource.inputs):
            key = path.rsplit(".", 1)[-1]
            # A key *named* like a secret holds one (``passwordKey`` names a Secret's key).
            if re.search(
                r"(password|token|secret_?key|api_?key|api_?url|webhook_?url)$", key, re.I
            ):
                assert value == "[secret]", (resource.name, path)
            if isinstance(value, str):
                assert not re.search(r"AKIA[0-9A-Z]{16}|hooks\.slack\.com", value)


def test_no_secret_in_plaintext_with_receivers() -> None:
    hook = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"
    plan = _plan(
        alerting={
            "slack_receivers": [{"name": "oncall", "api_url": hook, "channel": "#oncall"}],
            "default_receiver": "oncall",
        }
    )
    assert hook not in plan.dumps()
    assert PASSWORD not in plan.dumps()


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


def test_loki_and_tempo_are_v4_charts_on_s3(plan: Plan) -> None:
    loki = plan.get("shared-loki", CHART).inputs
    assert (loki["chart"], loki["version"]) == ("loki", "18.11.0")
    assert loki["repositoryOpts"] == {"repo": "https://grafana-community.github.io/helm-charts"}
    storage = loki["values"]["loki"]["storage"]
    assert storage["bucketNames"] == {
        "chunks": plan.get("shared-loki-chunks-bucket", BUCKET).outputs["bucket"],
        "ruler": plan.get("shared-loki-ruler-bucket", BUCKET).outputs["bucket"],
    }
    assert loki["values"]["deploymentMode"] == "Monolithic"
    tempo = plan.get("shared-tempo", CHART).inputs
    assert (tempo["chart"], tempo["version"]) == ("tempo", "2.2.4")
    assert (
        tempo["values"]["tempo"]["storage"]["trace"]["s3"]["bucket"]
        == (plan.get("shared-tempo-traces-bucket", BUCKET).outputs["bucket"])
    )


def test_releases_values_are_known_to_the_charts(plan: Plan) -> None:
    from test_helm_values import KPS, LOKI, TEMPO, _unknown

    for name, chart in (
        ("shared-kube-prometheus-stack", KPS),
        ("shared-loki", LOKI),
        ("shared-tempo", TEMPO),
    ):
        assert _unknown(chart, plan.get(name).inputs["values"]) == [], name


def test_buckets_are_hardened_and_protected(plan: Plan) -> None:
    for role, days in (("loki-chunks", 31), ("loki-ruler", None), ("tempo-traces", 15)):
        bucket = plan.get(f"shared-{role}-bucket", BUCKET)
        assert bucket.protect is True
        assert bucket.region == EU
        block = plan.get(f"shared-{role}-public-access").inputs
        assert all(
            block[k] is True
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
        sse = plan.get(f"shared-{role}-encryption").inputs["rules"][0]
        engine = role.split("-")[0]
        assert sse["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": plan.get(f"shared-{engine}-kms").outputs["arn"],
        }
        versioning = plan.get(f"shared-{role}-versioning").inputs
        assert versioning["versioningConfiguration"] == {"status": "Enabled"}
        rule = plan.get(f"shared-{role}-lifecycle").inputs["rules"][0]
        assert rule.get("expiration") == ({"days": days} if days else None)
        policy = json.loads(plan.get(f"shared-{role}-policy").inputs["policy"])
        assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert policy["Statement"][0]["Effect"] == "Deny"
    for engine in ("loki", "tempo", "eks", "ecr"):
        assert plan.get(f"shared-{engine}-kms", KEY).protect is True


def test_protect_can_be_turned_off() -> None:
    plan = _plan(protect=False)
    assert not any(r.protect for r in plan.by_type(BUCKET) + plan.by_type(KEY))


def test_one_role_per_component_limited_to_its_bucket_and_key(plan: Plan) -> None:
    loki_policy = json.loads(plan.get("shared-loki-policy", ROLE_POLICY).inputs["policy"])
    tempo_policy = json.loads(plan.get("shared-tempo-policy", ROLE_POLICY).inputs["policy"])
    chunks = plan.get("shared-loki-chunks-bucket").outputs["arn"]
    ruler = plan.get("shared-loki-ruler-bucket").outputs["arn"]
    traces = plan.get("shared-tempo-traces-bucket").outputs["arn"]
    assert loki_policy["Statement"][0]["Resource"] == sorted([chunks, ruler])
    assert loki_policy["Statement"][2]["Resource"] == plan.get("shared-loki-kms").outputs["arn"]
    assert tempo_policy["Statement"][0]["Resource"] == [traces]
    assert tempo_policy["Statement"][1]["Resource"] == [f"{traces}/*"]
    associations = {
        r.inputs["serviceAccount"]: r.inputs["roleArn"] for r in plan.by_type(POD_IDENTITY)
    }
    assert associations == {
        "loki": plan.get("shared-loki-role").outputs["arn"],
        "tempo": plan.get("shared-tempo-role").outputs["arn"],
        "kps-grafana": plan.get("shared-grafana-role").outputs["arn"],
        "yace": plan.get("shared-yace-role").outputs["arn"],
    }
    assert all(r.inputs["namespace"] == "monitoring" for r in plan.by_type(POD_IDENTITY))


def test_irsa_mode_annotates_service_accounts() -> None:
    plan = _plan(workload_identity="irsa")
    assert plan.by_type(POD_IDENTITY) == []
    assert plan.get("shared-eks", EKS).inputs["createOidcProvider"] is True
    role = plan.get("shared-loki-role", ROLE)
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    (condition,) = [v for k, v in trust["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert condition == "system:serviceaccount:monitoring:loki"
    loki_values = plan.get("shared-loki", CHART).inputs["values"]
    assert loki_values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": role.outputs["arn"]
    }
    addon = plan.get("shared-ebs-csi", ADDON).inputs
    assert addon["serviceAccountRoleArn"] == plan.get("shared-ebs-csi-role").outputs["arn"]


def test_distributed_scale_switches_both_engines() -> None:
    plan = _plan(
        scale="distributed", tempo_kafka_address="kafka.obs:9092", tempo_kafka_partitions=6
    )
    loki = plan.get("shared-loki", CHART).inputs["values"]
    assert loki["deploymentMode"] == "Distributed"
    tempo = plan.get("shared-tempo", CHART).inputs
    assert (tempo["chart"], tempo["version"]) == ("tempo-distributed", "3.3.0")
    assert tempo["values"]["ingest"]["kafka"]["address"] == "kafka.obs:9092"
    # OTLP goes through the ingest gateway to Tempo's distributor
    nginx = plan.get("shared-ingest-gateway-config").inputs["data"]["nginx.conf"]
    assert "set $tempo_grpc tempo-distributor.monitoring.svc.cluster.local:4317;" in nginx
    assert "set $tempo_http tempo-distributor.monitoring.svc.cluster.local:4318;" in nginx


def test_amp_remote_write_gets_a_scoped_role() -> None:
    workspace = "arn:aws:aps:eu-west-1:111111111111:workspace/ws-0123"
    url = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123/api/v1/remote_write"
    plan = _plan(amp_remote_write_url=url, amp_workspace_arn=workspace)
    policy = json.loads(plan.get("shared-prometheus-policy", ROLE_POLICY).inputs["policy"])
    assert policy["Statement"][0] == {
        "Sid": "RemoteWrite",
        "Effect": "Allow",
        "Action": ["aps:RemoteWrite"],
        "Resource": workspace,
    }
    spec = plan.get("shared-kube-prometheus-stack").inputs["values"]["prometheus"]["prometheusSpec"]
    assert spec["remoteWrite"][0]["url"] == url
    assert spec["remoteWrite"][0]["sigv4"] == {"region": EU}


def test_ingest_is_an_internal_nlb_over_node_ports(plan: Plan) -> None:
    nlb = plan.get("shared-ingest", NLB)
    assert nlb.inputs["internal"] is True
    assert nlb.inputs["loadBalancerType"] == "network"
    assert nlb.inputs["subnets"] == GIVEN_VPC["private_subnet_ids"]
    services = [r for r in plan.by_type("kubernetes:core/v1:Service")]
    assert {s.name for s in services} == {
        "shared-ingest-prometheus",
        "shared-ingest-loki",
        "shared-ingest-otlp",
        "shared-ingest-grafana",
    }
    assert {s.inputs["spec"]["type"] for s in services} == {"NodePort"}
    sources = {
        r.inputs["cidrIpv4"]
        for r in plan.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if "cidrIpv4" in r.inputs
    }
    assert sources == {"10.0.0.0/8"}
    listeners = {
        r.inputs["port"]: r.inputs["protocol"] for r in plan.by_type("aws:lb/listener:Listener")
    }
    assert listeners == {9090: "TCP", 3100: "TCP", 4317: "TCP", 4318: "TCP", 80: "TCP"}
    attachments = plan.by_type("aws:autoscaling/attachment:Attachment")
    assert len(attachments) == 5
    assert all(
        a.inputs["autoscalingGroupName"].startswith("eks-shared-system-") for a in attachments
    )


def test_outputs_are_internal_endpoints(plan: Plan) -> None:
    assert plan.get("shared-ingest", NLB).outputs["dnsName"].startswith("internal-")
    dns = "ingest.obs.internal"  # the private zone's alias of the NLB
    assert plan.outputs == {
        "cluster_name": "shared-eks",
        "kubeconfig": "[secret]",
        "remote_write_url": f"http://{dns}:9090/api/v1/write",
        "loki_push_url": f"http://{dns}:3100/loki/api/v1/push",
        "loki_otlp_url": f"http://{dns}:3100/otlp",
        "otlp_endpoint": f"http://{dns}:4317",
        "grafana_url": f"http://{dns}",
    }


def test_tls_listeners_with_a_certificate() -> None:
    cert = "arn:aws:acm:eu-west-1:111111111111:certificate/0000"
    plan = _plan(ingest_certificate_arn=cert, ingest_allowed_cidrs=["10.0.0.0/12"])
    listeners = plan.by_type("aws:lb/listener:Listener")
    assert {r.inputs["protocol"] for r in listeners} == {"TLS"}
    assert {r.inputs["certificateArn"] for r in listeners} == {cert}
    assert plan.outputs["grafana_url"].startswith("https://")
    assert ":443" not in plan.outputs["grafana_url"]


def test_registry_repositories_and_caches(plan: Plan) -> None:
    repos = {r.inputs["name"]: r.inputs for r in plan.by_type(REPO)}
    assert set(repos) == {"observability/exporters", "observability/otel-collector"}
    for repo in repos.values():
        assert repo["imageTagMutability"] == "IMMUTABLE"
        assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo["encryptionConfigurations"][0]["encryptionType"] == "KMS"
    rules = {r.inputs["upstreamRegistryUrl"]: r.inputs for r in plan.by_type(PTC)}
    assert set(rules) == {"quay.io", "registry.k8s.io", "ghcr.io", "registry-1.docker.io"}
    # ECR caches Docker Hub and ghcr.io only with a credential.
    assert rules["ghcr.io"]["credentialArn"] == STACK_IMAGES["ghcr_credential_arn"]
    assert (
        rules["registry-1.docker.io"]["credentialArn"]
        == (STACK_IMAGES["docker_hub_credential_arn"])
    )
    assert "credentialArn" not in rules["quay.io"]
    lifecycle = json.loads(
        plan.get("shared-ecr-observability-exporters-lifecycle").inputs["policy"]
    )
    assert [r["selection"]["tagStatus"] for r in lifecycle["rules"]] == ["untagged", "any"]


def test_dr_replication_of_storage_and_images() -> None:
    plan = _plan(
        dr_region=US,
        replicate_storage=True,
        replicate_images=True,
        docker_hub_credential_arn="arn:aws:secretsmanager:eu-west-1:111111111111:"
        "secret:ecr-pullthroughcache/docker-hub-AbCdEf",
    )
    replica = plan.get("shared-loki-chunks-replica-bucket", BUCKET)
    assert (replica.region, replica.protect) == (US, True)
    replica_key = plan.get("shared-loki-kms-replica", REPLICA_KEY)
    assert replica_key.region == US
    assert plan.get("shared-loki-kms", KEY).inputs["multiRegion"] is True
    config = plan.get("shared-loki-chunks-replication").inputs
    assert config["rules"][0]["destination"]["bucket"] == replica.outputs["arn"]
    assert config["rules"][0]["destination"]["encryptionConfiguration"] == {
        "replicaKmsKeyId": replica_key.outputs["arn"]
    }
    ecr = plan.get("shared-ecr-replication").inputs["replicationConfiguration"]
    assert ecr["rules"][0]["destinations"] == [{"region": US, "registryId": "111111111111"}]
    assert "registry-1.docker.io" in {r.inputs["upstreamRegistryUrl"] for r in plan.by_type(PTC)}


def _ipam_plan(**overrides: Any) -> Plan:
    def program() -> None:
        ipam = Ipam("core", IpamArgs(regions=[EU, US], cidr="10.0.0.0/8", protect=False))
        transit = TransitNetwork("tn", TransitNetworkArgs(regions=[EU, US]))
        args: dict[str, Any] = {
            "region": EU,
            "ipam": ipam,
            "transit": transit,
            "grafana_admin_password": pulumi.Output.secret(PASSWORD),
            **STACK_IMAGES,
        }
        args.update(overrides)
        ObservabilityStack("shared", args)

    return run(program, config={"aws:region": EU})


def test_vpc_from_ipam_attached_to_the_shared_segment() -> None:
    plan = _ipam_plan()
    vpc = plan.get("shared-vpc", "aws:ec2/vpc:Vpc")
    assert vpc.inputs["ipv4NetmaskLength"] == 20
    attachment = plan.get("shared-tgw", "aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert attachment.inputs["vpcId"] == vpc.outputs["id"]
    assert attachment.parent == plan.by_type(STACK)[0].urn
    routes = [r for r in plan.by_type("aws:ec2/route:Route")]
    assert len(routes) == 3
    assert {r.inputs["destinationCidrBlock"] for r in routes} == {"10.0.0.0/8"}
    assert all(attachment.urn in r.depends_on for r in routes)
    endpoints = {r.inputs["serviceName"] for r in plan.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert {
        "com.amazonaws.eu-west-1.s3",
        "com.amazonaws.eu-west-1.ecr.dkr",
        "com.amazonaws.eu-west-1.eks-auth",
        "com.amazonaws.eu-west-1.sts",
    } <= endpoints
    cluster = plan.get("shared-eks", EKS)
    assert cluster.inputs["vpcId"] == vpc.outputs["id"]
    assert set(r.urn for r in routes) <= set(cluster.depends_on)
    # Ingest is open to the IPAM's CIDR by default.
    sources = {
        r.inputs["cidrIpv4"]
        for r in plan.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if "cidrIpv4" in r.inputs
    }
    assert sources == {"10.0.0.0/8"}


def test_ipam_without_the_region_is_refused() -> None:
    with pytest.raises(ProgramError) as info:
        _ipam_plan(region="eu-central-1")
    assert isinstance(info.value.original, ObsPlatformError)
    assert "no pool in region 'eu-central-1'" in str(info.value.original)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prometheus_retention_days": 0}, "prometheus_retention_days"),
        ({"loki_retention_days": 4000}, "loki_retention_days"),
        ({"tempo_retention_days": 400}, "tempo_retention_days"),
        ({"node_groups": {"system": {"instance_types": ["m7i.huge"]}}}, "not an EC2 instance type"),
        (
            {"node_groups": {"system": {"instance_types": ["m7g.large", "m7i.large"]}}},
            "mix Graviton",
        ),
        ({"node_groups": {"system": {"min_size": 4, "desired_size": 3}}}, "min_size <= desired"),
        ({"chart_versions": {"loki": "^18.11.0"}}, "not an exact chart version"),
        ({"chart_versions": {"kube_prometheus_stack": "89.0.0"}}, "prometheus_operator_version"),
        ({"public_access_cidrs": ["203.0.113.0/33"]}, "not an IPv4 CIDR"),
        ({"ingest_allowed_cidrs": ["10.0.0.1/8"]}, "host bits set"),
        ({"region": "eu-west-9"}, "not a commercial AWS region"),
        ({"vpc_id": None}, "vpc_id and private_subnet_ids go together"),
        ({"private_subnet_ids": ["subnet-1"]}, "at least two availability zones"),
        ({"scale": "distributed"}, "tempo_kafka_address"),
        ({"replicate_storage": True}, "need dr_region"),
        ({"dr_region": EU}, "equals region"),
        ({"amp_remote_write_url": "https://aps/x"}, "go together"),
        ({"kubernetes_version": "1.25"}, "out of EKS standard support"),
        ({"namespace": "Monitoring"}, "not a Kubernetes name"),
        ({"ecr_repositories": ["Bad Name"]}, "not an ECR repository name"),
        ({"loki_schema_from": "01/01/2025"}, "YYYY-MM-DD"),
        ({"public_access_cidrs": ["0.0.0.0/0"]}, "whole internet"),
        (
            {"scale": "distributed", "tempo_kafka_address": "kafka://broker"},
            "not a Kafka bootstrap address",
        ),
        ({"admin_principal_arns": ["platform-admin"]}, "not an IAM role or user ARN"),
        ({"scale": "simple-scalable"}, "scale"),
    ],
)
def test_bad_args_are_refused_clearly(overrides: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "region": EU,
        **GIVEN_VPC,
        "grafana_admin_password": "x",
        **STACK_IMAGES,
        **overrides,
    }
    with pytest.raises(ObsPlatformError, match=re.escape(message)) as info:
        _validate(args)
    assert "ObservabilityStack" in str(info.value)


def _validate(args: dict[str, Any]) -> None:
    from obs_platform._component import validate_args

    validate_args(ObservabilityStackArgs, args, component="ObservabilityStack 'shared'")


def test_bad_args_create_nothing() -> None:
    with pytest.raises(ProgramError) as info:
        _plan(prometheus_retention_days=400)
    assert "prometheus_retention_days" in str(info.value.original)


def test_example_values_file_shape_is_json_serialisable(plan: Plan) -> None:
    # Values go to Helm as YAML: everything in them must be plain data after resolution.
    values = plan.get("shared-kube-prometheus-stack").inputs["values"]
    assert yaml.safe_load(yaml.safe_dump(values)) == values
    assert hv.KPS_RELEASE == "kps"


_BASE: dict[str, Any] = {"region": EU, **GIVEN_VPC, "grafana_admin_password": "x", **STACK_IMAGES}
_RANGES = {
    "prometheus_retention_days": (1, 365),
    "loki_retention_days": (1, 3650),
    "tempo_retention_days": (1, 365),
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(_RANGES)), st.integers(min_value=-10, max_value=5000))
def test_retention_ranges_are_enforced(field: str, days: int) -> None:
    low, high = _RANGES[field]
    if low <= days <= high:
        _validate({**_BASE, field: days})
    else:
        with pytest.raises(ObsPlatformError, match=field) as info:
            _validate({**_BASE, field: days})
        assert repr(days) in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=3650))
def test_bucket_expiry_follows_loki_retention(days: int) -> None:
    from obs_platform.observability.storage import RETENTION_MARGIN_DAYS, lifecycle_rules

    (rule,) = lifecycle_rules(days + RETENTION_MARGIN_DAYS)
    assert rule["expiration"] == {"days": days + 1}
    assert rule["noncurrent_version_expiration"] == {"noncurrent_days": 7}
    values = hv.loki_values(
        scale=hv.Scale.MONOLITHIC,
        region=EU,
        chunks_bucket="c",
        ruler_bucket="r",
        retention_days=days,
    )
    assert values["loki"]["limits_config"]["retention_period"] == f"{days * 24}h"


def test_shared_account_example_runs_the_stack_on_the_network() -> None:
    from obs_platform.testing import run_program

    example = Path(__file__).resolve().parents[1] / "examples" / "shared-account"
    plan = run_program(example)
    # The primary stack, and the standby stack the example runs in its DR region.
    assert sorted(r.name for r in plan.by_type(STACK)) == ["shared-obs", "shared-obs-dr"]
    vpc = plan.get("shared-obs-vpc", "aws:ec2/vpc:Vpc")
    assert vpc.inputs["ipv4IpamPoolId"] == plan.get("core-pool-eu-west-1").outputs["id"]
    attachment = plan.get("shared-obs-tgw")
    association = plan.get("transit-shared-obs-tgw-association")
    shared_table = plan.get("transit-rt-eu-west-1-shared")
    assert association.inputs["transitGatewayAttachmentId"] == attachment.outputs["id"]
    assert association.inputs["transitGatewayRouteTableId"] == shared_table.outputs["id"]
    assert plan.get("shared-obs-eks", EKS).inputs["vpcId"] == vpc.outputs["id"]
    assert plan.outputs["kubeconfig"] == "[secret]"
    assert plan.outputs["cluster_name"] == "shared-obs-eks"
    for key in ("remote_write_url", "loki_push_url", "otlp_endpoint", "grafana_url"):
        assert "://ingest.obs.internal:" in plan.outputs[key] or plan.outputs[key].endswith(
            "://ingest.obs.internal"
        )
    assert "offline-secret" not in plan.dumps()


DOCKER_HUB_SECRET = (
    "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
)


def test_images_through_the_pull_through_caches() -> None:
    plan = _plan(image_source="pull-through-cache", docker_hub_credential_arn=DOCKER_HUB_SECRET)
    ecr = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
    kps = plan.get("shared-kube-prometheus-stack").inputs["values"]
    assert kps["prometheus"]["prometheusSpec"]["image"] == {"registry": f"{ecr}/quay"}
    assert kps["grafana"]["image"] == {"registry": f"{ecr}/docker-hub"}
    assert kps["kube-state-metrics"]["image"] == {"registry": f"{ecr}/k8s"}
    loki = plan.get("shared-loki").inputs["values"]
    assert loki["gateway"]["metrics"]["image"] == {"registry": f"{ecr}/ghcr"}
    assert plan.get("shared-tempo").inputs["values"]["tempo"]["registry"] == f"{ecr}/docker-hub"
    rules = {r.inputs["upstreamRegistryUrl"]: r for r in plan.by_type(PTC)}
    assert set(rules) == {"quay.io", "registry.k8s.io", "ghcr.io", "registry-1.docker.io"}
    assert rules["registry-1.docker.io"].inputs["credentialArn"] == DOCKER_HUB_SECRET
    for release in ("shared-kube-prometheus-stack", "shared-loki", "shared-tempo"):
        assert {r.urn for r in rules.values()} <= set(plan.get(release).depends_on), release
    policy = json.loads(plan.get("shared-node-role-pull-through", ROLE_POLICY).inputs["policy"])
    statement = policy["Statement"][0]
    assert statement["Action"] == ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"]
    assert "arn:aws:ecr:eu-west-1:111111111111:repository/quay/*" in statement["Resource"]
    assert plan.get("shared-node-role-pull-through").urn in plan.get("shared-system").depends_on


def test_images_through_the_caches_by_default(plan: Plan) -> None:
    kps = plan.get("shared-kube-prometheus-stack").inputs["values"]
    assert kps["prometheus"]["prometheusSpec"]["image"]["registry"] == (
        "111111111111.dkr.ecr.eu-west-1.amazonaws.com/quay"
    )
    assert plan.get("shared-node-role-pull-through").type == "aws:iam/rolePolicy:RolePolicy"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("docker_hub_credential_arn", "docker_hub_credential_arn"),
        ("ghcr_credential_arn", "ghcr_credential_arn"),
    ],
)
def test_pull_through_images_need_both_credentials(missing: str, message: str) -> None:
    args = {k: v for k, v in _BASE.items() if k != missing}
    with pytest.raises(ObsPlatformError, match=message) as info:
        _validate(args)
    assert "no internet path" in str(info.value)


def test_upstream_images_need_a_declared_egress_path() -> None:
    with pytest.raises(ObsPlatformError, match="internet_egress=True"):
        _validate({**_BASE, "image_source": "upstream"})
    _validate({**_BASE, "image_source": "upstream", "internet_egress": True})


def test_transit_without_the_region_is_refused() -> None:
    def program() -> None:
        ipam = Ipam("core", IpamArgs(regions=[EU, US], cidr="10.0.0.0/8", protect=False))
        transit = TransitNetwork("tn", TransitNetworkArgs(regions=[US]))
        ObservabilityStack(
            "shared",
            {
                "region": EU,
                "ipam": ipam,
                "transit": transit,
                "grafana_admin_password": "x",
                **STACK_IMAGES,
            },
        )

    with pytest.raises(ProgramError) as info:
        run(program, config={"aws:region": EU})
    assert "TransitNetwork has no gateway in region 'eu-west-1'" in str(info.value.original)


def test_given_vpc_excludes_ipam() -> None:
    with pytest.raises(ProgramError) as info:
        _ipam_plan(**GIVEN_VPC)
    assert "ipam/transit would be unused" in str(info.value.original)


def test_more_than_one_prometheus_replica_needs_amp() -> None:
    with pytest.raises(ObsPlatformError, match="prometheus_replicas") as info:
        _validate({**_BASE, "prometheus_replicas": 2})
    assert "amp_remote_write_url" in str(info.value)
    assert not [d for d in _plan().diagnostics if "prometheus_replicas" in d]
    plan = _plan(
        prometheus_replicas=2,
        amp_remote_write_url="https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
        amp_workspace_arn="arn:aws:aps:eu-west-1:111111111111:workspace/ws-1",
    )
    (warning,) = [d for d in plan.diagnostics if "prometheus_replicas" in d]
    assert warning.startswith("warning:") and "splits what cells remote-write" in warning
    spec = plan.get("shared-kube-prometheus-stack").inputs["values"]["prometheus"]
    assert spec["prometheusSpec"]["replicas"] == 2


def test_replica_keys_share_the_multi_region_key_id() -> None:
    plan = _plan(dr_region=US, replicate_storage=True)
    primary = plan.get("shared-tempo-kms", KEY).outputs
    replica = plan.get("shared-tempo-kms-replica", REPLICA_KEY)
    assert primary["keyId"].startswith("mrk-")
    assert replica.inputs["primaryKeyArn"] == primary["arn"]
    assert replica.outputs["keyId"] == primary["keyId"]
    assert replica.outputs["arn"] == f"arn:aws:kms:{US}:111111111111:key/{primary['keyId']}"
