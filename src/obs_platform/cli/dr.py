"""``obs-platform dr status|failover|failback|drill``: operate a pilot-light DR pair."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from ._errors import CommandError

DEFAULT_STATE = Path(".obs-platform") / "dr-state.json"


KEEP_STORAGE_WRITABLE_HELP = (
    "an observability stack's standby: leave its replica buckets writable for its Loki and "
    "Tempo (default: put the read-only Deny back into their bucket policies once they have "
    "flushed, after the drain wait the plan's telemetry_rpo.drain_seconds gives)"
)


def _seconds(text: str) -> float:
    """An argparse type: a finite, non-negative number of seconds (``nan``/``inf`` refused)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds: give a finite number >= 0"
        )
    return value


def register(subparsers: Any) -> None:
    """Add the ``dr`` command and its subcommands."""
    targets = argparse.ArgumentParser(add_help=False)
    group = targets.add_argument_group("what to act on (names given here override --plan)")
    group.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        dest="plan_path",
        help="plan JSON (obs-platform plan DIR --json FILE) to read names and the RTO budget from",
    )
    group.add_argument("--primary-region", metavar="REGION")
    group.add_argument("--standby-region", metavar="REGION")
    group.add_argument("--global-cluster", metavar="ID", help="Aurora global cluster identifier")
    group.add_argument(
        "--node-group",
        action="append",
        default=[],
        metavar="[REGION/]CLUSTER:NG",
        help="EKS node group (repeatable; region defaults to the standby's)",
    )
    group.add_argument(
        "--health-check",
        action="append",
        default=[],
        metavar="[REGION=]ID",
        help="Route 53 health check on a region's /healthz (repeatable)",
    )
    group.add_argument(
        "--dns-gate",
        action="append",
        default=[],
        metavar="ID",
        help="health check on the PRIMARY failover record (PilotLightDr's {name}-primary-gate): "
        "failover waits for it to turn unhealthy, failback for healthy",
    )
    group.add_argument(
        "--replicator", metavar="ARN", dest="replicator_arn", help="MSK Replicator ARN"
    )
    group.add_argument(
        "--region-switch-plan",
        metavar="ARN",
        dest="region_switch_plan_arn",
        help="ARC Region switch plan ARN",
    )
    group.add_argument(
        "--rto-budget-seconds",
        type=_seconds,
        metavar="S",
        help="RTO budget (default: the plan's dr entry)",
    )
    group.add_argument(
        "--rto-target-seconds",
        type=_seconds,
        metavar="S",
        help="RTO target (default: the plan's dr entry)",
    )
    aws = targets.add_argument_group("AWS access")
    aws.add_argument("--profile", metavar="NAME", help="AWS profile (default: the usual chain)")
    aws.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="send every AWS call here (an emulator); also AWS_ENDPOINT_URL",
    )
    aws.add_argument(
        "--max-attempts",
        type=int,
        default=5,
        metavar="N",
        help="attempts per AWS call, with backoff on throttling (default 5)",
    )
    targets.add_argument("--json", action="store_true", help="print JSON instead of text")

    run = argparse.ArgumentParser(add_help=False)
    rg = run.add_argument_group("how to run")
    rg.add_argument(
        "--state",
        type=Path,
        default=DEFAULT_STATE,
        metavar="FILE",
        help=f"state file that makes the run resumable (default {DEFAULT_STATE})",
    )
    rg.add_argument("--dry-run", action="store_true", help="print the steps and make no AWS call")
    rg.add_argument(
        "--engine",
        choices=["auto", "region-switch", "direct"],
        default="auto",
        help="auto: the ARC Region switch plan when one is known, else direct steps",
    )
    rg.add_argument(
        "--desired-size",
        type=int,
        metavar="N",
        help="nodes per scaled node group (default: the primary's, else the max)",
    )
    rg.add_argument(
        "--poll-seconds",
        type=_seconds,
        default=10.0,
        metavar="S",
        help="pause between polls (default 10)",
    )
    rg.add_argument(
        "--wait-timeout-seconds",
        type=_seconds,
        default=1800.0,
        metavar="S",
        help="longest wait for one step before stopping, resumable (default 1800)",
    )

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dr",
        help="status, failover, failback and drills of a pilot-light DR pair",
        description="Operate a PilotLightDr pair against AWS: read its state, fail over, fail "
        "back and run drills. Failover and failback are idempotent and resumable.",
    )
    sub = parser.add_subparsers(dest="dr_command", metavar="SUBCOMMAND", required=True)
    status = sub.add_parser(
        "status",
        parents=[targets],
        help="show the pair's state",
        description="Health checks, Aurora global cluster members, writer "
        "and lag, node-group sizes, Kafka replication.",
    )
    status.set_defaults(handler=handle_status)
    failover = sub.add_parser(
        "failover",
        parents=[targets, run],
        help="move traffic to the standby region",
        description="Planned switchover (RPO 0) by default; --unplanned --allow-data-loss when "
        "the primary is unreachable.",
    )
    failover.add_argument(
        "--unplanned",
        action="store_true",
        help="the primary is unreachable: fail over without waiting for "
        "replication (needs --allow-data-loss)",
    )
    failover.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="consent to losing writes not yet replicated (with --unplanned)",
    )
    failover.set_defaults(handler=handle_failover, direction="failover")
    failback = sub.add_parser(
        "failback",
        parents=[targets, run],
        help="move traffic back to the primary region",
        description="Planned switchover back to the primary; refuses while the old primary's "
        "database is not caught up.",
    )
    failback.add_argument(
        "--max-lag-seconds",
        type=_seconds,
        default=1.0,
        metavar="S",
        help="refuse while the old primary lags more than this (default 1)",
    )
    failback.add_argument(
        "--keep-standby-scaled",
        action="store_true",
        help="leave the standby's node groups scaled up afterwards",
    )
    failback.add_argument(
        "--idle-size",
        type=int,
        default=None,
        metavar="N",
        help="node count the standby returns to (default: 0 for a cell pair; an observability "
        "stack's standby keeps the size its plan configures, and 0 is refused for it)",
    )
    failback.add_argument(
        "--keep-storage-writable",
        action="store_true",
        help=KEEP_STORAGE_WRITABLE_HELP,
    )
    failback.set_defaults(
        handler=handle_failover, direction="failback", unplanned=False, allow_data_loss=False
    )
    drill = sub.add_parser(
        "drill",
        parents=[targets, run],
        help="switch over to the standby and back, timed",
        description="A planned switchover to the standby and back, writing a report with each "
        "step's time and the measured RTO against the target and the budget.",
    )
    drill.add_argument(
        "--report-json",
        type=Path,
        default=Path("dr-drill.json"),
        metavar="FILE",
        help="drill report JSON (default dr-drill.json)",
    )
    drill.add_argument(
        "--report-md",
        type=Path,
        default=Path("dr-drill.md"),
        metavar="FILE",
        help="drill report Markdown (default dr-drill.md)",
    )
    drill.add_argument(
        "--hold-seconds",
        type=_seconds,
        default=0.0,
        metavar="S",
        help="stay on the standby this long before failing back",
    )
    drill.add_argument(
        "--max-lag-seconds",
        type=_seconds,
        default=1.0,
        metavar="S",
        help="the failback refuses while the primary lags more than this (default 1)",
    )
    drill.add_argument(
        "--idle-size",
        type=int,
        default=None,
        metavar="N",
        help="node count the standby returns to after the failback (default as for failback)",
    )
    drill.add_argument(
        "--keep-storage-writable",
        action="store_true",
        help=KEEP_STORAGE_WRITABLE_HELP,
    )
    drill.set_defaults(handler=handle_drill, keep_standby_scaled=False)


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _aws(args: argparse.Namespace) -> Any:
    from ..ops import AwsContext

    if args.max_attempts < 1:
        raise CommandError(f"--max-attempts {args.max_attempts} must be 1 or more")
    return AwsContext(
        profile=args.profile, endpoint_url=args.endpoint_url, max_attempts=args.max_attempts
    )


