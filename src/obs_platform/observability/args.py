"""Arguments of :class:`~obs_platform.observability.stack.ObservabilityStack`."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, Union

import pulumi
from pydantic import AfterValidator, Field, InstanceOf, model_validator

from .._internal.alertmanager import AlertingArgs
from .._internal.charts import (
    KUBE_PROMETHEUS_STACK,
    LOKI,
    TEMPO,
    TEMPO_DISTRIBUTED,
    YET_ANOTHER_CLOUDWATCH_EXPORTER,
    ChartVersion,
    OperatorVersion,
    operator_version_for,
)
from .._internal.cost import CostAssumptions
from .._internal.eks import InstanceType, KubernetesVersion, ami_type_for
from .._internal.helm_values import NODE_EXPORTER_NAMESPACE_SUFFIX, Scale
from .._internal.ingest_gateway import TENANT_PATTERN
from .._internal.regions import ROUTE53_METRICS_REGION, check_az_count
from .._internal.types import ArgsModel, Cidr, Input, Region, Tags
from ..network.ipam import Ipam
from ..network.transit import TransitNetwork
from .identity import WorkloadIdentity
from .registry import check_repository_name

__all__ = [
    "CapacityType",
    "ChartVersions",
    "CloudWatchAccountArgs",
    "GrafanaDatabaseArgs",
    "ImageSource",
    "IngestZoneVpc",
    "NodeGroupArgs",
    "ObservabilityStackArgs",
    "Scale",
    "StandbyStackArgs",
    "WorkloadIdentity",
]

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _check_dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a Kubernetes name; use up to 63 lower-case letters, "
            "digits and '-', starting and ending with a letter or digit."
        )
    return value


def _check_schema_date(value: str) -> str:
    if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", value):
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD, such as '2025-01-01'.")
    return value


_PRINCIPAL_ARN = re.compile(r"^arn:aws:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")


def _check_principal(value: Any) -> Any:
    if isinstance(value, str) and not _PRINCIPAL_ARN.match(value):
        raise ValueError(
            f"{value!r} is not an IAM role or user ARN; write it as "
            "'arn:aws:iam::123456789012:role/name' (access entries take roles and users)."
        )
    return value


def _check_api_cidr(value: str) -> str:
    if value.endswith("/0"):
        raise ValueError(
            f"{value!r} opens the Kubernetes API to the whole internet; list the CIDRs that "
            "need it (a VPN or office range), or leave public_access_cidrs empty."
        )
    return value


_BOOTSTRAP = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$")


def _check_bootstrap(value: Any) -> Any:
    if isinstance(value, str) and not _BOOTSTRAP.match(value):
        raise ValueError(
            f"{value!r} is not a Kafka bootstrap address; write host:port[,host:port...], such "
            "as 'b-1.traces.abc123.c2.kafka.eu-west-1.amazonaws.com:9098'."
        )
    return value


DnsLabel = Annotated[str, AfterValidator(_check_dns_label)]
TenantName = Annotated[str, Field(pattern=TENANT_PATTERN)]
PrincipalArn = Annotated[Input[str], AfterValidator(_check_principal)]
ApiCidr = Annotated[Cidr, AfterValidator(_check_api_cidr)]
RepositoryName = Annotated[str, AfterValidator(check_repository_name)]
SubnetIds = Union[InstanceOf[pulumi.Output[Any]], list[Input[str]]]  # noqa: UP007


class ImageSource(StrEnum):
    """Where the cluster pulls the charts' images from."""

    UPSTREAM = "upstream"
    """quay.io, registry.k8s.io, ghcr.io and Docker Hub directly: the VPC needs an egress path,
    which ``internet_egress=True`` declares."""
    PULL_THROUGH_CACHE = "pull-through-cache"
    """The stack's ECR pull-through caches (every chart's image registries are rewritten): no
    internet path needed; needs ``docker_hub_credential_arn`` (Grafana, Loki and Tempo images
    are on Docker Hub) and ``ghcr_credential_arn`` (the admission webhook's certificate job is
    on ghcr.io): ECR caches both only with a credential."""


_ZONE_NAME = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z][-a-z0-9]{0,61}[a-z0-9]$"


class IngestZoneVpc(ArgsModel):
    """A VPC in another account that may join the ingest zone (a cell's VPC)."""

    vpc_id: Input[str]
    """The VPC's ID (``Cell.vpc_id`` of a cell in another account)."""
    region: Region
    """The VPC's region."""


_ROLE_ARN = r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$"


class CloudWatchAccountArgs(ArgsModel):
    """Another account whose DR metrics the CloudWatch exporter reads, through a role there."""

    role_arn: str = Field(pattern=_ROLE_ARN)
    """The role the exporter assumes (``Cell.cloudwatch_reader_role_arn`` of a cell made with
    ``TelemetryArgs.cloudwatch_reader_principal_arn``)."""
    regions: tuple[Region, ...] = Field(min_length=1)
    """The regions of the account's Aurora members and MSK Replicators: the standby's region
    for Aurora's global lag (the secondary emits it) and for MSK Replicator (emitted in the
    target region). Route 53 health checks are read in us-east-1 as well."""
    cell: str | None = Field(default=None, pattern=TENANT_PATTERN)
    """The cell these series belong to: kept as ``cell`` on series whose resource has no tags
    for YACE to find (MSK Replicator)."""


class CapacityType(StrEnum):
    """How a node group buys its instances."""

    ON_DEMAND = "ON_DEMAND"
    """On-Demand instances: the default for stateful monitoring workloads."""
    SPOT = "SPOT"
    """Spot instances: cheaper, interruptible; only for replicated, stateless workloads."""


