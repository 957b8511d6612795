"""The runner against an in-memory AWS and a fake clock: timings, budgets, state, resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from obs_platform.ops import (
    AwsContext,
    Direction,
    DrTargets,
    HealthCheckRef,
    Mode,
    NodeGroupRef,
    OperationSpec,
    OpsError,
    RtoBudget,
    Runner,
    RunOptions,
    run_drill,
)
from obs_platform.ops.report import drill_markdown, render_dry_run, render_operation
from obs_platform.ops.state import load_state

P, S = "eu-west-1", "us-east-1"
ARN = {
    P: f"arn:aws:rds:{P}:123456789012:cluster:app-p",
    S: f"arn:aws:rds:{S}:123456789012:cluster:app-s",
}
BUDGET = RtoBudget(
    150, 300, {"database_seconds": 60, "compute_seconds": 120, "detection_seconds": 30}
)
TARGETS = DrTargets(
    P,
    S,
    "g",
    (NodeGroupRef(S, "cs", "w"), NodeGroupRef(P, "cp", "w")),
    (HealthCheckRef("hc-s", S), HealthCheckRef("hc-p", P)),
    budget=BUDGET,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeAws(AwsContext):
    """Aurora promotes ``promote_seconds`` after a switchover; node groups are ACTIVE
    ``scale_seconds`` after an update."""

    def __init__(
        self, clock: Clock, promote_seconds: float = 30, scale_seconds: float = 50
    ) -> None:
        super().__init__()
        self.clock = clock
        self.writer = P
        self.status = "available"
        self.promote_at: tuple[float, str] | None = None
        self.promote_seconds = promote_seconds
        self.scale_seconds = scale_seconds
        self.groups: dict[tuple[str, str], dict[str, Any]] = {
            (S, "cs"): {"size": (0, 0, 6), "active_at": 0.0},
            (P, "cp"): {"size": (3, 3, 6), "active_at": 0.0},
        }
        self.calls: list[str] = []
        self.fail_next: dict[str, OpsError] = {}
        self.lag_ms: float | None = 200.0  # None: no datapoint published

    def _settle(self) -> None:
        if self.promote_at and self.clock() >= self.promote_at[0]:
            self.writer = self.promote_at[1]
            self.promote_at = None

    def call(self, service: str, region: str, operation: str, **params: Any) -> dict[str, Any]:
        self.calls.append(operation)
        if operation in self.fail_next:
            raise self.fail_next.pop(operation)
        self._settle()
        if operation == "describe_global_clusters":
            state = (
                {"Status": "switching-over", "ToDbClusterArn": ARN[self.promote_at[1]]}
                if self.promote_at
                else None
            )
            return {
                "GlobalClusters": [
                    {
                        "GlobalClusterIdentifier": "g",
                        "Status": self.status,
                        "FailoverState": state,
                        "GlobalClusterMembers": [
                            {
                                "DBClusterArn": ARN[r],
                                "IsWriter": r == self.writer,
                                "SynchronizationStatus": "connected",
                            }
                            for r in (P, S)
                        ],
                    }
                ]
            }
        if operation in ("switchover_global_cluster", "failover_global_cluster"):
            target = params["TargetDbClusterIdentifier"].split(":")[3]
            self.promote_at = (self.clock() + self.promote_seconds, target)
            return {}
        if operation == "describe_db_clusters":
            return {"DBClusters": [{"Status": "available"}]}
        if operation == "get_metric_statistics":
            if params["Namespace"] == "AWS/Route53":
                assert region == "us-east-1" and params["MetricName"] == "HealthCheckStatus"
                check = params["Dimensions"][0]["Value"]
                value = 1.0 if check == "gate" and self.writer == P else 0.0
                return {"Datapoints": [{"Timestamp": params["StartTime"], "Minimum": value}]}
            if self.lag_ms is None:
                return {"Datapoints": []}
            return {"Datapoints": [{"Timestamp": params["StartTime"], "Maximum": self.lag_ms}]}
        if operation == "get_health_check":
            return {"HealthCheck": {"Id": params["HealthCheckId"]}}
        if operation == "describe_nodegroup":
            group = self.groups[(region, params["clusterName"])]
            low, desired, high = group["size"]
            status = "ACTIVE" if self.clock() >= group["active_at"] else "UPDATING"
            return {
                "nodegroup": {
                    "status": status,
                    "scalingConfig": {"minSize": low, "desiredSize": desired, "maxSize": high},
                }
            }
        if operation == "update_nodegroup_config":
            sc = params["scalingConfig"]
            group = self.groups[(region, params["clusterName"])]
            group["size"] = (sc["minSize"], sc["desiredSize"], sc["maxSize"])
            group["active_at"] = self.clock() + self.scale_seconds
            return {}
        if operation == "get_health_check_status":
            check = params["HealthCheckId"]
            if check == "gate":
                # botocore route53: GetHealthCheckStatus cannot read a calculated check.
                raise OpsError("InvalidInput: calculated health check")
            healthy = check == f"hc-{'s' if self.writer == S else 'p'}" or (
                check == "gate" and self.writer == P
            )
            status = "Success: 200" if healthy else "Failure: 503"
            return {"HealthCheckObservations": [{"StatusReport": {"Status": status}}] * 3}
        raise AssertionError(f"unexpected call {operation}")


def options(tmp_path: Path, clock: Clock, **kw: Any) -> RunOptions:
    return RunOptions(
        state_path=tmp_path / "state.json", poll_seconds=5, clock=clock, sleep=clock.sleep, **kw
    )


def test_steps_are_timed_against_their_budget_terms(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock, promote_seconds=30, scale_seconds=130)
    result = Runner(aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock)).run()
    by_id = {s.step.step_id: s for s in result.steps}
    assert by_id["wait:database"].ready_after_seconds == 30
    assert by_id["wait:database"].within_budget is True
    assert by_id["wait:node-groups"].ready_after_seconds == 130
    assert by_id["wait:node-groups"].budget_seconds == 120
    assert by_id["wait:node-groups"].within_budget is False
    assert by_id["wait:health"].within_budget is None or by_id["wait:health"].budget_seconds == 30
    assert result.measured_rto_seconds == 130
    data = result.to_json()
    assert (data["within_budget"], data["within_target"]) == (True, True)
    assert aws.groups[(S, "cs")]["size"] == (3, 3, 6)  # like the primary's
    text = render_operation(result)
    assert "wait:node-groups" in text and "130.0" in text and "NO" in text
    assert "Measured RTO 130.0 s" in text and "target 300 s: met; budget 150 s: within" in text


def test_measured_rto_over_budget_is_reported(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock, promote_seconds=200, scale_seconds=10)
    result = Runner(aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock)).run()
    data = result.to_json()
    assert data["measured_rto_seconds"] == 200
    assert (data["within_budget"], data["within_target"]) == (False, True)
    assert "budget 150 s: OVER" in render_operation(result)


def test_failure_records_state_and_resume_skips_done_steps(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    aws.fail_next["switchover_global_cluster"] = OpsError(
        "AWS throttled", exit_code=3, resumable=True
    )
    spec = OperationSpec(Direction.FAILOVER)
    with pytest.raises(OpsError) as info:
        Runner(aws, TARGETS, spec, options(tmp_path, clock)).run()
    assert info.value.exit_code == 3 and "Completed before it: scale:us-east-1/cs:w" in str(
        info.value
    )
    state = load_state(tmp_path / "state.json")
    assert state is not None and state.status == "failed"
    assert state.steps["scale:us-east-1/cs:w"]["status"] == "done"
    assert state.error == "database:switchover: AWS throttled"
    aws.calls.clear()
    result = Runner(aws, TARGETS, spec, options(tmp_path, clock)).run()
    assert result.resumed
    assert aws.calls.count("update_nodegroup_config") == 0
    assert aws.calls.count("switchover_global_cluster") == 1
    assert [s.outcome for s in result.steps][:3] == ["ran", "skipped", "ran"]
    assert load_state(tmp_path / "state.json").status == "completed"  # type: ignore[union-attr]


def test_a_different_operation_waits_for_the_unfinished_one(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    aws.fail_next["update_nodegroup_config"] = OpsError("boom", exit_code=3, resumable=True)
    with pytest.raises(OpsError):
        Runner(aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock)).run()
    with pytest.raises(OpsError, match="holds an unfinished failover") as info:
        Runner(aws, TARGETS, OperationSpec(Direction.FAILBACK), options(tmp_path, clock)).run()
    assert info.value.exit_code == 4


def test_a_run_stopped_in_preflight_does_not_block_others(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    aws.fail_next["describe_global_clusters"] = OpsError("not allowed: rds describe")
    with pytest.raises(OpsError, match="before changing anything") as info:
        Runner(aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock)).run()
    assert info.value.exit_code == 2
    aws.writer = S
    result = Runner(aws, TARGETS, OperationSpec(Direction.FAILBACK), options(tmp_path, clock)).run()
    assert result.to_region == P and aws.writer == P


def test_interrupt_is_recorded(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    lines: list[str] = []
    opts = options(tmp_path, clock, log=lines.append)
    opts.sleep = interrupt
    with pytest.raises(KeyboardInterrupt):
        Runner(aws, TARGETS, OperationSpec(Direction.FAILOVER), opts).run()
    data = json.loads((tmp_path / "state.json").read_text())
    assert data["status"] == "interrupted"
    assert lines[-1].startswith("interrupted at step 'wait:database'; re-run the same command")
    assert data["steps"]["wait:database"]["status"] == "failed"
    assert data["steps"]["database:switchover"]["status"] == "done"


def test_waits_for_the_dns_gate(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock, promote_seconds=45, scale_seconds=10)
    gated = DrTargets(
        P, S, "g", TARGETS.node_groups, (HealthCheckRef("gate", P, gate=True),), budget=BUDGET
    )
    result = Runner(aws, gated, OperationSpec(Direction.FAILOVER), options(tmp_path, clock)).run()
    health = result.steps[-1]
    assert health.step.step_id == "wait:health"
    assert health.detail == "1 health check(s) as expected"
    assert clock.now - 1_800_000_000.0 == 45  # the gate closed when the writer moved
    back = Runner(aws, gated, OperationSpec(Direction.FAILBACK), options(tmp_path, clock)).run()
    assert [s.step.step_id for s in back.steps if s.step.is_wait][-1] == "wait:health"
    assert aws.writer == P


def test_unplanned_failover_promotes_without_reachable_writer(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    spec = OperationSpec(Direction.FAILOVER, Mode.UNPLANNED, allow_data_loss=True)
    Runner(aws, TARGETS, spec, options(tmp_path, clock)).run()
    assert "failover_global_cluster" in aws.calls and aws.writer == S
    # the impaired primary is not asked for its size: the standby goes to its maximum
    assert aws.groups[(S, "cs")]["size"] == (6, 6, 6)


def test_unplanned_does_not_wait_for_the_unreachable_old_primary(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    aws.status = "failing-over"  # the old primary's region is down; it never settles
    spec = OperationSpec(Direction.FAILOVER, Mode.UNPLANNED, allow_data_loss=True)
    result = Runner(aws, TARGETS, spec, options(tmp_path, clock)).run()
    assert result.steps[3].step.step_id == "wait:database"
    assert aws.writer == S
    aws.writer = P
    opts = options(tmp_path / "planned", clock, wait_timeout_seconds=60)
    with pytest.raises(OpsError, match="timed out after 60 s waiting for the database writer"):
        Runner(aws, TARGETS, OperationSpec(Direction.FAILOVER), opts).run()


def test_planned_switchover_refuses_when_writer_is_elsewhere(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    targets = DrTargets(P, "us-west-2", "g", budget=BUDGET)
    ARN["us-west-2"] = "arn:aws:rds:us-west-2:123456789012:cluster:app-w"
    try:
        with pytest.raises(OpsError, match="no member in us-west-2"):
            Runner(aws, targets, OperationSpec(Direction.FAILOVER), options(tmp_path, clock)).run()
    finally:
        del ARN["us-west-2"]


def test_drill_report(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock, promote_seconds=40, scale_seconds=60)
    report = run_drill(
        aws,
        TARGETS,
        OperationSpec(Direction.FAILOVER),
        options(tmp_path, clock),
        hold_seconds=120,
        notes=["practice"],
    )
    assert report["summary"]["failover_rto_seconds"] == 60
    assert report["summary"]["failback_rto_seconds"] == 40  # primary's group is already up
    assert report["summary"]["within_budget"] is True
    assert aws.writer == P and aws.groups[(S, "cs")]["size"] == (0, 0, 6)
    md = drill_markdown(report)
    assert "| failover | 60.0 | 300.0 | yes | 150.0 | yes |" in md
    assert "| failback | 40.0 | 300.0 | yes | 150.0 | yes |" in md
    assert "- practice" in md


def test_drill_refuses_to_start_failed_over(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    aws.writer = S
    with pytest.raises(OpsError, match="the writer of g is in us-east-1, not in eu-west-1") as info:
        run_drill(aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock))
    assert info.value.exit_code == 4
    assert "switchover_global_cluster" not in aws.calls


def test_drill_resumes_an_unfinished_failback(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    Runner(aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock)).run()
    aws.fail_next["switchover_global_cluster"] = OpsError("throttled", exit_code=3)
    with pytest.raises(OpsError):
        Runner(aws, TARGETS, OperationSpec(Direction.FAILBACK), options(tmp_path, clock)).run()
    report = run_drill(aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock))
    assert [p["operation"] for p in report["phases"]] == ["failback"]
    assert "resumed the failback" in report["notes"][0]
    assert aws.writer == P


def test_render_dry_run_marks_steps() -> None:
    from obs_platform.ops import plan_steps

    steps = plan_steps(
        OperationSpec(Direction.FAILOVER, Mode.UNPLANNED, allow_data_loss=True), TARGETS
    )
    text = render_dry_run(steps, {"scale:us-east-1/cs:w"}, ["n1"])
    assert (
        "2. scale:us-east-1/cs:w: scale node group cs:w up (us-east-1)  [done earlier, "
        "skipped]" in text
    )
    assert "database:failover" in text and "[CAN LOSE DATA]" in text
    assert text.endswith("note: n1\n")


def test_failback_with_unknown_lag_is_refused(tmp_path: Path) -> None:
    clock = Clock()
    aws = FakeAws(clock)
    aws.writer = S
    aws.lag_ms = None  # the metric stops when replication stops
    with pytest.raises(OpsError) as info:
        Runner(aws, TARGETS, OperationSpec(Direction.FAILBACK), options(tmp_path, clock)).run()
    assert info.value.exit_code == 4
    assert (
        "refusing to fail back: the old primary app-p in eu-west-1 is not caught up: its "
        "replication lag is unknown (no AuroraGlobalDBReplicationLag datapoint in eu-west-1 "
        "over the last 5 minutes)"
    ) in str(info.value)
    assert "switchover_global_cluster" not in aws.calls and aws.writer == S


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("wait_timeout_seconds", float("nan")),
        ("wait_timeout_seconds", float("inf")),
        ("wait_timeout_seconds", 0.0),
        ("poll_seconds", float("nan")),
        ("poll_seconds", -1.0),
        ("max_lag_seconds", float("nan")),
        ("max_lag_seconds", float("inf")),
    ],
)
def test_run_options_refuse_non_finite_seconds(tmp_path: Path, option: str, value: float) -> None:
    with pytest.raises(OpsError, match=f"--{option.replace('_', '-')} {value!r} is not a usable"):
        RunOptions(state_path=tmp_path / "s.json", **{option: value})


def test_resume_rechecks_a_switchover_the_file_calls_done(tmp_path: Path) -> None:
    """The file says the switchover is done, AWS says the writer never moved: run it again."""
    clock = Clock()
    aws = FakeAws(clock)
    Runner(aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock)).run()
    path = tmp_path / "state.json"
    state = json.loads(path.read_text())
    assert state["steps"]["database:switchover"]["status"] == "done"
    # a run that stopped at its last step, as the stuck failover did
    state["status"] = "failed"
    state["steps"]["wait:health"] = {"status": "failed", "started_at": clock(), "error": "x"}
    path.write_text(json.dumps(state))
    aws.writer, aws.promote_at = P, None  # AWS dropped the switchover
    calls_before = aws.calls.count("switchover_global_cluster")
    log: list[str] = []
    result = Runner(
        aws, TARGETS, OperationSpec(Direction.FAILOVER), options(tmp_path, clock, log=log.append)
    ).run()
    outcomes = {s.step.step_id: s.outcome for s in result.steps}
    assert outcomes["database:switchover"] == "ran"
    assert aws.calls.count("switchover_global_cluster") == calls_before + 1
    assert aws.writer == S
    assert any(
        "[database:switchover] the state file says done, but the writer is in eu-west-1: "
        "running it again" in line
        for line in log
    ), log
    assert outcomes["scale:us-east-1/cs:w"] == "skipped"  # still scaled: trusted after a check
