"""The OpenTelemetry Collector configuration a cell ships its telemetry with (pure).

Every cell runs the collector as a DaemonSet. It receives OTLP from the workloads, reads the
node's container logs and kubelet stats, scrapes its own metrics, stamps everything with the
``cell``, ``dr_role``, ``region`` and ``account`` labels (the DR alert rules in
:mod:`.alert_rules` select standby cells by ``dr_role``), and sends metrics by Prometheus
remote-write, logs by OTLP to Loki (Loki 3's native OTLP endpoint; the old ``loki`` exporter was
removed from the collector) and traces by OTLP to Tempo: the central stack's ingest endpoints.

Transport and identity, per exporter (the rules of collector v0.123.0's ``configtls`` and
``configgrpc``):

* The ``otlp`` (gRPC) exporter dials TLS unless ``tls.insecure`` is true, whatever the
  endpoint's scheme (``configtls.ClientConfig.LoadTLSConfig`` returns a TLS config unless
  ``insecure``; ``configgrpc`` only strips the scheme). So an ``http://`` endpoint gets
  ``tls.insecure: true`` and any other gets TLS, verified against the system roots or
  ``ca_file``.
* The HTTP exporters (``otlphttp``, ``prometheusremotewrite``) follow the URL's scheme.
* With credentials, every exporter authenticates with the ``basicauth/client`` extension, whose
  username and password come from environment variables that the DaemonSet fills from a
  Kubernetes Secret: the configuration (a ConfigMap) never holds them. Loki and Tempo exporters
  also send the tenant as ``X-Scope-OrgID`` (the central gateway sets it from the authenticated
  user either way, so a cell cannot write as another tenant).

Buffering through an ingest switch (collector v0.123.0's ``exporterhelper``): the OTLP
exporters (logs to Loki, traces to Tempo) queue on disk, ``sending_queue.storage`` naming a
``file_storage`` extension whose directory is a host path, so the queue outlives a pod restart
("Persistent Queue" in exporterhelper's README: "If the collector instance is killed while
having some items in the persistent queue, on restart the items will be picked and the
exporting is continued"), and retry without a deadline (``retry_on_failure.max_elapsed_time:
0``: "If set to 0, the retries are never stopped"; the default, 300 s, would drop a batch
during a longer switch). A persistent queue counts ``requests`` only (``queuebatch.Config.
Validate`` refuses another sizer with ``storage``), so :func:`queue_batches` turns the outage
budget and the expected rate into batches. The remote-write exporter has no
``sending_queue``: its own ``remote_write_queue`` (in memory) gets the same size and the same
endless retry; the metrics that matter most, the cell's Kubernetes view, go through the
Prometheus agent and its WAL (:mod:`.cell_agent`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import yaml

from .cell_agent import cell_labels

__all__ = [
    "COLLECTOR_IMAGE",
    "COLLECTOR_METRICS_PORT",
    "CREDENTIALS_ENV",
    "QUEUE_DIRECTORY",
    "TENANT_HEADER",
    "CollectorTransport",
    "collector_config",
    "events_collector_config",
    "grpc_is_plaintext",
    "queue_batches",
]

COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib:0.123.0"
"""Pinned collector image (contrib: it has the filelog, kubeletstats, basicauth and remote-write
parts)."""

COLLECTOR_METRICS_PORT: Final = 8888
"""Where the collector serves its own metrics (``otelcol_*``), on the pod's loopback only."""

CREDENTIALS_ENV: Final = ("TELEMETRY_USERNAME", "TELEMETRY_PASSWORD")
"""Environment variables the collector reads its ingest credentials from (set from a Secret)."""

TENANT_HEADER: Final = "X-Scope-OrgID"
"""The header Loki and Tempo read the tenant from (multi-tenancy)."""

CA_FILE: Final = "/conf/ca/ca.crt"
"""Where the DaemonSet mounts a private CA certificate that the collector trusts."""


QUEUE_DIRECTORY: Final = "/var/lib/otelcol/queue"
"""Where the ``file_storage/queue`` extension keeps the persistent queues and the filelog
receiver's offsets (a writable volume: a host path for the DaemonSet)."""

QUEUE_STORAGE: Final = "file_storage/queue"
"""The storage extension the persistent queues use."""

