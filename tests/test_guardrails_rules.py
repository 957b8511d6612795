"""Each guardrail against a program that breaks it and one that satisfies it.

Programs run under the offline engine with the real pulumi-aws, pulumi-eks and
pulumi-kubernetes classes, so the rules see the wire names and relations a real program has.
Every assertion names the exact resources a rule flags, so a rule that flags too much fails too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s
import pytest

from conftest import docker_hub_credential
from obs_platform import Cell, CellArgs
from obs_platform._internal.pod_security import HOST_PORTS_ANNOTATION as HOST_PORTS
from obs_platform.guardrails import (
    RULES,
    GuardrailsConfig,
    Severity,
    check_plan,
    evaluate,
    rule,
)
from obs_platform.testing import Plan, run

TAGS = {"obs-platform:managed-by": "obs-platform"}
REGION = "eu-west-1"


def plan_of(program: Callable[[], object], **config: Any) -> Plan:
    return run(program, config={"aws:region": REGION, **config})


def flagged(plan: Plan, rule_id: str, config: GuardrailsConfig | None = None) -> dict[str, str]:
    """Names of the resources ``rule_id`` flags, with the detail."""
    return {v.name: v.detail for v in evaluate(plan, config, (rule(rule_id),))}


def protected() -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(protect=True)


# ---------------------------------------------------------------------------------------------
# S3


def bucket_with(
    *,
    sse: bool = True,
    pab: dict[str, bool] | None = None,
    policy: str | None = "tls",
    name: str = "logs",
    access_logs: bool = True,
) -> aws.s3.Bucket:
    bucket = aws.s3.Bucket(name, tags=TAGS, opts=protected())
    if access_logs:
        aws.s3.BucketLogging(
            f"{name}-logging",
            bucket=bucket.id,
            target_bucket="audit-logs",
            target_prefix=f"{name}/",
        )
    if sse:
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"},
                    "bucket_key_enabled": True,
                }
            ],
        )
    flags = {
        "block_public_acls": True,
        "block_public_policy": True,
        "ignore_public_acls": True,
        "restrict_public_buckets": True,
    }
    if pab is not None:
        flags.update(pab)
    aws.s3.BucketPublicAccessBlock(f"{name}-pab", bucket=bucket.bucket, **flags)
    if policy == "tls":
        document = bucket.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [arn, f"{arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            )
        )
        aws.s3.BucketPolicy(f"{name}-policy", bucket=bucket.id, policy=document)
    elif policy == "read":
        document = bucket.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::1:root"},
                            "Action": "s3:GetObject",
                            "Resource": f"{arn}/*",
                        }
                    ],
                }
            )
        )
        aws.s3.BucketPolicy(f"{name}-policy", bucket=bucket.id, policy=document)
    return bucket


def test_s3_encryption_flags_only_the_bucket_without_configuration() -> None:
    plan = plan_of(lambda: (bucket_with(sse=False), bucket_with(name="traces")))
    assert flagged(plan, "s3-encryption") == {
        "logs": "no server-side encryption configuration refers to this bucket"
    }
    assert flagged(plan_of(lambda: bucket_with()), "s3-encryption") == {}


def test_s3_encryption_needs_a_default_algorithm() -> None:
    def program() -> None:
        bucket = aws.s3.Bucket("logs", tags=TAGS)
        aws.s3.BucketServerSideEncryptionConfiguration(
            "logs-sse", bucket=bucket.id, rules=[{"bucket_key_enabled": True}]
        )

    assert list(flagged(plan_of(program), "s3-encryption")) == ["logs"]


def test_s3_inline_encryption_and_policy_count() -> None:
    def program() -> None:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::legacy", "arn:aws:s3:::legacy/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
        aws.s3.Bucket(
            "legacy",
            bucket="legacy",
            tags=TAGS,
            server_side_encryption_configuration={
                "rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
            },
            policy=json.dumps(policy),
        )

    plan = plan_of(program)
    assert flagged(plan, "s3-encryption") == {}
    assert flagged(plan, "s3-tls-only") == {}


def test_s3_public_access_block_all_four_switches() -> None:
    bad = plan_of(lambda: bucket_with(pab={"restrict_public_buckets": False}))
    assert flagged(bad, "s3-public-access-blocked") == {
        "logs": "public access block leaves restrictPublicBuckets off"
    }
    assert flagged(plan_of(lambda: bucket_with()), "s3-public-access-blocked") == {}


def test_s3_public_access_block_missing_and_account_level_block() -> None:
    def bare() -> None:
        aws.s3.Bucket("logs", tags=TAGS)

    assert flagged(plan_of(bare), "s3-public-access-blocked") == {
        "logs": "no public access block refers to this bucket"
    }

    def account_wide() -> None:
        bare()
        aws.s3.AccountPublicAccessBlock(
            "account",
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )

    assert flagged(plan_of(account_wide), "s3-public-access-blocked") == {}


def test_s3_tls_only() -> None:
    no_deny = plan_of(lambda: bucket_with(policy="read"))
    assert list(flagged(no_deny, "s3-tls-only")) == ["logs"]
    assert "aws:SecureTransport" in flagged(no_deny, "s3-tls-only")["logs"]
    assert flagged(plan_of(lambda: bucket_with(policy=None)), "s3-tls-only") == {
        "logs": "no bucket policy refers to this bucket"
    }
    assert flagged(plan_of(lambda: bucket_with()), "s3-tls-only") == {}


def test_s3_protected_is_a_warning() -> None:
    def program() -> None:
        aws.s3.Bucket("loose", tags=TAGS)
        aws.s3.Bucket("kept", tags=TAGS, opts=protected())

    assert flagged(plan_of(program), "s3-protected") == {"loose": "protect is False"}
    assert rule("s3-protected").severity is Severity.WARNING


# ---------------------------------------------------------------------------------------------
# EKS and nodes


def test_eks_endpoint_not_world() -> None:
    def bad() -> None:
        eks.Cluster("open", skip_default_node_group=True, tags=TAGS)
        aws.eks.Cluster(
            "raw",
            role_arn="arn:aws:iam::111111111111:role/eks",
            vpc_config={
                "subnet_ids": ["subnet-1"],
                "endpoint_public_access": True,
                "public_access_cidrs": ["10.0.0.0/8", "0.0.0.0/0"],
            },
        )

    found = flagged(plan_of(bad), "eks-endpoint-not-world")
    assert set(found) == {"open", "raw"}
    assert "default" in found["open"] and "0.0.0.0/0" in found["raw"]

    def good() -> None:
        eks.Cluster(
            "private",
            endpoint_public_access=False,
            endpoint_private_access=True,
            skip_default_node_group=True,
        )
        eks.Cluster("admins", public_access_cidrs=["203.0.113.0/24"], skip_default_node_group=True)
        aws.eks.Cluster(
            "raw",
            role_arn="arn:aws:iam::111111111111:role/eks",
            vpc_config={"subnet_ids": ["subnet-1"], "endpoint_public_access": False},
        )

    assert flagged(plan_of(good), "eks-endpoint-not-world") == {}


def test_eks_secrets_encryption() -> None:
    def bad() -> None:
        eks.Cluster("plain", skip_default_node_group=True)
        aws.eks.Cluster(
            "raw",
            role_arn="arn:aws:iam::111111111111:role/eks",
            vpc_config={"subnet_ids": ["subnet-1"]},
        )

    assert flagged(plan_of(bad), "eks-secrets-encryption") == {
        "plain": "encryptionConfigKeyArn is not set",
        "raw": "encryptionConfig does not encrypt 'secrets' with a KMS key",
    }

    def good() -> None:
        key = "arn:aws:kms:eu-west-1:111111111111:key/1"
        eks.Cluster("sealed", skip_default_node_group=True, encryption_config_key_arn=key)
        aws.eks.Cluster(
            "raw",
            role_arn="arn:aws:iam::111111111111:role/eks",
            vpc_config={"subnet_ids": ["subnet-1"]},
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": key}},
        )

    assert flagged(plan_of(good), "eks-secrets-encryption") == {}


def test_ec2_imdsv2() -> None:
    def bad() -> None:
        aws.ec2.LaunchTemplate("lt", metadata_options={"http_tokens": "optional"}, tags=TAGS)
        cluster = eks.Cluster("defaults")
        eks.ManagedNodeGroup("mng", cluster=cluster, node_role_arn="arn:aws:iam::1:role/n")
        aws.eks.NodeGroup(
            "ng",
            cluster_name="c",
            node_role_arn="arn:aws:iam::1:role/n",
            subnet_ids=["subnet-1"],
            scaling_config={"desired_size": 1, "max_size": 1, "min_size": 1},
        )
        k8s.apiextensions.CustomResource(
            "nodes",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            spec={"metadataOptions": {"httpTokens": "optional"}},
        )

        aws.ec2.Instance("vm", ami="ami-0123456789abcdef0", instance_type="t3.micro", tags=TAGS)

    found = flagged(plan_of(bad), "ec2-imdsv2")
    assert set(found) == {"lt", "defaults", "mng", "ng", "nodes", "vm"}
    assert found["vm"] == "metadataOptions.httpTokens is None, not 'required'"
    assert found["lt"] == "metadataOptions.httpTokens is 'optional', not 'required'"

    def good() -> None:
        lt = aws.ec2.LaunchTemplate(
            "lt",
            tags=TAGS,
            metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 2},
        )
        cluster = eks.Cluster("bare", skip_default_node_group=True)
        eks.ManagedNodeGroup(
            "mng", cluster=cluster, node_role_arn="arn:aws:iam::1:role/n", enable_imd_sv2=True
        )
        aws.eks.NodeGroup(
            "ng",
            cluster_name="c",
            node_role_arn="arn:aws:iam::1:role/n",
            subnet_ids=["subnet-1"],
            launch_template={"id": lt.id, "version": "1"},
            scaling_config={"desired_size": 1, "max_size": 1, "min_size": 1},
        )
        k8s.apiextensions.CustomResource(
            "nodes",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            spec={"metadataOptions": {"httpTokens": "required"}},
        )
        aws.ec2.Instance("vm", launch_template={"id": lt.id}, tags=TAGS)
        aws.ec2.Instance(
            "vm2",
            ami="ami-0123456789abcdef0",
            instance_type="t3.micro",
            tags=TAGS,
            metadata_options={"http_tokens": "required"},
        )

    assert flagged(plan_of(good), "ec2-imdsv2") == {}


# ---------------------------------------------------------------------------------------------
# ECR


def test_ecr_scan_on_push() -> None:
    def bad() -> None:
        aws.ecr.Repository("apps", image_tag_mutability="IMMUTABLE")

    assert flagged(plan_of(bad), "ecr-scan-on-push") == {
        "apps": "imageScanningConfiguration.scanOnPush is not true"
    }

    def good() -> None:
        aws.ecr.Repository("apps", image_scanning_configuration={"scan_on_push": True})

    def registry_scans() -> None:
        bad()
        aws.ecr.RegistryScanningConfiguration(
            "scanning",
            scan_type="ENHANCED",
            rules=[
                {
                    "scan_frequency": "CONTINUOUS_SCAN",
                    "repository_filters": [{"filter": "*", "filter_type": "WILDCARD"}],
                }
            ],
        )

    assert flagged(plan_of(good), "ecr-scan-on-push") == {}
    assert flagged(plan_of(registry_scans), "ecr-scan-on-push") == {}


def test_ecr_immutable_tags() -> None:
    def program() -> None:
        aws.ecr.Repository("mutable")
        aws.ecr.Repository("explicit", image_tag_mutability="MUTABLE")
        aws.ecr.Repository("fixed", image_tag_mutability="IMMUTABLE")

    assert flagged(plan_of(program), "ecr-immutable-tags") == {
        "mutable": "imageTagMutability is MUTABLE (default)",
        "explicit": "imageTagMutability is MUTABLE",
    }


# ---------------------------------------------------------------------------------------------
# RDS and Aurora


def databases(*, encrypted: bool, deletion_protection: bool, protect: bool) -> None:
    opts = pulumi.ResourceOptions(protect=protect)
    aws.rds.Instance(
        "pg",
        engine="postgres",
        instance_class="db.t4g.micro",
        allocated_storage=20,
        storage_encrypted=encrypted,
        deletion_protection=deletion_protection,
        username="app",
        manage_master_user_password=True,
        opts=opts,
        tags=TAGS,
    )
    aws.rds.Cluster(
        "aurora",
        engine="aurora-postgresql",
        storage_encrypted=encrypted,
        deletion_protection=deletion_protection,
        master_username="app",
        manage_master_user_password=True,
        opts=opts,
        tags=TAGS,
    )
    aws.rds.GlobalCluster(
        "global",
        global_cluster_identifier="orders",
        engine="aurora-postgresql",
        storage_encrypted=encrypted,
        deletion_protection=deletion_protection,
        opts=opts,
        tags=TAGS,
    )


@pytest.mark.parametrize(
    ("rule_id", "setting", "detail"),
    [
        ("rds-storage-encrypted", "encrypted", "storageEncrypted is False"),
        ("rds-deletion-protection", "deletion_protection", "deletionProtection is False"),
        ("rds-protected", "protect", "protect is False"),
    ],
)
def test_rds_rules(rule_id: str, setting: str, detail: str) -> None:
    good = {"encrypted": True, "deletion_protection": True, "protect": True}
    bad = {**good, setting: False}
    assert flagged(plan_of(lambda: databases(**bad)), rule_id) == {
        "pg": detail,
        "aurora": detail,
        "global": detail,
    }
    assert flagged(plan_of(lambda: databases(**good)), rule_id) == {}


def test_rds_unset_settings_are_flagged() -> None:
    def program() -> None:
        aws.rds.Instance(
            "pg", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20
        )

    assert flagged(plan_of(program), "rds-storage-encrypted") == {"pg": "storageEncrypted is unset"}
    assert flagged(plan_of(program), "rds-deletion-protection") == {
        "pg": "deletionProtection is unset"
    }


def global_database(*, secondary_credentials: bool, ignore: list[str]) -> None:
    global_ = aws.rds.GlobalCluster(
        "orders",
        global_cluster_identifier="orders",
        engine="aurora-postgresql",
        storage_encrypted=True,
        deletion_protection=True,
        opts=protected(),
    )
    primary = aws.rds.Cluster(
        "orders-primary",
        engine="aurora-postgresql",
        global_cluster_identifier=global_.id,
        master_username="app",
        master_password=pulumi.Output.secret("from-config"),
        storage_encrypted=True,
        deletion_protection=True,
        opts=protected(),
    )
    credentials: dict[str, Any] = {}
    if secondary_credentials:
        credentials = {
            "master_username": "app",
            "master_password": pulumi.Output.secret("from-config"),
        }
    aws.rds.Cluster(
        "orders-standby",
        engine="aurora-postgresql",
        region="us-east-1",
        global_cluster_identifier=global_.id,
        storage_encrypted=True,
        deletion_protection=True,
        kms_key_id="arn:aws:kms:us-east-1:111111111111:key/2",
        **credentials,
        opts=pulumi.ResourceOptions(protect=True, depends_on=[primary], ignore_changes=ignore),
    )


def test_aurora_secondary_no_credentials() -> None:
    bad = plan_of(lambda: global_database(secondary_credentials=True, ignore=[]))
    assert flagged(bad, "aurora-secondary-no-credentials") == {
        "orders-standby": "global secondary sets masterUsername, masterPassword"
    }
    good = plan_of(lambda: global_database(secondary_credentials=False, ignore=[]))
    assert flagged(good, "aurora-secondary-no-credentials") == {}


def test_aurora_secondary_ignore_changes() -> None:
    bad = plan_of(
        lambda: global_database(secondary_credentials=False, ignore=["global_cluster_identifier"])
    )
    assert flagged(bad, "aurora-secondary-ignore-changes") == {
        "orders-standby": "ignore_changes lacks replicationSourceIdentifier"
    }
    good = plan_of(
        lambda: global_database(
            secondary_credentials=False,
            ignore=["global_cluster_identifier", "replication_source_identifier"],
        )
    )
    assert good.get("orders-standby").ignore_changes == (
        "globalClusterIdentifier",
        "replicationSourceIdentifier",
    )
    assert flagged(good, "aurora-secondary-ignore-changes") == {}


@pytest.mark.parametrize("joined", ["global_cluster_identifier", "source_db_cluster_identifier"])
def test_aurora_global_no_managed_password(joined: str) -> None:
    def program(managed: bool) -> None:
        password: dict[str, Any] = (
            {"manage_master_user_password": True}
            if managed
            else {"master_password": pulumi.Output.secret("from-config")}
        )
        member: dict[str, Any] = {}
        if joined == "global_cluster_identifier":
            member = {"global_cluster_identifier": "orders"}
        cluster = aws.rds.Cluster(
            "orders-primary",
            cluster_identifier="orders-primary",
            engine="aurora-postgresql",
            master_username="app",
            storage_encrypted=True,
            deletion_protection=True,
            **member,
            **password,
            opts=protected(),
        )
        if joined == "source_db_cluster_identifier":
            aws.rds.GlobalCluster(
                "orders",
                global_cluster_identifier="orders",
                source_db_cluster_identifier=cluster.arn,
                deletion_protection=True,
                opts=protected(),
            )
        # A cluster outside any global database may let RDS manage its password.
        aws.rds.Cluster(
            "reports",
            engine="aurora-postgresql",
            master_username="app",
            manage_master_user_password=True,
            storage_encrypted=True,
            deletion_protection=True,
            opts=protected(),
        )

    assert flagged(plan_of(lambda: program(True)), "aurora-global-no-managed-password") == {
        "orders-primary": "manageMasterUserPassword is true on a member of a global database"
    }
    assert flagged(plan_of(lambda: program(False)), "aurora-global-no-managed-password") == {}


def test_aurora_lone_secondary_from_another_stack() -> None:
    def program() -> None:
        aws.rds.Cluster(
            "standby",
            engine="aurora-postgresql",
            global_cluster_identifier="orders",
            storage_encrypted=True,
            deletion_protection=True,
            opts=protected(),
        )

    assert flagged(plan_of(program), "aurora-secondary-ignore-changes") == {
        "standby": "ignore_changes lacks globalClusterIdentifier, replicationSourceIdentifier"
    }


# ---------------------------------------------------------------------------------------------
# Route 53


def failover(*, ttl: int, health_check: bool) -> None:
    check = aws.route53.HealthCheck(
        "healthz",
        fqdn="eu.example.com",
        type="HTTPS",
        resource_path="/healthz",
        request_interval=10,
        failure_threshold=3,
        tags=TAGS,
    )
    aws.route53.Record(
        "primary",
        zone_id="Z123",
        name="app.example.com",
        type="CNAME",
        ttl=ttl,
        records=["eu.example.com"],
        set_identifier="primary",
        failover_routing_policies=[{"type": "PRIMARY"}],
        health_check_id=check.id if health_check else None,
    )
    aws.route53.Record(
        "secondary",
        zone_id="Z123",
        name="app.example.com",
        type="A",
        set_identifier="secondary",
        failover_routing_policies=[{"type": "SECONDARY"}],
        aliases=[
            {
                "name": "lb.us-east-1.elb.amazonaws.com",
                "zone_id": "Z35",
                "evaluate_target_health": True,
            }
        ],
    )
    aws.route53.Record(
        "plain",
        zone_id="Z123",
        name="www.example.com",
        type="CNAME",
        ttl=3600,
        records=["app.example.com"],
    )


def test_route53_failover_ttl() -> None:
    assert flagged(
        plan_of(lambda: failover(ttl=300, health_check=True)), "route53-failover-ttl"
    ) == {"primary": "ttl is 300 s, above 60 s"}
    assert (
        flagged(plan_of(lambda: failover(ttl=60, health_check=True)), "route53-failover-ttl") == {}
    )


def test_route53_primary_health_check() -> None:
    assert flagged(
        plan_of(lambda: failover(ttl=60, health_check=False)), "route53-primary-health-check"
    ) == {"primary": "PRIMARY failover record has no healthCheckId"}
    assert (
        flagged(
            plan_of(lambda: failover(ttl=60, health_check=True)), "route53-primary-health-check"
        )
        == {}
    )


# ---------------------------------------------------------------------------------------------
# Secrets, RAM, IAM


def test_no_plaintext_secrets_in_helm_values_and_inputs() -> None:
    def bad() -> None:
        k8s.helm.v3.Release(
            "monitoring",
            chart="kube-prometheus-stack",
            values={
                "grafana": {"adminPassword": "hunter2"},
                "alertmanager": {
                    "config": {
                        "receivers": [
                            {
                                "name": "slack",
                                "slack_configs": [
                                    {
                                        "api_url": "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
                                    }
                                ],
                            }
                        ]
                    }
                },
            },
        )
        # pulumi-aws marks schema-secret inputs (master_password) secret by itself; a Lambda
        # environment variable is not.
        aws.rds.Cluster(
            "db",
            engine="aurora-postgresql",
            master_username="app",
            master_password="marked-secret-by-the-sdk",
        )
        aws.lambda_.Function(
            "fn",
            role="arn:aws:iam::111111111111:role/fn",
            runtime="python3.12",
            handler="main.handler",
            code=pulumi.AssetArchive({}),
            environment={"variables": {"API_TOKEN": "plaintext-token"}},
        )

    plan = plan_of(bad)
    assert plan.get("db").inputs["masterPassword"] == "[secret]"
    found = flagged(plan, "no-plaintext-secrets")
    assert set(found) == {"monitoring", "fn"}
    assert "values.grafana.adminPassword" in found["monitoring"]
    assert "Slack webhook URL" in found["monitoring"]
    assert found["fn"] == (
        "environment.variables.API_TOKEN: key 'API_TOKEN' holds a plaintext value"
    )

    def good() -> None:
        k8s.helm.v3.Release(
            "monitoring",
            chart="kube-prometheus-stack",
            values={
                "grafana": {
                    "admin": {"existingSecret": "grafana-admin", "passwordKey": "password"}
                },
                "alertmanager": {
                    "config": {
                        "receivers": [
                            {
                                "name": "slack",
                                "slack_configs": [
                                    {"api_url_file": "/etc/alertmanager/secrets/slack/url"}
                                ],
                            }
                        ]
                    }
                },
            },
        )
        aws.rds.Cluster(
            "db",
            engine="aurora-postgresql",
            master_username="app",
            master_password=pulumi.Output.secret("from-config"),
        )
        k8s.core.v1.Secret(
            "slack",
            string_data={"url": pulumi.Output.secret("https://hooks.slack.com/services/T0/B0/X")},
        )

    assert flagged(plan_of(good), "no-plaintext-secrets") == {}


def test_s3_access_logging() -> None:
    def program() -> None:
        bucket_with(name="logged")
        bucket_with(name="silent", access_logs=False)

    assert flagged(plan_of(program), "s3-access-logging") == {
        "silent": "no server access logging configuration refers to this bucket"
    }


def test_secure_config_plaintext() -> None:
    """A ``secure:`` value read with require is plain text in the inputs; require_secret is not."""
    from obs_platform.testing import run as run_engine

    def program(read_secret: bool) -> Callable[[], None]:
        def body() -> None:
            cfg = pulumi.Config()
            token = cfg.require_secret("token") if read_secret else cfg.require("token")
            aws.ssm.Parameter("param", type="String", value="v", description=token, tags=TAGS)
            aws.ssm.Parameter("other", type="String", value="v", tags=TAGS)

        return body

    config = {"aws:region": REGION, "project:token": "offline-secret"}
    plain = run_engine(program(False), config=config, secret_keys={"project:token"})
    assert flagged(plain, "secure-config-plaintext") == {
        "param": "a secure: config value is in plain text at description"
    }
    kept = run_engine(program(True), config=config, secret_keys={"project:token"})
    assert flagged(kept, "secure-config-plaintext") == {}


def ram_share(*, external: bool, principal: str = "222222222222") -> None:
    share = aws.ram.ResourceShare("tgw-share", allow_external_principals=external, tags=TAGS)
    aws.ram.PrincipalAssociation("member", principal=principal, resource_share_arn=share.arn)


def test_ram_external_principals() -> None:
    org = "arn:aws:organizations::111111111111:organization/o-abc123"
    org_only = plan_of(lambda: ram_share(external=True, principal=org))
    assert flagged(org_only, "ram-external-principals") == {
        "tgw-share": "allowExternalPrincipals is true but the share names no account principal"
    }
    named = plan_of(lambda: ram_share(external=True))
    assert flagged(named, "ram-external-principals") == {}
    pinned = GuardrailsConfig(allowed_external_principals=frozenset({"333333333333"}))
    assert flagged(named, "ram-external-principals", pinned) == {
        "tgw-share": "allowExternalPrincipals is true for 222222222222, not in "
        "allowed_external_principals"
    }
    listed = GuardrailsConfig(allowed_external_principals=frozenset({"222222222222"}))
    assert flagged(named, "ram-external-principals", listed) == {}
    closed = plan_of(lambda: ram_share(external=False, principal=org))
    assert flagged(closed, "ram-external-principals", pinned) == {}


def test_iam_no_admin() -> None:
    admin = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    scoped = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"},
                {"Effect": "Deny", "Action": "*", "Resource": "*"},
            ],
        }
    )

    def bad() -> None:
        aws.iam.Policy("admin", policy=admin, tags=TAGS)
        role = aws.iam.Role(
            "role",
            assume_role_policy="{}",
            tags=TAGS,
            inline_policies=[{"name": "all", "policy": admin}],
        )
        aws.iam.RolePolicy("inline", role=role.name, policy=admin)
        aws.iam.RolePolicyAttachment(
            "attach", role=role.name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess"
        )

    found = flagged(plan_of(bad), "iam-no-admin")
    assert found == {
        "admin": "policy allows Action '*' on Resource '*'",
        "role": "inlinePolicies[0] (all) allows Action '*' on Resource '*'",
        "inline": "policy allows Action '*' on Resource '*'",
        "attach": "attaches arn:aws:iam::aws:policy/AdministratorAccess",
    }

    def good() -> None:
        aws.iam.Policy("reader", policy=scoped, tags=TAGS)
        aws.iam.Role(
            "role",
            assume_role_policy="{}",
            tags=TAGS,
            inline_policies=[{"name": "read", "policy": scoped}],
        )

    assert flagged(plan_of(good), "iam-no-admin") == {}


# ---------------------------------------------------------------------------------------------
# Tags and retention


def test_required_tags_with_provider_and_config_defaults() -> None:
    def program() -> None:
        aws.s3.Bucket("untagged")
        aws.s3.Bucket("tagged", tags=TAGS)
        provider = aws.Provider(
            "tagging", region="us-east-1", default_tags={"tags": {**TAGS, "team": "obs"}}
        )
        aws.s3.Bucket("via-provider", opts=pulumi.ResourceOptions(provider=provider))
        aws.route53.Record(
            "record", zone_id="Z1", name="a.example.com", type="A", ttl=60, records=["192.0.2.1"]
        )

    plan = plan_of(program)
    assert flagged(plan, "required-tags") == {"untagged": "missing tag(s) obs-platform:managed-by"}
    team = GuardrailsConfig(required_tags=("team",))
    assert flagged(plan, "required-tags", team) == {
        "untagged": "missing tag(s) obs-platform:managed-by, team",
        "tagged": "missing tag(s) team",
    }
    defaults = GuardrailsConfig(default_tags={**TAGS, "team": "obs"}, required_tags=("team",))
    assert flagged(plan, "required-tags", defaults) == {}


def test_retention_set() -> None:
    def bad() -> None:
        aws.cloudwatch.LogGroup("app", tags=TAGS)
        k8s.helm.v3.Release("kps", chart="kube-prometheus-stack", values={})
        k8s.helm.v3.Release(
            "loki", chart="loki", values={"loki": {"limits_config": {"retention_period": "744h"}}}
        )
        k8s.helm.v4.Chart("tempo", chart="oci://example.com/charts/tempo", values={})
        k8s.helm.v3.Release("tempo-d", chart="tempo-distributed", values={})
        k8s.helm.v3.Release("other", chart="ingress-nginx", values={})

    found = flagged(plan_of(bad), "retention-set")
    assert set(found) == {"app", "kps", "loki", "tempo", "tempo-d"}
    assert found["kps"] == "prometheus.prometheusSpec.retention is not set in the release's values"

    def good() -> None:
        aws.cloudwatch.LogGroup("app", retention_in_days=30, tags=TAGS)
        k8s.helm.v3.Release(
            "kps",
            chart="kube-prometheus-stack",
            values={"prometheus": {"prometheusSpec": {"retention": "15d"}}},
        )
        # A cell's Prometheus agent stores nothing but its WAL: no retention to set.
        k8s.helm.v3.Release(
            "agent", chart="kube-prometheus-stack", values={"prometheus": {"agentMode": True}}
        )
        k8s.helm.v3.Release(
            "loki",
            chart="loki",
            values={
                "loki": {
                    "limits_config": {"retention_period": "744h"},
                    "compactor": {"retention_enabled": True, "delete_request_store": "s3"},
                }
            },
        )
        k8s.helm.v4.Chart(
            "tempo", chart="oci://example.com/charts/tempo", values={"tempo": {"retention": "336h"}}
        )
        k8s.helm.v3.Release(
            "tempo-d",
            chart="tempo-distributed",
            values={
                "backendScheduler": {
                    "config": {
                        "provider": {"compaction": {"compaction": {"block_retention": "336h"}}}
                    }
                }
            },
        )

    assert flagged(plan_of(good), "retention-set") == {}


# ---------------------------------------------------------------------------------------------
# The catalogue


# ---------------------------------------------------------------------------------------------
# Cells on the network (issue 13)


def vpc_routing(*, attached: bool) -> None:
    vpc = aws.ec2.Vpc("cell-vpc", cidr_block="10.16.0.0/20", tags=TAGS)
    table = aws.ec2.RouteTable("cell-rt", vpc_id=vpc.id, tags=TAGS)
    depends: list[pulumi.Resource] = []
    if attached:
        depends.append(
            aws.ec2transitgateway.VpcAttachment(
                "cell-tgw",
                transit_gateway_id="tgw-0123456789abcdef0",
                vpc_id=vpc.id,
                subnet_ids=["subnet-1"],
                tags=TAGS,
            )
        )
    aws.ec2.Route(
        "cell-to-shared",
        route_table_id=table.id,
        destination_cidr_block="10.0.0.0/8",
        transit_gateway_id="tgw-0123456789abcdef0",
        opts=pulumi.ResourceOptions(depends_on=depends),
    )


def test_transit_routes_attached() -> None:
    found = flagged(plan_of(lambda: vpc_routing(attached=False)), "transit-routes-attached")
    assert set(found) == {"cell-to-shared"}
    assert "10.0.0.0/8 to tgw-0123456789abcdef0" in found["cell-to-shared"]
    assert "has no attachment" in found["cell-to-shared"]
    assert flagged(plan_of(lambda: vpc_routing(attached=True)), "transit-routes-attached") == {}


def private_cluster(*, attached: bool, public: bool = False) -> None:
    cluster = eks.Cluster(
        "cell-eks",
        vpc_id="vpc-0123456789abcdef0",
        private_subnet_ids=["subnet-1", "subnet-2"],
        endpoint_private_access=True,
        endpoint_public_access=public,
        public_access_cidrs=["203.0.113.0/24"] if public else None,
        skip_default_node_group=True,
        tags=TAGS,
    )
    k8s.Provider("cell-k8s", kubeconfig=cluster.kubeconfig_json)
    if attached:
        aws.ec2transitgateway.VpcAttachment(
            "cell-tgw",
            transit_gateway_id="tgw-0123456789abcdef0",
            vpc_id="vpc-0123456789abcdef0",
            subnet_ids=["subnet-1"],
            tags=TAGS,
        )


def test_eks_api_reachable() -> None:
    found = flagged(plan_of(lambda: private_cluster(attached=False)), "eks-api-reachable")
    assert set(found) == {"cell-eks"}
    assert "private-only" in found["cell-eks"] and "vpc-0123456789abcdef0" in found["cell-eks"]
    assert rule("eks-api-reachable").severity is Severity.WARNING
    for good in (
        lambda: private_cluster(attached=True),
        lambda: private_cluster(attached=False, public=True),
    ):
        assert flagged(plan_of(good), "eks-api-reachable") == {}


def node_volumes(*, grant: bool) -> None:
    from obs_platform._internal.kms import auto_scaling_key_statements

    root = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    statements = [root, *(auto_scaling_key_statements("111111111111") if grant else [])]
    key = aws.kms.Key(
        "nodes-key",
        enable_key_rotation=True,
        policy=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        tags=TAGS,
        opts=protected(),
    )
    aws.ec2.LaunchTemplate(
        "nodes-lt",
        metadata_options={"http_tokens": "required", "http_endpoint": "enabled"},
        block_device_mappings=[
            {"device_name": "/dev/xvda", "ebs": {"encrypted": "true", "kms_key_id": key.arn}}
        ],
        tags=TAGS,
    )


def test_node_volume_key_grants_auto_scaling() -> None:
    rule_id = "node-volume-key-grants-auto-scaling"
    found = flagged(plan_of(lambda: node_volumes(grant=False)), rule_id)
    assert set(found) == {"nodes-lt"}
    assert "nodes-key" in found["nodes-lt"] and "AWSServiceRoleForAutoScaling" in found["nodes-lt"]
    assert flagged(plan_of(lambda: node_volumes(grant=True)), rule_id) == {}


def test_every_rule_is_tested_here_and_well_described() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    for r in RULES:
        assert f'"{r.id}"' in source, f"rule {r.id} has no test in this file"
        assert r.rationale.endswith(".") and "\n" not in r.rationale
        assert r.fix and r.title
    assert len({r.id for r in RULES}) == len(RULES)


def test_a_secure_program_passes_every_rule() -> None:
    def program() -> None:
        bucket_with()
        databases(encrypted=True, deletion_protection=True, protect=True)
        failover(ttl=60, health_check=True)
        aws.cloudwatch.LogGroup("app", retention_in_days=30, tags=TAGS)

    report = check_plan(plan_of(program))
    assert report.violations == ()
    assert report.passed
    assert report.rules == tuple(r.id for r in RULES)


def test_kms_key_rotation() -> None:
    def program() -> None:
        aws.kms.Key("rotating", enable_key_rotation=True, tags=TAGS)
        aws.kms.Key("static", tags=TAGS)
        aws.kms.Key("signing", customer_master_key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY")

    assert flagged(plan_of(program), "kms-key-rotation") == {"static": "enableKeyRotation is None"}


def _nlb(name: str, **kwargs: Any) -> None:
    aws.lb.LoadBalancer(
        name, load_balancer_type="network", internal=True, subnets=["subnet-1"], tags=TAGS, **kwargs
    )


def test_lb_deletion_protection() -> None:
    def program() -> None:
        _nlb("kept", enable_deletion_protection=True)
        _nlb("bare")

    assert flagged(plan_of(program), "lb-deletion-protection") == {
        "bare": "enableDeletionProtection is None"
    }
    assert rule("lb-deletion-protection").severity is Severity.ERROR


def test_lb_access_logs() -> None:
    def program() -> None:
        _nlb("logged", access_logs={"enabled": True, "bucket": "lb-logs"})
        _nlb("off", access_logs={"enabled": False, "bucket": "lb-logs"})
        _nlb("bare")

    assert flagged(plan_of(program), "lb-access-logs") == {
        "off": "accessLogs is {'enabled': False, 'bucket': 'lb-logs'}",
        "bare": "accessLogs is None",
    }
    assert rule("lb-access-logs").severity is Severity.ERROR


# ---------------------------------------------------------------------------------------------
# API Gateway


def _http_api(name: str, **kwargs: Any) -> aws.apigatewayv2.Api:
    return aws.apigatewayv2.Api(name, protocol_type="HTTP", tags=TAGS, **kwargs)


def test_apigw_default_route_authorized() -> None:
    def program() -> None:
        api = _http_api("app")
        aws.apigatewayv2.Route("open", api_id=api.id, route_key="$default")
        aws.apigatewayv2.Route(
            "open-explicit", api_id=api.id, route_key="$default", authorization_type="NONE"
        )
        authorizer = aws.apigatewayv2.Authorizer(
            "jwt",
            api_id=api.id,
            authorizer_type="JWT",
            identity_sources=["$request.header.Authorization"],
            jwt_configuration={"audiences": ["app"], "issuer": "https://issuer.example.com"},
        )
        aws.apigatewayv2.Route(
            "guarded",
            api_id=api.id,
            route_key="$default",
            authorization_type="JWT",
            authorizer_id=authorizer.id,
        )
        aws.apigatewayv2.Route("healthz", api_id=api.id, route_key="GET /healthz")
        _http_api("quick", target="https://backend.example.com")
        _http_api("quick-routed", target="https://backend.example.com", route_key="GET /x")

    assert flagged(plan_of(program), "apigw-default-route-authorized") == {
        "open": "route $default has authorizationType None (open access)",
        "open-explicit": "route $default has authorizationType 'NONE' (open access)",
        "quick": "quick create (target set) makes an unauthenticated $default route",
    }
    assert rule("apigw-default-route-authorized").severity is Severity.ERROR


def test_apigw_access_logs() -> None:
    fmt = '{"requestId": "$context.requestId", "status": "$context.status"}'

    def program() -> None:
        api = _http_api("app")
        logs = aws.cloudwatch.LogGroup("api-logs", retention_in_days=30, tags=TAGS)
        aws.apigatewayv2.Stage("bare", api_id=api.id, name="$default", tags=TAGS)
        aws.apigatewayv2.Stage(
            "logged",
            api_id=api.id,
            name="live",
            access_log_settings={"destination_arn": logs.arn, "format": fmt},
            tags=TAGS,
        )
        aws.apigatewayv2.Stage(
            "no-request-id",
            api_id=api.id,
            name="beta",
            access_log_settings={"destination_arn": logs.arn, "format": "$context.status"},
            tags=TAGS,
        )
        rest = aws.apigateway.RestApi("rest", tags=TAGS)
        deployment = aws.apigateway.Deployment("rest-deployment", rest_api=rest.id)
        aws.apigateway.Stage(
            "rest-bare", rest_api=rest.id, deployment=deployment.id, stage_name="prod", tags=TAGS
        )
        _http_api("quick", target="https://backend.example.com")

    assert flagged(plan_of(program), "apigw-access-logs") == {
        "bare": "accessLogSettings is None: no destinationArn",
        "no-request-id": "the access log format does not include $context.requestId",
        "rest-bare": "accessLogSettings is None: no destinationArn",
        "quick": "quick create (target set) makes a stage without access logs",
    }


# ---------------------------------------------------------------------------------------------
# Node-level Kubernetes workloads

HARDENED = {
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}


def _cluster_role(name: str, resources: list[str], groups: list[str] | None = None) -> None:
    k8s.rbac.v1.ClusterRole(
        name,
        metadata={"name": name},
        rules=[{"apiGroups": groups or [""], "resources": resources, "verbs": ["get"]}],
    )


def test_k8s_no_nodes_proxy() -> None:
    def program() -> None:
        _cluster_role("kubelet-stats", ["nodes/stats", "nodes/metrics"])
        _cluster_role("kubelet-proxy", ["nodes/stats", "nodes/proxy"])
        _cluster_role("everything", ["*"], ["*"])
        _cluster_role("any-proxy", ["*/proxy"])
        _cluster_role("apps-only", ["*"], ["apps"])

    assert flagged(plan_of(program), "k8s-no-nodes-proxy") == {
        "kubelet-proxy": "rules[0] grants ['get'] on ['nodes/proxy', 'nodes/stats'], which "
        "includes nodes/proxy",
        "everything": "rules[0] grants ['get'] on ['*'], which includes nodes/proxy",
        "any-proxy": "rules[0] grants ['get'] on ['*/proxy'], which includes nodes/proxy",
    }


def _daemon_set(
    name: str,
    *,
    ports: list[dict[str, Any]] | None = None,
    security: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    host_network: bool = False,
    init: dict[str, Any] | None = None,
) -> None:
    labels = {"app": name}
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "agent",
                "image": "public.ecr.aws/example/agent:1.0.0",
                "ports": ports or [],
                "securityContext": HARDENED if security is None else security,
            }
        ]
    }
    if host_network:
        spec["hostNetwork"] = True
    if init is not None:
        spec["initContainers"] = [
            {
                "name": "setup",
                "image": "public.ecr.aws/example/setup:1.0.0",
                "securityContext": init,
            }
        ]
    metadata: dict[str, Any] = {"name": name, "namespace": "agents"}
    if annotations:
        metadata["annotations"] = annotations
    k8s.apps.v1.DaemonSet(
        name,
        metadata=metadata,
        spec={
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    )


def test_daemonset_host_ports() -> None:
    port = {"containerPort": 4317, "hostPort": 4317, "protocol": "TCP"}

    def program() -> None:
        _daemon_set("service-only", ports=[{"containerPort": 4317}])
        _daemon_set("host-port", ports=[port])
        _daemon_set("host-network", host_network=True)
        _daemon_set("declared", ports=[port], annotations={HOST_PORTS: "apps send to node IPs"})
        _daemon_set("empty-reason", ports=[port], annotations={HOST_PORTS: " "})

    assert flagged(plan_of(program), "daemonset-host-ports") == {
        "host-port": "container 'agent' hostPort 4317, without the obs-platform/host-ports "
        "annotation",
        "host-network": "hostNetwork: true, without the obs-platform/host-ports annotation",
        "empty-reason": "container 'agent' hostPort 4317, without the obs-platform/host-ports "
        "annotation",
    }


def test_daemonset_hardened() -> None:
    def program() -> None:
        _daemon_set("hardened", init=HARDENED)
        _daemon_set("bare", security={})
        _daemon_set("privileged", security={**HARDENED, "privileged": True})
        _daemon_set("writable-init", init={**HARDENED, "readOnlyRootFilesystem": False})

    assert flagged(plan_of(program), "daemonset-hardened") == {
        "bare": "container 'agent': readOnlyRootFilesystem is not true, allowPrivilegeEscalation "
        "is not false, capabilities.drop lacks ALL",
        "privileged": "container 'agent': privileged is true",
        "writable-init": "container 'setup': readOnlyRootFilesystem is not true",
    }


@pytest.mark.parametrize("host_ports", [False, True])
def test_cell_collector_passes_the_workload_rules(host_ports: bool) -> None:
    def program() -> None:
        Cell(
            REGION,
            CellArgs(
                region=REGION,
                docker_hub_credential_arn=docker_hub_credential(),
                telemetry={"host_ports": host_ports},
            ),
        )

    plan = plan_of(program)
    collector = plan.get(f"{REGION}-telemetry-collector")
    ports = collector.inputs["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert [p.get("hostPort") for p in ports] == ([4317, 4318] if host_ports else [None, None])
    ids = ("daemonset-host-ports", "daemonset-hardened", "k8s-no-nodes-proxy")
    assert [v.rule for v in evaluate(plan, None, tuple(rule(i) for i in ids))] == []
    api = ("apigw-default-route-authorized", "apigw-access-logs")
    assert [v.rule for v in evaluate(plan, None, tuple(rule(i) for i in api))] == []
