"""PilotLightDr under the offline engine: the exact graph, the budget and every refusal."""

from __future__ import annotations

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


def site(name: str, region: str, account: str = "111111111111", **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        name=name,
        region=region,
        healthz_host=f"{name}.cells.example.com",
        eks_cluster_name=f"{name}-eks",
        eks_cluster_arn=f"arn:aws:eks:{region}:{account}:cluster/{name}-eks",
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
) -> Plan:
    def program() -> None:
        provider = aws.Provider(
            "standby-account", region="us-east-1", assume_roles=[{"role_arn": STANDBY_ROLE}]
        )
        extra = dict(standby_extra or {})
        if k8s_provider:
            extra["kubernetes_provider"] = k8s.Provider("standby-k8s", kubeconfig="{}")
        args: dict[str, Any] = dict(
            primary={**site("eu-west-1", "eu-west-1"), **(primary_extra or {})},
            standby={
                **site("us-east-1", "us-east-1", "222222222222"),
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
    return build({"kafka": {"engine": "msk"}})


def test_exact_children(plan: Plan) -> None:
    dr = plan.get("app", DR)
    children = {(r.type, r.name) for r in plan.children(dr)}
    assert children == {
        ("aws:route53/healthCheck:HealthCheck", "app-primary-healthz"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "app-primary-healthz-alarm"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "app-primary-writer-alarm"),
        ("aws:route53/healthCheck:HealthCheck", "app-primary-writer-check"),
        ("aws:route53/healthCheck:HealthCheck", "app-primary-gate"),
        ("aws:route53/record:Record", "app-primary-record"),
        ("aws:route53/record:Record", "app-standby-record"),
        ("aws:rds/globalCluster:GlobalCluster", "app-global"),
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
    assert primary.inputs["manageMasterUserPassword"] is True
    assert primary.protect and primary.inputs["deletionProtection"] is True
    standby = plan.get("app-standby-db", "aws:rds/cluster:Cluster")
    assert standby.region == "us-east-1" and standby.provider == standby_provider
    assert standby.inputs["globalClusterIdentifier"] == "app-global"
    for key in ("masterUsername", "masterPassword", "manageMasterUserPassword", "databaseName"):
        assert key not in standby.inputs
    assert standby.inputs["kmsKeyId"] == "arn:aws:kms:us-east-1:222222222222:key/us-east-1"
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
        }
    ]
    assert inputs["triggers"][0]["targetRegion"] == "us-east-1"
    assert inputs["triggers"][0]["action"] == "activate"
    assert inputs["triggers"][0]["conditions"] == [
        {"associatedAlarmName": "primary-healthz", "condition": "red"}
    ]
    failover, failback = inputs["workflows"]
    assert failover["workflowTargetRegion"] == "us-east-1"
    assert [s["executionBlockType"] for s in failover["steps"]] == [
        "Parallel",
        "Route53HealthCheck",
    ]
    parallel = failover["steps"][0]["parallelConfigs"][0]["steps"]
    assert [s["executionBlockType"] for s in parallel] == [
        "EKSResourceScaling",
        "AuroraGlobalDatabase",
    ]
    assert parallel[1]["globalAuroraConfigs"][0]["behavior"] == "failover"
    scaling = parallel[0]["eksResourceScalingConfigs"][0]
    assert scaling["scalingResources"][0]["namespace"] == "app"
    assert [c["clusterArn"] for c in scaling["eksClusters"]] == [
        "arn:aws:eks:eu-west-1:111111111111:cluster/eu-west-1-eks",
        "arn:aws:eks:us-east-1:222222222222:cluster/us-east-1-eks",
    ]
    assert failback["workflowTargetRegion"] == "eu-west-1"
    assert [s["executionBlockType"] for s in failback["steps"]] == [
        "ManualApproval",
        "Parallel",
        "Route53HealthCheck",
    ]
    back = failback["steps"][1]["parallelConfigs"][0]["steps"]
    assert back[1]["globalAuroraConfigs"][0]["behavior"] == "switchoverOnly"
    access = plan.get("app-arc-standby-scaling")
    assert access.region == "us-east-1"
    assert access.inputs["policyArn"].endswith("/AmazonARCRegionSwitchScalingPolicy")
    assert access.inputs["accessScope"] == {"type": "namespace", "namespaces": ["app"]}


def test_budget_output_and_plan_dr(plan: Plan) -> None:
    entry = plan.dr()[0]
    assert entry["component"] == plan.get("app", DR).urn
    assert entry["primary_region"] == "eu-west-1" and entry["standby_region"] == "us-east-1"
    assert entry["rto_seconds"] == 165 and entry["rto_target_seconds"] == 300
    assert entry["rpo_seconds"] == 30 and entry["rpo_target_seconds"] == 60
    assert entry["terms"]["detection_seconds"] == 30
    assert entry["terms"]["compute_seconds"] == 65
    assert plan.outputs["rto_seconds"] == 165 and plan.outputs["rpo_seconds"] == 30


def test_different_providers_warn_about_one_account(plan: Plan) -> None:
    assert any("standby_in_primary_account=True" in d for d in plan.diagnostics)


def test_standby_member_in_primary_account() -> None:
    plan = build(
        {"database": {"standby_in_primary_account": True}},
        standby_extra={
            "vpc_id": "vpc-standby",
            "vpc_cidr": "10.32.0.0/20",
            "db_subnet_ids": ["subnet-a", "subnet-b"],
        },
    )
    assert not plan.diagnostics
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
    ],
)
def test_refused_before_any_resource(
    plan_args: dict[str, Any], kwargs: dict[str, Any], expected: str
) -> None:
    error = _refused(plan_args, **kwargs)
    assert expected in str(error)
    assert "Fix:" in str(error)


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
