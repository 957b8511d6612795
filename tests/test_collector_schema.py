"""The cells' collector configuration against the pinned collector's components and their keys.

No collector binary is installable here (not on PyPI, npm or Debian), so the check uses the
configuration schema of the components at the pinned version, collector-contrib v0.123.0:
the component must be in the contrib distribution, and every key must be a field of that
component's ``Config`` (or of the shared ``confighttp``/``configgrpc``/``configtls`` structs it
embeds). The tables below list those fields as the components' READMEs and ``config.go``
describe them at that version (a subset where a component has many); a key outside them is
a typo the collector would refuse at start (``'...' has invalid keys``).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from conftest import parsed_collector_config
from obs_platform._internal.cell_telemetry import (
    COLLECTOR_IMAGE,
    CollectorTransport,
    events_collector_config,
)

assert COLLECTOR_IMAGE.endswith(":0.123.0"), "the tables below are for v0.123.0"

TLS_CLIENT = {
    "insecure",
    "insecure_skip_verify",
    "ca_file",
    "cert_file",
    "key_file",
    "min_version",
    "max_version",
    "server_name_override",
}
"""configtls.ClientConfig (and its embedded Config)."""

HTTP_CLIENT = {
    "endpoint",
    "tls",
    "headers",
    "auth",
    "timeout",
    "compression",
    "read_buffer_size",
    "write_buffer_size",
    "proxy_url",
}
"""confighttp.ClientConfig."""

GRPC_CLIENT = {
    "endpoint",
    "tls",
    "headers",
    "auth",
    "compression",
    "keepalive",
    "balancer_name",
    "authority",
    "wait_for_ready",
}
"""configgrpc.ClientConfig."""

RECEIVERS: dict[str, set[str]] = {
    "otlp": {"protocols"},
    "kubeletstats": {
        "collection_interval",
        "initial_delay",
        "timeout",
        "auth_type",
        "endpoint",
        "insecure_skip_verify",
        "ca_file",
        "cert_file",
        "key_file",
        "extra_metadata_labels",
        "metric_groups",
        "k8s_api_config",
        "node",
        "metrics",
        "resource_attributes",
    },
    "filelog": {
        "include",
        "exclude",
        "start_at",
        "include_file_path",
        "include_file_name",
        "operators",
        "poll_interval",
        "storage",
        "encoding",
        "multiline",
        "include_file_path_resolved",
        "max_log_size",
        "retry_on_failure",
    },
    "prometheus": {"config", "trim_metric_suffixes", "target_allocator", "api_server"},
    # k8sobjectsreceiver config.go: auth_type (APIConfig), objects, error_mode,
    # k8s_leader_elector; each object: name, mode, group, namespaces, field/label selectors,
    # interval, resource_version, exclude_watch_type (its README, "Getting Started").
    "k8sobjects": {"auth_type", "objects", "error_mode"},
}
K8S_OBJECT = {
    "name",
    "mode",
    "group",
    "namespaces",
    "label_selector",
    "field_selector",
    "interval",
    "resource_version",
    "exclude_watch_type",
}
"""A k8sobjects receiver's ``objects`` entry."""
QUEUE = {
    "enabled",
    "num_consumers",
    "wait_for_result",
    "block_on_overflow",
    "sizer",
    "queue_size",
    "storage",
    "batch",
}
"""exporterhelper's ``sending_queue`` (queuebatch.Config at v0.123.0)."""
RETRY = {
    "enabled",
    "initial_interval",
    "randomization_factor",
    "multiplier",
    "max_interval",
    "max_elapsed_time",
}
"""configretry.BackOffConfig (v1.29.0, the core release of v0.123.0)."""
PROCESSORS: dict[str, set[str]] = {
    "memory_limiter": {
        "check_interval",
        "limit_mib",
        "spike_limit_mib",
        "limit_percentage",
        "spike_limit_percentage",
    },
    "resource": {"attributes"},
    "batch": {
        "timeout",
        "send_batch_size",
        "send_batch_max_size",
        "metadata_keys",
        "metadata_cardinality_limit",
    },
}
EXPORTERS: dict[str, set[str]] = {
    "prometheusremotewrite": HTTP_CLIENT
    | {
        "namespace",
        "external_labels",
        "resource_to_telemetry_conversion",
        "remote_write_queue",
        "retry_on_failure",
        "target_info",
        "add_metric_suffixes",
        "max_batch_size_bytes",
        "wal",
        "send_metadata",
    },
    "otlphttp": HTTP_CLIENT
    | {
        "traces_endpoint",
        "metrics_endpoint",
        "logs_endpoint",
        "sending_queue",
        "retry_on_failure",
        "encoding",
    },
    "otlp": GRPC_CLIENT | {"sending_queue", "retry_on_failure", "timeout"},
    "debug": {"verbosity", "sampling_initial", "sampling_thereafter", "use_internal_logger"},
}
EXTENSIONS: dict[str, set[str]] = {
    "health_check": {"endpoint", "path", "check_collector_pipeline", "response_body", "tls"},
    "basicauth": {"client_auth", "htpasswd"},
    # filestorage README: directory, timeout, fsync, create_directory, directory_permissions,
    # compaction (on_start, on_rebound, directory, max_transaction_size, ...).
    "file_storage": {
        "directory",
        "timeout",
        "fsync",
        "compaction",
        "create_directory",
        "directory_permissions",
    },
}
COMPACTION = {
    "on_start",
    "on_rebound",
    "directory",
    "max_transaction_size",
    "cleanup_on_start",
    "rebound_needed_threshold_mib",
    "rebound_trigger_threshold_mib",
    "check_interval",
}
SCRAPE_CONFIG = {
    "job_name",
    "scrape_interval",
    "scrape_timeout",
    "metrics_path",
    "scheme",
    "static_configs",
    "kubernetes_sd_configs",
    "relabel_configs",
    "metric_relabel_configs",
    "authorization",
    "tls_config",
    "honor_labels",
    "params",
    "basic_auth",
}
"""Prometheus' scrape_config (the prometheus receiver takes Prometheus' own configuration)."""


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


