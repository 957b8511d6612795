"""The Helm releases: Prometheus operator CRDs, kube-prometheus-stack, Loki, Tempo, YACE.

Release or Chart, per chart, deliberately:

* **kube-prometheus-stack: ``helm.v3.Release``.** The chart's admission-webhook certificate is
  made and patched into the webhook configurations by Jobs that are Helm hooks; ``helm.v4.Chart``
  renders templates without running hooks, which would leave the PrometheusRule webhook without
  its CA bundle and every rule update failing.
* **Loki, Tempo, tempo-distributed and the CloudWatch exporter (YACE): ``helm.v4.Chart``.**
  Their only hooks are ``helm test`` pods, which we do not want run on deploy; as a Chart every
  object is a Pulumi resource, so previews show per-object diffs and Pulumi awaits each
  StatefulSet's and Deployment's readiness.

The Prometheus operator CRDs are their own step, before the stack: applied server-side (they are
too large for client-side apply's annotation) with force (taking ownership from an earlier Helm
install), from the operator release the chart version ships (:mod:`.._internal.charts`). The
chart's own CRD subchart is off, and Helm never upgrades CRDs anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from .._internal.charts import (
    KUBE_PROMETHEUS_STACK,
    LOKI,
    TEMPO,
    TEMPO_DISTRIBUTED,
    YET_ANOTHER_CLOUDWATCH_EXPORTER,
    ChartPin,
    prometheus_operator_crd_urls,
)
from .._internal.datasources import GRAFANA_CLOUDWATCH_ACTIONS
from .._internal.helm_values import (
    GRAFANA_ADMIN_PASSWORD_KEY,
    GRAFANA_ADMIN_USER_KEY,
    GRAFANA_DATABASE_CA_FILE,
    GRAFANA_SERVICE_ACCOUNT,
    KPS_RELEASE,
    LOKI_RELEASE,
    LOKI_SERVICE_ACCOUNT,
    NODE_EXPORTER_NAMESPACE_SUFFIX,
    PROMETHEUS_SERVICE_ACCOUNT,
    TEMPO_RELEASE,
    TEMPO_SERVICE_ACCOUNT,
    YACE_RELEASE,
    YACE_SERVICE_ACCOUNT,
    AmpRemoteWrite,
    ImageMirror,
    Scale,
    deep_merge,
    in_cluster_urls,
    kube_prometheus_stack_values,
    loki_values,
    tempo_distributed_values,
    tempo_values,
    yace_values,
)
from .._internal.yace import (
    YACE_SCRAPE_INTERVAL_SECONDS,
    CloudWatchAccount,
    account_discovery_jobs,
    assumed_role_arns,
    dr_discovery_jobs,
    yace_config,
)
from .cluster import GP3_STORAGE_CLASS, ClusterParts
from .identity import WorkloadRole, bucket_access_policy, workload_role
from .storage import Bucket

if TYPE_CHECKING:
    import pulumi_aws as aws

    from .._component import Component
    from .args import ObservabilityStackArgs

GRAFANA_ADMIN_SECRET = "grafana-admin"
"""Name of the Kubernetes Secret holding Grafana's admin user and password."""

GRAFANA_DATABASE_SECRET = "grafana-database"
"""Name of the Kubernetes Secret holding Grafana's ``GF_DATABASE_*`` settings (with a standby)."""

GRAFANA_DATABASE_CA_CONFIGMAP = "grafana-database-ca"
"""The ConfigMap holding the RDS CA bundle Grafana verifies its database with."""

GRAFANA_ADMIN_USER = "admin"
"""Grafana's admin user name."""

HELM_TIMEOUT_SECONDS = 900
"""How long a Helm release may take to become ready (PVCs, webhook jobs, image pulls)."""

CLOUDWATCH_READ_ACTIONS: tuple[str, ...] = GRAFANA_CLOUDWATCH_ACTIONS
"""What Grafana's CloudWatch datasource reads (read-only)."""