def _targets(args: argparse.Namespace, aws: Any) -> tuple[Any, list[str]]:
    from ..ops import TargetArgs, build_targets

    return build_targets(
        TargetArgs(
            primary_region=args.primary_region,
            standby_region=args.standby_region,
            global_cluster=args.global_cluster,
            node_groups=tuple(args.node_group),
            health_checks=tuple(args.health_check),
            dns_gates=tuple(args.dns_gate),
            replicator_arn=args.replicator_arn,
            region_switch_plan_arn=args.region_switch_plan_arn,
            plan_path=args.plan_path,
            rto_budget_seconds=args.rto_budget_seconds,
            rto_target_seconds=args.rto_target_seconds,
        ),
        aws,
    )


def _guard(func: Any) -> Any:
    """Turn :class:`OpsError` into :class:`CommandError` with its exit code."""

    def wrapper(args: argparse.Namespace) -> int:
        # Imported when a dr command runs, not when the parser is built: plan and check do
        # not load the DR operations code.
        from ..ops import OpsError

        try:
            code: int = func(args)
        except OpsError as exc:
            raise CommandError(str(exc), exit_code=exc.exit_code) from None
        return code

    wrapper.__doc__ = func.__doc__
    return wrapper


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        print(text, end="")


@_guard
def handle_status(args: argparse.Namespace) -> int:
    """Run ``dr status``."""
    from ..ops import collect_status, render_status

    aws = _aws(args)
    targets, notes = _targets(args, aws)
    for note in notes:
        _log(f"note: {note}")
    status = collect_status(aws, targets)
    _emit(args, status, render_status(status))
    return 0


