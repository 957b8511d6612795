"""The authenticating ingest gateway in front of remote-write, Loki push and OTLP (pure).

Cells never reach Prometheus, Loki or Tempo directly: the ingest load balancer forwards to an
nginx gateway that

* requires HTTP basic auth on every route (``auth_basic`` with an htpasswd file from a
  Kubernetes Secret), so an unauthenticated write gets ``401``;
* exposes only the write paths (Prometheus ``/api/v1/write``, Loki ``/loki/api/v1/push`` and
  ``/otlp/v1/logs``, OTLP/HTTP ``/v1/traces`` and the OTLP gRPC trace service); everything else,
  such as Loki's ``/loki/api/v1/delete`` or Prometheus' query API, is ``404``;
* sets the tenant (``X-Scope-OrgID``) of Loki and Tempo from the authenticated user, replacing
  whatever the client sent, so one cell cannot write as another.

The gRPC listener speaks HTTP/2 in cleartext (``listen ... http2``): the NLB terminates TLS
(with ALPN ``h2``) and forwards the HTTP/2 bytes, or, without a certificate, the collector dials
h2c itself. Upstreams are resolved at request time through the cluster DNS (``resolver`` plus
variables in ``proxy_pass``/``grpc_pass``), so the gateway starts before the backends exist.
The image is the one the Loki chart runs its gateway with (``nginxinc/nginx-unprivileged``):
it runs as a non-root user, so every path it writes is under ``/tmp``.

Passwords are stored as salted SHA-1 (``{SSHA}``), a scheme nginx's ``auth_basic_user_file``
reads (nginx docs, ``ngx_http_auth_basic_module``); the salt is derived from the user, so the
file, and the Secret, do not change between runs.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "GATEWAY_GRPC_PORT",
    "GATEWAY_HTTP_PORT",
    "GATEWAY_IMAGE",
    "TENANT_PATTERN",
    "GatewayUpstreams",
    "gateway_config",
    "htpasswd",
]

GATEWAY_IMAGE: Final = ("docker.io", "nginxinc/nginx-unprivileged", "1.31-alpine")
"""Registry, repository and tag of the gateway image (the Loki chart's gateway image)."""

TENANT_PATTERN: Final = r"^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$"
"""An ingest user, which is also its Loki/Tempo tenant (``X-Scope-OrgID``): lower-case letters,
digits, ``.``, ``_`` and ``-`` (within what both accept), never ``:`` or ``|`` (the htpasswd
separator and Loki's multi-tenant query separator)."""

GATEWAY_HTTP_PORT: Final = 8080
"""The gateway's HTTP/1.1 port: remote-write, Loki push and OTLP/HTTP."""

GATEWAY_GRPC_PORT: Final = 4317
"""The gateway's HTTP/2 (cleartext) port: OTLP gRPC."""

HTPASSWD_PATH: Final = "/etc/nginx/secrets/htpasswd"
"""Where the gateway reads its users from (a Secret volume)."""

CLUSTER_DNS: Final = "kube-dns.kube-system.svc.cluster.local"
"""The cluster DNS Service (EKS's CoreDNS keeps the ``kube-dns`` Service name)."""

TRACE_SERVICE: Final = "/opentelemetry.proto.collector.trace.v1.TraceService/"
"""The gRPC service OTLP trace exporters call."""


@dataclass(frozen=True)
class GatewayUpstreams:
    """Where the gateway forwards each signal (``host:port``, cluster-local).

    Attributes:
        prometheus: Prometheus' HTTP port (remote-write receiver).
        loki: Loki's gateway or distributor HTTP port.
        tempo_http: Tempo's OTLP/HTTP receiver.
        tempo_grpc: Tempo's OTLP gRPC receiver.
    """

    prometheus: str
    loki: str
    tempo_http: str
    tempo_grpc: str


def htpasswd(users: Mapping[str, str]) -> str:
    """Return an htpasswd file with one ``{SSHA}`` line per user.

    Raises:
        ValueError: A user name contains ``:`` or a line break (the file's separators).
    """
    lines = []
    for user, password in sorted(users.items()):
        if ":" in user or "\n" in user or "\n" in password:
            raise ValueError(f"ingest user {user!r} cannot contain ':' or a line break.")
        salt = hashlib.sha256(f"obs-platform-ingest:{user}".encode()).digest()[:8]
        digest = hashlib.sha1(password.encode() + salt).digest()  # nginx's {SSHA} scheme
        lines.append(f"{user}:{{SSHA}}{base64.b64encode(digest + salt).decode()}")
    return "\n".join(lines) + "\n"


def _location(path: str, *, exact: bool, upstream_var: str, grpc: bool, tenant: bool) -> str:
    match = f"= {path}" if exact else path
    if grpc:
        body = (
            "      grpc_set_header X-Scope-OrgID $remote_user;\n" if tenant else ""
        ) + f"      grpc_pass grpc://${upstream_var};\n"
    else:
        body = ("      proxy_set_header X-Scope-OrgID $remote_user;\n" if tenant else "") + (
            '      proxy_set_header Authorization "";\n'
            "      proxy_http_version 1.1;\n"
            f"      proxy_pass http://${upstream_var};\n"
        )
    return f"    location {match} {{\n{body}    }}\n"


def gateway_config(upstreams: GatewayUpstreams, *, resolver: str = CLUSTER_DNS) -> str:
    """Return the gateway's ``nginx.conf``.

    Args:
        upstreams: The backends.
        resolver: The DNS server nginx resolves the backends with at request time.
    """
    sets = (
        f"    set $prometheus {upstreams.prometheus};\n"
        f"    set $loki {upstreams.loki};\n"
        f"    set $tempo_http {upstreams.tempo_http};\n"
        f"    set $tempo_grpc {upstreams.tempo_grpc};\n"
    )
    auth = f'    auth_basic "obs-platform ingest";\n    auth_basic_user_file {HTPASSWD_PATH};\n'
    http_locations = "".join(
        [
            _location(
                "/api/v1/write", exact=True, upstream_var="prometheus", grpc=False, tenant=False
            ),
            _location(
                "/loki/api/v1/push", exact=True, upstream_var="loki", grpc=False, tenant=True
            ),
            _location("/otlp/v1/logs", exact=True, upstream_var="loki", grpc=False, tenant=True),
            _location("/v1/traces", exact=True, upstream_var="tempo_http", grpc=False, tenant=True),
        ]
    )
    grpc_location = _location(
        TRACE_SERVICE, exact=False, upstream_var="tempo_grpc", grpc=True, tenant=True
    )
    return (
        "worker_processes auto;\n"
        "pid /tmp/nginx.pid;\n"
        "error_log /dev/stderr warn;\n"
        "events {\n  worker_connections 4096;\n}\n"
        "http {\n"
        "  client_body_temp_path /tmp/client_temp;\n"
        "  proxy_temp_path /tmp/proxy_temp;\n"
        "  fastcgi_temp_path /tmp/fastcgi_temp;\n"
        "  uwsgi_temp_path /tmp/uwsgi_temp;\n"
        "  scgi_temp_path /tmp/scgi_temp;\n"
        "  access_log /dev/stdout;\n"
        "  server_tokens off;\n"
        # Remote-write and OTLP batches are compressed; 16 MiB leaves room for large batches.
        "  client_max_body_size 16m;\n"
        f"  resolver {resolver} valid=30s ipv6=off;\n"
        "  server {\n"
        f"    listen {GATEWAY_HTTP_PORT};\n"
        + sets
        + auth
        + http_locations
        + '    location = /healthz {\n      auth_basic off;\n      return 200 "ok\\n";\n    }\n'
        + "    location / {\n      return 404;\n    }\n"
        + "  }\n"
        + "  server {\n"
        + f"    listen {GATEWAY_GRPC_PORT} http2;\n"
        + sets
        + auth
        + grpc_location
        + "    location / {\n      return 404;\n    }\n"
        + "  }\n"
        + "}\n"
    )
