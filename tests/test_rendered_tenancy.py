"""Loki and Tempo as rendered by real Helm enforce tenancy, and the tenant the ingest gateway
sets reaches Loki's distributor through the Loki chart's own gateway.

No Loki or Tempo binary is available from PyPI, Debian or npm (``apt-cache search`` finds only
an unrelated ``loki`` genetics package; PyPI has client libraries only), so the extracted
configurations are checked against the YAML field names of the config structs of the pinned
versions, read from their sources:

* Loki 3.7.6 (chart 18.11.0): ``pkg/loki/loki.go`` ``Config``, ``pkg/querier/querier.go``
  (``multi_tenant_queries_enabled``), ``pkg/validation/limits.go``, ``pkg/compactor/config.go``;
* Tempo 2.10.8 (chart tempo 2.2.4) and 3.0.3 (tempo-distributed 3.3.0):
  ``cmd/tempo/app/config.go`` ``Config``, ``modules/overrides/config.go``.

A key outside these sets would make the binary refuse to start (both parse with strict YAML).
The Loki chart's gateway nginx is started with real nginx behind the library's ingest gateway,
each as rendered, their upstreams pointed at the next hop on loopback.
"""

# ruff: noqa: F811  (the helm and library fixtures are imported from test_chart_render)
from __future__ import annotations

import base64
import http.server
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from conftest import find_tool
from helm_render import Rendered
from obs_platform._internal.datasources import TENANT_HEADER
from obs_platform._internal.helm_values import Scale
from obs_platform._internal.ingest_gateway import (
    GatewayUpstreams,
    htpasswd,
)
from obs_platform.observability.ingest import gateway_upstreams
from test_chart_render import Variant, _variant, helm, library  # noqa: F401 (fixtures)
from test_ingest_gateway import _free_port, _Recorder, loopback_gateway_config, start_nginx


def _names(text: str) -> frozenset[str]:
    """A struct's YAML field names, written as one space-separated string."""
    return frozenset(text.split())


LOKI_CONFIG_KEYS = _names(
    "target auth_enabled http_prefix ballast_bytes server internal_server ui distributor "
    "querier query_engine query_scheduler frontend query_range ruler ruler_storage "
    "ingester_client ingester pattern_ingester index_gateway bloom_build bloom_gateway "
    "storage_config chunk_store_config schema_config compactor compactor_client "
    "compactor_grpc_client limits_config frontend_worker table_manager memberlist "
    "kafka_config dataobj ingest_limits ingest_limits_frontend ingest_limits_frontend_client "
    "runtime_config operational_config tracing analytics profiling "
    "tenant_limits_allow_publish legacy_read_target common shutdown_delay metrics_namespace"
)
"""Loki 3.7.6 ``pkg/loki/loki.go`` ``Config``: its fields' YAML names."""

_TEMPO_KEYS = _names(
    "target auth_enabled multitenancy_enabled shutdown_delay stream_over_http_enabled "
    "http_api_prefix enable_go_runtime_metrics server internal_server distributor "
    "metrics_generator_client live_store_client querier query_frontend metrics_generator "
    "ingest block_builder storage overrides memberlist usage_report cache backend_scheduler "
    "backend_scheduler_client backend_worker live_store"
)
TEMPO_CONFIG_KEYS = {
    "2.10.8": _TEMPO_KEYS
    | {"partition_ring_live_store", "ingester_client", "compactor", "ingester"},
    "3.0.3": _TEMPO_KEYS | {"span_profiling", "memory"},
}
"""Tempo ``cmd/tempo/app/config.go`` ``Config`` by version: its fields' YAML names (3.0 drops
the ingester and compactor)."""

SHARED = {"shared-account": Scale.MONOLITHIC, "shared-distributed": Scale.DISTRIBUTED}


def _first(variant: Variant, name: str) -> Rendered:
    """The primary stack's release (the example's standby stack holds another of each)."""
    return variant.release(name)


def _loki_config(variant: Variant) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(
        _first(variant, "loki").config_maps["loki"]["config.yaml"]
    )
    return config


def _tempo_config(variant: Variant) -> dict[str, Any]:
    maps = _first(variant, "tempo").config_maps
    config: dict[str, Any] = yaml.safe_load(
        (maps.get("tempo-config") or maps["tempo"])["tempo.yaml"]
    )
    return config


@pytest.mark.parametrize("name", sorted(SHARED))
def test_loki_enforces_tenancy_with_keys_its_version_reads(
    name: str, helm: str, library: Any
) -> None:
    config = _loki_config(_variant(name, helm, library))
    assert sorted(set(config) - LOKI_CONFIG_KEYS) == []
    # Every request needs X-Scope-OrgID (Loki answers 401 "no org id" without it), and
    # Grafana's one datasource reads all tenants at once ("a|b").
    assert config["auth_enabled"] is True
    assert config["querier"] == {"multi_tenant_queries_enabled": True}
    assert config["limits_config"]["retention_period"] == "720h"
    assert config["compactor"]["retention_enabled"] is True


