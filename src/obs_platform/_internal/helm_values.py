"""Pure builders of the Helm values the ObservabilityStack installs, and the checks on them.

Nothing here creates resources. Builders take plain settings (and, for wiring such as bucket names
or role ARNs, values that may be Pulumi Outputs, passed through untouched) and return the values
dict for one chart. Secrets never go into values: Grafana's admin password is referenced through
``grafana.admin.existingSecret``.

Fixed names make the in-cluster service addresses predictable (``fullnameOverride``), so that the
datasources, the ingest Services and the cells can be wired without reading the cluster:

=====================  ===========================================================
release / fullname      in-cluster services (namespace ``monitoring`` by default)
=====================  ===========================================================
``kps`` / ``kps``       ``kps-prometheus:9090``, ``kps-alertmanager:9093``, ``kps-grafana:80``
``loki`` / ``loki``     ``loki-gateway:80`` (push and query)
``tempo`` / ``tempo``   ``tempo:3200`` + OTLP 4317/4318 (monolithic), or
                        ``tempo-query-frontend:3200`` + ``tempo-distributor`` (distributed)
``yace`` / ``yace``     ``yace:80`` (the CloudWatch exporter, scraped by its ServiceMonitor)
=====================  ===========================================================
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from .cell_agent import CLUSTER_LABEL
from .yace import CELL_FROM_CUSTOM_TAG

KPS_RELEASE = "kps"
"""Release name and ``fullnameOverride`` of kube-prometheus-stack."""

LOKI_RELEASE = "loki"
"""Release name and ``fullnameOverride`` of Loki."""

TEMPO_RELEASE = "tempo"
"""Release name and ``fullnameOverride`` of Tempo (either chart)."""

LOKI_SERVICE_ACCOUNT = "loki"
"""The service account Loki runs as (bound to its IAM role)."""

TEMPO_SERVICE_ACCOUNT = "tempo"
"""The service account Tempo runs as (bound to its IAM role)."""

PROMETHEUS_SERVICE_ACCOUNT = "kps-prometheus"
"""The service account Prometheus runs as (bound to its role when remote-writing to AMP)."""

GRAFANA_SERVICE_ACCOUNT = "kps-grafana"
"""The service account Grafana runs as (bound to its CloudWatch read role)."""

GRAFANA_ADMIN_USER_KEY = "admin-user"
"""Key of the admin user name in Grafana's existing admin Secret."""

GRAFANA_ADMIN_PASSWORD_KEY = "admin-password"
"""Key of the admin password in Grafana's existing admin Secret."""

LOKI_SCHEMA_FROM = "2025-01-01"
"""The fixed ``from`` date of Loki's one schema period (tsdb, v13). Never change it on a running
Loki: a new schema needs a new period with a later date, appended."""

YACE_RELEASE = "yace"
"""Release name and ``fullnameOverride`` of the CloudWatch exporter (YACE)."""

YACE_SERVICE_ACCOUNT = "yace"
"""The service account the CloudWatch exporter runs as (bound to its CloudWatch read role)."""

NODE_EXPORTER_NAMESPACE_SUFFIX = "-node-exporter"
"""node-exporter runs in ``<namespace>-node-exporter``: it needs the host's network and PID
namespaces and host paths, which Pod Security ``baseline`` (enforced on the monitoring
namespace) refuses, so its own namespace is labelled ``privileged``."""

TEMPO_GENERATOR_PROCESSORS: tuple[str, ...] = ("service-graphs", "span-metrics")
"""The metrics-generator processors every tenant runs: the service graph (Grafana's service map)
and span metrics (``traces_spanmetrics_*``, Grafana's traces-to-metrics). Tempo enables
processors only through per-tenant overrides (``overrides.defaults`` applies to every tenant);
without them the generator runs and generates nothing."""

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
"""The service-account annotation IRSA reads."""


ImageMirror = Mapping[str, Any]
"""Upstream registry host (``quay.io``, ``registry.k8s.io``, ``ghcr.io``, ``docker.io``) -> the
registry prefix images are pulled through instead (an ECR pull-through cache,
``<account>.dkr.ecr.<region>.amazonaws.com/quay``). Values may be Outputs."""

MIRRORED_REGISTRIES: tuple[str, ...] = ("quay.io", "registry.k8s.io", "ghcr.io", "docker.io")
"""The upstream registries the pinned charts pull from (with their default values)."""


def _mirrored(mirror: ImageMirror | None, upstream: str) -> dict[str, Any]:
    """Return an image block pointing at the mirror of ``upstream`` (``{}`` without a mirror)."""
    return {} if mirror is None else {"registry": mirror[upstream]}


