"""Human-readable output of operations and the drill report (JSON and Markdown)."""

from __future__ import annotations

from typing import Any

from .._internal.rto import DRILL_FORMAT
from .runner import OperationResult
from .steps import Step

__all__ = ["DRILL_FORMAT", "drill_markdown", "drill_report", "render_dry_run", "render_operation"]


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _verdict(within: bool | None) -> str:
    return "-" if within is None else ("yes" if within else "NO")


def render_dry_run(steps: list[Step], done: set[str], notes: list[str]) -> str:
    """Return the steps a run would take, marking those a state file records as done."""
    lines = ["Dry run: no AWS call is made. Steps:"]
    for number, step in enumerate(steps, 1):
        flags = []
        if step.step_id in done and step.step_id != "preflight":
            flags.append("done earlier, skipped")
        if step.data_loss:
            flags.append("CAN LOSE DATA")
        if not step.counts_toward_rto:
            flags.append("after recovery")
        extra = f"  [{', '.join(flags)}]" if flags else ""
        lines.append(f"  {number}. {step.step_id}: {step.description} ({step.region}){extra}")
    lines.extend(f"note: {n}" for n in notes)
    return "\n".join(lines) + "\n"


def render_operation(result: OperationResult) -> str:
    """Return a finished operation's summary for the terminal."""
    data = result.to_json()
    lines = [
        f"{data['operation'].capitalize()} ({data['mode']}) {data['from_region']} -> "
        f"{data['to_region']} via {data['engine']}: completed"
        + (" (resumed)" if data["resumed"] else "")
    ]
    lines.append(f"  {'step':<44} {'outcome':<8} {'measured s':>10} {'budget s':>9} within")
    for step in result.steps:
        lines.append(
            f"  {step.step.step_id:<44} {step.outcome:<8} "
            f"{_seconds(step.measured_seconds):>10} {_seconds(step.budget_seconds):>9} "
            f"{_verdict(step.within_budget)}"
        )
    lines.append(_rto_line(data))
    lines.append(f"State: {data['state_file']}")
    return "\n".join(lines) + "\n"


def _rto_line(data: dict[str, Any]) -> str:
    rto = data["measured_rto_seconds"]
    if rto is None:
        return "Measured RTO: nothing had to change (every step was already in effect)"
    parts = [f"Measured RTO {rto:.1f} s (from the first change to ready; detection not included)"]
    if data["rto_target_seconds"] is not None:
        parts.append(
            f"target {data['rto_target_seconds']:g} s: "
            f"{'met' if data['within_target'] else 'MISSED'}"
        )
    if data["rto_budget_seconds"] is not None:
        parts.append(
            f"budget {data['rto_budget_seconds']:g} s: "
            f"{'within' if data['within_budget'] else 'OVER'}"
        )
    return "; ".join(parts)


def drill_report(
    phases: list[OperationResult], started_at: str, notes: list[str]
) -> dict[str, Any]:
    """Return the drill report as JSON-ready data."""
    data = [p.to_json() for p in phases]
    measured = [d["measured_rto_seconds"] for d in data if d["measured_rto_seconds"] is not None]
    target = next((d["rto_target_seconds"] for d in data if d["rto_target_seconds"]), None)
    budget = next((d["rto_budget_seconds"] for d in data if d["rto_budget_seconds"]), None)
    worst = max(measured) if measured else None
    return {
        "format": DRILL_FORMAT,
        "started_at": started_at,
        "primary_region": data[0]["from_region"] if data else None,
        "standby_region": data[0]["to_region"] if data else None,
        "phases": data,
        "summary": {
            "failover_rto_seconds": data[0]["measured_rto_seconds"] if data else None,
            "failback_rto_seconds": data[1]["measured_rto_seconds"] if len(data) > 1 else None,
            "worst_rto_seconds": worst,
            "rto_target_seconds": target,
            "rto_budget_seconds": budget,
            "within_target": None if worst is None or target is None else worst <= target,
            "within_budget": None if worst is None or budget is None else worst <= budget,
        },
        "notes": notes,
    }


def drill_markdown(report: dict[str, Any]) -> str:
    """Return the drill report as Markdown."""
    summary = report["summary"]
    lines = [
        f"# DR drill {report['primary_region']} -> {report['standby_region']} and back",
        "",
        f"Started {report['started_at']}. Planned switchover (RPO 0) both ways.",
        "",
        "| | measured RTO (s) | target (s) | within target | budget (s) | within budget |",
        "|---|---:|---:|---|---:|---|",
    ]
    for name, key in (("failover", "failover_rto_seconds"), ("failback", "failback_rto_seconds")):
        rto = summary[key]
        target, budget = summary["rto_target_seconds"], summary["rto_budget_seconds"]
        lines.append(
            f"| {name} | {_seconds(rto)} | {_seconds(target)} | "
            f"{_verdict(None if rto is None or target is None else rto <= target)} | "
            f"{_seconds(budget)} | "
            f"{_verdict(None if rto is None or budget is None else rto <= budget)} |"
        )
    lines.extend(
        [
            "",
            "The measured RTO runs from the first change to the last readiness check; "
            "it does not include failure detection, which a drill skips.",
            "",
        ]
    )
    for phase in report["phases"]:
        lines.append(
            f"## {phase['operation'].capitalize()}: {phase['from_region']} -> "
            f"{phase['to_region']} ({phase['engine']})"
        )
        lines.extend(
            [
                "",
                "| step | outcome | measured (s) | budget (s) | within |",
                "|---|---|---:|---:|---|",
            ]
        )
        for step in phase["steps"]:
            measured = (
                step["ready_after_seconds"]
                if step["ready_after_seconds"] is not None
                else step["seconds"]
            )
            lines.append(
                f"| {step['description']} | {step['outcome']} | {_seconds(measured)} | "
                f"{_seconds(step['budget_seconds'])} | "
                f"{_verdict(step['within_budget'])} |"
            )
        lines.append("")
    if report["notes"]:
        lines.append("## Notes")
        lines.append("")
        lines.extend(f"- {note}" for note in report["notes"])
        lines.append("")
    return "\n".join(lines)
