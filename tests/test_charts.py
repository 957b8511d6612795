"""Chart pins: one place, matching the reference data, exact versions only, CRDs tied."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

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


def test_cloudwatch_exporter_pin_runs_yace_v0_67_0(
    reference_dir: Path,
) -> None:
    pin = YET_ANOTHER_CLOUDWATCH_EXPORTER
    chart = yaml.safe_load(
        (reference_dir / "charts" / f"{pin.chart}-{pin.version}" / "Chart.yaml").read_text()
    )
    assert chart["appVersion"] == "v0.67.0"


def test_strimzi_pin_has_reference_data(reference_dir: Path) -> None:
    # Strimzi's Chart.yaml carries a placeholder version; the folder names the release.
    folder = reference_dir / "charts" / f"strimzi-kafka-operator-{STRIMZI_KAFKA_OPERATOR.version}"
    assert (folder / "values.yaml").is_file()


def test_operator_version_is_the_stack_charts_app_version(reference_dir: Path) -> None:
    chart = yaml.safe_load(
        (reference_dir / "charts" / "kube-prometheus-stack-88.5.3" / "Chart.yaml").read_text()
    )
    assert chart["appVersion"] == f"v{PROMETHEUS_OPERATOR_VERSION}"
    assert OPERATOR_VERSIONS == {"88.5.3": "0.93.1"}


def test_reference_crds_are_from_the_tied_operator_release(reference_dir: Path) -> None:
    crd_files = sorted((reference_dir / "crds").glob("monitoring.coreos.com_*.yaml"))
    assert crd_files
    urls = prometheus_operator_crd_urls()
    for path in crd_files:
        # The header is read as text: the full schemas hold YAML 1.1 '=' values PyYAML refuses.
        header = path.read_text()[:2000]
        match = re.search(r"operator\.prometheus\.io/version: (\S+)", header)
        assert match is not None and match[1] == PROMETHEUS_OPERATOR_VERSION
        plural = path.stem.removeprefix("monitoring.coreos.com_")
        assert plural in PROMETHEUS_OPERATOR_CRDS
        # The URL the library applies is the one the reference file was taken from.
        first_line = path.read_text().splitlines()[0].removeprefix("# ")
        assert first_line in urls


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