def _set(values: dict[str, Any], path: str, image: Mapping[str, Any]) -> None:
    """Merge ``image`` into ``values`` at a dotted path (nothing when ``image`` is empty)."""
    if not image:
        return
    node = values
    for part in path.split("."):
        node = node.setdefault(part, {})
    node.update(image)


class Scale(StrEnum):
    """How Loki and Tempo run: one setting moves both to their distributed engines."""

    MONOLITHIC = "monolithic"
    """One process per engine (Loki single binary, the ``tempo`` chart): simple, up to tens of
    GB a day."""
    DISTRIBUTED = "distributed"
    """Microservices (Loki distributed, ``tempo-distributed`` with Kafka ingest): scales out."""


def service_url(service: str, namespace: str, port: int | None = None, scheme: str = "http") -> str:
    """Return a cluster-local URL, ``http://svc.ns.svc.cluster.local[:port]``."""
    suffix = f":{port}" if port is not None else ""
    return f"{scheme}://{service}.{namespace}.svc.cluster.local{suffix}"


@dataclass(frozen=True)
class InClusterUrls:
    """Cluster-local addresses of the stack's query and ingest services.

    Attributes:
        prometheus: Prometheus HTTP API (remote-write receiver at ``/api/v1/write``).
        alertmanager: Alertmanager API.
        grafana: Grafana UI.
        loki: Loki gateway (push at ``/loki/api/v1/push``, queries).
        tempo: Tempo query API (for Grafana).
        otlp_grpc: OTLP gRPC receiver host:port.
        otlp_http: OTLP HTTP receiver URL.
    """

    prometheus: str
    alertmanager: str
    grafana: str
    loki: str
    tempo: str
    otlp_grpc: str
    otlp_http: str


def in_cluster_urls(namespace: str, scale: Scale) -> InClusterUrls:
    """Return the stack's cluster-local URLs for a namespace and scale."""
    query = "tempo-query-frontend" if scale is Scale.DISTRIBUTED else TEMPO_RELEASE
    ingest = "tempo-distributor" if scale is Scale.DISTRIBUTED else TEMPO_RELEASE
    return InClusterUrls(
        prometheus=service_url(f"{KPS_RELEASE}-prometheus", namespace, 9090),
        alertmanager=service_url(f"{KPS_RELEASE}-alertmanager", namespace, 9093),
        grafana=service_url(f"{KPS_RELEASE}-grafana", namespace, 80),
        loki=service_url(f"{LOKI_RELEASE}-gateway", namespace, 80),
        tempo=service_url(query, namespace, 3200),
        otlp_grpc=f"{ingest}.{namespace}.svc.cluster.local:4317",
        otlp_http=service_url(ingest, namespace, 4318),
    )


def _pvc(storage_class: str, size_gib: int) -> dict[str, Any]:
    return {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": storage_class,
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"{size_gib}Gi"}},
            }
        }
    }


def _service_account(name: str, role_arn: Any | None) -> dict[str, Any]:
    account: dict[str, Any] = {"create": True, "name": name}
    if role_arn is not None:
        account["annotations"] = {IRSA_ANNOTATION: role_arn}
    return account


@dataclass(frozen=True)
class AmpRemoteWrite:
    """Remote write from Prometheus to Amazon Managed Service for Prometheus, signed with SigV4.

    Attributes:
        url: The workspace's remote-write URL (``.../api/v1/remote_write``).
        region: The workspace's region (SigV4 signing region).
    """

    url: Any
    region: str


CLUSTER_SCRAPE_CLASS: Final = "obs-platform-cluster"
"""The Prometheus default scrape class that labels the stack's own targets ``cluster``."""


GRAFANA_DATABASE_CA_DIR = "/etc/grafana/database-ca"
"""Where Grafana's pods mount the RDS CA bundle with a standby."""
GRAFANA_DATABASE_CA_FILE = "rds-ca.pem"
"""The bundle's file name there (its key in the ConfigMap)."""

GRAFANA_GOSSIP_PORT = 9094
"""The port of Grafana's alerting cluster (memberlist), on which the grafana chart's pods
expose ``gossip-tcp`` and ``gossip-udp`` and its headless Service ``gossip-tcp``."""


