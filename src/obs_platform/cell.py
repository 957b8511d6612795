"""``Cell``: one region's application footprint, ready to be a primary or a pilot-light standby.

A cell is built to the seed's contract::

    Cell("eu-west-1", CellArgs(region="eu-west-1", dr_strategy="pilot-light", replicas=0,
                               rds_global=True, kafka_replication=True))

and joined to another cell by :class:`~obs_platform.dr.pilot_light.PilotLightDr` through
:meth:`Cell.dr_site`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s
from pydantic import Field, InstanceOf

from ._component import Component
from ._internal.cell_telemetry import COLLECTOR_IMAGE, collector_config
from ._internal.charts import STRIMZI_KAFKA_OPERATOR
from ._internal.cidr import subnets as carve_subnets
from ._internal.errors import ObsPlatformError
from ._internal.iam import service_trust_policy
from ._internal.types import ArgsModel, Cidr, Input, Region, Tags
from .dr.aurora import create_db_placement
from .dr.pilot_light import KafkaEngine
from .dr.site import DrSite
from .network.transit import TransitNetwork
from .network.vpc import check_vpc_sizes, create_private_vpc

__all__ = ["Cell", "CellArgs", "DrStrategy", "TelemetryArgs"]

INTERFACE_ENDPOINTS = (
    "ec2",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "eks",
    "eks-auth",
    "elasticloadbalancing",
    "secretsmanager",
    "kafka",
)
"""Interface endpoints a private cell needs: nodes join (ec2, eks, sts), pull images (ecr.*
plus the S3 gateway endpoint), ship logs, use Pod Identity (eks-auth), and reach the Secrets
Manager and MSK APIs without a NAT gateway."""

NODE_POLICIES = {
    "worker": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "cni": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "ecr": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "ssm": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
}
"""Managed policies of the node role (the AWS-documented minimum, plus SSM instead of SSH)."""

TELEMETRY_NAMESPACE = "obs-telemetry"


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
    protect: bool = True
    """Pulumi ``protect`` on the stateful children (KMS key, Aurora, MSK, EKS cluster)."""
    tags: Tags = Field(default_factory=dict)
    """Tags on every taggable child."""

    @property
    def dr_role(self) -> Literal["primary", "standby"]:
        """The cell's part in disaster recovery, as its telemetry's ``dr_role`` label says.

        ``"standby"`` for a pilot-light cell kept at ``replicas=0``; ``"primary"`` otherwise
        (a standalone cell serves its own traffic). The DR alert rules count a standby's nodes
        by this label.
        """
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
        self._cell_opts = self._regional_provider(args)
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
        vpc_id, subnet_ids, cidr, tables = self._network(args)
        self._share_subnets(args)
        self._endpoints(args, vpc_id, subnet_ids, cidr, tables)
        cluster_name, cluster_arn, cluster, nodes = self._compute(
            args, vpc_id, subnet_ids, key, account
        )
        db_group, db_sg, db_endpoint = self._database(args, vpc_id, subnet_ids, cidr, key)
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
        kafka_arn, kafka_servers, kafka_sg = self._kafka(
            args, vpc_id, subnet_ids, cidr, key, k8s_provider
        )
        self._kafka_sg = kafka_sg
        api, host = self._ingress(args, vpc_id, subnet_ids, cidr)
        self._telemetry(args, account, k8s_provider)
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

    def _share_subnets(self, args: CellArgs) -> None:
        """Share the private subnets through RAM (VPC sharing) with ``share_subnets_with``."""
        if not args.share_subnets_with:
            return
        share = aws.ram.ResourceShare(
            self.child_name("subnet-share"),
            name=self.child_name("subnet-share"),
            allow_external_principals=False,
            region=args.region,
            tags=self.tags({"Name": self.child_name("subnet-share")}),
            opts=self.child_opts(),
        )
        for index, subnet in enumerate(self._subnets):
            aws.ram.ResourceAssociation(
                self.child_name(f"subnet-share-{index}"),
                resource_share_arn=share.arn,
                resource_arn=subnet.arn,
                region=args.region,
                opts=self.child_opts(),
            )
        for index, principal in enumerate(args.share_subnets_with):
            aws.ram.PrincipalAssociation(
                self.child_name(f"subnet-share-principal-{index}"),
                resource_share_arn=share.arn,
                principal=principal,
                region=args.region,
                opts=self.child_opts(),
            )

    def _regional_provider(self, args: CellArgs) -> dict[str, Any]:
        """Return options for pulumi-eks: a provider for the cell's region when one is needed."""
        if self._aws_provider is not None:
            return {"providers": {"aws": self._aws_provider}}
        stack_region = pulumi.Config("aws").get("region")
        if stack_region == args.region:
            return {}
        provider = aws.Provider(self.child_name("aws"), region=args.region, opts=self.child_opts())
        return {"providers": {"aws": provider}}

    def _network(self, args: CellArgs) -> tuple[Any, Any, Any, list[Any]]:
        tags = self.tags({"cell": self._name})
        if args.ipam_pool_id is not None:
            vpc = create_private_vpc(
                self,
                "vpc",
                region=args.region,
                ipam_pool_id=args.ipam_pool_id,
                netmask_length=args.vpc_netmask_length,
                az_count=args.az_count,
                subnet_netmask_length=args.subnet_netmask_length,
                tags=tags,
            )
            vpc_id, subnet_ids, cidr = vpc.vpc_id, vpc.subnet_ids, vpc.cidr_block
            tables: list[Any] = list(vpc.route_tables)
            self._subnets = list(vpc.subnets)
        else:
            vpc_id, subnet_ids, cidr, tables = self._static_vpc(args, tags)
        if args.transit_network is not None:
            attachment = args.transit_network.attach_vpc(
                self.child_name("tgw"),
                region=args.region,
                vpc_id=vpc_id,
                subnet_ids=subnet_ids,
                segment="cells",
                opts=self.child_opts(),
            )
            gateway = args.transit_network.transit_gateway_id(args.region)
            for index, table in enumerate(tables):
                for destination in args.transit_routes:
                    slug = destination.replace(".", "-").replace("/", "-")
                    aws.ec2.Route(
                        self.child_name(f"tgw-route-{index}-{slug}"),
                        route_table_id=table.id,
                        destination_cidr_block=destination,
                        transit_gateway_id=gateway,
                        region=args.region,
                        opts=self.child_opts(depends_on=[attachment]),
                    )
        return vpc_id, subnet_ids, cidr, tables

    def _static_vpc(self, args: CellArgs, tags: dict[str, str]) -> tuple[Any, Any, Any, list[Any]]:
        """The fallback VPC from ``vpc_cidr``, named like the IPAM one (same children)."""
        base = self.child_name("vpc")
        vpc = aws.ec2.Vpc(
            base,
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            region=args.region,
            tags={**tags, "Name": base},
            opts=self.child_opts(),
        )
        zones = aws.get_availability_zones_output(
            region=args.region,
            state="available",
            opts=pulumi.InvokeOutputOptions(parent=self, provider=self._aws_provider),
        )
        blocks = carve_subnets(args.vpc_cidr, args.subnet_netmask_length, args.az_count)
        subnets, tables = [], []
        for index, block in enumerate(blocks):
            name = f"{base}-private-{index}"
            subnet = aws.ec2.Subnet(
                name,
                vpc_id=vpc.id,
                cidr_block=block,
                availability_zone=zones.names.apply(lambda names, i=index: names[i]),
                map_public_ip_on_launch=False,
                region=args.region,
                tags={**tags, "Name": name, "kubernetes.io/role/internal-elb": "1"},
                opts=self.child_opts(),
            )
            table = aws.ec2.RouteTable(
                f"{base}-rt-{index}",
                vpc_id=vpc.id,
                region=args.region,
                tags={**tags, "Name": f"{base}-rt-{index}"},
                opts=self.child_opts(),
            )
            aws.ec2.RouteTableAssociation(
                f"{base}-rt-{index}-association",
                subnet_id=subnet.id,
                route_table_id=table.id,
                region=args.region,
                opts=self.child_opts(),
            )
            subnets.append(subnet)
            tables.append(table)
        self._subnets = subnets
        return (
            vpc.id,
            pulumi.Output.all(*[s.id for s in subnets]),
            pulumi.Output.from_input(args.vpc_cidr),
            tables,
        )

    def _endpoints(
        self, args: CellArgs, vpc_id: Any, subnet_ids: Any, cidr: Any, tables: list[Any]
    ) -> None:
        group = aws.ec2.SecurityGroup(
            self.child_name("endpoints-sg"),
            vpc_id=vpc_id,
            region=args.region,
            description="HTTPS from the cell's VPC to its VPC endpoints.",
            ingress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": [cidr]}],
            tags=self.tags({"Name": self.child_name("endpoints-sg")}),
            opts=self.child_opts(),
        )
        for service in INTERFACE_ENDPOINTS:
            slug = service.replace(".", "-")
            aws.ec2.VpcEndpoint(
                self.child_name(f"endpoint-{slug}"),
                vpc_id=vpc_id,
                region=args.region,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[group.id],
                tags=self.tags({"Name": self.child_name(f"endpoint-{slug}")}),
                opts=self.child_opts(),
            )
        aws.ec2.VpcEndpoint(
            self.child_name("endpoint-s3"),
            vpc_id=vpc_id,
            region=args.region,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in tables],
            tags=self.tags({"Name": self.child_name("endpoint-s3")}),
            opts=self.child_opts(),
        )

    def _compute(
        self,
        args: CellArgs,
        vpc_id: Any,
        subnet_ids: Any,
        key: aws.kms.Key,
        account: pulumi.Output[str],
    ) -> tuple[str, pulumi.Output[str], eks.Cluster, aws.eks.NodeGroup]:
        cluster_name = self.child_name("eks")
        cluster = eks.Cluster(
            cluster_name,
            name=cluster_name,
            vpc_id=vpc_id,
            private_subnet_ids=subnet_ids,
            endpoint_private_access=True,
            endpoint_public_access=False,
            skip_default_node_group=True,
            authentication_mode="API",
            encryption_config_key_arn=key.arn,
            version=args.kubernetes_version,
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            create_oidc_provider=True,
            deletion_protection=args.protect,
            tags=self.tags({"cell": self._name}),
            opts=self.child_opts(protect=args.protect, **self._cell_opts),
        )
        cluster_arn = pulumi.Output.concat(
            "arn:aws:eks:", args.region, ":", account, ":cluster/", cluster_name
        )
        role = aws.iam.Role(
            self.child_name("node-role"),
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=self.tags({"Name": self.child_name("node-role")}),
            opts=self.child_opts(),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                self.child_name(f"node-role-{short}"),
                role=role.name,
                policy_arn=arn,
                opts=self.child_opts(),
            )
            for short, arn in NODE_POLICIES.items()
        ]
        template = aws.ec2.LaunchTemplate(
            self.child_name("node-template"),
            region=args.region,
            description="Cell nodes: IMDSv2 only, encrypted gp3 root volume.",
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_size": 50,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "kms_key_id": key.arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            tag_specifications=[
                {"resource_type": "instance", "tags": self.tags({"cell": self._name})}
            ],
            tags=self.tags({"Name": self.child_name("node-template")}),
            opts=self.child_opts(),
        )
        nodes = aws.eks.NodeGroup(
            self.child_name("nodes"),
            cluster_name=cluster_name,
            node_group_name=self.child_name("nodes"),
            node_role_arn=role.arn,
            subnet_ids=subnet_ids,
            region=args.region,
            ami_type="AL2023_x86_64_STANDARD",
            capacity_type="ON_DEMAND",
            instance_types=list(args.instance_types),
            scaling_config={
                "desired_size": args.replicas,
                "min_size": 0,
                "max_size": args.max_replicas,
            },
            update_config={"max_unavailable": 1},
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            labels={"obs-platform/cell": self._name, "topology.kubernetes.io/region": args.region},
            tags=self.tags(
                {
                    "Name": self.child_name("nodes"),
                    "cell": self._name,
                    "k8s.io/cluster-autoscaler/enabled": "true",
                    f"k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                    "k8s.io/cluster-autoscaler/node-template/label/obs-platform/cell": self._name,
                }
            ),
            opts=self.child_opts(
                depends_on=[cluster, *attachments], ignore_changes=["scalingConfig.desiredSize"]
            ),
        )
        return cluster_name, cluster_arn, cluster, nodes

    def _database(
        self, args: CellArgs, vpc_id: Any, subnet_ids: Any, cidr: Any, key: aws.kms.Key
    ) -> tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup, Any]:
        group, sg = create_db_placement(
            self,
            "db",
            region=args.region,
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
            client_cidr=cidr,
            subnets_description=f"Aurora subnets of cell {self._name}",
            sg_description="PostgreSQL from the cell's VPC.",
        )
        if args.rds_global:
            return group, sg, None
        cluster = aws.rds.Cluster(
            self.child_name("db"),
            cluster_identifier=self.child_name("db"),
            region=args.region,
            engine="aurora-postgresql",
            engine_version=args.database_engine_version,
            database_name="app",
            master_username="app_admin",
            manage_master_user_password=True,
            db_subnet_group_name=group.name,
            vpc_security_group_ids=[sg.id],
            storage_encrypted=True,
            kms_key_id=key.arn,
            deletion_protection=True,
            backup_retention_period=7,
            copy_tags_to_snapshot=True,
            final_snapshot_identifier=f"{self.child_name('db')}-final",
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            tags=self.tags({"Name": self.child_name("db"), "cell": self._name}),
            opts=self.child_opts(protect=args.protect),
        )
        for index in range(args.database_instances):
            aws.rds.ClusterInstance(
                self.child_name(f"db-{index}"),
                identifier=f"{self.child_name('db')}-{index}",
                cluster_identifier=cluster.id,
                region=args.region,
                engine="aurora-postgresql",
                engine_version=args.database_engine_version,
                instance_class=args.database_instance_class,
                publicly_accessible=False,
                performance_insights_enabled=True,
                tags=self.tags({"Name": self.child_name(f"db-{index}")}),
                opts=self.child_opts(),
            )
        return group, sg, cluster.endpoint

    def _kafka(
        self,
        args: CellArgs,
        vpc_id: Any,
        subnet_ids: Any,
        cidr: Any,
        key: aws.kms.Key,
        provider: k8s.Provider,
    ) -> tuple[Any, Any, aws.ec2.SecurityGroup | None]:
        if not args.kafka_replication:
            return None, None, None
        if args.kafka_engine is KafkaEngine.STRIMZI:
            return None, self._strimzi(args, provider), None
        sg = aws.ec2.SecurityGroup(
            self.child_name("kafka-sg"),
            vpc_id=vpc_id,
            region=args.region,
            description="Kafka (IAM auth, TLS) from the cell's VPC and the MSK Replicator.",
            ingress=[
                {"protocol": "tcp", "from_port": 9098, "to_port": 9098, "cidr_blocks": [cidr]},
                {"protocol": "-1", "from_port": 0, "to_port": 0, "self": True},
            ],
            egress=[
                {"protocol": "-1", "from_port": 0, "to_port": 0, "self": True},
                {"protocol": "tcp", "from_port": 9098, "to_port": 9098, "cidr_blocks": [cidr]},
            ],
            tags=self.tags({"Name": self.child_name("kafka-sg")}),
            opts=self.child_opts(),
        )
        replication_ready: dict[str, Any] = (
            {
                "connectivity_info": {
                    "vpc_connectivity": {"client_authentication": {"sasl": {"iam": True}}}
                }
            }
            if args.dr_strategy is DrStrategy.PILOT_LIGHT
            else {}
        )
        cluster = aws.msk.Cluster(
            self.child_name("kafka"),
            cluster_name=self.child_name("kafka"),
            region=args.region,
            kafka_version="3.8.x",
            number_of_broker_nodes=args.az_count,
            broker_node_group_info={
                "instance_type": "kafka.m7g.large",
                "client_subnets": subnet_ids,
                "security_groups": [sg.id],
                "storage_info": {"ebs_storage_info": {"volume_size": 100}},
                **replication_ready,
            },
            encryption_info={
                "encryption_at_rest_kms_key_arn": key.arn,
                "encryption_in_transit": {"client_broker": "TLS", "in_cluster": True},
            },
            client_authentication={"sasl": {"iam": True}, "unauthenticated": False},
            enhanced_monitoring="PER_TOPIC_PER_BROKER",
            tags=self.tags({"Name": self.child_name("kafka"), "cell": self._name}),
            opts=self.child_opts(protect=args.protect),
        )
        if replication_ready:
            # Cross-region MSK Replicator needs multi-VPC connectivity (above) and this policy
            # on the source; a pilot-light cell can be either side, so both cells get it.
            aws.msk.ClusterPolicy(
                self.child_name("kafka-policy"),
                cluster_arn=cluster.arn,
                region=args.region,
                policy=cluster.arn.apply(
                    lambda arn: json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "MskReplicator",
                                    "Effect": "Allow",
                                    "Principal": {"Service": "kafka.amazonaws.com"},
                                    "Action": [
                                        "kafka:CreateVpcConnection",
                                        "kafka:GetBootstrapBrokers",
                                        "kafka:DescribeClusterV2",
                                    ],
                                    "Resource": arn,
                                }
                            ],
                        }
                    )
                ),
                opts=self.child_opts(),
            )
        return cluster.arn, cluster.bootstrap_brokers_sasl_iam, sg

    def _strimzi(self, args: CellArgs, provider: k8s.Provider) -> str:
        namespace = k8s.core.v1.Namespace(
            self.child_name("kafka-namespace"),
            metadata={"name": "kafka"},
            opts=self.child_opts(provider=provider),
        )
        operator = k8s.helm.v3.Release(
            self.child_name("strimzi"),
            chart=STRIMZI_KAFKA_OPERATOR.chart,
            version=STRIMZI_KAFKA_OPERATOR.version,
            repository_opts={"repo": STRIMZI_KAFKA_OPERATOR.repository},
            namespace="kafka",
            values={"watchNamespaces": []},
            opts=self.child_opts(provider=provider, depends_on=[namespace]),
        )
        kafka_name = self.child_name("kafka")
        k8s.apiextensions.CustomResource(
            self.child_name("kafka-pool"),
            api_version="kafka.strimzi.io/v1",
            kind="KafkaNodePool",
            metadata={
                "name": "brokers",
                "namespace": "kafka",
                "labels": {"strimzi.io/cluster": kafka_name},
            },
            spec={
                "replicas": 3,
                "roles": ["controller", "broker"],
                "storage": {
                    "type": "jbod",
                    "volumes": [
                        {
                            "id": 0,
                            "type": "persistent-claim",
                            "size": "100Gi",
                            "deleteClaim": False,
                            "kraftMetadata": "shared",
                        }
                    ],
                },
            },
            opts=self.child_opts(provider=provider, depends_on=[operator]),
        )
        advertised: dict[str, Any] = (
            {"configuration": {"bootstrap": {"alternativeNames": [args.kafka_advertised_host]}}}
            if args.kafka_advertised_host
            else {}
        )
        k8s.apiextensions.CustomResource(
            kafka_name,
            api_version="kafka.strimzi.io/v1",
            kind="Kafka",
            metadata={"name": kafka_name, "namespace": "kafka"},
            spec={
                "kafka": {
                    "listeners": [
                        {"name": "tls", "port": 9093, "type": "internal", "tls": True},
                        {
                            "name": "peer",
                            "port": 9095,
                            "type": "loadbalancer",
                            "tls": True,
                            **advertised,
                        },
                    ],
                    "config": {
                        "default.replication.factor": 3,
                        "min.insync.replicas": 2,
                        "offsets.topic.replication.factor": 3,
                        "transaction.state.log.replication.factor": 3,
                        "transaction.state.log.min.isr": 2,
                    },
                },
                "entityOperator": {"topicOperator": {}, "userOperator": {}},
            },
            opts=self.child_opts(provider=provider, depends_on=[operator]),
        )
        if args.kafka_advertised_host:
            return f"{args.kafka_advertised_host}:9095"
        return f"{kafka_name}-kafka-bootstrap.kafka.svc:9093"

    def _ingress(
        self, args: CellArgs, vpc_id: Any, subnet_ids: Any, cidr: Any
    ) -> tuple[Any, pulumi.Output[str]]:
        sg = aws.ec2.SecurityGroup(
            self.child_name("ingress-sg"),
            vpc_id=vpc_id,
            region=args.region,
            description="API Gateway VPC link to the cell's internal load balancer.",
            ingress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": [cidr]}],
            egress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": [cidr]}],
            tags=self.tags({"Name": self.child_name("ingress-sg")}),
            opts=self.child_opts(),
        )
        nlb = aws.lb.LoadBalancer(
            self.child_name("ingress"),
            load_balancer_type="network",
            internal=True,
            subnets=subnet_ids,
            security_groups=[sg.id],
            region=args.region,
            enable_cross_zone_load_balancing=True,
            tags=self.tags({"Name": self.child_name("ingress")}),
            opts=self.child_opts(),
        )
        targets = aws.lb.TargetGroup(
            self.child_name("ingress-targets"),
            port=80,
            protocol="TCP",
            target_type="ip",
            vpc_id=vpc_id,
            region=args.region,
            health_check={
                "protocol": "HTTP",
                "path": args.healthz_path,
                "interval": 10,
                "healthy_threshold": 2,
                "unhealthy_threshold": 2,
            },
            tags=self.tags({"Name": self.child_name("ingress-targets")}),
            opts=self.child_opts(),
        )
        listener = aws.lb.Listener(
            self.child_name("ingress-listener"),
            load_balancer_arn=nlb.arn,
            port=80,
            protocol="TCP",
            region=args.region,
            default_actions=[{"type": "forward", "target_group_arn": targets.arn}],
            tags=self.tags({"Name": self.child_name("ingress-listener")}),
            opts=self.child_opts(),
        )
        api = aws.apigatewayv2.Api(
            self.child_name("api"),
            protocol_type="HTTP",
            region=args.region,
            description=f"Public HTTPS front of cell {self._name} (and its /healthz).",
            tags=self.tags({"Name": self.child_name("api")}),
            opts=self.child_opts(),
        )
        link = aws.apigatewayv2.VpcLink(
            self.child_name("api-link"),
            name=self.child_name("api-link"),
            subnet_ids=subnet_ids,
            security_group_ids=[sg.id],
            region=args.region,
            tags=self.tags({"Name": self.child_name("api-link")}),
            opts=self.child_opts(),
        )
        integration = aws.apigatewayv2.Integration(
            self.child_name("api-integration"),
            api_id=api.id,
            integration_type="HTTP_PROXY",
            integration_method="ANY",
            integration_uri=listener.arn,
            connection_type="VPC_LINK",
            connection_id=link.id,
            payload_format_version="1.0",
            region=args.region,
            opts=self.child_opts(),
        )
        aws.apigatewayv2.Route(
            self.child_name("api-route"),
            api_id=api.id,
            route_key="$default",
            target=pulumi.Output.concat("integrations/", integration.id),
            region=args.region,
            opts=self.child_opts(),
        )
        stage = aws.apigatewayv2.Stage(
            self.child_name("api-stage"),
            api_id=api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings={"throttling_burst_limit": 5000, "throttling_rate_limit": 10000},
            region=args.region,
            tags=self.tags({"Name": self.child_name("api-stage")}),
            opts=self.child_opts(),
        )
        host = api.api_endpoint.apply(lambda url: url.removeprefix("https://").rstrip("/"))
        self._record_target: Any = None
        if args.api_domain_name is not None:
            domain = aws.apigatewayv2.DomainName(
                self.child_name("api-domain"),
                domain_name=args.api_domain_name,
                domain_name_configuration={
                    "certificate_arn": args.api_certificate_arn,
                    "endpoint_type": "REGIONAL",
                    "security_policy": "TLS_1_2",
                },
                region=args.region,
                tags=self.tags({"Name": self.child_name("api-domain")}),
                opts=self.child_opts(),
            )
            aws.apigatewayv2.ApiMapping(
                self.child_name("api-mapping"),
                api_id=api.id,
                domain_name=domain.id,
                stage=stage.id,
                region=args.region,
                opts=self.child_opts(),
            )
            self._record_target = domain.domain_name_configuration.target_domain_name
        return api, host

    def _telemetry(
        self, args: CellArgs, account: pulumi.Output[str], provider: k8s.Provider
    ) -> None:
        opts = self.child_opts(provider=provider)
        t = args.telemetry
        namespace = k8s.core.v1.Namespace(
            self.child_name("telemetry-namespace"),
            metadata={"name": TELEMETRY_NAMESPACE},
            opts=opts,
        )
        labels = {
            "app.kubernetes.io/name": "otel-collector",
            "app.kubernetes.io/managed-by": "obs-platform",
        }
        meta = {"name": "otel-collector", "namespace": TELEMETRY_NAMESPACE, "labels": labels}
        after = self.child_opts(provider=provider, depends_on=[namespace])
        k8s.core.v1.ServiceAccount(self.child_name("telemetry-sa"), metadata=meta, opts=after)
        k8s.rbac.v1.ClusterRole(
            self.child_name("telemetry-role"),
            metadata={"name": f"obs-platform-otel-{self._name}", "labels": labels},
            rules=[
                {
                    "apiGroups": [""],
                    "resources": ["nodes/stats", "nodes/proxy", "pods", "nodes"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
            opts=opts,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            self.child_name("telemetry-binding"),
            metadata={"name": f"obs-platform-otel-{self._name}", "labels": labels},
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"obs-platform-otel-{self._name}",
            },
            subjects=[
                {
                    "kind": "ServiceAccount",
                    "name": "otel-collector",
                    "namespace": TELEMETRY_NAMESPACE,
                }
            ],
            opts=after,
        )
        config = pulumi.Output.all(
            account, t.metrics_remote_write_url, t.logs_otlp_url, t.traces_otlp_endpoint
        ).apply(
            lambda v: collector_config(
                cell=self._name,
                dr_role=args.dr_role,
                region=args.region,
                account=v[0],
                metrics_remote_write_url=v[1],
                logs_otlp_url=v[2],
                traces_otlp_endpoint=v[3],
            )
        )
        config_map = k8s.core.v1.ConfigMap(
            self.child_name("telemetry-config"),
            metadata=meta,
            data={"config.yaml": config},
            opts=after,
        )
        k8s.apps.v1.DaemonSet(
            self.child_name("telemetry-collector"),
            metadata=meta,
            spec={
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "otel-collector",
                        "containers": [
                            {
                                "name": "otel-collector",
                                "image": COLLECTOR_IMAGE,
                                "args": ["--config=/conf/config.yaml"],
                                "env": [
                                    {
                                        "name": "K8S_NODE_NAME",
                                        "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                                    }
                                ],
                                "ports": [
                                    {"name": "otlp-grpc", "containerPort": 4317, "hostPort": 4317},
                                    {"name": "otlp-http", "containerPort": 4318, "hostPort": 4318},
                                ],
                                "readinessProbe": {"httpGet": {"path": "/", "port": 13133}},
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "256Mi"},
                                    "limits": {"memory": "512Mi"},
                                },
                                "securityContext": {
                                    "readOnlyRootFilesystem": True,
                                    "allowPrivilegeEscalation": False,
                                },
                                "volumeMounts": [
                                    {"name": "config", "mountPath": "/conf"},
                                    {
                                        "name": "pods",
                                        "mountPath": "/var/log/pods",
                                        "readOnly": True,
                                    },
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "config", "configMap": {"name": "otel-collector"}},
                            {"name": "pods", "hostPath": {"path": "/var/log/pods"}},
                        ],
                    },
                },
            },
            opts=self.child_opts(provider=provider, depends_on=[config_map]),
        )

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