class NodeGroupArgs(ArgsModel):
    """One EKS managed node group (AL2023 AMI, IMDSv2 only, encrypted gp3 root volume)."""

    instance_types: tuple[InstanceType, ...] = Field(
        default=("m7i.xlarge",), min_length=1, max_length=20
    )
    """Instance types, all of one architecture (Graviton ``g`` types get the arm64 AMI)."""
    min_size: int = Field(default=2, ge=0, le=450)
    """Fewest nodes."""
    desired_size: int = Field(default=3, ge=0, le=450)
    """Nodes at creation (the autoscaler owns it afterwards; changes are ignored)."""
    max_size: int = Field(default=6, ge=1, le=450)
    """Most nodes."""
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    """Root volume size."""
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    """On-Demand (default) or Spot."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Kubernetes labels on the nodes."""

    @model_validator(mode="after")
    def _sizes(self) -> Self:
        ami_type_for(self.instance_types)  # one architecture per group
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"sizes must satisfy min_size <= desired_size <= max_size; got "
                f"{self.min_size} <= {self.desired_size} <= {self.max_size}. Fix the order."
            )
        return self


class ChartVersions(ArgsModel):
    """The chart versions to install; each defaults to the library's pin."""

    kube_prometheus_stack: ChartVersion = KUBE_PROMETHEUS_STACK.version
    """kube-prometheus-stack version."""
    prometheus_operator: OperatorVersion | None = None
    """Prometheus operator version whose CRDs are applied; ``None`` takes the one the
    kube-prometheus-stack version ships (known for the pinned version only)."""
    loki: ChartVersion = LOKI.version
    """Loki chart version."""
    tempo: ChartVersion = TEMPO.version
    """tempo chart version (monolithic)."""
    tempo_distributed: ChartVersion = TEMPO_DISTRIBUTED.version
    """tempo-distributed chart version (distributed)."""
    yet_another_cloudwatch_exporter: ChartVersion = YET_ANOTHER_CLOUDWATCH_EXPORTER.version
    """prometheus-yet-another-cloudwatch-exporter version (the CloudWatch exporter)."""

    @model_validator(mode="after")
    def _operator(self) -> Self:
        operator_version_for(self.kube_prometheus_stack, self.prometheus_operator)
        return self

    @property
    def operator_version(self) -> str:
        """The Prometheus operator version whose CRDs go with the chart."""
        return operator_version_for(self.kube_prometheus_stack, self.prometheus_operator)


def _default_node_groups() -> dict[str, NodeGroupArgs]:
    return {"system": NodeGroupArgs()}


def _standby_node_groups() -> dict[str, NodeGroupArgs]:
    # Two nodes in two zones: enough for the operator, one Prometheus, the Alertmanager pair,
    # the Grafana pair, Loki, Tempo and the ingest gateway at idle load; failover raises it.
    return {
        "system": NodeGroupArgs(
            instance_types=("m7i.large",), min_size=2, desired_size=2, max_size=6
        )
    }


