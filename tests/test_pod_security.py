"""The Pod Security Standards checker against the published rules, one rule at a time."""

from __future__ import annotations

from typing import Any

import pytest

from obs_platform._internal.pod_security import Level, namespace_level, violations

RESTRICTED_POD: dict[str, Any] = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "image": "app:1",
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
            },
        }
    ],
    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
}


def _with(pod: dict[str, Any] | None = None, **container_sc: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {**RESTRICTED_POD, **(pod or {})}
    (container,) = spec["containers"]
    spec["containers"] = [
        {**container, "securityContext": {**container["securityContext"], **container_sc}}
    ]
    return spec


def test_a_hardened_pod_passes_every_level() -> None:
    for level in Level:
        assert violations(level, RESTRICTED_POD) == []


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        (_with({"hostNetwork": True}), "hostNetwork"),
        (_with({"hostPID": True}), "hostPID"),
        (_with({"hostIPC": True}), "hostIPC"),
        (_with(privileged=True), "privileged"),
        (_with(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}), "SYS_ADMIN"),
        (_with({"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}), "hostPath"),
        (_with(procMount="Unmasked"), "procMount"),
        (_with(seccompProfile={"type": "Unconfined"}), "Unconfined"),
        (_with(seLinuxOptions={"type": "spc_t"}), "seLinuxOptions"),
        (_with(appArmorProfile={"type": "Unconfined"}), "appArmorProfile"),
        (
            _with({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}),
            "kernel.msgmax",
        ),
        (_with(windowsOptions={"hostProcess": True}), "hostProcess"),
    ],
)
def test_baseline_refuses(spec: dict[str, Any], rule: str) -> None:
    assert any(rule in v for v in violations(Level.BASELINE, spec))
    assert any(rule in v for v in violations(Level.RESTRICTED, spec))
    assert violations(Level.PRIVILEGED, spec) == []


def test_baseline_refuses_host_ports_and_allows_baseline_capabilities() -> None:
    spec = _with(capabilities={"add": ["CHOWN"]})
    spec["containers"][0]["ports"] = [{"containerPort": 4317, "hostPort": 4317}]
    assert violations(Level.BASELINE, spec) == ["hostPort: container 'app' uses 4317"]


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        (_with(allowPrivilegeEscalation=True), "allowPrivilegeEscalation"),
        (
            _with({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}),
            "runAsNonRoot",
        ),
        (_with(runAsUser=0), "runAsUser"),
        (_with({"securityContext": {"runAsNonRoot": True}}), "seccompProfile"),
        (_with(capabilities={"drop": ["NET_RAW"]}), "drop ALL"),
        (_with(capabilities={"drop": ["ALL"], "add": ["CHOWN"]}), "CHOWN"),
        (_with({"volumes": [{"name": "nfs", "nfs": {"server": "x", "path": "/"}}]}), "volume"),
    ],
)
def test_restricted_refuses_what_baseline_allows(spec: dict[str, Any], rule: str) -> None:
    assert violations(Level.BASELINE, spec) == []
    assert any(rule in v for v in violations(Level.RESTRICTED, spec))


def test_namespace_level_comes_from_the_enforce_label() -> None:
    assert namespace_level({"pod-security.kubernetes.io/enforce": "baseline"}) is Level.BASELINE
    assert namespace_level({"pod-security.kubernetes.io/warn": "restricted"}) is Level.PRIVILEGED
    assert namespace_level(None) is Level.PRIVILEGED
