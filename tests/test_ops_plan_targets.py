"""Reading DR targets from flags and from a plan JSON (pure parts)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_platform._internal.bucket_policy import read_only_statement
from obs_platform.observability.storage import tls_only_policy
from obs_platform.ops import NodeGroupRef, OpsError, RtoBudget, TargetArgs, build_targets
from obs_platform.ops.model import ReadOnlyBucketRef, parse_health_check, parse_node_group
from obs_platform.ops.plan_targets import hints_from_plan, known, load_plan

P, S = "eu-west-1", "us-east-1"
STACK = "urn:pulumi:dev::cells::pulumi:pulumi:Stack::cells-dev"


def res(
    rtype: str, name: str, inputs: dict[str, Any], region: str | None = P, parent: str = STACK
) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:dev::cells::{rtype}::{name}",
        "type": rtype,
        "name": name,
        "parent": parent,
        "custom": True,
        "provider": None,
        "region": region,
        "inputs": inputs,
    }


def dr_entry(primary: str, standby: str, urn: str = "urn:dr") -> dict[str, Any]:
    return {
        "component": urn,
        "primary_region": primary,
        "standby_region": standby,
        "rto_seconds": 150,
        "rto_target_seconds": 300,
        "rpo_seconds": 1,
        "rpo_target_seconds": 60,
        "terms": {"database_seconds": 60, "compute_seconds": 120, "note": "not a number"},
    }


def plan(*resources: dict[str, Any], dr: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "format": "obs-platform.plan/1",
        "project": "cells",
        "stack": "dev",
        "resources": list(resources),
        "outputs": {},
        "dr": dr if dr is not None else [dr_entry(P, S)],
    }


def test_hints_from_plan_reads_each_type() -> None:
    hints = hints_from_plan(
        plan(
            res("aws:rds/globalCluster:GlobalCluster", "g", {"globalClusterIdentifier": "app-g"}),
            res(
                "aws:eks/nodeGroup:NodeGroup",
                "ng-s",
                {"clusterName": "[unknown]", "nodeGroupName": "workers", "region": S},
            ),
            res(
                "aws:eks/nodeGroup:NodeGroup",
                "ng-p",
                {"clusterName": "app-p", "nodeGroupName": "workers"},
            ),
            res(
                "aws:route53/healthCheck:HealthCheck",
                "hc",
                {
                    "fqdn": "api.us-east-1.example.com",
                    "resourcePath": "/healthz",
                    "tags": {"Name": "cells-standby", "Region": "[unknown]"},
                },
            ),
            res("aws:route53/healthCheck:HealthCheck", "hc-ip", {"ipAddress": "192.0.2.1"}),
            res("aws:msk/replicator:Replicator", "rep", {"replicatorName": "cells-rep"}, region=S),
            res("aws:arcregionswitch/plan:Plan", "sw", {"regions": [P, S]}),
        )
    )
    assert (hints.primary_region, hints.standby_region) == (P, S)
    assert hints.budget == RtoBudget(
        150.0, 300.0, {"database_seconds": 60.0, "compute_seconds": 120.0}
    )
    assert hints.global_clusters == ("app-g",)
    assert [(n.region, n.cluster, n.nodegroup) for n in hints.node_groups] == [
        (S, None, "workers"),
        (P, "app-p", "workers"),
    ]
    assert [(h.region, h.fqdn, h.resource_path, h.name_tag) for h in hints.health_checks] == [
        (S, "api.us-east-1.example.com", "/healthz", "cells-standby"),
        (None, None, None, None),
    ]
    assert hints.health_checks[1].ip_address == "192.0.2.1"
    assert [(r.region, r.name) for r in hints.replicators] == [(S, "cells-rep")]
    assert [(r.plan_name, r.name) for r in hints.region_switch_plans] == [("sw", None)]


def test_several_dr_entries_need_regions() -> None:
    doc = plan(dr=[dr_entry(P, S), dr_entry("us-west-2", S)])
    with pytest.raises(
        OpsError,
        match=r"2 PilotLightDr entries \(eu-west-1->us-east-1, "
        r"us-west-2->us-east-1\)",
    ):
        hints_from_plan(doc)
    assert hints_from_plan(doc, primary_region="us-west-2").primary_region == "us-west-2"
    with pytest.raises(OpsError, match=r"no PilotLightDr in the plan runs ap-south-1->\*; it has"):
        hints_from_plan(doc, primary_region="ap-south-1")


def test_several_dr_entries_scope_resources_to_the_chosen_pair() -> None:
    a, b = f"{STACK}-a", f"{STACK}-b"
    doc = plan(
        res("obs-platform:cell:CellPair", "pair-a", {}, parent=STACK) | {"urn": a},
        res("obs-platform:dr:PilotLightDr", "dr-a", {}, parent=a) | {"urn": "urn:dr-a"},
        res(
            "aws:rds/globalCluster:GlobalCluster",
            "ga",
            {"globalClusterIdentifier": "ga"},
            parent="urn:dr-a",
        ),
        res("obs-platform:cell:CellPair", "pair-b", {}, parent=STACK) | {"urn": b},
        res("obs-platform:dr:PilotLightDr", "dr-b", {}, parent=b) | {"urn": "urn:dr-b"},
        res(
            "aws:rds/globalCluster:GlobalCluster",
            "gb",
            {"globalClusterIdentifier": "gb"},
            parent="urn:dr-b",
        ),
        dr=[dr_entry(P, S, "urn:dr-a"), dr_entry("us-west-2", S, "urn:dr-b")],
    )
    assert hints_from_plan(doc, primary_region="us-west-2").global_clusters == ("gb",)
    assert hints_from_plan(doc, primary_region=P).global_clusters == ("ga",)


def test_load_plan_errors(tmp_path: Path) -> None:
    with pytest.raises(OpsError, match="cannot read plan"):
        load_plan(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(OpsError, match="is not JSON"):
        load_plan(bad)
    bad.write_text(json.dumps({"format": "other/9"}))
    with pytest.raises(
        OpsError, match=re.escape("has format 'other/9', expected 'obs-platform.plan/1'")
    ):
        load_plan(bad)


def test_build_targets_without_aws(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(
        json.dumps(
            plan(
                res(
                    "aws:rds/globalCluster:GlobalCluster", "g", {"globalClusterIdentifier": "app-g"}
                ),
                res(
                    "aws:eks/nodeGroup:NodeGroup",
                    "ng-s",
                    {"clusterName": "app-s", "nodeGroupName": "w"},
                    region=S,
                ),
                res("aws:eks/nodeGroup:NodeGroup", "ng-auto", {"clusterName": "app-s"}, region=S),
                res("aws:route53/healthCheck:HealthCheck", "hc", {"fqdn": "x.example.com"}),
            )
        )
    )
    targets, notes = build_targets(TargetArgs(plan_path=path), None)
    assert (targets.primary_region, targets.standby_region) == (P, S)
    assert targets.global_cluster == "app-g"
    assert targets.node_groups == (NodeGroupRef(S, "app-s", "w"),)
    assert targets.health_checks == ()
    assert notes == [
        "node group ng-auto in us-east-1: its name is assigned at deploy; pass "
        "--node-group us-east-1/CLUSTER:NODEGROUP to include it",
        "1 health check(s) from the plan are looked up at run time",
    ]
    flags, _ = build_targets(
        TargetArgs(
            plan_path=path, global_cluster="other", node_groups=("c:n",), rto_budget_seconds=99
        ),
        None,
    )
    assert flags.global_cluster == "other"
    assert flags.node_groups == (NodeGroupRef(S, "c", "n"),)
    assert flags.budget is not None and flags.budget.rto_seconds == 99
    assert flags.budget.rto_target_seconds == 300


def test_build_targets_needs_regions() -> None:
    with pytest.raises(OpsError, match="primary and standby regions are not known"):
        build_targets(TargetArgs(primary_region=P), None)
    with pytest.raises(OpsError, match="--primary-region: 'eu-wset-1' is not a commercial"):
        build_targets(TargetArgs(primary_region="eu-wset-1", standby_region=S), None)


def test_parse_node_group() -> None:
    assert parse_node_group("app:workers", S) == NodeGroupRef(S, "app", "workers")
    assert parse_node_group("eu-west-1/app:workers", S) == NodeGroupRef(P, "app", "workers")
    for bad in ("app", "app:", ":w", "app:w:x", "eu-west-1/app"):
        with pytest.raises(OpsError, match="is not of the form"):
            parse_node_group(bad, S)
    with pytest.raises(OpsError, match="'mars-1' is not a commercial AWS region"):
        parse_node_group("mars-1/app:w", S)


def test_parse_health_check() -> None:
    assert parse_health_check("abc").health_check_id == "abc"
    ref = parse_health_check("us-east-1=abc")
    assert (ref.region, ref.health_check_id) == (S, "abc")
    with pytest.raises(OpsError, match="has no ID"):
        parse_health_check("us-east-1=")


@given(st.text(max_size=20) | st.integers() | st.none())
def test_known_keeps_only_concrete_strings(value: object) -> None:
    result = known(value)
    if isinstance(value, str) and value and value not in ("[unknown]", "[secret]"):
        assert result == value
    else:
        assert result is None


def test_a_stacks_read_only_replicas_come_from_its_bucket_policies() -> None:
    stack_type = "obs-platform:observability:ObservabilityStack"
    primary = res(stack_type, "obs", {}, region=None)
    primary["custom"] = False
    standby = res(stack_type, "obs-dr", {}, region=None, parent=primary["urn"])
    standby["custom"] = False
    deny = read_only_statement("arn:aws:s3:::obs-loki-chunks-replica-bucket-1", ["arn:role/x"])
    with_deny = json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    without = tls_only_policy("arn:aws:s3:::obs-loki-ruler-replica-bucket-1")

    def bucket(name: str, region: str) -> dict[str, Any]:
        return res("aws:s3/bucket:Bucket", name, {"region": region}, region, primary["urn"])

    def policy(name: str, region: str, document: str, parent: str) -> dict[str, Any]:
        inputs = {"region": region, "policy": document}
        return res("aws:s3/bucketPolicy:BucketPolicy", name, inputs, region, parent)

    resources = [
        primary,
        standby,
        res("aws:iam/role:Role", "obs-dr-loki-role", {}, P, standby["urn"]),
        res("aws:iam/role:Role", "obs-dr-tempo-role", {}, P, standby["urn"]),
        res("aws:iam/role:Role", "obs-loki-role", {}, P, primary["urn"]),
        bucket("obs-loki-chunks-replica-bucket", S),
        policy("obs-loki-chunks-replica-policy", S, with_deny, primary["urn"]),
        # Not read-only (a promoted replica), in the primary's region, or another component's:
        bucket("obs-loki-ruler-replica-bucket", S),
        policy("obs-loki-ruler-replica-policy", S, without, primary["urn"]),
        bucket("obs-loki-chunks-bucket", P),
        policy("obs-loki-chunks-policy", P, with_deny, primary["urn"]),
        bucket("other-replica-bucket", S),
        policy("other-replica-policy", S, with_deny, STACK),
        policy("obs-broken-policy", S, "not json", primary["urn"]),
    ]
    hints = hints_from_plan(plan(*resources, dr=[dr_entry(P, S, primary["urn"])]))
    assert hints.read_only_buckets == (
        ReadOnlyBucketRef(
            S,
            "obs-loki-chunks-replica-bucket",
            "loki-chunks",
            ("obs-dr-loki-role", "obs-dr-tempo-role"),
        ),
    )
    # A cell pair's entry (a PilotLightDr, not a stack) has none.
    assert hints_from_plan(plan(*resources)).read_only_buckets == ()