class GrafanaDatabaseArgs(ArgsModel):
    """Grafana's database: Aurora PostgreSQL Serverless v2 as a global database.

    Made by the DR layer's Aurora module (:mod:`obs_platform.dr.aurora`): the global cluster,
    a member in each region, the generated master password kept as a Pulumi secret and in a
    Secrets Manager secret replicated to the standby region. Both Grafanas connect to the global
    cluster's writer endpoint, which always names the current primary's writer (Aurora user
    guide, *Connecting to an Aurora global database*), so neither needs reconfiguring after a
    switchover or failover.
    """

    engine_version: str = Field(default="16.6", pattern=r"^\d+\.\d+$")
    """Aurora PostgreSQL version (Serverless v2 needs 13.6 or later)."""
    min_capacity_acu: float = Field(default=0.5, ge=0.0, le=256)
    """Serverless v2 minimum capacity in Aurora capacity units (0.5 = 1 GiB), in half-ACU
    steps from 0.5. 0 (auto-pause) is refused: see :meth:`_capacity`."""
    max_capacity_acu: float = Field(default=4.0, ge=1.0, le=256)
    """Serverless v2 maximum capacity, in half-ACU steps up to 256 (128 on older engine
    versions, which Aurora refuses at deploy)."""
    primary_instances: int = Field(default=2, ge=1, le=15)
    """Serverless v2 instances in the primary region (a writer and a reader to fail over to)."""
    standby_instances: int = Field(default=1, ge=1, le=16)
    """Instances of the secondary (at least one: a headless secondary cannot be promoted within
    the budget)."""
    backup_retention_days: int = Field(default=7, ge=1, le=35)
    """Automated backup retention."""
    deletion_protection: bool | None = None
    """AWS-side deletion protection of the global cluster and both members; ``None`` (default)
    follows ``ObservabilityStackArgs.protect``, so one setting unprotects the stack for a
    destroy."""
    ca_bundle_pem: str | None = None
    """The RDS certificate bundle (PEM) Grafana verifies the database server with: the
    contents of ``global-bundle.pem`` from the download the RDS user guide names (*Using SSL/TLS
    to encrypt a connection to a DB cluster*, certificate bundles for all AWS Regions), read in
    your program (``Path("global-bundle.pem").read_text()``). No PyPI, Debian or npm package
    ships the current bundle, so the library cannot. It goes into the ConfigMap
    ``grafana-database-ca`` (public certificates, no secret) mounted into Grafana, whose
    ``[database] ca_cert_path`` names it. ``None`` (default) keeps ``ssl_mode=require``:
    encrypted, but the server is not verified (a warning says so)."""
    ssl_mode: Literal["require", "verify-ca", "verify-full"] | None = None
    """Grafana's ``[database] ssl_mode`` (PostgreSQL: ``require``, ``verify-ca``,
    ``verify-full``). ``None`` (default): ``verify-ca`` with ``ca_bundle_pem``, else
    ``require``. ``verify-full`` also checks that the certificate names the host Grafana
    connects to, the global writer endpoint: confirm with ``psql "host=<global writer
    endpoint> sslmode=verify-full sslrootcert=global-bundle.pem"`` that your cluster's
    certificate does before choosing it."""

    @property
    def effective_ssl_mode(self) -> str:
        """The ``ssl_mode`` Grafana gets."""
        if self.ssl_mode is not None:
            return self.ssl_mode
        return "verify-ca" if self.ca_bundle_pem is not None else "require"

    @model_validator(mode="after")
    def _tls(self) -> Self:
        if self.ssl_mode in ("verify-ca", "verify-full") and self.ca_bundle_pem is None:
            raise ValueError(
                f"ssl_mode {self.ssl_mode!r} verifies the server against a CA bundle, and "
                "ca_bundle_pem is not set; pass the RDS bundle's PEM text (global-bundle.pem) "
                "as ca_bundle_pem, or use ssl_mode='require'."
            )
        if self.ca_bundle_pem is not None:
            text = self.ca_bundle_pem
            begins = text.count("-----BEGIN CERTIFICATE-----")
            if "PRIVATE KEY" in text:
                raise ValueError(
                    "ca_bundle_pem holds a private key; pass only the RDS CA certificates "
                    "(global-bundle.pem)."
                )
            if begins == 0 or begins != text.count("-----END CERTIFICATE-----"):
                raise ValueError(
                    "ca_bundle_pem is not a PEM certificate bundle (no complete "
                    "'-----BEGIN CERTIFICATE-----' ... '-----END CERTIFICATE-----' block); pass "
                    "the text of the RDS global-bundle.pem."
                )
        return self

    @model_validator(mode="after")
    def _capacity(self) -> Self:
        """Check the capacity range against Aurora's rules.

        RDS API reference, ``ServerlessV2ScalingConfiguration``: capacity goes in half-ACU
        steps; ``MaxCapacity`` is at most 256 (128 for older versions); ``MinCapacity`` is at
        least 0.5, and 0 only on versions with auto-pause (Aurora PostgreSQL 13.15, 14.12, 15.7,
        16.3 and later: AWS Database Blog, *Introducing scaling to 0 capacity with Amazon
        Aurora Serverless v2*). Auto-pause is refused here whatever the version: a paused
        instance resumes only when a connection arrives, taking up to 15 seconds (same post,
        and Aurora user guide, *Scaling to Zero ACUs with automatic pause and resume*), which
        the stack's RTO budget does not model for the standby's member, and Grafana's
        connection pool keeps the primary's instances connected, so they would never pause.
        Serverless v2 on Aurora PostgreSQL 13 needs 13.6 or later (Aurora user guide,
        *Supported Regions and Aurora DB engines for Aurora Serverless v2*).
        """
        if self.min_capacity_acu == 0:
            raise ValueError(
                "min_capacity_acu 0 turns on Aurora Serverless v2 auto-pause: a paused "
                "instance resumes only when a connection arrives (up to 15 s), which the "
                "standby's RTO budget does not model, and Grafana's connection pool keeps the "
                "primary's instances from pausing; use 0.5, the smallest minimum without "
                "auto-pause."
            )
        for name in ("min_capacity_acu", "max_capacity_acu"):
            value = getattr(self, name)
            if (value * 2) % 1:
                raise ValueError(
                    f"{name} {value} is not a multiple of 0.5; Aurora Serverless v2 capacity "
                    f"goes in half-ACU steps, such as {int(value * 2) / 2:g} or "
                    f"{int(value * 2) / 2 + 0.5:g}."
                )
        if self.min_capacity_acu > self.max_capacity_acu:
            raise ValueError(
                f"min_capacity_acu {self.min_capacity_acu} is above max_capacity_acu "
                f"{self.max_capacity_acu}; lower the minimum or raise the maximum."
            )
        major, minor = (int(part) for part in self.engine_version.split("."))
        if major < 13 or (major == 13 and minor < 6):
            raise ValueError(
                f"engine_version {self.engine_version!r} has no Aurora Serverless v2 (Aurora "
                "PostgreSQL 13.6 or later); use a current version such as '16.6'."
            )
        return self


