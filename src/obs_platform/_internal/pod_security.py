"""The Kubernetes Pod Security Standards, as the admission controller enforces them (pure).

:func:`violations` checks one pod spec (with its metadata, for the AppArmor annotations)
against a level, ``privileged``, ``baseline`` or ``restricted``, with the published rules of
https://kubernetes.io/docs/concepts/security/pod-security-standards/ (policy version
``latest``, Kubernetes 1.33/1.34, as implemented in ``k8s.io/pod-security-admission/policy``):

baseline
    no Windows HostProcess; no host network, PID or IPC namespace; no privileged container; added
    capabilities only from the baseline list; no ``hostPath`` volume; no ``hostPort``; AppArmor
    only ``RuntimeDefault``/``Localhost``; SELinux type only the container types, no user or role;
    ``procMount`` only ``Default``; seccomp not ``Unconfined``; only the safe sysctls.
restricted
    baseline, plus: volumes only of the listed types; ``allowPrivilegeEscalation: false``;
    ``runAsNonRoot: true`` (pod or every container); ``runAsUser`` not 0; seccomp
    ``RuntimeDefault`` or ``Localhost`` (pod or every container); capabilities drop ``ALL`` and
    add at most ``NET_BIND_SERVICE``.

A namespace enforces the level of its ``pod-security.kubernetes.io/enforce`` label; without the
label the cluster's default applies, which on EKS is ``privileged`` (EKS configures no
cluster-wide PodSecurity admission defaults).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any, Final

ENFORCE_LABEL: Final = "pod-security.kubernetes.io/enforce"
"""The namespace label that sets the level the admission controller enforces."""

HOST_PORTS_ANNOTATION: Final = "obs-platform/host-ports"
"""Annotation on a DaemonSet that declares why it needs host ports (or the host network): the
``daemonset-host-ports`` guardrail admits them only with a reason here."""


class Level(StrEnum):
    """A Pod Security Standards level."""

    PRIVILEGED = "privileged"
    """Unrestricted (host-level agents such as node-exporter)."""
    BASELINE = "baseline"
    """Prevents known privilege escalations."""
    RESTRICTED = "restricted"
    """Hardened pod practice."""


BASELINE_CAPABILITIES: Final = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
"""Capabilities a baseline container may add."""

SAFE_SYSCTLS: Final = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    }
)
"""The sysctls baseline allows."""

SELINUX_TYPES: Final = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)
"""SELinux types baseline allows."""

RESTRICTED_VOLUME_TYPES: Final = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
"""Volume sources restricted allows."""

_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def namespace_level(labels: Mapping[str, str] | None) -> Level:
    """The level a namespace enforces, from its labels (none: EKS's default, ``privileged``)."""
    value = (labels or {}).get(ENFORCE_LABEL)
    return Level(value) if value else Level.PRIVILEGED


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def _baseline(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    pod_sc: Mapping[str, Any] = spec.get("securityContext") or {}
    containers = list(_containers(spec))

    def each() -> Iterator[tuple[str, Mapping[str, Any]]]:
        for container in containers:
            yield container.get("name", "?"), container.get("securityContext") or {}

    if (pod_sc.get("windowsOptions") or {}).get("hostProcess") or any(
        (sc.get("windowsOptions") or {}).get("hostProcess") for _, sc in each()
    ):
        found.append("hostProcess: Windows HostProcess pods are not allowed")
    for namespace in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(namespace):
            found.append(f"host namespaces: {namespace}=true")
    for name, sc in each():
        if sc.get("privileged"):
            found.append(f"privileged: container {name!r} is privileged")
        added = set((sc.get("capabilities") or {}).get("add") or ())
        if added - BASELINE_CAPABILITIES:
            extra = sorted(added - BASELINE_CAPABILITIES)
            found.append(f"capabilities: container {name!r} adds {extra}")
        proc_mount = sc.get("procMount")
        if proc_mount not in (None, "Default"):
            found.append(f"procMount: container {name!r} uses {proc_mount!r}")
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            found.append(f"hostPath volumes: {volume.get('name')!r}")
    for container in containers:
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(
                    f"hostPort: container {container.get('name')!r} uses {port['hostPort']}"
                )
    # AppArmor: the field (1.30+) and the beta annotation.
    profiles = [pod_sc.get("appArmorProfile")] + [sc.get("appArmorProfile") for _, sc in each()]
    for profile in profiles:
        if profile and profile.get("type") not in ("RuntimeDefault", "Localhost"):
            found.append(f"appArmorProfile: type {profile.get('type')!r}")
    for key, value in (meta.get("annotations") or {}).items():
        if key.startswith(_APPARMOR_ANNOTATION) and not (
            value == "runtime/default" or str(value).startswith("localhost/")
        ):
            found.append(f"AppArmor annotation {key}={value!r}")
    for owner, sc in [("pod", pod_sc), *each()]:
        options = sc.get("seLinuxOptions") or {}
        if options.get("type", "") not in SELINUX_TYPES:
            found.append(f"seLinuxOptions: {owner!r} type {options['type']!r}")
        if options.get("user") or options.get("role"):
            found.append(f"seLinuxOptions: {owner!r} sets user or role")
    for owner, sc in [("pod", pod_sc), *each()]:
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"seccompProfile: {owner!r} is Unconfined")
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            found.append(f"sysctls: {sysctl.get('name')!r} is not a safe sysctl")
    return found


def _restricted(spec: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    pod_sc: Mapping[str, Any] = spec.get("securityContext") or {}
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if kinds - RESTRICTED_VOLUME_TYPES:
            found.append(f"volume types: {volume.get('name')!r} is {sorted(kinds)}")
    pod_non_root = pod_sc.get("runAsNonRoot") is True
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    if pod_sc.get("runAsUser") == 0:
        found.append("runAsUser: the pod runs as UID 0")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        found.append(f"seccompProfile: pod type {pod_seccomp!r}")
    for container in _containers(spec):
        name = container.get("name", "?")
        sc: Mapping[str, Any] = container.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"allowPrivilegeEscalation: container {name!r} does not set false")
        non_root = sc.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            found.append(f"runAsNonRoot: container {name!r} may run as root")
        if sc.get("runAsUser") == 0:
            found.append(f"runAsUser: container {name!r} runs as UID 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp is None and pod_seccomp is None:
            found.append(f"seccompProfile: container {name!r} sets none (nor does the pod)")
        elif seccomp not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"seccompProfile: container {name!r} type {seccomp!r}")
        capabilities = sc.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or ()):
            found.append(f"capabilities: container {name!r} does not drop ALL")
        added = set(capabilities.get("add") or ()) - {"NET_BIND_SERVICE"}
        if added:
            found.append(f"capabilities: container {name!r} adds {sorted(added)}")
    return found


def violations(
    level: Level | str, spec: Mapping[str, Any], metadata: Mapping[str, Any] | None = None
) -> list[str]:
    """Return what a pod spec does that ``level`` forbids (empty: admitted).

    Args:
        level: The namespace's enforced level.
        spec: The pod spec (a workload's ``spec.template.spec``).
        metadata: The pod's metadata (its annotations carry AppArmor profiles).
    """
    level = Level(level)
    if level is Level.PRIVILEGED:
        return []
    found = _baseline(metadata or {}, spec)
    if level is Level.RESTRICTED:
        found += _restricted(spec)
    return found
