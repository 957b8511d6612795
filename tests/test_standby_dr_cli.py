"""``obs-platform dr`` fails the observability stack over and back (moto on loopback, Stubber).

The shared-account example's plan has one ``dr`` entry, the stack's own: the same steps as a
cell pair's (scale the standby's node groups, switch Grafana's global database over, wait for
the ingest names' writer gate), found in the plan by the same rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import shared_account_plan_json
from test_dr_cli import (  # noqa: F401  (fixtures)
    Stubs,
    _build_example_world,
    aws_env,
    moto_endpoint,
    nodegroup_scaling,
    run_cli,
    set_writer,
    stub_gate_status,
    stubs,
    writer_of,
)


@pytest.fixture(scope="module")
def shared_plan() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared_account_plan_json().read_text(encoding="utf-8"))
    return data


def test_the_example_plan_has_the_stacks_dr_entry(shared_plan: dict[str, Any]) -> None:
    (entry,) = shared_plan["dr"]
    stack = next(r for r in shared_plan["resources"] if r["urn"] == entry["component"])
    assert (stack["type"], stack["name"]) == (
        "obs-platform:observability:ObservabilityStack",
        "shared-obs",
    )
    assert (entry["primary_region"], entry["standby_region"]) == ("eu-west-1", "us-east-1")
    assert entry["rto_seconds"] < entry["rto_target_seconds"]


def test_stack_failover_switches_grafanas_database_scales_the_standby_and_waits_for_dns(
    stubs: Stubs, shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(shared_plan))
    checks = _build_example_world(shared_plan)
    gate = checks["shared-obs-ingest-primary-gate"]
    gc_id = "shared-obs-grafana-global"
    for healthy in (True, True, False):  # preflight, first poll, then the gate closes
        stub_gate_status(stubs, gate, healthy)
    stubs.respond(
        "rds",
        "switchover_global_cluster",
        {},
        None,
        effect=lambda params: set_writer(gc_id, "us-east-1"),
    )
    code, out, err = run_cli(
        capsys, "dr", "failover", "--plan", str(plan_file), "--poll-seconds", "0", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert [s["id"] for s in result["steps"]] == [
        "preflight",
        "scale:us-east-1/shared-obs-dr-eks:shared-obs-dr-system",
        "database:switchover",
        "wait:database",
        "wait:node-groups",
        "wait:health",
    ]
    assert stubs.called("switchover_global_cluster")[0]["GlobalClusterIdentifier"] == gc_id
    assert writer_of(gc_id) == "us-east-1"
    # The standby's system group goes to the primary's size (3), from its idle 2.
    assert nodegroup_scaling("us-east-1", "shared-obs-dr-eks", "shared-obs-dr-system") == {
        "minSize": 3,
        "desiredSize": 3,
        "maxSize": 6,
    }
    assert result["rto_budget_seconds"] == shared_plan["dr"][0]["rto_seconds"]


def test_stack_failback_keeps_the_standby_at_its_idle_size(
    shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(shared_plan))
    code, out, err = run_cli(
        capsys, "dr", "failback", "--plan", str(plan_file), "--idle-size", "2", "--dry-run"
    )
    assert code == 0, err
    assert "switch global cluster shared-obs-grafana-global over to eu-west-1 (RPO 0)" in out
    assert (
        "return node group shared-obs-dr-eks:shared-obs-dr-system to its pilot-light size (2)"
        in out
    )
