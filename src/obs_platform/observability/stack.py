"""``ObservabilityStack``: the shared-monitoring cluster, its storage and its Helm releases."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from .._component import Component, check_component_name
from .._internal.alertmanager import masked_alertmanager_yaml, sns_publish_policy
from .._internal.cost import CostEstimate
from .._internal.cost_options import CostOption, explain_costs
from .._internal.datasources import CloudWatchAccountDatasource, DatasourceEndpoints
from .._internal.errors import ObsPlatformError
from .._internal.helm_values import IRSA_ANNOTATION, KPS_RELEASE, in_cluster_urls
from .._internal.telemetry_rpo import TelemetryRpo
from .._internal.types import ArgsModel
from .args import (
    CapacityType,
    ChartVersions,
    ImageSource,
    NodeGroupArgs,
    ObservabilityStackArgs,
    Scale,
    WorkloadIdentity,
)
from .cluster import create_cluster
from .content import create_observability_content
from .failover import IngestFailover
from .identity import workload_role
from .ingest import create_ingest, ingest_passwords
from .network import StackNetwork, create_network
from .registry import create_registry, mirror_registries, pull_through_node_policy
from .releases import GrafanaDatabaseSettings, create_releases
from .standby import (
    STANDBY_SUFFIX,
    StandbyWiring,
    database_site,
    grafana_database,
    standby_args,
    standby_budget,
    standby_telemetry_rpo,
    storage_write_grants,
    telemetry_rpo_fix,
)
from .standby_cost import stack_cost_options, stack_standby_cost
from .storage import RETENTION_MARGIN_DAYS, Bucket, kms_key, replication_role, telemetry_bucket

__all__ = [
    "CapacityType",
    "ChartVersions",
    "ImageSource",
    "NodeGroupArgs",
    "ObservabilityStack",
    "ObservabilityStackArgs",
    "Scale",
    "WorkloadIdentity",
]


def _ingest_clients(args: ObservabilityStackArgs) -> tuple[str, ...]:
    """Who may reach the ingest: the field, else the IPAM's top-level CIDR, else 10.0.0.0/8."""
    return args.ingest_allowed_cidrs or (
        (args.ipam.args.cidr,) if args.ipam is not None else ("10.0.0.0/8",)
    )


