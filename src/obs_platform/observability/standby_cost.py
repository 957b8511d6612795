"""The idle cost of the observability stack's standby in its ``dr_region``.

What a pilot-light copy of the stack keeps running while the primary serves: its EKS control
plane, its node groups at their desired size, the interface endpoints of
:data:`~obs_platform.observability.network.INTERFACE_ENDPOINTS` in each zone (when the stack
makes its own VPC), the internal ingest NLB, the Transit Gateway attachment, the Grafana
database's Aurora Serverless v2 secondary at its minimum capacity, the ingest health check and
the replication of the Loki and Tempo buckets. The quantities are priced by
:func:`obs_platform._internal.cost.estimate_idle_cost`, the same arithmetic as a
``PilotLightDr``'s standby, so both entries of the plan's ``dr`` section compare.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._internal.cost import (
    CostAssumptions,
    CostEstimate,
    DatabaseInstances,
    HealthCheckUse,
    NodePool,
    StandbyInventory,
    estimate_idle_cost,
)
from .._internal.cost_options import CostOption, evaluate_options
from .._internal.rto import Budget
from .args import CapacityType, NodeGroupArgs, ObservabilityStackArgs
from .network import INTERFACE_ENDPOINTS

__all__ = [
    "STANDBY_MIN_NODES",
    "stack_cost_options",
    "stack_standby_cost",
    "stack_standby_idle_cost",
    "stack_standby_inventory",
]

STANDBY_MIN_NODES = 2
"""The fewest nodes a cheaper-standby option keeps across the standby's node groups: two nodes
in two zones hold the operator, one Prometheus, the Alertmanager pair, the Grafana pair, Loki,
Tempo and the ingest gateway at idle load, so the standby can page and take ingest (concept page
*DR of the platform itself*); fewer is never offered as a saving."""

SERVERLESS_V2_MIN_ACU = 0.5
"""The lowest ``min_capacity_acu`` a cheaper-standby option offers. 0.5 ACU is the smallest
minimum on every Aurora version; 0 is allowed only where Serverless v2 auto-pause is supported
(RDS API reference, *ServerlessV2ScalingConfiguration*, ``MinCapacity``), and a paused instance
resumes only when a connection arrives, a wait the failover budget does not model, so 0 is not
offered."""


def stack_standby_inventory(
    *,
    region: str,
    az_count: int,
    node_groups: Mapping[str, NodeGroupArgs],
    grafana_standby_instances: int,
    grafana_min_capacity_acu: float,
    own_vpc: bool = True,
    transit_attached: bool = True,
    replicate_storage: bool = True,
) -> StandbyInventory:
    """Return what the stack's standby keeps running in ``region`` while passive.

    Args:
        region: The standby's region (``ObservabilityStackArgs.dr_region``).
        az_count: Zones of the standby's VPC (its interface endpoints have one interface each).
        node_groups: The standby's node groups; each runs ``desired_size`` nodes of its first
            instance type.
        grafana_standby_instances: Serverless v2 instances of Grafana's database secondary.
        grafana_min_capacity_acu: Their minimum capacity, which an idle one is billed.
        own_vpc: Whether the stack makes its VPC (and so its endpoints); a given VPC's
            endpoints belong to its owner.
        transit_attached: Whether the standby's VPC is attached to the Transit Gateway.
        replicate_storage: Whether the Loki and Tempo buckets replicate into the region.
    """
    nodes = tuple(
        NodePool(instance_type=group.instance_types[0], count=group.desired_size)
        for group in node_groups.values()
        if group.instance_types
    )
    return StandbyInventory(
        region=region,
        eks_clusters=1,
        nodes=nodes,
        databases=(
            DatabaseInstances(
                instance_class="db.serverless",
                count=grafana_standby_instances,
                serverless_min_acu=grafana_min_capacity_acu,
            ),
        ),
        database_storage=True,
        database_replication=True,
        interface_endpoints=len(INTERFACE_ENDPOINTS) if own_vpc else 0,
        interface_endpoint_azs=az_count if own_vpc else 0,
        network_load_balancers=1,
        transit_gateway_attachments=1 if own_vpc and transit_attached else 0,
        # The ingest failover's check watches a CloudWatch alarm; with Grafana's global
        # database the PRIMARY record's writer gate adds an alarm check on the writer and a
        # calculated check over both (observability/failover.py, dr/route53.create_writer_gate).
        health_checks=(
            HealthCheckUse(kind="cloudwatch-metric", count=2 if grafana_standby_instances else 1),
            *((HealthCheckUse(kind="calculated"),) if grafana_standby_instances else ()),
        ),
        object_replication=replicate_storage,
    )


def stack_standby_idle_cost(
    inventory: StandbyInventory,
    node_groups: Mapping[str, NodeGroupArgs],
    cost: CostAssumptions | None = None,
) -> CostEstimate:
    """Price the stack's standby, noting node groups that run Spot (priced at on-demand)."""
    spot = sorted(n for n, g in node_groups.items() if g.capacity_type is CapacityType.SPOT)
    notes = (
        [f"Node groups {spot} run Spot capacity: priced here at on-demand prices (an upper bound)."]
        if spot
        else []
    )
    return estimate_idle_cost(inventory, cost, notes=notes)


