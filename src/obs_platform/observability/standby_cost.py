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

from collections.abc import Mapping

from .._internal.cost import (
    CostAssumptions,
    CostEstimate,
    DatabaseInstances,
    HealthCheckUse,
    NodePool,
    StandbyInventory,
    estimate_idle_cost,
)
from .args import CapacityType, NodeGroupArgs, ObservabilityStackArgs
from .network import INTERFACE_ENDPOINTS

__all__ = ["stack_standby_cost", "stack_standby_idle_cost", "stack_standby_inventory"]


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
