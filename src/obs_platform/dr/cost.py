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
from typing import Any

from .._internal.cost import (
    CostEstimate,
    DatabaseInstances,
    HealthCheckUse,
    MskBrokers,
    NodePool,
    ScheduledFunction,
    StandbyInventory,
    estimate_idle_cost,
    merge_inventories,
)
from .._internal.cost_options import CostOption, evaluate_options, explain_costs
from .._internal.kafka_replication import MSK_BROKER_STORAGE_GB, MSK_BROKER_TYPE
from .._internal.rto import Budget, DrTimingConfig, compute_budget
from . import ungraceful
from .args import KafkaEngine, PilotLightDrArgs, automatic_ungraceful

__all__ = ["CostOption", "cost_options", "explain_costs", "idle_cost", "standby_inventory"]

_UNKNOWN_NODE_TYPE = "<DrSite.node_instance_type not given>"

AURORA_SIZES: tuple[str, ...] = (
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
    "32xlarge",
    "48xlarge",
)
"""Sizes of the memory-optimised Aurora classes (``db.r6g.large`` ... ``db.r6g.16xlarge``),
smallest first: ``large`` is the smallest of these families, so a ``large`` class has no
smaller one to offer."""


def smaller_instance_class(instance_class: str) -> str | None:
    """Return the next smaller size of a provisioned class in its family, or ``None``.

    ``db.r6g.2xlarge`` -> ``db.r6g.xlarge``; ``db.r6g.large`` (the smallest) and
    ``db.serverless`` (sized by capacity units, not by class) -> ``None``.
    """
    parts = instance_class.split(".")
    if len(parts) != 3 or parts[2] not in AURORA_SIZES:
        return None
    index = AURORA_SIZES.index(parts[2])
    return f"db.{parts[1]}.{AURORA_SIZES[index - 1]}" if index else None


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
    functions: tuple[ScheduledFunction, ...] = ()
    free: tuple[str, ...] = ()
    if automatic_ungraceful(args):
        functions = (
            ScheduledFunction(
                name="arc_ungraceful",
                memory_mb=ungraceful.MEMORY_MB,
                runs_per_hour=ungraceful.RUNS_PER_HOUR,
                log_retention_days=ungraceful.LOG_RETENTION_DAYS,
            ),
        )
        # Its runs on plan-execution events happen only during an execution: none while idle.
        free = (
            "the EventBridge rules that run the ungraceful-failover function (its schedule "
            "and the plan's execution events are events published by AWS services, which "
            "EventBridge does not charge for; EventBridge pricing, as quoted by wring.co and "
            "factualminds.com, 2026)",
        )
    own = StandbyInventory(
        region=site.region,
        nodes=nodes,
        databases=(
            (
                DatabaseInstances(
                    instance_class=db.standby_instance_class or db.instance_class,
                    count=db.standby_instances,
                ),
            )
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
        scheduled_functions=functions,
        free_items=free,
    )
    return merge_inventories(site.region, [base, own]), notes


def idle_cost(args: PilotLightDrArgs) -> CostEstimate:
    """Return the idle monthly cost estimate of the pair's standby."""
    inventory, notes = standby_inventory(args)
    return estimate_idle_cost(inventory, args.cost, notes=notes)


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

    # Cheaper: fewer warm nodes, fewer or no secondary instances, a smaller secondary class,
    # the standard interval.
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
    if db is not None and db.standby_instances >= 1:
        smaller = smaller_instance_class(db.standby_instance_class or db.instance_class)
        if smaller is not None:
            # The budget is unchanged (promotion does not depend on the class); the label says
            # what the change costs instead: the capacity after a failover.
            found.append(
                (
                    f"database.standby_instance_class={smaller} (less capacity after failover "
                    "until scaled up)",
                    with_db(standby_instance_class=smaller),
                    True,
                )
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
        One option per change: cheaper ones (fewer warm nodes, fewer secondary instances, a
        smaller secondary instance class, the 30 s health-check interval) and, for a budget
        that misses its RTO, the changes that add to the idle cost (a warm node, a secondary
        instance) where they lower the RTO.
    """
    return evaluate_options(
        budget,
        estimate,
        _changes(args, budget),
        budget_of=lambda changed: compute_budget(timing(changed)),
        cost_of=idle_cost,
    )
