"""``dr drill``: a planned switchover to the standby and back, timed against the budget."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from . import actions
from .aws import AwsContext
from .errors import OpsError
from .model import DrTargets
from .report import drill_report
from .runner import OperationResult, Runner, RunOptions
from .state import load_state
from .steps import Direction, Mode, OperationSpec, signature


def run_drill(
    aws: AwsContext,
    targets: DrTargets,
    spec: OperationSpec,
    options: RunOptions,
    hold_seconds: float = 0.0,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """Fail over (planned), hold, fail back (planned) and return the drill report.

    A drill interrupted during the failback resumes it on the next run instead of failing over
    again.

    Args:
        aws: The clients.
        targets: What to act on.
        spec: Options shared by both phases (engine, sizes); direction and mode are set
            here, and a drill never allows data loss.
        options: How to run (state file, polling, clock).
        hold_seconds: How long to stay on the standby before failing back.
        notes: Lines added to the report.
    """
    failover = dataclasses.replace(
        spec, direction=Direction.FAILOVER, mode=Mode.PLANNED, allow_data_loss=False
    )
    failback = dataclasses.replace(failover, direction=Direction.FAILBACK)
    started = dt.datetime.fromtimestamp(options.clock(), tz=dt.UTC).isoformat(timespec="seconds")
    report_notes = list(notes or [])
    phases: list[OperationResult] = []
    existing = load_state(options.state_path)
    resume_failback = (
        existing is not None
        and existing.status != "completed"
        and existing.signature == signature(failback, targets)
    )
    if resume_failback:
        report_notes.append(
            "the failover completed in an earlier run; this run resumed the "
            "failback, so only the failback is timed"
        )
    else:
        resuming_failover = (
            existing is not None
            and existing.status != "completed"
            and existing.signature == signature(failover, targets)
        )
        if targets.global_cluster and not resuming_failover:
            _check_starts_on_primary(aws, targets)
        options.log(f"Drill phase 1: failover {targets.primary_region} -> {targets.standby_region}")
        phases.append(Runner(aws, targets, failover, options).run())
        if hold_seconds > 0:
            options.log(f"Holding on {targets.standby_region} for {hold_seconds:g} s")
            options.sleep(hold_seconds)
    options.log(f"Drill phase 2: failback {targets.standby_region} -> {targets.primary_region}")
    phases.append(Runner(aws, targets, failback, options).run())
    return drill_report(phases, started, report_notes)


def _check_starts_on_primary(aws: AwsContext, targets: DrTargets) -> None:
    """Refuse a drill that would start from a pair already failed over: it would time nothing.

    Raises:
        OpsError: (exit code 4) when the writer is not in the primary region.
    """
    assert targets.global_cluster
    cluster = actions.describe_global_cluster(
        aws, targets.global_cluster, [targets.primary_region, targets.standby_region]
    )
    writer = actions.writer_region(cluster)
    if writer != targets.primary_region:
        raise OpsError(
            f"a drill starts from normal operation, but the writer of "
            f"{targets.global_cluster} is in {writer}, not in {targets.primary_region}",
            fix="finish or undo the earlier operation first (`obs-platform dr failback`), then "
            "run the drill.",
            exit_code=4,
        )
