"""``Cell``: one region's application footprint, ready to be a primary or a pilot-light standby.

A cell is built to the seed's contract::

    Cell("eu-west-1", CellArgs(region="eu-west-1", dr_strategy="pilot-light", replicas=0,
                               rds_global=True, kafka_replication=True))

and joined to another cell by :class:`~obs_platform.dr.pilot_light.PilotLightDr` through
:meth:`Cell.dr_site`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ._component import Component
from ._internal.errors import ObsPlatformError
from ._internal.kms import logs_key_policy
from ._internal.kubeconfig import pin_kubeconfig
from .cells.args import CellArgs, CellImageSource, DrStrategy, TelemetryArgs
from .cells.compute import NODE_POLICIES as NODE_POLICIES
from .cells.compute import create_compute, eks_provider_opts
from .cells.data import create_database, create_kafka
from .cells.health import api_log_group_name, create_ingress
from .cells.images import check_image_source, create_image_source, runs_agent
from .cells.inventory import cell_idle_inventory
from .cells.network import INTERFACE_ENDPOINTS as INTERFACE_ENDPOINTS
from .cells.network import create_endpoints, create_network, share_subnets
from .cells.telemetry import TELEMETRY_NAMESPACE as TELEMETRY_NAMESPACE
from .cells.telemetry import check_telemetry, create_cloudwatch_reader, create_telemetry
from .dr.args import KafkaEngine
from .dr.site import DrSite
from .network.cidr_claims import claim_vpc_cidr
from .network.vpc import check_vpc_sizes, check_zone_ids

__all__ = ["Cell", "CellArgs", "CellImageSource", "DrStrategy", "TelemetryArgs"]


class Cell(Component[CellArgs]):
    """One region's application footprint.

    Children (``n`` is the cell's name; all in ``args.region``, in the account of the AWS provider
    passed in ``opts.providers``, or the default one):

    * ``{n}-kms`` (KMS key, rotation on, protected) and ``{n}-kms-alias``: encrypts EKS secrets,
      Aurora, MSK and the API's access logs; its policy keeps the account's IAM policies in
      charge and lets CloudWatch Logs use it for ``{n}-api-logs`` only;
    * the VPC: ``{n}-vpc`` with CIDR from ``ipam_pool_id`` (else ``vpc_cidr``), private subnets
      ``{n}-vpc-private-{i}`` in ``az_count`` zones, route tables; optionally attached to the
      TransitNetwork (segment ``cells``) with routes to ``transit_routes``; optionally its subnets
      shared through RAM (``{n}-subnet-share``) with ``share_subnets_with``;
    * VPC endpoints ``{n}-endpoint-{service}`` (:data:`INTERFACE_ENDPOINTS`, private DNS) and the
      S3 gateway endpoint ``{n}-endpoint-s3``, behind ``{n}-endpoints-sg``;
    * ``{n}-eks`` (``eks:index:Cluster``): private endpoint (public only to
      ``public_access_cidrs``), secrets encrypted with the cell's key, access entries (``API``
      mode; ``{n}-admin-{i}`` for ``admin_principal_arns``), control-plane logs; it always
      exists, because a control plane takes 13-16 minutes to create;
    * ``{n}-nodes`` (``aws:eks/nodeGroup:NodeGroup``): desired ``replicas``, min 0, max
      ``max_replicas``, launch template ``{n}-node-template`` with IMDSv2 required (hop limit 1)
      and gp3 volumes encrypted with ``aws/ebs`` (or ``node_volume_kms_key_arn``), the pulumi-eks
      node security group, role ``{n}-node-role``; tagged for cluster-autoscaler
      scale-from-zero;
    * database: ``{n}-db-subnets`` and ``{n}-db-sg`` always; with ``rds_global=False`` also the
      cell's own cluster ``{n}-db`` (protected, deletion protection, password in Secrets
      Manager) and instances ``{n}-db-{i}``. With ``rds_global=True`` the member cluster is
      created by PilotLightDr (see :mod:`obs_platform.dr.aurora` for why);
    * Kafka (``kafka_replication``): MSK ``{n}-kafka`` (IAM auth, TLS, KMS) with
      ``{n}-kafka-sg`` and, for pilot light, multi-VPC connectivity and the cluster policy
      ``{n}-kafka-policy`` that cross-region MSK Replicator requires; or Strimzi
      (``{n}-strimzi`` Helm release, ``{n}-kafka-pool`` and ``{n}-kafka`` custom resources);
    * ``/healthz`` exposure: ``{n}-api`` (API Gateway HTTP API, routes ``GET {healthz_path}``
      and ``api_routes`` only, access logs in ``{n}-api-logs``) with VPC link ``{n}-api-link``
      to the internal NLB ``{n}-ingress`` (deletion protection, access logs to
      ``{n}-ingress-logs-bucket``; listener ``{n}-ingress-listener``, target group
      ``{n}-tg`` of instance targets on ``ingress_node_port``, filled by
      ``{n}-ingress-attachment`` from the node group's Auto Scaling group), the NodePort
      Service ``{n}-ingress-service`` in ``{n}-workload-namespace``, and
      ``{n}-nodes-from-ingress`` opening exactly that port to the NLB's group. Why: Route 53
      health checkers cannot reach private endpoints, and the API's default ``execute-api``
      endpoint is public HTTPS with an AWS certificate, without public subnets, an internet
      gateway or a certificate to manage. The load balancer stays private. With
      ``api_domain_name`` the API also serves the clients' name as a regional custom domain
      (``{n}-api-domain``, ``{n}-api-mapping``), which the failover record points to;
    * telemetry: ``{n}-k8s`` (Kubernetes provider from the cluster's kubeconfig pinned to the
      region and ``kubeconfig_role_arn``, after the node group and the access entries) and the
      OpenTelemetry Collector DaemonSet in ``obs-telemetry``
      (:mod:`obs_platform._internal.cell_telemetry`); with a remote-write URL the cell's
      Kubernetes view, ``{n}-prometheus-crds`` (through ``{n}-k8s-crds``, the same kubeconfig
      with server-side apply and force) and ``{n}-telemetry-agent``
      (kube-prometheus-stack in Prometheus agent mode: kube-state-metrics, node-exporter,
      ServiceMonitor/PodMonitor discovery, :mod:`obs_platform._internal.cell_agent`); with a
      Loki URL the Kubernetes events, ``{n}-telemetry-events`` (one collector). Everything is
      labelled ``cell``, ``dr_role`` (:attr:`CellArgs.dr_role`), ``dr_strategy``, ``region``,
      ``account`` and ``cluster`` (the cell's name).

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
    kubeconfig: pulumi.Output[str]
    """Kubeconfig of the cluster as JSON (secret), its token pinned to the cell's region and
    to ``kubeconfig_role_arn`` when set."""
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
    transit_attachment_id: pulumi.Output[str | None]
    """The VPC's Transit Gateway attachment (``None`` when unattached). With
    ``transit_gateway`` and no ``transit_network_provider``, the shared stack places it in the
    ``cells`` segment (``TransitNetwork.associate_attachment``)."""
    ingress_target_group_arn: pulumi.Output[str]
    """The internal NLB's target group: the node group's instances on ``ingress_node_port``,
    health-checked on ``healthz_path`` (watch its ``HealthyHostCount``)."""
    db_subnet_group_name: pulumi.Output[str]
    """DB subnet group for the cell's Aurora (member)."""
    db_security_group_id: pulumi.Output[str]
    """Security group of the cell's Aurora (member)."""
    database_endpoint: pulumi.Output[str | None]
    """Writer endpoint of a standalone cell's cluster (``None`` with ``rds_global``: use the DR's
    global cluster)."""
    kafka_cluster_arn: pulumi.Output[str | None]
    """The MSK cluster (``None`` without MSK)."""
    cloudwatch_reader_role_arn: pulumi.Output[str | None]
    """The role the shared stack's CloudWatch exporter assumes in this cell's account
    (``None`` without ``TelemetryArgs.cloudwatch_reader_principal_arn``)."""
    kafka_bootstrap_servers: pulumi.Output[str | None]
    """Kafka bootstrap servers (``None`` without Kafka)."""

    def __init__(
        self,
        name: str,
        args: CellArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._aws_provider = _aws_provider_of(opts)
        self._cell_name = name  # _check runs before Component sets _name
        self._transit_gate: pulumi.Output[list[pulumi.Resource]] | None = None
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
        if args.availability_zone_ids:
            try:
                check_zone_ids(
                    args.availability_zone_ids, region=args.region, az_count=args.az_count
                )
            except ObsPlatformError as exc:
                raise ObsPlatformError(
                    f"{label}: {exc}", field=f"CellArgs.{exc.field}", value=exc.value
                ) from None
        self._check_transit(args, label)
        check_image_source(args, label)
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
        check_telemetry(args.telemetry, self._cell_name, label)

    def _check_transit(self, args: CellArgs, label: str) -> None:
        if args.transit_network is not None and args.transit_gateway is not None:
            raise ObsPlatformError(
                f"{label}: transit_network and transit_gateway both attach the VPC; give one.",
                field="CellArgs.transit_gateway",
                value="both set",
                fix="Use transit_network when the TransitNetwork is in this program, else "
                "transit_gateway (by ID, for a cell in another account or stack).",
            )
        if args.transit_routes and args.transit_network is None and args.transit_gateway is None:
            raise ObsPlatformError(
                f"{label}: transit_routes {list(args.transit_routes)} need a Transit Gateway, "
                "but the cell is not attached to one, so the routes would go nowhere.",
                field="CellArgs.transit_routes",
                value=list(args.transit_routes),
                fix="Attach the cell (transit_network=..., or transit_gateway="
                "TransitGatewayHandle.from_outputs(...) from the shared stack), or drop "
                "transit_routes.",
            )
        handle = args.transit_gateway
        if handle is not None and handle.region != args.region:
            raise ObsPlatformError(
                f"{label}: transit_gateway is the gateway of {handle.region!r}, but the cell is "
                f"in {args.region!r}; a VPC attaches only to a gateway in its own region.",
                field="CellArgs.transit_gateway",
                value=handle.region,
                fix=f"Pass the handle of {args.region!r} "
                f"(TransitGatewayHandle.from_outputs({args.region!r}, ...)).",
            )
        if handle is not None and isinstance(handle.route_table_ids, Mapping):
            missing = sorted({"cells", "shared"} - set(handle.route_table_ids))
            if missing:
                raise ObsPlatformError(
                    f"{label}: transit_gateway.route_table_ids lacks the segments {missing}.",
                    field="CellArgs.transit_gateway.route_table_ids",
                    value=sorted(handle.route_table_ids),
                    fix="Pass the network's {segment: route table ID} map for the region "
                    "(TransitNetwork.route_table_ids[region]).",
                )
        if args.transit_network_provider is not None and handle is None:
            raise ObsPlatformError(
                f"{label}: transit_network_provider is set but transit_gateway is not; the "
                "provider places a gateway attachment in the shared account's segment.",
                field="CellArgs.transit_network_provider",
                value="set",
                fix="Set transit_gateway too, or drop transit_network_provider.",
            )
        gateway = args.transit_network or args.transit_gateway
        if gateway is not None and args.ipam_pool_id is None:
            # After the transit checks that can refuse, so a refused cell claims nothing. A
            # comparison that needs Outputs (gateway IDs, the shared stack's VPC CIDRs) comes
            # back as a gate that every child waits for (child_opts), so an overlap still
            # stops the cell before its first child reaches the engine.
            self._transit_gate = claim_vpc_cidr(
                gateway,
                args.region,
                args.vpc_cidr,
                label,
                attached=handle.attached_vpc_cidrs if handle is not None else None,
            )

    def child_opts(
        self, opts: pulumi.ResourceOptions | None = None, **kwargs: Any
    ) -> pulumi.ResourceOptions:
        """Options for a child, as every component gives them, after the CIDR gate.

        When the cell's CIDR could only be compared with the gateway's other VPCs once Outputs
        resolve (docs: accounts-and-regions, "Overlapping CIDRs on one gateway"), every child
        depends on that comparison: an overlap fails it, and no child is registered.
        """
        merged = super().child_opts(opts, **kwargs)
        if self._transit_gate is None:
            return merged
        return pulumi.ResourceOptions.merge(
            merged, pulumi.ResourceOptions(depends_on=self._transit_gate)
        )

    # --- build -------------------------------------------------------------------------------

    def _build(self, args: CellArgs) -> dict[str, Any]:
        region = args.region
        self._cell_opts = eks_provider_opts(self, args, self._aws_provider)
        caller = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=self._aws_provider)
        )
        account = caller.account_id
        # The default key policy would keep CloudWatch Logs out of the API's access log group;
        # this one keeps the account's IAM policies in charge and adds exactly that group.
        key = aws.kms.Key(
            self.child_name("kms"),
            region=region,
            description=f"Cell {self._name}: EKS secrets, Aurora, MSK, API access logs.",
            policy=account.apply(
                lambda account_id: logs_key_policy(
                    account_id, region, [api_log_group_name(self._name)]
                )
            ),
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
        vpc_id, subnet_ids, cidr, tables, self._subnets, attachment = create_network(
            self, args, self._aws_provider
        )
        self._share_ready = share_subnets(self, args, self._subnets)
        create_endpoints(self, args, vpc_id, subnet_ids, cidr, tables)
        images = create_image_source(self, args, account)
        cluster_name, cluster_arn, cluster, nodes, access = create_compute(
            self,
            args,
            vpc_id,
            subnet_ids,
            key,
            account,
            self._cell_opts,
            node_policy=images.node_policy,
        )
        db_group, db_sg, db_endpoint = create_database(self, args, vpc_id, subnet_ids, cidr, key)
        # Pinned to the cell's region and, with kubeconfig_role_arn, to the role that may use the
        # cluster (a cell in another account): the ambient credentials would be refused.
        kubeconfig = pulumi.Output.all(cluster.kubeconfig, args.kubeconfig_role_arn).apply(
            lambda kr: pin_kubeconfig(kr[0], region=region, role_arn=kr[1])
        )
        self._kubeconfig: pulumi.Output[str] = pulumi.Output.secret(kubeconfig)
        k8s_provider = k8s.Provider(
            self.child_name("k8s"),
            kubeconfig=self._kubeconfig,
            enable_server_side_apply=True,
            opts=self.child_opts(depends_on=[nodes, *access]),
        )
        self._k8s_provider = k8s_provider
        # The operator's CRDs (the Prometheus agent's) go through their own provider, as in the
        # shared stack: server-side apply (they are too large for client-side apply's
        # last-applied annotation) with force, so a field manager left by an earlier Helm
        # install of the same CRDs does not block the pinned version.
        crd_provider = (
            k8s.Provider(
                self.child_name("k8s-crds"),
                kubeconfig=self._kubeconfig,
                enable_server_side_apply=True,
                enable_patch_force=True,
                opts=self.child_opts(depends_on=[nodes, *access]),
            )
            if runs_agent(args)
            else None
        )
        asg_name = nodes.resources.apply(lambda found: found[0].autoscaling_groups[0].name)
        asg_arn = aws.autoscaling.get_group_output(
            name=asg_name,
            region=args.region,
            opts=pulumi.InvokeOutputOptions(parent=self, provider=self._aws_provider),
        ).arn
        kafka_arn, kafka_servers, kafka_sg = create_kafka(
            self,
            args,
            vpc_id,
            subnet_ids,
            cidr,
            key,
            k8s_provider,
            image_registry=images.strimzi_registry,
            image_ready=images.ready,
        )
        self._kafka_sg = kafka_sg
        ingress = create_ingress(
            self,
            args,
            vpc_id,
            subnet_ids,
            cidr,
            key=key,
            cluster=cluster,
            nodes=nodes,
            provider=k8s_provider,
            account_id=account,
        )
        host = ingress.host
        self._record_target = ingress.record_target
        create_telemetry(
            self,
            args,
            account,
            k8s_provider,
            crd_provider=crd_provider,
            vpc_id=vpc_id,
            image=images.collector_image,
            image_ready=images.ready,
            agent_registries=images.agent_registries,
        )
        reader_role_arn = create_cloudwatch_reader(self, args)
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
            "kubeconfig": self._kubeconfig,
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
            "api_id": ingress.api.id,
            "transit_attachment_id": (
                attachment.id if attachment is not None else pulumi.Output.from_input(None)
            ),
            "ingress_target_group_arn": ingress.target_group.arn,
            "cloudwatch_reader_role_arn": reader_role_arn,
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
            node_instance_type=self.args.instance_types[0] if self.args.instance_types else None,
            idle_inventory=cell_idle_inventory(self.args),
            scaling_namespace=self.args.workload_namespace,
            scaling_deployments=self.args.workload_deployments,
            kubernetes_provider=self._k8s_provider,
            provider=self._aws_provider,
            cross_account_role_arn=self.args.cross_account_role_arn,
            dr_role=self.args.dr_role,
            rds_global=self.args.rds_global,
            subnets_shared_with=self.args.share_subnets_with,
            shared_subnets_ready=tuple(self._share_ready),
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
