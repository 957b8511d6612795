"""The Kubernetes view each cell ships: kube-prometheus-stack in Prometheus agent mode (pure).

A cell runs the pinned kube-prometheus-stack chart with only what collects and forwards:

* the Prometheus operator, and Prometheus as a ``PrometheusAgent`` (``prometheus.agentMode``:
  the chart's ``templates/prometheus/prometheus.yaml`` then renders
  ``monitoring.coreos.com/v1alpha1`` ``PrometheusAgent`` and leaves out everything an agent
  cannot do: rules, alerting, retention, remote read, the query settings). The agent discovers
  every ServiceMonitor, PodMonitor, Probe and ScrapeConfig in the cell (the
  ``*SelectorNilUsesHelmValues`` flags are false, so a workload's monitor needs no release
  label) and remote-writes to the central stack's ingest gateway;
* kube-state-metrics and node-exporter with the chart's ServiceMonitors, and the API server's;
* no Grafana, no Alertmanager, no rules (``defaultRules.create``: the central stack evaluates
  them over every cell), no admission webhooks (they validate PrometheusRules and
  AlertmanagerConfigs, which a cell does not have; their certificate job would pull from
  ghcr.io, which needs a credential), so the operator serves plain HTTP
  (``prometheusOperator.tls`` needs the webhook's certificate Secret ``<name>-admission``,
  ``templates/prometheus-operator/deployment.yaml``).

The kubelet and cAdvisor are scraped by the cell's collector (``job="kubelet"``, see
:func:`.cell_telemetry.kubelet_scrape_jobs`), so the chart's kubelet ServiceMonitor and the
operator's kubelet Service are off: one scraper per target, no duplicate series.

Every series carries the cell's labels as the agent's ``externalLabels``: ``cell``,
``region``, ``account``, ``dr_role``, ``dr_strategy`` and ``cluster`` (the cell's name; the
stock dashboards' multi-cluster variable reads ``cluster``). Prometheus adds external labels
to every sample it remote-writes (Prometheus configuration, ``global.external_labels``: "to
add to any time series ... when communicating with external systems (federation, remote
storage, Alertmanager)").

Buffering through an ingest switch (the agent's write-ahead log is the queue): each
remote-write queue reads from the WAL ("Remote write tuning" in the Prometheus docs: a shard
that fills its queue blocks reading from the WAL), and recoverable failures (connection
errors, 5xx, and 429 with ``retryOnRateLimit``) are retried with backoff, so while the
endpoint is unreachable the samples wait on disk, not in memory. The WAL lives on an
``emptyDir`` of :func:`agent_wal_bytes` (rate times outage budget), which survives container
restarts; a failed connection is re-dialled, so a changed DNS record is followed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from .alert_rules import DR_ROLE_LABEL, DR_STRATEGY_LABEL

__all__ = [
    "AGENT_RELEASE",
    "AGENT_WAL_BYTES_PER_SAMPLE",
    "CLUSTER_LABEL",
    "agent_queue_config",
    "agent_values",
    "agent_wal_bytes",
    "cell_labels",
]

AGENT_RELEASE: Final = "obs-agent"
"""Release name and ``fullnameOverride`` of the cell's kube-prometheus-stack."""

CLUSTER_LABEL: Final = "cluster"
"""The label the stock kube-prometheus-stack dashboards select a cluster by (their multi-cluster
``cluster`` variable); each cell sets it to its name."""

AGENT_WAL_BYTES_PER_SAMPLE: Final = 16
"""Bytes of WAL per sample the sizing assumes: Prometheus' WAL records a sample as a series
reference, a timestamp delta and a value (about 10 bytes before Snappy compression) plus the
series records; 16 is a deliberate margin over that, so the volume is rather too large."""

_WAL_FLOOR_BYTES: Final = 1 << 30
"""The smallest WAL volume (1 GiB): series records and checkpoints exist at any rate."""


def cell_labels(
    *, cell: str, region: str, account: str, dr_role: str, dr_strategy: str
) -> dict[str, str]:
    """The labels every series of a cell carries (collector and agent alike)."""
    return {
        "cell": cell,
        DR_ROLE_LABEL: dr_role,
        DR_STRATEGY_LABEL: dr_strategy,
        "region": region,
        "account": account,
        CLUSTER_LABEL: cell,
    }


def agent_wal_bytes(samples_per_second: int, buffer_seconds: int) -> int:
    """The WAL volume that holds ``buffer_seconds`` of samples at ``samples_per_second``.

    The agent keeps every unsent sample in its WAL; a volume that fills stops the agent
    (``sizeLimit`` evicts the pod), so it is sized for the whole outage budget.
    """
    return max(_WAL_FLOOR_BYTES, samples_per_second * buffer_seconds * AGENT_WAL_BYTES_PER_SAMPLE)