def stack_standby_cost(args: ObservabilityStackArgs) -> CostEstimate | None:
    """Return the idle cost of ``args``' standby (``None`` for a stack without one)."""
    standby = args.standby
    if standby is None or args.dr_region is None:
        return None
    inventory = stack_standby_inventory(
        region=args.dr_region,
        az_count=args.az_count,
        node_groups=standby.node_groups,
        grafana_standby_instances=standby.grafana_database.standby_instances,
        grafana_min_capacity_acu=standby.grafana_database.min_capacity_acu,
        # The standby makes its own VPC (and endpoints) unless given one; it attaches it to
        # the primary's TransitNetwork in dr_region (observability/standby.py).
        own_vpc=standby.vpc_id is None,
        transit_attached=args.transit is not None,
        replicate_storage=args.replicate_storage,
    )
    return stack_standby_idle_cost(inventory, standby.node_groups, standby.cost)


def _changes(
    args: ObservabilityStackArgs, budget: Budget
) -> list[tuple[str, ObservabilityStackArgs, bool]]:
    """Return ``(change, args, cheaper)`` for each one-setting change of the stack's standby."""
    standby = args.standby
    assert standby is not None
    db = standby.grafana_database
    found: list[tuple[str, ObservabilityStackArgs, bool]] = []

    def with_standby(**update: Any) -> ObservabilityStackArgs:
        return args.model_copy(update={"standby": standby.model_copy(update=update)})

    def with_group(name: str, size: int) -> tuple[str, ObservabilityStackArgs]:
        group = standby.node_groups[name]
        update: dict[str, int] = {"desired_size": size}
        change = f"standby.node_groups.{name}.desired_size={size}"
        if size < group.min_size:
            update["min_size"] = size
            change = f"standby.node_groups.{name}.min_size=desired_size={size}"
        if size > group.max_size:
            update["max_size"] = size
            change += f" (max_size={size})"
        groups = {**standby.node_groups, name: group.model_copy(update=update)}
        return change, with_standby(node_groups=groups)

    total = sum(group.desired_size for group in standby.node_groups.values())
    # Cheaper: fewer nodes (never below STANDBY_MIN_NODES in all), one secondary instance, the
    # lowest minimum capacity.
    for name, group in standby.node_groups.items():
        size = max(0, group.desired_size - (total - STANDBY_MIN_NODES))
        if size < group.desired_size:
            found.append((*with_group(name, size), True))
    if db.standby_instances > 1:
        change = "standby.grafana_database.standby_instances=1"
        found.append(
            (
                change,
                with_standby(grafana_database=db.model_copy(update={"standby_instances": 1})),
                True,
            )
        )
    if db.min_capacity_acu > SERVERLESS_V2_MIN_ACU:
        change = f"standby.grafana_database.min_capacity_acu={SERVERLESS_V2_MIN_ACU}"
        update = {"min_capacity_acu": SERVERLESS_V2_MIN_ACU}
        found.append((change, with_standby(grafana_database=db.model_copy(update=update)), True))
    # For a budget that misses: the fixes the findings name, with what they add.
    if not budget.meets_rto:
        if total < STANDBY_MIN_NODES:
            name, group = next(iter(standby.node_groups.items()))
            size = group.desired_size + STANDBY_MIN_NODES - total
            found.append((*with_group(name, size), False))
        if standby.health_alarm_evaluation_periods > 1:
            found.append(
                (
                    "standby.health_alarm_evaluation_periods=1",
                    with_standby(health_alarm_evaluation_periods=1),
                    False,
                )
            )
    return found


def stack_cost_options(
    args: ObservabilityStackArgs,
    budget: Budget,
    estimate: CostEstimate,
    budget_of: Callable[[ObservabilityStackArgs], Budget],
) -> list[CostOption]:
    """Change one standby setting at a time; say what it saves (or costs) and the RTO it gives.

    Args:
        args: The stack's arguments (with ``standby`` and ``dr_region``).
        budget: The standby's budget.
        estimate: Its idle-cost estimate (:func:`stack_standby_cost`).
        budget_of: How the stack budgets its arguments (``standby.standby_budget``).

    Returns:
        Cheaper options (fewer nodes down to :data:`STANDBY_MIN_NODES`, one Grafana secondary
        instance, :data:`SERVERLESS_V2_MIN_ACU`) and, for a budget that misses its RTO, the
        fixes that lower it (nodes up to the floor, one alarm period) with what they add.
    """

    def cost_of(changed: ObservabilityStackArgs) -> CostEstimate:
        after = stack_standby_cost(changed)
        assert after is not None
        return after

    return evaluate_options(
        budget, estimate, _changes(args, budget), budget_of=budget_of, cost_of=cost_of
    )