class StandbyStackArgs(ArgsModel):
    """The pilot-light copy of the stack in ``ObservabilityStackArgs.dr_region``.

    It is built by the same component code as the primary (an :class:`ObservabilityStack`
    ``{name}-standby`` as a child): its own VPC (from the IPAM pool of ``dr_region``, attached
    to that region's Transit Gateway), an EKS cluster that always exists, a minimal system node
    group, every chart installed, Loki and Tempo reading the replica buckets (read-only until
    ``promoted``), an Alertmanager of its own, Grafana on the shared global database, and an
    ingest NLB that the private zone's failover records point to when the primary fails. See
    the concept page *DR of the platform itself*.
    """

    node_groups: dict[DnsLabel, NodeGroupArgs] = Field(
        default_factory=_standby_node_groups, min_length=1
    )
    """The standby's node groups while passive: by default one ``system`` group of 2
    m7i.large (two zones). Charts need somewhere to run to be installed and to answer; zero
    nodes would leave every pod Pending and the standby unable to page or to take ingest.
    ``obs-platform dr failover`` raises each group to the primary's matching group's size."""
    vpc_id: Input[str] | None = None
    """The standby's VPC in ``dr_region`` when the primary was given ``vpc_id`` (with
    ``private_subnet_ids``); with an IPAM the standby's VPC comes from its pool."""
    private_subnet_ids: SubnetIds | None = None
    """Private subnets of ``vpc_id``."""
    docker_hub_credential_arn: Input[str] | None = None
    """Secrets Manager secret (``ecr-pullthroughcache/...``) in ``dr_region`` for the standby's
    Docker Hub pull-through cache (cache rules and their credentials are regional)."""
    ghcr_credential_arn: Input[str] | None = None
    """Secrets Manager secret in ``dr_region`` for the standby's ghcr.io pull-through cache."""
    heartbeat_url: Input[str] | None = None
    """The standby Alertmanager's Watchdog endpoint: a second check of your dead man's switch
    (a secret). Required when ``alerting.heartbeat_receiver`` is set: one check per region, so
    the switch fires when either region stops sending; a shared one would stay quiet while the
    standby keeps it alive."""
    amp_remote_write_url: Input[str] | None = None
    """The standby region's Amazon Managed Service for Prometheus workspace (remote-write URL):
    with ``ObservabilityStackArgs.amp_remote_write_url`` both Prometheus servers write to both
    workspaces, so either region keeps the whole metric history."""
    amp_workspace_arn: Input[str] | None = None
    """That workspace's ARN (scopes the IAM grant)."""
    grafana_database: GrafanaDatabaseArgs = Field(default_factory=GrafanaDatabaseArgs)
    """Grafana's global database (instead of SQLite on a volume)."""
    promoted: bool = False
    """Whether the standby's Loki and Tempo may write to the replica buckets. Their roles hold the
    write grant either way (``{name}-dr-{loki,tempo}-write``, attached at deploy time); ``False``
    (passive) keeps them read-only with a Deny in each replica bucket's policy (``Sid``
    ``ObsPlatformReadOnlyUntilPromoted``): they serve the replicated data, accept pushes into
    their write-ahead logs and retry their flushes until promotion. ``obs-platform dr failover``
    promotes the standby by removing that statement (S3 calls in the standby's region, no IAM
    call), and ``dr failback`` puts it back; ``True`` leaves the statement out, for a standby
    that stays writable, and the command then leaves the policies alone (see the runbook)."""
    rto_target_seconds: int = Field(default=1800, ge=60, le=86400)
    """The stack's own recovery-time target. Ingest and paging move on their own within a few
    minutes; Grafana's database moves when an operator runs ``obs-platform dr failover``, which
    the budget charges as a person's approval (``TimingAssumptions.manual_approval_seconds``)."""
    rpo_target_seconds: int = Field(default=60, ge=1, le=86400)
    """The stack's own recovery-point target for Grafana's state (the global database's lag)."""
    telemetry_rpo_target_seconds: int = Field(default=10800, ge=60, le=604800)
    """The recovery-point target for logs and traces: what a loss of the primary region may
    lose of them (data Loki and Tempo acknowledged but had not yet flushed to S3, plus S3
    replication). The plan's ``dr`` entry reports the figure as ``telemetry_rpo``; a miss is
    refused or warned about as ``budget_enforcement`` says. Default 3 hours, above Loki's
    default 2h chunk age."""
    health_alarm_evaluation_periods: int = Field(default=2, ge=1, le=10)
    """One-minute periods the primary ingest NLB must report no healthy targets before the
    failover records move to the standby."""
    budget_enforcement: Literal["refuse", "warn"] = "refuse"
    """Refuse (default) or warn about a standby whose budget misses its targets."""
    cost: CostAssumptions = Field(default_factory=CostAssumptions)
    """Prices and stated volumes of the standby's idle-cost estimate (the plan's
    ``dr[].idle_cost``); override with your region's prices and your traffic."""

    @model_validator(mode="after")
    def _pair(self) -> Self:
        if (self.vpc_id is None) != (self.private_subnet_ids is None):
            raise ValueError(
                "standby.vpc_id and standby.private_subnet_ids go together; set both or neither."
            )
        if (self.amp_remote_write_url is None) != (self.amp_workspace_arn is None):
            raise ValueError(
                "standby.amp_remote_write_url and standby.amp_workspace_arn go together; set "
                "both or neither."
            )
        return self


