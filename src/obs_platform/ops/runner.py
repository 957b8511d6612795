"""Run the steps of a failover or failback against AWS, resumably, timing each one.

Every step first checks whether its effect is already in place (the writer already in the
target region, the node group already scaled) and only then acts, so re-running is safe. The
state file records each completed step; a failure stops the run with the file naming the step
to resume from.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._internal.bucket_policy import READ_ONLY_SID, read_only_statement, without_statement
from . import actions
from .aws import AwsContext
from .errors import OpsError
from .model import DrTargets, NodeGroupRef, ReadOnlyBucketRef
from .state import OperationState, load_state, locked, save_state
from .steps import (
    Direction,
    Mode,
    OperationSpec,
    Step,
    StepKind,
    budget_seconds,
    plan_steps,
    regions_for,
    scale_target,
    scaled_enough,
    signature,
)

Log = Callable[[str], None]


class _NotInPlaceError(Exception):
    """A completed wait's condition no longer holds (raised only while re-checking)."""


def check_seconds(option: str, value: float, low: float, *, inclusive: bool = True) -> None:
    """Refuse a duration that is not a finite number of seconds above (or at) ``low``.

    Raises:
        OpsError: Naming the option, the value and the fix.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < low
        or (value == low and not inclusive)
    ):
        bound = f">= {low:g}" if inclusive else f"> {low:g}"
        raise OpsError(
            f"{option} {value!r} is not a usable number of seconds",
            fix=f"give a finite number {bound} (nan and inf are refused: a wait that can never "
            "time out, or a check that always passes, is not a setting).",
        )


@dataclass
class RunOptions:
    """How a run behaves.

    Attributes:
        state_path: The state file.
        poll_seconds: Pause between two polls of a wait.
        wait_timeout_seconds: How long one wait may take before the run stops (resumable).
        max_lag_seconds: A failback refuses while the old primary lags more than this.
        clock: Returns epoch seconds (tests pass a fake).
        sleep: Pauses (tests pass a fake).
        log: Receives one progress line per event.
    """

    state_path: Path
    poll_seconds: float = 10.0
    wait_timeout_seconds: float = 1800.0
    max_lag_seconds: float = 1.0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    log: Log = field(default=lambda line: None)

    def __post_init__(self) -> None:
        for name, value, low, inclusive in (
            ("poll_seconds", self.poll_seconds, 0.0, True),
            ("wait_timeout_seconds", self.wait_timeout_seconds, 0.0, False),
            ("max_lag_seconds", self.max_lag_seconds, 0.0, True),
        ):
            check_seconds(f"--{name.replace('_', '-')}", value, low, inclusive=inclusive)


@dataclass
class StepResult:
    """How one step went.

    Attributes:
        step: The step.
        outcome: ``ran``, ``already`` (its effect was in place), ``skipped`` (done in an
            earlier run) or ``failed``.
        seconds: How long the step itself took.
        ready_after_seconds: For waits, the time from the start of the work it waits on to
            ready; the figure compared with the budget.
        budget_seconds: The budget term it is compared with, or ``None``.
        detail: What the step found or did.
    """

    step: Step
    outcome: str
    seconds: float
    ready_after_seconds: float | None = None
    budget_seconds: float | None = None
    detail: str = ""

    @property
    def measured_seconds(self) -> float:
        """The figure compared with the budget."""
        return self.ready_after_seconds if self.ready_after_seconds is not None else self.seconds

    @property
    def within_budget(self) -> bool | None:
        """Whether the measured time is within its budget term; ``None`` without one."""
        if self.budget_seconds is None:
            return None
        return self.measured_seconds <= self.budget_seconds

    def to_json(self) -> dict[str, Any]:
        """Return the result for reports."""
        return {
            **self.step.to_json(),
            "outcome": self.outcome,
            "seconds": round(self.seconds, 3),
            "ready_after_seconds": (
                None if self.ready_after_seconds is None else round(self.ready_after_seconds, 3)
            ),
            "budget_seconds": self.budget_seconds,
            "within_budget": self.within_budget,
            "detail": self.detail,
        }


@dataclass
class OperationResult:
    """The outcome of one failover or failback."""

    direction: Direction
    mode: Mode
    from_region: str
    to_region: str
    engine: str
    steps: list[StepResult]
    measured_rto_seconds: float | None
    rto_budget_seconds: float | None
    rto_target_seconds: float | None
    state_path: Path
    resumed: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the result as the report's JSON."""
        rto = self.measured_rto_seconds

        def within(limit: float | None) -> bool | None:
            return None if rto is None or limit is None else rto <= limit

        return {
            "operation": str(self.direction),
            "mode": str(self.mode),
            "from_region": self.from_region,
            "to_region": self.to_region,
            "engine": self.engine,
            "resumed": self.resumed,
            "measured_rto_seconds": None if rto is None else round(rto, 3),
            "rto_budget_seconds": self.rto_budget_seconds,
            "rto_target_seconds": self.rto_target_seconds,
            "within_budget": within(self.rto_budget_seconds),
            "within_target": within(self.rto_target_seconds),
            "state_file": str(self.state_path),
            "steps": [s.to_json() for s in self.steps],
        }


