"""The reference data the tests check against: derived from the upstream charts and CRDs.

Committed here, so that a clone tests on its own; ``derive.py`` in this folder regenerates it
from the upstream files (``README.md`` says where they come from). Everything is looked up at
the versions pinned in :mod:`obs_platform._internal.charts`, and a pin without derived data is an
error that names the file to derive.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from obs_platform._internal.charts import (
    CHART_PINS,
    PROMETHEUS_OPERATOR_VERSION,
    STRIMZI_KAFKA_OPERATOR,
    ChartPin,
)

REFERENCE = Path(__file__).resolve().parent
"""This folder: ``charts/`` and ``crds/`` hold the derived files."""

REGENERATE = (
    "derive it from the upstream chart or CRD with `python tests/reference/derive.py "
    "UPSTREAM_DIR` (see tests/reference/README.md)"
)

CRD_RELEASES: dict[str, str] = {
    "monitoring.coreos.com": f"prometheus-operator-{PROMETHEUS_OPERATOR_VERSION}",
    "kafka.strimzi.io": f"strimzi-{STRIMZI_KAFKA_OPERATOR.version}",
}
"""API group -> the folder of the pinned release its CRDs come from."""


class MissingReferenceError(LookupError):
    """The derived reference data for a pinned chart or CRD is not in the repository."""


def _read(relative: str) -> Any:
    path = REFERENCE / relative
    if not path.is_file():
        raise MissingReferenceError(
            f"no derived reference data tests/reference/{relative}; {REGENERATE}"
        )
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ChartReference:
    """What the tests know of one chart at one version.

    Attributes:
        chart: The chart's name.
        version: The chart version (the upstream folder's name says it).
        chart_yaml_version: ``version`` of its ``Chart.yaml`` (Strimzi's is a placeholder).
        app_version: ``appVersion`` of its ``Chart.yaml``.
        dependencies: ``name -> version`` of the charts its ``Chart.yaml`` depends on.
        values: The value paths of its default ``values.yaml`` as a tree: maps as maps, leaves
            as the default's type name; a map the chart leaves free-form is ``{}``, a list is
            ``[]``, a null is ``None`` (anything below them is accepted).
        images: The image blocks of the defaults: ``(path, {"registry": ..., "repository": ...})``.
        commented_keys: Keys its ``values.yaml`` mentions only in comments.
        values_references: The ``.Values.<path>`` references in its ``values.yaml``.
        values_schema: Its ``values.schema.json`` without prose, where it ships one.
    """

    chart: str
    version: str
    chart_yaml_version: str
    app_version: str
    dependencies: dict[str, str]
    values: dict[str, Any]
    images: tuple[tuple[tuple[str, ...], dict[str, Any]], ...]
    commented_keys: frozenset[str]
    values_references: frozenset[str]
    values_schema: dict[str, Any] | None

    def documents(self, path: str) -> bool:
        """Whether the chart knows a dotted path its defaults lack: a commented key, or a
        ``.Values.<path>`` its ``values.yaml`` refers to."""
        return path in self.values_references or path.rsplit(".", 1)[-1] in self.commented_keys

    def image_defaults(self) -> dict[str, Any]:
        """Return the image blocks as a values tree (to merge a values overlay onto)."""
        tree: dict[str, Any] = {}
        for path, block in self.images:
            node = tree
            for key in path:
                node = node.setdefault(key, {})
            node.update(block)
        return tree

    def dependency(self, name: str) -> ChartReference:
        """Return the reference of a dependency chart at the version this chart asks for."""
        return chart_at(name, self.dependencies[name])


@cache
def chart_at(name: str, version: str) -> ChartReference:
    """Return the reference of a chart at an exact version.

    Raises:
        MissingReferenceError: If the repository holds no derived data for it.
    """
    data = _read(f"charts/{name}-{version}.json")
    schema = (
        _read(f"charts/{name}-{version}.values.schema.json") if data["has_values_schema"] else None
    )
    return ChartReference(
        chart=data["chart"],
        version=data["version"],
        chart_yaml_version=data["chart_yaml_version"],
        app_version=data["app_version"],
        dependencies={d["name"]: d["version"] for d in data["dependencies"]},
        values=data["values"],
        images=tuple(
            (tuple(block["path"]), {k: v for k, v in block.items() if k != "path"})
            for block in data["images"]
        ),
        commented_keys=frozenset(data["commented_keys"]),
        values_references=frozenset(data["values_references"]),
        values_schema=schema,
    )


def chart(pin: ChartPin | str) -> ChartReference:
    """Return the reference of a pinned chart (a :class:`ChartPin`, or its name).

    Raises:
        MissingReferenceError: If the repository holds no derived data for the pin.
    """
    pin = CHART_PINS[pin] if isinstance(pin, str) else pin
    return chart_at(pin.chart, pin.version)


@dataclass(frozen=True)
class CrdReference:
    """The schema of one CRD at the pinned release of its operator.

    Attributes:
        name: The CRD's name (``<plural>.<group>``).
        kind: The kind of its custom resources.
        operator_version: The operator release it comes from.
        source: The URL it was taken from, where the file says.
        schemas: ``openAPIV3Schema`` by API version, without prose.
    """

    name: str
    kind: str
    operator_version: str
    source: str | None
    schemas: dict[str, dict[str, Any]]

    def validator(self, version: str = "v1") -> jsonschema.Draft7Validator:
        """Return a validator of custom resources of one API version (``v1``, ``v1beta2``)."""
        return jsonschema.Draft7Validator(self.schemas[version])


@cache
def crd(group: str, plural: str) -> CrdReference:
    """Return the CRD ``<plural>.<group>`` at the pinned release of its operator.

    Raises:
        MissingReferenceError: If the repository holds no derived data for it.
    """
    release = CRD_RELEASES[group]
    data = _read(f"crds/{release}/{group}_{plural}.json")
    return CrdReference(
        name=data["name"],
        kind=data["kind"],
        operator_version=data["operator_version"],
        source=data["source"],
        schemas={name: v["openAPIV3Schema"] for name, v in data["versions"].items()},
    )


def crd_for(api_version: str, kind: str) -> CrdReference:
    """Return the CRD of a custom resource's ``apiVersion`` and ``kind``.

    Raises:
        MissingReferenceError: If no derived CRD of the pinned release has that kind.
    """
    group = api_version.split("/")[0]
    if group not in CRD_RELEASES:
        raise MissingReferenceError(
            f"{api_version} {kind}: no CRD release of group {group!r} is pinned; {REGENERATE}"
        )
    for path in sorted((REFERENCE / "crds" / CRD_RELEASES[group]).glob(f"{group}_*.json")):
        found = crd(group, path.stem.split("_", 1)[1])
        if found.kind == kind:
            return found
    raise MissingReferenceError(
        f"{api_version} {kind}: no derived CRD in "
        f"tests/reference/crds/{CRD_RELEASES[group]}/; {REGENERATE}"
    )


def validate_custom_resource(resource: Mapping[str, Any]) -> None:
    """Validate a custom resource against the CRD schema of its own ``apiVersion``.

    Only ``apiVersion``, ``kind``, ``metadata`` and ``spec`` are validated (what a Pulumi
    ``CustomResource`` records besides them is the SDK's, not the API's).

    Raises:
        jsonschema.ValidationError: If the resource does not validate.
        MissingReferenceError: If the repository holds no derived CRD for it.
        KeyError: If the CRD does not serve that API version.
    """
    api_version, kind = resource["apiVersion"], resource["kind"]
    body = {k: resource[k] for k in ("apiVersion", "kind", "metadata", "spec") if k in resource}
    crd_for(api_version, kind).validator(api_version.split("/")[1]).validate(body)