def agent_queue_config(samples_per_second: int) -> dict[str, Any]:
    """The remote-write ``queueConfig``: throughput for the rate, retries without end.

    ``capacity`` is per shard and ``maxSamplesPerSend`` the batch (Prometheus' defaults are
    10000 and 2000); ``maxShards`` allows twice the rate at 2000 samples per send and a second
    per send. Recoverable errors are retried for as long as the WAL holds the samples
    (Prometheus does not drop them on a 5xx or a connection error), 429s too
    (``retryOnRateLimit``), with at most 30 s between attempts so that a switched endpoint is
    reached soon after it answers. No ``sampleAgeLimit``: old samples are sent, not dropped.
    """
    shards = max(10, math.ceil(2 * samples_per_second / 2000))
    return {
        "capacity": 10000,
        "maxSamplesPerSend": 2000,
        "maxShards": shards,
        "minBackoff": "1s",
        "maxBackoff": "30s",
        "retryOnRateLimit": True,
    }


def agent_values(
    *,
    labels: Mapping[str, str],
    remote_write_url: str,
    credentials_secret: str | None,
    ca_config_map: str | None,
    samples_per_second: int,
    buffer_seconds: int,
    mirror: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Values of the cell's kube-prometheus-stack (agent mode), as the module docstring says.

    Args:
        labels: The cell's labels (:func:`cell_labels`), set as ``externalLabels``.
        remote_write_url: The central stack's remote-write URL; anything but ``http://``
            gets TLS 1.2 or later, verified against ``ca_config_map`` or the system roots.
        credentials_secret: The Secret (in the release's namespace) whose ``username`` and
            ``password`` keys authenticate the agent (basic auth), or ``None``.
        ca_config_map: A ConfigMap whose ``ca.crt`` key is the CA to verify the endpoint
            with, or ``None`` for the system roots.
        samples_per_second: The cell's expected scrape rate (sizes queue and WAL).
        buffer_seconds: How long an unreachable endpoint must not lose data.
        mirror: Upstream registry host -> the registry to pull through, or ``None``.
    """
    remote_write: dict[str, Any] = {
        "url": remote_write_url,
        "queueConfig": agent_queue_config(samples_per_second),
    }
    if credentials_secret is not None:
        remote_write["basicAuth"] = {
            key: {"name": credentials_secret, "key": key} for key in ("username", "password")
        }
    if not remote_write_url.startswith("http://"):
        tls: dict[str, Any] = {"minVersion": "TLS12"}
        if ca_config_map is not None:
            tls["ca"] = {"configMap": {"name": ca_config_map, "key": "ca.crt"}}
        remote_write["tlsConfig"] = tls
    wal_gib = math.ceil(agent_wal_bytes(samples_per_second, buffer_seconds) / (1 << 30))
    spec: dict[str, Any] = {
        "replicas": 1,
        "externalLabels": dict(labels),
        "remoteWrite": [remote_write],
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "scrapeConfigSelectorNilUsesHelmValues": False,
        "storageSpec": {"emptyDir": {"sizeLimit": f"{wal_gib}Gi"}},
        "resources": {"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
    }
    values: dict[str, Any] = {
        "fullnameOverride": AGENT_RELEASE,
        "crds": {"enabled": False},
        "defaultRules": {"create": False},
        "alertmanager": {"enabled": False},
        "grafana": {"enabled": False},
        "kubelet": {"enabled": False},
        "kubeEtcd": {"enabled": False},
        "kubeScheduler": {"enabled": False},
        "kubeControllerManager": {"enabled": False},
        "kubeProxy": {"enabled": False},
        "windowsMonitoring": {"enabled": False},
        "prometheusOperator": {
            "admissionWebhooks": {"enabled": False},
            "tls": {"enabled": False},
            "kubeletService": {"enabled": False},
        },
        "prometheus": {"agentMode": True, "prometheusSpec": spec},
    }
    for path, upstream in (
        ("prometheus.prometheusSpec.image", "quay.io"),
        ("prometheusOperator.image", "quay.io"),
        ("prometheusOperator.prometheusConfigReloader.image", "quay.io"),
        ("kube-state-metrics.image", "registry.k8s.io"),
        ("prometheus-node-exporter.image", "quay.io"),
    ):
        if mirror is not None:
            node = values
            for part in path.split("."):
                node = node.setdefault(part, {})
            node["registry"] = mirror[upstream]
    return values
