"""A cell's telemetry: the OpenTelemetry Collector DaemonSet that ships to the central stack."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .._component import Component
from .._internal.cell_telemetry import COLLECTOR_IMAGE, collector_config
from .args import CellArgs

__all__ = ["TELEMETRY_NAMESPACE", "create_telemetry"]

TELEMETRY_NAMESPACE = "obs-telemetry"
"""Namespace of the cell's collector."""


def create_telemetry(
    owner: Component[Any], args: CellArgs, account: pulumi.Output[str], provider: k8s.Provider
) -> None:
    """Run the OpenTelemetry Collector DaemonSet in :data:`TELEMETRY_NAMESPACE`."""
    opts = owner.child_opts(provider=provider)
    t = args.telemetry
    namespace = k8s.core.v1.Namespace(
        owner.child_name("telemetry-namespace"),
        metadata={"name": TELEMETRY_NAMESPACE},
        opts=opts,
    )
    labels = {
        "app.kubernetes.io/name": "otel-collector",
        "app.kubernetes.io/managed-by": "obs-platform",
    }
    meta = {"name": "otel-collector", "namespace": TELEMETRY_NAMESPACE, "labels": labels}
    after = owner.child_opts(provider=provider, depends_on=[namespace])
    k8s.core.v1.ServiceAccount(owner.child_name("telemetry-sa"), metadata=meta, opts=after)
    k8s.rbac.v1.ClusterRole(
        owner.child_name("telemetry-role"),
        metadata={"name": f"obs-platform-otel-{owner._name}", "labels": labels},
        rules=[
            {
                "apiGroups": [""],
                "resources": ["nodes/stats", "nodes/proxy", "pods", "nodes"],
                "verbs": ["get", "list", "watch"],
            }
        ],
        opts=opts,
    )
    k8s.rbac.v1.ClusterRoleBinding(
        owner.child_name("telemetry-binding"),
        metadata={"name": f"obs-platform-otel-{owner._name}", "labels": labels},
        role_ref={
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": f"obs-platform-otel-{owner._name}",
        },
        subjects=[
            {
                "kind": "ServiceAccount",
                "name": "otel-collector",
                "namespace": TELEMETRY_NAMESPACE,
            }
        ],
        opts=after,
    )
    config = pulumi.Output.all(
        account, t.metrics_remote_write_url, t.logs_otlp_url, t.traces_otlp_endpoint
    ).apply(
        lambda v: collector_config(
            cell=owner._name,
            dr_role=args.dr_role,
            region=args.region,
            account=v[0],
            metrics_remote_write_url=v[1],
            logs_otlp_url=v[2],
            traces_otlp_endpoint=v[3],
        )
    )
    config_map = k8s.core.v1.ConfigMap(
        owner.child_name("telemetry-config"),
        metadata=meta,
        data={"config.yaml": config},
        opts=after,
    )
    k8s.apps.v1.DaemonSet(
        owner.child_name("telemetry-collector"),
        metadata=meta,
        spec={
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": "otel-collector",
                    "containers": [
                        {
                            "name": "otel-collector",
                            "image": COLLECTOR_IMAGE,
                            "args": ["--config=/conf/config.yaml"],
                            "env": [
                                {
                                    "name": "K8S_NODE_NAME",
                                    "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                                }
                            ],
                            "ports": [
                                {"name": "otlp-grpc", "containerPort": 4317, "hostPort": 4317},
                                {"name": "otlp-http", "containerPort": 4318, "hostPort": 4318},
                            ],
                            "readinessProbe": {"httpGet": {"path": "/", "port": 13133}},
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "256Mi"},
                                "limits": {"memory": "512Mi"},
                            },
                            "securityContext": {
                                "readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False,
                            },
                            "volumeMounts": [
                                {"name": "config", "mountPath": "/conf"},
                                {
                                    "name": "pods",
                                    "mountPath": "/var/log/pods",
                                    "readOnly": True,
                                },
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "config", "configMap": {"name": "otel-collector"}},
                        {"name": "pods", "hostPath": {"path": "/var/log/pods"}},
                    ],
                },
            },
        },
        opts=owner.child_opts(provider=provider, depends_on=[config_map]),
    )