def _spec(args: argparse.Namespace, direction: str) -> Any:
    from ..ops import Direction, Engine, Mode, OperationSpec

    return OperationSpec(
        direction=Direction(direction),
        mode=Mode.UNPLANNED if getattr(args, "unplanned", False) else Mode.PLANNED,
        engine=Engine.DIRECT,
        allow_data_loss=bool(getattr(args, "allow_data_loss", False)),
        desired_size=args.desired_size,
        idle_size=getattr(args, "idle_size", None),
        scale_down_after=not getattr(args, "keep_standby_scaled", False),
        demote_storage=not getattr(args, "keep_storage_writable", False),
    )


def _choose_engine(args: argparse.Namespace, spec: Any, targets: Any) -> Any:
    """Return ``spec`` with the engine the run uses; never a silent change of engine.

    ``--dry-run`` shows the Region switch plan the plan JSON names (it looks nothing up); a
    real run whose lookup of that plan fails must not run the direct steps instead, which would
    skip the plan's approval gates and its own ordering. It stops, and the operator chooses.

    Raises:
        CommandError: (exit code 4) when ``--engine auto`` cannot find the named plan.
    """
    import dataclasses

    from ..ops import Engine

    if args.engine == "region-switch" or (args.engine == "auto" and targets.region_switch_plan_arn):
        return dataclasses.replace(spec, engine=Engine.REGION_SWITCH)
    if args.engine == "auto" and targets.region_switch_plan_unresolved:
        raise CommandError(
            "the plan names an ARC Region switch plan, but it could not be resolved "
            f"({targets.region_switch_plan_unresolved}); refusing to switch to the direct "
            "steps silently (they skip the plan's approval gates). Pass --region-switch-plan "
            "ARN to use it, or --engine direct to run the direct steps on purpose.",
            exit_code=4,
        )
    return spec


def _engine_line(spec: Any, targets: Any) -> str:
    if str(spec.engine) == "region-switch":
        return f"region-switch (ARC Region switch plan {targets.region_switch_plan_arn})"
    return "direct (obs-platform calls Aurora, EKS and Route 53 itself)"


def _options(args: argparse.Namespace) -> Any:
    from ..ops import RunOptions

    if args.wait_timeout_seconds <= 0:
        raise CommandError(
            f"--wait-timeout-seconds {args.wait_timeout_seconds:g} must be above 0: a wait "
            "that times out at once can never succeed."
        )

    return RunOptions(
        state_path=args.state,
        poll_seconds=args.poll_seconds,
        wait_timeout_seconds=args.wait_timeout_seconds,
        max_lag_seconds=getattr(args, "max_lag_seconds", 1.0),
        log=_log,
    )


