"""``Cell``: one region's application footprint, ready to be a primary or a pilot-light standby.

A cell is built to the seed's contract::

    Cell("eu-west-1", CellArgs(region="eu-west-1", dr_strategy="pilot-light", replicas=0,
                               rds_global=True, kafka_replication=True))

and joined to another cell by :class:`~obs_platform.dr.pilot_light.PilotLightDr` through
:meth:`Cell.dr_site`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf, model_validator

from ._component import Component
from ._internal.errors import ObsPlatformError
from ._internal.types import ArgsModel, Cidr, Input, Region, Tags
from .cells.compute import NODE_POLICIES as NODE_POLICIES
from .cells.compute import create_compute, eks_provider_opts
from .cells.data import create_database, create_kafka
from .cells.health import create_ingress
from .cells.network import INTERFACE_ENDPOINTS as INTERFACE_ENDPOINTS
from .cells.network import create_endpoints, create_network, share_subnets
from .cells.telemetry import TELEMETRY_NAMESPACE as TELEMETRY_NAMESPACE
from .cells.telemetry import create_telemetry
from .dr.args import KafkaEngine
from .dr.site import DrSite
from .network.transit import TransitNetwork
from .network.vpc import check_vpc_sizes

__all__ = ["Cell", "CellArgs", "DrStrategy", "TelemetryArgs"]


class DrStrategy(StrEnum):
    """The cell's part in disaster recovery."""

    NONE = "none"
    """A single-region cell: its own Aurora cluster, nothing kept for a peer."""
    PILOT_LIGHT = "pilot-light"
    """Ready to be joined by a PilotLightDr: the cluster always exists, compute scales from zero,
    and the database member (with ``rds_global``) is owned by the DR."""


class TelemetryArgs(ArgsModel):
    """Where a cell ships telemetry: the central stack's ingest endpoints.

    Leave an endpoint ``None`` to not ship that signal; with none at all the collector runs with
    a debug exporter, so enabling shipping later changes only configuration.
    """

    metrics_remote_write_url: Input[str] | None = None
    """Prometheus remote-write URL (or Amazon Managed Prometheus' ``.../api/v1/remote_write``)."""
    logs_otlp_url: Input[str] | None = None
    """Loki's OTLP HTTP endpoint, such as ``https://loki.shared.internal/otlp``."""
    traces_otlp_endpoint: Input[str] | None = None
    """Tempo's OTLP gRPC endpoint, such as ``tempo.shared.internal:4317``."""


