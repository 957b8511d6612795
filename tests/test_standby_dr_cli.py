"""``obs-platform dr`` fails the observability stack over and back (moto on loopback, Stubber).

The shared-account example's plan has one ``dr`` entry, the stack's own: the same steps as a
cell pair's (scale the standby's node groups, switch Grafana's global database over, wait for
the ingest names' writer gate), found in the plan by the same rules.
"""

from __future__ import annotations

import datetime as dt
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

GLOBAL_DB = "shared-obs-grafana-global"


def _queue_switch(stubs: Stubs, gate: str, statuses: tuple[bool, ...], writer: str) -> None:
    """Queue the ingest gate's statuses and the switchover that moves Grafana's writer."""
    for healthy in statuses:
        stub_gate_status(stubs, gate, healthy)
    stubs.respond(
        "rds",
        "switchover_global_cluster",
        {},
        None,
        effect=lambda _params: set_writer(GLOBAL_DB, writer),
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


def test_stack_failover_and_failback_move_grafanas_database_and_keep_the_standby_up(
    stubs: Stubs, shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(shared_plan))
    checks = _build_example_world(shared_plan)
    gate = checks["shared-obs-ingest-primary-gate"]
    gc_id = GLOBAL_DB
    _queue_switch(stubs, gate, (True, True, False), "us-east-1")  # preflight, poll, closed
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
    # Back: the standby's group returns to the size the plan configures (2), not to zero,
    # with no --idle-size. The old primary's lag (CloudWatch is stubbed here, as for the gate).
    stubs.respond(
        "cloudwatch",
        "get_metric_statistics",
        {"Datapoints": [{"Timestamp": dt.datetime(2026, 1, 1), "Maximum": 120.0}]},
        None,
    )
    # The gate opens once eu-west-1 is the writer again.
    _queue_switch(stubs, gate, (False, False, True), "eu-west-1")
    code, out, err = run_cli(
        capsys, "dr", "failback", "--plan", str(plan_file), "--poll-seconds", "0", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert (
        result["steps"][-1]["id"] == "scale-down:us-east-1/shared-obs-dr-eks:shared-obs-dr-system"
    )
    assert writer_of(gc_id) == "eu-west-1"
    assert nodegroup_scaling("us-east-1", "shared-obs-dr-eks", "shared-obs-dr-system") == {
        "minSize": 2,
        "desiredSize": 2,
        "maxSize": 6,
    }


def test_stack_failback_keeps_the_standby_at_its_idle_size(
    shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No --idle-size: the standby's system group returns to the size the plan configures.
    plan = json.loads(json.dumps(shared_plan))
    group = next(r for r in plan["resources"] if r["name"] == "shared-obs-dr-system")
    assert group["inputs"]["scalingConfig"]["desiredSize"] == 2
    group["inputs"]["scalingConfig"]["desiredSize"] = 4  # the plan's figure, not a constant
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    code, out, err = run_cli(capsys, "dr", "failback", "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    assert "switch global cluster shared-obs-grafana-global over to eu-west-1 (RPO 0)" in out
    assert (
        "return node group shared-obs-dr-eks:shared-obs-dr-system to its pilot-light size (4)"
        in out
    )
    # An explicit size other than zero is the operator's.
    code, out, err = run_cli(
        capsys, "dr", "failback", "--plan", str(plan_file), "--idle-size", "3", "--dry-run"
    )
    assert code == 0, err
    assert "shared-obs-dr-eks:shared-obs-dr-system to its pilot-light size (3)" in out


def test_stack_failback_refuses_idle_size_zero(
    shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(shared_plan))
    code, out, err = run_cli(
        capsys, "dr", "failback", "--plan", str(plan_file), "--idle-size", "0", "--dry-run"
    )
    assert code == 2
    assert out == ""
    assert "--idle-size 0 would scale node group shared-obs-dr-eks:shared-obs-dr-system" in err
    assert "cannot page" in err
    assert "leave out --idle-size (the plan's idle size, 2)" in err
