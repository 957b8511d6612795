"""DR metrics from the accounts and regions that hold them: reader roles the exporter assumes."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
import yaml

from conftest import EXAMPLES, shared_stack_args
from conftest import docker_hub_credential as docker_hub
from obs_platform import Cell
from obs_platform._internal.yace import (
    CELL_FROM_CUSTOM_TAG,
    CloudWatchAccount,
    account_discovery_jobs,
    assumed_role_arns,
    dr_discovery_jobs,
    yace_config,
)
from obs_platform.observability.args import ObservabilityStackArgs
from obs_platform.observability.stack import ObservabilityStack
from obs_platform.testing import run, run_program

EXPORTER = "arn:aws:iam::111111111111:role/shared-yace-role-abc1234"
READER = "arn:aws:iam::222222222222:role/us-east-1-cloudwatch-reader-role-1234567"
PROXY = "http://proxy.egress.internal:3128"


def test_standby_account_jobs_read_its_region_with_its_role_and_keep_the_cell() -> None:
    jobs = account_discovery_jobs([CloudWatchAccount(READER, ("us-east-1",), "us-east-1")])
    config = yace_config([*dr_discovery_jobs(["eu-west-1"]), *jobs], sts_region="eu-west-1")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for job in config["discovery"]["jobs"]:
        by_type.setdefault(job["type"], []).append(job)
    own_rds, other_rds = by_type["AWS/RDS"]
    assert "roles" not in own_rds and own_rds["regions"] == ["eu-west-1"]
    # Aurora's global lag comes from the secondary, in the standby's region and account
    assert other_rds["regions"] == ["us-east-1"]
    assert other_rds["roles"] == [{"roleArn": READER}]
    assert other_rds["customTags"] == [{"key": "cell", "value": "us-east-1"}]
    # MSK Replicator metrics live in the target region, under the target's account
    _, other_kafka = by_type["AWS/Kafka"]
    assert (other_kafka["regions"], other_kafka["roles"]) == (["us-east-1"], [{"roleArn": READER}])
    # Route 53 health-check metrics exist only in us-east-1, in the account of the checks
    _, other_route53 = by_type["AWS/Route53"]
    assert other_route53["regions"] == ["us-east-1"]
    assert assumed_role_arns(config) == [READER]


def test_untagged_series_take_the_jobs_cell() -> None:
    # Prometheus relabelling semantics: source labels joined by ';', the regex anchored.
    import re

    rule = CELL_FROM_CUSTOM_TAG
    regex = re.compile(f"^(?:{rule['regex']})$")

    def relabel(labels: dict[str, str]) -> dict[str, str]:
        joined = rule["separator"].join(labels.get(name, "") for name in rule["sourceLabels"])
        match = regex.match(joined)
        if match:
            labels = {
                **labels,
                rule["targetLabel"]: match.expand(rule["replacement"].replace("$", "\\")),
            }
        return labels

    assert relabel({"custom_tag_cell": "us-east-1"})["tag_cell"] == "us-east-1"
    tagged = relabel({"tag_cell": "eu-west-1", "custom_tag_cell": "us-east-1"})
    assert tagged["tag_cell"] == "eu-west-1"  # a resource's own tag wins
    assert "tag_cell" not in relabel({"dimension_ReplicatorName": "x"})


def test_stack_exporter_may_assume_exactly_the_listed_readers() -> None:
    def program() -> None:
        stack = ObservabilityStack(
            "shared",
            shared_stack_args(
                cloudwatch_accounts=[
                    {"role_arn": READER, "regions": ["us-east-1"], "cell": "us-east-1"}
                ],
                cloudwatch_exporter_https_proxy=PROXY,
            ),
        )
        pulumi.export("exporter", stack.cloudwatch_exporter_role_arn)

    plan = run(program, config={"aws:region": "eu-west-1"})
    policy = json.loads(plan.get("shared-yace-policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadOtherAccounts"] == {
        "Sid": "ReadOtherAccounts",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": [READER],
    }
    values = plan.get("shared-cloudwatch-exporter").inputs["values"]
    config = yaml.safe_load(values["config"])
    assert assumed_role_arns(config) == [READER]
    assert values["serviceMonitor"]["metricRelabelings"] == [CELL_FROM_CUSTOM_TAG]
    assert plan.outputs["exporter"] == plan.get("shared-yace-role").outputs["arn"]
    # CloudWatch in us-east-1 (the standby's metrics, Route 53's) through the proxy; the
    # stack's own region through its VPC endpoints.
    assert values["extraEnv"] == [
        {"name": "HTTPS_PROXY", "value": PROXY},
        {
            "name": "NO_PROXY",
            "value": ".eu-west-1.amazonaws.com,.svc,.cluster.local,localhost,127.0.0.1,"
            "169.254.170.23,169.254.169.254",
        },
    ]
    # Grafana (the DR dashboard's us-east-1 panel, the accounts' datasources) uses the same
    # proxy: the grafana chart's env map, which templates/_pod.tpl renders into its container.
    grafana = plan.get("shared-kube-prometheus-stack").inputs["values"]["grafana"]
    assert grafana["env"] == {item["name"]: item["value"] for item in values["extraEnv"]}


def _stack_args(**extra: Any) -> dict[str, Any]:
    return shared_stack_args(
        **{
            "grafana_admin_password": "pw-123456789",
            "cloudwatch_exporter_https_proxy": None,
            "cloudwatch_accounts": [{"role_arn": READER, "regions": ["us-east-1"], "cell": "c"}],
            **extra,
        }
    )


def test_cross_region_dr_metrics_without_a_path_are_refused() -> None:
    with pytest.raises(ValueError, match="cloudwatch_exporter_https_proxy") as refused:
        ObservabilityStackArgs(**_stack_args())
    message = str(refused.value)
    assert "region='eu-west-1'" in message and "us-east-1" in message
    assert "internet_egress=True" in message and "run the stack in us-east-1" in message
    # Each way in is accepted: a proxy, an egress path, or a stack in us-east-1.
    ObservabilityStackArgs(**_stack_args(cloudwatch_exporter_https_proxy=PROXY))
    ObservabilityStackArgs(**_stack_args(internet_egress=True))
    ObservabilityStackArgs(**_stack_args(region="us-east-1", az_count=3))


def test_a_stack_outside_us_east_1_needs_a_path_even_without_other_accounts() -> None:
    """Its own Route 53 health checks (DR alerts, DR dashboard) exist in us-east-1 only."""
    with pytest.raises(ValueError, match="cloudwatch_exporter_https_proxy") as refused:
        ObservabilityStackArgs(**_stack_args(cloudwatch_accounts=[]))
    message = str(refused.value)
    assert "Grafana (the DR dashboard's Route 53 HealthCheckStatus in us-east-1)" in message
    assert "the CloudWatch exporter (Route 53 health checks)" in message
    # Grafana reads it even when the exporter is off.
    with pytest.raises(ValueError, match="Grafana"):
        ObservabilityStackArgs(**_stack_args(cloudwatch_accounts=[], cloudwatch_exporter=False))
    ObservabilityStackArgs(**_stack_args(cloudwatch_accounts=[], internet_egress=True))


def test_a_us_east_1_stack_reading_its_dr_region_needs_a_path() -> None:
    """The exporter reads the DR series (Aurora, MSK) in dr_region as well."""
    with pytest.raises(ValueError, match="dr_region 'eu-west-1'") as refused:
        ObservabilityStackArgs(
            **_stack_args(
                region="us-east-1", az_count=3, cloudwatch_accounts=[], dr_region="eu-west-1"
            )
        )
    assert "run the stack in us-east-1" not in str(refused.value)
    args = ObservabilityStackArgs(
        **_stack_args(
            region="us-east-1",
            az_count=3,
            cloudwatch_accounts=[],
            dr_region="eu-west-1",
            cloudwatch_exporter_https_proxy=PROXY,
        )
    )
    assert args.cloudwatch_regions_elsewhere() == ["eu-west-1"]


def test_msk_replicator_cells_must_be_regions_the_exporter_reads_here() -> None:
    ok = ObservabilityStackArgs(
        **_stack_args(
            cloudwatch_exporter_https_proxy=PROXY,
            dr_region="us-east-1",
            msk_replicator_cells={"us-east-1": "standby"},
        )
    )
    assert ok.msk_replicator_cells == {"us-east-1": "standby"}
    with pytest.raises(ValueError, match="msk_replicator_cells lists ap-south-1") as refused:
        ObservabilityStackArgs(
            **_stack_args(
                cloudwatch_exporter_https_proxy=PROXY, msk_replicator_cells={"ap-south-1": "x"}
            )
        )
    assert "dr_region" in str(refused.value)
    with pytest.raises(ValueError, match="cloudwatch_exporter is False"):
        ObservabilityStackArgs(
            **_stack_args(
                cloudwatch_exporter_https_proxy=PROXY,
                cloudwatch_exporter=False,
                msk_replicator_cells={"eu-west-1": "x"},
            )
        )


@pytest.mark.parametrize("bad", ["proxy:3128", "http://user:pw@proxy:3128", "ftp://proxy"])
def test_a_proxy_url_with_credentials_or_no_scheme_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="cloudwatch_exporter_https_proxy"):
        ObservabilityStackArgs(**_stack_args(cloudwatch_exporter_https_proxy=bad))


def test_cell_creates_its_reader_role_in_its_own_account() -> None:
    def program() -> None:
        provider = aws.Provider(
            "standby-account",
            region="us-east-1",
            assume_roles=[{"role_arn": "arn:aws:iam::222222222222:role/deployer"}],
        )
        cell = Cell(
            "us-east-1",
            {
                "region": "us-east-1",
                "docker_hub_credential_arn": docker_hub("us-east-1"),
                "telemetry": {"cloudwatch_reader_principal_arn": EXPORTER},
            },
            pulumi.ResourceOptions(providers=[provider]),
        )
        pulumi.export("reader", cell.cloudwatch_reader_role_arn)

    plan = run(program, config={"aws:region": "eu-west-1"})
    role = plan.get("us-east-1-cloudwatch-reader-role")
    assert role.type == "aws:iam/role:Role"
    assert role.provider == plan.get("standby-account").urn
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": EXPORTER}, "Action": "sts:AssumeRole"}
    ]
    policy = json.loads(plan.get("us-east-1-cloudwatch-reader-policy").inputs["policy"])
    assert policy["Statement"][0]["Action"] == [
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListMetrics",
        "tag:GetResources",
    ]
    assert plan.outputs["reader"] == role.outputs["arn"]


def test_both_stacks_grafanas_keep_their_database_settings_beside_the_proxy() -> None:
    """The example's Grafanas have a database (plain GF_DATABASE_* env) and the proxy."""
    plan = run_program(EXAMPLES / "shared-account")
    for name, region in (("shared-obs", "eu-west-1"), ("shared-obs-dr", "us-east-1")):
        env = plan.get(f"{name}-kube-prometheus-stack").inputs["values"]["grafana"]["env"]
        assert env["HTTPS_PROXY"] == "http://proxy.egress.internal:3128"
        assert env["NO_PROXY"].startswith(f".{region}.amazonaws.com,")
        assert "GF_DATABASE_SSL_MODE" in env
