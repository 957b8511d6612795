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
    client,
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


def _write_grants(suffix: str) -> dict[str, tuple[str, str]]:
    """Create the standby's Loki and Tempo roles and write policies in moto, autonamed the way
    Pulumi names them (``{resource name}-{7 hex}``), with decoys that must not match: the
    primary's role, and a policy whose suffix is not an autoname."""
    iam = client("iam", "us-east-1")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}],
        }
    )
    grants: dict[str, tuple[str, str]] = {}
    for engine in ("loki", "tempo"):
        role = f"shared-obs-dr-{engine}-role-{suffix}"
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        iam.create_role(
            RoleName=f"shared-obs-{engine}-role-{suffix}", AssumeRolePolicyDocument=trust
        )
        arn = iam.create_policy(
            PolicyName=f"shared-obs-dr-{engine}-write-{suffix}", PolicyDocument=document
        )["Policy"]["Arn"]
        iam.create_policy(
            PolicyName=f"shared-obs-dr-{engine}-write-old-copy", PolicyDocument=document
        )
        grants[engine] = (role, arn)
    return grants


def _attached(role: str) -> list[str]:
    iam = client("iam", "us-east-1")
    return [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    ]


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
    plan = json.loads(json.dumps(shared_plan))
    # The drain wait before the write grants are detached comes from the plan's entry.
    plan["dr"][0]["telemetry_rpo"]["drain_seconds"] = 0
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    checks = _build_example_world(shared_plan)
    grants = _write_grants("1a2b3c4")
    (loki_role, loki_policy), (tempo_role, tempo_policy) = grants["loki"], grants["tempo"]
    # Tempo's grant is already in place (an earlier, interrupted run): that step finds it.
    client("iam", "us-east-1").attach_role_policy(RoleName=tempo_role, PolicyArn=tempo_policy)
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
        "promote:us-east-1/loki",
        "promote:us-east-1/tempo",
        "scale:us-east-1/shared-obs-dr-eks:shared-obs-dr-system",
        "database:switchover",
        "wait:database",
        "wait:node-groups",
        "wait:health",
    ]
    assert stubs.called("switchover_global_cluster")[0]["GlobalClusterIdentifier"] == gc_id
    assert writer_of(gc_id) == "us-east-1"
    # Promoted: both write policies on the standby's roles, the primary's roles untouched.
    outcomes = {s["id"]: s["outcome"] for s in result["steps"]}
    assert (outcomes["promote:us-east-1/loki"], outcomes["promote:us-east-1/tempo"]) == (
        "ran",
        "already",
    )
    assert (_attached(loki_role), _attached(tempo_role)) == ([loki_policy], [tempo_policy])
    assert _attached("shared-obs-loki-role-1a2b3c4") == []
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
    assert [s["id"] for s in result["steps"]][-4:] == [
        "wait:storage-drain",
        "demote:us-east-1/loki",
        "demote:us-east-1/tempo",
        "scale-down:us-east-1/shared-obs-dr-eks:shared-obs-dr-system",
    ]
    assert writer_of(gc_id) == "eu-west-1"
    # Demoted: the standby reads the replica buckets only, again.
    assert (_attached(loki_role), _attached(tempo_role)) == ([], [])
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


def test_stack_dry_runs_show_promotion_first_and_demotion_after_the_drain(
    shared_plan: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(shared_plan))
    code, out, err = run_cli(capsys, "dr", "failover", "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    planned = out.split("failover (unplanned")[0]
    assert planned.index("promote:us-east-1/loki") < planned.index("database:switchover")
    assert "attach policy shared-obs-dr-tempo-write to role shared-obs-dr-tempo-role" in planned
    code, out, err = run_cli(capsys, "dr", "failback", "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    drain = shared_plan["dr"][0]["telemetry_rpo"]["drain_seconds"]
    assert f"wait:storage-drain: wait {drain} s after ingest left us-east-1" in out
    assert "detach policy shared-obs-dr-loki-write from role shared-obs-dr-loki-role" in out
    assert out.index("demote:us-east-1/tempo") < out.index("scale-down:us-east-1/")
    code, out, err = run_cli(
        capsys,
        "dr",
        "failback",
        "--plan",
        str(plan_file),
        "--keep-storage-writable",
        "--dry-run",
    )
    assert code == 0, err
    assert "demote:" not in out and "storage-drain" not in out


def test_a_standby_promoted_by_pulumi_is_left_to_pulumi(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # StandbyStackArgs(promoted=True): the attachments are Pulumi resources, so the command
    # neither attaches nor detaches them (a detach would be undone by the next deploy).
    from test_standby_stack import _plan

    promoted = _plan(standby={"promoted": True})
    attachments = [
        r.name for r in promoted.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    ]
    assert {"shared-dr-loki-write-attachment", "shared-dr-tempo-write-attachment"} <= set(
        attachments
    )
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(promoted.dumps())
    for direction in ("failover", "failback"):
        code, out, err = run_cli(capsys, "dr", direction, "--plan", str(plan_file), "--dry-run")
        assert code == 0, err
        assert "promote:" not in out and "demote:" not in out and "storage-drain" not in out
    passive = _plan()
    plan_file.write_text(passive.dumps())
    code, out, err = run_cli(capsys, "dr", "failover", "--plan", str(plan_file), "--dry-run")
    assert code == 0, err
    assert "promote:us-east-1/loki" in out and "shared-dr-loki-write" in out