def _check(
    kind: str,
    known: dict[str, set[str]],
    section: dict[str, Any],
    extensions: dict[str, Any] | None = None,
) -> None:
    extensions = extensions or {}
    for component_id, settings in section.items():
        component = _type(component_id)
        assert component in known, f"{kind} {component!r} is not in collector-contrib v0.123.0"
        unknown = set(settings or {}) - known[component]
        assert not unknown, f"{kind} {component_id}: unknown keys {sorted(unknown)}"
        for key, fields in (
            ("tls", TLS_CLIENT),
            ("sending_queue", QUEUE),
            ("retry_on_failure", RETRY),
            ("compaction", COMPACTION),
        ):
            if isinstance((settings or {}).get(key), dict):
                extra = set(settings[key]) - fields
                assert not extra, f"{component_id}.{key}: unknown keys {sorted(extra)}"
        for entry in (settings or {}).get("objects") or []:
            assert set(entry) <= K8S_OBJECT, f"{component_id}: {set(entry) - K8S_OBJECT}"
        queue = (settings or {}).get("sending_queue") or {}
        if "storage" in queue:
            # queuebatch.Config.Validate: a persistent queue only supports the requests sizer.
            assert queue.get("sizer", "requests") == "requests", component_id
            assert queue["storage"] in extensions, f"{component_id}: undefined storage"


