"""Chart pins: one place, matching the reference data, exact versions only, CRDs tied."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import reference
from obs_platform._internal import charts
from obs_platform._internal.charts import (
    CHART_PINS,
    KUBE_PROMETHEUS_STACK,
    LOKI,
    OPERATOR_VERSIONS,
    PROMETHEUS_OPERATOR_CRDS,
    PROMETHEUS_OPERATOR_VERSION,
    STRIMZI_KAFKA_OPERATOR,
    TEMPO_DISTRIBUTED,
    YET_ANOTHER_CLOUDWATCH_EXPORTER,
    ChartPin,
    check_chart_version,
    operator_version_for,
    prometheus_operator_crd_urls,
)


def test_pins_are_the_issue_versions_and_repositories() -> None:
    assert {name: (pin.version, pin.repository) for name, pin in CHART_PINS.items()} == {
        "kube-prometheus-stack": ("88.5.3", "https://prometheus-community.github.io/helm-charts"),
        "loki": ("18.11.0", "https://grafana-community.github.io/helm-charts"),
        "tempo": ("2.2.4", "https://grafana-community.github.io/helm-charts"),
        "tempo-distributed": ("3.3.0", "https://grafana-community.github.io/helm-charts"),
        "strimzi-kafka-operator": ("1.2.0", "https://strimzi.io/charts/"),
        "prometheus-yet-another-cloudwatch-exporter": (
            "0.47.0",
            "https://prometheus-community.github.io/helm-charts",
        ),
    }


@pytest.mark.parametrize("pin", sorted(CHART_PINS.values(), key=lambda p: p.chart), ids=str)
def test_every_pin_has_its_chart_in_the_reference_data(reference_dir: Path, pin: ChartPin) -> None:
    # A pin without its chart there is a version that may not exist (the YACE pin 0.50.0 did
    # not): the reference data holds the upstream releases, so the pin must name one of them.
    folder = reference_dir / "charts" / f"{pin.chart}-{pin.version}"
    assert (folder / "Chart.yaml").is_file(), f"{pin.chart} {pin.version} is not in {folder.parent}"
    assert (folder / "templates").is_dir(), f"{folder} is not a whole chart"
    chart = yaml.safe_load((folder / "Chart.yaml").read_text())
    # Strimzi's Chart.yaml carries a placeholder version that its release rewrites.
    version = pin.version if pin is not STRIMZI_KAFKA_OPERATOR else chart["version"]
    assert (chart["name"], chart["version"]) == (pin.chart, version)


def test_cloudwatch_exporter_pin_runs_yace_v0_67_0() -> None:
    assert reference.chart(YET_ANOTHER_CLOUDWATCH_EXPORTER).app_version == "v0.67.0"


def test_operator_version_is_the_stack_charts_app_version() -> None:
    assert reference.chart(KUBE_PROMETHEUS_STACK).app_version == f"v{PROMETHEUS_OPERATOR_VERSION}"
    assert OPERATOR_VERSIONS == {"88.5.3": "0.93.1"}


def test_reference_crds_are_from_the_tied_operator_release() -> None:
    folder = reference.REFERENCE / "crds" / f"prometheus-operator-{PROMETHEUS_OPERATOR_VERSION}"
    plurals = sorted(p.stem.removeprefix("monitoring.coreos.com_") for p in folder.glob("*.json"))
    assert plurals
    urls = prometheus_operator_crd_urls()
    for plural in plurals:
        crd = reference.crd("monitoring.coreos.com", plural)
        assert crd.operator_version == PROMETHEUS_OPERATOR_VERSION
        assert plural in PROMETHEUS_OPERATOR_CRDS
        # The URL the library applies is the one the reference file was taken from.
        assert crd.source in urls


def test_crd_urls_cover_every_operator_crd_at_the_pinned_tag() -> None:
    urls = prometheus_operator_crd_urls("v0.93.1")
    assert len(urls) == len(PROMETHEUS_OPERATOR_CRDS) == 10
    assert all("/prometheus-operator/v0.93.1/example/prometheus-operator-crd/" in u for u in urls)
    assert urls[0].endswith("/monitoring.coreos.com_alertmanagerconfigs.yaml")
    assert urls[-1].endswith("/monitoring.coreos.com_thanosrulers.yaml")


def test_operator_version_for_unknown_chart_needs_an_override() -> None:
    assert operator_version_for("88.5.3") == "0.93.1"
    assert operator_version_for("89.0.0", "v0.94.0") == "0.94.0"
    with pytest.raises(ValueError, match=r"'89\.0\.0'.*prometheus_operator_version"):
        operator_version_for("89.0.0")


@given(
    st.tuples(*[st.integers(min_value=0, max_value=999)] * 3),
    st.one_of(st.none(), st.from_regex(r"[0-9A-Za-z]{1,8}", fullmatch=True)),
)
def test_exact_semver_versions_are_accepted(parts: tuple[int, int, int], pre: str | None) -> None:
    version = ".".join(map(str, parts)) + (f"-{pre}" if pre else "")
    assert check_chart_version(version) == version


@pytest.mark.parametrize(
    "bad",
    [
        "latest",
        "88.5",
        "^88.5.3",
        "88.5.*",
        "~88.5.3",
        ">=88.0.0",
        "88.05.3",
        "88.5.3 ",
        "",
        "88.5.3.1",
    ],
)
def test_inexact_versions_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not an exact chart version"):
        check_chart_version(bad)


def test_leading_v_gets_a_hint() -> None:
    with pytest.raises(ValueError, match=r"Drop the leading 'v': '88\.5\.3'"):
        check_chart_version("v88.5.3")


def test_pin_at_another_version_is_validated() -> None:
    assert LOKI.at(None) is LOKI
    assert LOKI.at("18.12.0") == ChartPin("loki", "18.12.0", LOKI.repository)
    with pytest.raises(ValueError, match="not an exact chart version"):
        LOKI.at("18")
    with pytest.raises(ValueError):
        ChartPin("x", "1.x", "https://example.invalid")


def test_pins_live_in_one_module() -> None:
    # Nothing else in the package spells a pinned version.
    source_root = Path(charts.__file__).resolve().parents[1]
    offenders = []
    for path in source_root.rglob("*.py"):
        if path.name == "charts.py":
            continue
        text = path.read_text()
        for pin in (KUBE_PROMETHEUS_STACK, LOKI, TEMPO_DISTRIBUTED):
            if f'"{pin.version}"' in text:
                offenders.append((path.name, pin.version))
    assert offenders == []