class Runner:
    """Runs one operation.

    Args:
        aws: The clients.
        targets: What to act on.
        spec: What the operator asked for.
        options: How to run.
    """

    def __init__(
        self, aws: AwsContext, targets: DrTargets, spec: OperationSpec, options: RunOptions
    ) -> None:
        self.aws = aws
        self.targets = targets
        self.spec = spec
        self.options = options
        self.steps = plan_steps(spec, targets)
        self.from_region, self.to_region = regions_for(spec.direction, targets)
        self.signature = signature(spec, targets)
        self._state: OperationState | None = None
        self._verifying = False
        # Looked up once per run (preflight, step, verification): the names do not change
        # while it lasts, and each lookup pages through every bucket or role of the account.
        self._bucket_names: dict[ReadOnlyBucketRef, str] = {}
        self._writer_arns: dict[tuple[str, ...], list[str]] = {}

    # --- state -------------------------------------------------------------------------------

    def _open_state(self) -> tuple[OperationState, bool]:
        path = self.options.state_path
        existing = load_state(path)
        if existing is not None and existing.status != "completed":
            if existing.signature == self.signature:
                existing.status = "in-progress"
                existing.error = None
                return existing, True
            changed = [
                k
                for k, v in existing.steps.items()
                if k != "preflight" and v.get("status") in ("done", "running", "failed")
            ]
            if not changed:
                existing = None
        if existing is not None and existing.status != "completed":
            op = existing.operation
            raise OpsError(
                f"state file {path} holds an unfinished {op.get('direction')} "
                f"({op.get('mode')}) from {op.get('from_region')} to {op.get('to_region')}, "
                f"stopped with: {existing.error or existing.status}",
                fix="re-run that command to finish it, or pass another --state FILE if you "
                "are sure it is abandoned.",
                exit_code=4,
            )
        operation = {
            "direction": str(self.spec.direction),
            "mode": str(self.spec.mode),
            "from_region": self.from_region,
            "to_region": self.to_region,
            "engine": str(self.spec.engine),
            "global_cluster": self.targets.global_cluster,
        }
        return OperationState(self.signature, operation, started_at=self.options.clock()), False

    def _save(self) -> None:
        assert self._state is not None
        save_state(self.options.state_path, self._state)

    # --- run ---------------------------------------------------------------------------------

    def run(self) -> OperationResult:
        """Run every step not yet done and return the timings.

        Raises:
            OpsError: When a step fails; the state file records the completed steps and the
                message says how to resume.
        """
        what = f"{self.spec.direction} ({self.spec.mode}) {self.from_region} -> {self.to_region}"
        with locked(self.options.state_path, what):
            return self._run_locked()

    def _run_locked(self) -> OperationResult:
        state, resumed = self._open_state()
        self._state = state
        log = self.options.log
        if resumed:
            done = [s.step_id for s in self.steps if state.done(s.step_id)]
            log(
                f"resuming from {self.options.state_path}: done earlier: "
                f"{', '.join(done) or 'nothing'}"
            )
        self._save()
        results: list[StepResult] = []
        for step in self.steps:
            if state.done(step.step_id) and step.kind is not StepKind.PREFLIGHT:
                record = state.steps[step.step_id]
                # The file may say done while AWS says otherwise (a switchover AWS dropped, a
                # node group scaled back in, a hand-edited file): trust AWS.
                try:
                    still, found = self._still_done(step, record)
                except OpsError as exc:
                    raise self._stopped(step, exc) from None
                if still:
                    results.append(self._result(step, "skipped", record))
                    log(f"  [done earlier] {step.description} (checked: {found})")
                    continue
                log(f"  [{step.step_id}] the state file says done, but {found}: running it again")
            if step.data_loss and not self.spec.allow_data_loss:
                raise OpsError(
                    f"step {step.step_id} can lose data and --allow-data-loss was not given",
                    exit_code=4,
                )
            log(f"  [{step.step_id}] {step.description} ...")
            started = self.options.clock()
            state.steps[step.step_id] = {"status": "running", "started_at": started}
            self._save()
            try:
                outcome, detail, data = self._execute(step)
            except KeyboardInterrupt:
                self._fail(step, started, "interrupted by the operator", status="interrupted")
                log(
                    f"interrupted at step {step.step_id!r}; re-run the same command to resume "
                    f"(state: {self.options.state_path})"
                )
                raise
            except OpsError as exc:
                self._fail(step, started, str(exc))
                raise self._stopped(step, exc) from None
            except Exception as exc:
                self._fail(step, started, f"{type(exc).__name__}: {exc}")
                raise self._stopped(step, OpsError(f"{type(exc).__name__}: {exc}")) from None
            finished = self.options.clock()
            state.steps[step.step_id] = {
                "status": "done",
                "started_at": started,
                "finished_at": finished,
                "seconds": finished - started,
                "outcome": outcome,
                "detail": detail,
                "data": data,
            }
            self._save()
            result = self._result(step, outcome, state.steps[step.step_id])
            results.append(result)
            log(f"    {outcome}: {detail} ({result.measured_seconds:.1f} s)")
        state.status = "completed"
        state.finished_at = self.options.clock()
        self._save()
        budget = self.targets.budget
        return OperationResult(
            self.spec.direction,
            self.spec.mode,
            self.from_region,
            self.to_region,
            str(self.spec.engine),
            results,
            self._measured_rto(),
            budget.rto_seconds if budget else None,
            budget.rto_target_seconds if budget else None,
            self.options.state_path,
            resumed,
        )

    def _fail(self, step: Step, started: float, message: str, status: str = "failed") -> None:
        assert self._state is not None
        self._state.steps[step.step_id] = {
            "status": "failed",
            "started_at": started,
            "finished_at": self.options.clock(),
            "error": message,
        }
        self._state.status = status
        self._state.error = f"{step.step_id}: {message}"
        self._save()

    def _stopped(self, step: Step, exc: OpsError) -> OpsError:
        assert self._state is not None
        done = [s.step_id for s in self.steps if self._state.done(s.step_id)]
        changed = [s for s in done if s != "preflight"]
        message = str(exc)
        if exc.fix and message.endswith(f" Fix: {exc.fix}"):
            message = message[: -len(f" Fix: {exc.fix}")]
        cause = f"{exc.fix.rstrip('.')}; then " if exc.fix else "fix the cause, then "
        resume = (
            f"{cause}re-run the same command to resume from {step.step_id!r} "
            f"(state: {self.options.state_path})."
        )
        if not changed:
            return OpsError(
                f"{self.spec.direction} stopped at step {step.step_id!r} before changing "
                f"anything: {message}",
                fix=resume,
                exit_code=exc.exit_code,
                resumable=exc.resumable,
            )
        return OpsError(
            f"{self.spec.direction} stopped at step {step.step_id!r} ({step.description}): "
            f"{message}. Completed before it: {', '.join(changed)}.",
            fix=resume,
            exit_code=exc.exit_code if exc.exit_code != 2 else 3,
            resumable=True,
        )

    def _result(self, step: Step, outcome: str, record: dict[str, Any]) -> StepResult:
        seconds = float(record.get("seconds") or 0.0)
        ready_after = None
        kinds = step.waits_on()
        if kinds and self._state is not None:
            starts = [
                float(r["started_at"])
                for s in self.steps
                if s.kind in kinds
                for r in [self._state.steps.get(s.step_id, {})]
                if r.get("outcome") == "ran" and "started_at" in r
            ]
            if starts and "finished_at" in record:
                ready_after = float(record["finished_at"]) - min(starts)
        return StepResult(
            step,
            outcome,
            seconds,
            ready_after,
            budget_seconds(step, self.targets.budget),
            str(record.get("detail", "")),
        )

    def _measured_rto(self) -> float | None:
        """Return the time from the first change to the last RTO step's end, if anything ran."""
        assert self._state is not None
        records = [
            (s, self._state.steps.get(s.step_id, {}))
            for s in self.steps
            if s.counts_toward_rto and s.kind is not StepKind.PREFLIGHT
        ]
        starts = [
            float(r["started_at"])
            for s, r in records
            if not s.is_wait and r.get("outcome") == "ran"
        ]
        ends = [float(r["finished_at"]) for _, r in records if "finished_at" in r]
        if not starts or not ends:
            return None
        return max(ends) - min(starts)

    # --- steps -------------------------------------------------------------------------------

    def _still_done(self, step: Step, record: dict[str, Any]) -> tuple[bool, str]:
        """Check against AWS that a step the state file calls done still has its effect.

        Returns:
            Whether it does, and what was found.
        """
        kind = step.kind
        if kind is StepKind.SCALE_NODEGROUP:
            current = actions.scaling_of(actions.describe_nodegroup(self.aws, self._ref(step)))
            target = tuple(record.get("data", {}).get("target") or current)
            ok = scaled_enough(current, target)
            return ok, f"{self._ref(step).nodegroup} at min/desired/max {current}"
        if kind is StepKind.SCALE_DOWN_NODEGROUP:
            current = actions.scaling_of(actions.describe_nodegroup(self.aws, self._ref(step)))
            idle = int(step.params["desired_size"])
            ok = current[1] <= idle and current[0] <= idle
            return ok, f"{self._ref(step).nodegroup} at min/desired/max {current}"
        if kind in (StepKind.SWITCHOVER_DATABASE, StepKind.FAILOVER_DATABASE):
            cluster = self._global_cluster()
            writer = actions.writer_region(cluster)
            heading = actions.arn_region(
                str((cluster.get("FailoverState") or {}).get("ToDbClusterArn", ""))
            )
            busy = actions.failover_in_progress(cluster)
            ok = writer == self.to_region or (busy and heading == self.to_region)
            found = f"the writer is in {writer}" + (f", moving to {heading}" if busy else "")
            return ok, found
        if kind is StepKind.START_REGION_SWITCH:
            execution = str(record.get("data", {}).get("execution_id", ""))
            if not execution:
                return False, "no execution is recorded"
            info = actions.region_switch_execution(
                self.aws, str(step.params["plan_arn"]), execution, self.to_region
            )
            state = str(info["state"])
            return state not in actions.REGION_SWITCH_FAILED, f"execution {execution} {state}"
        if kind in (StepKind.PROMOTE_STORAGE, StepKind.DEMOTE_STORAGE):
            ref = self._bucket(step)
            bucket = self._bucket_name(ref)
            document = actions.get_bucket_policy(self.aws, bucket, ref.region)
            _, statement = without_statement(document or "{}", READ_ONLY_SID)
            read_only = statement is not None
            return (
                read_only is (kind is StepKind.DEMOTE_STORAGE),
                f"{bucket} {'is read-only' if read_only else 'is writable'} for the standby",
            )
        if kind is StepKind.WAIT_STORAGE_DRAIN:
            return True, "waited earlier"
        if step.is_wait:
            self._verifying = True
            try:
                return True, self._execute(step)[1]
            except _NotInPlaceError as exc:
                return False, str(exc)
            finally:
                self._verifying = False
        return True, "not re-checked (no AWS state to read)"

    def _execute(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        handler = {
            StepKind.PREFLIGHT: self._preflight,
            StepKind.SCALE_NODEGROUP: self._scale_up,
            StepKind.SCALE_DOWN_NODEGROUP: self._scale_down,
            StepKind.SWITCHOVER_DATABASE: self._switch_database,
            StepKind.FAILOVER_DATABASE: self._switch_database,
            StepKind.WAIT_DATABASE: self._wait_database,
            StepKind.WAIT_NODEGROUPS: self._wait_nodegroups,
            StepKind.START_REGION_SWITCH: self._start_region_switch,
            StepKind.WAIT_REGION_SWITCH: self._wait_region_switch,
            StepKind.WAIT_HEALTH: self._wait_health,
            StepKind.PROMOTE_STORAGE: self._set_read_only,
            StepKind.DEMOTE_STORAGE: self._set_read_only,
            StepKind.WAIT_STORAGE_DRAIN: self._wait_storage_drain,
        }[step.kind]
        return handler(step)

    def _global_cluster(self) -> dict[str, Any]:
        assert self.targets.global_cluster
        return actions.describe_global_cluster(
            self.aws, self.targets.global_cluster, [self.to_region, self.from_region]
        )

    def _preflight(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        found: list[str] = []
        if self.targets.global_cluster:
            cluster = self._global_cluster()
            if actions.member_in(cluster, self.to_region) is None:
                raise OpsError(
                    f"global cluster {self.targets.global_cluster} has no member in "
                    f"{self.to_region}, so it cannot take over",
                    fix="add a secondary cluster (with at least one instance) in that region.",
                    exit_code=4,
                )
            writer = actions.writer_region(cluster)
            found.append(f"writer in {writer}")
            if self.spec.direction is Direction.FAILBACK and writer != self.to_region:
                self._check_caught_up(cluster)
                found.append(f"{self.to_region} caught up")
        for ng in self.targets.node_groups_in(self.to_region):
            actions.describe_nodegroup(self.aws, ng)
        if self.targets.node_groups_in(self.to_region):
            found.append(f"{len(self.targets.node_groups_in(self.to_region))} node group(s)")
        now = dt.datetime.fromtimestamp(self.options.clock(), tz=dt.UTC)
        for hc in (*self.targets.health_checks_for(self.to_region), *self.targets.dns_gates):
            actions.check_status(self.aws, hc.health_check_id, hc.gate, now)
        buckets = [
            self._bucket(s)
            for s in self.steps
            if s.kind in (StepKind.PROMOTE_STORAGE, StepKind.DEMOTE_STORAGE)
        ]
        for bucket in buckets:
            self._bucket_name(bucket)
        if buckets:
            found.append(f"{len(buckets)} read-only replica bucket(s)")
        if self.targets.region_switch_plan_arn and any(
            s.kind is StepKind.START_REGION_SWITCH for s in self.steps
        ):
            self.aws.call(
                "arc-region-switch",
                self.to_region,
                "get_plan_in_region",
                arn=self.targets.region_switch_plan_arn,
            )
            found.append("Region switch plan")
        return "ran", "; ".join(found) or "nothing to check", {}

    def _check_caught_up(self, cluster: dict[str, Any]) -> None:
        """Refuse a failback while the old primary's database is behind.

        Raises:
            OpsError: (exit code 4) naming the reason.
        """
        member = actions.member_in(cluster, self.to_region)
        assert member is not None
        arn = str(member.get("DBClusterArn"))
        reasons: list[str] = []
        if str(cluster.get("Status", "available")) != "available":
            reasons.append(f"the global cluster is {cluster.get('Status')!r}")
        if actions.failover_in_progress(cluster):
            reasons.append("a switchover or failover is still running")
        sync = member.get("SynchronizationStatus")
        if sync not in (None, "connected"):
            reasons.append(f"its synchronization status is {sync!r} (needs 'connected')")
        status = actions.db_cluster_status(self.aws, arn)
        if status not in (None, "available"):
            reasons.append(f"the cluster is {status!r}")
        now = dt.datetime.fromtimestamp(self.options.clock(), tz=dt.UTC)
        lag = actions.replication_lag_seconds(self.aws, arn, now)
        if lag is None:
            # No datapoint is not zero lag: the metric stops when replication stops.
            reasons.append(
                f"its replication lag is unknown (no {actions.LAG_METRIC} datapoint in "
                f"{self.to_region} over the last 5 minutes)"
            )
        elif lag > self.options.max_lag_seconds:
            reasons.append(
                f"its replication lag is {lag:.1f} s (limit {self.options.max_lag_seconds:g} s)"
            )
        if reasons:
            raise OpsError(
                f"refusing to fail back: the old primary {actions.arn_name(arn)} in "
                f"{self.to_region} is not caught up: {'; '.join(reasons)}",
                fix="wait until `obs-platform dr status` shows it connected with lag under "
                "--max-lag-seconds, then re-run.",
                exit_code=4,
            )

    def _peer_desired(self, ng: NodeGroupRef) -> int | None:
        for peer in self.targets.node_groups_in(self.from_region):
            if (
                peer.nodegroup == ng.nodegroup
                or len(self.targets.node_groups_in(self.from_region)) == 1
            ):
                try:
                    return actions.scaling_of(actions.describe_nodegroup(self.aws, peer))[1]
                except OpsError:
                    return None
        return None

    def _ref(self, step: Step) -> NodeGroupRef:
        return NodeGroupRef(step.region, str(step.params["cluster"]), str(step.params["nodegroup"]))

    def _scale_up(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        ng = self._ref(step)
        current = actions.scaling_of(actions.describe_nodegroup(self.aws, ng))
        # The other region's size is the natural target, but in an unplanned failover that
        # region is impaired: asking it would only add timeouts to the RTO.
        ask_peer = step.params.get("desired_size") is None and self.spec.mode is Mode.PLANNED
        target = scale_target(
            *current,
            step.params.get("desired_size"),
            self._peer_desired(ng) if ask_peer else None,
        )
        data = {"previous": list(current), "target": list(target)}
        if scaled_enough(current, target):
            return "already", f"already at min {current[0]}, desired {current[1]}", data
        actions.update_scaling(self.aws, ng, target)
        return "ran", f"min/desired/max {current} -> {target}", data

    def _scale_down(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        ng = self._ref(step)
        current = actions.scaling_of(actions.describe_nodegroup(self.aws, ng))
        idle = int(step.params["desired_size"])
        target = (min(current[0], idle), idle, current[2])
        data = {"previous": list(current), "target": list(target)}
        if current[1] <= idle and current[0] <= idle:
            return "already", f"already at desired {current[1]}", data
        actions.update_scaling(self.aws, ng, target)
        return "ran", f"min/desired/max {current} -> {target}", data

    def _bucket(self, step: Step) -> ReadOnlyBucketRef:
        params = step.params
        return ReadOnlyBucketRef(
            step.region,
            str(params["bucket"]),
            str(params["label"]),
            tuple(str(r) for r in params["roles"]),
        )

    def _bucket_name(self, ref: ReadOnlyBucketRef) -> str:
        if ref not in self._bucket_names:
            self._bucket_names[ref] = actions.resolve_bucket(self.aws, ref)
        return self._bucket_names[ref]

    def _set_read_only(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        """Remove (promote) or restore (demote) a replica bucket's read-only Deny, if needed.

        Promotion is ``GetBucketPolicy`` and ``PutBucketPolicy`` in the bucket's region only;
        the other statements of the policy are kept as they are.
        """
        ref = self._bucket(step)
        promote = step.kind is StepKind.PROMOTE_STORAGE
        bucket = self._bucket_name(ref)
        document = actions.get_bucket_policy(self.aws, bucket, ref.region)
        data = {"bucket": bucket}
        policy, statement = without_statement(document or "{}", READ_ONLY_SID)
        if promote:
            if statement is None:
                return "already", f"{bucket} has no statement {READ_ONLY_SID} already", data
            actions.put_bucket_policy(self.aws, bucket, ref.region, policy)
            return "ran", f"removed statement {READ_ONLY_SID} from {bucket}'s policy", data
        if ref.roles not in self._writer_arns:
            self._writer_arns[ref.roles] = actions.resolve_writer_arns(self.aws, ref)
        writers = self._writer_arns[ref.roles]
        wanted = read_only_statement(f"arn:aws:s3:::{bucket}", writers)
        if statement == wanted:
            return "already", f"{bucket} has statement {READ_ONLY_SID} already", data
        # ``policy`` is the document without the statement: put the wanted one back at the end.
        restored = {"Version": "2012-10-17", **policy, "Statement": [*policy["Statement"], wanted]}
        actions.put_bucket_policy(self.aws, bucket, ref.region, restored)
        return "ran", f"put statement {READ_ONLY_SID} back into {bucket}'s policy", data

    def _wait_storage_drain(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        """Wait ``seconds`` from the moment ingest left the standby (the health wait's end).

        A known, bounded wait: ``--wait-timeout-seconds`` does not cut it short.
        """
        assert self._state is not None
        health = self._state.steps.get("wait:health", {})
        mine = self._state.steps.get(step.step_id, {})
        since = float(health.get("finished_at") or mine.get("started_at") or self.options.clock())
        seconds = float(step.params["seconds"])
        while (left := since + seconds - self.options.clock()) > 0:
            self.options.sleep(min(left, max(self.options.poll_seconds, 1.0)))
        return "ran", f"{seconds:g} s passed since ingest left {step.region}", {}

    def _switch_database(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        cluster = self._global_cluster()
        writer = actions.writer_region(cluster)
        state = cluster.get("FailoverState") or {}
        if actions.failover_in_progress(cluster):
            heading = actions.arn_region(str(state.get("ToDbClusterArn", "")))
            if heading == self.to_region:
                return "already", f"a {state.get('Status')} to {heading} is already running", {}
            raise OpsError(
                f"the global cluster is already failing over to {heading}",
                fix="wait for it to finish, check `obs-platform dr status`, then decide.",
                exit_code=4,
            )
        if writer == self.to_region:
            return "already", f"the writer is already in {self.to_region}", {}
        if self.spec.mode is Mode.PLANNED and writer != self.from_region:
            raise OpsError(
                f"the writer is in {writer}, not in {self.from_region}; a planned switchover "
                "needs a reachable writer",
                exit_code=4,
                fix="if the primary is down, use --unplanned --allow-data-loss.",
            )
        member = actions.member_in(cluster, self.to_region)
        assert member is not None
        target_arn = str(member["DBClusterArn"])
        unplanned = step.kind is StepKind.FAILOVER_DATABASE
        actions.switch_database(
            self.aws,
            str(self.targets.global_cluster),
            target_arn,
            self.to_region,
            allow_data_loss=unplanned,
        )
        verb = "failover (data loss allowed)" if unplanned else "switchover"
        return "ran", f"{verb} to {actions.arn_name(target_arn)} started", {"target": target_arn}

    def _poll(self, what: str, probe: Callable[[], tuple[bool, str]]) -> str:
        deadline = self.options.clock() + self.options.wait_timeout_seconds
        while True:
            ready, detail = probe()
            if ready:
                return detail
            if self._verifying:
                raise _NotInPlaceError(detail)
            if self.options.clock() >= deadline:
                raise OpsError(
                    f"timed out after {self.options.wait_timeout_seconds:g} s waiting for "
                    f"{what} (last seen: {detail})",
                    fix="check the resource in the console; raise --wait-timeout-seconds or "
                    "re-run the same command to keep waiting.",
                    exit_code=3,
                    resumable=True,
                )
            self.options.sleep(self.options.poll_seconds)

    def _wait_database(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        def probe() -> tuple[bool, str]:
            cluster = self._global_cluster()
            writer = actions.writer_region(cluster)
            status = cluster.get("Status")
            busy = actions.failover_in_progress(cluster)
            # After an unplanned failover the old primary may stay unreachable, so the global
            # cluster's status is not waited for: the writer in the target region is enough.
            settled = status == "available" or self.spec.mode is Mode.UNPLANNED
            ready = writer == self.to_region and not busy and settled
            return ready, f"writer in {writer}, status {status}" + (
                ", failover running" if busy else ""
            )

        return "ran", self._poll("the database writer", probe), {}

    def _wait_nodegroups(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        assert self._state is not None
        groups = self.targets.node_groups_in(self.to_region)
        wanted: dict[str, int] = {}
        for ng in groups:
            record = self._state.steps.get(f"scale:{ng.key}", {})
            target = record.get("data", {}).get("target")
            wanted[ng.key] = int(target[1]) if target else 1

        def probe() -> tuple[bool, str]:
            pending = []
            for ng in groups:
                desc = actions.describe_nodegroup(self.aws, ng)
                if not actions.nodegroup_ready(desc, wanted[ng.key]):
                    pending.append(
                        f"{ng.nodegroup} {desc.get('status')} "
                        f"desired {actions.scaling_of(desc)[1]}/{wanted[ng.key]}"
                    )
            return not pending, "; ".join(pending) or f"{len(groups)} node group(s) active"

        return "ran", self._poll("the node groups", probe), {}

    def _wait_health(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        wanted = [(str(i), True) for i in step.params.get("healthy", [])]
        wanted += [(str(i), False) for i in step.params.get("unhealthy", [])]
        # Calculated checks (the DNS gates) are read from CloudWatch: GetHealthCheckStatus
        # refuses them (see actions.calculated_check_status).
        calculated = {str(i) for i in step.params.get("gates", [])}

        def probe() -> tuple[bool, str]:
            pending = []
            now = dt.datetime.fromtimestamp(self.options.clock(), tz=dt.UTC)
            for hc, healthy in wanted:
                status = actions.check_status(self.aws, hc, hc in calculated, now)
                if status["healthy"] is not healthy:
                    seen = {True: "healthy", False: "unhealthy", None: "no data yet"}[
                        status["healthy"]
                    ]
                    how = (
                        "HealthCheckStatus metric"
                        if hc in calculated
                        else f"{status['success']}/{status['checkers']} checkers report success"
                    )
                    pending.append(
                        f"{hc} {seen} ({how}), waiting for {'healthy' if healthy else 'unhealthy'}"
                    )
            done = f"{len(wanted)} health check(s) as expected"
            return not pending, "; ".join(pending) or done

        return "ran", self._poll("the Route 53 health checks", probe), {}

    def _start_region_switch(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        plan = str(step.params["plan_arn"])
        running = actions.running_region_switch_execution(self.aws, plan, self.to_region)
        if running:
            execution_id = str(running["executionId"])
            data = {"execution_id": execution_id}
            if step.params["mode"] == "ungraceful" and running.get("mode") != "ungraceful":
                # An execution already runs gracefully (the alarm trigger's, or a planned run
                # that stalled because the primary is impaired): switch it to ungraceful, with
                # the consent this step required, instead of starting a second one.
                resumed = actions.switch_region_switch_to_ungraceful(
                    self.aws,
                    plan,
                    execution_id,
                    self.to_region,
                    f"obs-platform dr {self.spec.direction} (unplanned, data loss allowed)",
                )
                detail = f"execution {execution_id} switched to ungraceful"
                return "ran", detail + (" and resumed" if resumed else ""), data
            return "already", f"execution {execution_id} is already running", data
        execution = actions.start_region_switch(
            self.aws,
            plan,
            self.to_region,
            str(step.params["mode"]),
            f"obs-platform dr {self.spec.direction} ({self.spec.mode})",
            f"obs-platform-{self.signature}-{int(self._state.started_at if self._state else 0)}",
        )
        return "ran", f"execution {execution} started", {"execution_id": execution}

    def _wait_region_switch(self, step: Step) -> tuple[str, str, dict[str, Any]]:
        assert self._state is not None
        start = self._state.steps.get("region-switch:start", {})
        execution = str(start.get("data", {}).get("execution_id", ""))
        if not execution:
            raise OpsError(
                "no Region switch execution recorded to wait for",
                fix="re-run the same command; the start step runs again.",
            )
        plan = str(step.params["plan_arn"])

        def probe() -> tuple[bool, str]:
            info = actions.region_switch_execution(self.aws, plan, execution, self.to_region)
            state = str(info["state"])
            if state in actions.REGION_SWITCH_FAILED:
                failed = [s["name"] for s in info["steps"] if s["status"] == "failed"]
                raise OpsError(
                    f"Region switch execution {execution} ended {state!r}"
                    + (f" at {', '.join(str(f) for f in failed)}" if failed else ""),
                    fix="read the execution in the ARC console, fix the step, then resume it "
                    "there or re-run this command.",
                    exit_code=3,
                    resumable=True,
                )
            detail = f"execution {execution} {state}"
            if state == "pendingManualApproval":
                waiting = [s["name"] for s in info["steps"] if s["status"] == "pendingApproval"]
                detail += (
                    f": approve {', '.join(str(w) for w in waiting) or 'the gated step'} in the "
                    "ARC console or with `aws arc-region-switch approve-plan-execution-step`"
                )
            return state in actions.REGION_SWITCH_DONE, detail

        return "ran", self._poll("the Region switch execution", probe), {"execution_id": execution}
