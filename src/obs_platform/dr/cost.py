"""The idle cost of a pilot-light pair's standby, and what a cheaper (or dearer) one would buy.

:func:`standby_inventory` collects what the standby keeps while passive: the standby site's own
inventory (``DrSite.idle_inventory``, which ``Cell.dr_site()`` fills), its warm nodes, and what
:class:`~obs_platform.dr.pilot_light.PilotLightDr` itself keeps there (the Aurora secondary, the
DR-created MSK cluster, the MSK Replicator) plus the pair's Route 53 health checks and the
replication traffic into the standby. :func:`cost_options` then changes one setting at a time
towards a cheaper standby, re-computes both the budget and the estimate with the same
functions, and says what each change saves and what it costs in RTO; for a budget that misses,
it also prices the changes that would make it meet. Pure arithmetic on the arguments: nothing
here registers a resource.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._internal.cost import (
    CostEstimate,
    DatabaseInstances,
    HealthCheckUse,
    MskBrokers,
    NodePool,
    StandbyInventory,
    estimate_idle_cost,
    merge_inventories,
)
from .._internal.kafka_replication import MSK_BROKER_STORAGE_GB, MSK_BROKER_TYPE
from .._internal.rto import Budget, DrTimingConfig, compute_budget
from .args import KafkaEngine, PilotLightDrArgs

__all__ = ["CostOption", "cost_options", "explain_costs", "idle_cost", "standby_inventory"]

_UNKNOWN_NODE_TYPE = "<DrSite.node_instance_type not given>"


def standby_inventory(args: PilotLightDrArgs) -> tuple[StandbyInventory, list[str]]:
    """Return what the pair's standby keeps running while passive, and notes on its gaps."""
    site = args.standby
    notes: list[str] = []
    base = site.idle_inventory
    if base is None:
        notes.append(
            f"The standby site {site.name!r} gives no idle_inventory (a site built by hand): its "
            "control plane, endpoints and load balancers are not priced; give "
            "DrSite.idle_inventory (Cell.dr_site() does)."
        )
        base = StandbyInventory(region=site.region)
    nodes: tuple[NodePool, ...] = ()
    if site.warm_nodes:
        nodes = (
            NodePool(
                instance_type=site.node_instance_type or _UNKNOWN_NODE_TYPE,
                count=site.warm_nodes,
            ),
        )
    db = args.database
    kafka = args.kafka
    msk = kafka is not None and kafka.engine is KafkaEngine.MSK
    checks = [
        HealthCheckUse(
            kind="endpoint",
            aws_endpoint=args.cost.health_check_targets_in_aws,
            # HTTPS always; the fast (10 s) interval is a second optional feature.
            optional_features=1 + (1 if args.health_check_interval_seconds == 10 else 0),
        )
    ]
    if db is not None:
        # The failback gate (route53.py): a CloudWatch-alarm check and a calculated check.
        checks += [HealthCheckUse(kind="cloudwatch-metric"), HealthCheckUse(kind="calculated")]
    if kafka is not None and not msk:
        notes.append(
            "MirrorMaker 2 runs on the standby's nodes: its workers are priced only as the "
            "standby's warm nodes."
        )
    own = StandbyInventory(
        region=site.region,
        nodes=nodes,
        databases=(
            (DatabaseInstances(instance_class=db.instance_class, count=db.standby_instances),)
            if db is not None
            else ()
        ),
        database_storage=db is not None,
        database_replication=db is not None,
        msk=(
            (
                MskBrokers(
                    broker_type=MSK_BROKER_TYPE,
                    count=kafka.standby_broker_nodes,
                    storage_gb_per_broker=MSK_BROKER_STORAGE_GB,
                ),
            )
            if kafka is not None and msk and kafka.standby_in_primary_account
            else ()
        ),
        msk_replicators=1 if msk else 0,
        kafka_replication=kafka is not None,
        health_checks=tuple(checks),
    )
    return merge_inventories(site.region, [base, own]), notes


def idle_cost(args: PilotLightDrArgs) -> CostEstimate:
    """Return the idle monthly cost estimate of the pair's standby."""
    inventory, notes = standby_inventory(args)
    return estimate_idle_cost(inventory, args.cost, notes=notes)


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
        elif delta <= 0:
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
            "rto_seconds": _plain(self.rto_seconds),
            "rpo_seconds": _plain(self.rpo_seconds),
            "meets_targets": self.meets_targets,
            "unpriced": list(self.unpriced),
            "cheaper": self.cheaper,
        }


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 3)


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


def _changes(args: PilotLightDrArgs, budget: Budget) -> list[tuple[str, PilotLightDrArgs, bool]]:
    """Return ``(change, args, cheaper)`` for each one-setting change.

    Towards a cheaper standby and, for a budget that misses, towards the configuration that
    meets it.
    """
    site = args.standby
    db = args.database
    found: list[tuple[str, PilotLightDrArgs, bool]] = []

    def with_site(**update: Any) -> PilotLightDrArgs:
        return args.model_copy(update={"standby": site.model_copy(update=update)})

    def with_db(**update: Any) -> PilotLightDrArgs:
        assert db is not None
        return args.model_copy(update={"database": db.model_copy(update=update)})

    # Cheaper: fewer warm nodes, fewer or no secondary instances, the standard interval.
    if site.warm_nodes > 1:
        found.append(("standby.warm_nodes=1", with_site(warm_nodes=1), True))
    if site.warm_nodes >= 1:
        found.append(("standby.warm_nodes=0", with_site(warm_nodes=0), True))
    if db is not None and db.standby_instances > 1:
        found.append(("database.standby_instances=1", with_db(standby_instances=1), True))
    if db is not None and db.standby_instances >= 1:
        found.append(
            ("database.standby_instances=0 (headless)", with_db(standby_instances=0), True)
        )
    if args.health_check_interval_seconds == 10:
        found.append(
            (
                "health_check_interval_seconds=30",
                args.model_copy(update={"health_check_interval_seconds": 30}),
                True,
            )
        )
    # Dearer, when the budget misses: the changes its findings name that add to the idle cost.
    if not budget.meets_rto:
        if site.warm_nodes == 0 and site.eks_cluster_arn is not None:
            found.append(("standby.warm_nodes=1", with_site(warm_nodes=1), False))
        if db is not None and db.standby_instances == 0:
            found.append(("database.standby_instances=1", with_db(standby_instances=1), False))
    return found


def cost_options(
    args: PilotLightDrArgs,
    budget: Budget,
    estimate: CostEstimate,
    timing: Callable[[PilotLightDrArgs], DrTimingConfig],
) -> list[CostOption]:
    """Change one setting at a time and say what it saves (or costs) and what the budget becomes.

    Args:
        args: The pair's arguments.
        budget: Their budget.
        estimate: Their idle-cost estimate.
        timing: How the budget reads the arguments (``pilot_light.timing_config``).

    Returns:
        One option per change: cheaper ones (fewer warm nodes, fewer secondary instances, the
        30 s health-check interval) and, for a budget that misses its RTO, the changes that
        add to the idle cost (a warm node, a secondary instance) where they lower the RTO.
    """
    options: list[CostOption] = []
    for change, changed, cheaper in _changes(args, budget):
        after = compute_budget(timing(changed))
        if not cheaper and after.rto_seconds >= budget.rto_seconds:
            continue  # a dearer change that does not lower the RTO buys nothing
        delta, unpriced = _delta(estimate, idle_cost(changed))
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
