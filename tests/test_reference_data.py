"""The derived reference data: every pin has it, it is what derive.py makes, and it is sound.

The data lives in ``tests/reference`` (see its README); these tests need nothing outside the
repository, except the freshness check, which compares with the upstream files where they are.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import shutil
import subprocess
import sys
import tarfile
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import reference
from obs_platform._internal.charts import (
    CHART_PINS,
    KUBE_PROMETHEUS_STACK,
    PROMETHEUS_OPERATOR_VERSION,
    STRIMZI_KAFKA_OPERATOR,
    ChartPin,
    prometheus_operator_crd_urls,
)
from reference import derive

CUSTOM_RESOURCE_KINDS = {
    # Every kind of custom resource the library emits, by API group (README of the reference).
    "monitoring.coreos.com": {
        "PrometheusRule",
        "ServiceMonitor",
        "PodMonitor",
        "Probe",
        "AlertmanagerConfig",
    },
    "kafka.strimzi.io": {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaMirrorMaker2"},
}


@pytest.mark.parametrize("pin", sorted(CHART_PINS.values(), key=str), ids=lambda p: p.chart)
def test_every_pinned_chart_has_derived_data(pin: ChartPin) -> None:
    chart = reference.chart(pin)
    assert (chart.chart, chart.version) == (pin.chart, pin.version)
    # Strimzi's Chart.yaml carries a placeholder version; the upstream folder names the release.
    if pin is not STRIMZI_KAFKA_OPERATOR:
        assert chart.chart_yaml_version == pin.version
    assert chart.values, f"{pin.chart} {pin.version}: no value paths"


def test_every_dependency_of_kube_prometheus_stack_that_the_library_configures_is_there() -> None:
    kps = reference.chart(KUBE_PROMETHEUS_STACK)
    grafana = kps.dependency("grafana")
    assert grafana.version == kps.dependencies["grafana"] == "12.11.1"
    assert "admin" in grafana.values


@pytest.mark.parametrize(
    ("group", "release"),
    [
        ("monitoring.coreos.com", PROMETHEUS_OPERATOR_VERSION),
        ("kafka.strimzi.io", STRIMZI_KAFKA_OPERATOR.version),
    ],
)
def test_every_emitted_kind_has_a_crd_of_the_pinned_release(group: str, release: str) -> None:
    for kind in sorted(CUSTOM_RESOURCE_KINDS[group]):
        crd = reference.crd_for(f"{group}/v1", kind)
        assert crd.kind == kind
        assert crd.operator_version == release
        assert crd.schemas, kind


def test_a_missing_pin_is_an_error_naming_the_fix() -> None:
    with pytest.raises(reference.MissingReferenceError, match=r"loki-0\.0\.1\.json.*derive\.py"):
        reference.chart(ChartPin("loki", "0.0.1", "https://example.invalid"))
    with pytest.raises(reference.MissingReferenceError, match="KafkaBridge"):
        reference.crd_for("kafka.strimzi.io/v1", "KafkaBridge")


def test_derived_crd_schemas_still_refuse_what_the_crd_refuses() -> None:
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "x"},
        "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up", "for": "5m"}]}]},
    }
    reference.validate_custom_resource(rule)
    rule["spec"]["groups"][0]["rules"][0]["for"] = "five minutes"  # not a Prometheus duration
    with pytest.raises(jsonschema.ValidationError, match="five minutes"):
        reference.validate_custom_resource(rule)


def test_no_prose_is_left_but_a_property_named_description_is_kept() -> None:
    schema = {
        "type": "object",
        "description": "prose",
        "$comment": "more prose",
        "properties": {"description": {"type": "string", "description": "prose"}},
    }
    assert derive.strip_prose(schema) == {
        "type": "object",
        "properties": {"description": {"type": "string"}},
    }
    for path in (reference.REFERENCE / "crds").rglob("*.json"):
        assert '"description": "' not in path.read_text(encoding="utf-8"), path.name


def test_value_paths_keep_free_form_maps_open_and_type_the_leaves() -> None:
    defaults: dict[str, Any] = {
        "image": {"registry": "quay.io", "repository": "x/y", "tag": None},
        "podAnnotations": {},
        "extraArgs": ["--a"],
        "replicas": 1,
        "enabled": True,
        "ratio": 0.5,
    }
    assert derive.value_paths(defaults) == {
        "image": {"registry": "string", "repository": "string", "tag": None},
        "podAnnotations": {},
        "extraArgs": [],
        "replicas": "integer",
        "enabled": "boolean",
        "ratio": "number",
    }
    assert list(derive.image_blocks(defaults)) == [
        {"path": ["image"], "registry": "quay.io", "repository": "x/y"}
    ]
    text = "a:\n  # configSecret: name\n  #   - foo: 1\nb: 1\n"
    assert derive.commented_keys(text) == ["configSecret", "foo"]


def test_the_derived_files_are_what_the_script_writes(tmp_path: Path) -> None:
    # A miniature upstream folder, derived from scratch: the layout derive.py documents.
    chart = tmp_path / "charts" / "demo-1.2.3"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: demo\nversion: 1.2.3\nappVersion: v9\n")
    (chart / "values.yaml").write_text(
        "# hidden: 1\nservice:\n  port: 80\nlabels: {}\nurl: '{{ .Values.service.port }}'\n"
    )
    # Templates are not read: a packaged chart and its Git folder derive the same data.
    (chart / "templates" / "svc.yaml").write_text("port: {{ .Values.only.in.templates }}\n")
    (tmp_path / "crds").mkdir()
    files = derive.derive(tmp_path)
    assert sorted(files) == ["charts/demo-1.2.3.json"]
    data = json.loads(files["charts/demo-1.2.3.json"])
    assert data["values"] == {"service": {"port": "integer"}, "labels": {}, "url": "string"}
    assert data["commented_keys"] == ["hidden"]
    assert data["values_references"] == ["service.port"]
    assert (data["chart"], data["version"], data["app_version"]) == ("demo", "1.2.3", "v9")


@pytest.mark.reference
def test_the_committed_data_is_fresh(reference_dir: Path) -> None:
    """``derive.py --check`` against the upstream files: nothing stale, nothing missing."""
    result = subprocess.run(
        [sys.executable, str(Path(derive.__file__)), str(reference_dir), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        f"tests/reference is stale; run python tests/reference/derive.py:\n{result.stdout}"
    )


def test_the_freshness_check_catches_a_stale_file(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    (upstream / "charts" / "demo-1.0.0").mkdir(parents=True)
    (upstream / "charts" / "demo-1.0.0" / "Chart.yaml").write_text("name: demo\nversion: 1.0.0\n")
    (upstream / "charts" / "demo-1.0.0" / "values.yaml").write_text("a: 1\n")
    (upstream / "crds").mkdir()
    copy = tmp_path / "repo" / "tests" / "reference"
    copy.mkdir(parents=True)
    shutil.copy(derive.__file__, copy / "derive.py")
    script = [sys.executable, str(copy / "derive.py"), str(upstream)]
    assert subprocess.run(script, capture_output=True, timeout=60, check=False).returncode == 0
    assert subprocess.run([*script, "--check"], timeout=60, check=False).returncode == 0
    (copy / "charts" / "demo-1.0.0.json").write_text("{}\n")
    stale = subprocess.run(
        [*script, "--check"], capture_output=True, text=True, timeout=60, check=False
    )
    assert stale.returncode == 1
    assert "stale: tests/reference/charts/demo-1.0.0.json" in stale.stdout


def test_a_placeholder_chart_version_may_come_back_rewritten_by_the_release() -> None:
    committed = {"format": "x", "version": "1.2.0", "chart_yaml_version": "0.1.1", "values": {}}
    released = {**committed, "chart_yaml_version": "1.2.0", "app_version": "1.2.0"}
    name = "charts/strimzi-kafka-operator-1.2.0.json"
    assert derive.same(name, json.dumps(committed), json.dumps(released))
    changed = {**released, "values": {"new": "string"}}
    assert not derive.same(name, json.dumps(committed), json.dumps(changed))
    pinned = {**committed, "chart_yaml_version": "1.2.0"}
    assert not derive.same(name, json.dumps(pinned), json.dumps({**pinned, "app_version": "9"}))


def _package(name: str, files: dict[str, bytes]) -> bytes:
    """A chart package: ``<name>/<file>`` entries in a gzipped tarball."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _crd(group: str, kind: str, plural: str, annotations: str = "{}") -> bytes:
    return (
        f"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        f"metadata: {{name: {plural}.{group}, annotations: {annotations}}}\n"
        f"spec:\n  group: {group}\n  scope: Namespaced\n"
        f"  names: {{kind: {kind}, plural: {plural}}}\n"
        "  versions:\n  - {name: v1, served: true, storage: true, "
        "schema: {openAPIV3Schema: {type: object, description: prose}}}\n"
    ).encode()


