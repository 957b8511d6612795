"""The OpenTelemetry Collector configuration a cell ships its telemetry with (pure).

Every cell runs the collector as a DaemonSet. It receives OTLP from the workloads, reads the
node's container logs and kubelet stats, stamps everything with the ``cell``, ``dr_role``,
``region`` and ``account`` labels (the DR alert rules in :mod:`.alert_rules` select standby cells
by ``dr_role``), and sends metrics by Prometheus remote-write, logs by OTLP to Loki
(Loki 3's native OTLP endpoint; the old ``loki`` exporter was removed from the collector) and
traces by OTLP to Tempo: the central stack's ingest endpoints.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml

from .alert_rules import DR_ROLE_LABEL

__all__ = ["COLLECTOR_IMAGE", "collector_config"]

COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib:0.123.0"
"""Pinned collector image (contrib: it has the filelog, kubeletstats and remote-write parts)."""


def collector_config(
    *,
    cell: str,
    dr_role: Literal["primary", "standby"],
    region: str,
    account: str,
    metrics_remote_write_url: str | None,
    logs_otlp_url: str | None,
    traces_otlp_endpoint: str | None,
) -> str:
    """Return the collector configuration as YAML.

    A signal whose endpoint is ``None`` is not collected (its pipeline is left out); with no
    endpoint at all the collector still runs, with a ``debug`` exporter, so that turning shipping
    on later changes only the configuration.

    Args:
        cell: The cell's name (label ``cell``).
        dr_role: The cell's part in disaster recovery (label ``dr_role``).
        region: The cell's region (label ``region``).
        account: The cell's AWS account (label ``account``).
        metrics_remote_write_url: Prometheus remote-write URL of the central stack.
        logs_otlp_url: Loki's OTLP HTTP endpoint (``https://loki.example/otlp``).
        traces_otlp_endpoint: Tempo's OTLP gRPC endpoint (``tempo.example:4317``).
    """
    labels = {"cell": cell, DR_ROLE_LABEL: dr_role, "region": region, "account": account}
    receivers: dict[str, Any] = {
        "otlp": {
            "protocols": {
                "grpc": {"endpoint": "0.0.0.0:4317"},
                "http": {"endpoint": "0.0.0.0:4318"},
            }
        },
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
            "operators": [{"type": "container"}],
        },
    }
    processors: dict[str, Any] = {
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
        "batch": {"timeout": "5s"},
    }
    exporters: dict[str, Any] = {}
    pipelines: dict[str, Any] = {}
    chain = ["memory_limiter", "resource", "batch"]
    if metrics_remote_write_url:
        exporters["prometheusremotewrite"] = {
            "endpoint": metrics_remote_write_url,
            "external_labels": labels,
            "resource_to_telemetry_conversion": {"enabled": True},
        }
        pipelines["metrics"] = {
            "receivers": ["otlp", "kubeletstats"],
            "processors": chain,
            "exporters": ["prometheusremotewrite"],
        }
    if logs_otlp_url:
        exporters["otlphttp/loki"] = {"endpoint": logs_otlp_url}
        pipelines["logs"] = {
            "receivers": ["otlp", "filelog"],
            "processors": chain,
            "exporters": ["otlphttp/loki"],
        }
    if traces_otlp_endpoint:
        exporters["otlp/tempo"] = {"endpoint": traces_otlp_endpoint}
        pipelines["traces"] = {
            "receivers": ["otlp"],
            "processors": chain,
            "exporters": ["otlp/tempo"],
        }
    if not pipelines:
        exporters["debug"] = {"verbosity": "basic"}
        pipelines["traces"] = {"receivers": ["otlp"], "processors": chain, "exporters": ["debug"]}
    used = {r for p in pipelines.values() for r in p["receivers"]}
    config = {
        "receivers": {k: v for k, v in receivers.items() if k in used},
        "processors": processors,
        "exporters": exporters,
        "extensions": {"health_check": {"endpoint": "0.0.0.0:13133"}},
        "service": {"extensions": ["health_check"], "pipelines": pipelines},
    }
    return yaml.safe_dump(config, sort_keys=False)
