"""The arguments of :class:`~obs_platform.cell.Cell`: :class:`CellArgs` and its parts.

They live apart from ``cell.py`` so that the cell's concern modules (``cells/*``) import them
without a cycle; :mod:`obs_platform.cell` re-exports them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pulumi
from pydantic import AfterValidator, Field, InstanceOf, field_validator, model_validator

from .._internal.ingest_gateway import TENANT_PATTERN as INGEST_TENANT_PATTERN
from .._internal.regions import check_az_count
from .._internal.types import ArgsModel, Cidr, Input, Region, Tags
from ..dr.args import KafkaEngine
from ..network.transit import TransitGatewayHandle, TransitNetwork
from ..observability.args import ApiCidr, PrincipalArn

_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")


def _check_role_arn(value: Any) -> Any:
    if isinstance(value, str) and not _ROLE_ARN.match(value):
        raise ValueError(
            f"{value!r} is not an IAM role ARN; write it as "
            "'arn:aws:iam::123456789012:role/name' (with the role's path, if it has one)."
        )
    return value


_ROUTE_KEY = re.compile(r"^(\$default|(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*)$")


def _check_route_key(value: str) -> str:
    if not _ROUTE_KEY.match(value):
        raise ValueError(
            f"{value!r} is not an HTTP API route key; write 'METHOD /path' (METHOD one of ANY, "
            "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS; a greedy path ends in '{proxy+}', "
            "such as 'ANY /orders/{proxy+}') or '$default'."
        )
    return value


RouteKey = Annotated[str, AfterValidator(_check_route_key)]
"""An API Gateway HTTP API route key: ``"GET /orders"``, ``"ANY /orders/{proxy+}"``,
``"$default"`` (API Gateway developer guide, "Working with routes for HTTP APIs")."""

LOG_RETENTION_DAYS: tuple[int, ...] = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400)
LOG_RETENTION_DAYS += (545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
"""The retention values CloudWatch Logs accepts (botocore ``logs`` model, shape ``Days``)."""


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention; use one of {list(LOG_RETENTION_DAYS)}."
        )
    return value


RetentionDays = Annotated[int, AfterValidator(_check_retention)]
"""Days a CloudWatch Logs log group keeps events: one of :data:`LOG_RETENTION_DAYS`."""

RoleArn = Annotated[Input[str], AfterValidator(_check_role_arn)]
"""An IAM role ARN (``arn:aws:iam::<account>:role/<path/name>``); an Output is not checked."""

__all__ = ["TENANT_PATTERN", "CellArgs", "CellImageSource", "DrStrategy", "TelemetryArgs"]


class DrStrategy(StrEnum):
    """The cell's part in disaster recovery."""

    NONE = "none"
    """A single-region cell: its own Aurora cluster, nothing kept for a peer."""
    PILOT_LIGHT = "pilot-light"
    """Ready to be joined by a PilotLightDr: the cluster always exists, compute scales from zero,
    and the database member (with ``rds_global``) is owned by the DR."""


TENANT_PATTERN = INGEST_TENANT_PATTERN
"""A cell's ingest user and Loki/Tempo tenant (``X-Scope-OrgID``): a DNS-label-like name."""


def _check_url(value: Any, field: str) -> Any:
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{field} {value!r} is not an http(s) URL; write it as "
                "'https://host[:port]/path' (the stack's outputs are such URLs)."
            )
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                f"{field} carries credentials in the URL (user:password@), which would land "
                "in the collector's ConfigMap in plain text; remove them from the URL and pass "
                "TelemetryArgs.password (a Pulumi secret) instead."
            )
    return value