def grafana_alerting_ha() -> dict[str, Any]:
    """Grafana values that put several replicas in one unified-alerting cluster.

    Without it each replica evaluates the Grafana-managed alert rules and notifies on its
    own, so every notification goes out once per replica (Grafana docs, *Configure high
    availability*: "Enable alerting high availability", ``[unified_alerting] ha_peers``,
    ``ha_listen_address``, ``ha_advertise_address``). The peers are found through the grafana
    chart's headless Service (``headlessService: true`` renders ``{fullname}-headless``,
    ``kps-grafana-headless`` here, with port 9094; templates/headless-service.yaml), whose DNS
    name answers with every ready pod's address; the short name resolves through the pod's
    namespace search domain. Each pod listens and advertises on its own address: the chart
    sets ``POD_IP`` from ``status.podIP`` in every Grafana container (templates/_pod.tpl), and
    Grafana expands ``${POD_IP}`` in its configuration (Grafana docs, *Configure Grafana*,
    variable expansion).
    """
    peer = f"{KPS_RELEASE}-grafana-headless:{GRAFANA_GOSSIP_PORT}"
    own = f"${{POD_IP}}:{GRAFANA_GOSSIP_PORT}"
    return {
        "headlessService": True,
        "grafana.ini": {
            "unified_alerting": {
                "enabled": True,
                "ha_peers": peer,
                "ha_listen_address": own,
                "ha_advertise_address": own,
            }
        },
    }


def grafana_database_tls(ssl_mode: str, ca_configmap: str | None) -> dict[str, Any]:
    """Grafana values for how it verifies its database server (a standby's Aurora).

    ``[database] ssl_mode`` and ``ca_cert_path`` (Grafana docs, *Configure Grafana*) are not
    secret, so they are plain ``env`` values; Kubernetes lets an ``env`` entry win over the
    same key from ``envFrom`` (the ``grafana-database`` Secret; ``Container.envFrom``: "Values
    defined by an Env with a duplicate key will take precedence"). With ``ca_configmap`` the
    RDS bundle is mounted read-only by the grafana chart's ``extraConfigmapMounts``
    (templates/_pod.tpl: a ``configMap`` volume and its mount).
    """
    env = {"GF_DATABASE_SSL_MODE": ssl_mode}
    values: dict[str, Any] = {"env": env}
    if ca_configmap is not None:
        env["GF_DATABASE_CA_CERT_PATH"] = f"{GRAFANA_DATABASE_CA_DIR}/{GRAFANA_DATABASE_CA_FILE}"
        values["extraConfigmapMounts"] = [
            {
                "name": "database-ca",
                "mountPath": GRAFANA_DATABASE_CA_DIR,
                "configMap": ca_configmap,
                "readOnly": True,
            }
        ]
    return values


