"""What a cheaper (or dearer) standby would buy: one setting changed, priced and budgeted.

Shared by both kinds of standby the plan's ``dr`` section prices: a
:class:`~obs_platform.dr.pilot_light.PilotLightDr`'s (``dr/cost.py``) and the observability
stack's own (``observability/standby_cost.py``). Each caller lists its one-setting changes;
:func:`evaluate_options` re-computes the budget and the estimate of each with the caller's own
functions and says what the change saves (or costs) and the RTO it gives. Pure arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .cost import CostEstimate
from .plan_figures import plain
from .rto import Budget

__all__ = ["CostOption", "evaluate_options", "explain_costs"]

_Args = TypeVar("_Args")


@dataclass(frozen=True)
class CostOption:
    """One setting changed, with what it does to the idle cost and to the budget.

    Attributes:
        change: The setting and its new value (``"standby.warm_nodes=0"``).
        monthly_usd_delta: Change of the idle cost (negative saves); ``None`` when an item it
            changes has no price.
        rto_seconds: The RTO budget with the change.
        rpo_seconds: The RPO budget with the change.
        meets_targets: Whether the changed configuration meets both targets.
        unpriced: The price settings that would make ``monthly_usd_delta`` known.
        cheaper: Whether the change makes the standby cheaper (fewer resources kept) rather
            than dearer (a change that makes a missing budget meet).
    """

    change: str
    monthly_usd_delta: float | None
    rto_seconds: float
    rpo_seconds: float
    meets_targets: bool
    unpriced: tuple[str, ...] = ()
    cheaper: bool = True

    def describe(self, budget: Budget) -> str:
        """Say what the change saves or costs, and what it does to the RTO."""
        delta = self.monthly_usd_delta
        if delta is None:
            money = "changes the idle cost by an unpriced amount (set " + ", ".join(self.unpriced)
            money += ")"
        elif delta == 0:
            money = "adds nothing to the priced idle cost"
        elif delta < 0:
            money = f"saves ~${-delta:,.2f}/month"
        else:
            money = f"costs ~${delta:,.2f}/month more"
        rto = _fmt(self.rto_seconds)
        moved = self.rto_seconds - budget.rto_seconds
        shift = "unchanged" if moved == 0 else f"{'+' if moved > 0 else ''}{_fmt(moved)} s"
        verdict = (
            f"meets the targets (RTO {rto} s, {shift})"
            if self.meets_targets
            else f"misses the targets (RTO {rto} s, {shift}; target {budget.rto_target_seconds} s)"
        )
        return f"{self.change}: {money}; {verdict}"

    def as_output(self, budget: Budget) -> dict[str, Any]:
        """Return the option as the plan's ``idle_cost.options`` entries show it."""
        return {
            "change": self.change,
            "text": self.describe(budget),
            "monthly_usd_delta": self.monthly_usd_delta,
            "rto_seconds": plain(self.rto_seconds),
            "rpo_seconds": plain(self.rpo_seconds),
            "meets_targets": self.meets_targets,
            "unpriced": list(self.unpriced),
            "cheaper": self.cheaper,
        }


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _delta(before: CostEstimate, after: CostEstimate) -> tuple[float | None, tuple[str, ...]]:
    """Return the change of the total and the unpriced settings of the items that changed."""
    old = {i.item: i for i in before.line_items}
    new = {i.item: i for i in after.line_items}
    unpriced: list[str] = []
    total = 0.0
    for name in dict.fromkeys([*old, *new]):
        a, b = old.get(name), new.get(name)
        if a is not None and b is not None and a.quantity == b.quantity:
            continue
        for item in (a, b):
            if item is not None and item.unit_price is None:
                unpriced.append(f"PriceTable.{item.price_setting}")
        total += (b.monthly_usd or 0.0 if b else 0.0) - (a.monthly_usd or 0.0 if a else 0.0)
    if unpriced:
        return None, tuple(dict.fromkeys(unpriced))
    return round(total, 2), ()


def explain_costs(budget: Budget, estimate: CostEstimate, options: list[CostOption]) -> str:
    """Return the lines a refusal (or warning) adds about the standby's idle cost."""
    lines = [f"Idle cost of the standby: {estimate.summary()}."]
    cheaper = [o for o in options if o.cheaper]
    dearer = [o for o in options if not o.cheaper]
    if budget.meets_targets:
        keep = [o for o in cheaper if o.meets_targets]
        lines += [f"  - cheaper and still meets: {o.describe(budget)}" for o in keep]
    else:
        lines += [
            f"  - {'to meet' if o.meets_targets else 'lowers the RTO'}: {o.describe(budget)}"
            for o in dearer
        ]
        lines += [f"  - cheaper: {o.describe(budget)}" for o in cheaper]
    return "\n".join(lines)


def evaluate_options(
    budget: Budget,
    estimate: CostEstimate,
    changes: Iterable[tuple[str, _Args, bool]],
    *,
    budget_of: Callable[[_Args], Budget],
    cost_of: Callable[[_Args], CostEstimate],
) -> list[CostOption]:
    """Budget and price each ``(change, changed_args, cheaper)``.

    Args:
        budget: The budget of the arguments as given.
        estimate: Their idle-cost estimate.
        changes: One-setting changes: the setting and its new value, the changed arguments,
            and whether the change keeps fewer resources (``True``) or more (a fix for a
            budget that misses).
        budget_of: How the caller budgets arguments.
        cost_of: How the caller prices arguments.

    Returns:
        One option per change; a dearer change that does not lower the RTO is left out (it
        buys nothing).
    """
    options: list[CostOption] = []
    for change, changed, cheaper in changes:
        after = budget_of(changed)
        if not cheaper and after.rto_seconds >= budget.rto_seconds:
            continue
        delta, unpriced = _delta(estimate, cost_of(changed))
        options.append(
            CostOption(
                change=change,
                monthly_usd_delta=delta,
                rto_seconds=after.rto_seconds,
                rpo_seconds=after.rpo_seconds,
                meets_targets=after.meets_targets,
                unpriced=unpriced,
                cheaper=cheaper,
            )
        )
    return options