CLOUDWATCH_EXPORTER_ACTIONS: tuple[str, ...] = (
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:ListMetrics",
    "tag:GetResources",
)
"""What the CloudWatch exporter (YACE) needs: list and read metrics, find resources by tag.
These APIs take no resource ARNs, so the grant is on ``*`` (specific actions only)."""


ContentHook = Callable[
    [pulumi.Resource, pulumi.Resource], tuple[dict[str, Any], list[pulumi.Resource]]
]
"""Called with ``(namespace, crds)``; returns a values overlay and the resources it needs."""


@dataclass
class Releases:
    """What :func:`create_releases` made.

    Attributes:
        namespace: The monitoring namespace.
        crds: The Prometheus operator CRDs step.
        kube_prometheus_stack: The kube-prometheus-stack release.
        loki: The Loki chart.
        tempo: The Tempo chart (monolithic or distributed).
        roles: The workload roles by component.
        cloudwatch_exporter: The CloudWatch exporter (YACE) chart, or ``None`` when turned off.
    """

    namespace: k8s.core.v1.Namespace
    crds: k8s.yaml.v2.ConfigGroup
    kube_prometheus_stack: k8s.helm.v3.Release
    loki: k8s.helm.v4.Chart
    tempo: k8s.helm.v4.Chart
    roles: dict[str, WorkloadRole]
    cloudwatch_exporter: k8s.helm.v4.Chart | None = None


def _chart(
    owner: Component[Any],
    role: str,
    *,
    release: str,
    pin: ChartPin,
    namespace: str,
    values: Any,
    cluster: ClusterParts,
    depends_on: list[pulumi.Resource],
) -> k8s.helm.v4.Chart:
    """Install a pinned chart as ``{n}-{role}`` with ``helm.v4.Chart`` (why: module docstring)."""
    return k8s.helm.v4.Chart(
        owner.child_name(role),
        name=release,
        chart=pin.chart,
        version=pin.version,
        repository_opts={"repo": pin.repository},
        namespace=namespace,
        values=values,
        opts=owner.child_opts(providers={"kubernetes": cluster.provider}, depends_on=depends_on),
    )


def _read_policy(sid: str, actions: tuple[str, ...], assume_roles: list[str] | None) -> str:
    """A read-only policy.

    ``actions`` on ``*`` (these APIs take no resource ARNs), and ``sts:AssumeRole`` on exactly
    the other accounts' reader roles given.
    """
    statements: list[dict[str, Any]] = [
        {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": "*"}
    ]
    if assume_roles:
        statements.append(
            {
                "Sid": "ReadOtherAccounts",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": sorted(set(assume_roles)),
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def grafana_cloudwatch_policy(assume_roles: list[str] | None = None) -> str:
    """Return Grafana's inline policy.

    :data:`CLOUDWATCH_READ_ACTIONS`, and ``sts:AssumeRole`` on exactly the reader roles of
    ``cloudwatch_accounts`` (one datasource each).
    """
    return _read_policy("ReadCloudWatch", CLOUDWATCH_READ_ACTIONS, assume_roles)


def cloudwatch_exporter_policy(assume_roles: list[str] | None = None) -> str:
    """Return the CloudWatch exporter's inline policy.

    :data:`CLOUDWATCH_EXPORTER_ACTIONS`, and ``sts:AssumeRole`` on exactly the other accounts'
    reader roles it is given.
    """
    return _read_policy("ReadCloudWatchMetrics", CLOUDWATCH_EXPORTER_ACTIONS, assume_roles)


def _amp_policy(workspace_arn: Any) -> str:
    arns = sorted(workspace_arn) if isinstance(workspace_arn, list) else workspace_arn
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "RemoteWrite",
                    "Effect": "Allow",
                    "Action": ["aps:RemoteWrite"],
                    "Resource": arns,
                }
            ],
        }
    )


