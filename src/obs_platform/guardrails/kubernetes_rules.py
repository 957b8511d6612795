"""Guardrails for node-level Kubernetes workloads: ClusterRoles and DaemonSets.

A DaemonSet runs on every node, so a weakness in one is a weakness on all of them; a
ClusterRole that reaches the kubelet reaches every pod.

* ``k8s-no-nodes-proxy``: no ClusterRole rule grants ``nodes/proxy``. It opens every kubelet
  API endpoint without a subresource of its own, command execution in any container on the
  node among them (Kubernetes docs, "RBAC good practices", "Access to proxy subresource of
  Nodes"; CIS Kubernetes Benchmark v2.1.0, 5.1.14). A rule matches it as the API server's
  RBAC authorizer does
  (``pkg/apis/rbac/v1/evaluation_helpers.go``): API group ``""`` or ``*``, and resource
  ``nodes/proxy``, ``*`` or ``*/proxy``, with any verb. Metrics agents need ``get`` on
  ``nodes/stats`` and ``nodes/metrics`` only (the collector's kubeletstats receiver).
* ``daemonset-host-ports``: no container of a DaemonSet opens a ``hostPort``, and the pod does not
  use ``hostNetwork``, unless the DaemonSet declares the need with the annotation
  :data:`HOST_PORTS_ANNOTATION` and a reason (a cell's collector does with
  ``TelemetryArgs.host_ports=True``). A host port binds every node's address: anything that can
  reach a node reaches the pod, around Services and network policies (Pod Security Standards,
  baseline: "HostPorts should be disallowed entirely").
* ``daemonset-hardened``: every container (init containers too) has a read-only root file
  system (``readOnlyRootFilesystem: true``), drops every capability (``capabilities.drop``
  holds ``ALL``), cannot gain privileges (``allowPrivilegeEscalation: false``: "controls
  whether a process can gain more privileges than its parent process", Kubernetes API,
  ``SecurityContext``) and is not ``privileged``.

Charts (Helm releases) are not rendered here, so a DaemonSet a chart makes is not seen; the
render tests check the charts' values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from .._internal.pod_security import HOST_PORTS_ANNOTATION
from ._inspect import as_list, dig, is_unknown
from ._model import Finding, RuleContext

__all__ = [
    "HOST_PORTS_ANNOTATION",
    "cluster_roles_without_nodes_proxy",
    "daemonset_hardened",
    "daemonset_host_ports",
]

CLUSTER_ROLE: Final = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
DAEMON_SET: Final = "kubernetes:apps/v1:DaemonSet"

_CONTAINER_KEYS = ("initContainers", "containers", "ephemeralContainers")


def _grants_nodes_proxy(rule: Mapping[str, Any]) -> bool:
    groups = as_list(rule.get("apiGroups"))
    resources = as_list(rule.get("resources"))
    verbs = as_list(rule.get("verbs"))
    return (
        bool(verbs)
        and bool({"", "*"} & set(groups))
        and bool({"nodes/proxy", "*", "*/proxy"} & set(resources))
    )


def cluster_roles_without_nodes_proxy(ctx: RuleContext) -> Iterator[Finding]:
    """No ClusterRole grants ``nodes/proxy`` (directly or by wildcard)."""
    for role in ctx.plan.resources:
        if role.type != CLUSTER_ROLE:
            continue
        for index, rule in enumerate(as_list(role.inputs.get("rules"))):
            if isinstance(rule, Mapping) and _grants_nodes_proxy(rule):
                yield Finding(
                    role,
                    f"rules[{index}] grants {sorted(as_list(rule.get('verbs')))} on "
                    f"{sorted(as_list(rule.get('resources')))}, which includes nodes/proxy",
                )


def _pod_spec(daemon_set: Any) -> Mapping[str, Any]:
    spec = dig(daemon_set.inputs, "spec", "template", "spec")
    return spec if isinstance(spec, Mapping) else {}


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in _CONTAINER_KEYS:
        for container in as_list(spec.get(key)):
            if isinstance(container, Mapping):
                yield container


def daemonset_host_ports(ctx: RuleContext) -> Iterator[Finding]:
    """No host port or host network in a DaemonSet that does not declare the need."""
    for daemon_set in ctx.plan.resources:
        if daemon_set.type != DAEMON_SET:
            continue
        reason = dig(daemon_set.inputs, "metadata", "annotations", HOST_PORTS_ANNOTATION)
        if isinstance(reason, str) and reason.strip():
            continue
        spec = _pod_spec(daemon_set)
        found = [
            f"container {c.get('name')!r} hostPort {p['hostPort']}"
            for c in _containers(spec)
            for p in as_list(c.get("ports"))
            if isinstance(p, Mapping) and p.get("hostPort") and not is_unknown(p["hostPort"])
        ]
        if spec.get("hostNetwork") is True:
            found.append("hostNetwork: true")
        if found:
            yield Finding(
                daemon_set,
                f"{'; '.join(found)}, without the {HOST_PORTS_ANNOTATION} annotation",
            )


def _container_problems(container: Mapping[str, Any]) -> list[str]:
    context = container.get("securityContext")
    sc: Mapping[str, Any] = context if isinstance(context, Mapping) else {}
    if is_unknown(context):
        return []
    problems: list[str] = []
    if sc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if "ALL" not in as_list(dig(sc, "capabilities", "drop")):
        problems.append("capabilities.drop lacks ALL")
    if sc.get("privileged") is True:
        problems.append("privileged is true")
    return problems


def daemonset_hardened(ctx: RuleContext) -> Iterator[Finding]:
    """Every DaemonSet container: read-only root, no capabilities, no privilege escalation."""
    for daemon_set in ctx.plan.resources:
        if daemon_set.type != DAEMON_SET:
            continue
        for container in _containers(_pod_spec(daemon_set)):
            problems = _container_problems(container)
            if problems:
                yield Finding(
                    daemon_set, f"container {container.get('name')!r}: {', '.join(problems)}"
                )
