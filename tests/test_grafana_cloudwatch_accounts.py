"""Grafana reads CloudWatch in every account the stack lists: one datasource per account that
assumes the account's reader role, a Grafana role allowed to assume exactly those, and reader
roles that admit Grafana as well as the exporter."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from conftest import docker_hub_credential as docker_hub
from conftest import shared_stack_args
from obs_platform import Cell, TelemetryArgs
from obs_platform._internal.datasources import (
    CLOUDWATCH_UID_MAX,
    GRAFANA_CLOUDWATCH_ACTIONS,
    CloudWatchAccountDatasource,
    DatasourceEndpoints,
    build_datasources,
)
from obs_platform.observability.stack import ObservabilityStack
from obs_platform.testing import ProgramError, run

EXPORTER = "arn:aws:iam::111111111111:role/shared-yace-role-abc1234"
GRAFANA = "arn:aws:iam::111111111111:role/shared-grafana-role-abc1234"
STANDBY = "arn:aws:iam::222222222222:role/us-east-1-cloudwatch-reader-role-1234567"
PRIMARY = "arn:aws:iam::333333333333:role/eu-west-1-cloudwatch-reader-role-7654321"
KPS = "kubernetes:helm.sh/v3:Release"


def _endpoints(*accounts: CloudWatchAccountDatasource) -> DatasourceEndpoints:
    return DatasourceEndpoints(
        prometheus_url="http://prometheus:9090",
        loki_url="http://loki:80",
        tempo_url="http://tempo:3200",
        alertmanager_url="http://alertmanager:9093",
        region="eu-west-1",
        cloudwatch_accounts=accounts,
    )


def _cloudwatch_sources(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in sources if s["type"] == "cloudwatch"]


def test_one_datasource_per_account_assumes_its_role() -> None:
    sources = build_datasources(
        _endpoints(
            CloudWatchAccountDatasource(
                role_arn=STANDBY, account_id="222222222222", region="us-east-1", cell="us-east-1"
            ),
            CloudWatchAccountDatasource(
                role_arn=PRIMARY, account_id="333333333333", region="eu-west-1"
            ),
        )
    )
    own, standby, primary = _cloudwatch_sources(sources)
    # The shared account's own datasource keeps its UID (the dashboards read it).
    assert own["uid"] == "cloudwatch"
    assert own["jsonData"] == {"authType": "default", "defaultRegion": "eu-west-1"}
    assert standby == {
        "name": "CloudWatch us-east-1 (222222222222)",
        "type": "cloudwatch",
        "uid": "cloudwatch-222222222222",
        "access": "proxy",
        "isDefault": False,
        "editable": False,
        "jsonData": {
            "authType": "default",
            "assumeRoleArn": STANDBY,
            "defaultRegion": "us-east-1",
        },
    }
    assert primary["name"] == "CloudWatch account (333333333333)"
    assert primary["jsonData"]["assumeRoleArn"] == PRIMARY
    assert [s["isDefault"] for s in sources].count(True) == 1


def test_an_account_listed_twice_gets_distinct_uids_within_grafanas_limit() -> None:
    twice = [
        CloudWatchAccountDatasource(
            role_arn=STANDBY, account_id="222222222222", region=region, cell=cell
        )
        for region, cell in (("us-east-1", "a"), ("us-west-2", "b"), ("eu-west-1", "c"))
    ]
    uids = [s["uid"] for s in _cloudwatch_sources(build_datasources(_endpoints(*twice)))]
    assert uids == [
        "cloudwatch",
        "cloudwatch-222222222222",
        "cloudwatch-222222222222-2",
        "cloudwatch-222222222222-3",
    ]
    assert all(len(uid) <= CLOUDWATCH_UID_MAX for uid in uids)


def _stack_plan(accounts: list[dict[str, Any]]) -> Any:
    def program() -> None:
        stack = ObservabilityStack(
            "shared",
            shared_stack_args(
                cloudwatch_accounts=accounts,
                # Other regions' CloudWatch is not reachable through PrivateLink.
                internet_egress=True,
            ),
        )
        pulumi.export("grafana", stack.grafana_role_arn)

    return run(program, config={"aws:region": "eu-west-1"})


def test_stack_gives_grafana_a_datasource_and_the_right_to_assume_each_listed_role() -> None:
    plan = _stack_plan(
        [
            {"role_arn": STANDBY, "regions": ["us-east-1"], "cell": "us-east-1"},
            {"role_arn": PRIMARY, "regions": ["eu-west-1", "eu-central-1"]},
        ]
    )
    policy = json.loads(plan.get("shared-grafana-policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadCloudWatch"]["Action"] == list(GRAFANA_CLOUDWATCH_ACTIONS)
    assert statements["ReadOtherAccounts"] == {
        "Sid": "ReadOtherAccounts",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": sorted([STANDBY, PRIMARY]),
    }
    sources = plan.get("shared-kube-prometheus-stack", KPS).inputs["values"]["grafana"][
        "additionalDataSources"
    ]
    assumed = {
        s["uid"]: (s["jsonData"].get("assumeRoleArn"), s["jsonData"]["defaultRegion"])
        for s in _cloudwatch_sources(sources)
    }
    assert assumed == {
        "cloudwatch": (None, "eu-west-1"),
        "cloudwatch-222222222222": (STANDBY, "us-east-1"),
        "cloudwatch-333333333333": (PRIMARY, "eu-west-1"),
    }
    # Grafana's pod gets its role through Pod Identity, and the stack exports it for the cells.
    grafana_role = plan.get("shared-grafana-role")
    assert plan.outputs["grafana"] == grafana_role.outputs["arn"]
    association = plan.get("shared-grafana-pod-identity")
    assert association.inputs["roleArn"] == grafana_role.outputs["arn"]
    assert association.inputs["serviceAccount"] == "kps-grafana"


def test_without_accounts_grafana_may_assume_nothing() -> None:
    plan = _stack_plan([])
    policy = json.loads(plan.get("shared-grafana-policy").inputs["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["ReadCloudWatch"]
    sources = plan.get("shared-kube-prometheus-stack", KPS).inputs["values"]["grafana"][
        "additionalDataSources"
    ]
    assert [s["uid"] for s in _cloudwatch_sources(sources)] == ["cloudwatch"]


def _cell_plan(telemetry: dict[str, Any]) -> Any:
    def program() -> None:
        provider = aws.Provider(
            "standby-account",
            region="us-east-1",
            assume_roles=[{"role_arn": "arn:aws:iam::222222222222:role/deployer"}],
        )
        Cell(
            "us-east-1",
            {
                "region": "us-east-1",
                "docker_hub_credential_arn": docker_hub("us-east-1"),
                "telemetry": telemetry,
            },
            pulumi.ResourceOptions(providers=[provider]),
        )

    return run(program, config={"aws:region": "eu-west-1"})


def test_reader_role_admits_grafana_and_the_exporter_with_what_each_reads() -> None:
    plan = _cell_plan(
        {"cloudwatch_reader_principal_arn": EXPORTER, "cloudwatch_grafana_principal_arn": GRAFANA}
    )
    trust = json.loads(plan.get("us-east-1-cloudwatch-reader-role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": sorted([EXPORTER, GRAFANA])},
            "Action": "sts:AssumeRole",
        }
    ]
    policy = json.loads(plan.get("us-east-1-cloudwatch-reader-policy").inputs["policy"])
    (statement,) = policy["Statement"]
    actions = statement["Action"]
    assert set(actions) == {"cloudwatch:GetMetricStatistics", *GRAFANA_CLOUDWATCH_ACTIONS}
    assert len(actions) == len(set(actions))
    # read-only: no action that writes, deletes or changes anything
    assert not [a for a in actions if a.split(":")[1].startswith(("Put", "Delete", "Set"))]


def test_a_grafana_principal_without_the_reader_role_is_refused() -> None:
    with pytest.raises(ValueError, match="cloudwatch_grafana_principal_arn is set without"):
        TelemetryArgs(cloudwatch_grafana_principal_arn=GRAFANA)
    with pytest.raises(ProgramError, match="cloudwatch_reader_principal_arn"):
        _cell_plan({"cloudwatch_grafana_principal_arn": GRAFANA})
