"""Human-readable rendering of a :class:`~obs_platform.testing.plan.Plan`."""

from __future__ import annotations

import json
from typing import Any

from .plan import STACK_TYPE, Plan, PlanResource


def _label(resource: PlanResource) -> str:
    marks = []
    if resource.region:
        marks.append(f"[{resource.region}]")
    if resource.protect:
        marks.append("protected")
    if resource.retain_on_delete:
        marks.append("retained")
    suffix = ("  " + " ".join(marks)) if marks else ""
    return f"{resource.type}  {resource.name}{suffix}"


def render_tree(plan: Plan) -> list[str]:
    """Return the component/resource tree, one line per resource, children indented."""
    children: dict[str | None, list[PlanResource]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent, []).append(resource)
    lines: list[str] = []

    def walk(resource: PlanResource, prefix: str, last: bool, root: bool) -> None:
        branch = "" if root else ("└─ " if last else "├─ ")
        lines.append(prefix + branch + _label(resource))
        kids = children.get(resource.urn, [])
        deeper = prefix if root else prefix + ("   " if last else "│  ")
        for index, child in enumerate(kids):
            walk(child, deeper, index == len(kids) - 1, False)

    for root in children.get(None, []):
        walk(root, "", True, True)
    return lines


def _format_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


_TERM_ORDER = (
    "detection_seconds",
    "dns_seconds",
    "database_seconds",
    "compute_seconds",
    "orchestration_seconds",
)


def render_budget(entry: dict[str, Any]) -> list[str]:
    """Return the lines that show one ``dr`` entry: RTO and RPO against targets, and terms."""
    rto, rto_target = entry.get("rto_seconds"), entry.get("rto_target_seconds")
    rpo, rpo_target = entry.get("rpo_seconds"), entry.get("rpo_target_seconds")
    verdict_rto = "meets" if rto is not None and rto_target and rto < rto_target else "MISSES"
    verdict_rpo = "meets" if rpo is not None and rpo_target and rpo < rpo_target else "MISSES"
    lines = [
        f"  {entry.get('primary_region')} -> {entry.get('standby_region')}"
        f"  ({entry.get('component', '').rsplit('::', 1)[-1]})",
        f"    RTO {rto} s, target {rto_target} s: {verdict_rto}",
        f"    RPO {rpo} s, target {rpo_target} s: {verdict_rpo}",
    ]
    verification = entry.get("verification")
    if isinstance(verification, dict):
        lines.append(f"    {_verification_line(verification)}")
    terms = entry.get("terms") or {}
    # The RTO formula's order first (DESIGN.md section 4), then the rest alphabetically: the
    # wire format does not keep the order the component wrote.
    ordered = sorted(
        terms, key=lambda t: (_TERM_ORDER.index(t) if t in _TERM_ORDER else len(_TERM_ORDER), t)
    )
    for term in ordered:
        seconds = terms[term]
        lines.append(f"      {term:<28} {seconds}")
    telemetry = entry.get("telemetry_rpo")
    if isinstance(telemetry, dict):
        lines += render_telemetry_rpo(telemetry)
    cost = entry.get("idle_cost")
    if isinstance(cost, dict):
        lines += render_idle_cost(cost)
    return lines


def render_telemetry_rpo(telemetry: dict[str, Any]) -> list[str]:
    """Return the lines of an observability stack's ``telemetry_rpo`` (logs and traces)."""
    verdict = "meets" if telemetry.get("meets_target") else "MISSES"
    traces = telemetry.get("traces_rpo_seconds")
    lines = [
        f"    Telemetry RPO {telemetry.get('rpo_seconds')} s, target "
        f"{telemetry.get('rpo_target_seconds')} s: {verdict} (logs "
        f"{telemetry.get('logs_rpo_seconds')} s, traces "
        f"{'not modelled' if traces is None else f'{traces} s'}; a promoted standby drains in "
        f"{telemetry.get('drain_seconds')} s)",
    ]
    for term, seconds in sorted((telemetry.get("terms") or {}).items()):
        lines.append(f"      {term:<28} {seconds}")
    lines += [f"      source: {source}" for source in telemetry.get("sources") or []]
    lines += [f"      note: {note}" for note in telemetry.get("notes") or []]
    return lines


def _usd(value: Any) -> str:
    return f"${value:,.2f}" if isinstance(value, int | float) else "unpriced"


def render_idle_cost(cost: dict[str, Any]) -> list[str]:
    """Return the lines that show a ``dr`` entry's idle cost: total, items, assumptions, options."""
    prices = cost.get("prices") or {}
    unpriced = cost.get("unpriced") or []
    head = (
        f"    Idle cost of the standby (estimate): ~{_usd(cost.get('monthly_usd'))}/month at "
        f"{prices.get('region')} list prices of {prices.get('as_of')}"
    )
    if prices.get("source", "").startswith("--prices"):
        head += f" ({prices['source']})"
    if unpriced:
        head += f"; {len(unpriced)} item(s) unpriced, not in the total"
    lines = [head]
    for item in cost.get("line_items") or []:
        detail = str(item.get("detail", ""))
        if item.get("monthly_usd") is None:
            detail += f"; set {item.get('price_setting')}"
        lines.append(
            f"      {item.get('item', ''):<36} {_usd(item.get('monthly_usd')):>10}  {detail}"
        )
    lines += [f"      note: {note}" for note in cost.get("notes") or []]
    lines.append("      assumptions:")
    lines += [f"        - {text}" for text in cost.get("assumptions") or []]
    options = cost.get("options") or []
    if options:
        lines.append("      one change at a time:")
        lines += [f"        - {option.get('text')}" for option in options]
    return lines


def _verification_line(verification: dict[str, Any]) -> str:
    """Say whether a drill measured the budget (``unverified`` until one did)."""
    status = verification.get("status")
    if status == "unverified":
        return "drill: unverified (no drill report given: PilotLightDrArgs.drill_report)"
    over = verification.get("steps_over_budget") or []
    return (
        f"drill {verification.get('drill_started_at')}: failover measured "
        f"{verification.get('measured_failover_seconds')} s against "
        f"{verification.get('budget_recovery_seconds')} s of budget after detection: {status}"
        + (f" (over their terms: {', '.join(map(str, over))})" if over else "")
    )


def render_plan(plan: Plan) -> str:
    """Return the full text ``obs-platform plan`` prints: tree, counts, outputs, DR budget."""
    resources = [r for r in plan.resources if r.type != STACK_TYPE]
    components = sum(1 for r in resources if not r.custom)
    lines = [
        f"Plan for project {plan.project!r}, stack {plan.stack!r}: "
        f"{len(resources)} resources ({components} components, "
        f"{len(resources) - components} custom)",
        "",
        *render_tree(plan),
        "",
        "Resources by type:",
    ]
    lines += [f"  {count:>4}  {type_token}" for type_token, count in plan.counts_by_type().items()]
    lines += ["", "Outputs:"]
    if plan.outputs:
        width = max(len(key) for key in plan.outputs)
        lines += [
            f"  {key:<{width}}  {_format_value(value)}"
            for key, value in sorted(plan.outputs.items())
        ]
    else:
        lines.append("  (none)")
    budgets = plan.dr()
    if budgets:
        lines += ["", "DR budget (worst case, from configuration):"]
        for entry in budgets:
            lines += render_budget(entry)
    if plan.diagnostics:
        lines += ["", "Diagnostics:", *(f"  {d}" for d in plan.diagnostics)]
    return "\n".join(lines) + "\n"