def kube_prometheus_stack_values(
    *,
    cluster_name: str,
    storage_class: str,
    prometheus_retention_days: int,
    prometheus_volume_gib: int,
    prometheus_replicas: int,
    alertmanager_volume_gib: int,
    alertmanager_replicas: int,
    grafana_volume_gib: int,
    grafana_admin_secret: str,
    node_exporter_namespace: str,
    prometheus_role_arn: Any | None = None,
    grafana_role_arn: Any | None = None,
    amp: AmpRemoteWrite | None = None,
    mirror: ImageMirror | None = None,
    grafana_database_secret: str | None = None,
    grafana_replicas: int = 1,
    amp_extra: tuple[AmpRemoteWrite, ...] = (),
    grafana_database_ssl_mode: str = "require",
    grafana_database_ca_configmap: str | None = None,
    https_proxy: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Values for kube-prometheus-stack with the EKS profile.

    * CRDs are off here: they are applied server-side as their own pinned step.
    * EKS runs the scheduler, controller-manager and etcd out of reach, and kube-proxy binds its
      metrics to localhost: their targets and rules are off, or their alerts fire forever.
    * The ``*SelectorNilUsesHelmValues`` flags are false, so ServiceMonitors, PodMonitors, rules,
      probes and scrape configs without the release label are found.
    * Prometheus keeps ``prometheus_retention_days`` on a gp3 volume (size-based retention at 90 %
      of it as a guard), accepts remote write (cells push), and optionally remote-writes to AMP.
    * Grafana reads its admin user from an existing Secret; no password is in these values. Its
      one ReadWriteOnce volume cannot be attached to a second pod, so its Deployment is
      replaced with ``Recreate`` (a rolling update would wait forever on the new pod).
    * node-exporter runs in ``node_exporter_namespace`` (privileged; see
      :data:`NODE_EXPORTER_NAMESPACE_SUFFIX`).
    * With ``grafana_database_secret`` Grafana keeps its state in PostgreSQL instead: its
      ``[database]`` settings come as ``GF_DATABASE_*`` environment variables from that Secret
      (the grafana chart's ``envFromSecret``, an ``envFrom.secretRef`` in its Deployment;
      Grafana reads ``GF_<SECTION>_<KEY>`` over ``grafana.ini``), so no host or password is in
      these values or in a ConfigMap. No volume then, so ``grafana_replicas`` pods roll, and
      with more than one they form one alerting cluster (:func:`grafana_alerting_ha`).

    Args:
        cluster_name: Added as the ``cluster`` external label.
        storage_class: The StorageClass of every volume (gp3).
        prometheus_retention_days: Time-based retention.
        prometheus_volume_gib: Prometheus volume size.
        prometheus_replicas: Prometheus replicas (2 for HA).
        alertmanager_volume_gib: Alertmanager volume size.
        alertmanager_replicas: Alertmanager replicas (they cluster).
        grafana_volume_gib: Grafana volume size.
        grafana_admin_secret: Name of the Secret holding the admin user and password.
        node_exporter_namespace: The namespace node-exporter runs in (Pod Security
            ``privileged``).
        prometheus_role_arn: IRSA role for Prometheus (AMP), or ``None`` (Pod Identity / none).
        grafana_role_arn: IRSA role for Grafana (CloudWatch), or ``None``.
        amp: Remote write to AMP, or ``None``.
        mirror: Pull every image through these registries instead of upstream, or ``None``.
        grafana_database_secret: The Secret with Grafana's ``GF_DATABASE_*`` settings, or
            ``None`` for SQLite on a volume.
        grafana_replicas: Grafana pods (more than one only with a database).
        amp_extra: Further AMP workspaces every sample also goes to (the other region's).
        grafana_database_ssl_mode: Grafana's ``[database] ssl_mode`` (with a database).
        grafana_database_ca_configmap: A ConfigMap holding ``rds-ca.pem`` (the RDS CA bundle)
            to mount and verify the database server with, or ``None``.
        https_proxy: A forward proxy Grafana reaches CloudWatch in other regions through
            (the grafana chart's ``env``, as :func:`proxy_environment`), or ``None``.
        region: The stack's region (needed with ``https_proxy``).
    """
    retention_size_gb = max(1, prometheus_volume_gib * 9 // 10)
    prometheus_spec: dict[str, Any] = {
        "replicas": prometheus_replicas,
        "retention": f"{prometheus_retention_days}d",
        "retentionSize": f"{retention_size_gb}GB",
        "storageSpec": _pvc(storage_class, prometheus_volume_gib),
        "enableRemoteWriteReceiver": True,
        "externalLabels": {CLUSTER_LABEL: cluster_name},
        # The stock dashboards select a cluster (multicluster, below); the cells' series carry
        # ``cluster`` = the cell's name, and the stack's own scrapes get its name here (the
        # default scrape class's relabelings apply to every ServiceMonitor/PodMonitor target;
        # external labels reach only remote write and alerts, not local queries).
        "scrapeClasses": [
            {
                "name": CLUSTER_SCRAPE_CLASS,
                "default": True,
                "relabelings": [
                    {"action": "replace", "targetLabel": CLUSTER_LABEL, "replacement": cluster_name}
                ],
            }
        ],
        "ruleSelectorNilUsesHelmValues": False,
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "scrapeConfigSelectorNilUsesHelmValues": False,
    }
    if amp is not None:
        prometheus_spec["remoteWrite"] = [
            {
                "url": target.url,
                "sigv4": {"region": target.region},
                "queueConfig": {"maxSamplesPerSend": 1000, "maxShards": 200, "capacity": 2500},
            }
            for target in (amp, *amp_extra)
        ]
    values: dict[str, Any] = {
        "fullnameOverride": KPS_RELEASE,
        "crds": {"enabled": False},
        "defaultRules": {
            "rules": {
                "etcd": False,
                "kubeControllerManager": False,
                "kubeSchedulerAlerting": False,
                "kubeSchedulerRecording": False,
                "kubeProxy": False,
                "windows": False,
            }
        },
        "kubeEtcd": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeControllerManager": {"enabled": False},
        "kubeProxy": {"enabled": False},
        "windowsMonitoring": {"enabled": False},
        "prometheus-node-exporter": {"namespaceOverride": node_exporter_namespace},
        "prometheus": {
            "serviceAccount": _service_account(PROMETHEUS_SERVICE_ACCOUNT, prometheus_role_arn),
            "prometheusSpec": prometheus_spec,
        },
        "alertmanager": {
            "alertmanagerSpec": {
                "replicas": alertmanager_replicas,
                "storage": _pvc(storage_class, alertmanager_volume_gib),
            }
        },
        "grafana": {
            "admin": {
                "existingSecret": grafana_admin_secret,
                "userKey": GRAFANA_ADMIN_USER_KEY,
                "passwordKey": GRAFANA_ADMIN_PASSWORD_KEY,
            },
            "serviceAccount": _service_account(GRAFANA_SERVICE_ACCOUNT, grafana_role_arn),
            # RWO volume: the old pod must go before the new one can mount it
            # (grafana/helm-charts#146; kube-prometheus-stack#898).
            "deploymentStrategy": {"type": "Recreate"},
            # Shows the stock dashboards' ``cluster`` variable (kube-prometheus-stack's
            # templates/grafana/dashboards-1.14: ``hide`` 0 instead of 2), one value per cell.
            "sidecar": {"dashboards": {"multicluster": {"global": {"enabled": True}}}},
            "persistence": {
                "enabled": True,
                "storageClassName": storage_class,
                "size": f"{grafana_volume_gib}Gi",
            },
        },
    }
    if grafana_database_secret is not None:
        values["grafana"].update(
            {
                "replicas": grafana_replicas,
                "envFromSecret": grafana_database_secret,
                "deploymentStrategy": {"type": "RollingUpdate"},
                "persistence": {"enabled": False},
            }
        )
    if grafana_database_secret is not None and grafana_replicas > 1:
        values["grafana"].update(grafana_alerting_ha())
    if grafana_database_secret is not None:
        values["grafana"].update(
            grafana_database_tls(grafana_database_ssl_mode, grafana_database_ca_configmap)
        )
    if https_proxy is not None:
        # The grafana chart's ``env`` map becomes the container's env (templates/_pod.tpl);
        # merged with the database's plain settings.
        values["grafana"].setdefault("env", {}).update(proxy_environment(https_proxy, region))
    for path, upstream in (
        ("alertmanager.alertmanagerSpec.image", "quay.io"),
        ("prometheus.prometheusSpec.image", "quay.io"),
        ("prometheusOperator.image", "quay.io"),
        ("prometheusOperator.prometheusConfigReloader.image", "quay.io"),
        ("prometheusOperator.thanosImage", "quay.io"),
        ("prometheusOperator.admissionWebhooks.deployment.image", "quay.io"),
        ("prometheusOperator.admissionWebhooks.patch.image", "ghcr.io"),
        ("kube-state-metrics.image", "registry.k8s.io"),
        ("prometheus-node-exporter.image", "quay.io"),
        ("grafana.image", "docker.io"),
        ("grafana.sidecar.image", "quay.io"),
        ("grafana.initChownData.image", "docker.io"),
        ("grafana.downloadDashboardsImage", "docker.io"),
    ):
        _set(values, path, _mirrored(mirror, upstream))
    return values


def loki_ingester(max_chunk_age_minutes: int | None) -> dict[str, Any]:
    """Return the ``loki.ingester`` values the library sets.

    The chart copies them into Loki's ``ingester`` config block, merged over its own default
    ``wal.flush_on_shutdown: true``. Empty unless ``max_chunk_age_minutes`` is given: the
    flush settings are then Loki's defaults, which
    :mod:`obs_platform._internal.telemetry_rpo` reads the stack's logs RPO from.
    """
    if max_chunk_age_minutes is None:
        return {}
    return {"max_chunk_age": f"{max_chunk_age_minutes}m"}


def loki_values(
    *,
    scale: Scale,
    region: str,
    chunks_bucket: Any,
    ruler_bucket: Any,
    retention_days: int,
    role_arn: Any | None = None,
    schema_from: str = LOKI_SCHEMA_FROM,
    mirror: ImageMirror | None = None,
    max_chunk_age_minutes: int | None = None,
) -> dict[str, Any]:
    """Values for the Loki chart on S3.

    One schema period (tsdb, v13) from a fixed date; retention by the compactor; S3 through the
    pod's identity (no keys in values). Monolithic runs one single-binary replica; distributed runs
    the microservices with replication factor 3. Simple-scalable (deprecated) is never used.
    Multi-tenancy is on: each cell is a tenant, set by the ingest gateway.

    Args:
        scale: Monolithic or distributed.
        region: The buckets' region.
        chunks_bucket: Name of the chunks bucket.
        ruler_bucket: Name of the ruler bucket.
        retention_days: How long logs are kept.
        role_arn: IRSA role to annotate the service account with, or ``None`` (Pod Identity).
        schema_from: The schema period's fixed start date (``YYYY-MM-DD``).
        mirror: Pull every image through these registries instead of upstream, or ``None``.
        max_chunk_age_minutes: Loki's ``ingester.max_chunk_age``, or ``None`` for Loki's
            default (2h); see :func:`loki_ingester`.
    """
    distributed = scale is Scale.DISTRIBUTED
    values: dict[str, Any] = {
        "fullnameOverride": LOKI_RELEASE,
        "deploymentMode": "Distributed" if distributed else "Monolithic",
        "serviceAccount": _service_account(LOKI_SERVICE_ACCOUNT, role_arn),
        "loki": {
            # Each cell writes as its own tenant (the ingest gateway sets X-Scope-OrgID from
            # the authenticated user); Grafana reads them together ("a|b").
            "auth_enabled": True,
            "querier": {"multi_tenant_queries_enabled": True},
            "commonConfig": {"replication_factor": 3 if distributed else 1},
            "schemaConfig": {
                "configs": [
                    {
                        "from": schema_from,
                        "store": "tsdb",
                        "object_store": "s3",
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
            "storage": {
                "type": "s3",
                "bucketNames": {"chunks": chunks_bucket, "ruler": ruler_bucket},
                "s3": {"region": region},
            },
            "limits_config": {"retention_period": f"{retention_days * 24}h"},
            "compactor": {"retention_enabled": True, "delete_request_store": "s3"},
            **(
                {"ingester": loki_ingester(max_chunk_age_minutes)}
                if max_chunk_age_minutes is not None
                else {}
            ),
        },
        # Prometheus scrapes every Loki component (LokiIngestionErrors, LokiDiscardingLogs).
        "monitoring": {"serviceMonitor": {"enabled": True}},
        # The memcached caches default to 8 GiB each; size them for a shared-services cluster.
        "chunksCache": {"allocatedMemory": 2048 if distributed else 1024},
        "resultsCache": {"allocatedMemory": 512},
        # Simple-scalable targets stay off in both modes.
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "backend": {"replicas": 0},
    }
    if distributed:
        values.update(
            {
                "singleBinary": {"replicas": 0},
                "ingester": {"replicas": 3, "zoneAwareReplication": {"enabled": False}},
                "distributor": {"replicas": 3},
                "querier": {"replicas": 3},
                "queryFrontend": {"replicas": 2},
                "queryScheduler": {"replicas": 2},
                "indexGateway": {"replicas": 2},
                "compactor": {"replicas": 1},
                "ruler": {"replicas": 1},
            }
        )
    else:
        values["singleBinary"] = {"replicas": 1}
    # Components without an image of their own use ``loki.image``.
    for path, upstream in (
        ("loki.image", "docker.io"),
        ("lokiCanary.image", "docker.io"),
        ("gateway.image", "docker.io"),
        ("gateway.metrics.image", "ghcr.io"),
        ("memcached.image", "docker.io"),
        ("memcachedExporter.image", "docker.io"),
        ("sidecar.image", "docker.io"),
    ):
        _set(values, path, _mirrored(mirror, upstream))
    return values


def _generator_overrides() -> dict[str, Any]:
    """Tempo overrides that turn the metrics-generator processors on for every tenant."""
    return {"defaults": {"metrics_generator": {"processors": list(TEMPO_GENERATOR_PROCESSORS)}}}


def _tempo_s3(bucket: Any, region: str) -> dict[str, Any]:
    return {"bucket": bucket, "endpoint": f"s3.{region}.amazonaws.com", "region": region}


def tempo_values(
    *,
    region: str,
    traces_bucket: Any,
    retention_days: int,
    storage_class: str,
    wal_volume_gib: int,
    metrics_remote_write_url: str,
    role_arn: Any | None = None,
    mirror: ImageMirror | None = None,
) -> dict[str, Any]:
    """Values for the ``tempo`` chart (single binary) on S3 with OTLP receivers.

    Args:
        region: The bucket's region.
        traces_bucket: Name of the traces bucket.
        retention_days: Block retention.
        storage_class: StorageClass of the WAL volume.
        wal_volume_gib: WAL volume size.
        metrics_remote_write_url: Where the metrics generator writes span metrics and service
            graphs (Prometheus's remote-write receiver).
        role_arn: IRSA role to annotate the service account with, or ``None`` (Pod Identity).
        mirror: Pull the image through these registries instead of upstream, or ``None``.
    """
    values: dict[str, Any] = {
        "fullnameOverride": TEMPO_RELEASE,
        "replicas": 1,
        "serviceAccount": _service_account(TEMPO_SERVICE_ACCOUNT, role_arn),
        "tempo": {
            "retention": f"{retention_days * 24}h",
            "storage": {"trace": {"backend": "s3", "s3": _tempo_s3(traces_bucket, region)}},
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": "0.0.0.0:4317"},
                        "http": {"endpoint": "0.0.0.0:4318"},
                    }
                }
            },
            "metricsGenerator": {"enabled": True, "remoteWriteUrl": metrics_remote_write_url},
            "overrides": _generator_overrides(),
            # Each cell is a tenant (X-Scope-OrgID from the ingest gateway).
            "multitenancyEnabled": True,
        },
        # Prometheus scrapes Tempo (TempoIngestionErrors).
        "serviceMonitor": {"enabled": True},
        "persistence": {
            "enabled": True,
            "storageClassName": storage_class,
            "size": f"{wal_volume_gib}Gi",
        },
    }
    # The tempo chart keeps its image's registry directly under ``tempo``.
    _set(values, "tempo", _mirrored(mirror, "docker.io"))
    return values


def tempo_distributed_values(
    *,
    region: str,
    traces_bucket: Any,
    retention_days: int,
    kafka_address: Any,
    kafka_partitions: int,
    metrics_remote_write_url: str,
    role_arn: Any | None = None,
    mirror: ImageMirror | None = None,
) -> dict[str, Any]:
    """Values for ``tempo-distributed`` (Tempo 3) on S3, OTLP in, Kafka between the tiers.

    Tempo 3's microservices write spans to Kafka; block-builders and live-stores consume it, one
    replica per partition, so both replica counts equal ``kafka_partitions``.

    Args:
        region: The bucket's region.
        traces_bucket: Name of the traces bucket.
        retention_days: Block retention.
        kafka_address: Kafka bootstrap address (``host:port``).
        kafka_partitions: Partitions of the ingest topic (= block-builder and live-store replicas).
        metrics_remote_write_url: Where the metrics generator writes.
        role_arn: IRSA role to annotate the service account with, or ``None`` (Pod Identity).
        mirror: Pull every image through these registries instead of upstream, or ``None``.
    """
    values: dict[str, Any] = {
        "fullnameOverride": TEMPO_RELEASE,
        "serviceAccount": _service_account(TEMPO_SERVICE_ACCOUNT, role_arn),
        "storage": {"trace": {"backend": "s3", "s3": _tempo_s3(traces_bucket, region)}},
        "traces": {"otlp": {"grpc": {"enabled": True}, "http": {"enabled": True}}},
        "ingest": {
            "kafka": {
                "address": kafka_address,
                "auto_create_topic_default_partitions": kafka_partitions,
            }
        },
        "blockBuilder": {"replicas": kafka_partitions},
        "liveStore": {"replicas": kafka_partitions},
        "backendScheduler": {
            "config": {
                "provider": {
                    "compaction": {
                        "compaction": {
                            "block_retention": f"{retention_days * 24}h",
                        }
                    }
                }
            }
        },
        "overrides": _generator_overrides(),
        # Each cell is a tenant (X-Scope-OrgID from the ingest gateway).
        "multitenancyEnabled": True,
        # Prometheus scrapes every Tempo component (TempoIngestionErrors).
        "metaMonitoring": {"serviceMonitor": {"enabled": True}},
        "metricsGenerator": {
            "enabled": True,
            "config": {
                "storage": {
                    "remote_write": [{"url": metrics_remote_write_url, "send_exemplars": True}],
                }
            },
        },
    }
    if mirror is not None:
        # Every image of this chart is on Docker Hub; official images live under ``library/``,
        # which a Docker Hub pull-through cache needs spelled out.
        _set(values, "global.image", _mirrored(mirror, "docker.io"))
        _set(values, "memcached.image", {"repository": "library/memcached"})
    return values


def proxy_environment(https_proxy: str, region: str | None) -> dict[str, str]:
    """Return ``HTTPS_PROXY``/``NO_PROXY`` for a pod that reaches other regions' CloudWatch.

    Go's ``net/http`` ``ProxyFromEnvironment`` reads both (a leading ``.`` in ``NO_PROXY``
    matches every subdomain); the AWS SDK for Go (the CloudWatch exporter) and Grafana's plugin
    HTTP client (grafana-plugin-sdk-go ``backend/httpclient.GetTransport``: ``Proxy:
    http.ProxyFromEnvironment``, which the CloudWatch datasource's AWS sessions use) honour
    them. ``NO_PROXY`` keeps ``region``'s endpoints (the VPC endpoints), the cluster, the EKS
    Pod Identity agent and the instance metadata service off the proxy.
    """
    if region is None:
        raise ValueError("a proxy needs the stack's region (its endpoints stay off the proxy).")
    local = [
        f".{region}.amazonaws.com",
        ".svc",
        ".cluster.local",
        "localhost",
        "127.0.0.1",
        # EKS Pod Identity agent and the instance metadata service.
        "169.254.170.23",
        "169.254.169.254",
    ]
    return {"HTTPS_PROXY": https_proxy, "NO_PROXY": ",".join(local)}


def yace_values(
    *,
    config_yaml: str,
    role_arn: Any | None = None,
    mirror: ImageMirror | None = None,
    scrape_interval_seconds: int = 60,
    https_proxy: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Return values for ``prometheus-yet-another-cloudwatch-exporter`` (the CloudWatch exporter).

    One Deployment ``yace`` (service account ``yace``) with its configuration in a ConfigMap, a
    Service (the chart always renders it) and a ServiceMonitor (kube-prometheus-stack selects
    every ServiceMonitor), no ``helm test`` pod, a restricted security context, and no AWS
    keys: credentials come from the workload identity (Pod Identity, or the IRSA annotation
    with ``role_arn``).

    Args:
        config_yaml: YACE's configuration file (:func:`.yace.yace_config`, as YAML). The chart
            passes it through ``tpl``, so it must not contain ``{{``.
        role_arn: The exporter's role ARN to annotate its service account with (IRSA), or
            ``None`` (Pod Identity).
        mirror: Registries to pull the image through, or ``None`` for quay.io.
        scrape_interval_seconds: How often YACE queries CloudWatch, and Prometheus scrapes it.
        https_proxy: A forward proxy for CloudWatch in other regions (``HTTPS_PROXY``), or
            ``None``. ``NO_PROXY`` then keeps ``region``'s endpoints (the VPC endpoints), the
            cluster and the Pod Identity agent off it (Go's ``net/http``
            ``ProxyFromEnvironment``: a leading ``.`` matches every subdomain).
        region: The stack's region (needed with ``https_proxy``).

    Raises:
        ValueError: If the configuration contains a template delimiter.
    """
    if "{{" in config_yaml:
        raise ValueError(
            "the YACE configuration contains '{{', which the chart's tpl would evaluate; "
            "remove template delimiters from it."
        )
    values: dict[str, Any] = {
        "fullnameOverride": YACE_RELEASE,
        "serviceAccount": _service_account(YACE_SERVICE_ACCOUNT, role_arn),
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "runAsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"memory": "256Mi"},
        },
        "extraArgs": {"scraping-interval": scrape_interval_seconds},
        "testConnection": False,
        "serviceMonitor": {
            "enabled": True,
            "interval": f"{scrape_interval_seconds}s",
            "timeout": "30s",
            # Series without resource tags keep their job's cell (yace.CELL_FROM_CUSTOM_TAG).
            "metricRelabelings": [dict(CELL_FROM_CUSTOM_TAG)],
        },
        "configMap": {"enabled": True},
        "config": config_yaml,
    }
    if https_proxy is not None:
        values["extraEnv"] = [
            {"name": name, "value": value}
            for name, value in proxy_environment(https_proxy, region).items()
        ]
    _set(values, "image", _mirrored(mirror, "quay.io"))
    return values


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``overlay`` merged in, as Helm merges values files.

    Maps merge key by key, recursively; any other value in ``overlay`` (lists included) replaces
    the one in ``base``. Neither input is modified.
    """
    merged = copy.copy(dict(base))
    for key, value in overlay.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def unknown_value_paths(
    values: Mapping[str, Any],
    defaults: Mapping[str, Any],
    *,
    free_form: Iterable[str] = (),
    extra_known: Iterable[str] = (),
) -> list[str]:
    """Return the dotted key paths in ``values`` that a chart's default values do not know.

    A path is known when the defaults hold it; everything under a default that is an empty map,
    a list or null is accepted (the chart leaves it free-form), as is everything under a path
    listed in ``free_form`` or ``extra_known`` (keys a chart documents only in comments or reads
    in its templates).

    Args:
        values: The values a builder produced.
        defaults: The chart's default ``values.yaml``, parsed.
        free_form: Dotted paths whose subtrees are free-form.
        extra_known: Dotted paths known although absent from the defaults.
    """
    open_paths = set(free_form) | set(extra_known)
    unknown: list[str] = []

    def walk(ours: Mapping[str, Any], theirs: Any, prefix: str) -> None:
        for key, value in ours.items():
            path = f"{prefix}{key}"
            if path in open_paths:
                continue
            if not isinstance(theirs, Mapping) or key not in theirs:
                unknown.append(path)
                continue
            default = theirs[key]
            if (
                default is None
                or isinstance(default, list)
                or (isinstance(default, Mapping) and not default)
            ):
                continue
            if isinstance(value, Mapping) and isinstance(default, Mapping):
                walk(value, default, f"{path}.")

    walk(values, defaults, "")
    return unknown