@pytest.mark.parametrize("name", sorted(SHARED))
def test_tempo_enforces_tenancy_with_keys_its_version_reads(
    name: str, helm: str, library: Any
) -> None:
    variant = _variant(name, helm, library)
    release = _first(variant, "tempo").release
    chart = yaml.safe_load(
        (library.source(release.chart, release.version) / "Chart.yaml").read_text()
    )
    version = chart["appVersion"]
    config = _tempo_config(variant)
    assert sorted(set(config) - TEMPO_CONFIG_KEYS[version]) == []
    assert config["multitenancy_enabled"] is True
    assert "auth_enabled" not in config  # deprecated alias of multitenancy_enabled
    otlp = config["distributor"]["receivers"]["otlp"]["protocols"]
    assert otlp == {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}
    assert set(config["overrides"]) <= {"defaults", "per_tenant_override_config"}


def _service_ports(rendered: Rendered) -> dict[str, set[int]]:
    return {
        s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]}
        for s in rendered.of_kind("Service")
    }


@pytest.mark.parametrize("name", sorted(SHARED))
def test_the_ingest_gateways_upstreams_are_rendered_services(
    name: str, helm: str, library: Any
) -> None:
    variant = _variant(name, helm, library)
    upstreams = gateway_upstreams("monitoring", SHARED[name])
    services = {
        **_service_ports(_first(variant, "loki")),
        **_service_ports(_first(variant, "tempo")),
    }
    for target in (upstreams.loki, upstreams.tempo_http, upstreams.tempo_grpc):
        host, port = target.rsplit(":", 1)
        service, namespace = host.split(".")[:2]
        assert namespace == "monitoring"
        assert int(port) in services.get(service, set()), (target, services)


# --- the tenant reaches Loki's distributor, with real nginx ---------------------------------


USERS = {"eu-west-1": "pw-eu-west-1-0123456789"}


@pytest.fixture(scope="module", params=sorted(SHARED))
def chain(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    helm: str,
    library: Any,
) -> Iterator[dict[str, Any]]:
    """ingest gateway (library) -> Loki gateway (chart, as rendered) -> a recording distributor."""
    nginx = find_tool("nginx")
    variant = _variant(request.param, helm, library)
    loki_conf = _first(variant, "loki").config_maps["loki-gateway"]["nginx.conf"]
    root = tmp_path_factory.mktemp("chain")
    distributor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=distributor.serve_forever, daemon=True).start()
    loki_port, ingest_port, grpc_port = _free_port(), _free_port(), _free_port()
    # The chart's gateway, with only its listen port, file paths, resolver and backends moved
    # to loopback (its backends are the Loki Services, cluster-local names).
    backends = set(re.findall(r'set \$backend\s+"(http://[^"]+)";', loki_conf))
    assert backends, "the Loki gateway renders no backends"
    loki = loki_conf.replace("/tmp/", f"{root}/loki-")
    for backend in backends:
        loki = loki.replace(backend, f"http://127.0.0.1:{distributor.server_address[1]}")
    loki = re.sub(r"resolver [^;]+;", "resolver 127.0.0.1;", loki)
    loki = loki.replace("listen             8080;", f"listen 127.0.0.1:{loki_port};")
    loki = loki.replace("listen             [::]:8080;", "")
    loki = re.sub(r"access_log syslog:[^;]+;", "", loki)
    ingest_root = root / "ingest"
    ingest_root.mkdir()
    ingest = loopback_gateway_config(
        GatewayUpstreams(
            prometheus="127.0.0.1:9",
            loki=f"127.0.0.1:{loki_port}",
            tempo_http="127.0.0.1:9",
            tempo_grpc="127.0.0.1:9",
        ),
        ingest_root,
        ingest_port,
        grpc_port,
    )
    (ingest_root / "htpasswd").write_text(htpasswd(USERS))
    processes = [
        start_nginx(nginx, root / "loki", loki, loki_port),
        start_nginx(nginx, ingest_root, ingest, ingest_port),
    ]
    try:
        yield {"port": ingest_port, "seen": _Recorder.seen, "backends": backends}
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        distributor.shutdown()
        distributor.server_close()


@pytest.mark.tool
@pytest.mark.parametrize("path", ["/loki/api/v1/push", "/otlp/v1/logs"])
def test_the_authenticated_tenant_reaches_lokis_distributor(
    chain: dict[str, Any], path: str
) -> None:
    before = len(chain["seen"])
    token = base64.b64encode(f"eu-west-1:{USERS['eu-west-1']}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{chain['port']}{path}",
        data=b"payload",
        method="POST",
        # a client claiming another tenant is overwritten by the ingest gateway
        headers={"Authorization": f"Basic {token}", TENANT_HEADER: "someone-else"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 204
    (arrived,) = chain["seen"][before:]
    assert arrived["path"] == path
    headers = {k.lower(): v for k, v in arrived["headers"].items()}
    assert headers[TENANT_HEADER.lower()] == "eu-west-1"
    assert "authorization" not in headers


@pytest.mark.tool
def test_an_unauthenticated_push_never_reaches_loki(chain: dict[str, Any]) -> None:
    before = len(chain["seen"])
    request = urllib.request.Request(
        f"http://127.0.0.1:{chain['port']}/loki/api/v1/push",
        data=b"payload",
        method="POST",
        headers={TENANT_HEADER: "eu-west-1"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    refused.value.close()
    assert chain["seen"][before:] == []
