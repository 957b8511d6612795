"""The authenticating ingest gateway, run with real nginx: writes without credentials are refused.

The rendered ``nginx.conf`` (the ConfigMap the stack creates) is started as is, with only its
file paths moved under a temporary folder and its upstreams pointed at a local recorder, and
driven with real HTTP and HTTP/2 requests.
"""

from __future__ import annotations

import base64
import http.server
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pulumi
import pytest

from conftest import find_tool, shared_stack_args
from obs_platform._internal.ingest_gateway import (
    HTPASSWD_PATH,
    GatewayUpstreams,
    gateway_config,
    htpasswd,
)
from obs_platform.observability.stack import ObservabilityStack
from obs_platform.testing import run

USERS = {"eu-west-1": "pw-eu-west-1-0123456789", "us-east-1": "pw-us-east-1-9876543210"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append({"path": self.path, "headers": dict(self.headers)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def loopback_gateway_config(
    upstreams: GatewayUpstreams, root: Path, http_port: int, grpc_port: int
) -> str:
    """The rendered gateway config with its paths under ``root`` and its ports on loopback."""
    return (
        gateway_config(upstreams, resolver="127.0.0.1")
        .replace("/tmp/", f"{root}/")
        .replace(HTPASSWD_PATH, str(root / "htpasswd"))
        .replace("listen 8080;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 4317 http2;", f"listen 127.0.0.1:{grpc_port} http2;")
    )


def start_nginx(nginx: str, root: Path, config: str, port: int) -> subprocess.Popen[bytes]:
    """Check ``config`` with ``nginx -t``, start it from ``root``, wait for ``port``."""
    if os.getuid() == 0:
        # nginx started as root runs its workers as "nobody", who cannot read the test's
        # private temporary folder; the gateway's image runs unprivileged (no switch).
        config = "user root;\n" + config
    root.mkdir(parents=True, exist_ok=True)
    (root / "nginx.conf").write_text(config)
    check = subprocess.run(
        [nginx, "-t", "-p", str(root), "-c", str(root / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [nginx, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    nginx = find_tool("nginx")
    root = tmp_path_factory.mktemp("gateway")
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    backend = f"127.0.0.1:{upstream.server_address[1]}"
    http_port, grpc_port = _free_port(), _free_port()
    config = loopback_gateway_config(
        GatewayUpstreams(prometheus=backend, loki=backend, tempo_http=backend, tempo_grpc=backend),
        root,
        http_port,
        grpc_port,
    )
    (root / "htpasswd").write_text(htpasswd(USERS))
    process = start_nginx(nginx, root, config, http_port)
    try:
        yield {"http": http_port, "grpc": grpc_port, "seen": _Recorder.seen}
    finally:
        process.terminate()
        process.wait(timeout=10)
        upstream.shutdown()
        upstream.server_close()


def _post(
    port: int,
    path: str,
    user: str | None = None,
    password: str | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=b"payload", method="POST", headers=headers or {}
    )
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize(
    "path", ["/api/v1/write", "/loki/api/v1/push", "/otlp/v1/logs", "/v1/traces"]
)
def test_unauthenticated_write_is_refused(gateway: dict[str, Any], path: str) -> None:
    before = len(gateway["seen"])
    assert _post(gateway["http"], path) == 401
    assert _post(gateway["http"], path, "eu-west-1", "wrong-password") == 401
    assert _post(gateway["http"], path, "nobody", USERS["eu-west-1"]) == 401
    assert len(gateway["seen"]) == before  # nothing reached a backend


def test_authenticated_write_reaches_its_backend_as_its_tenant(gateway: dict[str, Any]) -> None:
    status = _post(
        gateway["http"],
        "/loki/api/v1/push",
        "eu-west-1",
        USERS["eu-west-1"],
        headers={"X-Scope-OrgID": "us-east-1"},  # a cell claiming another tenant
    )
    assert status == 204
    seen = gateway["seen"][-1]
    assert seen["path"] == "/loki/api/v1/push"
    assert seen["headers"]["X-Scope-OrgID"] == "eu-west-1"  # set from the authenticated user
    assert "Authorization" not in seen["headers"]  # credentials stop at the gateway
    assert _post(gateway["http"], "/api/v1/write", "us-east-1", USERS["us-east-1"]) == 204
    assert gateway["seen"][-1]["path"] == "/api/v1/write"


@pytest.mark.parametrize("path", ["/loki/api/v1/delete", "/api/v1/query", "/flush", "/config"])
def test_only_write_paths_exist(gateway: dict[str, Any], path: str) -> None:
    assert _post(gateway["http"], path, "eu-west-1", USERS["eu-west-1"]) == 404


def test_grpc_listener_refuses_unauthenticated_http2(gateway: dict[str, Any]) -> None:
    # An HTTP/2 (prior knowledge, like gRPC over h2c) request to the trace service, no auth.
    curl = find_tool("curl")
    path = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    result = subprocess.run(
        [
            curl,
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{http_version}",
            "--http2-prior-knowledge",
            "-X",
            "POST",
            "-H",
            "content-type: application/grpc",
            f"http://127.0.0.1:{gateway['grpc']}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "401 2"


def test_the_stack_renders_this_gateway() -> None:
    def program() -> None:
        ObservabilityStack(
            "shared",
            shared_stack_args(
                ingest_tenants={
                    name: pulumi.Output.secret(password) for name, password in USERS.items()
                }
            ),
        )

    plan = run(program, config={"aws:region": "eu-west-1"})
    config_map = plan.get("shared-ingest-gateway-config")
    assert config_map.inputs["data"]["nginx.conf"] == gateway_config(
        GatewayUpstreams(
            prometheus="kps-prometheus.monitoring.svc.cluster.local:9090",
            loki="loki-gateway.monitoring.svc.cluster.local:80",
            tempo_http="tempo.monitoring.svc.cluster.local:4318",
            tempo_grpc="tempo.monitoring.svc.cluster.local:4317",
        )
    )
    users = plan.get("shared-ingest-gateway-users")
    assert users.type == "kubernetes:core/v1:Secret"
    assert users.inputs["stringData"] == "[secret]"
    for password in USERS.values():
        assert password not in plan.dumps()
    deployment = plan.get("shared-ingest-gateway")
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    # The stack's default image source: its ECR pull-through cache of Docker Hub.
    assert container["image"] == (
        "111111111111.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/"
        "nginxinc/nginx-unprivileged:1.31-alpine"
    )
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {v["name"]: v for v in pod["volumes"]}["users"] == {
        "name": "users",
        "secret": {"secretName": "ingest-gateway-users"},
    }
    for service in ("prometheus", "loki", "otlp"):
        selector = plan.get(f"shared-ingest-{service}").inputs["spec"]["selector"]
        assert selector == deployment.inputs["spec"]["selector"]["matchLabels"]
    # Loki and Tempo are multi-tenant; Grafana reads every tenant
    loki = plan.get("shared-loki").inputs["values"]["loki"]
    assert loki["auth_enabled"] is True
    assert loki["querier"] == {"multi_tenant_queries_enabled": True}
    tempo = plan.get("shared-tempo").inputs["values"]["tempo"]
    assert tempo["multitenancyEnabled"] is True


def test_htpasswd_is_stable_and_salted() -> None:
    first, second = htpasswd(USERS), htpasswd(dict(reversed(list(USERS.items()))))
    assert first == second  # no churn in the Secret between runs
    lines = first.splitlines()
    assert [line.split(":")[0] for line in lines] == ["eu-west-1", "us-east-1"]
    assert all(line.split(":", 1)[1].startswith("{SSHA}") for line in lines)
    assert USERS["eu-west-1"] not in first
    with pytest.raises(ValueError, match="cannot contain ':'"):
        htpasswd({"a:b": "x"})


def test_nginx_refuses_a_broken_config(tmp_path: Path) -> None:
    # The check above can fail: nginx -t rejects a config it cannot load.
    nginx = find_tool("nginx")
    (tmp_path / "nginx.conf").write_text("events {}\nhttp { server { listen 1 http3; } }\n")
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        check=False,
    )
    assert check.returncode != 0