BATCH_ITEMS: Final = 8192
"""The batch processor's default ``send_batch_size`` (items per batch)."""

BATCH_TIMEOUT_SECONDS: Final = 5
"""The batch processor's ``timeout`` here: a batch leaves at least this often."""


def queue_batches(records_per_second: int, buffer_seconds: int) -> int:
    """Batches a queue must hold to keep ``buffer_seconds`` of data at ``records_per_second``.

    A batch leaves the batch processor when it holds :data:`BATCH_ITEMS` items or after
    :data:`BATCH_TIMEOUT_SECONDS`, whichever comes first, so a pipeline makes at most
    ``max(1 / timeout, rate / items)`` batches a second.
    """
    per_second = max(1 / BATCH_TIMEOUT_SECONDS, records_per_second / BATCH_ITEMS)
    return math.ceil(per_second * buffer_seconds)


def _queued(exporter: dict[str, Any], batches: int, *, persistent: bool) -> dict[str, Any]:
    retry = {"enabled": True, "max_elapsed_time": "0s"}
    if persistent:
        queue = {"enabled": True, "storage": QUEUE_STORAGE, "queue_size": batches}
        return {**exporter, "sending_queue": queue, "retry_on_failure": retry}
    queue = {"enabled": True, "queue_size": batches, "num_consumers": 5}
    return {**exporter, "remote_write_queue": queue, "retry_on_failure": retry}


def _queue_extension() -> dict[str, Any]:
    # compaction.directory must be writable too (the root filesystem is read-only).
    return {
        "directory": QUEUE_DIRECTORY,
        "timeout": "1s",
        "compaction": {"on_start": True, "on_rebound": True, "directory": QUEUE_DIRECTORY},
    }


def grpc_is_plaintext(endpoint: str) -> bool:
    """Whether an OTLP gRPC endpoint is plaintext: only an explicit ``http://`` scheme is.

    ``host:port`` and ``https://host:port`` dial TLS (the secure default, and what the
    collector itself does without ``tls.insecure``).
    """
    return endpoint.startswith("http://")


@dataclass(frozen=True)
class CollectorTransport:
    """How the collector authenticates to the central stack and which CA it trusts.

    Attributes:
        tenant: The cell's tenant (its Loki/Tempo ``X-Scope-OrgID`` and its ingest username).
        basic_auth: Whether credentials are set (read from :data:`CREDENTIALS_ENV`).
        ca_file: A CA certificate file to verify the ingest endpoints with, or ``None`` for
            the system roots.
    """

    tenant: str
    basic_auth: bool = False
    ca_file: str | None = None


def _tls(transport: CollectorTransport) -> dict[str, Any]:
    tls: dict[str, Any] = {"min_version": "1.2"}
    if transport.ca_file:
        tls["ca_file"] = transport.ca_file
    return tls


def _exporter(
    endpoint: str, transport: CollectorTransport, *, grpc: bool, tenant_header: bool
) -> dict[str, Any]:
    exporter: dict[str, Any] = {"endpoint": endpoint}
    if grpc:
        exporter["tls"] = {"insecure": True} if grpc_is_plaintext(endpoint) else _tls(transport)
    elif urlsplit(endpoint).scheme == "https":
        exporter["tls"] = _tls(transport)
    if tenant_header:
        exporter["headers"] = {TENANT_HEADER: transport.tenant}
    if transport.basic_auth:
        exporter["auth"] = {"authenticator": "basicauth/client"}
    return exporter


