"""``obs-platform dr`` under faults, against moto's server on loopback.

A run killed mid-step and resumed, two runs at once on one state file, a corrupted or
hand-edited state file, a failback with unknown lag, a state file that says done while AWS says
otherwise, a Region switch plan lookup that fails, and non-finite timing options.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from test_dr_cli import (  # noqa: F401 - fixtures used by name
    PRIMARY,
    STANDBY,
    Stubs,
    World,
    aws_env,
    moto_endpoint,
    nodegroup_scaling,
    publish_lag,
    queue_switchover,
    read_state,
    run_cli,
    set_writer,
    stubs,
    world,
    writer_of,
)

STATE = Path(".obs-platform/dr-state.json")

# Runs `obs-platform dr` in its own process; after the scale step's real AWS call it writes a
# marker and sleeps, so the test can act while it holds the lock, then kill it mid-step.
_DRIVER = textwrap.dedent(
    """
    import pathlib, sys, time
    from obs_platform.ops import actions
    real = actions.update_scaling
    def update_then_hang(*args, **kwargs):
        real(*args, **kwargs)
        pathlib.Path(sys.argv[1]).write_text("scaled")
        time.sleep(600)
    actions.update_scaling = update_then_hang
    from obs_platform.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


def _start_hanging_run(tmp_path: Path, world: World) -> tuple[subprocess.Popen[str], Path]:
    marker = tmp_path / "scaled"
    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER)
    proc = subprocess.Popen(
        [sys.executable, str(driver), str(marker), "dr", "failover", *world.target_args()],
        cwd=tmp_path,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the run never reached the scale step")
        time.sleep(0.1)
    return proc, marker


def test_two_runs_at_once_then_kill_mid_step_and_resume(
    stubs: Stubs, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proc, _ = _start_hanging_run(tmp_path, world)
    try:
        # a second run on the same state file while the first holds it
        code, _, err = run_cli(capsys, "dr", "failover", *world.target_args())
        assert code == 4
        assert (
            f"state file {STATE} is in use by another obs-platform dr run (pid {proc.pid} on "
        ) in err
        assert f"failover (planned) {PRIMARY} -> {STANDBY}, since " in err
        assert writer_of(world.gc) == PRIMARY  # the refused run changed nothing
        running = read_state()
        assert running["steps"][f"scale:{STANDBY}/{world.eks_standby}:{world.ng}"]["status"] == (
            "running"
        )
    finally:
        proc.send_signal(signal.SIGKILL)  # killed mid-step: no handler runs
        proc.communicate(timeout=30)
    # the node group was scaled before the kill, the state file never heard of it
    assert nodegroup_scaling(STANDBY, world.eks_standby, world.ng)["desiredSize"] == 3
    queue_switchover(stubs, world, STANDBY)
    code, out, err = run_cli(capsys, "dr", "failover", *world.target_args(), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["resumed"] is True
    outcomes = {s["id"]: s["outcome"] for s in result["steps"]}
    assert outcomes[f"scale:{STANDBY}/{world.eks_standby}:{world.ng}"] == "already"
    assert outcomes["database:switchover"] == "ran"
    assert writer_of(world.gc) == STANDBY
    assert read_state()["status"] == "completed"
    assert "engine: direct" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot be read: JSONDecodeError"),
        (
            json.dumps(
                {
                    "format": "obs-platform.dr-state/1",
                    "signature": "x",
                    "operation": {},
                    "status": "failed",
                    "started_at": 1.0,
                    "steps": {"preflight": {"status": "done", "started_at": "noon"}},
                }
            ),
            "cannot be trusted: steps.preflight.started_at is 'noon', expected a finite number",
        ),
    ],
)
def test_a_corrupted_state_file_stops_before_any_aws_change(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(content)
    code, _, err = run_cli(capsys, "dr", "failover", *world.target_args())
    assert code == 2
    assert f"state file {STATE} {message}" in err
    assert f"mv {STATE} {STATE}.bad" in err
    assert nodegroup_scaling(STANDBY, world.eks_standby, world.ng)["desiredSize"] == 0
    assert not stubs.called("switchover_global_cluster")
    # starting over as the message says works
    STATE.rename(f"{STATE}.bad")
    queue_switchover(stubs, world, STANDBY)
    assert run_cli(capsys, "dr", "failover", *world.target_args())[0] == 0
    assert writer_of(world.gc) == STANDBY


def test_failback_with_unknown_lag_is_refused(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    set_writer(world.gc, STANDBY)  # after a failover; no lag datapoint for the old primary
    code, _, err = run_cli(capsys, "dr", "failback", *world.target_args())
    assert code == 4
    assert (
        f"refusing to fail back: the old primary {world.primary_db} in {PRIMARY} is not caught "
        f"up: its replication lag is unknown (no AuroraGlobalDBReplicationLag datapoint in "
        f"{PRIMARY} over the last 5 minutes)"
    ) in err
    assert writer_of(world.gc) == STANDBY and not stubs.called("switchover_global_cluster")
    publish_lag(world, 80.0)
    queue_switchover(stubs, world, PRIMARY)
    code, _, err = run_cli(capsys, "dr", "failback", *world.target_args())
    assert code == 0, err
    assert writer_of(world.gc) == PRIMARY


def test_resume_rechecks_a_switchover_that_aws_dropped(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_switchover(stubs, world, STANDBY, move=False)  # accepted, then never happens
    args = [*world.target_args()[:-4], "--poll-seconds", "0.05", "--wait-timeout-seconds", "0.2"]
    assert run_cli(capsys, "dr", "failover", *args)[0] == 3
    assert read_state()["steps"]["database:switchover"]["status"] == "done"
    # Before: every re-run skipped the switchover and timed out waiting, for good.
    queue_switchover(stubs, world, STANDBY)
    code, out, err = run_cli(capsys, "dr", "failover", *args, "--json")
    assert code == 0, err
    assert (
        f"[database:switchover] the state file says done, but the writer is in {PRIMARY}: "
        "running it again"
    ) in err
    outcomes = {s["id"]: s["outcome"] for s in json.loads(out)["steps"]}
    assert outcomes["database:switchover"] == "ran"
    assert len(stubs.called("switchover_global_cluster")) == 2
    assert writer_of(world.gc) == STANDBY


def _plan_with_switch_plan(world: World) -> dict[str, Any]:
    from test_dr_cli import _plan_for

    plan = _plan_for(world)
    dr_urn = plan["resources"][1]["urn"]
    plan["resources"].append(
        {
            "urn": f"{dr_urn}$aws:arcregionswitch/plan:Plan::app-dr-switch",
            "type": "aws:arcregionswitch/plan:Plan",
            "name": "app-dr-switch",
            "parent": dr_urn,
            "custom": True,
            "provider": None,
            "region": STANDBY,
            "inputs": {"name": f"app-dr-{world.uid}"},
            "protect": False,
            "retain_on_delete": False,
            "depends_on": [],
            "ignore_changes": [],
        }
    )
    return plan


def test_a_failed_plan_lookup_is_not_a_silent_engine_change(
    stubs: Stubs, world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan_with_switch_plan(world)))
    base = ["--plan", str(plan), "--global-cluster", world.gc, "--poll-seconds", "0"]
    code, out, _ = run_cli(capsys, "dr", "failover", *base, "--dry-run", "--json")
    assert code == 0 and json.loads(out)["operations"][0]["engine"] == "region-switch"
    stubs.fail("arc-region-switch", "list_plans_in_region", "AccessDeniedException", status=403)
    code, _, err = run_cli(capsys, "dr", "failover", *base)
    assert code == 4
    assert "the plan names an ARC Region switch plan, but it could not be resolved" in err
    assert "refusing to switch to the direct steps silently" in err
    assert "--engine direct" in err and "--region-switch-plan ARN" in err
    assert nodegroup_scaling(STANDBY, world.eks_standby, world.ng)["desiredSize"] == 0
    # the explicit choice runs, and says which engine it used
    stubs.fail("arc-region-switch", "list_plans_in_region", "AccessDeniedException", status=403)
    queue_switchover(stubs, world, STANDBY)
    code, out, err = run_cli(capsys, "dr", "failover", *base, "--engine", "direct", "--json")
    assert code == 0, err
    assert "engine: direct (obs-platform calls Aurora, EKS and Route 53 itself)" in err
    assert json.loads(out)["engine"] == "direct"


@pytest.mark.parametrize(
    "option",
    ["--wait-timeout-seconds", "--poll-seconds", "--max-lag-seconds", "--rto-budget-seconds"],
)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "later"])
def test_non_finite_seconds_are_refused(
    capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    from obs_platform.cli import main

    argv = ["dr", "failback", "--primary-region", PRIMARY, "--standby-region", STANDBY]
    with pytest.raises(SystemExit) as caught:
        main([*argv, f"{option}={value}", "--dry-run"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert (
        f"argument {option}: {value!r} is not a number of seconds: give a finite number >= 0"
        in (err)
    )
