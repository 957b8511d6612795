"""The offline engine on real pulumi-aws, pulumi-eks and pulumi-kubernetes resources."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s
import pytest

from obs_platform.testing import PLAN_FORMAT, ProgramError, run, run_program

PROGRAMS = Path(__file__).parent / "programs"
STACK = "urn:pulumi:dev::project::pulumi:pulumi:Stack::project-dev"


def _aws_program() -> None:
    west = aws.Provider(
        "west",
        region="us-west-2",
        assume_roles=[{"role_arn": "arn:aws:iam::222222222222:role/deploy"}],
    )
    vpc = aws.ec2.Vpc(
        "main", cidr_block="10.1.0.0/16", enable_dns_support=True, tags={"Name": "main"}
    )
    aws.ec2.Subnet("main-a", vpc_id=vpc.id, cidr_block="10.1.0.0/24", region="eu-central-1")
    bucket = aws.s3.Bucket("logs", opts=pulumi.ResourceOptions(provider=west, protect=True))
    aws.s3.BucketVersioning(
        "logs-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=pulumi.ResourceOptions(
            provider=west,
            depends_on=[vpc],
            retain_on_delete=True,
            ignore_changes=["versioningConfiguration"],
        ),
    )
    role = aws.iam.Role(
        "reader", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []})
    )
    document = aws.iam.get_policy_document_output(
        statements=[
            {"actions": ["s3:GetObject"], "resources": [bucket.arn.apply(lambda a: f"{a}/*")]}
        ]
    )
    aws.iam.RolePolicy("reader-s3", role=role.name, policy=document.json)
    identity = aws.get_caller_identity()
    pulumi.export("account", identity.account_id)
    pulumi.export("vpc_id", vpc.id)
    pulumi.export("bucket_arn", bucket.arn)
    pulumi.export("token", pulumi.Output.secret("s3cr3t"))


@pytest.fixture(scope="module")
def aws_plan():
    return run(_aws_program, config={"aws:region": "eu-west-1"})


def test_records_types_names_and_parents(aws_plan) -> None:
    stack = aws_plan.resources[0]
    assert (stack.type, stack.name, stack.parent, stack.urn) == (
        "pulumi:pulumi:Stack",
        "project-dev",
        None,
        STACK,
    )
    vpc = aws_plan.get("main")
    assert vpc.type == "aws:ec2/vpc:Vpc"
    assert vpc.urn == "urn:pulumi:dev::project::pulumi:pulumi:Stack$aws:ec2/vpc:Vpc::main"
    assert vpc.parent == STACK
    assert vpc.custom is True
    assert vpc.inputs == {
        "cidrBlock": "10.1.0.0/16",
        "enableDnsSupport": True,
        "tags": {"Name": "main"},
    }
    assert len(aws_plan.by_type("aws:iam/rolePolicy:RolePolicy")) == 1


def test_effective_region_own_then_provider_then_stack(aws_plan) -> None:
    assert aws_plan.get("main").region == "eu-west-1"  # the stack's aws:region
    assert aws_plan.get("main-a").region == "eu-central-1"  # its own region input
    assert aws_plan.get("logs").region == "us-west-2"  # its provider's region
    assert aws_plan.get("west").region == "us-west-2"
    assert aws_plan.get("project-dev").region is None  # not an AWS resource


def test_provider_and_options_recorded(aws_plan) -> None:
    provider_urn = "urn:pulumi:dev::project::pulumi:pulumi:Stack$pulumi:providers:aws::west"
    bucket = aws_plan.get("logs")
    assert bucket.provider == provider_urn
    assert bucket.protect is True
    assert aws_plan.get("main").provider is None
    versioning = aws_plan.get("logs-versioning")
    assert versioning.retain_on_delete is True
    assert versioning.protect is False
    assert versioning.ignore_changes == ("versioningConfiguration",)
    assert set(versioning.depends_on) == {bucket.urn, aws_plan.get("main").urn}


def test_answers_are_realistic(aws_plan) -> None:
    vpc_id = aws_plan.outputs["vpc_id"]
    assert vpc_id.startswith("vpc-") and len(vpc_id) == 21
    int(vpc_id[4:], 16)
    # The bucket is created by a provider assuming a role in account 222222222222.
    assert aws_plan.outputs["bucket_arn"].startswith("arn:aws:s3:::logs-")
    assert aws_plan.outputs["account"] == "111111111111"
    policy = json.loads(aws_plan.get("reader-s3").inputs["policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": aws_plan.outputs["bucket_arn"] + "/*",
            }
        ],
    }
    role_name = aws_plan.get("reader-s3").inputs["role"]
    assert role_name.startswith("reader-") and len(role_name) == len("reader-") + 7


def test_secrets_never_appear(aws_plan) -> None:
    assert aws_plan.outputs["token"] == "[secret]"
    assert "s3cr3t" not in aws_plan.dumps()


def test_plan_json_is_the_public_format(aws_plan) -> None:
    document = json.loads(aws_plan.dumps())
    assert list(document) == [
        "format",
        "project",
        "stack",
        "resources",
        "outputs",
        "dr",
        "diagnostics",
    ]
    assert document["diagnostics"] == []
    assert document["format"] == PLAN_FORMAT == "obs-platform.plan/1"
    assert (document["project"], document["stack"], document["dr"]) == ("project", "dev", [])
    for resource in document["resources"]:
        assert list(resource) == [
            "urn",
            "type",
            "name",
            "parent",
            "custom",
            "provider",
            "region",
            "inputs",
            "protect",
            "retain_on_delete",
            "depends_on",
            "ignore_changes",
        ]


def test_arns_carry_partition_region_and_provider_account() -> None:
    def program() -> None:
        cell = aws.Provider(
            "cell",
            region="ap-southeast-2",
            assume_roles=[{"role_arn": "arn:aws:iam::333333333333:role/x"}],
        )
        key = aws.kms.Key("key", opts=pulumi.ResourceOptions(provider=cell))
        repo = aws.ecr.Repository("repo", region="eu-north-1")
        pulumi.export("key_arn", key.arn)
        pulumi.export("repo_url", repo.repository_url)
        pulumi.export("repo_arn", repo.arn)

    plan = run(program, config={"aws:region": "us-east-1"}, account_id="444444444444")
    key_arn = plan.outputs["key_arn"]
    assert key_arn.startswith("arn:aws:kms:ap-southeast-2:333333333333:key/")
    assert (
        plan.outputs["repo_arn"]
        == "arn:aws:ecr:eu-north-1:444444444444:repository/"
        + plan.outputs["repo_url"].rsplit("/", 1)[1]
    )
    assert plan.outputs["repo_url"].startswith("444444444444.dkr.ecr.eu-north-1.amazonaws.com/")


def test_eks_cluster_and_kubernetes_resources() -> None:
    def program() -> None:
        cluster = eks.Cluster(
            "monitoring",
            name="shared-monitoring",
            skip_default_node_group=True,
            endpoint_private_access=True,
            endpoint_public_access=False,
        )
        provider = k8s.Provider("monitoring-k8s", kubeconfig=cluster.kubeconfig_json)
        namespace = k8s.core.v1.Namespace(
            "monitoring",
            metadata={"name": "monitoring"},
            opts=pulumi.ResourceOptions(provider=provider),
        )
        release = k8s.helm.v3.Release(
            "kps",
            chart="kube-prometheus-stack",
            version="88.5.3",
            namespace=namespace.metadata["name"],
            repository_opts={"repo": "https://prometheus-community.github.io/helm-charts"},
            values={"prometheus": {"enabled": True}},
            opts=pulumi.ResourceOptions(provider=provider),
        )
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("oidc", cluster.oidc_provider_arn)
        pulumi.export("release_status", release.status)

    plan = run(program, config={"aws:region": "eu-west-1"})
    cluster = plan.get("monitoring", "eks:index:Cluster")
    assert cluster.custom is False  # a remote component
    assert cluster.region == "eu-west-1"
    assert cluster.inputs["endpointPublicAccess"] is False
    kubeconfig = plan.outputs["kubeconfig"]
    assert kubeconfig["clusters"][0]["cluster"]["server"].endswith(".eu-west-1.eks.amazonaws.com")
    assert "--region" in kubeconfig["users"][0]["user"]["exec"]["args"]
    assert plan.outputs["oidc"].startswith(
        "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/"
    )
    assert plan.outputs["release_status"]["status"] == "deployed"
    assert plan.outputs["release_status"]["version"] == "88.5.3"
    release = plan.get("kps")
    assert release.type == "kubernetes:helm.sh/v3:Release"
    assert release.region is None
    assert release.provider == plan.get("monitoring-k8s").urn
    assert release.inputs["namespace"] == "monitoring"


def test_program_directory_config_secrets_and_isolation() -> None:
    plan = run_program(PROGRAMS / "basic")
    assert (plan.project, plan.stack) == ("basic", "test")
    assert plan.outputs["replicas"] == 2
    assert plan.outputs["labels"] == {"team": "platform"}
    assert plan.outputs["bucket_prefix"] == "logs"  # a Pulumi.yaml default
    assert plan.outputs["password"] == "[secret]"
    assert plan.get("db-value").inputs["secretString"] == "[secret]"
    assert plan.outputs["zones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    pair = plan.get("basic", "test:index:BucketPair")
    assert [r.name for r in plan.children(pair)] == ["basic-b0", "basic-b1"]
    assert all(r.protect and r.region == "us-west-2" for r in plan.children(pair))
    assert pair.outputs["bucket_names"] == plan.outputs["bucket_names"]
    # A second run in the same process starts from nothing.
    again = run_program(PROGRAMS / "basic")
    assert [r.urn for r in again] == [r.urn for r in plan]
    assert again.to_json() == plan.to_json()
    other = run(lambda: aws.s3.Bucket("only"), project="p2", stack="s2")
    assert [r.name for r in other] == ["p2-s2", "only"]
    assert other.get("only").region is None  # no aws:region configured anywhere


def test_component_args_are_validated_before_anything_registers() -> None:
    with pytest.raises(ProgramError) as caught:
        run_program(PROGRAMS / "bad_args")
    message = str(caught.value.original)
    assert "One 'primary'" in message
    assert "OneArgs.region" in message and "'eu-wset-1'" in message
    assert "Did you mean 'eu-west-1'?" in message


def test_unknown_data_source_is_explained() -> None:
    def program() -> None:
        aws.ec2.get_vpc(default=True)

    with pytest.raises(ProgramError, match="does not answer the data source"):
        run(program)


def test_eks_cluster_attribute_resources_resolve() -> None:
    def program() -> None:
        cluster = eks.Cluster("apps", name="apps-eu", skip_default_node_group=True)
        pulumi.export("cluster_name", cluster.eks_cluster.name)
        pulumi.export("cluster_arn", cluster.eks_cluster.arn)

    plan = run(program, config={"aws:region": "eu-west-1"})
    assert plan.outputs["cluster_name"] == "apps-eu"
    assert plan.outputs["cluster_arn"] == "arn:aws:eks:eu-west-1:111111111111:cluster/apps-eu"
    # The provider-internal aws:eks/cluster:Cluster is not something the program registered.
    assert plan.by_type("aws:eks/cluster:Cluster") == []