@pytest.fixture
def chart_repository(tmp_path: Path) -> Iterator[str]:
    """A Helm repository and CRD host on loopback with a miniature chart for every pin."""
    root = tmp_path / "served"
    (root / "packages").mkdir(parents=True)
    entries: dict[str, list[dict[str, Any]]] = {}
    for pin in CHART_PINS.values():
        files = {
            "Chart.yaml": f"name: {pin.chart}\nversion: {pin.version}\n".encode(),
            "values.yaml": b"a: 1\n",
        }
        if pin is STRIMZI_KAFKA_OPERATOR:
            files["crds/040-Crd-kafka.yaml"] = _crd("kafka.strimzi.io", "Kafka", "kafkas")
        if pin is KUBE_PROMETHEUS_STACK:  # a bundled dependency, as released packages have
            files["charts/grafana-12.11.1.tgz"] = _package(
                "grafana",
                {"Chart.yaml": b"name: grafana\nversion: 12.11.1\n", "values.yaml": b"{}"},
            )
        (root / "packages" / f"{pin.chart}-{pin.version}.tgz").write_bytes(
            _package(pin.chart, files)
        )
        entries[pin.chart] = [
            {"version": "0.0.1", "urls": ["packages/wrong.tgz"]},
            {"version": pin.version, "urls": [f"packages/{pin.chart}-{pin.version}.tgz"]},
        ]
    (root / "index.yaml").write_text(json.dumps({"apiVersion": "v1", "entries": entries}))
    annotations = f"{{operator.prometheus.io/version: {PROMETHEUS_OPERATOR_VERSION}}}"
    for url in prometheus_operator_crd_urls():
        crd = root / "crd-host" / urllib.parse.urlsplit(url).path.lstrip("/")
        crd.parent.mkdir(parents=True, exist_ok=True)
        plural = crd.stem.removeprefix("monitoring.coreos.com_")
        crd.write_bytes(_crd("monitoring.coreos.com", plural.title(), plural, annotations))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_builds_the_upstream_layout_from_the_chart_repositories(
    chart_repository: str, tmp_path: Path, capsys: Any
) -> None:
    from reference import fetch

    out = tmp_path / "upstream"
    repositories = {pin.repository for pin in CHART_PINS.values()}
    argv = [str(out), "--crd-base", f"{chart_repository}/crd-host"]
    for repository in sorted(repositories):
        argv += ["--repository", f"{repository}={chart_repository}"]
    assert fetch.main(argv) == 0
    capsys.readouterr()
    for pin in CHART_PINS.values():
        chart = out / "charts" / f"{pin.chart}-{pin.version}" / "Chart.yaml"
        assert f"version: {pin.version}" in chart.read_text(), pin.chart
    bundled = out / "charts" / f"kube-prometheus-stack-{KUBE_PROMETHEUS_STACK.version}" / "charts"
    assert sorted(p.name for p in bundled.iterdir()) == ["grafana"]
    first = sorted((out / "crds").glob("monitoring.coreos.com_*.yaml"))[0]
    assert first.read_text().splitlines()[0] in {f"# {u}" for u in prometheus_operator_crd_urls()}
    assert (out / "crds" / "strimzi-040-Crd-kafka.yaml").is_file()
    names = set(derive.derive(out))  # what derive.py makes of it
    assert "charts/grafana-12.11.1.json" in names
    assert "crds/strimzi-1.2.0/kafka.strimzi.io_kafkas.json" in names
    assert {f"charts/{p.chart}-{p.version}.json" for p in CHART_PINS.values()} <= names


