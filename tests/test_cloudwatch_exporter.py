"""The CloudWatch exporter (YACE): its naming, its configuration, the values, and the release in
the ObservabilityStack with its role, so the DR alert rules have the series they read."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from obs_platform._internal import helm_values as hv
from obs_platform._internal.alert_rules import (
    AURORA_GLOBAL_LAG_MS,
    CELL_TAG,
    DR_ROLE_TAG,
    EC2_STATUS_CHECK_FAILED,
    EKS_APISERVER_REQUESTS,
    LAMBDA_ERRORS,
    LAMBDA_THROTTLES,
    MSK_REPLICATOR_LATENCY_MS,
    ROUTE53_HEALTH_CHECK_STATUS,
    STANDBY_EXPECTED_RECORD,
    STANDBY_NOT_READY_RECORD,
    dr_rules,
)
from obs_platform._internal.yace import (
    DiscoveryJob,
    dr_discovery_jobs,
    exported_metric_names,
    exported_tag_labels,
    prom_string,
    yace_config,
    yace_metric_name,
    yace_tag_label,
)
from obs_platform.testing import Plan, ProgramError
from test_observability_stack import _plan

STACK = "obs-platform:observability:ObservabilityStack"
CHART = "kubernetes:helm.sh/v4:Chart"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EU, US, DR = "eu-west-1", "us-east-1", "eu-central-1"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _plan(dr_region=DR)


# --- naming (pure) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "metric", "statistic", "expected"),
    [
        (
            "AWS/RDS",
            "AuroraGlobalDBReplicationLag",
            "Average",
            "aws_rds_aurora_global_dbreplication_lag_average",
        ),
        ("AWS/Route53", "HealthCheckStatus", "Minimum", "aws_route53_health_check_status_minimum"),
        ("AWS/Kafka", "ReplicationLatency", "Maximum", "aws_kafka_replication_latency_maximum"),
        ("AWS/ES", "ClusterStatus.green", "Maximum", "aws_es_cluster_status_green_maximum"),
        ("AWS/EBS", "BurstBalance", "Average", "aws_ebs_burst_balance_average"),
        # YACE v0.67.0 promutil.BuildMetricName: "aws/eks" -> aws_eks, the name kept as is
        ("AWS/EKS", "apiserver_request_total", "Sum", "aws_eks_apiserver_request_total_sum"),
        ("AWS/EC2", "StatusCheckFailed", "Maximum", "aws_ec2_status_check_failed_maximum"),
        ("AWS/Lambda", "Errors", "Sum", "aws_lambda_errors_sum"),
        ("AWS/Lambda", "Throttles", "Sum", "aws_lambda_throttles_sum"),
    ],
)
def test_yace_metric_names(namespace: str, metric: str, statistic: str, expected: str) -> None:
    assert yace_metric_name(namespace, metric, statistic) == expected


def test_tag_labels() -> None:
    assert yace_tag_label(DR_ROLE_TAG) == "tag_dr_role"
    assert yace_tag_label(CELL_TAG) == "tag_cell"


@given(st.text(alphabet=st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=40))
def test_prom_string_is_a_lower_case_identifier_and_idempotent(text: str) -> None:
    out = prom_string(text)
    assert re.fullmatch(r"[a-z0-9_]*", out)
    assert prom_string(out) == out
    # Only underscores are added: dropping them gives the lower-cased alphanumerics back.
    assert re.sub(r"[^a-z0-9]", "", out) == re.sub(r"[^a-z0-9]", "", text.lower())


# --- configuration (pure) ---------------------------------------------------------------------


def test_discovery_jobs_read_each_metric_where_it_lives() -> None:
    assert dr_discovery_jobs([EU, DR, EU]) == [
        DiscoveryJob("AWS/RDS", (EU, DR), (("AuroraGlobalDBReplicationLag", "Average"),)),
        DiscoveryJob("AWS/Route53", (US,), (("HealthCheckStatus", "Minimum"),)),
        DiscoveryJob("AWS/Kafka", (EU, DR), (("ReplicationLatency", "Maximum"),)),
        DiscoveryJob(
            "AWS/EKS",
            (EU, DR),
            (("apiserver_request_total", "Sum"),),
            search_tags=(("dr-role", "^standby$"),),
        ),
        DiscoveryJob(
            "AWS/EC2",
            (EU, DR),
            (("StatusCheckFailed", "Maximum"),),
            search_tags=(("dr-role", "^standby$"),),
        ),
        DiscoveryJob(
            "AWS/Lambda",
            (EU, DR),
            (("Errors", "Sum"), ("Throttles", "Sum")),
            search_tags=(("dr-role", "^standby$"),),
        ),
    ]


def test_msk_replicators_in_the_stacks_account_carry_their_regions_cell() -> None:
    """ReplicationLatency has no resource YACE associates: the cell comes as a custom tag."""
    jobs = dr_discovery_jobs([EU, DR], {DR: "standby-cell", "ap-south-1": "ignored"})
    kafka = [j for j in jobs if j.namespace == "AWS/Kafka"]
    latency = (("ReplicationLatency", "Maximum"),)
    assert kafka == [
        DiscoveryJob("AWS/Kafka", (EU,), latency),
        DiscoveryJob("AWS/Kafka", (DR,), latency, cell="standby-cell"),
    ]
    config = yace_config(jobs, sts_region=EU)
    (tagged,) = [j for j in config["discovery"]["jobs"] if j.get("customTags")]
    assert tagged["type"] == "AWS/Kafka" and tagged["regions"] == [DR]
    assert tagged["customTags"] == [{"key": "cell", "value": "standby-cell"}]
    # Every region mapped: one job per region, none without a cell.
    both = dr_discovery_jobs([EU, DR], {EU: "a", DR: "b"})
    assert [j.cell for j in both if j.namespace == "AWS/Kafka"] == ["a", "b"]


def test_config_structure() -> None:
    config = yace_config(dr_discovery_jobs([EU]), sts_region=EU)
    tags = ["cell", "dr-role"]
    assert config == {
        "apiVersion": "v1alpha1",
        "sts-region": EU,
        "discovery": {
            "exportedTagsOnMetrics": {
                namespace: tags
                for namespace in (
                    "AWS/RDS",
                    "AWS/Route53",
                    "AWS/Kafka",
                    "AWS/EKS",
                    "AWS/EC2",
                    "AWS/Lambda",
                )
            },
            "jobs": [
                {
                    "type": "AWS/RDS",
                    "regions": [EU],
                    "period": 60,
                    "length": 300,
                    "metrics": [
                        {"name": "AuroraGlobalDBReplicationLag", "statistics": ["Average"]}
                    ],
                },
                {
                    "type": "AWS/Route53",
                    "regions": [US],
                    "period": 60,
                    "length": 300,
                    "metrics": [{"name": "HealthCheckStatus", "statistics": ["Minimum"]}],
                },
                {
                    "type": "AWS/Kafka",
                    "regions": [EU],
                    "period": 60,
                    "length": 300,
                    "metrics": [{"name": "ReplicationLatency", "statistics": ["Maximum"]}],
                },
                {
                    "type": "AWS/EKS",
                    "regions": [EU],
                    "searchTags": [{"key": "dr-role", "value": "^standby$"}],
                    "period": 60,
                    "length": 300,
                    "metrics": [{"name": "apiserver_request_total", "statistics": ["Sum"]}],
                },
                {
                    "type": "AWS/EC2",
                    "regions": [EU],
                    "searchTags": [{"key": "dr-role", "value": "^standby$"}],
                    "period": 60,
                    "length": 300,
                    "metrics": [{"name": "StatusCheckFailed", "statistics": ["Maximum"]}],
                },
                {
                    "type": "AWS/Lambda",
                    "regions": [EU],
                    "searchTags": [{"key": "dr-role", "value": "^standby$"}],
                    "period": 60,
                    "length": 300,
                    "metrics": [
                        {"name": "Errors", "statistics": ["Sum"]},
                        {"name": "Throttles", "statistics": ["Sum"]},
                    ],
                },
            ],
        },
    }


def _cloudwatch_names(expr: str) -> set[str]:
    return set(re.findall(r"\baws_[a-z0-9_]+", expr))


def test_every_cloudwatch_series_the_dr_rules_read_is_exported() -> None:
    group = dr_rules(rpo_target_seconds=60, rto_target_seconds=300)
    used = set().union(*(_cloudwatch_names(rule["expr"]) for rule in group["rules"]))
    assert used == {
        ROUTE53_HEALTH_CHECK_STATUS,
        AURORA_GLOBAL_LAG_MS,
        MSK_REPLICATOR_LATENCY_MS,
        EKS_APISERVER_REQUESTS,
        EC2_STATUS_CHECK_FAILED,
        LAMBDA_ERRORS,
        LAMBDA_THROTTLES,
    }
    config = yace_config(dr_discovery_jobs([EU]), sts_region=EU)
    assert used <= exported_metric_names(config)
    labels = set().union(*(set(re.findall(r"\btag_[a-z_]+", r["expr"])) for r in group["rules"]))
    assert labels == {"tag_cell", "tag_dr_role"}
    for namespace in ("AWS/RDS", "AWS/Route53", "AWS/Kafka", "AWS/EKS", "AWS/EC2", "AWS/Lambda"):
        assert labels <= exported_tag_labels(config, namespace), namespace


# --- values (pure) ----------------------------------------------------------------------------


def test_values_structure() -> None:
    config = yaml.safe_dump(yace_config(dr_discovery_jobs([EU]), sts_region=EU), sort_keys=False)
    assert hv.yace_values(config_yaml=config) == {
        "fullnameOverride": "yace",
        "serviceAccount": {"create": True, "name": "yace"},
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "runAsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "extraArgs": {"scraping-interval": 60},
        "testConnection": False,
        "serviceMonitor": {
            "enabled": True,
            "interval": "60s",
            "timeout": "30s",
            "metricRelabelings": [
                {
                    "sourceLabels": ["tag_cell", "custom_tag_cell"],
                    "separator": ";",
                    "regex": ";(.+)",
                    "targetLabel": "tag_cell",
                    "replacement": "$1",
                    "action": "replace",
                }
            ],
        },
        "configMap": {"enabled": True},
        "config": config,
    }


def test_values_with_irsa_and_a_mirror() -> None:
    role = "arn:aws:iam::111111111111:role/yace"
    values = hv.yace_values(
        config_yaml="apiVersion: v1alpha1\n",
        role_arn=role,
        mirror={"quay.io": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/quay"},
    )
    assert values["serviceAccount"] == {
        "create": True,
        "name": "yace",
        "annotations": {"eks.amazonaws.com/role-arn": role},
    }
    assert values["image"] == {"registry": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/quay"}


def test_values_refuse_template_delimiters() -> None:
    with pytest.raises(ValueError, match="tpl"):
        hv.yace_values(config_yaml="x: '{{ .Values }}'\n")


# --- the stack --------------------------------------------------------------------------------


def test_release_is_a_pinned_chart_in_the_monitoring_namespace(plan: Plan) -> None:
    chart = plan.get("shared-cloudwatch-exporter", CHART)
    assert chart.parent == plan.by_type(STACK)[0].urn
    assert chart.provider == plan.get("shared-k8s").urn
    inputs = {k: v for k, v in chart.inputs.items() if k != "values"}
    assert inputs == {
        "name": "yace",
        "chart": "prometheus-yet-another-cloudwatch-exporter",
        "version": "0.47.0",
        "repositoryOpts": {"repo": "https://prometheus-community.github.io/helm-charts"},
        "namespace": "monitoring",
    }
    values = chart.inputs["values"]
    assert values["serviceMonitor"]["enabled"] is True
    # The chart always renders its Service; it has no service.enabled or useStatefulSet key.
    assert "service" not in values and "useStatefulSet" not in values
    assert "annotations" not in values["serviceAccount"]  # Pod Identity, not IRSA
    config = yaml.safe_load(values["config"])
    assert config == yace_config(dr_discovery_jobs([EU, DR]), sts_region=EU)
    regions = {job["type"]: job["regions"] for job in config["discovery"]["jobs"]}
    assert regions == {
        "AWS/RDS": [EU, DR],
        "AWS/Route53": [US],
        "AWS/Kafka": [EU, DR],
        "AWS/EKS": [EU, DR],
        "AWS/EC2": [EU, DR],
        "AWS/Lambda": [EU, DR],
    }


def test_release_waits_for_nodes_access_crds_namespace_and_its_role(plan: Plan) -> None:
    chart = plan.get("shared-cloudwatch-exporter", CHART)
    needed = {
        plan.get("shared-system", NODE_GROUP).urn,
        plan.get("shared-admin-0").urn,
        plan.get("shared-admin-0-policy").urn,
        plan.get("shared-namespace").urn,
        plan.get("shared-prometheus-crds").urn,
        plan.get("shared-yace-role", ROLE).urn,
        plan.get("shared-yace-pod-identity", POD_IDENTITY).urn,
    }
    assert needed <= set(chart.depends_on)


def test_role_is_least_privilege_and_bound_to_the_service_account(plan: Plan) -> None:
    component = plan.by_type(STACK)[0].urn
    role = plan.get("shared-yace-role", ROLE)
    policy = plan.get("shared-yace-policy", ROLE_POLICY)
    association = plan.get("shared-yace-pod-identity", POD_IDENTITY)
    assert {role.parent, policy.parent, association.parent} == {component}
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "pods.eks.amazonaws.com"
    }
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadCloudWatchMetrics",
                "Effect": "Allow",
                "Action": [
                    "cloudwatch:GetMetricData",
                    "cloudwatch:GetMetricStatistics",
                    "cloudwatch:ListMetrics",
                    "tag:GetResources",
                ],
                "Resource": "*",
            }
        ],
    }
    assert policy.inputs["role"] == role.outputs["id"]
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (
        "monitoring",
        "yace",
    )
    assert association.inputs["roleArn"] == role.outputs["arn"]
    assert association.inputs["region"] == EU


def test_irsa_annotates_the_exporter_service_account() -> None:
    plan = _plan(workload_identity="irsa")
    role = plan.get("shared-yace-role", ROLE)
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    (subject,) = [v for k, v in trust["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert subject == "system:serviceaccount:monitoring:yace"
    values: dict[str, Any] = plan.get("shared-cloudwatch-exporter", CHART).inputs["values"]
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": role.outputs["arn"]
    }
    config = yaml.safe_load(values["config"])
    assert config["discovery"]["jobs"][0]["regions"] == [EU]  # no dr_region given


def test_exporter_can_be_turned_off() -> None:
    plan = _plan(cloudwatch_exporter=False)
    names = {r.name for r in plan.resources}
    assert (
        not {
            "shared-cloudwatch-exporter",
            "shared-yace-role",
            "shared-yace-policy",
            "shared-yace-pod-identity",
        }
        & names
    )
    assert "shared-kube-prometheus-stack" in names


def test_chart_version_can_be_overridden() -> None:
    plan = _plan(chart_versions={"yet_another_cloudwatch_exporter": "0.49.0"})
    assert plan.get("shared-cloudwatch-exporter", CHART).inputs["version"] == "0.49.0"


def test_listed_standby_cells_reach_the_dr_rules() -> None:
    plan = _plan(standby_cells=("us-east-1", "ap-south-1"))
    rule = plan.get("shared-rules-dr", "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    records = {r.get("record"): r["expr"] for r in rule.inputs["spec"]["groups"][0]["rules"]}
    assert records[STANDBY_EXPECTED_RECORD] == (
        'label_replace(vector(1), "cell", "us-east-1", "", "")\n'
        'or label_replace(vector(1), "cell", "ap-south-1", "", "")'
    )
    assert records[STANDBY_NOT_READY_RECORD].startswith(
        f"label_replace(\n({STANDBY_EXPECTED_RECORD}\nor group by (cell)"
    )


def test_a_standby_cell_that_is_not_a_name_is_refused() -> None:
    with pytest.raises(ProgramError, match="standby_cells") as err:
        _plan(standby_cells=('us-east-1"} or vector(1) #',))
    assert "pattern" in str(err.value)