class ObservabilityStackArgs(ArgsModel):
    """Arguments of the shared-monitoring stack.

    The VPC is either given (``vpc_id`` and ``private_subnet_ids``) or created from an IPAM pool
    (``ipam``) and, with ``transit``, attached to the Transit Gateway's ``shared`` segment.
    """

    region: Region
    """The region of the cluster, its storage and registry."""
    grafana_admin_password: Input[str]
    """Grafana's admin password; pass a Pulumi secret (``config.require_secret``). It goes into
    a Kubernetes Secret, never into Helm values."""

    vpc_id: Input[str] | None = None
    """An existing VPC to run in (with ``private_subnet_ids``); omit to create one from ``ipam``."""
    private_subnet_ids: SubnetIds | None = None
    """Private subnets of ``vpc_id``, in at least two availability zones."""
    ipam: InstanceOf[Ipam] | None = None
    """An :class:`~obs_platform.network.ipam.Ipam` to take the VPC's CIDR from (no ``vpc_id``)."""
    transit: InstanceOf[TransitNetwork] | None = None
    """A :class:`~obs_platform.network.transit.TransitNetwork` to attach the created VPC to
    (segment ``shared``); cells reach the ingest endpoints through it."""
    vpc_netmask_length: int = Field(default=20, ge=16, le=28)
    """Size of the created VPC (``20`` = /20)."""
    subnet_netmask_length: int = Field(default=22, ge=16, le=28)
    """Size of each private subnet of the created VPC."""
    az_count: int = Field(default=3, ge=2, le=6)
    """Availability zones (and subnets) of the created VPC."""

    kubernetes_version: KubernetesVersion = "1.34"
    """EKS Kubernetes minor version."""
    public_access_cidrs: tuple[ApiCidr, ...] = ()
    """CIDRs allowed to reach the Kubernetes API over the internet; empty (default) keeps the
    endpoint private only."""
    admin_principal_arns: tuple[PrincipalArn, ...] = ()
    """IAM roles or users given cluster-admin through access entries."""
    node_groups: dict[DnsLabel, NodeGroupArgs] = Field(
        default_factory=_default_node_groups, min_length=1
    )
    """Managed node groups by name; the default is one ``system`` group of 3 m7i.xlarge."""
    workload_identity: WorkloadIdentity = WorkloadIdentity.POD_IDENTITY
    """How Loki, Tempo, Grafana, Prometheus and the EBS CSI driver get AWS credentials."""
    kubeconfig_role_arn: Input[str] | None = None
    """A role the Kubernetes provider gets its token as (``--role-arn``); ``None`` uses the
    deployment's own identity."""

    namespace: DnsLabel = "monitoring"
    """Namespace of every release."""
    scale: Scale = Scale.MONOLITHIC
    """Monolithic Loki and Tempo, or both distributed (Tempo distributed needs Kafka)."""
    chart_versions: ChartVersions = Field(default_factory=ChartVersions)
    """Chart versions (default: the library's pins)."""

    prometheus_retention_days: int = Field(default=15, ge=1, le=365)
    """How long Prometheus keeps samples locally (1-365 days)."""
    prometheus_volume_gib: int = Field(default=200, ge=10, le=16384)
    """Prometheus volume size (gp3)."""
    prometheus_replicas: int = Field(default=1, ge=1, le=5)
    """Prometheus replicas. Cells remote-write through one Service, which sends each request to
    one replica, so more than one replica is refused unless every replica forwards to AMP
    (``amp_remote_write_url``), where queries then go."""
    alertmanager_replicas: int = Field(default=2, ge=1, le=5)
    """Alertmanager replicas (they gossip to deduplicate)."""
    alertmanager_volume_gib: int = Field(default=10, ge=1, le=1024)
    """Alertmanager volume size."""
    grafana_volume_gib: int = Field(default=10, ge=1, le=1024)
    """Grafana volume size."""
    loki_retention_days: int = Field(default=30, ge=1, le=3650)
    """How long logs are kept (1-3650 days); the bucket lifecycle follows."""
    loki_max_chunk_age_minutes: int | None = Field(default=None, ge=1, le=1440)
    """Loki's ``ingester.max_chunk_age`` in minutes: the longest a chunk stays in the ingester
    before it is flushed to S3, and so the bulk of what a region loss loses of logs (the
    standby's ``telemetry_rpo``). ``None`` (default) keeps Loki's 2h; lower values flush
    smaller chunks more often (more S3 requests, a larger index)."""
    tempo_retention_days: int = Field(default=14, ge=1, le=365)
    """How long traces are kept (1-365 days); the bucket lifecycle follows."""
    tempo_wal_volume_gib: int = Field(default=20, ge=5, le=1024)
    """Tempo's WAL volume (monolithic)."""
    tempo_kafka_address: Annotated[Input[str], AfterValidator(_check_bootstrap)] | None = None
    """Kafka bootstrap address for Tempo 3's ingest (required when ``scale`` is distributed)."""
    tempo_kafka_partitions: int = Field(default=3, ge=1, le=100)
    """Partitions of Tempo's ingest topic (= block-builder and live-store replicas)."""
    loki_schema_from: Annotated[str, AfterValidator(_check_schema_date)] = "2025-01-01"
    """The fixed start date of Loki's schema period; never change it on a running Loki."""

    amp_remote_write_url: Input[str] | None = None
    """An Amazon Managed Service for Prometheus remote-write URL to forward samples to (SigV4)."""
    amp_workspace_arn: Input[str] | None = None
    """The AMP workspace's ARN (required with ``amp_remote_write_url``; scopes the IAM grant)."""

    ingest_allowed_cidrs: tuple[Cidr, ...] | None = Field(default=None, min_length=1)
    """Who may reach the internal ingest load balancer (cells over the Transit Gateway);
    ``None`` takes the IPAM's top-level CIDR, or ``10.0.0.0/8`` with a given VPC."""
    ingest_certificate_arn: Input[str] | None = None
    """An ACM certificate for TLS on the ingest load balancer; ``None`` serves plain TCP inside
    the private network."""

    ingest_tenants: dict[TenantName, Input[str] | None] = Field(default_factory=dict)
    """The cells allowed to write, by ingest user (each cell's ``TelemetryArgs.username``,
    by default its name) with its password (a Pulumi secret), or ``None`` to generate one in
    this stack (``{n}-ingest-password-{tenant}``, exported as the secret
    :attr:`ObservabilityStack.ingest_passwords`; the cell reads it through a StackReference,
    so the password exists in one place). The authenticating gateway in front of remote-write,
    Loki push and OTLP checks them (basic auth) and sets each user's Loki/Tempo tenant; Grafana
    reads all of them. Empty refuses every write."""
    ingest_zone_name: str | None = Field(default="obs.internal", pattern=_ZONE_NAME)
    """A private hosted zone for the ingest names (``ingest.<zone>``), associated with the
    stack's VPC; the exported URLs use ``ingest.<zone>``, so the certificate must name it.
    ``None`` makes no zone and the URLs use the load balancer's own DNS name."""
    ingest_zone_authorized_vpcs: tuple[IngestZoneVpc, ...] = ()
    """VPCs in other accounts (the cells') allowed to associate with the ingest zone; each cell
    then associates itself (``TelemetryArgs.ingest_zone_id``) through its own provider. A VPC in
    the stack's own account needs no authorization."""
    ingest_access_logs: bool = True
    """Write the ingest NLB's access logs (TLS connections only, per the NLB guide) to a
    private, encrypted bucket ``{name}-ingest-logs-bucket`` kept 90 days."""
    ingest_deletion_protection: bool = True
    """Deletion protection on the ingest NLB; turn it off before destroying the stack."""

    alerting: AlertingArgs = Field(default_factory=AlertingArgs)
    """Alertmanager receivers and routes (the default sends nothing)."""
    rto_target_seconds: int = Field(default=300, ge=30, le=86400)
    """The DR recovery-time target the DR alert rules and dashboard measure against."""
    rpo_target_seconds: int = Field(default=60, ge=1, le=86400)
    """The DR recovery-point target; replication lag above it is critical."""
    standby_cells: tuple[TenantName, ...] = Field(default=(), max_length=64)
    """Names of the DR standby cells that must always exist. ``StandbyNotReady`` fires for a
    listed standby whose EKS control plane stops reporting, however long ago it went (an
    unlisted standby is watched for a day after it was last seen). Read through the CloudWatch
    exporter, so a standby in another account also needs its ``cloudwatch_accounts`` entry."""
    cloudwatch_exporter: bool = True
    """Install the CloudWatch exporter (YACE) that the DR alert rules read: Aurora global
    database replication lag and MSK Replicator latency in ``region`` and ``dr_region``, Route 53
    health-check status in us-east-1, with the ``cell`` and ``dr-role`` resource tags as labels.
    It runs as ``yace`` in ``namespace`` with its own read-only CloudWatch role, and Prometheus
    scrapes it through a ServiceMonitor. Turn it off only if another exporter publishes the same
    series (``aws_rds_aurora_global_dbreplication_lag_average`` ...); without them the DR alerts
    cannot fire."""

    cloudwatch_exporter_https_proxy: str | None = Field(
        default=None, pattern=r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?/?$"
    )
    """An HTTP(S) proxy the CloudWatch exporter and Grafana, and nothing else, reach CloudWatch
    in other regions through: Route 53's health-check metrics exist only in us-east-1 (the DR
    alerts and the DR dashboard's HealthCheckStatus panel read them), the DR region holds the
    standby's Aurora and MSK metrics, and the cells' accounts' in their regions; but CloudWatch
    (``monitoring``) is not among the services PrivateLink serves across regions (Amazon VPC
    PrivateLink guide, "Cross-region enabled AWS services": S3, IAM, ECR, KMS, ECS, Lambda,
    Data Firehose, Managed Flink and the Route 53 API only), so the stack's VPC endpoints reach
    its own region alone. Set as ``HTTPS_PROXY`` on the exporter's pod (the AWS SDK for Go
    honours it) and on Grafana's (its plugin HTTP client uses Go's ``ProxyFromEnvironment``),
    with ``NO_PROXY`` for the stack's own region, the cluster and the Pod Identity agent, so
    in-region calls keep using the VPC endpoints. Such as ``http://proxy.egress.internal:3128``
    (a forward proxy in an egress VPC behind the Transit Gateway); no credentials in the URL.
    A stack outside us-east-1 needs it, or ``internet_egress``: without either it is refused,
    since every such stack reads us-east-1."""
    cloudwatch_accounts: tuple[CloudWatchAccountArgs, ...] = ()
    """Cell accounts whose DR metrics (Aurora global lag, MSK Replicator latency, Route 53
    health checks) the CloudWatch exporter reads through a role it assumes there; its own role
    may assume exactly these. Without them it reads only the stack's account, so DR resources
    in application accounts give the DR alerts no data."""
    msk_replicator_cells: dict[Region, TenantName] = Field(default_factory=dict)
    """For MSK Replicators in the stack's own account (a single-account layout, or a standby's
    MSK cluster created in the primary's account with ``standby_in_primary_account``, when that
    account is the stack's): the cell each region's replicator replicates into, by the
    replicator's region (the standby cell's). CloudWatch discovery cannot give MSK Replicator
    series a ``cell``: YACE's ``AWS/Kafka`` discovery associates ``kafka:cluster`` resources,
    and ``ReplicationLatency``'s only resource dimension is ``ReplicatorName`` (MSK developer
    guide, "MSK Replicator metrics"), so ``MskReplicatorLagHigh`` would carry none. Each listed
    region's Kafka job then carries the cell as a custom tag, as a ``cloudwatch_accounts``
    entry's jobs do. Regions must be ones the exporter reads in this account (``region``,
    ``dr_region``)."""

    ecr_repositories: tuple[RepositoryName, ...] = (
        "observability/exporters",
        "observability/otel-collector",
    )
    """Private ECR repositories for monitoring workloads."""
    ecr_keep_images: int = Field(default=30, ge=1, le=1000)
    """Images each repository keeps (older ones expire)."""
    pull_through_cache: bool = True
    """Create ECR pull-through cache rules for quay.io, registry.k8s.io, ghcr.io (and Docker Hub
    with ``docker_hub_credential_arn``)."""
    docker_hub_credential_arn: Input[str] | None = None
    """Secrets Manager secret (``ecr-pullthroughcache/...``) with Docker Hub credentials."""
    ghcr_credential_arn: Input[str] | None = None
    """Secrets Manager secret (``ecr-pullthroughcache/...``) with a GitHub Container Registry
    user name and token (ECR requires one for a ghcr.io pull-through cache)."""
    image_source: ImageSource = ImageSource.PULL_THROUGH_CACHE
    """Through the ECR pull-through caches (default; needs both credentials), or upstream (needs
    ``internet_egress``). A stack with neither is refused: its VPC has no internet path and no
    pod could pull its image."""
    internet_egress: bool = False
    """Declare that the stack's VPC reaches the internet (your own ``vpc_id`` with a NAT gateway,
    or a default route to an egress VPC behind the Transit Gateway), so ``image_source=
    "upstream"`` can pull and the CloudWatch exporter and Grafana reach CloudWatch in other
    regions directly. The library creates no such path."""

    dr_region: Region | None = None
    """The DR region for replication (required by the ``replicate_*`` switches)."""
    replicate_images: bool = False
    """Replicate the ECR repositories to ``dr_region``."""
    replicate_storage: bool = False
    """Replicate the Loki and Tempo buckets to ``dr_region`` (with a replica KMS key)."""
    standby: StandbyStackArgs | None = None
    """A pilot-light copy of the stack in ``dr_region`` (needs ``replicate_storage`` and
    ``replicate_images``): the platform then survives the region failure it reports on.
    ``None`` (default) builds none."""
    grafana_replicas: int | None = Field(default=None, ge=1, le=10)
    """Grafana replicas in each region. More than one needs a shared database, which only a
    ``standby`` brings (Grafana on Aurora instead of SQLite on a ReadWriteOnce volume).
    ``None`` (default): 1 without a standby, 2 with one."""

    protect: bool = True
    """Protect stateful children (buckets, KMS keys) from deletion. Set ``False`` only to tear a
    stack down on purpose."""
    tags: Tags = Field(default_factory=dict)
    """Tags for every AWS resource (precedence in :mod:`obs_platform._internal.tags`)."""

    def cloudwatch_regions_elsewhere(self) -> list[str]:
        """The regions other than ``region`` whose CloudWatch the stack reads, sorted.

        Grafana always reads us-east-1 (the DR dashboard's Route 53 ``HealthCheckStatus``
        panel, a metric published there only) and each ``cloudwatch_accounts`` entry's regions
        (its datasource); the CloudWatch exporter reads the same and, with ``dr_region``, the
        DR series (Aurora global lag, MSK Replicator) there.
        """
        regions = {
            ROUTE53_METRICS_REGION,
            *(r for a in self.cloudwatch_accounts for r in a.regions),
        }
        if self.cloudwatch_exporter and self.dr_region is not None:
            regions.add(self.dr_region)
        return sorted(regions - {self.region})

    def _check_cloudwatch_path(self) -> None:
        """Refuse a stack that must read CloudWatch in another region and has no way there.

        CloudWatch (``monitoring``) is not among the services PrivateLink serves across regions
        (Amazon VPC PrivateLink guide, "Cross-region enabled AWS services"), so the stack's
        interface endpoints reach its own region alone; without a proxy or an egress path the
        exporter's and Grafana's calls elsewhere time out, and the DR alerts and dashboard get
        no data with no error in the plan.
        """
        elsewhere = self.cloudwatch_regions_elsewhere()
        if not elsewhere or self.internet_egress or self.cloudwatch_exporter_https_proxy:
            return
        readers = [
            f"Grafana (the DR dashboard's Route 53 HealthCheckStatus in {ROUTE53_METRICS_REGION}"
            + (", the cloudwatch_accounts datasources" if self.cloudwatch_accounts else "")
            + ")"
        ]
        if self.cloudwatch_exporter:
            readers.append(
                "the CloudWatch exporter (Route 53 health checks"
                + (f", dr_region {self.dr_region!r}'s Aurora and MSK" if self.dr_region else "")
                + (", the cloudwatch_accounts regions" if self.cloudwatch_accounts else "")
                + ")"
            )
        only_us_east_1 = elsewhere == [ROUTE53_METRICS_REGION]
        raise ValueError(
            f"region={self.region!r}: {' and '.join(readers)} read CloudWatch in "
            f"{', '.join(elsewhere)}, but the stack's VPC reaches CloudWatch in {self.region} "
            "alone ('monitoring' is not among the services PrivateLink serves across regions) "
            "and has no internet path, so those reads would fail and the DR alerts and "
            "dashboard get no data. Set cloudwatch_exporter_https_proxy to a forward proxy "
            "both use (such as 'http://proxy.egress.internal:3128' in an egress VPC behind the "
            "Transit Gateway), or internet_egress=True if the VPC has an egress path"
            + (f", or run the stack in {ROUTE53_METRICS_REGION}." if only_us_east_1 else ".")
        )

    @model_validator(mode="after")
    def _cross_fields(self) -> Self:
        check_az_count(self.az_count, self.region)
        if (self.vpc_id is None) != (self.private_subnet_ids is None):
            raise ValueError(
                "vpc_id and private_subnet_ids go together; set both (an existing "
                "VPC) or neither (a VPC from ipam)."
            )
        if self.vpc_id is None and self.ipam is None:
            raise ValueError(
                "no network: set vpc_id and private_subnet_ids, or ipam (and "
                "transit) to create a VPC."
            )
        if self.vpc_id is not None and (self.ipam is not None or self.transit is not None):
            raise ValueError(
                "vpc_id is given, so ipam/transit would be unused; attach an "
                "existing VPC yourself, or drop vpc_id to create one from ipam."
            )
        if isinstance(self.private_subnet_ids, list) and len(self.private_subnet_ids) < 2:
            raise ValueError(
                f"private_subnet_ids has {len(self.private_subnet_ids)} subnet(s); "
                "EKS needs subnets in at least two availability zones."
            )
        if (self.replicate_images or self.replicate_storage) and self.dr_region is None:
            raise ValueError("replicate_images/replicate_storage need dr_region; set it.")
        if self.standby is not None:
            self._check_standby(self.standby)
        elif self.grafana_replicas is not None and self.grafana_replicas > 1:
            raise ValueError(
                f"grafana_replicas={self.grafana_replicas} needs a shared database, but without "
                "a standby Grafana keeps SQLite on one ReadWriteOnce volume, which a second pod "
                "cannot mount. Use grafana_replicas=1, or set standby (Grafana moves to Aurora)."
            )
        if self.dr_region is not None and self.dr_region == self.region:
            raise ValueError(f"dr_region {self.dr_region!r} equals region; choose another.")
        if self.scale is Scale.DISTRIBUTED and self.tempo_kafka_address is None:
            raise ValueError(
                "scale 'distributed' runs Tempo 3 microservices, which ingest "
                "through Kafka; set tempo_kafka_address (host:port)."
            )
        if self.image_source is ImageSource.PULL_THROUGH_CACHE:
            missing = [
                name
                for name, value in (
                    ("docker_hub_credential_arn", self.docker_hub_credential_arn),
                    ("ghcr_credential_arn", self.ghcr_credential_arn),
                )
                if value is None
            ]
            if not self.pull_through_cache or missing:
                raise ValueError(
                    "the stack's VPC has no internet path, so its images come through ECR "
                    "pull-through caches (image_source 'pull-through-cache', the default), which "
                    f"need pull_through_cache=True and {' and '.join(missing) or 'the caches'}: "
                    "ECR caches Docker Hub (Grafana, Loki, Tempo) and ghcr.io (the admission "
                    "webhook job) only with a Secrets Manager credential named "
                    "'ecr-pullthroughcache/...'. Pass them, or image_source='upstream' with "
                    "internet_egress=True if the VPC has an egress path."
                )
        elif not self.internet_egress:
            raise ValueError(
                "image_source 'upstream' pulls from quay.io, registry.k8s.io, ghcr.io and Docker "
                "Hub, but the stack's VPC has no internet path unless you provide one; set "
                "internet_egress=True once it has (NAT, or an egress VPC behind the Transit "
                "Gateway), or use image_source='pull-through-cache' with docker_hub_credential_arn "
                "and ghcr_credential_arn."
            )
        self._check_cloudwatch_path()
        own_regions = {self.region, *([self.dr_region] if self.dr_region else [])}
        if unread := sorted(set(self.msk_replicator_cells) - own_regions):
            raise ValueError(
                f"msk_replicator_cells lists {', '.join(unread)}, but the CloudWatch exporter "
                f"reads MSK in this account in {', '.join(sorted(own_regions))} only (region and "
                "dr_region). Set dr_region to the replicator's region, or list a replicator in "
                "another account through its cloudwatch_accounts entry (whose cell it carries)."
            )
        if self.msk_replicator_cells and not self.cloudwatch_exporter:
            raise ValueError(
                "msk_replicator_cells labels the CloudWatch exporter's MSK series, but "
                "cloudwatch_exporter is False; turn the exporter on or drop the mapping."
            )
        if self.ingest_zone_authorized_vpcs and self.ingest_zone_name is None:
            raise ValueError(
                "ingest_zone_authorized_vpcs needs ingest_zone_name (the zone they join); set "
                "ingest_zone_name or drop the authorizations."
            )
        if (self.amp_remote_write_url is None) != (self.amp_workspace_arn is None):
            raise ValueError(
                "amp_remote_write_url and amp_workspace_arn go together; set both or neither."
            )
        if self.prometheus_replicas > 1 and self.amp_remote_write_url is None:
            # The ingest Service balances each remote-write request to one replica, so every
            # replica would hold a disjoint part of what the cells push.
            raise ValueError(
                f"prometheus_replicas={self.prometheus_replicas} without AMP splits the cells' "
                "remote-write between the replicas (each receives only part of every series). "
                "Use prometheus_replicas=1, or set amp_remote_write_url and amp_workspace_arn "
                "so every replica forwards to Amazon Managed Service for Prometheus and "
                "queries go there."
            )
        if len(self.namespace) + len(NODE_EXPORTER_NAMESPACE_SUFFIX) > 63:
            raise ValueError(
                f"namespace {self.namespace!r} is too long: node-exporter runs in "
                f"'{self.namespace}{NODE_EXPORTER_NAMESPACE_SUFFIX}', which must be a DNS label "
                f"of at most 63 characters; use at most {63 - len(NODE_EXPORTER_NAMESPACE_SUFFIX)}."
            )
        return self

    def _check_standby(self, standby: StandbyStackArgs) -> None:
        if self.dr_region is None:
            raise ValueError("standby runs in dr_region; set dr_region (such as 'us-east-1').")
        if not (self.replicate_storage and self.replicate_images):
            raise ValueError(
                "standby reads the replicated Loki and Tempo buckets and pulls the replicated "
                "images; set replicate_storage=True and replicate_images=True."
            )
        check_az_count(self.az_count, self.dr_region)
        if self.ingest_zone_name is None:
            raise ValueError(
                "the standby takes over the ingest names through failover records in the "
                "private zone; set ingest_zone_name (such as 'obs.internal')."
            )
        if self.vpc_id is not None and standby.vpc_id is None:
            raise ValueError(
                "the stack runs in a given VPC (vpc_id), so the standby needs one in dr_region "
                "too; set standby.vpc_id and standby.private_subnet_ids."
            )
        if self.vpc_id is None and standby.vpc_id is not None:
            raise ValueError(
                "the stack's VPC comes from the IPAM, and so does the standby's; drop "
                "standby.vpc_id and standby.private_subnet_ids."
            )
        if self.image_source is ImageSource.PULL_THROUGH_CACHE:
            missing = [
                name
                for name in ("docker_hub_credential_arn", "ghcr_credential_arn")
                if getattr(standby, name) is None
            ]
            if missing:
                raise ValueError(
                    f"the standby pulls its images through its own region's ECR pull-through "
                    f"caches (cache rules are regional), which need standby.{missing[0]}: a "
                    f"Secrets Manager secret 'ecr-pullthroughcache/...' in {self.dr_region}."
                )
        if self.alerting.heartbeat_receiver is not None and standby.heartbeat_url is None:
            raise ValueError(
                f"alerting.heartbeat_receiver {self.alerting.heartbeat_receiver!r} sends the "
                "primary's Watchdog to a dead man's switch; the standby needs a check of its "
                "own (standby.heartbeat_url), or it would keep the primary's alive through an "
                "outage of the primary region."
            )
        if (standby.amp_remote_write_url is None) != (self.amp_remote_write_url is None):
            raise ValueError(
                "metrics go to an AMP workspace in each region or to none: set "
                "amp_remote_write_url and standby.amp_remote_write_url together (with their "
                "workspace ARNs), or neither."
            )

    @property
    def effective_grafana_replicas(self) -> int:
        """Grafana replicas per region: the field, else 2 with a standby and 1 without."""
        if self.grafana_replicas is not None:
            return self.grafana_replicas
        return 2 if self.standby is not None else 1