def test_fetch_refuses_a_pin_the_repository_does_not_have() -> None:
    from reference import fetch

    index = {"entries": {"loki": [{"version": "18.11.0", "urls": ["loki-18.11.0.tgz"]}]}}
    assert fetch.chart_url("https://r.example/charts", index, "loki", "18.11.0") == (
        "https://r.example/charts/loki-18.11.0.tgz"
    )
    with pytest.raises(SystemExit, match=r"loki 9\.9\.9 is not in https://r\.example/charts"):
        fetch.chart_url("https://r.example/charts", index, "loki", "9.9.9")


BUILT_IN_GROUPS = ("", "apps", "batch", "policy", "helm.sh", "yaml", "kustomize")
"""Kubernetes groups that are not custom resources (with every ``*.k8s.io`` group), and the
pulumi-kubernetes components (``helm.sh``, ``yaml``, ``kustomize``)."""


@pytest.mark.parametrize("example", ["shared-account", "app-cells"])
def test_every_custom_resource_of_the_examples_has_and_passes_its_derived_crd(
    example: str,
) -> None:
    from conftest import EXAMPLES, app_cells_stack_outputs
    from obs_platform.testing import run_program

    outputs = app_cells_stack_outputs() if example == "app-cells" else None
    plan = run_program(EXAMPLES / example, stack_outputs=outputs)
    custom = []
    for resource in plan.resources:
        if not resource.type.startswith("kubernetes:"):
            continue
        group = resource.type.split(":")[1].rpartition("/")[0]
        group = "" if group == "core" else group
        if group in BUILT_IN_GROUPS or group.endswith(".k8s.io"):
            continue
        custom.append(resource)
        reference.validate_custom_resource(resource.inputs)  # a CRD nobody derived fails here
    kinds = sorted({r.inputs["kind"] for r in custom})
    assert kinds == (["PrometheusRule"] if example == "shared-account" else [])