STRIMZI_SCRAPE_JOB: Final[dict[str, Any]] = {
    # Strimzi's pods expose the JMX exporter on the container port "tcp-prometheus" (9404,
    # /metrics; Strimzi's example PodMonitor selects the same). The cells run no Prometheus
    # operator, so the collector DaemonSet scrapes them itself, each instance only the pods on
    # its node (the field selector), so that every target is scraped once.
    "job_name": "strimzi",
    "scrape_interval": "30s",
    "kubernetes_sd_configs": [
        {
            "role": "pod",
            "selectors": [{"role": "pod", "field": "spec.nodeName=${env:K8S_NODE_NAME}"}],
        }
    ],
    "relabel_configs": [
        {
            "source_labels": ["__meta_kubernetes_pod_label_strimzi_io_kind"],
            "regex": "Kafka|KafkaMirrorMaker2",
            "action": "keep",
        },
        {
            "source_labels": ["__meta_kubernetes_pod_container_port_name"],
            "regex": "tcp-prometheus",
            "action": "keep",
        },
        {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
        {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        {
            "source_labels": ["__meta_kubernetes_pod_label_strimzi_io_cluster"],
            "target_label": "strimzi_cluster",
        },
    ],
}
"""The collector's scrape job for the Strimzi pods on its node (``scrape_strimzi``)."""


SERVICE_ACCOUNT_TOKEN: Final = "/var/run/secrets/kubernetes.io/serviceaccount/token"
"""The pod's service-account token (the kubelet authenticates and authorizes it)."""


def kubelet_scrape_jobs() -> list[dict[str, Any]]:
    """The kubelet's own metrics and cAdvisor's, from the collector's node.

    kube-prometheus-stack's Kubernetes dashboards and alerts read these series with
    ``job="kubelet"`` and ``metrics_path`` (``/metrics``, ``/metrics/cadvisor``): both jobs set
    ``job`` to ``kubelet`` and say their path. The kubelet authorizes ``/metrics/*`` as the
    ``nodes/metrics`` subresource (Kubernetes "Kubelet authentication/authorization"), which
    the collector's ClusterRole grants (``get`` only). Its serving certificate is self-signed
    on EKS, hence ``insecure_skip_verify`` (the same as the kubeletstats receiver).

    ``job`` is set by ``relabel_configs``, and the series get it: the prometheus receiver's
    ``internal/transaction.go`` (``getJobAndInstance``) reads ``job`` and ``instance`` from each
    sample's labels, which Prometheus' scrape loop builds from the target's labels after
    relabelling, and falls back to the scrape target's own values only when a sample has
    none; the resource's ``service.name`` is that job, which the remote-write exporter writes
    back as ``job``.
    """
    jobs = []
    for name, path in (("kubelet", "/metrics"), ("kubelet-cadvisor", "/metrics/cadvisor")):
        jobs.append(
            {
                "job_name": name,
                "scheme": "https",
                "metrics_path": path,
                "scrape_interval": "30s",
                "authorization": {"credentials_file": SERVICE_ACCOUNT_TOKEN},
                "tls_config": {"insecure_skip_verify": True},
                "static_configs": [
                    {
                        "targets": ["${env:K8S_NODE_NAME}:10250"],
                        "labels": {"node": "${env:K8S_NODE_NAME}", "metrics_path": path},
                    }
                ],
                "relabel_configs": [{"target_label": "job", "replacement": "kubelet"}],
            }
        )
    return jobs


def collector_config(
    *,
    cell: str,
    dr_role: Literal["primary", "standby"],
    region: str,
    account: str,
    dr_strategy: str = "none",
    metrics_remote_write_url: str | None,
    logs_otlp_url: str | None,
    traces_otlp_endpoint: str | None,
    transport: CollectorTransport | None = None,
    scrape_strimzi: bool = False,
    buffer_seconds: int = 1800,
    records_per_second: int = 2000,
) -> str:
    """Return the collector configuration as YAML.

    A signal whose endpoint is ``None`` is not shipped (its pipeline is left out); with no
    endpoint at all the collector still runs, with a ``debug`` exporter, so that turning shipping
    on later changes only the configuration. The collector's own metrics go with the metrics
    pipeline (so the central stack sees a cell's exporter failures).

    Args:
        cell: The cell's name (label ``cell``).
        dr_role: The cell's part in disaster recovery (label ``dr_role``).
        region: The cell's region (label ``region``).
        account: The cell's AWS account (label ``account``).
        dr_strategy: The cell's DR strategy (label ``dr_strategy``): the DR alert rules expect
            DR signals wherever a ``pilot-light`` cell reports.
        metrics_remote_write_url: Prometheus remote-write URL of the central stack.
        logs_otlp_url: Loki's OTLP HTTP endpoint (``https://loki.example/otlp``).
        traces_otlp_endpoint: Tempo's OTLP gRPC endpoint (``tempo.example:4317``; TLS unless
            it starts with ``http://``).
        transport: Tenant, credentials and CA; ``None`` is the cell's name as tenant, no
            credentials and the system roots.
        scrape_strimzi: Also scrape the JMX exporter of the Strimzi pods (Kafka brokers,
            MirrorMaker 2) on the collector's own node (:data:`STRIMZI_SCRAPE_JOB`), so that
            MirrorMaker 2's connector metrics reach the central stack. Needs ``pods``
            get/list/watch for the collector's service account.
        buffer_seconds: How long an unreachable endpoint must not lose data (queue sizes).
        records_per_second: Items per second per signal on one node (queue sizes).
    """
    transport = transport or CollectorTransport(tenant=cell)
    labels = cell_labels(
        cell=cell, region=region, account=account, dr_role=dr_role, dr_strategy=dr_strategy
    )
    batches = queue_batches(records_per_second, buffer_seconds)
    receivers: dict[str, Any] = {
        "otlp": {
            "protocols": {
                "grpc": {"endpoint": "0.0.0.0:4317"},
                "http": {"endpoint": "0.0.0.0:4318"},
            }
        },
        # Needs only `get` on nodes/stats (kubeletstats README, "Role-based access control");
        # no extra_metadata_labels, so no nodes/pods or nodes/proxy access.
        "kubeletstats": {
            "collection_interval": "30s",
            "auth_type": "serviceAccount",
            "endpoint": "https://${env:K8S_NODE_NAME}:10250",
            "insecure_skip_verify": True,
        },
        "filelog": {
            "include": ["/var/log/pods/*/*/*.log"],
            "exclude": ["/var/log/pods/obs-telemetry_*/*/*.log"],
            "start_at": "end",
            "include_file_path": True,
            # Offsets survive a restart: no line is read twice or skipped.
            "storage": QUEUE_STORAGE,
            "operators": [{"type": "container"}],
        },
        # The collector's own metrics (otelcol_exporter_send_failed_*, queue sizes ...), one
        # target per pod, told apart by the node it runs on.
        "prometheus/self": {
            "config": {
                "scrape_configs": [
                    {
                        "job_name": "otel-collector",
                        "scrape_interval": "30s",
                        "static_configs": [
                            {
                                "targets": [f"127.0.0.1:{COLLECTOR_METRICS_PORT}"],
                                "labels": {"k8s_node_name": "${env:K8S_NODE_NAME}"},
                            }
                        ],
                    }
                ]
            }
        },
    }
    receivers["prometheus/kubelet"] = {"config": {"scrape_configs": kubelet_scrape_jobs()}}
    if scrape_strimzi:
        receivers["prometheus/strimzi"] = {"config": {"scrape_configs": [STRIMZI_SCRAPE_JOB]}}
    processors = _processors(labels)
    exporters: dict[str, Any] = {}
    pipelines: dict[str, Any] = {}
    chain = ["memory_limiter", "resource", "batch"]
    if metrics_remote_write_url:
        exporters["prometheusremotewrite"] = _queued(
            {
                **_exporter(metrics_remote_write_url, transport, grpc=False, tenant_header=False),
                "external_labels": labels,
                "resource_to_telemetry_conversion": {"enabled": True},
            },
            batches,
            persistent=False,
        )
        pipelines["metrics"] = {
            "receivers": ["otlp", "kubeletstats", "prometheus/kubelet", "prometheus/self"]
            + (["prometheus/strimzi"] if scrape_strimzi else []),
            "processors": chain,
            "exporters": ["prometheusremotewrite"],
        }
    if logs_otlp_url:
        exporters["otlphttp/loki"] = _queued(
            _exporter(logs_otlp_url, transport, grpc=False, tenant_header=True),
            batches,
            persistent=True,
        )
        pipelines["logs"] = {
            "receivers": ["otlp", "filelog"],
            "processors": chain,
            "exporters": ["otlphttp/loki"],
        }
    if traces_otlp_endpoint:
        exporters["otlp/tempo"] = _queued(
            _exporter(traces_otlp_endpoint, transport, grpc=True, tenant_header=True),
            batches,
            persistent=True,
        )
        pipelines["traces"] = {
            "receivers": ["otlp"],
            "processors": chain,
            "exporters": ["otlp/tempo"],
        }
    if not pipelines:
        exporters["debug"] = {"verbosity": "basic"}
        pipelines["traces"] = {"receivers": ["otlp"], "processors": chain, "exporters": ["debug"]}
    return _assemble(receivers, processors, exporters, pipelines, transport)


def _assemble(
    receivers: dict[str, Any],
    processors: dict[str, Any],
    exporters: dict[str, Any],
    pipelines: dict[str, Any],
    transport: CollectorTransport,
) -> str:
    """The whole configuration: the used receivers, the extensions, the service section."""
    extensions: dict[str, Any] = {
        "health_check": {"endpoint": "0.0.0.0:13133"},
        QUEUE_STORAGE: _queue_extension(),
    }
    if transport.basic_auth:
        username, password = CREDENTIALS_ENV
        extensions["basicauth/client"] = {
            "client_auth": {"username": f"${{env:{username}}}", "password": f"${{env:{password}}}"}
        }
    used = {r for p in pipelines.values() for r in p["receivers"]}
    config = {
        "receivers": {k: v for k, v in receivers.items() if k in used},
        "processors": processors,
        "exporters": exporters,
        "extensions": extensions,
        "service": {
            "extensions": list(extensions),
            "pipelines": pipelines,
            # service::telemetry::metrics::readers (the OpenTelemetry config schema the
            # collector has used since v0.111; `address` is deprecated): loopback only.
            "telemetry": {
                "metrics": {
                    "level": "normal",
                    "readers": [
                        {
                            "pull": {
                                "exporter": {
                                    "prometheus": {
                                        "host": "127.0.0.1",
                                        "port": COLLECTOR_METRICS_PORT,
                                    }
                                }
                            }
                        }
                    ],
                }
            },
        },
    }
    return yaml.safe_dump(config, sort_keys=False)


def _processors(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "memory_limiter": {
            "check_interval": "5s",
            "limit_percentage": 80,
            "spike_limit_percentage": 20,
        },
        "resource": {
            "attributes": [
                {"key": key, "value": value, "action": "upsert"} for key, value in labels.items()
            ]
        },
        "batch": {"timeout": f"{BATCH_TIMEOUT_SECONDS}s"},
    }


EVENTS_RECEIVER: Final[dict[str, Any]] = {
    # Watch (not poll) the events.k8s.io/v1 events of every namespace: each event arrives once,
    # as a log record whose body is the watch event (k8sobjectsreceiver README, "watch" mode).
    # Only one collector may run this receiver, or every event is shipped once per replica
    # (the README: "This receiver must be deployed as one replica").
    "k8sobjects": {
        "auth_type": "serviceAccount",
        "objects": [{"name": "events", "mode": "watch", "group": "events.k8s.io"}],
    }
}
"""The Kubernetes events receiver of the cell's events collector."""

EVENTS_RBAC: Final[tuple[dict[str, Any], ...]] = (
    # k8sobjectsreceiver README, "RBAC": watch mode lists first (no resource_version given)
    # and lists again after a 410 Gone, so it needs list as well as watch.
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["list", "watch"]},
)
"""What the events collector's ClusterRole grants (nothing else)."""


def events_collector_config(
    *,
    cell: str,
    dr_role: Literal["primary", "standby"],
    region: str,
    account: str,
    dr_strategy: str = "none",
    logs_otlp_url: str,
    transport: CollectorTransport | None = None,
    buffer_seconds: int = 1800,
    records_per_second: int = 2000,
) -> str:
    """The configuration of the cell's one-replica events collector, as YAML.

    Kubernetes events (``k8sobjects``, :data:`EVENTS_RECEIVER`) go to Loki with the cell's
    labels, through a persistent queue like the DaemonSet's logs.
    """
    transport = transport or CollectorTransport(tenant=cell)
    labels = cell_labels(
        cell=cell, region=region, account=account, dr_role=dr_role, dr_strategy=dr_strategy
    )
    exporters = {
        "otlphttp/loki": _queued(
            _exporter(logs_otlp_url, transport, grpc=False, tenant_header=True),
            queue_batches(records_per_second, buffer_seconds),
            persistent=True,
        )
    }
    pipelines = {
        "logs": {
            "receivers": ["k8sobjects"],
            "processors": ["memory_limiter", "resource", "batch"],
            "exporters": ["otlphttp/loki"],
        }
    }
    return _assemble(dict(EVENTS_RECEIVER), _processors(labels), exporters, pipelines, transport)