def _dry_run(args: argparse.Namespace, specs: list[Any]) -> int:
    from ..ops import plan_steps
    from ..ops.report import render_dry_run
    from ..ops.state import load_state
    from ..ops.steps import signature

    targets, notes = _targets(args, None)
    state = load_state(args.state)
    out: list[dict[str, Any]] = []
    text = ""
    for spec in specs:
        spec = _choose_engine(args, spec, targets)
        steps = plan_steps(spec, targets)
        done: set[str] = set()
        if (
            state is not None
            and state.status != "completed"
            and state.signature == signature(spec, targets)
        ):
            done = {k for k, v in state.steps.items() if v.get("status") == "done"}
        out.append(
            {
                "operation": str(spec.direction),
                "mode": str(spec.mode),
                "engine": str(spec.engine),
                "needs_consent": any(s.data_loss for s in steps),
                "steps": [dict(s.to_json(), done=s.step_id in done) for s in steps],
            }
        )
        path = (
            "graceful path: the primary is reachable, no data loss"
            if str(spec.mode) == "planned"
            else "ungraceful path: the primary is unreachable; runs only with --unplanned "
            "--allow-data-loss"
        )
        text += f"{spec.direction} ({spec.mode}, {spec.engine}; {path}):\n"
        text += render_dry_run(steps, done, [])
    text += "".join(f"note: {n}\n" for n in notes)
    _emit(args, {"dry_run": True, "operations": out, "notes": notes}, text)
    return 0


@_guard
def handle_failover(args: argparse.Namespace) -> int:
    """Run ``dr failover`` or ``dr failback``."""
    from ..ops import Runner
    from ..ops.report import render_operation

    if args.direction == "failover" and args.allow_data_loss and not args.unplanned:
        raise CommandError(
            "--allow-data-loss only applies with --unplanned; a planned "
            "switchover never loses data. Drop it, or add --unplanned."
        )
    spec = _spec(args, args.direction)
    if args.dry_run:
        specs = [spec]
        if args.direction == "failover" and not args.unplanned:
            # Show both paths, as AWS runs them: planned = graceful (switchover, RPO 0) and,
            # for when the primary is unreachable, unplanned = ungraceful (data loss allowed;
            # it runs only with --unplanned --allow-data-loss).
            import dataclasses

            from ..ops import Mode

            specs.append(dataclasses.replace(spec, mode=Mode.UNPLANNED, allow_data_loss=True))
        return _dry_run(args, specs)
    aws = _aws(args)
    targets, notes = _targets(args, aws)
    for note in notes:
        _log(f"note: {note}")
    spec = _choose_engine(args, spec, targets)
    _log(f"engine: {_engine_line(spec, targets)}")
    result = Runner(aws, targets, spec, _options(args)).run()
    _emit(args, result.to_json(), render_operation(result))
    return 0


@_guard
def handle_drill(args: argparse.Namespace) -> int:
    """Run ``dr drill``."""
    import dataclasses

    from ..ops import run_drill
    from ..ops.report import drill_markdown
    from ..ops.steps import Direction

    spec = _spec(args, "failover")
    if args.dry_run:
        return _dry_run(args, [spec, dataclasses.replace(spec, direction=Direction.FAILBACK)])
    aws = _aws(args)
    targets, notes = _targets(args, aws)
    for note in notes:
        _log(f"note: {note}")
    spec = _choose_engine(args, spec, targets)
    _log(f"engine: {_engine_line(spec, targets)}")
    report = run_drill(aws, targets, spec, _options(args), args.hold_seconds, notes)
    markdown = drill_markdown(report)
    for path, content in (
        (args.report_json, json.dumps(report, indent=2) + "\n"),
        (args.report_md, markdown),
    ):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        except OSError as exc:
            print(json.dumps(report, indent=2) if args.json else markdown)
            raise CommandError(
                f"the drill completed but {path} cannot be written: {exc.strerror}. The "
                "report is printed above; pass a writable --report-json/--report-md."
            ) from None
    _emit(args, report, markdown + f"\nReport written to {args.report_json} and {args.report_md}\n")
    return 0