class ObservabilityStack(Component[ObservabilityStackArgs]):
    """Prometheus, Alertmanager, Grafana, Loki and Tempo on EKS in the shared account.

    Children (``name`` = the component's name; all in ``args.region`` unless noted):

    * network: the given VPC, or ``{name}-vpc`` from the IPAM pool with VPC endpoints
      (``{name}-endpoint-*``), a ``shared``-segment attachment ``{name}-tgw`` and routes
      ``{name}-vpc-rt-{i}-to-{cidr}`` to the IPAM CIDR;
    * cluster: ``{name}-eks`` (pulumi-eks; private endpoint, access entries, KMS
      ``{name}-eks-kms``), node groups ``{name}-{group}`` with launch templates
      ``{name}-{group}-lt`` (IMDSv2), add-ons ``{name}-pod-identity-agent`` and
      ``{name}-ebs-csi`` (role ``{name}-ebs-csi-role``), providers ``{name}-k8s`` and
      ``{name}-k8s-crds``, default StorageClass ``{name}-gp3``;
    * storage: buckets ``{name}-loki-chunks-bucket``, ``{name}-loki-ruler-bucket``,
      ``{name}-tempo-traces-bucket`` (each with public-access block, ownership, KMS encryption,
      versioning, lifecycle, TLS-only policy), keys ``{name}-loki-kms``, ``{name}-tempo-kms``;
      with ``replicate_storage``, ``*-replica-bucket`` in ``dr_region``;
    * registry: ``{name}-ecr-*`` repositories, ``{name}-ptc-*`` pull-through cache rules,
      ``{name}-ecr-replication``;
    * releases: ``{name}-namespace``, ``{name}-grafana-admin`` (Secret),
      ``{name}-prometheus-crds`` (server-side applied), ``{name}-kube-prometheus-stack``
      (``helm.v3.Release``), ``{name}-loki`` and ``{name}-tempo`` (``helm.v4.Chart``); roles
      ``{name}-loki-role``, ``{name}-tempo-role``, ``{name}-grafana-role`` (and
      ``{name}-prometheus-role`` with AMP); the CloudWatch exporter ``{name}-cloudwatch-exporter``
      (YACE, ``helm.v4.Chart``, with a ServiceMonitor) and its role ``{name}-yace-role`` (unless
      ``cloudwatch_exporter`` is false); content ``{name}-rules-*``, ``{name}-dashboard-*``,
      ``{name}-alertmanager-config``;
    * ingest: internal NLB ``{name}-ingest`` with ``{name}-ingest-sg`` and NodePort Services
      ``{name}-ingest-{prometheus,loki,otlp,grafana}``, the authenticating gateway, and
      ``{name}-ingest-password-{tenant}`` (pulumi-random) for each tenant without a password.

    Buckets and KMS keys are protected (``protect=True``) unless ``args.protect`` is false.

    A VPC created from the IPAM has no internet path: AWS APIs are reached through its VPC
    endpoints, but the charts' images come from quay.io, registry.k8s.io, ghcr.io and Docker Hub.
    By default (``image_source="pull-through-cache"``) every chart image is pulled through the
    stack's ECR pull-through caches, which needs ``docker_hub_credential_arn`` and
    ``ghcr_credential_arn``; ``image_source="upstream"`` needs ``internet_egress=True`` (an
    egress path you provide). A stack with neither is refused.

    Example:
        ::

            stack = ObservabilityStack("shared", ObservabilityStackArgs(
                region="eu-west-1", ipam=ipam, transit=transit,
                grafana_admin_password=config.require_secret("grafanaAdminPassword")))
            pulumi.export("remote_write_url", stack.remote_write_url)
    """

    TYPE_TOKEN: ClassVar[str] = "obs-platform:observability:ObservabilityStack"
    ARGS_TYPE: ClassVar[type[ArgsModel]] = ObservabilityStackArgs

    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (JSON, a secret) pinned to the region (and ``kubeconfig_role_arn``)."""
    vpc_id: pulumi.Output[str]
    """The VPC the cluster runs in."""
    remote_write_url: pulumi.Output[str]
    """Prometheus remote-write URL for cells (internal NLB)."""
    loki_push_url: pulumi.Output[str]
    """Loki push URL for cells (internal NLB)."""
    loki_otlp_url: pulumi.Output[str]
    """Loki's OTLP logs endpoint for cells' OpenTelemetry Collectors (``.../otlp``)."""
    otlp_endpoint: pulumi.Output[str]
    """OTLP gRPC endpoint for cells (internal NLB)."""
    otlp_http_endpoint: pulumi.Output[str]
    """OTLP HTTP endpoint for cells (internal NLB)."""
    grafana_url: pulumi.Output[str]
    """Grafana URL (internal NLB, reachable over the transit network)."""
    cloudwatch_exporter_role_arn: pulumi.Output[str | None]
    """The CloudWatch exporter's role: give it to the cells
    (``TelemetryArgs.cloudwatch_reader_principal_arn``) so that it may read their accounts;
    ``None`` with ``cloudwatch_exporter=False``."""
    grafana_role_arn: pulumi.Output[str]
    """Grafana's role: give it to the cells (``TelemetryArgs.cloudwatch_grafana_principal_arn``)
    so that their reader roles admit it too, and list the roles in ``cloudwatch_accounts``:
    Grafana gets one CloudWatch datasource per account."""
    alertmanager_config: pulumi.Output[str]
    """The Alertmanager configuration (``alertmanager.yaml``) with every credential masked:
    review the routing tree in the plan and run ``amtool config routes test`` against it."""
    ingest_passwords: dict[str, pulumi.Output[str]]
    """Each ingest tenant's password (secrets), given or generated
    (``ObservabilityStackArgs.ingest_tenants``): export each as ``ingest_password_<tenant>``
    for the cells' stacks to read through a StackReference."""
    ingest_host: pulumi.Output[str]
    """The name every ingest URL uses: ``ingest.<ingest_zone_name>`` (or the NLB's DNS name)."""
    ingest_zone_id: pulumi.Output[str] | None
    """The private hosted zone of the ingest names (cells associate their VPCs with it), or
    ``None`` without ``ingest_zone_name``."""
    loki_bucket_names: pulumi.Output[dict[str, str]]
    """``{"chunks": ..., "ruler": ...}``."""
    tempo_bucket_name: pulumi.Output[str]
    """The traces bucket."""
    ecr_repository_urls: pulumi.Output[dict[str, str]]
    """``{repository name: URL}``."""
    namespace: str
    """The namespace of the releases."""
    budget: pulumi.Output[dict[str, Any] | None]
    """The stack's own RTO/RPO budget with a ``standby`` (the plan's ``dr`` entry: regions,
    ``rto_seconds``, ``rpo_seconds``, targets, ``terms``), else ``None``."""
    standby: ObservabilityStack | None
    """The standby stack ``{name}-standby`` in ``dr_region`` (``None`` without ``standby``)."""
    grafana_global_cluster_id: pulumi.Output[str | None]
    """Grafana's Aurora global cluster (``None`` without a standby)."""

    def __init__(
        self,
        name: str,
        args: ObservabilityStackArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        *,
        _wiring: StandbyWiring | None = None,
    ) -> None:
        # A standby is built only by its primary (ObservabilityStackArgs.standby), which hands
        # it the replica buckets and Grafana's database.
        self._wiring = _wiring
        self._given_name = name
        self._standby_budget: Any = None
        self._standby_cost: CostEstimate | None = None
        self._standby_cost_options: list[CostOption] = []
        self._telemetry_rpo: TelemetryRpo | None = None
        self._replica_keys: dict[str, Any] = {}
        self._resolve_replica_writers: Callable[[pulumi.Output[list[str]]], None] | None = None
        self.storage_writer_arns: pulumi.Output[list[str]] | None = None
        """A standby's Loki and Tempo role ARNs (the replica buckets' read-only Deny names
        them); ``None`` on a stack that is not a standby."""
        self.ingest_load_balancer: aws.lb.LoadBalancer | None = None
        self.standby = None
        super().__init__(name, args, opts)

    def _check(self, args: ObservabilityStackArgs, label: str) -> None:
        if args.standby is not None and args.dr_region is not None:
            self._check_standby(args, args.dr_region, label)
        if args.ipam is not None:
            try:
                args.ipam.pool_cidr(args.region)
            except ObsPlatformError as exc:
                raise ObsPlatformError(
                    f"{label}: the Ipam has no pool in region {args.region!r}: {exc}",
                    field="ObservabilityStackArgs.region",
                    value=args.region,
                    fix="Add the region to IpamArgs.regions, or run the stack in one of them.",
                ) from None
        if args.transit is not None:
            try:
                args.transit.transit_gateway_id(args.region)
            except (ObsPlatformError, KeyError):
                raise ObsPlatformError(
                    f"{label}: the TransitNetwork has no gateway in region {args.region!r}.",
                    field="ObservabilityStackArgs.transit",
                    value=args.region,
                    fix="Add the region to TransitNetworkArgs.regions.",
                ) from None

    def _check_standby(self, args: ObservabilityStackArgs, dr_region: str, label: str) -> None:
        standby_name = f"{self._given_name}-{STANDBY_SUFFIX}"
        try:
            check_component_name(type(self).__name__, self.TYPE_TOKEN, standby_name)
        except ObsPlatformError as exc:
            raise ObsPlatformError(
                f"{label}: its standby is named {standby_name!r}, which is too long for the "
                f"standby's children: {exc.args[0]}",
                field="name",
                value=self._given_name,
                fix=f"Use a stack name at most {len(STANDBY_SUFFIX) + 1} characters shorter "
                "than an ObservabilityStack allows, such as 'shared-obs'.",
            ) from None
        if args.ipam is not None:
            try:
                args.ipam.pool_cidr(dr_region)
            except ObsPlatformError:
                raise ObsPlatformError(
                    f"{label}: the standby's VPC comes from the Ipam, which has no pool in "
                    f"dr_region {dr_region!r}.",
                    field="ObservabilityStackArgs.dr_region",
                    value=dr_region,
                    fix="Add the region to IpamArgs.regions, or choose another dr_region.",
                ) from None
        if args.transit is not None:
            try:
                args.transit.transit_gateway_id(dr_region)
            except (ObsPlatformError, KeyError):
                raise ObsPlatformError(
                    f"{label}: the standby attaches to the Transit Gateway of dr_region "
                    f"{dr_region!r}, which the TransitNetwork lacks.",
                    field="ObservabilityStackArgs.dr_region",
                    value=dr_region,
                    fix="Add the region to TransitNetworkArgs.regions (peered with the "
                    "stack's region).",
                ) from None
        budget = standby_budget(args)
        self._standby_budget = budget
        self._standby_cost = cost = stack_standby_cost(args)
        assert cost is not None  # a standby with its dr_region
        self._standby_cost_options = stack_cost_options(args, budget, cost, standby_budget)
        refuse = args.standby is not None and args.standby.budget_enforcement == "refuse"
        if not budget.meets_targets and refuse:
            raise ObsPlatformError(
                f"{label}: the standby's failover budget misses its targets.\n{budget.explain()}"
                f"\n{explain_costs(budget, cost, self._standby_cost_options)}",
                field="ObservabilityStackArgs.standby",
                value=budget.as_output(args.region, dr_region),
                fix="Change the settings named above, or raise standby.rto_target_seconds"
                " / rpo_target_seconds; budget_enforcement='warn' deploys anyway.",
            )
        self._telemetry_rpo = rpo = standby_telemetry_rpo(args)
        if not rpo.meets_target and refuse:
            fix = telemetry_rpo_fix(rpo)
            raise ObsPlatformError(
                f"{label}: a loss of {args.region} would lose more logs or traces than the "
                f"standby's telemetry RPO target allows.\n{rpo.explain()}",
                field="ObservabilityStackArgs.standby.telemetry_rpo_target_seconds",
                value=args.standby.telemetry_rpo_target_seconds if args.standby else None,
                fix=f"{fix[0].upper()}{fix[1:]}; budget_enforcement='warn' deploys anyway.",
            )

    def _build(self, args: ObservabilityStackArgs) -> dict[str, Any]:
        wiring = self._wiring
        if (
            self._standby_budget is not None
            and self._standby_cost is not None
            and not self._standby_budget.meets_targets
        ):
            pulumi.log.warn(
                f"ObservabilityStack {self._name!r}: the standby's failover budget misses its "
                f"targets (budget_enforcement=warn).\n{self._standby_budget.explain()}\n"
                + explain_costs(
                    self._standby_budget, self._standby_cost, self._standby_cost_options
                ),
                resource=self,
            )
        if args.standby is not None and args.standby.grafana_database.ca_bundle_pem is None:
            pulumi.log.warn(
                f"ObservabilityStack {self._name!r}: Grafana connects to its database with "
                "ssl_mode=require: encrypted, but the server's certificate is not verified. "
                "Pass the RDS CA bundle (global-bundle.pem, RDS user guide 'Using SSL/TLS to "
                "encrypt a connection to a DB cluster') as "
                "standby.grafana_database.ca_bundle_pem to verify it (ssl_mode verify-ca).",
                resource=self,
            )
        if self._telemetry_rpo is not None and not self._telemetry_rpo.meets_target:
            pulumi.log.warn(
                f"ObservabilityStack {self._name!r}: the standby's telemetry RPO misses its "
                f"target (budget_enforcement=warn).\n{self._telemetry_rpo.explain()}\nFix: "
                f"{telemetry_rpo_fix(self._telemetry_rpo)}.",
                resource=self,
            )
        if args.prometheus_replicas > 1:
            # Validation refused this without AMP; with AMP the replicas forward their parts.
            pulumi.log.warn(
                f"ObservabilityStack {self._name!r}: prometheus_replicas="
                f"{args.prometheus_replicas} splits what cells remote-write between the replicas "
                "(each receives part of it and forwards it to AMP), so each replica answers "
                "queries with part of the pushed data: point Grafana's queries at AMP.",
                resource=self,
            )
        self.ingest_passwords = ingest_passwords(self, args.ingest_tenants)
        network = create_network(self, args)
        if wiring is not None:
            keys: dict[str, Any] = dict(wiring.keys)
            buckets: dict[str, Bucket] = dict(wiring.buckets)
        else:
            keys, buckets = self._storage(args)
        return self._build_rest(args, network, keys, buckets)

    def _storage(self, args: ObservabilityStackArgs) -> tuple[dict[str, Any], dict[str, Bucket]]:
        """Create the KMS keys and buckets (with their replicas in ``dr_region``)."""
        region = args.region
        keys = {
            engine: kms_key(
                self,
                engine,
                region=region,
                protect=args.protect,
                multi_region=True,
                description=f"{engine.capitalize()} storage of {self.child_name('eks')}",
            )
            for engine in ("loki", "tempo")
        }
        # The standby's Loki and Tempo roles exist only once the standby is built (after the
        # buckets), so the replicas' Deny names them through a deferred output, resolved in
        # _create_standby. Promoted (StandbyStackArgs.promoted), the replicas have no Deny.
        read_only_for: pulumi.Output[list[str]] | None = None
        if args.standby is not None and not args.standby.promoted:
            read_only_for, self._resolve_replica_writers = pulumi.deferred_output()
        replication = (
            {
                engine: replication_role(
                    self,
                    source_key=keys[engine],
                    dr_region=args.dr_region,
                    role=engine,
                    protect=args.protect,
                    failback=args.standby is not None,
                    read_only_for=read_only_for,
                )
                for engine in keys
            }
            if args.replicate_storage and args.dr_region is not None
            else {}
        )
        self._replica_keys = {engine: made.key for engine, made in replication.items()}
        expiry = {
            "loki-chunks": args.loki_retention_days + RETENTION_MARGIN_DAYS,
            "loki-ruler": None,
            "tempo-traces": args.tempo_retention_days + RETENTION_MARGIN_DAYS,
        }
        buckets = {
            role: telemetry_bucket(
                self,
                role,
                region=region,
                key=keys[role.split("-")[0]],
                expiration_days=days,
                protect=args.protect,
                replication=replication.get(role.split("-")[0]),
            )
            for role, days in expiry.items()
        }
        return dict(keys), buckets

    def _build_rest(
        self,
        args: ObservabilityStackArgs,
        network: StackNetwork,
        keys: dict[str, Any],
        buckets: dict[str, Bucket],
    ) -> dict[str, Any]:
        region = args.region
        wiring = self._wiring
        registry_key = kms_key(
            self,
            "ecr",
            region=region,
            protect=args.protect,
            description=f"ECR repositories of {self.child_name('eks')}",
        )
        registry = create_registry(
            self,
            region=region,
            repositories=args.ecr_repositories,
            keep_images=args.ecr_keep_images,
            key=registry_key,
            pull_through_cache=args.pull_through_cache,
            docker_hub_credential_arn=args.docker_hub_credential_arn,
            ghcr_credential_arn=args.ghcr_credential_arn,
            replicate_to=args.dr_region if args.replicate_images else None,
        )

        mirror = None
        node_policy = None
        if args.image_source is ImageSource.PULL_THROUGH_CACHE:
            account_id = aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)
            ).account_id
            mirror = mirror_registries(account_id, region)
            node_policy = account_id.apply(lambda a: pull_through_node_policy(a, region))
        cluster = create_cluster(
            self,
            args,
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            depends_on=network.ready,
            node_policy=node_policy,
        )
        urls = in_cluster_urls(args.namespace, args.scale)
        alertmanager_role = None
        if args.alerting.sns_receivers:
            # Alertmanager signs SNS requests with the AWS SDK's default chain: its pod's role.
            alertmanager_role = workload_role(
                self,
                "alertmanager",
                cluster.identity,
                namespace=args.namespace,
                service_account=f"{KPS_RELEASE}-alertmanager",
                policy=sns_publish_policy([r.topic_arn for r in args.alerting.sns_receivers]),
            )

        def content(
            namespace: pulumi.Resource, crds: pulumi.Resource
        ) -> tuple[dict[str, Any], list[pulumi.Resource]]:
            made = create_observability_content(
                self,
                self._name,
                namespace=args.namespace,
                alerting=args.alerting,
                endpoints=DatasourceEndpoints(
                    prometheus_url=urls.prometheus,
                    loki_url=urls.loki,
                    tempo_url=urls.tempo,
                    alertmanager_url=urls.alertmanager,
                    region=region,
                    tenants=tuple(sorted(args.ingest_tenants)),
                    # One datasource per account, through the role Grafana may assume.
                    cloudwatch_accounts=tuple(
                        CloudWatchAccountDatasource(
                            role_arn=account.role_arn,
                            account_id=account.role_arn.split(":")[4],
                            region=account.regions[0],
                            cell=account.cell,
                        )
                        for account in args.cloudwatch_accounts
                    ),
                ),
                rto_target_seconds=args.rto_target_seconds,
                rpo_target_seconds=args.rpo_target_seconds,
                opts=pulumi.ResourceOptions(
                    provider=cluster.provider, depends_on=[*cluster.k8s_ready, namespace, crds]
                ),
                standby_region=wiring.content_standby_region if wiring else args.dr_region,
                standby_cells=args.standby_cells,
            )
            overlay = made.values_overlay
            if alertmanager_role is not None and alertmanager_role.annotation_arn is not None:
                overlay["alertmanager"]["serviceAccount"] = {
                    "annotations": {IRSA_ANNOTATION: alertmanager_role.annotation_arn}
                }
            extra = alertmanager_role.bindings if alertmanager_role is not None else []
            return overlay, [*made.resources, *extra]

        standby: ObservabilityStack | None = None
        database: GrafanaDatabaseSettings | None = None
        parts: Any = None
        if wiring is not None:
            database = wiring.database(self, network)
        elif args.standby is not None and args.dr_region is not None:
            standby, database, parts = self._create_standby(args, network, buckets)
        releases = create_releases(
            self,
            args,
            cluster,
            buckets=buckets,
            keys=keys,
            after_crds=content,
            mirror=mirror,
            image_sources=list(registry.cache_rules.values()) if mirror else None,
            grafana_database=database,
            storage_read_only=wiring is not None and not wiring.promoted,
            amp_extra=self._amp_extra(args),
            grafana_replicas=wiring.grafana_replicas
            if wiring is not None
            else args.effective_grafana_replicas,
        )
        if wiring is not None:
            storage_write_grants(self, releases, buckets, keys)
            self.storage_writer_arns = pulumi.Output.all(
                releases.roles["loki"].role.arn, releases.roles["tempo"].role.arn
            )
        allowed = _ingest_clients(args)
        endpoints = create_ingest(
            self,
            region=region,
            namespace=args.namespace,
            scale=args.scale,
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            allowed_cidrs=allowed,
            certificate_arn=args.ingest_certificate_arn,
            cluster=cluster,
            depends_on=[*cluster.k8s_ready, releases.namespace],
            zone_name=args.ingest_zone_name,
            authorized_vpcs=tuple((v.vpc_id, v.region) for v in args.ingest_zone_authorized_vpcs),
            access_logs_account_id=aws.get_caller_identity_output(
                opts=pulumi.InvokeOutputOptions(parent=self)
            ).account_id
            if args.ingest_access_logs
            else None,
            deletion_protection=args.ingest_deletion_protection,
            protect=args.protect,
            tenants=self.ingest_passwords,
            image_registry=mirror["docker.io"] if mirror else None,
            failover=IngestFailover(
                standby_dns_name=standby.ingest_nlb.dns_name,
                standby_zone_id=standby.ingest_nlb.zone_id,
                standby_vpc_id=standby.vpc_id,
                standby_region=standby.args.region,
                evaluation_periods=args.standby.health_alarm_evaluation_periods,
                writer_cluster_id=parts.primary_cluster.id,
            )
            if standby is not None and args.standby is not None
            else None,
        )
        self.ingest_load_balancer = endpoints.load_balancer
        self.standby = standby
        budget = (
            self._standby_budget.as_output(region, args.dr_region)
            if self._standby_budget is not None and args.dr_region is not None
            else None
        )
        if budget is not None and self._telemetry_rpo is not None:
            budget["telemetry_rpo"] = self._telemetry_rpo.as_output()
        if budget is not None and self._standby_cost is not None:
            budget["idle_cost"] = {
                **self._standby_cost.as_output(),
                "options": [o.as_output(self._standby_budget) for o in self._standby_cost_options],
            }

        return {
            "cluster_name": cluster.cluster_name,
            "kubeconfig": cluster.kubeconfig,
            "vpc_id": pulumi.Output.from_input(network.vpc_id),
            "remote_write_url": endpoints.remote_write_url,
            "loki_push_url": endpoints.loki_push_url,
            "loki_otlp_url": endpoints.loki_otlp_url,
            "otlp_endpoint": endpoints.otlp_endpoint,
            "otlp_http_endpoint": endpoints.otlp_http_endpoint,
            "grafana_url": endpoints.grafana_url,
            "cloudwatch_exporter_role_arn": (
                releases.roles["yace"].role.arn
                if "yace" in releases.roles
                else pulumi.Output.from_input(None)
            ),
            "grafana_role_arn": releases.roles["grafana"].role.arn,
            "alertmanager_config": pulumi.Output.from_input(
                masked_alertmanager_yaml(args.alerting)
            ),
            "ingest_host": endpoints.host,
            "ingest_zone_id": endpoints.zone_id,
            "loki_bucket_names": pulumi.Output.all(
                chunks=buckets["loki-chunks"].bucket.bucket,
                ruler=buckets["loki-ruler"].bucket.bucket,
            ),
            "tempo_bucket_name": buckets["tempo-traces"].bucket.bucket,
            "ecr_repository_urls": pulumi.Output.all(
                **{n: r.repository_url for n, r in registry.repositories.items()}
            )
            if registry.repositories
            else pulumi.Output.from_input({}),
            "namespace": args.namespace,
            "budget": pulumi.Output.from_input(budget),
            "grafana_global_cluster_id": pulumi.Output.from_input(
                parts.global_cluster.id if parts is not None else None
            ),
        }

    def _amp_extra(self, args: ObservabilityStackArgs) -> tuple[tuple[Any, Any, str], ...]:
        """Return the other region's AMP workspace, which Prometheus also writes to."""
        if self._wiring is not None:
            return self._wiring.amp_extra
        standby = args.standby
        if (
            standby is None
            or args.dr_region is None
            or standby.amp_remote_write_url is None
            or standby.amp_workspace_arn is None
        ):
            return ()
        return ((standby.amp_remote_write_url, standby.amp_workspace_arn, args.dr_region),)

    def _create_standby(
        self,
        args: ObservabilityStackArgs,
        network: StackNetwork,
        buckets: dict[str, Bucket],
    ) -> tuple[ObservabilityStack, GrafanaDatabaseSettings, Any]:
        """Build the standby stack and, while it builds, Grafana's global database."""
        assert args.standby is not None and args.dr_region is not None
        # The standby's gateway checks the same passwords (cells keep theirs across a switch).
        derived = standby_args(args).model_copy(
            update={"ingest_tenants": dict(self.ingest_passwords)}
        )
        made: dict[str, Any] = {}
        fallback = _ingest_clients(args)

        def database(
            standby: Component[Any], standby_network: StackNetwork
        ) -> GrafanaDatabaseSettings:
            cidrs = [
                network.cidr if network.cidr is not None else fallback[0],
                standby_network.cidr if standby_network.cidr is not None else fallback[0],
            ]
            primary_site = database_site(
                self,
                region=args.region,
                network=network,
                client_cidrs=cidrs,
                protect=args.protect,
            )
            standby_site = database_site(
                standby,
                region=derived.region,
                network=standby_network,
                client_cidrs=cidrs[::-1],
                protect=args.protect,
            )
            parts, connection = grafana_database(self, args, primary_site, standby_site)
            made["parts"] = parts
            made["connection"] = connection
            return connection

        wiring = StandbyWiring(
            primary_region=args.region,
            buckets={
                role: Bucket(bucket=bucket.replica, configuration=bucket.replica_configuration)
                for role, bucket in buckets.items()
                if bucket.replica is not None
            },
            keys=dict(self._replica_keys),
            promoted=args.standby.promoted,
            database=database,
            grafana_replicas=args.effective_grafana_replicas,
            amp_extra=(
                ((args.amp_remote_write_url, args.amp_workspace_arn, args.region),)
                if args.amp_remote_write_url is not None
                else ()
            ),
            content_standby_region=args.dr_region,
        )
        standby = ObservabilityStack(
            self.child_name(STANDBY_SUFFIX),
            derived,
            pulumi.ResourceOptions(parent=self),
            _wiring=wiring,
        )
        if self._resolve_replica_writers is not None:
            assert standby.storage_writer_arns is not None
            self._resolve_replica_writers(standby.storage_writer_arns)
        return standby, made["connection"], made["parts"]

    @property
    def ingest_nlb(self) -> aws.lb.LoadBalancer:
        """The ingest NLB (the failover records' targets)."""
        assert self.ingest_load_balancer is not None
        return self.ingest_load_balancer