def validate(config: dict[str, Any]) -> None:
    assert set(config) <= {
        "receivers",
        "processors",
        "exporters",
        "extensions",
        "connectors",
        "service",
    }
    _check("receiver", RECEIVERS, config["receivers"])
    _check("processor", PROCESSORS, config["processors"])
    _check("exporter", EXPORTERS, config["exporters"], config.get("extensions", {}))
    _check("extension", EXTENSIONS, config.get("extensions", {}))
    for component_id, settings in config["receivers"].items():
        if _type(component_id) == "prometheus":
            for job in settings["config"]["scrape_configs"]:
                assert set(job) <= SCRAPE_CONFIG, f"{component_id}: {set(job) - SCRAPE_CONFIG}"
    service = config["service"]
    assert set(service) <= {"extensions", "pipelines", "telemetry"}
    assert set(service["extensions"]) == set(config.get("extensions", {}))
    assert set(service["telemetry"]["metrics"]) <= {"level", "readers", "views"}
    for name, pipeline in service["pipelines"].items():
        assert _type(name) in {"metrics", "logs", "traces"}
        for kind in ("receivers", "processors", "exporters"):
            for component_id in pipeline[kind]:
                assert component_id in config[kind], f"{name} uses undefined {component_id}"
    used = {c for p in service["pipelines"].values() for c in p["receivers"]}
    assert used == set(config["receivers"]), "a defined receiver is in no pipeline"


VARIANTS = {
    "nothing shipped": {},
    "plaintext": {
        "metrics_remote_write_url": "http://ingest:9090/api/v1/write",
        "logs_otlp_url": "http://ingest:3100/otlp",
        "traces_otlp_endpoint": "http://ingest:4317",
    },
    "tls with credentials and a private CA": {
        "metrics_remote_write_url": "https://ingest:9090/api/v1/write",
        "logs_otlp_url": "https://ingest:3100/otlp",
        "traces_otlp_endpoint": "ingest:4317",
        "transport": CollectorTransport(tenant="c", basic_auth=True, ca_file="/conf/ca/ca.crt"),
    },
    "strimzi": {
        "metrics_remote_write_url": "https://ingest:9090/api/v1/write",
        "scrape_strimzi": True,
    },
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_collector_config_is_valid_for_the_pinned_collector(variant: str) -> None:
    validate(parsed_collector_config(**VARIANTS[variant]))


def test_the_check_catches_a_typo() -> None:
    config = parsed_collector_config(metrics_remote_write_url="https://x/api/v1/write")
    config["exporters"]["prometheusremotewrite"]["tls"]["insecure_skip_verfy"] = True
    with pytest.raises(AssertionError, match="insecure_skip_verfy"):
        validate(config)
    config = parsed_collector_config()
    config["exporters"]["loki"] = {"endpoint": "x"}  # removed from contrib in v0.116.0
    with pytest.raises(AssertionError, match="'loki' is not in collector-contrib"):
        validate(config)


def test_events_collector_config_is_valid_for_the_pinned_collector() -> None:
    config = yaml.safe_load(
        events_collector_config(
            cell="c",
            dr_role="standby",
            region="eu-west-1",
            account="1",
            logs_otlp_url="https://ingest:3100/otlp",
            transport=CollectorTransport(tenant="c", basic_auth=True),
        )
    )
    validate(config)
    assert config["receivers"] == {
        "k8sobjects": {
            "auth_type": "serviceAccount",
            "objects": [{"name": "events", "mode": "watch", "group": "events.k8s.io"}],
        }
    }
    assert config["service"]["pipelines"]["logs"]["exporters"] == ["otlphttp/loki"]


def test_the_check_catches_a_persistent_queue_without_its_storage() -> None:
    config = yaml.safe_load(
        events_collector_config(
            cell="c", dr_role="primary", region="r", account="1", logs_otlp_url="https://l/otlp"
        )
    )
    del config["extensions"]["file_storage/queue"]
    with pytest.raises(AssertionError, match="undefined storage"):
        validate(config)
    config = yaml.safe_load(
        events_collector_config(
            cell="c", dr_role="primary", region="r", account="1", logs_otlp_url="https://l/otlp"
        )
    )
    config["exporters"]["otlphttp/loki"]["sending_queue"]["sizer"] = "items"
    with pytest.raises(AssertionError, match="otlphttp/loki"):
        validate(config)
