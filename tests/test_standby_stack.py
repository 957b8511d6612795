"""The observability stack's standby (issue 19): built by the same code in ``dr_region``."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from conftest import STACK_IMAGES
from obs_platform import (
    AlertingArgs,
    Ipam,
    IpamArgs,
    ObsPlatformError,
    StandbyStackArgs,
    TransitNetwork,
    TransitNetworkArgs,
    TransitPeering,
)
from obs_platform._internal.alertmanager import build_alertmanager_config
from obs_platform.observability.stack import ObservabilityStack, ObservabilityStackArgs
from obs_platform.observability.standby import standby_alerting
from obs_platform.testing import Plan, ProgramError, run

EU, US = "eu-west-1", "us-east-1"
STACK = "obs-platform:observability:ObservabilityStack"
PASSWORD = "Gr4fana-Adm1n-Secret!"
HEARTBEAT_PRIMARY = "https://hc-ping.com/primary-0000"
HEARTBEAT_STANDBY = "https://hc-ping.com/standby-1111"
STANDBY_IMAGES = {
    "docker_hub_credential_arn": "arn:aws:secretsmanager:us-east-1:111111111111:secret:"
    "ecr-pullthroughcache/docker-hub-Ab12Cd",
    "ghcr_credential_arn": "arn:aws:secretsmanager:us-east-1:111111111111:secret:"
    "ecr-pullthroughcache/ghcr-Ef34Gh",
}
AMP_EU = "arn:aws:aps:eu-west-1:111111111111:workspace/ws-eu"
AMP_US = "arn:aws:aps:us-east-1:111111111111:workspace/ws-us"


def _alerting() -> dict[str, Any]:
    return {
        "webhook_receivers": [{"name": "deadman", "url": HEARTBEAT_PRIMARY}],
        "pagerduty_receivers": [
            {"name": "pager", "routing_key": "0123456789abcdef0123456789abcdef"}
        ],
        "default_receiver": "pager",
        "heartbeat_receiver": "deadman",
    }


def _args(ipam: Ipam, transit: TransitNetwork, **overrides: Any) -> dict[str, Any]:
    standby = {**STANDBY_IMAGES, "heartbeat_url": HEARTBEAT_STANDBY}
    standby.update(overrides.pop("standby", {}))
    args: dict[str, Any] = {
        "region": EU,
        "ipam": ipam,
        "transit": transit,
        "grafana_admin_password": pulumi.Output.secret(PASSWORD),
        **STACK_IMAGES,
        "dr_region": US,
        "replicate_storage": True,
        "replicate_images": True,
        "alerting": _alerting(),
        "standby": standby,
    }
    args.update(overrides)
    return args


def _network() -> tuple[Ipam, TransitNetwork]:
    ipam = Ipam("core", IpamArgs(regions=[EU, US], home_region=EU, cidr="10.0.0.0/8"))
    transit = TransitNetwork(
        "transit",
        TransitNetworkArgs(
            regions=[EU, US],
            peerings=[TransitPeering(requester=EU, accepter=US)],
            region_cidrs=ipam.regional_pool_cidrs,
        ),
    )
    return ipam, transit


def _plan(**overrides: Any) -> Plan:
    def program() -> None:
        ipam, transit = _network()
        ObservabilityStack("shared", _args(ipam, transit, **overrides))

    return run(program, config={"aws:region": EU})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _plan()


def test_the_standby_is_a_stack_of_its_own_in_the_dr_region(plan: Plan) -> None:
    primary = plan.get("shared", STACK)
    standby = plan.get("shared-dr", STACK)
    assert standby.parent == primary.urn
    cluster = plan.get("shared-dr-eks", "eks:index:Cluster")
    assert cluster.parent == standby.urn
    group = plan.get("shared-dr-system", "aws:eks/nodeGroup:NodeGroup")
    assert group.region == US
    scaling = group.inputs["scalingConfig"]
    assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == (2, 2, 6)
    assert group.inputs["instanceTypes"] == ["m7i.large"]
    # Its VPC comes from the dr region's pool and attaches to that region's gateway.
    vpc = plan.get("shared-dr-vpc", "aws:ec2/vpc:Vpc")
    assert vpc.region == US
    # Every chart is installed there too.
    assert plan.get("shared-dr-kube-prometheus-stack").region is None
    for chart in ("shared-dr-loki", "shared-dr-tempo"):
        assert plan.get(chart, "kubernetes:helm.sh/v4:Chart").parent == standby.urn
    # No buckets of its own: Loki and Tempo use the replicas the primary made.
    buckets = [r for r in plan.by_type("aws:s3/bucket:Bucket") if r.parent == standby.urn]
    assert [b.name for b in buckets] == ["shared-dr-ingest-logs-bucket"]


def _values(plan: Plan, name: str) -> dict[str, Any]:
    resource = plan.get(name)
    values = resource.inputs["values"]
    return values if isinstance(values, dict) else json.loads(values)


ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
REPLICAS = ("loki-chunks", "loki-ruler", "tempo-traces")


def _statements(plan: Plan, name: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(plan.get(name, BUCKET_POLICY).inputs["policy"])[
        "Statement"
    ]
    return statements


def test_standby_loki_and_tempo_hold_their_write_grant_statically(plan: Plan) -> None:
    loki = _values(plan, "shared-dr-loki")
    storage = loki["loki"]["storage"]
    replica = plan.get("shared-loki-chunks-replica-bucket", "aws:s3/bucket:Bucket")
    assert replica.region == US
    assert storage["bucketNames"]["chunks"] == replica.outputs["bucket"]
    policy = json.loads(
        plan.get("shared-dr-loki-policy", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]
    )
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"} <= actions
    # The write grant is attached at deploy time: promotion makes no IAM change.
    standby = plan.get("shared-dr", STACK)
    for engine in ("loki", "tempo"):
        write = plan.get(f"shared-dr-{engine}-write", "aws:iam/policy:Policy")
        assert {
            a for s in json.loads(write.inputs["policy"])["Statement"] for a in s["Action"]
        } == {
            "s3:PutObject",
            "s3:DeleteObject",
            "kms:GenerateDataKey",
        }
        attachment = plan.get(f"shared-dr-{engine}-write-attachment", ATTACHMENT)
        assert attachment.parent == standby.urn
        assert attachment.inputs["role"] == plan.get(f"shared-dr-{engine}-role").outputs["name"]
        assert attachment.inputs["policyArn"] == write.outputs["arn"]
        # The replicas' read-only Deny is in place before the grant is attached.
        for role in REPLICAS:
            assert plan.get(f"shared-{role}-replica-policy").urn in attachment.depends_on


def test_the_replica_bucket_policies_keep_the_standby_read_only(plan: Plan) -> None:
    writers = sorted(plan.get(f"shared-dr-{e}-role").outputs["arn"] for e in ("loki", "tempo"))
    write_actions = sorted(
        a
        for s in json.loads(plan.get("shared-dr-loki-write").inputs["policy"])["Statement"]
        for a in s["Action"]
        if a.startswith("s3:")
    )
    for role in REPLICAS:
        bucket = plan.get(f"shared-{role}-replica-bucket", "aws:s3/bucket:Bucket")
        arn = bucket.outputs["arn"]
        policy = plan.get(f"shared-{role}-replica-policy", BUCKET_POLICY)
        assert (policy.region, policy.inputs["bucket"]) == (US, bucket.outputs["bucket"])
        assert plan.get("shared-dr-loki-role").urn in policy.depends_on
        tls, outdated, deny = _statements(plan, f"shared-{role}-replica-policy")
        assert (tls["Sid"], outdated["Sid"]) == ("DenyInsecureTransport", "DenyOutdatedTls")
        # Exactly the standby's Loki and Tempo roles, exactly what their write grant allows:
        # the replication role (s3:Replicate*) and every other principal are not named.
        assert deny == {
            "Sid": "ObsPlatformReadOnlyUntilPromoted",
            "Effect": "Deny",
            "Principal": "*",
            "Action": write_actions,
            "Resource": f"{arn}/*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": writers}},
        }
        # The primary's own buckets have no such statement.
        assert [s["Sid"] for s in _statements(plan, f"shared-{role}-policy")] == [
            "DenyInsecureTransport",
            "DenyOutdatedTls",
        ]
    replication = json.loads(plan.get("shared-loki-chunks-replication-policy").inputs["policy"])
    replicated = {a for s in replication["Statement"] for a in s["Action"]}
    assert not replicated & set(write_actions)


def test_a_promoted_standby_may_write() -> None:
    promoted = _plan(standby={"promoted": True})
    for role in REPLICAS:
        assert [s["Sid"] for s in _statements(promoted, f"shared-{role}-replica-policy")] == [
            "DenyInsecureTransport",
            "DenyOutdatedTls",
        ]
    attachment = promoted.get("shared-dr-loki-write-attachment", ATTACHMENT)
    assert attachment.parent == promoted.get("shared-dr", STACK).urn


def test_grafana_keeps_its_state_in_an_aurora_serverless_global_database(plan: Plan) -> None:
    global_cluster = plan.get("shared-grafana-global", "aws:rds/globalCluster:GlobalCluster")
    assert global_cluster.region == EU
    primary = plan.get("shared-grafana-primary-db", "aws:rds/cluster:Cluster")
    standby = plan.get("shared-grafana-standby-db", "aws:rds/cluster:Cluster")
    assert (primary.region, standby.region) == (EU, US)
    for member in (primary, standby):
        assert member.inputs["serverlessv2ScalingConfiguration"] == {
            "minCapacity": 0.5,
            "maxCapacity": 4,
        }
        assert member.protect
    assert "masterPassword" not in standby.inputs
    instances = plan.by_type("aws:rds/clusterInstance:ClusterInstance")
    assert sorted((i.name, i.inputs["instanceClass"], i.region) for i in instances) == [
        ("shared-grafana-primary-db-0", "db.serverless", EU),
        ("shared-grafana-primary-db-1", "db.serverless", EU),
        ("shared-grafana-standby-db-0", "db.serverless", US),
    ]
    # Each stack places its member in its own VPC.
    assert plan.get("shared-grafana-db-subnets").region == EU
    assert plan.get("shared-dr-grafana-db-subnets").region == US


@pytest.mark.parametrize(
    "release", ["shared-kube-prometheus-stack", "shared-dr-kube-prometheus-stack"]
)
def test_grafana_reads_its_database_from_a_secret_and_runs_two_replicas(
    plan: Plan, release: str
) -> None:
    grafana = _values(plan, release)["grafana"]
    assert grafana["envFromSecret"] == "grafana-database"
    assert grafana["replicas"] == 2
    assert grafana["persistence"] == {"enabled": False}
    assert grafana["deploymentStrategy"] == {"type": "RollingUpdate"}
    assert "database" not in json.dumps(grafana.get("grafana.ini", {}))
    prefix = release.removesuffix("-kube-prometheus-stack")
    secret = plan.get(f"{prefix}-grafana-db", "kubernetes:core/v1:Secret")
    # The password makes the whole of stringData a secret: nothing of it is in the plan.
    assert secret.inputs["stringData"] == "[secret]"
    assert secret.inputs["metadata"] == {"name": "grafana-database", "namespace": "monitoring"}
    assert PASSWORD not in json.dumps(plan.to_json())


def test_ingest_names_fail_over_on_a_cloudwatch_alarm_health_check(plan: Plan) -> None:
    alarm = plan.get("shared-ingest-health-alarm", "aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarm.region == EU
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (
        "AWS/NetworkELB",
        "HealthyHostCount",
    )
    assert alarm.inputs["statistic"] == "Minimum"
    assert alarm.inputs["treatMissingData"] == "breaching"
    assert alarm.inputs["evaluationPeriods"] == 2
    check = plan.get("shared-ingest-health", "aws:route53/healthCheck:HealthCheck")
    assert check.inputs["type"] == "CLOUDWATCH_METRIC"
    assert check.inputs["cloudwatchAlarmRegion"] == EU
    assert check.inputs["insufficientDataHealthStatus"] == "Unhealthy"
    assert check.inputs["tags"]["obs-platform:region"] == EU
    assert "dr-role" not in check.inputs["tags"]
    # The PRIMARY record uses the writer gate: ingest healthy AND Grafana's primary member the
    # writer, so a database switchover moves the names and failback waits for the writer.
    gate = plan.get("shared-ingest-primary-gate", "aws:route53/healthCheck:HealthCheck")
    writer = plan.get("shared-ingest-primary-writer-check", "aws:route53/healthCheck:HealthCheck")
    assert gate.inputs["type"] == "CALCULATED"
    assert gate.inputs["childHealthThreshold"] == 2
    assert gate.inputs["childHealthchecks"] == [check.outputs["id"], writer.outputs["id"]]
    writer_alarm = plan.get("shared-ingest-primary-writer-alarm")
    assert writer_alarm.inputs["metricName"] == "AuroraGlobalDBReplicationLag"
    assert writer_alarm.inputs["dimensions"] == {
        "DBClusterIdentifier": plan.get("shared-grafana-primary-db").outputs["id"]
    }
    primary = plan.get("shared-ingest-record", "aws:route53/record:Record")
    assert primary.inputs["healthCheckId"] == gate.outputs["id"]
    secondary = plan.get("shared-ingest-standby-record", "aws:route53/record:Record")
    assert primary.inputs["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert secondary.inputs["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert primary.inputs["name"] == secondary.inputs["name"] == "ingest.obs.internal"
    assert primary.inputs["zoneId"] == secondary.inputs["zoneId"]
    standby_nlb = plan.get("shared-dr-ingest", "aws:lb/loadBalancer:LoadBalancer")
    assert standby_nlb.region == US
    assert secondary.inputs["aliases"][0]["name"] == standby_nlb.outputs["dnsName"]
    association = plan.get(
        "shared-ingest-zone-standby", "aws:route53/zoneAssociation:ZoneAssociation"
    )
    assert association.inputs["vpcRegion"] == US
    # The standby makes no zone of its own.
    assert not [z for z in plan.by_type("aws:route53/zone:Zone") if z.name.startswith("shared-dr")]


def test_the_plan_has_the_stacks_own_dr_entry(plan: Plan) -> None:
    entries = plan.dr()
    assert len(entries) == 1
    entry = entries[0]
    assert entry["component"] == plan.get("shared", STACK).urn
    assert (entry["primary_region"], entry["standby_region"]) == (EU, US)
    terms = entry["terms"]
    # detection: 2 one-minute alarm periods; alias records: 60 s; Aurora failover: 60 s;
    # warm nodes: pods only (20 s); orchestration: alarm 60 + start 10 + a person 900.
    assert terms["detection_seconds"] == 120
    assert terms["dns_seconds"] == 60
    assert terms["database_seconds"] == 60
    assert terms["compute_seconds"] == 20
    assert terms["orchestration_seconds"] == 970
    assert entry["rto_seconds"] == 120 + 970 + 60
    assert entry["rto_target_seconds"] == 1800
    assert entry["rpo_seconds"] == 1


def test_a_budget_that_misses_is_refused_before_anything_is_created() -> None:
    with pytest.raises(ProgramError, match=r"standby's failover budget misses") as info:
        _plan(standby={"rto_target_seconds": 600})
    assert isinstance(info.value.__cause__, ObsPlatformError)
    assert info.value.__cause__.field == "ObservabilityStackArgs.standby"


def test_a_refused_budget_suggests_only_the_stacks_own_settings_that_lower_it() -> None:
    # Five alarm periods: 300 + 970 + 60 = 1330 s against 1200 s. The health check follows the
    # NLB alarm, so no health-check interval or threshold counts, and the stack has none of
    # PilotLightDr's approval or timing settings: the only fix is fewer alarm periods.
    slow = {"rto_target_seconds": 1200, "health_alarm_evaluation_periods": 5}
    with pytest.raises(ProgramError, match=r"standby's failover budget misses") as info:
        _plan(standby=slow)
    text = str(info.value)
    for absent in ("health_check_", "automatic_failover", "manual_approval=", "in timing"):
        assert absent not in text
    # The budget's own finding (the idle-cost options after it price one period as well).
    suggested = re.findall(r"fix: health_alarm_evaluation_periods=(\d+)", text)
    assert suggested == ["2"]
    assert "RTO 1330 -> 1150 s" in text
    fixed = _plan(standby={**slow, "health_alarm_evaluation_periods": int(suggested[0])})
    assert fixed.dr()[0]["rto_seconds"] == 1150 < 1200
    # Below what one period reaches (60 + 970 + 60 = 1090 s) it says that no setting does.
    with pytest.raises(ProgramError) as floor:
        _plan(standby={"rto_target_seconds": 1000})
    text = str(floor.value)
    assert "health_alarm_evaluation_periods=1 (a shorter outage" in text
    assert "no setting reaches 1000 s" in text
    assert "raise standby.rto_target_seconds above 1090" in text
    assert "automatic_failover" not in text


def test_budget_enforcement_warn_builds_with_a_warning() -> None:
    warned = _plan(standby={"rto_target_seconds": 600, "budget_enforcement": "warn"})
    assert warned.dr()[0]["rto_seconds"] == 1150
    assert any("standby's failover budget misses its targets" in d for d in warned.diagnostics)


def test_prometheus_writes_to_the_amp_workspace_of_each_region() -> None:
    amp = _plan(
        amp_remote_write_url="https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-eu/api/v1/remote_write",
        amp_workspace_arn=AMP_EU,
        standby={
            "amp_remote_write_url": "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-us/api/v1/remote_write",
            "amp_workspace_arn": AMP_US,
        },
    )
    for release, first in (
        ("shared-kube-prometheus-stack", EU),
        ("shared-dr-kube-prometheus-stack", US),
    ):
        targets = _values(amp, release)["prometheus"]["prometheusSpec"]["remoteWrite"]
        assert [t["sigv4"]["region"] for t in targets] == [first, EU if first == US else US]
    policy = json.loads(
        amp.get("shared-prometheus-policy", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]
    )
    assert policy["Statement"][0]["Resource"] == sorted([AMP_EU, AMP_US])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"replicate_storage": False}, "replicate_storage=True and replicate_images=True"),
        ({"standby": {"heartbeat_url": None}}, "standby.heartbeat_url"),
        ({"standby": {"ghcr_credential_arn": None}}, "standby.ghcr_credential_arn"),
        ({"ingest_zone_name": None}, "ingest_zone_name"),
        (
            {
                "standby": {
                    "amp_remote_write_url": "https://x.invalid/w",
                    "amp_workspace_arn": AMP_US,
                }
            },
            "an AMP workspace in each region",
        ),
    ],
)
def test_bad_standby_settings_are_refused_naming_the_field(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProgramError, match="ObservabilityStackArgs") as info:
        _plan(**overrides)
    assert message in str(info.value)


def test_grafana_replicas_without_a_database_are_refused() -> None:
    with pytest.raises(ValueError, match="needs a shared database"):
        ObservabilityStackArgs(
            region=EU,
            vpc_id="vpc-1",
            private_subnet_ids=["subnet-a", "subnet-b"],
            grafana_admin_password="x" * 12,
            **STACK_IMAGES,
            grafana_replicas=2,
        )


def test_a_name_too_long_for_the_standby_is_refused_up_front() -> None:
    def program() -> None:
        ipam, transit = _network()
        ObservabilityStack("shared-obs-1", _args(ipam, transit))

    with pytest.raises(ProgramError, match="its standby is named 'shared-obs-1-dr'"):
        run(program, config={"aws:region": EU})


def test_standby_defaults_keep_a_minimal_system_group() -> None:
    groups = StandbyStackArgs().node_groups
    assert list(groups) == ["system"]
    assert groups["system"].desired_size == 2


@pytest.mark.tool
def test_amtool_accepts_both_regions_configs_and_each_heartbeat_goes_to_its_own_check(
    amtool: str, tmp_path: Path
) -> None:
    primary = AlertingArgs.model_validate(_alerting())
    standby = standby_alerting(primary, HEARTBEAT_STANDBY)
    urls = {"pager": "0123456789abcdef0123456789abcdef"}
    for name, alerting, heartbeat in (
        ("primary", primary, HEARTBEAT_PRIMARY),
        ("standby", standby, HEARTBEAT_STANDBY),
    ):
        config = build_alertmanager_config(alerting, {**urls, "deadman": heartbeat})
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        result = subprocess.run(
            [amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        receivers = {r["name"]: r for r in config["receivers"]}
        assert receivers["deadman"]["webhook_configs"][0]["url"] == heartbeat
        routed = subprocess.run(
            [amtool, "config", "routes", "test", "--config.file", str(path), "alertname=Watchdog"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert routed.stdout.strip() == "deadman", routed.stdout + routed.stderr
    # Identical routing in both regions: the same group keys, so PagerDuty deduplicates.
    assert (
        build_alertmanager_config(primary, {**urls, "deadman": HEARTBEAT_PRIMARY})["route"]
        == (build_alertmanager_config(standby, {**urls, "deadman": HEARTBEAT_PRIMARY})["route"])
    )


# --- what a region loss loses of logs and traces -------------------------------------------


def test_the_dr_entry_reports_the_telemetry_rpo_with_its_sources(plan: Plan) -> None:
    (entry,) = plan.dr()
    telemetry = entry["telemetry_rpo"]
    # By hand from Loki's and Tempo's defaults (the library renders none of their flush
    # settings) and the 15 minutes assumed for S3 replication:
    #   logs   = max_chunk_age 7200 + flush check 30 + TSDB head rotation 900 + S3 900 = 9030
    #   traces = trace idle 10 + max_block_duration 1800 + flush check 10 + S3 900    = 2720
    #   drain  = max(chunk_idle 1800 + 30 + 900, 10 + 1800 + 10)                      = 2730
    assert (telemetry["logs_rpo_seconds"], telemetry["traces_rpo_seconds"]) == (9030, 2720)
    assert (telemetry["rpo_seconds"], telemetry["rpo_target_seconds"]) == (9030, 10800)
    assert telemetry["meets_target"] is True
    assert telemetry["drain_seconds"] == 2730
    assert telemetry["terms"] == {
        "loki_max_chunk_age_seconds": 7200,
        "loki_flush_check_seconds": 30,
        "loki_index_rotation_seconds": 900,
        "s3_replication_seconds": 900,
        "tempo_trace_idle_seconds": 10,
        "tempo_max_block_seconds": 1800,
        "tempo_flush_check_seconds": 10,
    }
    sources = " ".join(telemetry["sources"])
    for cited in ("Loki configuration reference", "head_manager.go", "config.go", "RTC"):
        assert cited in sources
    # Grafana's RPO (the database's lag) stays what it was.
    assert entry["rpo_seconds"] == 1


def test_a_telemetry_rpo_that_misses_is_refused_with_the_chunk_age_that_meets_it() -> None:
    with pytest.raises(ProgramError, match=r"would lose more logs or traces") as info:
        _plan(standby={"telemetry_rpo_target_seconds": 3600})
    cause = info.value.__cause__
    assert isinstance(cause, ObsPlatformError)
    assert cause.field == "ObservabilityStackArgs.standby.telemetry_rpo_target_seconds"
    assert cause.value == 3600
    # 3600 - (30 + 900 + 900) = 1770 s of chunk age: 29 whole minutes.
    assert "loki_max_chunk_age_minutes=29" in str(info.value)
    assert "Telemetry RPO 9030 s, target 3600 s: MISSES" in str(info.value)
    fixed = _plan(loki_max_chunk_age_minutes=29, standby={"telemetry_rpo_target_seconds": 3600})
    telemetry = fixed.dr()[0]["telemetry_rpo"]
    assert telemetry["logs_rpo_seconds"] == 29 * 60 + 1830 == 3570
    assert telemetry["meets_target"] is True
    # A chunk age below the idle period also shortens the drain: max(min(1800, 1740) + 30 +
    # 900, Tempo's 10 + 1800 + 10) = 2670.
    assert telemetry["drain_seconds"] == 2670
    # The chunk age reaches both Lokis' configuration (the chart copies loki.ingester).
    for name in ("shared-loki", "shared-dr-loki"):
        assert _values(fixed, name)["loki"]["ingester"] == {"max_chunk_age": "29m"}
    # Below what the flush and replication terms take (traces 2720 s), no chunk age helps.
    with pytest.raises(ProgramError) as floor:
        _plan(standby={"telemetry_rpo_target_seconds": 1800})
    assert "Raise standby.telemetry_rpo_target_seconds to 2720 or more" in str(floor.value)


def test_a_telemetry_rpo_miss_with_warn_builds_with_a_warning() -> None:
    warned = _plan(standby={"telemetry_rpo_target_seconds": 3600, "budget_enforcement": "warn"})
    assert warned.dr()[0]["telemetry_rpo"]["meets_target"] is False
    assert any("telemetry RPO misses its target" in d for d in warned.diagnostics)


@pytest.mark.parametrize(
    ("database", "field", "message"),
    [
        ({"min_capacity_acu": 0}, "min_capacity_acu", "auto-pause"),
        ({"min_capacity_acu": 0.75}, "min_capacity_acu", "such as 0.5 or 1"),
        ({"max_capacity_acu": 4.2}, "max_capacity_acu", "such as 4 or 4.5"),
        ({"max_capacity_acu": 257}, "max_capacity_acu", "256"),
        ({"min_capacity_acu": 8, "max_capacity_acu": 4}, "min_capacity_acu", "above"),
        ({"engine_version": "13.4"}, "engine_version", "13.6 or later"),
        ({"engine_version": "12.9"}, "engine_version", "13.6 or later"),
    ],
)
def test_grafana_database_capacity_follows_auroras_rules(
    database: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ProgramError) as info:
        _plan(standby={"grafana_database": database})
    text = str(info.value)
    assert "grafana_database" in text and field in text and message in text
    # The smallest allowed minimum and Aurora's upper bound are accepted.
    accepted = _plan(
        standby={"grafana_database": {"min_capacity_acu": 0.5, "max_capacity_acu": 256}}
    )
    cluster = next(
        r
        for r in accepted.resources
        if r.type == "aws:rds/cluster:Cluster" and r.name == "shared-grafana-primary-db"
    )
    assert cluster.inputs["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0.5,
        "maxCapacity": 256,
    }


# --- Grafana's database connection verifies the server with the RDS bundle ------------------

# Two self-contained PEM blocks (the shape of global-bundle.pem; content need not be a real
# RDS certificate for the library, which passes it through).
BUNDLE = (
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0ExAA==\n-----END CERTIFICATE-----\n"
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ0EyAA==\n-----END CERTIFICATE-----\n"
)


def _database_env(grafana: dict[str, Any]) -> dict[str, str]:
    """Grafana's plain ``GF_DATABASE_*`` env (the proxy's HTTPS_PROXY/NO_PROXY sit beside)."""
    return {k: v for k, v in grafana["env"].items() if k.startswith("GF_DATABASE_")}


def test_without_a_ca_bundle_grafana_requires_tls_and_the_plan_warns(plan: Plan) -> None:
    for release in ("shared-kube-prometheus-stack", "shared-dr-kube-prometheus-stack"):
        grafana = _values(plan, release)["grafana"]
        assert _database_env(grafana) == {"GF_DATABASE_SSL_MODE": "require"}
        assert "extraConfigmapMounts" not in grafana
    assert not plan.by_type("kubernetes:core/v1:ConfigMap") or not [
        c for c in plan.by_type("kubernetes:core/v1:ConfigMap") if c.name.endswith("grafana-db-ca")
    ]
    assert any("ssl_mode=require: encrypted, but" in d for d in plan.diagnostics)


def test_a_ca_bundle_is_mounted_and_grafana_verifies_the_server() -> None:
    verified = _plan(standby={"grafana_database": {"ca_bundle_pem": BUNDLE}})
    for prefix in ("shared", "shared-dr"):
        grafana = _values(verified, f"{prefix}-kube-prometheus-stack")["grafana"]
        assert _database_env(grafana) == {
            "GF_DATABASE_SSL_MODE": "verify-ca",
            "GF_DATABASE_CA_CERT_PATH": "/etc/grafana/database-ca/rds-ca.pem",
        }
        assert grafana["extraConfigmapMounts"] == [
            {
                "name": "database-ca",
                "mountPath": "/etc/grafana/database-ca",
                "configMap": "grafana-database-ca",
                "readOnly": True,
            }
        ]
        ca = verified.get(f"{prefix}-grafana-db-ca", "kubernetes:core/v1:ConfigMap")
        assert ca.inputs["metadata"] == {"name": "grafana-database-ca", "namespace": "monitoring"}
        assert ca.inputs["data"] == {"rds-ca.pem": BUNDLE}
    assert not any("ssl_mode=require: encrypted, but" in d for d in verified.diagnostics)
    full = _plan(standby={"grafana_database": {"ca_bundle_pem": BUNDLE, "ssl_mode": "verify-full"}})
    env = _values(full, "shared-kube-prometheus-stack")["grafana"]["env"]
    assert env["GF_DATABASE_SSL_MODE"] == "verify-full"


@pytest.mark.parametrize(
    ("database", "message"),
    [
        ({"ssl_mode": "verify-full"}, "ca_bundle_pem is not set"),
        ({"ca_bundle_pem": "not a certificate"}, "not a PEM certificate bundle"),
        (
            {"ca_bundle_pem": BUNDLE + "-----BEGIN PRIVATE KEY-----\nAA==\n"},
            "holds a private key",
        ),
    ],
)
def test_bad_tls_settings_are_refused_naming_the_field(
    database: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProgramError) as info:
        _plan(standby={"grafana_database": database})
    assert "grafana_database" in str(info.value) and message in str(info.value)
    # The PEM text never reaches the message (a key pasted by mistake must not).
    for given in ("MIIBszCCAVmgAwIBAgIUQ0ExAA==", "AA==\n", "not a certificate"):
        assert given not in str(info.value)


def test_the_replica_buckets_replicate_back_to_the_primarys_for_failback(plan: Plan) -> None:
    rtype = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
    bucket = "aws:s3/bucket:Bucket"
    for role, engine in (
        ("loki-chunks", "loki"),
        ("loki-ruler", "loki"),
        ("tempo-traces", "tempo"),
    ):
        forward = plan.get(f"shared-{role}-replication", rtype)
        back = plan.get(f"shared-{role}-failback-replication", rtype)
        source = plan.get(f"shared-{role}-bucket", bucket)
        replica = plan.get(f"shared-{role}-replica-bucket", bucket)
        # The way back runs from the replica (in the standby's region) to the primary's
        # bucket, encrypting with the primary's key, by the same replication role.
        assert (back.region, forward.region) == (US, EU)
        assert back.inputs["bucket"] == replica.outputs["id"]
        (rule,) = back.inputs["rules"]
        assert rule["id"] == "failback" and rule["status"] == "Enabled"
        assert rule["destination"]["bucket"] == source.outputs["arn"]
        key = plan.get(f"shared-{engine}-kms", "aws:kms/key:Key")
        assert (
            rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"]
            == (key.outputs["arn"])
        )
        assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
        assert back.inputs["role"] == forward.inputs["role"]
        versioning = {
            r.urn
            for r in plan.by_type("aws:s3/bucketVersioning:BucketVersioning")
            if r.inputs["bucket"] in (source.outputs["id"], replica.outputs["id"])
        }
        assert len(versioning) == 2 and versioning <= set(back.depends_on)
        policy = json.loads(plan.get(f"shared-{role}-failback-replication-policy").inputs["policy"])
        statements = {s["Sid"]: s for s in policy["Statement"]}
        assert statements["ReadSource"]["Resource"] == replica.outputs["arn"]
        assert statements["WriteReplica"]["Resource"] == f"{source.outputs['arn']}/*"


def test_without_a_standby_the_buckets_replicate_one_way() -> None:
    def program() -> None:
        ipam, transit = _network()
        args = _args(ipam, transit)
        args.pop("standby")
        ObservabilityStack("shared", args)

    one_way = run(program, config={"aws:region": EU})
    names = [
        r.name for r in one_way.by_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    ]
    assert sorted(names) == [
        "shared-loki-chunks-replication",
        "shared-loki-ruler-replication",
        "shared-tempo-traces-replication",
    ]
