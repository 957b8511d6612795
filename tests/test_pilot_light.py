"""PilotLightDr under the offline engine: the exact graph, the budget and every refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

import reference
from obs_platform import ObsPlatformError
from obs_platform.dr.pilot_light import PilotLightDr, PilotLightDrArgs
from obs_platform.testing import Plan, ProgramError, run

DR = "obs-platform:dr:PilotLightDr"
STANDBY_ROLE = "arn:aws:iam::222222222222:role/deployer"
ASG = "arn:aws:autoscaling:{r}:{a}:autoScalingGroup:0000-1111:autoScalingGroupName/eks-{r}"


def site(name: str, region: str, account: str = "111111111111", **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        name=name,
        region=region,
        healthz_host=f"{name}.cells.example.com",
        eks_cluster_name=f"{name}-eks",
        eks_cluster_arn=f"arn:aws:eks:{region}:{account}:cluster/{name}-eks",
        node_group_asg_arn=ASG.format(r=region, a=account),
        db_subnet_group_name=f"{name}-db",
        db_security_group_ids=[f"sg-{name}"],
        db_kms_key_arn=f"arn:aws:kms:{region}:{account}:key/{name}",
        kafka_cluster_arn=f"arn:aws:kafka:{region}:{account}:cluster/{name}/uuid-1",
        kafka_subnet_ids=[f"subnet-{name}"],
        kafka_security_group_ids=[f"sg-k-{name}"],
        kafka_bootstrap_servers=f"{name}-bootstrap:9093",
    )
    values.update(extra)
    return values


def build(
    plan_args: dict[str, Any] | None = None,
    *,
    standby_extra: dict[str, Any] | None = None,
    primary_extra: dict[str, Any] | None = None,
    k8s_provider: bool = False,
    same_account: bool = True,
) -> Plan:
    """Build a DR whose standby has its own provider: another account unless ``same_account``
    (both sites then give account 111111111111, so the providers reach one account)."""
    standby_account = "111111111111" if same_account else "222222222222"
    accounts: dict[str, Any] = {"account_id": "111111111111"} if same_account else {}

    def program() -> None:
        provider = aws.Provider(
            "standby-account", region="us-east-1", assume_roles=[{"role_arn": STANDBY_ROLE}]
        )
        extra = dict(standby_extra or {})
        if k8s_provider:
            extra["kubernetes_provider"] = k8s.Provider("standby-k8s", kubeconfig="{}")
        args: dict[str, Any] = dict(
            primary={**site("eu-west-1", "eu-west-1"), **accounts, **(primary_extra or {})},
            standby={
                **site("us-east-1", "us-east-1", standby_account),
                **accounts,
                "provider": provider,
                **extra,
            },
            zone_id="Z0123",
            record_name="app.example.com",
        )
        args.update(plan_args or {})
        dr = PilotLightDr("app", args)
        pulumi.export("rto_seconds", dr.rto_seconds)
        pulumi.export("rpo_seconds", dr.rpo_seconds)

    return run(program, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build({"kafka": {"engine": "msk"}}, same_account=True)


SHARED = {
    "vpc_id": "vpc-standby",
    "vpc_cidr": "10.32.0.0/20",
    "db_subnet_ids": ["subnet-a", "subnet-b"],
    "subnets_shared_with": ["111111111111"],
}


@pytest.fixture(scope="module")
def cross() -> Plan:
    """The standby in another account: its Aurora member in the primary account."""
    return build(
        {"database": {"standby_in_primary_account": True}},
        standby_extra=SHARED,
        same_account=False,
    )


UNGRACEFUL_CHILDREN = {
    ("aws:cloudwatch/logGroup:LogGroup", "app-arc-ungraceful-logs"),
    ("aws:iam/role:Role", "app-arc-ungraceful-role"),
    ("aws:iam/rolePolicy:RolePolicy", "app-arc-ungraceful-policy"),
    ("aws:lambda/function:Function", "app-arc-ungraceful"),
    ("aws:cloudwatch/eventRule:EventRule", "app-arc-ungraceful-events"),
    ("aws:cloudwatch/eventTarget:EventTarget", "app-arc-ungraceful-events-target"),
    ("aws:lambda/permission:Permission", "app-arc-ungraceful-events-permission"),
    ("aws:cloudwatch/eventRule:EventRule", "app-arc-ungraceful-schedule"),
    ("aws:cloudwatch/eventTarget:EventTarget", "app-arc-ungraceful-schedule-target"),
    ("aws:lambda/permission:Permission", "app-arc-ungraceful-schedule-permission"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "app-arc-ungraceful-errors"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "app-arc-ungraceful-throttles"),
}


def test_exact_children(plan: Plan) -> None:
    dr = plan.get("app", DR)
    children = {(r.type, r.name) for r in plan.children(dr)}
    assert children == {
        ("aws:route53/healthCheck:HealthCheck", "app-primary-healthz"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "app-primary-healthz-alarm"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "app-primary-never-healthy"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "app-primary-writer-alarm"),
        ("aws:route53/healthCheck:HealthCheck", "app-primary-writer-check"),
        ("aws:route53/healthCheck:HealthCheck", "app-primary-gate"),
        ("aws:route53/record:Record", "app-primary-record"),
        ("aws:route53/record:Record", "app-standby-record"),
        ("aws:rds/globalCluster:GlobalCluster", "app-global"),
        ("aws:kms/ciphertext:Ciphertext", "app-db-password-seed"),
        ("aws:secretsmanager/secret:Secret", "app-db-master"),
        ("aws:secretsmanager/secretVersion:SecretVersion", "app-db-master-value"),
        ("aws:rds/cluster:Cluster", "app-primary-db"),
        ("aws:rds/clusterInstance:ClusterInstance", "app-primary-db-0"),
        ("aws:rds/clusterInstance:ClusterInstance", "app-primary-db-1"),
        ("aws:rds/cluster:Cluster", "app-standby-db"),
        ("aws:rds/clusterInstance:ClusterInstance", "app-standby-db-0"),
        ("aws:iam/role:Role", "app-kafka-replicator-role"),
        ("aws:iam/rolePolicy:RolePolicy", "app-kafka-replicator-policy"),
        ("aws:msk/replicator:Replicator", "app-kafka-replicator"),
        ("aws:iam/role:Role", "app-arc-role"),
        ("aws:iam/rolePolicy:RolePolicy", "app-arc-policy"),
        ("aws:iam/role:Role", "app-arc-approver"),
        ("aws:iam/rolePolicy:RolePolicy", "app-arc-approver-policy"),
        ("aws:eks/accessEntry:AccessEntry", "app-arc-primary-access"),
        ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "app-arc-primary-scaling"),
        ("aws:eks/accessEntry:AccessEntry", "app-arc-standby-access"),
        ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "app-arc-standby-scaling"),
        ("aws:arcregionswitch/plan:Plan", "app-region-switch"),
        *UNGRACEFUL_CHILDREN,
    }
    assert plan.descendants(dr) == plan.children(dr)


def test_health_check_and_alarm(plan: Plan) -> None:
    check = plan.get("app-primary-healthz")
    assert check.inputs["type"] == "HTTPS"
    assert check.inputs["fqdn"] == "eu-west-1.cells.example.com"
    assert check.inputs["resourcePath"] == "/healthz"
    assert check.inputs["port"] == 443
    assert check.inputs["requestInterval"] == 10
    assert check.inputs["failureThreshold"] == 3
    # The tags the DR alert rules read (tag_cell, tag_dr_role through the CloudWatch exporter).
    assert check.inputs["tags"]["cell"] == "eu-west-1"
    assert check.inputs["tags"]["dr-role"] == "primary"
    alarm = plan.get("app-primary-healthz-alarm")
    assert alarm.region == "us-east-1"
    assert alarm.inputs["region"] == "us-east-1"
    assert alarm.inputs["namespace"] == "AWS/Route53"
    assert alarm.inputs["metricName"] == "HealthCheckStatus"
    assert alarm.inputs["dimensions"] == {"HealthCheckId": check.outputs["id"]}
    assert alarm.inputs["period"] == 60 and alarm.inputs["evaluationPeriods"] == 1
    assert alarm.inputs["comparisonOperator"] == "LessThanThreshold"
    assert alarm.inputs["threshold"] == 1


def test_failover_records_and_gate(plan: Plan) -> None:
    gate = plan.get("app-primary-gate")
    assert gate.inputs["type"] == "CALCULATED"
    assert gate.inputs["childHealthThreshold"] == 2
    assert gate.inputs["childHealthchecks"] == [
        plan.get("app-primary-healthz").outputs["id"],
        plan.get("app-primary-writer-check").outputs["id"],
    ]
    writer = plan.get("app-primary-writer-alarm")
    assert writer.region == "eu-west-1"
    assert writer.inputs["metricName"] == "AuroraGlobalDBReplicationLag"
    assert writer.inputs["dimensions"] == {"DBClusterIdentifier": "app-eu-west-1"}
    assert writer.inputs["treatMissingData"] == "notBreaching"
    primary, standby = plan.get("app-primary-record"), plan.get("app-standby-record")
    assert primary.inputs["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert standby.inputs["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert primary.inputs["setIdentifier"] == "eu-west-1-primary"
    assert standby.inputs["setIdentifier"] == "us-east-1-standby"
    for record in (primary, standby):
        assert record.inputs["ttl"] <= 60
        assert record.inputs["name"] == "app.example.com"
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["zoneId"] == "Z0123"
    assert primary.inputs["healthCheckId"] == gate.outputs["id"]
    assert "healthCheckId" not in standby.inputs
    assert standby.inputs["records"] == ["us-east-1.cells.example.com"]


def test_aurora_global_database(plan: Plan) -> None:
    standby_provider = plan.get("standby-account").urn
    glob = plan.get("app-global")
    assert glob.protect and glob.inputs["deletionProtection"] is True
    assert glob.inputs["engine"] == "aurora-postgresql" and glob.inputs["storageEncrypted"]
    assert glob.region == "eu-west-1"
    primary = plan.get("app-primary-db", "aws:rds/cluster:Cluster")
    assert primary.region == "eu-west-1" and primary.provider is None
    assert primary.inputs["globalClusterIdentifier"] == "app-global"
    assert primary.inputs["masterUsername"] == "app_admin"
    # A global member never uses an RDS-managed password (Aurora does not support it there).
    assert "manageMasterUserPassword" not in primary.inputs
    assert primary.inputs["masterPassword"] == "[secret]"
    assert primary.protect and primary.inputs["deletionProtection"] is True
    standby = plan.get("app-standby-db", "aws:rds/cluster:Cluster")
    assert standby.region == "us-east-1" and standby.provider == standby_provider
    assert standby.inputs["globalClusterIdentifier"] == "app-global"
    for key in ("masterUsername", "masterPassword", "manageMasterUserPassword", "databaseName"):
        assert key not in standby.inputs
    assert standby.inputs["kmsKeyId"] == "arn:aws:kms:us-east-1:111111111111:key/us-east-1"
    assert standby.protect and standby.inputs["deletionProtection"] is True
    for cluster in (primary, standby):
        assert cluster.ignore_changes == ("globalClusterIdentifier", "replicationSourceIdentifier")
        assert cluster.inputs["storageEncrypted"] is True
    assert plan.get("app-primary-db-0").urn in standby.depends_on
    assert plan.get("app-primary-db-1").urn in standby.depends_on
    assert plan.get("app-standby-db-0").region == "us-east-1"


def test_msk_replicator(plan: Plan) -> None:
    replicator = plan.get("app-kafka-replicator")
    assert replicator.region == "us-east-1"
    assert replicator.provider == plan.get("standby-account").urn
    info = replicator.inputs["replicationInfoList"]
    assert info["sourceKafkaClusterArn"].endswith(":cluster/eu-west-1/uuid-1")
    assert info["targetKafkaClusterArn"].endswith(":cluster/us-east-1/uuid-1")
    assert info["topicReplications"][0]["topicNameConfiguration"] == {"type": "IDENTICAL"}
    groups = info["consumerGroupReplications"][0]
    assert groups["synchroniseConsumerGroupOffsets"] is True
    clusters = replicator.inputs["kafkaClusters"]
    assert [c["vpcConfig"]["subnetIds"] for c in clusters] == [
        ["subnet-eu-west-1"],
        ["subnet-us-east-1"],
    ]
    role = plan.get("app-kafka-replicator-role")
    assert '"kafka.amazonaws.com"' in role.inputs["assumeRolePolicy"]


def test_region_switch_plan(plan: Plan) -> None:
    arc = plan.get("app-region-switch")
    inputs = arc.inputs
    assert "region" not in inputs  # deprecated on the plan: it is a global resource
    assert inputs["recoveryApproach"] == "activePassive"
    assert inputs["regions"] == ["eu-west-1", "us-east-1"]
    assert inputs["primaryRegion"] == "eu-west-1"
    assert inputs["associatedAlarms"] == [
        {
            "mapBlockKey": "primary-healthz",
            "alarmType": "trigger",
            "resourceIdentifier": plan.get("app-primary-healthz-alarm").outputs["arn"],
        },
        {
            "mapBlockKey": "primary-never-healthy",
            "alarmType": "trigger",
            "resourceIdentifier": plan.get("app-primary-never-healthy").outputs["arn"],
        },
    ]
    assert inputs["triggers"][0]["targetRegion"] == "us-east-1"
    assert inputs["triggers"][0]["action"] == "activate"
    # Fires only while /healthz fails AND the primary has been healthy once (issue 13).
    assert inputs["triggers"][0]["conditions"] == [
        {"associatedAlarmName": "primary-healthz", "condition": "red"},
        {"associatedAlarmName": "primary-never-healthy", "condition": "green"},
    ]
    failover, failback = inputs["workflows"]
    assert failover["workflowTargetRegion"] == "us-east-1"
    # No Route53HealthCheck block: DNS follows the records' own health checks.
    assert [s["executionBlockType"] for s in failover["steps"]] == ["Parallel"]
    parallel = failover["steps"][0]["parallelConfigs"][0]["steps"]
    assert [s["executionBlockType"] for s in parallel] == [
        "EC2AutoScaling",
        "EKSResourceScaling",
        "AuroraGlobalDatabase",
    ]
    # Graceful: switchover, no data loss; only the ungraceful path fails over.
    aurora = parallel[2]["globalAuroraConfigs"][0]
    assert aurora["behavior"] == "switchoverOnly"
    assert aurora["ungracefuls"] == [{"ungraceful": "failover"}]
    scaling = parallel[1]["eksResourceScalingConfigs"][0]
    # botocore RegionalScalingResource: keyed by region, one entry per region of the plan.
    assert scaling["scalingResources"] == [
        {
            "namespace": "app",
            "resources": [
                {"resourceName": "eu-west-1", "name": "app", "namespace": "app"},
                {"resourceName": "us-east-1", "name": "app", "namespace": "app"},
            ],
        }
    ]
    assert {r["resourceName"] for r in scaling["scalingResources"][0]["resources"]} == set(
        inputs["regions"]
    )
    assert [c["clusterArn"] for c in scaling["eksClusters"]] == [
        "arn:aws:eks:eu-west-1:111111111111:cluster/eu-west-1-eks",
        "arn:aws:eks:us-east-1:111111111111:cluster/us-east-1-eks",
    ]
    assert failback["workflowTargetRegion"] == "eu-west-1"
    assert [s["executionBlockType"] for s in failback["steps"]] == ["ManualApproval", "Parallel"]
    back = failback["steps"][1]["parallelConfigs"][0]["steps"]
    assert back[2]["globalAuroraConfigs"][0]["behavior"] == "switchoverOnly"
    # No ungraceful override: an ungraceful failback still switches over (never loses data).
    assert "ungracefuls" not in back[2]["globalAuroraConfigs"][0]
    access = plan.get("app-arc-standby-scaling")
    assert access.region == "us-east-1"
    assert access.inputs["policyArn"].endswith("/AmazonARCRegionSwitchScalingPolicy")
    assert access.inputs["accessScope"] == {"type": "namespace", "namespaces": ["app"]}


def test_budget_output_and_plan_dr(plan: Plan) -> None:
    entry = plan.dr()[0]
    assert entry["component"] == plan.get("app", DR).urn
    assert entry["primary_region"] == "eu-west-1" and entry["standby_region"] == "us-east-1"
    assert entry["rto_seconds"] == 185 and entry["rto_target_seconds"] == 300
    assert entry["rpo_seconds"] == 30 and entry["rpo_target_seconds"] == 60
    assert entry["terms"]["detection_seconds"] == 30
    assert entry["terms"]["compute_seconds"] == 85
    assert entry["verification"] == {
        "status": "unverified",
        "reason": "no drill report given (PilotLightDrArgs.drill_report)",
    }
    assert plan.outputs["rto_seconds"] == 185 and plan.outputs["rpo_seconds"] == 30


def test_never_healthy_alarm_gates_the_trigger(plan: Plan) -> None:
    alarm = plan.get("app-primary-never-healthy")
    assert alarm.region == "us-east-1"
    assert alarm.inputs["metricName"] == "HealthCheckStatus"
    assert alarm.inputs["dimensions"] == {
        "HealthCheckId": plan.get("app-primary-healthz").outputs["id"]
    }
    assert alarm.inputs["statistic"] == "Maximum"
    assert alarm.inputs["period"] * alarm.inputs["evaluationPeriods"] == 86400
    assert alarm.inputs["datapointsToAlarm"] == alarm.inputs["evaluationPeriods"]
    assert alarm.inputs["treatMissingData"] == "breaching"
    policy = plan.get("app-arc-policy").inputs["policy"]
    assert alarm.outputs["arn"] in policy


def test_generated_master_password_and_replicated_secret(plan: Plan) -> None:
    seed = plan.get("app-db-password-seed")
    assert seed.region == "eu-west-1"
    assert seed.inputs["keyId"] == "arn:aws:kms:eu-west-1:111111111111:key/eu-west-1"
    secret = plan.get("app-db-master")
    assert secret.region == "eu-west-1" and secret.protect
    assert secret.inputs["kmsKeyId"] == "arn:aws:kms:eu-west-1:111111111111:key/eu-west-1"
    assert secret.inputs["replicas"] == [
        {"region": "us-east-1", "kmsKeyId": "arn:aws:kms:us-east-1:111111111111:key/us-east-1"}
    ]
    value = plan.get("app-db-master-value")
    assert value.inputs["secretString"] == "[secret]"
    assert value.inputs["secretId"] == secret.outputs["id"]


def test_password_from_seed_meets_aurora_rules() -> None:
    from obs_platform.dr.aurora import password_from_seed

    first, second = password_from_seed("AQICAHh1"), password_from_seed("AQICAHh2")
    assert first != second and len(first) == 40
    assert not set(first) & set('/"@ ')
    assert password_from_seed("AQICAHh1") == first


def test_cross_account_standby(cross: Plan) -> None:
    assert not cross.diagnostics
    standby_provider = cross.get("standby-account").urn
    role = cross.get("app-arc-standby-cross-account", "aws:iam/role:Role")
    assert role.provider == standby_provider
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"AWS": cross.get("app-arc-role").outputs["arn"]}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "app-region-switch-standby"}}
    policy = cross.get("app-arc-standby-cross-account-policy")
    assert policy.provider == standby_provider
    assert '"eks:DescribeCluster"' in policy.inputs["policy"]
    assert "arn:aws:eks:us-east-1:222222222222:cluster/us-east-1-eks" in policy.inputs["policy"]
    execution = json.loads(cross.get("app-arc-policy").inputs["policy"])["Statement"]
    assume = [s for s in execution if s["Sid"] == "AssumeCrossAccountRoles"]
    assert assume == [
        {
            "Sid": "AssumeCrossAccountRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": [role.outputs["arn"]],
        }
    ]
    failover = cross.get("app-region-switch").inputs["workflows"][0]
    scaling = failover["steps"][0]["parallelConfigs"][0]["steps"][1]
    clusters = scaling["eksResourceScalingConfigs"][0]["eksClusters"]
    nodes = failover["steps"][0]["parallelConfigs"][0]["steps"][0]
    asgs = nodes["ec2AsgCapacityIncreaseConfigs"][0]["asgs"]
    assert asgs[1]["crossAccountRole"] == role.outputs["arn"]
    assert asgs[1]["externalId"] == "app-region-switch-standby"
    assert "crossAccountRole" not in asgs[0]
    assert clusters[1] == {
        "clusterArn": "arn:aws:eks:us-east-1:222222222222:cluster/us-east-1-eks",
        "crossAccountRole": role.outputs["arn"],
        "externalId": "app-region-switch-standby",
    }
    assert "crossAccountRole" not in clusters[0]
    access = cross.get("app-arc-standby-access")
    assert access.inputs["principalArn"] == role.outputs["arn"]
    assert access.provider == standby_provider


def test_standby_member_in_primary_account(cross: Plan) -> None:
    plan = cross
    standby = plan.get("app-standby-db", "aws:rds/cluster:Cluster")
    assert standby.provider is None and standby.region == "us-east-1"
    assert standby.ignore_changes == ("globalClusterIdentifier", "replicationSourceIdentifier")
    group = plan.get("app-standby-db-subnets")
    assert group.inputs["subnetIds"] == ["subnet-a", "subnet-b"] and group.provider is None
    sg = plan.get("app-standby-db-sg")
    assert sg.inputs["vpcId"] == "vpc-standby" and sg.region == "us-east-1"
    assert sg.inputs["ingress"][0]["cidrBlocks"] == ["10.32.0.0/20"]
    key = plan.get("app-standby-db-key")
    assert key.protect and key.region == "us-east-1"
    assert standby.inputs["kmsKeyId"] == key.outputs["arn"]
    assert standby.inputs["vpcSecurityGroupIds"] == [sg.outputs["id"]]
    assert plan.get("app-standby-db-0").provider is None
    # The secret's replica uses the primary account's key in the standby region.
    assert plan.get("app-db-master").inputs["replicas"] == [
        {"region": "us-east-1", "kmsKeyId": key.outputs["arn"]}
    ]


def test_node_capacity_step_when_sites_have_asgs() -> None:
    asg = "arn:aws:autoscaling:{r}:{a}:autoScalingGroup:0000-1111:autoScalingGroupName/eks-{r}"
    plan = build(
        primary_extra={"node_group_asg_arn": asg.format(r="eu-west-1", a="111111111111")},
        standby_extra={"node_group_asg_arn": asg.format(r="us-east-1", a="222222222222")},
    )
    failover = plan.get("app-region-switch").inputs["workflows"][0]
    parallel = failover["steps"][0]["parallelConfigs"][0]["steps"]
    assert [s["executionBlockType"] for s in parallel] == [
        "EC2AutoScaling",
        "EKSResourceScaling",
        "AuroraGlobalDatabase",
    ]
    config = parallel[0]["ec2AsgCapacityIncreaseConfigs"][0]
    assert config["targetPercent"] == 100
    assert [a["arn"] for a in config["asgs"]] == [
        asg.format(r="eu-west-1", a="111111111111"),
        asg.format(r="us-east-1", a="222222222222"),
    ]
    policy = plan.get("app-arc-policy").inputs["policy"]
    assert '"autoscaling:UpdateAutoScalingGroup"' in policy
    assert asg.format(r="us-east-1", a="222222222222") in policy


def test_no_database_no_gate() -> None:
    plan = build({"database": None})
    names = {r.name for r in plan.resources}
    assert "app-global" not in names and "app-primary-gate" not in names
    assert (
        plan.get("app-primary-record").inputs["healthCheckId"]
        == plan.get("app-primary-healthz").outputs["id"]
    )
    assert plan.dr()[0]["terms"]["database_seconds"] == 0


def test_headless_allowed_when_target_leaves_room() -> None:
    plan = build({"database": {"standby_instances": 0}, "rto_target_seconds": 1800})
    assert not [r for r in plan.resources if r.name.startswith("app-standby-db-")]
    assert plan.dr()[0]["terms"]["database_seconds"] == 960


def test_global_db_rpo_parameter_groups() -> None:
    plan = build({"database": {"global_db_rpo_seconds": 20}})
    for role, region in (("primary", "eu-west-1"), ("standby", "us-east-1")):
        group = plan.get(f"app-{role}-params")
        assert group.region == region
        assert group.inputs["family"] == "aurora-postgresql16"
        assert group.inputs["parameters"][0]["name"] == "rds.global_db_rpo"
    assert plan.dr()[0]["terms"]["database_lag_seconds"] == 20


def test_strimzi_mirror_maker() -> None:
    plan = build({"kafka": {"engine": "strimzi"}}, k8s_provider=True)
    mm2 = plan.get("app-mirror-maker-2")
    assert mm2.type == "kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2"
    assert mm2.provider == plan.get("standby-k8s").urn
    body = {k: mm2.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}
    reference.validate_custom_resource(body)
    mirror = body["spec"]["mirrors"][0]
    assert mirror["source"]["bootstrapServers"] == "eu-west-1-bootstrap:9093"
    # The connector metrics the DR rules read: JMX exporter rules from a ConfigMap beside it.
    metrics = plan.get("app-mirror-maker-2-metrics")
    assert metrics.type == "kubernetes:core/v1:ConfigMap"
    assert metrics.provider == plan.get("standby-k8s").urn
    assert metrics.urn in mm2.depends_on
    assert metrics.inputs["metadata"]["namespace"] == body["metadata"]["namespace"]
    assert body["spec"]["metricsConfig"]["valueFrom"]["configMapKeyRef"] == {
        "name": metrics.inputs["metadata"]["name"],
        "key": "metrics-config.yml",
    }
    assert (
        "kafka_connect_mirror_mirrorsourceconnector_"
        in metrics.inputs["data"]["metrics-config.yml"]
    )
    assert mirror["checkpointConnector"]["config"]["emit.checkpoints.interval.seconds"] == "18"
    assert plan.dr()[0]["terms"]["kafka_lag_seconds"] == 23


def test_warn_mode_builds_and_warns() -> None:
    plan = build({"database": {"standby_instances": 0}, "budget_enforcement": "warn"})
    assert plan.get("app-standby-db", "aws:rds/cluster:Cluster")
    assert any("misses its targets" in d and "database_seconds" in d for d in plan.diagnostics)
    assert plan.dr()[0]["rto_seconds"] == 1060


def _refused(plan_args: dict[str, Any] | None = None, **kwargs: Any) -> ObsPlatformError:
    with pytest.raises(ProgramError) as info:
        build(plan_args, **kwargs)
    error = info.value.original
    assert isinstance(error, ObsPlatformError)
    return error


@pytest.mark.parametrize(
    ("plan_args", "kwargs", "expected"),
    [
        ({"database": {"standby_instances": 0}}, {}, "database_seconds"),
        ({"manual_approval": True}, {}, "orchestration_seconds"),
        ({"automatic_failover": False}, {}, "orchestration_seconds"),
        (
            {},
            {"standby_extra": {"eks_cluster_arn": None, "eks_cluster_name": None}},
            "pre-provision the standby cluster",
        ),
        (
            {
                "health_check_interval_seconds": 30,
                "health_check_failure_threshold": 10,
                "alarm_evaluation_periods": 5,
            },
            {},
            "detection_seconds",
        ),
        ({"database": {"global_db_rpo_seconds": 90}}, {}, "database_lag_seconds"),
        ({"kafka": {"engine": "msk"}, "rpo_target_seconds": 30}, {}, "kafka_lag_seconds"),
        ({}, {"standby_extra": {"region": "eu-west-1"}}, "both in 'eu-west-1'"),
        ({}, {"standby_extra": {"name": "eu-west-1"}}, "both sites are named"),
        ({}, {"standby_extra": {"db_kms_key_arn": None}}, "db_kms_key_arn"),
        ({"database": {"standby_in_primary_account": True}}, {}, "vpc_id"),
        (
            {"kafka": {"engine": "msk"}},
            {"primary_extra": {"kafka_cluster_arn": None}},
            "kafka_cluster_arn",
        ),
        ({"kafka": {"engine": "strimzi"}}, {}, "kubernetes_provider"),
        # Across accounts: a global database only with the standby member in the primary
        # account, on subnets the standby shares; never MSK Replicator.
        ({}, {"same_account": False}, "AuroraGlobalArgs(standby_in_primary_account=True)"),
        (
            {"database": {"standby_in_primary_account": True}},
            {
                "same_account": False,
                "standby_extra": {**SHARED, "subnets_shared_with": []},
            },
            "shares its subnets with no account",
        ),
        (
            {"database": {"standby_in_primary_account": True}, "kafka": {"engine": "msk"}},
            {"same_account": False, "standby_extra": SHARED},
            "MSK Replicator joins clusters of one account only",
        ),
        # The sites disagree with the DR.
        ({"database": None}, {"standby_extra": {"rds_global": True}}, "database=None"),
        ({}, {"primary_extra": {"rds_global": False}}, "standalone Aurora cluster"),
        (
            {},
            {"standby_extra": {"dr_role": "primary", "warm_nodes": 2}},
            "labelled dr_role='primary'",
        ),
        ({"database": {"master_password": "short"}}, {}, "8 to 41 printable ASCII"),
        ({"database": {"master_password": "has/slash-and-long"}}, {}, "1 that Aurora refuses"),
    ],
)
def test_refused_before_any_resource(
    plan_args: dict[str, Any], kwargs: dict[str, Any], expected: str
) -> None:
    error = _refused(plan_args, **kwargs)
    assert expected in str(error)
    assert "Fix:" in str(error)


def test_password_never_in_the_refusal() -> None:
    error = _refused({"database": {"master_password": "has/slash-and-long"}})
    assert "has/slash" not in str(error) and error.value == "[secret]"


def test_mirror_maker_refusal_names_the_layouts() -> None:
    error = _refused(
        {"database": {"standby_in_primary_account": True}, "kafka": {"engine": "msk"}},
        same_account=False,
        standby_extra=SHARED,
    )
    assert "engine='strimzi'" in str(error) and "primary account" in str(error)
    assert error.field == "PilotLightDrArgs.kafka.engine"


def test_second_standby_on_one_primary_refused() -> None:
    captured: list[ObsPlatformError] = []

    def program() -> None:
        primary = site("eu-west-1", "eu-west-1")
        for name, region in (("app", "us-east-1"), ("app2", "us-west-2")):
            try:
                PilotLightDr(
                    name,
                    PilotLightDrArgs(
                        primary=primary,
                        standby=site(region, region),
                        zone_id="Z1",
                        record_name="app.example.com",
                    ),
                )
            except ObsPlatformError as exc:
                captured.append(exc)

    plan = run(program, config={"aws:region": "eu-west-1"})
    assert len(captured) == 1
    assert "already has a standby through PilotLightDr" in str(captured[0])
    assert "'app'" in str(captured[0])
    assert not [r for r in plan.resources if r.name.startswith("app2")]
    # A fresh run starts with no claims.
    again = run(program, config={"aws:region": "eu-west-1"})
    assert again.get("app", DR) and len(captured) == 2


def test_refusal_registers_nothing() -> None:
    created: list[str] = []

    def program() -> None:
        try:
            PilotLightDr(
                "app",
                PilotLightDrArgs(
                    primary=site("eu-west-1", "eu-west-1"),
                    standby=site("us-east-1", "us-east-1"),
                    zone_id="Z1",
                    record_name="app.example.com",
                    database={"standby_instances": 0},
                ),
            )
        except ObsPlatformError as exc:
            created.append(str(exc))

    plan = run(program, config={"aws:region": "eu-west-1"})
    assert created and "RTO budget 1060 s is not under the target 300 s" in created[0]
    assert [r.type for r in plan.resources] == ["pulumi:pulumi:Stack"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dns_ttl_seconds", 300),
        ("health_check_failure_threshold", 11),
        ("health_check_interval_seconds", 20),
        ("record_name", "not a name"),
        ("budget_enforcement", "ignore"),
        ("rto_target_seconds", 10),
    ],
)
def test_invalid_args_refused(field: str, value: Any) -> None:
    error = _refused({field: value})
    assert f"PilotLightDrArgs.{field}" in str(error)


def _drill(tmp_path: Path, measured: float, over: bool = False, **extra: Any) -> str:
    report = {
        "format": "obs-platform.dr-drill/1",
        "started_at": "2026-11-30T10:00:00+00:00",
        "primary_region": "eu-west-1",
        "standby_region": "us-east-1",
        "phases": [
            {
                "operation": "failover",
                "measured_rto_seconds": measured,
                "steps": [
                    {"id": "wait:database", "within_budget": True},
                    {"id": "wait:node-groups", "within_budget": not over},
                ],
            },
            {"operation": "failback", "measured_rto_seconds": 60.0, "steps": []},
        ],
        **extra,
    }
    path = tmp_path / "dr-drill.json"
    path.write_text(json.dumps(report))
    return str(path)


def test_budget_verified_by_a_drill(tmp_path: Path) -> None:
    plan = build({"drill_report": _drill(tmp_path, 71.4)})
    verification = plan.dr()[0]["verification"]
    assert verification == {
        "drill_report": str(tmp_path / "dr-drill.json"),
        "status": "verified",
        "drill_started_at": "2026-11-30T10:00:00+00:00",
        "measured_failover_seconds": 71.4,
        # max(dns 60, database 60, compute 85): what a drill runs (nothing to detect)
        "budget_recovery_seconds": 85,
        "steps_over_budget": [],
    }


@pytest.mark.parametrize(("measured", "over"), [(91.0, False), (70.0, True)])
def test_budget_exceeded_by_a_drill(tmp_path: Path, measured: float, over: bool) -> None:
    verification = build({"drill_report": _drill(tmp_path, measured, over)}).dr()[0]["verification"]
    assert verification["status"] == "exceeded"
    assert verification["steps_over_budget"] == (["wait:node-groups"] if over else [])


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (None, "No such file"),
        ({"format": "obs-platform.plan/1"}, "not 'obs-platform.dr-drill/1'"),
        ({"standby_region": "us-west-2"}, "eu-west-1 -> us-west-2, not eu-west-1 -> us-east-1"),
        ({"phases": []}, "no measured failover"),
    ],
)
def test_unusable_drill_report_refused(
    tmp_path: Path, report: dict[str, Any] | None, expected: str
) -> None:
    path = str(tmp_path / "missing.json") if report is None else _drill(tmp_path, 70.0, **report)
    error = _refused({"drill_report": path})
    assert error.field == "PilotLightDrArgs.drill_report"
    assert expected in str(error)


def test_plan_text_says_whether_a_drill_verified_the_budget(tmp_path: Path) -> None:
    from obs_platform.testing.render import render_budget

    unverified = render_budget(build().dr()[0])
    assert "    drill: unverified (no drill report given: PilotLightDrArgs.drill_report)" in (
        unverified
    )
    verified = render_budget(build({"drill_report": _drill(tmp_path, 70.0, True)}).dr()[0])
    assert (
        "    drill 2026-11-30T10:00:00+00:00: failover measured 70 s against 85 s of budget "
        "after detection: exceeded (over their terms: wait:node-groups)"
    ) in verified


def test_strimzi_source_must_be_reachable_from_the_standby_cluster() -> None:
    in_cluster = "eu-west-1-kafka-kafka-bootstrap.kafka.svc:9093"
    with pytest.raises(ProgramError) as info:
        build(
            {"kafka": {"engine": "strimzi"}},
            primary_extra={"kafka_bootstrap_servers": in_cluster},
            k8s_provider=True,
        )
    error = info.value.original
    assert isinstance(error, ObsPlatformError)
    assert error.field == "PilotLightDrArgs.primary.kafka_bootstrap_servers"
    assert in_cluster in str(error) and "kafka_advertised_host" in str(error)


def test_standby_msk_in_primary_account() -> None:
    plan = build(
        {
            "database": {"standby_in_primary_account": True},
            "kafka": {"engine": "msk", "standby_in_primary_account": True},
        },
        standby_extra={
            **SHARED,
            "kafka_cluster_arn": None,
            "kafka_subnet_ids": None,
            "kafka_security_group_ids": None,
        },
        same_account=False,
    )
    cluster = plan.get("app-standby-kafka", "aws:msk/cluster:Cluster")
    assert cluster.provider is None and cluster.region == "us-east-1" and cluster.protect
    info = cluster.inputs["brokerNodeGroupInfo"]
    assert info["clientSubnets"] == ["subnet-a", "subnet-b"]
    sg = plan.get("app-standby-kafka-sg")
    assert info["securityGroups"] == [sg.outputs["id"]]
    assert sg.inputs["vpcId"] == "vpc-standby" and sg.provider is None
    assert cluster.inputs["clientAuthentication"]["sasl"] == {"iam": True}
    key = plan.get("app-standby-kafka-key")
    assert cluster.inputs["encryptionInfo"]["encryptionAtRestKmsKeyArn"] == key.outputs["arn"]
    replicator = plan.get("app-kafka-replicator")
    assert replicator.provider is None and replicator.region == "us-east-1"
    source, target = replicator.inputs["kafkaClusters"]
    assert "securityGroupsIds" not in source["vpcConfig"]  # cross-region: no source SGs
    assert target["amazonMskCluster"]["mskClusterArn"] == cluster.outputs["arn"]
    assert target["vpcConfig"]["securityGroupsIds"] == [sg.outputs["id"]]
    role = plan.get("app-kafka-replicator-role")
    assert role.provider is None
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    policy = json.loads(plan.get("app-kafka-replicator-policy").inputs["policy"])
    cluster_statement = policy["Statement"][0]
    assert "kafka-cluster:WriteDataIdempotently" in cluster_statement["Action"]
    assert cluster_statement["Resource"] == [
        "arn:aws:kafka:eu-west-1:111111111111:cluster/eu-west-1/uuid-1",
        cluster.outputs["arn"],
    ]


def test_standby_msk_in_primary_account_refusals() -> None:
    shared_kafka = {
        "database": {"standby_in_primary_account": True},
        "kafka": {"engine": "msk", "standby_in_primary_account": True},
    }
    own = _refused(shared_kafka, same_account=False, standby_extra=SHARED)
    assert "already has one of its own" in str(own)
    unshared = _refused(
        shared_kafka,
        same_account=False,
        standby_extra={**SHARED, "subnets_shared_with": [], "kafka_cluster_arn": None},
    )
    assert "shares its subnets with no account" in str(unshared)


def test_automatic_ungraceful_path_in_the_standby_region(plan: Plan) -> None:
    dr = plan.get("app", DR)
    arc_plan = plan.get("app-region-switch").outputs["arn"]
    alarm = plan.get("app-primary-healthz-alarm").outputs["arn"]
    for kind, name in UNGRACEFUL_CHILDREN:
        child = plan.get(name)
        assert child.parent == dr.urn
        if not kind.startswith("aws:iam/"):  # IAM is global
            assert child.region == "us-east-1"  # the standby: never the region it recovers from
    function = plan.get("app-arc-ungraceful")
    assert function.inputs["runtime"] == "python3.13"
    assert function.inputs["handler"] == "index.handler"
    assert function.inputs["reservedConcurrentExecutions"] == 1
    assert function.inputs["role"] == plan.get("app-arc-ungraceful-role").outputs["arn"]
    assert function.inputs["environment"]["variables"] == {
        "PLAN_ARN": arc_plan,
        "STANDBY_REGION": "us-east-1",
        "ALARM_ARN": alarm,
        # The failover workflow's Aurora step and the parallel step holding it.
        "DATABASE_STEPS": "database-us-east-1,recover",
        # The archive's arc-region-switch model, whatever boto3 the runtime bundles
        # (test_arc_ungraceful checks the archive and that botocore finds the model there).
        "AWS_DATA_PATH": "${LAMBDA_TASK_ROOT}/botocore-data",
    }
    assert function.inputs["code"] == {"archive": "[assets]"}
    failover = plan.get("app-region-switch").inputs["workflows"][0]
    assert failover["steps"][0]["name"] == "recover"
    assert failover["steps"][0]["parallelConfigs"][0]["steps"][2]["name"] == "database-us-east-1"
    trust = json.loads(plan.get("app-arc-ungraceful-role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    policy = json.loads(plan.get("app-arc-ungraceful-policy").inputs["policy"])
    logs = plan.get("app-arc-ungraceful-logs")
    assert logs.inputs["name"] == "/aws/lambda/app-arc-ungraceful"
    assert logs.inputs["retentionInDays"] == 90
    # Least privilege: this plan's executions, this alarm, its own log group.
    assert [(s["Action"], s["Resource"]) for s in policy["Statement"]] == [
        (
            [
                "arc-region-switch:ListPlanExecutions",
                "arc-region-switch:GetPlanExecution",
                "arc-region-switch:UpdatePlanExecution",
            ],
            arc_plan,
        ),
        ("cloudwatch:DescribeAlarms", alarm),
        (["logs:CreateLogStream", "logs:PutLogEvents"], logs.outputs["arn"] + ":*"),
    ]
    events = plan.get("app-arc-ungraceful-events")
    assert json.loads(events.inputs["eventPattern"]) == {
        "source": ["aws.arc-region-switch"],
        "detail-type": ["ARC Region Switch Plan Execution", "ARC Region switch Plan Execution"],
        "resources": [arc_plan],
    }
    assert plan.get("app-arc-ungraceful-schedule").inputs["scheduleExpression"] == "rate(1 minute)"
    for rule in ("app-arc-ungraceful-events", "app-arc-ungraceful-schedule"):
        target = plan.get(f"{rule}-target")
        assert target.inputs["rule"] == rule
        assert target.inputs["arn"] == function.outputs["arn"]
        permission = plan.get(f"{rule}-permission")
        assert permission.inputs["principal"] == "events.amazonaws.com"
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        assert permission.inputs["function"] == "app-arc-ungraceful"
        assert permission.inputs["sourceArn"] == plan.get(rule).outputs["arn"]


def test_the_ungraceful_functions_failures_reach_a_person() -> None:
    topic = "arn:aws:sns:us-east-1:111111111111:oncall"
    result = build({"alarm_actions": [topic]})
    function = result.get("app-arc-ungraceful")
    # Tagged like the standby: the stack's CloudWatch exporter reads it (searchTags).
    assert function.inputs["tags"]["dr-role"] == "standby"
    assert function.inputs["tags"]["cell"] == "us-east-1"
    found = {}
    for suffix, metric, periods, datapoints in (
        ("errors", "Errors", 3, 2),
        ("throttles", "Throttles", 5, 5),
    ):
        alarm = result.get(f"app-arc-ungraceful-{suffix}")
        assert alarm.parent == result.get("app", DR).urn
        assert alarm.region == "us-east-1"  # the function's region: its metrics live there
        inputs = alarm.inputs
        found[suffix] = (
            inputs["namespace"],
            inputs["metricName"],
            inputs["dimensions"],
            inputs["statistic"],
            inputs["period"],
            inputs["evaluationPeriods"],
            inputs["datapointsToAlarm"],
            inputs["threshold"],
            inputs["comparisonOperator"],
            inputs["treatMissingData"],
        )
        assert found[suffix] == (
            "AWS/Lambda",
            metric,
            {"FunctionName": "app-arc-ungraceful"},
            "Sum",
            60,
            periods,
            datapoints,
            1,
            "GreaterThanOrEqualToThreshold",
            "notBreaching",
        )
        # The standby is us-east-1, where the health-check alarm's topics are: reused.
        assert inputs["alarmActions"] == [topic] and inputs["okActions"] == [topic]
    own = "arn:aws:sns:us-east-1:111111111111:dr-automation"
    explicit = build({"alarm_actions": [topic], "standby_alarm_actions": [own]})
    assert explicit.get("app-arc-ungraceful-errors").inputs["alarmActions"] == [own]
    silenced = build({"alarm_actions": [topic], "standby_alarm_actions": []})
    assert not silenced.get("app-arc-ungraceful-errors").inputs.get("alarmActions")


def test_a_standby_outside_us_east_1_warns_that_its_alarms_notify_no_one() -> None:
    topic = "arn:aws:sns:us-east-1:111111111111:oncall"
    west = site("us-west-2", "us-west-2")
    result = build({"alarm_actions": [topic]}, standby_extra=west)
    alarm = result.get("app-arc-ungraceful-errors")
    assert alarm.region == "us-west-2"
    assert not alarm.inputs.get("alarmActions")
    (warning,) = [d for d in result.diagnostics if "notify no one" in d]
    assert "Set standby_alarm_actions to SNS topics in us-west-2" in warning
    # Given topics (or an explicit []) silence it.
    own = "arn:aws:sns:us-west-2:111111111111:oncall"
    given = build({"alarm_actions": [topic], "standby_alarm_actions": [own]}, standby_extra=west)
    assert given.get("app-arc-ungraceful-errors").inputs["alarmActions"] == [own]
    assert not [d for d in given.diagnostics if "notify no one" in d]
    # A us-east-1 standby reuses alarm_actions: nothing to warn about.
    assert not [d for d in build({"alarm_actions": [topic]}).diagnostics if "notify no one" in d]


def test_standby_alarm_actions_default_to_none_outside_us_east_1() -> None:
    from obs_platform.dr.args import PilotLightDrArgs
    from obs_platform.dr.ungraceful import _standby_alarm_actions

    topic = "arn:aws:sns:us-east-1:111111111111:oncall"
    base = dict(
        primary=site("eu-west-1", "eu-west-1"),
        standby=site("us-east-1", "us-east-1"),
        zone_id="Z0123",
        record_name="app.example.com",
        alarm_actions=[topic],
    )
    assert _standby_alarm_actions(PilotLightDrArgs.model_validate(base)) == (topic,)
    # A us-west-2 standby: us-east-1 topics cannot take that region's alarms' notifications.
    west = PilotLightDrArgs.model_validate({**base, "standby": site("us-west-2", "us-west-2")})
    assert _standby_alarm_actions(west) == ()
    given = "arn:aws:sns:us-west-2:111111111111:oncall"
    mine = west.model_copy(update={"standby_alarm_actions": (given,)})
    assert _standby_alarm_actions(mine) == (given,)


def test_the_secondary_can_run_a_smaller_instance_class(plan: Plan) -> None:
    # Default: the secondary runs instance_class.
    assert plan.get("app-standby-db-0").inputs["instanceClass"] == "db.r6g.large"
    smaller = build(
        {"database": {"instance_class": "db.r6g.xlarge", "standby_instance_class": "db.r6g.large"}}
    )
    primary = [r for r in smaller.resources if r.name.startswith("app-primary-db-")]
    assert len(primary) == 2
    assert {r.inputs["instanceClass"] for r in primary} == {"db.r6g.xlarge"}
    standby = smaller.get("app-standby-db-0")
    assert standby.inputs["instanceClass"] == "db.r6g.large"
    assert standby.region == "us-east-1"
    # Promotion does not depend on the class: the budget is the same.
    assert smaller.dr()[0]["rto_seconds"] == plan.dr()[0]["rto_seconds"]


@pytest.mark.parametrize("field", ["instance_class", "standby_instance_class"])
def test_a_serverless_member_class_is_refused(field: str) -> None:
    # Aurora needs a Serverless v2 capacity range on the cluster first; the pair sets none.
    error = _refused({"database": {field: "db.serverless"}})
    assert error.field == f"AuroraGlobalArgs.{field}"
    assert "Serverless v2 capacity range" in str(error)


def test_a_malformed_standby_instance_class_is_refused() -> None:
    from obs_platform import ArgsError
    from obs_platform.dr.args import AuroraGlobalArgs

    with pytest.raises(ArgsError, match="standby_instance_class"):
        AuroraGlobalArgs(standby_instance_class="r6g.large")


def _names(result: Plan) -> set[str]:
    return {r.name for r in result.resources}


def test_opting_out_of_the_automatic_ungraceful_path_charges_a_person() -> None:
    # Without it a regional outage waits for a person's consent: the budget says so.
    result = build(
        {"automatic_ungraceful_failover": False, "budget_enforcement": "warn"}, same_account=True
    )
    assert not {name for _, name in UNGRACEFUL_CHILDREN} & _names(result)
    entry = result.dr()[0]
    assert entry["terms"]["orchestration_seconds"] == 970  # alarm + plan start + 900 s person
    assert entry["rto_seconds"] == 185 + 900
    error = _refused({"automatic_ungraceful_failover": False})
    assert "waits for a person" in str(error)
    assert "automatic_ungraceful_failover=True" in str(error)
    # The fix it names changes the budget: the same pair with it meets the 300 s target.
    fixed = build({"automatic_ungraceful_failover": True}, same_account=True)
    assert fixed.dr()[0]["rto_seconds"] == 185 < 300


def test_no_ungraceful_path_without_a_database_or_an_automatic_failover() -> None:
    without_db = build({"database": None, "kafka": None})
    assert not {name for _, name in UNGRACEFUL_CHILDREN} & _names(without_db)
    assert without_db.dr()[0]["rto_seconds"] == 185
    manual = build({"automatic_failover": False, "budget_enforcement": "warn"})
    assert not {name for _, name in UNGRACEFUL_CHILDREN} & _names(manual)


@pytest.mark.parametrize(
    ("plan_args", "reason"),
    [
        ({"automatic_failover": False}, "automatic_failover is off"),
        ({"database": None, "kafka": None}, "the pair has no database"),
    ],
)
def test_explicit_ungraceful_consent_that_does_nothing_is_refused(
    plan_args: dict[str, Any], reason: str
) -> None:
    error = _refused({"automatic_ungraceful_failover": True, **plan_args})
    assert error.field == "PilotLightDrArgs.automatic_ungraceful_failover"
    assert reason in str(error)
