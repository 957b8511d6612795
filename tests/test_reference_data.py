"""The derived reference data: every pin has it, it is what derive.py makes, and it is sound.

The data lives in ``tests/reference`` (see its README); these tests need nothing outside the
repository, except the freshness check, which compares with the upstream files where they are.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
    (chart / "values.yaml").write_text("# hidden: 1\nservice:\n  port: 80\nlabels: {}\n")
    (chart / "templates" / "svc.yaml").write_text("port: {{ .Values.service.port }}\n")
    (tmp_path / "crds").mkdir()
    files = derive.derive(tmp_path)
    assert sorted(files) == ["charts/demo-1.2.3.json"]
    data = json.loads(files["charts/demo-1.2.3.json"])
    assert data["values"] == {"service": {"port": "integer"}, "labels": {}}
    assert data["commented_keys"] == ["hidden"]
    assert data["template_value_paths"] == ["service.port"]
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
