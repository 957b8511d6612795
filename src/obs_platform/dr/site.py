"""One side of a pilot-light pair, described by the IDs the DR resources need."""

from __future__ import annotations

from typing import Any, Literal

import pulumi
from pydantic import Field, InstanceOf

from .._internal.cost import StandbyInventory
from .._internal.types import ArgsModel, Input, Region

_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$"


class DrSite(ArgsModel):
    """One region of a pilot-light pair: where its endpoints, cluster, database slot and Kafka are.

    A :class:`~obs_platform.cell.Cell` returns one from ``Cell.dr_site()``; build one by hand to
    join footprints that are not cells (or that live in other stacks, through
    ``StackReference`` outputs). Fields left ``None`` switch the matching part of the DR off or
    make :class:`~obs_platform.dr.pilot_light.PilotLightDr` refuse the configuration, saying
    which field is missing.
    """

    name: str = Field(pattern=_NAME_PATTERN)
    """Short name of the site (the cell's name, such as ``"eu-west-1"``); used in child names,
    record set identifiers and Kafka aliases."""
    region: Region
    """The site's AWS region."""
    healthz_host: Input[str]
    """Public host name Route 53 checks over HTTPS (health checkers cannot reach private
    endpoints)."""
    healthz_path: str = Field(default="/healthz", pattern=r"^/\S*$")
    """Path of the health endpoint."""
    record_target: Input[str] | None = None
    """Host name the failover record answers with (CNAME); ``None`` uses ``healthz_host``."""
    eks_cluster_name: Input[str] | None = None
    """The site's EKS cluster; ``None`` means it has none (the budget then refuses a standby)."""
    eks_cluster_arn: Input[str] | None = None
    """ARN of the EKS cluster, for the Region switch plan's scaling step."""
    node_group_asg_arn: Input[str] | None = None
    """Auto Scaling group of the site's nodes; the plan raises its capacity in parallel with the
    workloads, so scaling from zero needs no in-cluster autoscaler."""
    warm_nodes: int = Field(default=0, ge=0)
    """Nodes the site keeps running while passive (0 for a pure pilot light)."""
    node_instance_type: str | None = Field(default=None, min_length=1)
    """Instance type of those nodes, for the idle-cost estimate (``Cell.dr_site()`` gives the
    cell's first ``instance_types``); ``None`` leaves warm nodes unpriced."""
    idle_inventory: StandbyInventory | None = None
    """What the site keeps running while passive, apart from its warm nodes and what the DR
    itself creates (control plane, endpoints, load balancers, its own Kafka), for the plan's
    idle-cost estimate. ``Cell.dr_site()`` fills it from the cell's arguments; ``None`` (a site
    built by hand) prices only what the DR knows, and the estimate says so."""
    scaling_namespace: str = Field(default="app", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    """Kubernetes namespace of the workloads the plan scales up."""
    scaling_deployments: tuple[str, ...] = ("app",)
    """Deployments the plan scales in that namespace."""
    vpc_id: Input[str] | None = None
    """The site's VPC (for a database member placed in it from another account)."""
    vpc_cidr: Input[str] | None = None
    """The site's VPC CIDR (clients the database member admits)."""
    db_subnet_ids: Input[list[str]] | None = None
    """Private subnets a database member can use; shared through RAM when the member belongs to
    another account (``AuroraGlobalArgs.standby_in_primary_account``)."""
    db_subnet_group_name: Input[str] | None = None
    """DB subnet group the site's Aurora member is placed in."""
    db_security_group_ids: Input[list[str]] | None = None
    """Security groups of the site's Aurora member."""
    db_kms_key_arn: Input[str] | None = None
    """KMS key (in the site's region) that encrypts the site's Aurora member."""
    kafka_cluster_arn: Input[str] | None = None
    """The site's Amazon MSK cluster (MSK Replicator)."""
    kafka_bootstrap_servers: Input[str] | None = None
    """The site's Kafka bootstrap servers (MirrorMaker 2)."""
    kafka_subnet_ids: Input[list[str]] | None = None
    """Subnets the MSK Replicator reaches the site's cluster through."""
    kafka_security_group_ids: Input[list[str]] | None = None
    """Security groups the MSK Replicator uses toward the site's cluster."""
    kubernetes_provider: InstanceOf[pulumi.ProviderResource] | None = None
    """Kubernetes provider of the site's cluster (for the MirrorMaker 2 custom resource)."""
    provider: InstanceOf[pulumi.ProviderResource] | None = None
    """AWS provider of the site's account; ``None`` uses the DR component's own."""
    cross_account_role_arn: Input[str] | None = None
    """Role in the site's account the Region switch plan assumes, when the site lives in another
    account than the plan. ``None`` for a site in another account (its own ``provider``) makes
    the DR create ``{n}-arc-{role}-cross-account`` in that account, through that provider."""
    account_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    """The site's AWS account, when known as a plain value. Without it, a site whose ``provider``
    is not the primary's is taken to be in another account (what a per-account provider is for);
    give both sites' IDs to say that two providers reach one account."""
    dr_role: Literal["primary", "standby"] | None = None
    """The ``dr_role`` label the site's telemetry carries (``CellArgs.dr_role``); the DR refuses a
    standby site labelled ``primary``, whose standby-readiness alerts would never fire."""
    rds_global: bool | None = None
    """Whether the site's cell keeps a slot for an Aurora global-database member
    (``CellArgs.rds_global``); ``None`` when not known (a site built by hand)."""
    subnets_shared_with: tuple[Input[str], ...] = ()
    """Accounts the site's private subnets are shared with through RAM
    (``CellArgs.share_subnets_with``); a database member placed in the site's VPC from another
    account (``AuroraGlobalArgs.standby_in_primary_account``) needs them shared."""

    shared_subnets_ready: tuple[InstanceOf[pulumi.Resource], ...] = ()
    """The RAM resource and principal associations that share the site's subnets
    (``subnets_shared_with``), made in the same program (``Cell.dr_site`` passes them). A
    participant account sees a shared subnet only once the share's associations exist (VPC
    sharing, "Share your VPC with other accounts"), so a database member placed on these subnets
    from another account waits for them. Empty when the share lives in another stack (already
    deployed) or there is none."""

    def opts(self) -> dict[str, Any]:
        """Return ``ResourceOptions`` keyword arguments that place a child in the site's account."""
        return {"provider": self.provider} if self.provider is not None else {}
