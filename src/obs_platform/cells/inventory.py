"""What a cell keeps running while it waits as a standby: the inventory of its idle cost.

Derived from the same arguments that decide what :class:`~obs_platform.cell.Cell` creates, so
that the estimate follows the resources (``tests/test_cost.py`` checks the counts against the
plan of a standby cell). The cell's warm nodes are not in it: the DR prices them from
``DrSite.warm_nodes`` and ``DrSite.node_instance_type``, which its budget also reads.
"""

from __future__ import annotations

from .._internal.cost import DatabaseInstances, MskBrokers, StandbyInventory
from .._internal.kafka_replication import MSK_BROKER_STORAGE_GB, MSK_BROKER_TYPE
from ..dr.args import KafkaEngine
from .args import CellArgs
from .network import INTERFACE_ENDPOINTS

__all__ = ["cell_idle_inventory"]


def cell_idle_inventory(args: CellArgs) -> StandbyInventory:
    """Return what a cell built from ``args`` keeps running, apart from its nodes.

    Every cell has an EKS control plane, the interface endpoints of
    :data:`~obs_platform.cells.network.INTERFACE_ENDPOINTS` in each of its ``az_count`` subnets
    (the S3 gateway endpoint is free), the internal NLB in front of its ingress and no NAT
    gateway; an attached cell has a Transit Gateway attachment; with ``kafka_replication`` and
    MSK, an MSK cluster of one ``kafka.m7g.large`` broker per zone; without ``rds_global``, its
    own Aurora cluster. The HTTP API is billed per request.
    """
    attached = args.transit_network is not None or args.transit_gateway is not None
    msk = args.kafka_replication and args.kafka_engine is KafkaEngine.MSK
    return StandbyInventory(
        region=args.region,
        eks_clusters=1,
        interface_endpoints=len(INTERFACE_ENDPOINTS),
        interface_endpoint_azs=args.az_count,
        network_load_balancers=1,
        transit_gateway_attachments=1 if attached else 0,
        msk=(
            (
                MskBrokers(
                    broker_type=MSK_BROKER_TYPE,
                    count=args.az_count,
                    storage_gb_per_broker=MSK_BROKER_STORAGE_GB,
                ),
            )
            if msk
            else ()
        ),
        databases=(
            ()
            if args.rds_global
            else (
                DatabaseInstances(
                    instance_class=args.database_instance_class, count=args.database_instances
                ),
            )
        ),
        database_storage=not args.rds_global,
        free_items=(
            "API Gateway HTTP API (billed per request, no hourly charge: AWS whitepaper 'Best "
            "Practices for Designing Amazon API Gateway Private APIs', Cost optimization)",
        ),
    )