class CellArgs(ArgsModel):
    """Arguments of :class:`Cell`. Only ``region`` is required."""

    region: Region
    """The cell's region."""
    dr_strategy: DrStrategy = DrStrategy.NONE
    """``"pilot-light"`` to be joined by a PilotLightDr, ``"none"`` for a standalone cell."""
    replicas: int = Field(default=2, ge=0, le=100)
    """Initial desired size of the node group: 0 for a pilot-light standby. Pulumi ignores later
    drift of the desired size (the autoscaler and the Region switch plan own it), so a
    ``pulumi up`` during a failover never scales the standby back down."""
    max_replicas: int = Field(default=10, ge=1, le=450)
    """Largest size the node group may scale to."""
    rds_global: bool = False
    """Make the cell's Aurora cluster a member of a global database (owned by the PilotLightDr);
    the cell keeps the member's subnet group, security group and KMS key."""
    kafka_replication: bool = False
    """Run Kafka in the cell, as a source or target of cross-region replication."""
    kafka_engine: KafkaEngine = KafkaEngine.MSK
    """Amazon MSK (default; brokers exist even when compute is at zero) or Strimzi on the
    cell's own cluster (needs at least 3 nodes)."""
    kafka_advertised_host: str | None = None
    """Strimzi only: DNS name at which the cell's internal Kafka load balancer is reachable from
    the peer region (through the Transit Gateway); ``None`` advertises the in-cluster address."""
    ipam_pool_id: Input[str] | None = None
    """IPAM pool the VPC CIDR comes from (``Ipam.pool_id(region)``); ``None`` uses
    ``vpc_cidr``."""
    vpc_cidr: Cidr = "10.128.0.0/20"
    """Fallback VPC CIDR when no IPAM pool is given (keep cells' CIDRs distinct)."""
    vpc_netmask_length: int = Field(default=20, ge=16, le=24)
    """Size of the VPC allocated from the IPAM pool."""
    subnet_netmask_length: int = Field(default=22, ge=17, le=27)
    """Size of each private subnet."""
    az_count: int = Field(default=3, ge=2, le=6)
    """Availability zones (and private subnets); MSK puts one broker in each."""
    transit_network: InstanceOf[TransitNetwork] | None = None
    """The TransitNetwork to attach the VPC to (segment ``cells``); ``None`` leaves it
    unattached."""
    transit_routes: tuple[Cidr, ...] = ()
    """CIDRs the cell reaches through the Transit Gateway (such as the IPAM's top-level CIDR)."""
    kubernetes_version: str = Field(default="1.33", pattern=r"^1\.\d{2}$")
    """EKS Kubernetes version."""
    instance_types: tuple[str, ...] = ("m6i.large",)
    """Node instance types (x86_64, Amazon Linux 2023)."""
    workload_namespace: str = Field(default="app", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    """Namespace of the cell's workloads (the Region switch plan scales them)."""
    workload_deployments: tuple[str, ...] = ("app",)
    """Deployments the Region switch plan scales."""
    healthz_path: str = Field(default="/healthz", pattern=r"^/\S*$")
    """Path of the health endpoint the workloads serve."""
    api_domain_name: str | None = Field(
        default=None, pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$"
    )
    """The name clients use (the DR's ``record_name``, such as ``app.example.com``), served by
    this cell's API as a regional custom domain, so that TLS matches after a failover. ``None``
    serves only the API's default ``execute-api`` host (health checks, tests)."""
    api_certificate_arn: Input[str] | None = None
    """ACM certificate for ``api_domain_name`` in the cell's region (required with it)."""
    database_engine_version: str = Field(default="16.6", pattern=r"^\d+\.\d+$")
    """Aurora PostgreSQL version of a standalone cell's cluster."""
    database_instance_class: str = "db.r6g.large"
    """Instance class of a standalone cell's cluster."""
    database_instances: int = Field(default=2, ge=1, le=15)
    """Instances of a standalone cell's cluster."""
    telemetry: TelemetryArgs = Field(default_factory=TelemetryArgs)
    """Central ingest endpoints; by default nothing is shipped (debug exporter)."""
    cross_account_role_arn: Input[str] | None = None
    """Role in this cell's account that a PilotLightDr in another account assumes."""
    share_subnets_with: tuple[Input[str], ...] = ()
    """Accounts (IDs) the cell's private subnets are shared with through RAM, within the
    organization (no external principals): the primary account of a standby cell whose
    Aurora member lives there (``AuroraGlobalArgs.standby_in_primary_account``)."""
    standby: bool | None = None
    """Whether this cell is the DR standby. ``None`` infers it: a pilot-light cell kept at
    ``replicas=0`` is the standby. Set ``True`` for a warm standby that keeps nodes, so that its
    telemetry says ``dr_role=standby`` and the standby-readiness alerts watch it; ``False`` for
    a pilot-light primary at zero nodes. Needs ``dr_strategy="pilot-light"``."""
    protect: bool = True
    """Pulumi ``protect`` on the stateful children (KMS key, Aurora, MSK, EKS cluster)."""
    tags: Tags = Field(default_factory=dict)
    """Tags on every taggable child."""

    @model_validator(mode="after")
    def _standby_needs_pilot_light(self) -> CellArgs:
        if self.standby and self.dr_strategy is not DrStrategy.PILOT_LIGHT:
            raise ValueError(
                f"standby=True needs dr_strategy='pilot-light', got {self.dr_strategy.value!r}: "
                "only a pilot-light pair has a standby. Set dr_strategy='pilot-light' or leave "
                "standby unset."
            )
        return self

    @property
    def dr_role(self) -> Literal["primary", "standby"]:
        """The cell's part in disaster recovery, as its telemetry's ``dr_role`` label says.

        ``standby`` decides when set; otherwise ``"standby"`` for a pilot-light cell kept at
        ``replicas=0`` and ``"primary"`` for the rest (a standalone cell serves its own traffic).
        The DR alert rules count a standby's nodes by this label.
        """
        if self.standby is not None:
            return "standby" if self.standby else "primary"
        if self.dr_strategy is DrStrategy.PILOT_LIGHT and self.replicas == 0:
            return "standby"
        return "primary"


class Cell(Component[CellArgs]):
    """One region's application footprint.

    Children (``n`` is the cell's name; all in ``args.region``, in the account of the AWS provider
    passed in ``opts.providers``, or the default one):

    * ``{n}-kms`` (KMS key, rotation on, protected) and ``{n}-kms-alias``: encrypts EKS secrets,
      Aurora, MSK and node volumes;
    * the VPC: ``{n}-vpc`` with CIDR from ``ipam_pool_id`` (else ``vpc_cidr``), private subnets
      ``{n}-vpc-private-{i}`` in ``az_count`` zones, route tables; optionally attached to the
      TransitNetwork (segment ``cells``) with routes to ``transit_routes``; optionally its subnets
      shared through RAM (``{n}-subnet-share``) with ``share_subnets_with``;
    * VPC endpoints ``{n}-endpoint-{service}`` (:data:`INTERFACE_ENDPOINTS`, private DNS) and the
      S3 gateway endpoint ``{n}-endpoint-s3``, behind ``{n}-endpoints-sg``;
    * ``{n}-eks`` (``eks:index:Cluster``): private endpoint only, secrets encrypted with the
      cell's key, access entries (``API`` mode), control-plane logs; it always exists, because a
      control plane takes 13-16 minutes to create;
    * ``{n}-nodes`` (``aws:eks/nodeGroup:NodeGroup``): desired ``replicas``, min 0, max
      ``max_replicas``, launch template ``{n}-node-template`` with IMDSv2 required (hop limit 1)
      and encrypted gp3 volumes, role ``{n}-node-role``; tagged for cluster-autoscaler
      scale-from-zero;
    * database: ``{n}-db-subnets`` and ``{n}-db-sg`` always; with ``rds_global=False`` also the
      cell's own cluster ``{n}-db`` (protected, deletion protection, password in Secrets
      Manager) and instances ``{n}-db-{i}``. With ``rds_global=True`` the member cluster is
      created by PilotLightDr (see :mod:`obs_platform.dr.aurora` for why);
    * Kafka (``kafka_replication``): MSK ``{n}-kafka`` (IAM auth, TLS, KMS) with
      ``{n}-kafka-sg`` and, for pilot light, multi-VPC connectivity and the cluster policy
      ``{n}-kafka-policy`` that cross-region MSK Replicator requires; or Strimzi
      (``{n}-strimzi`` Helm release, ``{n}-kafka-pool`` and ``{n}-kafka`` custom resources);
    * ``/healthz`` exposure: ``{n}-api`` (API Gateway HTTP API) with VPC link ``{n}-api-link``
      to the internal NLB ``{n}-ingress`` (listener ``{n}-ingress-listener``, target group
      ``{n}-ingress-targets`` for the workloads' ingress). Why: Route 53 health checkers
      cannot reach private endpoints, and the API's default ``execute-api`` endpoint is public
      HTTPS with an AWS certificate, without public subnets, an internet gateway or a
      certificate to manage. The load balancer stays private. With ``api_domain_name`` the API
      also serves the clients' name as a regional custom domain (``{n}-api-domain``,
      ``{n}-api-mapping``), which the failover record points to;
    * telemetry: ``{n}-k8s`` (Kubernetes provider from the cluster's kubeconfig, after the node
      group) and the OpenTelemetry Collector DaemonSet in ``obs-telemetry``
      (:mod:`obs_platform._internal.cell_telemetry`), labelling everything with ``cell``,
      ``dr_role`` (:attr:`CellArgs.dr_role`), ``region`` and ``account``.

    pulumi-eks creates its resources through the AWS provider (it has no per-resource region):
    when no provider is passed and the stack's ``aws:region`` differs from the cell's, the cell
    makes ``{n}-aws`` for its region; a provider you pass must be configured for the cell's
    region.
    """

    TYPE_TOKEN = "obs-platform:cell:Cell"
    ARGS_TYPE = CellArgs

    vpc_id: pulumi.Output[str]
    """The cell's VPC."""
    subnet_ids: pulumi.Output[list[str]]
    """Its private subnets, one per zone."""
    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    cluster_arn: pulumi.Output[str]
    """The EKS cluster's ARN."""
    kubeconfig: pulumi.Output[Any]
    """Kubeconfig of the cluster (secret)."""
    node_group_name: pulumi.Output[str]
    """The node group's name."""
    node_group_asg_arn: pulumi.Output[str]
    """ARN of the node group's Auto Scaling group (the Region switch plan scales it)."""
    kms_key_arn: pulumi.Output[str]
    """The cell's KMS key."""
    account_id: pulumi.Output[str]
    """The AWS account the cell lives in."""
    healthz_url: pulumi.Output[str]
    """Public HTTPS URL of ``/healthz`` (what Route 53 checks)."""
    ingress_host: pulumi.Output[str]
    """Public host name of the cell's API endpoint."""
    api_id: pulumi.Output[str]
    """The API Gateway HTTP API that fronts the cell."""
    db_subnet_group_name: pulumi.Output[str]
    """DB subnet group for the cell's Aurora (member)."""
    db_security_group_id: pulumi.Output[str]
    """Security group of the cell's Aurora (member)."""
    database_endpoint: pulumi.Output[str | None]
    """Writer endpoint of a standalone cell's cluster (``None`` with ``rds_global``: use the DR's
    global cluster)."""
    kafka_cluster_arn: pulumi.Output[str | None]
    """The MSK cluster (``None`` without MSK)."""
    kafka_bootstrap_servers: pulumi.Output[str | None]
    """Kafka bootstrap servers (``None`` without Kafka)."""

    def __init__(
        self,
        name: str,
        args: CellArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._aws_provider = _aws_provider_of(opts)
        super().__init__(name, args, opts)

    def _check(self, args: CellArgs, label: str) -> None:
        vpc_length = (
            args.vpc_netmask_length
            if args.ipam_pool_id is not None
            else int(args.vpc_cidr.split("/")[1])
        )
        try:
            check_vpc_sizes(
                netmask_length=vpc_length,
                subnet_netmask_length=args.subnet_netmask_length,
                az_count=args.az_count,
            )
        except ObsPlatformError as exc:
            raise ObsPlatformError(
                f"{label}: {exc} (VPC /{vpc_length}, az_count={args.az_count})",
                field=f"CellArgs.{exc.field}",
                value=exc.value,
            ) from None
        if args.rds_global and args.dr_strategy is DrStrategy.NONE:
            raise ObsPlatformError(
                f"{label}: rds_global=True makes the cell's database a member of a global "
                "database owned by a PilotLightDr, but dr_strategy is 'none'.",
                field="CellArgs.rds_global",
                value=True,
                fix="Set dr_strategy='pilot-light' (and join the cell with PilotLightDr), or "
                "rds_global=False for a standalone database.",
            )
        if (
            args.kafka_replication
            and args.kafka_engine is KafkaEngine.STRIMZI
            and args.replicas < 3
        ):
            raise ObsPlatformError(
                f"{label}: Strimzi runs the brokers on the cell's own nodes, but replicas="
                f"{args.replicas} leaves fewer than 3 nodes for them (a pilot-light standby has "
                "none), so replication would have nowhere to write.",
                field="CellArgs.kafka_engine",
                value=args.kafka_engine.value,
                fix="Use kafka_engine='msk' (brokers independent of compute), or replicas >= 3.",
            )
        if (args.api_domain_name is None) != (args.api_certificate_arn is None):
            raise ObsPlatformError(
                f"{label}: api_domain_name and api_certificate_arn go together (a custom domain "
                "needs a certificate in the cell's region, and a certificate needs a name).",
                field="CellArgs.api_certificate_arn",
                value=args.api_domain_name,
                fix="Set both (an ACM certificate for the name, in the cell's region) or neither.",
            )
        if args.replicas > args.max_replicas:
            raise ObsPlatformError(
                f"{label}: replicas={args.replicas} exceeds max_replicas={args.max_replicas}.",
                field="CellArgs.replicas",
                value=args.replicas,
                fix=f"Raise max_replicas to at least {args.replicas}.",
            )

    # --- build -------------------------------------------------------------------------------

    def _build(self, args: CellArgs) -> dict[str, Any]:
        region = args.region
        self._cell_opts = eks_provider_opts(self, args, self._aws_provider)
        caller = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=self._aws_provider)
        )
        account = caller.account_id
        key = aws.kms.Key(
            self.child_name("kms"),
            region=region,
            description=f"Cell {self._name}: EKS secrets, Aurora, MSK, node volumes.",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=self.tags({"Name": self.child_name("kms"), "cell": self._name}),
            opts=self.child_opts(protect=args.protect),
        )
        aws.kms.Alias(
            self.child_name("kms-alias"),
            name=f"alias/obs-platform/{self._name}",
            target_key_id=key.key_id,
            region=region,
            opts=self.child_opts(),
        )
        vpc_id, subnet_ids, cidr, tables, self._subnets = create_network(
            self, args, self._aws_provider
        )
        share_subnets(self, args, self._subnets)
        create_endpoints(self, args, vpc_id, subnet_ids, cidr, tables)
        cluster_name, cluster_arn, cluster, nodes = create_compute(
            self, args, vpc_id, subnet_ids, key, account, self._cell_opts
        )
        db_group, db_sg, db_endpoint = create_database(self, args, vpc_id, subnet_ids, cidr, key)
        k8s_provider = k8s.Provider(
            self.child_name("k8s"),
            kubeconfig=cluster.kubeconfig_json,
            enable_server_side_apply=True,
            opts=self.child_opts(depends_on=[nodes]),
        )
        self._k8s_provider = k8s_provider
        asg_name = nodes.resources.apply(lambda found: found[0].autoscaling_groups[0].name)
        asg_arn = aws.autoscaling.get_group_output(
            name=asg_name,
            region=args.region,
            opts=pulumi.InvokeOutputOptions(parent=self, provider=self._aws_provider),
        ).arn
        kafka_arn, kafka_servers, kafka_sg = create_kafka(
            self, args, vpc_id, subnet_ids, cidr, key, k8s_provider
        )
        self._kafka_sg = kafka_sg
        api, host, self._record_target = create_ingress(self, args, vpc_id, subnet_ids, cidr)
        create_telemetry(self, args, account, k8s_provider)
        self._site = {
            "healthz_host": host,
            "record_target": self._record_target,
            "eks_cluster_name": cluster_name,
            "eks_cluster_arn": cluster_arn,
            "node_group_asg_arn": asg_arn,
            "vpc_id": vpc_id,
            "vpc_cidr": cidr,
            "db_subnet_ids": subnet_ids,
            "db_subnet_group_name": db_group.name,
            "db_security_group_ids": pulumi.Output.all(db_sg.id),
            "db_kms_key_arn": key.arn,
            "kafka_cluster_arn": kafka_arn,
            "kafka_bootstrap_servers": kafka_servers,
            "kafka_subnet_ids": subnet_ids if kafka_arn is not None else None,
            "kafka_security_group_ids": (
                pulumi.Output.all(kafka_sg.id) if kafka_sg is not None else None
            ),
        }
        return {
            "vpc_id": vpc_id,
            "subnet_ids": subnet_ids,
            "cluster_name": pulumi.Output.from_input(cluster_name),
            "cluster_arn": cluster_arn,
            "kubeconfig": pulumi.Output.secret(cluster.kubeconfig),
            "node_group_name": nodes.node_group_name,
            "node_group_asg_arn": asg_arn,
            "kms_key_arn": key.arn,
            "account_id": account,
            "healthz_url": pulumi.Output.concat("https://", host, args.healthz_path),
            "ingress_host": host,
            "db_subnet_group_name": db_group.name,
            "db_security_group_id": db_sg.id,
            "database_endpoint": pulumi.Output.from_input(db_endpoint),
            "kafka_cluster_arn": pulumi.Output.from_input(kafka_arn),
            "kafka_bootstrap_servers": pulumi.Output.from_input(kafka_servers),
            "api_id": api.id,
        }

    # --- DR -----------------------------------------------------------------------------------

    def dr_site(self) -> DrSite:
        """Return this cell as one side of a :class:`~obs_platform.dr.pilot_light.PilotLightDr`.

        Carries the cell's public ``/healthz`` host, EKS cluster, database placement, Kafka
        cluster, Kubernetes provider, AWS provider (its account) and initial node count.

        Raises:
            ObsPlatformError: If the cell's ``dr_strategy`` is ``"none"``.
        """
        if self.args.dr_strategy is DrStrategy.NONE:
            raise ObsPlatformError(
                f"Cell {self._name!r} has dr_strategy='none' and cannot be part of a PilotLightDr.",
                field="CellArgs.dr_strategy",
                value="none",
                fix="Create the cell with dr_strategy='pilot-light'.",
            )
        return DrSite(
            name=self._name,
            region=self.args.region,
            healthz_path=self.args.healthz_path,
            warm_nodes=self.args.replicas,
            scaling_namespace=self.args.workload_namespace,
            scaling_deployments=self.args.workload_deployments,
            kubernetes_provider=self._k8s_provider,
            provider=self._aws_provider,
            cross_account_role_arn=self.args.cross_account_role_arn,
            **self._site,
        )


def _aws_provider_of(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    """Return the AWS provider a caller passed in ``opts`` (``providers`` or ``provider``)."""
    if opts is None:
        return None
    providers = opts.providers
    if isinstance(providers, Mapping):
        found = providers.get("aws")
        if found is not None:
            return found
    elif providers:
        for provider in providers:
            if getattr(provider, "package", None) == "aws":
                return provider
    if opts.provider is not None and getattr(opts.provider, "package", None) == "aws":
        return opts.provider
    return None