class CellImageSource(StrEnum):
    """Where a cell's cluster pulls the images the library installs (collector, Strimzi).

    The cell's VPC has no internet path, so one of these must work without it, or the cell must
    have an explicit egress path; the cell refuses a configuration that has neither.
    """

    PULL_THROUGH_CACHE = "pull-through-cache"
    """ECR pull-through caches in the cell's account and region (``{n}-ptc-docker-hub`` for the
    collector, ``{n}-ptc-quay`` for Strimzi), reached through the cell's ``ecr.*`` and S3
    endpoints. Docker Hub needs ``docker_hub_credential_arn`` (ECR requires a credential)."""
    MIRROR = "mirror"
    """A registry the operator filled (``image_registry``, an ECR registry and prefix): images
    are pulled as ``{image_registry}/{upstream path}``."""
    EGRESS = "egress"
    """Upstream registries over an egress path the operator provides behind the Transit Gateway
    (an egress VPC with NAT): needs the cell attached and ``0.0.0.0/0`` in ``transit_routes``."""


class TelemetryArgs(ArgsModel):
    """Where a cell ships telemetry (the central stack's ingest endpoints) and as whom.

    Leave an endpoint ``None`` to not ship that signal; with none at all the collector runs with
    a debug exporter, so enabling shipping later changes only configuration. Build it from the
    shared stack's outputs, so that the names and schemes are exactly the ones the stack serves.
    """

    metrics_remote_write_url: Input[str] | None = None
    """Prometheus remote-write URL, such as ``https://ingest.obs.internal:9090/api/v1/write``."""
    logs_otlp_url: Input[str] | None = None
    """Loki's OTLP HTTP endpoint, such as ``https://ingest.obs.internal:3100/otlp``."""
    traces_otlp_endpoint: Input[str] | None = None
    """Tempo's OTLP gRPC endpoint, such as ``ingest.obs.internal:4317``: TLS unless it starts
    with ``http://`` (then plaintext, ``tls.insecure``)."""
    username: str | None = Field(default=None, pattern=TENANT_PATTERN)
    """The cell's ingest user and Loki/Tempo tenant; ``None`` is the cell's name."""
    password: Input[str] | None = None
    """The cell's ingest password (a Pulumi secret): it goes into a Kubernetes Secret in the
    cell, from which the collector reads it; ``None`` ships without credentials, which an
    ingest gateway refuses."""
    ca_certificate_pem: str | None = Field(default=None, pattern=r"^-----BEGIN CERTIFICATE-----")
    """A private CA certificate (PEM) that signed the ingest certificate (ACM Private CA); ``None``
    trusts the system roots (an ACM public certificate)."""
    ingest_zone_id: Input[str] | None = None
    """The stack's private ingest zone (``ObservabilityStack.ingest_zone_id``): the cell's VPC
    joins it, so that ``ingest.<zone>`` resolves in the cell. A cell in another account than
    the stack must be listed in ``ObservabilityStackArgs.ingest_zone_authorized_vpcs`` first."""
    cloudwatch_reader_principal_arn: Input[str] | None = None
    """The shared stack's CloudWatch exporter role (``ObservabilityStack.cloudwatch_exporter_
    role_arn``): the cell creates ``{n}-cloudwatch-reader-role`` in its own account, which only
    that role may assume, so the DR metrics of this account reach the DR alerts; list the
    cell's ``cloudwatch_reader_role_arn`` in ``ObservabilityStackArgs.cloudwatch_accounts``."""
    cloudwatch_grafana_principal_arn: Input[str] | None = None
    """The shared stack's Grafana role (``ObservabilityStack.grafana_role_arn``): the reader
    role admits it as well and grants it what Grafana's CloudWatch datasource reads, so the
    stack's per-account CloudWatch datasource can read this account. Needs
    ``cloudwatch_reader_principal_arn``."""
    host_ports: bool = False
    """Also expose OTLP on each node's ports 4317/4318 (for workloads that send to the node IP);
    by default workloads send to ``otel-collector.obs-telemetry:4317``, which stays on the
    node (``internalTrafficPolicy: Local``)."""
    kubernetes_metrics: bool = True
    """Run kube-prometheus-stack in Prometheus agent mode in the cell (``{n}-telemetry-agent``):
    kube-state-metrics, node-exporter, the API server and every ServiceMonitor/PodMonitor of the
    cell's workloads, remote-written with the cell's labels to ``metrics_remote_write_url``
    (nothing is installed without that URL)."""
    kubernetes_events: bool = True
    """Ship the cell's Kubernetes events to Loki (``{n}-telemetry-events``, one collector
    watching ``events.k8s.io`` events), when ``logs_otlp_url`` is set."""
    outage_buffer_seconds: int = Field(default=1800, ge=300, le=86_400)
    """How long the cell keeps its telemetry while the ingest endpoint is unreachable (an ingest
    failover): at least the stack's ingest failover RTO. Sizes the collector's persistent queues
    and the agent's write-ahead log (see the telemetry path concept page, "Buffering")."""
    expected_samples_per_second: int = Field(default=20_000, ge=100, le=10_000_000)
    """Metric samples per second the cell's Prometheus agent scrapes (sizes its WAL volume and
    remote-write shards)."""
    expected_records_per_second: int = Field(default=2_000, ge=1, le=1_000_000)
    """Log records or spans per second one node's collector handles, per signal (sizes the
    collector's queues)."""

    @model_validator(mode="after")
    def _no_grpc_credentials_in_plaintext(self) -> TelemetryArgs:
        endpoint = self.traces_otlp_endpoint
        if (
            self.password is not None
            and isinstance(endpoint, str)
            and endpoint.startswith("http://")
        ):
            raise ValueError(
                f"traces_otlp_endpoint {endpoint!r} is plaintext, but a password is set: the "
                "collector's basic-auth client refuses to send credentials over gRPC without "
                "TLS (basicauthextension: RequireTransportSecurity is true). Use the stack's "
                "TLS endpoint (ObservabilityStackArgs.ingest_certificate_arn)."
            )
        return self

    @model_validator(mode="after")
    def _grafana_reads_through_the_reader_role(self) -> TelemetryArgs:
        if (
            self.cloudwatch_grafana_principal_arn is not None
            and self.cloudwatch_reader_principal_arn is None
        ):
            raise ValueError(
                "cloudwatch_grafana_principal_arn is set without "
                "cloudwatch_reader_principal_arn: Grafana reads this account through the "
                "reader role, which is made only for the exporter's role. Set "
                "cloudwatch_reader_principal_arn to the stack's cloudwatch_exporter_role_arn."
            )
        return self

    @field_validator("metrics_remote_write_url", "logs_otlp_url")
    @classmethod
    def _urls(cls, value: Any, info: Any) -> Any:
        return _check_url(value, info.field_name)

    @field_validator("traces_otlp_endpoint")
    @classmethod
    def _grpc(cls, value: Any) -> Any:
        if isinstance(value, str):
            bare = re.sub(r"^https?://", "", value)
            if not re.fullmatch(r"[A-Za-z0-9.-]+:\d{1,5}", bare):
                raise ValueError(
                    f"traces_otlp_endpoint {value!r} is not host:port; write it as "
                    "'tempo.example:4317' (TLS) or 'http://tempo.example:4317' (plaintext)."
                )
        return value


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
    availability_zone_ids: tuple[str, ...] = ()
    """Availability Zone IDs (``euw1-az1``...) to pin the subnets to, ``az_count`` of them.
    Empty (default) takes the region's first ``az_count`` zone IDs that EKS supports (the
    zone IDs EKS refuses, :data:`obs_platform.network.vpc.EKS_UNSUPPORTED_ZONE_IDS`, are
    excluded). Zones are chosen by ID because zone names map to different physical zones in
    every account; pin them to keep two accounts' cells in the same physical zones."""
    transit_network: InstanceOf[TransitNetwork] | None = None
    """The TransitNetwork to attach the VPC to (segment ``cells``), when it is made in the same
    program and account; ``None`` (and no ``transit_gateway``) leaves the VPC unattached."""
    transit_gateway: TransitGatewayHandle | None = None
    """The shared account's Transit Gateway, by ID (``TransitGatewayHandle.from_outputs`` of the
    shared stack's outputs read through a ``StackReference``): the cell creates the VPC
    attachment ``{n}-tgw`` and its VPC routes in the cell's own account (the gateway, shared
    through RAM, accepts it automatically). The attachment's association with the ``cells``
    segment belongs to the gateway's account: with ``transit_network_provider`` the cell
    creates it there (``{n}-tgw-association``, ``{n}-tgw-propagation-{segment}``); without,
    the shared stack does (``TransitNetwork.associate_attachment`` with the cell's
    ``transit_attachment_id``). Exclusive with ``transit_network``."""
    transit_network_provider: InstanceOf[pulumi.ProviderResource] | None = None
    """An AWS provider for the Transit Gateway's (shared) account, in which the cell places its
    attachment in the ``cells`` segment; only with ``transit_gateway``."""
    transit_routes: tuple[Cidr, ...] = ()
    """CIDRs the cell reaches through the Transit Gateway (such as the IPAM's top-level CIDR);
    needs ``transit_network`` or ``transit_gateway`` (refused without: the routes would have
    nowhere to go)."""
    kubernetes_version: str = Field(default="1.33", pattern=r"^1\.\d{2}$")
    """EKS Kubernetes version."""
    instance_types: tuple[str, ...] = ("m6i.large",)
    """Node instance types (x86_64, Amazon Linux 2023)."""
    workload_namespace: str = Field(default="app", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    """Namespace of the cell's workloads (the Region switch plan scales them). The cell creates it
    (``{n}-workload-namespace``), with the ingress Service in it."""
    workload_deployments: tuple[str, ...] = ("app",)
    """Deployments the Region switch plan scales."""
    ingress_selector: dict[str, str] = Field(
        default_factory=lambda: {"app.kubernetes.io/name": "app"}, min_length=1
    )
    """Pod labels of the workloads that serve ``healthz_path`` and ``api_routes``; the cell's
    NodePort Service ``cell-ingress`` in ``workload_namespace`` selects them."""
    ingress_port: int = Field(default=8080, ge=1, le=65535)
    """The pods' HTTP port (the Service's ``targetPort``)."""
    ingress_node_port: int = Field(default=30080, ge=30000, le=32767)
    """The NodePort the load balancer targets (and health-checks) on every node; in the
    Kubernetes default NodePort range 30000-32767 (``--service-node-port-range``)."""
    healthz_path: str = Field(default="/healthz", pattern=r"^/\S*$")
    """Path of the health endpoint the workloads serve."""
    api_domain_name: str | None = Field(
        default=None, pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$"
    )
    """The name clients use (the DR's ``record_name``, such as ``app.example.com``), served by
    this cell's API as a regional custom domain, so that TLS matches after a failover. ``None``
    serves only the API's default ``execute-api`` host (health checks, tests)."""
    api_routes: tuple[RouteKey, ...] = ()
    """Routes the public API forwards to the workloads, besides ``GET {healthz_path}`` (always
    routed): route keys such as ``"ANY /orders/{proxy+}"``, or ``"$default"`` to forward every
    request. Empty (default) exposes only the health endpoint; nothing else reaches the cell."""
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
    public_access_cidrs: tuple[ApiCidr, ...] = ()
    """CIDRs allowed to reach the cluster's Kubernetes API over the internet (the public endpoint
    is on only when this is set; ``/0`` is refused). The same ``pulumi up`` that creates the
    cluster installs Kubernetes objects in it, so the machine running Pulumi must reach the API:
    either from inside the network (a runner in a VPC attached to the Transit Gateway, the
    default and the safe choice) or from one of these CIDRs. EKS: "If you disable public access,
    your cluster's Kubernetes API server can only receive requests from within the cluster VPC"
    (EKS API reference, ``VpcConfigRequest.endpointPublicAccess``)."""
    kubeconfig_role_arn: RoleArn | None = None
    """The role the cell's Kubernetes provider gets its token as (``aws eks get-token
    --role-arn``, and pulumi-eks ``provider_credential_opts``). Set it when the cell is created
    through a provider that assumes a role (a cell in another account): that role created the
    cluster and is its only admin (``API`` authentication mode), and without it the token comes
    from the ambient credentials of the machine running Pulumi, which the cluster refuses.
    ``None`` uses the ambient credentials (a cell in the deployment's own account)."""
    admin_principal_arns: tuple[PrincipalArn, ...] = ()
    """IAM roles or users given cluster admin through access entries ``{n}-admin-{i}``
    (``AmazonEKSClusterAdminPolicy``). The cluster's creator (the identity of the cell's AWS
    provider) is admin already; list ``kubeconfig_role_arn`` here when it is another role, so
    the deployment can reach the cluster. Listing the creator itself is refused by EKS
    (``ResourceInUseException``: its access entry exists)."""
    node_volume_kms_key_arn: Input[str] | None = None
    """A customer-managed KMS key for the nodes' EBS volumes; ``None`` (default) uses the
    AWS-managed key ``aws/ebs``. A customer-managed key must grant the EC2 Auto Scaling
    service-linked role ``AWSServiceRoleForAutoScaling`` in its key policy
    (:func:`obs_platform._internal.kms.auto_scaling_key_statements`), or instance launches fail
    with ``Client.InternalError`` ("Required KMS key policy for use with encrypted volumes",
    EC2 Auto Scaling user guide); ``obs-platform check`` flags a key in the plan without it.
    The cell's own key is not used for volumes: KMS refuses a key policy naming that role
    before the account's first Auto Scaling group creates it."""
    api_log_retention_days: RetentionDays = 90
    """Days the API's access log group ``{n}-api-logs`` keeps entries, one of the values
    CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288 or 3653)."""
    image_source: CellImageSource = CellImageSource.PULL_THROUGH_CACHE
    """How the cluster gets the images the cell installs without internet (see
    :class:`CellImageSource`); the default needs ``docker_hub_credential_arn``."""
    docker_hub_credential_arn: Input[str] | None = None
    """Secrets Manager secret with Docker Hub credentials for the cell's Docker Hub pull-through
    cache: in the cell's account and region, named ``ecr-pullthroughcache/...`` (ECR user
    guide, "Creating a pull through cache rule": Docker Hub "requires authentication with AWS
    Secrets Manager secret")."""
    image_registry: str | None = Field(
        default=None,
        pattern=r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(/[a-z0-9]+([._/-][a-z0-9]+)*)?$",
    )
    """With ``image_source="mirror"``: the ECR registry (and prefix) holding copies of the images,
    such as ``111111111111.dkr.ecr.eu-west-1.amazonaws.com/mirror``."""
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
    """Pulumi ``protect`` on the stateful children (KMS key, Aurora, MSK, EKS cluster, the
    ingress NLB's log bucket)."""
    ingress_access_logs: bool = True
    """Turn on the ingress NLB's access logs, to a private, SSE-S3 encrypted, TLS-only bucket
    ``{name}-ingress-logs-bucket`` (objects kept 90 days) whose policy admits only this
    account's log deliveries in this region (Network Load Balancers user guide, "Enable access
    logs for your Network Load Balancer"). An NLB logs TLS connections only ("Access logs are
    created only if the load balancer has a TLS listener"): the cell's listener is TCP behind
    API Gateway, so requests are recorded in the API's access logs (``{name}-api-logs``) and
    this bucket stays empty until a TLS listener is added; it is on so that the
    ``lb-access-logs`` guardrail (and awsguard's ``elb-logging-enabled``) hold. ``False``
    makes no bucket."""
    ingress_deletion_protection: bool | None = None
    """Deletion protection on the ingress NLB. ``None`` follows ``protect``, so turning
    ``protect`` off before a destroy also lets the NLB go."""
    tags: Tags = Field(default_factory=dict)
    """Tags on every taggable child."""

    @model_validator(mode="after")
    def _zones_exist(self) -> CellArgs:
        check_az_count(self.az_count, self.region)
        return self

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
    def ingress_deletion_protection_enabled(self) -> bool:
        """Whether the ingress NLB gets deletion protection (the field, else ``protect``)."""
        if self.ingress_deletion_protection is None:
            return self.protect
        return self.ingress_deletion_protection

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