@dataclass(frozen=True)
class GrafanaDatabaseSettings:
    """Where Grafana keeps its state (PostgreSQL).

    Attributes:
        host: The writer endpoint (the global cluster's, which follows failovers).
        name: The database.
        user: The user.
        password: Its password (a secret Output).
        ready: What the Secret waits for (the member instances).
        ssl_mode: Grafana's ``[database] ssl_mode``.
        ca_bundle_pem: The RDS CA bundle to verify the server with, or ``None``.
    """

    host: Any
    name: str
    user: str
    password: Any
    ready: tuple[pulumi.Resource, ...] = ()
    ssl_mode: str = "require"
    ca_bundle_pem: str | None = None


def kube_prometheus_stack_release(
    resource_name: str,
    *,
    release_name: str,
    version: str,
    namespace: str,
    values: pulumi.Input[dict[str, Any]],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """A kube-prometheus-stack ``helm.v3.Release`` with the library's install policy.

    Used by the shared stack and by each cell's Prometheus agent. The CRDs are applied apart
    (``skip_crds``; Helm never upgrades them), a failed install or upgrade rolls back
    (``atomic``, ``cleanup_on_fail``) within :data:`HELM_TIMEOUT_SECONDS`, and Helm keeps ten
    revisions to roll back to.

    Args:
        resource_name: The Pulumi resource name.
        release_name: The Helm release name (object name prefix).
        version: The chart version.
        namespace: The namespace the release installs into.
        values: The chart values.
        opts: Resource options (provider, dependencies, parent).
    """
    return k8s.helm.v3.Release(
        resource_name,
        name=release_name,
        chart=KUBE_PROMETHEUS_STACK.chart,
        version=version,
        repository_opts={"repo": KUBE_PROMETHEUS_STACK.repository},
        namespace=namespace,
        values=values,
        skip_crds=True,
        atomic=True,
        cleanup_on_fail=True,
        timeout=HELM_TIMEOUT_SECONDS,
        max_history=10,
        opts=opts,
    )


def create_releases(
    owner: Component[Any],
    args: ObservabilityStackArgs,
    cluster: ClusterParts,
    *,
    buckets: dict[str, Bucket],
    keys: dict[str, aws.kms.Key],
    values_overlay: dict[str, Any] | None = None,
    content_resources: list[pulumi.Resource] | None = None,
    after_crds: ContentHook | None = None,
    mirror: ImageMirror | None = None,
    image_sources: list[pulumi.Resource] | None = None,
    grafana_database: GrafanaDatabaseSettings | None = None,
    storage_read_only: bool = False,
    amp_extra: tuple[tuple[Any, Any, str], ...] = (),
    grafana_replicas: int = 1,
) -> Releases:
    """Create the namespace, Grafana's admin Secret, the CRDs, and the three releases.

    Args:
        owner: The component the children belong to.
        args: The stack's arguments.
        cluster: The cluster's parts (providers, readiness, identity).
        buckets: ``loki-chunks``, ``loki-ruler`` and ``tempo-traces`` buckets.
        keys: ``loki`` and ``tempo`` KMS keys.
        values_overlay: kube-prometheus-stack values to deep-merge (datasources, dashboards,
            Alertmanager configuration from the content layer).
        content_resources: Resources the stack release must wait for (content Secrets and
            ConfigMaps).
        after_crds: Called with ``(namespace, crds)`` once the CRD step exists; returns
            ``(values_overlay, resources)`` to merge and wait for (the content layer).
        mirror: Registries to pull every image through (the ECR pull-through caches), or
            ``None`` for upstream.
        image_sources: What the releases wait for before pulling (the cache rules).
        grafana_database: Grafana's PostgreSQL database (a standby's global database): its
            settings go into the Secret ``grafana-database`` (child ``{name}-grafana-db``);
            ``None`` keeps SQLite on a volume.
        storage_read_only: Grant Loki and Tempo read only on their buckets (a passive
            standby on the replica buckets).
        amp_extra: ``(remote-write URL, workspace ARN, region)`` of further AMP workspaces
            Prometheus writes to (the other region's).
        grafana_replicas: Grafana pods (more than one only with ``grafana_database``).
    """
    ready = [*cluster.k8s_ready, *(image_sources or [])]
    k8s_opts = owner.child_opts(provider=cluster.provider, depends_on=ready)
    namespace = k8s.core.v1.Namespace(
        owner.child_name("namespace"),
        metadata={
            "name": args.namespace,
            "labels": {
                "app.kubernetes.io/part-of": "obs-platform",
                "pod-security.kubernetes.io/enforce": "baseline",
            },
        },
        opts=k8s_opts,
    )
    # node-exporter reads the host (host network and PID, host paths): Pod Security refuses it
    # at baseline, so it runs in a namespace of its own at privileged.
    node_exporter_namespace = k8s.core.v1.Namespace(
        owner.child_name("node-exporter-namespace"),
        metadata={
            "name": f"{args.namespace}{NODE_EXPORTER_NAMESPACE_SUFFIX}",
            "labels": {
                "app.kubernetes.io/part-of": "obs-platform",
                "pod-security.kubernetes.io/enforce": "privileged",
            },
        },
        opts=k8s_opts,
    )
    in_ns = owner.child_opts(provider=cluster.provider, depends_on=[*ready, namespace])
    admin_secret = k8s.core.v1.Secret(
        owner.child_name("grafana-admin"),
        metadata={"name": GRAFANA_ADMIN_SECRET, "namespace": args.namespace},
        type="Opaque",
        string_data={
            GRAFANA_ADMIN_USER_KEY: GRAFANA_ADMIN_USER,
            GRAFANA_ADMIN_PASSWORD_KEY: pulumi.Output.secret(args.grafana_admin_password),
        },
        opts=in_ns,
    )

    database_waits: list[pulumi.Resource] = []
    if grafana_database is not None and grafana_database.ca_bundle_pem is not None:
        # Grafana docs, "Configure Grafana", [database]: ca_cert_path is the CA certificate
        # the server is verified with (ssl_mode verify-ca or verify-full). CA certificates are
        # public, so a ConfigMap, mounted by the grafana chart's extraConfigmapMounts.
        database_waits.append(
            k8s.core.v1.ConfigMap(
                owner.child_name("grafana-db-ca"),
                metadata={"name": GRAFANA_DATABASE_CA_CONFIGMAP, "namespace": args.namespace},
                data={GRAFANA_DATABASE_CA_FILE: grafana_database.ca_bundle_pem},
                opts=in_ns,
            )
        )
    if grafana_database is not None:
        db = grafana_database
        database_waits.append(
            k8s.core.v1.Secret(
                owner.child_name("grafana-db"),
                metadata={"name": GRAFANA_DATABASE_SECRET, "namespace": args.namespace},
                type="Opaque",
                # Grafana's [database] keys as GF_DATABASE_* (Grafana docs, "Configure
                # Grafana": override any setting with GF_<SECTION>_<KEY>). ssl_mode and
                # ca_cert_path are not secret: they come as plain env values (helm_values).
                string_data={
                    "GF_DATABASE_TYPE": "postgres",
                    "GF_DATABASE_HOST": pulumi.Output.from_input(db.host).apply(
                        lambda h: f"{h}:5432"
                    ),
                    "GF_DATABASE_NAME": db.name,
                    "GF_DATABASE_USER": db.user,
                    "GF_DATABASE_PASSWORD": pulumi.Output.secret(db.password),
                },
                opts=owner.child_opts(
                    provider=cluster.provider, depends_on=[*ready, namespace, *db.ready]
                ),
            )
        )

    crds = k8s.yaml.v2.ConfigGroup(
        owner.child_name("prometheus-crds"),
        files=prometheus_operator_crd_urls(args.chart_versions.operator_version),
        opts=owner.child_opts(providers={"kubernetes": cluster.crd_provider}, depends_on=ready),
    )

    if after_crds is not None:
        overlay, resources = after_crds(namespace, crds)
        values_overlay = deep_merge(values_overlay or {}, overlay)
        content_resources = [*(content_resources or []), *resources]

    identity = cluster.identity
    ns = args.namespace
    roles: dict[str, WorkloadRole] = {}
    chunks, ruler, traces = (buckets["loki-chunks"], buckets["loki-ruler"], buckets["tempo-traces"])
    roles["loki"] = workload_role(
        owner,
        "loki",
        identity,
        namespace=ns,
        service_account=LOKI_SERVICE_ACCOUNT,
        policy=bucket_access_policy(
            [chunks.bucket.arn, ruler.bucket.arn], keys["loki"].arn, read_only=storage_read_only
        ),
    )
    roles["tempo"] = workload_role(
        owner,
        "tempo",
        identity,
        namespace=ns,
        service_account=TEMPO_SERVICE_ACCOUNT,
        policy=bucket_access_policy(
            [traces.bucket.arn], keys["tempo"].arn, read_only=storage_read_only
        ),
    )
    roles["grafana"] = workload_role(
        owner,
        "grafana",
        identity,
        namespace=ns,
        service_account=GRAFANA_SERVICE_ACCOUNT,
        policy=grafana_cloudwatch_policy([a.role_arn for a in args.cloudwatch_accounts]),
    )
    amp = None
    if args.amp_remote_write_url is not None and args.amp_workspace_arn is not None:
        roles["prometheus"] = workload_role(
            owner,
            "prometheus",
            identity,
            namespace=ns,
            service_account=PROMETHEUS_SERVICE_ACCOUNT,
            policy=pulumi.Output.all(
                args.amp_workspace_arn, *(arn for _, arn, _ in amp_extra)
            ).apply(lambda arns: _amp_policy(arns if len(arns) > 1 else arns[0])),
        )
        amp = AmpRemoteWrite(url=args.amp_remote_write_url, region=args.region)
    extra_amp = tuple(AmpRemoteWrite(url=url, region=region) for url, _, region in amp_extra)

    urls = in_cluster_urls(ns, args.scale)
    versions = args.chart_versions
    kps_values = kube_prometheus_stack_values(
        cluster_name=owner.child_name("eks"),
        storage_class=GP3_STORAGE_CLASS,
        prometheus_retention_days=args.prometheus_retention_days,
        prometheus_volume_gib=args.prometheus_volume_gib,
        prometheus_replicas=args.prometheus_replicas,
        alertmanager_volume_gib=args.alertmanager_volume_gib,
        alertmanager_replicas=args.alertmanager_replicas,
        grafana_volume_gib=args.grafana_volume_gib,
        grafana_admin_secret=GRAFANA_ADMIN_SECRET,
        node_exporter_namespace=f"{ns}{NODE_EXPORTER_NAMESPACE_SUFFIX}",
        prometheus_role_arn=roles["prometheus"].annotation_arn if "prometheus" in roles else None,
        grafana_role_arn=roles["grafana"].annotation_arn,
        amp=amp,
        mirror=mirror,
        grafana_database_secret=GRAFANA_DATABASE_SECRET if grafana_database else None,
        grafana_database_ssl_mode=grafana_database.ssl_mode if grafana_database else "require",
        grafana_database_ca_configmap=(
            GRAFANA_DATABASE_CA_CONFIGMAP
            if grafana_database is not None and grafana_database.ca_bundle_pem is not None
            else None
        ),
        grafana_replicas=grafana_replicas,
        amp_extra=extra_amp,
        https_proxy=args.cloudwatch_exporter_https_proxy,
        region=args.region,
    )
    if values_overlay:
        kps_values = deep_merge(kps_values, values_overlay)
    kps_waits = [
        *ready,
        namespace,
        node_exporter_namespace,
        admin_secret,
        *database_waits,
        crds,
        *(content_resources or []),
        *roles["grafana"].bindings,
        *(roles["prometheus"].bindings if "prometheus" in roles else []),
    ]
    kps = kube_prometheus_stack_release(
        owner.child_name("kube-prometheus-stack"),
        release_name=KPS_RELEASE,
        version=versions.kube_prometheus_stack,
        namespace=ns,
        values=kps_values,
        opts=owner.child_opts(provider=cluster.provider, depends_on=kps_waits),
    )

    loki_chart_values = loki_values(
        scale=args.scale,
        region=args.region,
        chunks_bucket=chunks.bucket.bucket,
        ruler_bucket=ruler.bucket.bucket,
        retention_days=args.loki_retention_days,
        role_arn=roles["loki"].annotation_arn,
        schema_from=args.loki_schema_from,
        mirror=mirror,
        max_chunk_age_minutes=args.loki_max_chunk_age_minutes,
    )
    loki = _chart(
        owner,
        "loki",
        release=LOKI_RELEASE,
        pin=LOKI.at(versions.loki),
        namespace=ns,
        values=loki_chart_values,
        cluster=cluster,
        depends_on=[
            *ready,
            namespace,
            *roles["loki"].bindings,
            *chunks.configuration,
            *ruler.configuration,
        ],
    )

    remote_write = f"{urls.prometheus}/api/v1/write"
    if args.scale is Scale.DISTRIBUTED:
        pin = TEMPO_DISTRIBUTED.at(versions.tempo_distributed)
        tempo_chart_values = tempo_distributed_values(
            region=args.region,
            traces_bucket=traces.bucket.bucket,
            retention_days=args.tempo_retention_days,
            kafka_address=args.tempo_kafka_address,
            kafka_partitions=args.tempo_kafka_partitions,
            metrics_remote_write_url=remote_write,
            role_arn=roles["tempo"].annotation_arn,
            mirror=mirror,
        )
    else:
        pin = TEMPO.at(versions.tempo)
        tempo_chart_values = tempo_values(
            region=args.region,
            traces_bucket=traces.bucket.bucket,
            retention_days=args.tempo_retention_days,
            storage_class=GP3_STORAGE_CLASS,
            wal_volume_gib=args.tempo_wal_volume_gib,
            metrics_remote_write_url=remote_write,
            role_arn=roles["tempo"].annotation_arn,
            mirror=mirror,
        )
    tempo = _chart(
        owner,
        "tempo",
        release=TEMPO_RELEASE,
        pin=pin,
        namespace=ns,
        values=tempo_chart_values,
        cluster=cluster,
        depends_on=[*ready, namespace, *roles["tempo"].bindings, *traces.configuration],
    )
    exporter = None
    if args.cloudwatch_exporter:
        regions = [args.region] + ([args.dr_region] if args.dr_region is not None else [])
        accounts = [
            CloudWatchAccount(a.role_arn, tuple(a.regions), a.cell)
            for a in args.cloudwatch_accounts
        ]
        config = yace_config(
            [
                *dr_discovery_jobs(regions, args.msk_replicator_cells),
                *account_discovery_jobs(accounts),
            ],
            sts_region=args.region,
        )
        roles["yace"] = workload_role(
            owner,
            "yace",
            identity,
            namespace=ns,
            service_account=YACE_SERVICE_ACCOUNT,
            policy=cloudwatch_exporter_policy(assumed_role_arns(config)),
        )
        exporter = _chart(
            owner,
            "cloudwatch-exporter",
            release=YACE_RELEASE,
            pin=YET_ANOTHER_CLOUDWATCH_EXPORTER.at(versions.yet_another_cloudwatch_exporter),
            namespace=ns,
            values=yace_values(
                config_yaml=yaml.safe_dump(config, sort_keys=False),
                role_arn=roles["yace"].annotation_arn,
                mirror=mirror,
                scrape_interval_seconds=YACE_SCRAPE_INTERVAL_SECONDS,
                https_proxy=args.cloudwatch_exporter_https_proxy,
                region=args.region,
            ),
            cluster=cluster,
            # The ServiceMonitor needs the operator's CRDs.
            depends_on=[*ready, namespace, crds, *roles["yace"].bindings],
        )
    return Releases(
        cloudwatch_exporter=exporter,
        namespace=namespace,
        crds=crds,
        kube_prometheus_stack=kps,
        loki=loki,
        tempo=tempo,
        roles=roles,
    )
