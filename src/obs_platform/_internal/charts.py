"""Helm chart repositories and versions, pinned in one place.

Every chart the library installs is pinned here, with the repository it comes from. The pins
match the reference data the tests check values against: derived from the upstream charts into
``tests/reference`` (a pin without derived data fails the tests; ``tests/reference/README.md``
says how to derive it), and the whole charts that the render tests give to Helm.

The Prometheus operator CRDs are not installed by Helm (Helm never upgrades CRDs, and they are too
large for client-side apply): they are applied server-side from the operator's release, at the
operator version the kube-prometheus-stack pin ships (its ``appVersion``). :data:`OPERATOR_VERSIONS`
ties the two, so that overriding the chart version without the CRD version is refused.

Repositories (as of 2026): kube-prometheus-stack and the CloudWatch exporter (YACE) from
prometheus-community; Grafana, Loki and Tempo
moved for OSS users to the community-maintained grafana-community repository in March 2026 (the old
``grafana.github.io`` Loki chart is kept for Grafana Enterprise Logs only); Strimzi from
``strimzi.io/charts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import AfterValidator

PROMETHEUS_COMMUNITY_REPO = "https://prometheus-community.github.io/helm-charts"
"""The prometheus-community Helm repository (kube-prometheus-stack)."""

GRAFANA_COMMUNITY_REPO = "https://grafana-community.github.io/helm-charts"
"""The grafana-community Helm repository (Grafana, Loki, Tempo) since March 2026."""

STRIMZI_REPO = "https://strimzi.io/charts/"
"""The Strimzi Helm repository (strimzi-kafka-operator)."""

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


def check_chart_version(value: str) -> str:
    """Validate an exact Helm chart version (SemVer 2, no ranges, no leading ``v``).

    Args:
        value: A version such as ``"88.5.3"``.

    Raises:
        ValueError: If the value is not an exact SemVer version; ranges and ``latest`` are
            refused because an unpinned chart changes under a stack without a code change.
    """
    if not isinstance(value, str) or not _SEMVER.match(value):
        hint = ""
        if isinstance(value, str) and value.startswith("v") and _SEMVER.match(value[1:]):
            hint = f" Drop the leading 'v': {value[1:]!r}."
        raise ValueError(
            f"{value!r} is not an exact chart version; write MAJOR.MINOR.PATCH such as "
            f"'88.5.3' (no ranges, wildcards or 'latest', so the chart cannot move under the "
            f"stack).{hint}"
        )
    return value


ChartVersion = Annotated[str, AfterValidator(check_chart_version)]
"""An exact Helm chart version, ``MAJOR.MINOR.PATCH`` with optional pre-release/build."""


def check_operator_version(value: str) -> str:
    """Validate a Prometheus operator release version (``0.93.1``; a leading ``v`` is dropped).

    Raises:
        ValueError: If the value is not an exact SemVer version.
    """
    bare = value[1:] if isinstance(value, str) and value.startswith("v") else value
    try:
        return check_chart_version(bare)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a Prometheus operator release; write it as '0.93.1' (the "
            "appVersion of the kube-prometheus-stack chart you pin)."
        ) from None


OperatorVersion = Annotated[str, AfterValidator(check_operator_version)]
"""A Prometheus operator release version such as ``0.93.1``."""


@dataclass(frozen=True)
class ChartPin:
    """A Helm chart at an exact version in a repository.

    Attributes:
        chart: The chart's name in the repository.
        version: The exact chart version.
        repository: The repository URL.
    """

    chart: str
    version: str
    repository: str

    def __post_init__(self) -> None:
        check_chart_version(self.version)

    def at(self, version: str | None) -> ChartPin:
        """Return this pin at another version (``None`` keeps the pinned one).

        Raises:
            ValueError: If the version is not exact.
        """
        return self if version is None else replace(self, version=check_chart_version(version))


KUBE_PROMETHEUS_STACK = ChartPin("kube-prometheus-stack", "88.5.3", PROMETHEUS_COMMUNITY_REPO)
"""Prometheus operator, Prometheus, Alertmanager, Grafana 12.11.1 (subchart), exporters."""

LOKI = ChartPin("loki", "18.11.0", GRAFANA_COMMUNITY_REPO)
"""Grafana Loki 3.7 (monolithic or distributed)."""

TEMPO = ChartPin("tempo", "2.2.4", GRAFANA_COMMUNITY_REPO)
"""Grafana Tempo, single binary (monolithic)."""

TEMPO_DISTRIBUTED = ChartPin("tempo-distributed", "3.3.0", GRAFANA_COMMUNITY_REPO)
"""Grafana Tempo 3 in microservices mode (needs Kafka for ingest)."""

STRIMZI_KAFKA_OPERATOR = ChartPin("strimzi-kafka-operator", "1.2.0", STRIMZI_REPO)
"""The Strimzi operator, for Kafka and MirrorMaker 2 (used by the DR layer)."""

YET_ANOTHER_CLOUDWATCH_EXPORTER = ChartPin(
    "prometheus-yet-another-cloudwatch-exporter", "0.47.0", PROMETHEUS_COMMUNITY_REPO
)
"""YACE v0.67.0 (the chart's ``appVersion``), the CloudWatch exporter the DR alert rules read
(Aurora, Route 53, MSK). 0.47.0 is the newest release in prometheus-community/helm-charts as of
2026-08-22 (commit ``cf408a29``); there is no 0.50.0."""

CHART_PINS: dict[str, ChartPin] = {
    pin.chart: pin
    for pin in (
        KUBE_PROMETHEUS_STACK,
        LOKI,
        TEMPO,
        TEMPO_DISTRIBUTED,
        STRIMZI_KAFKA_OPERATOR,
        YET_ANOTHER_CLOUDWATCH_EXPORTER,
    )
}
"""Every pinned chart, by chart name."""

PROMETHEUS_OPERATOR_VERSION = "0.93.1"
"""The Prometheus operator release whose CRDs match the kube-prometheus-stack pin."""

OPERATOR_VERSIONS: dict[str, str] = {KUBE_PROMETHEUS_STACK.version: PROMETHEUS_OPERATOR_VERSION}
"""kube-prometheus-stack chart version -> the Prometheus operator version it ships (its
``appVersion``). A chart version not listed here needs the operator version set explicitly."""

PROMETHEUS_OPERATOR_CRDS: tuple[str, ...] = (
    "alertmanagerconfigs",
    "alertmanagers",
    "podmonitors",
    "probes",
    "prometheusagents",
    "prometheuses",
    "prometheusrules",
    "scrapeconfigs",
    "servicemonitors",
    "thanosrulers",
)
"""The ``monitoring.coreos.com`` CRDs (plural names) the operator release publishes."""

_CRD_URL = (
    "https://raw.githubusercontent.com/prometheus-operator/prometheus-operator/v{version}/"
    "example/prometheus-operator-crd/monitoring.coreos.com_{plural}.yaml"
)


def operator_version_for(chart_version: str, override: str | None = None) -> str:
    """Return the Prometheus operator version whose CRDs go with a kube-prometheus-stack version.

    Args:
        chart_version: The kube-prometheus-stack chart version.
        override: An explicit operator version, which wins.

    Raises:
        ValueError: If the chart version is not a known pin and no override is given.
    """
    if override is not None:
        return check_operator_version(override).removeprefix("v")
    try:
        return OPERATOR_VERSIONS[chart_version]
    except KeyError:
        raise ValueError(
            f"kube-prometheus-stack {chart_version!r} is not a version this library knows the "
            "Prometheus operator version of, so its CRDs cannot be pinned. Set "
            "prometheus_operator_version to the chart's appVersion (see its Chart.yaml), or "
            f"use {KUBE_PROMETHEUS_STACK.version!r}."
        ) from None


def prometheus_operator_crd_urls(version: str = PROMETHEUS_OPERATOR_VERSION) -> list[str]:
    """Return the URLs of the operator's CRD manifests at one release, in a stable order.

    Args:
        version: The operator release, such as ``"0.93.1"``.
    """
    bare = check_operator_version(version).removeprefix("v")
    return [_CRD_URL.format(version=bare, plural=plural) for plural in PROMETHEUS_OPERATOR_CRDS]
