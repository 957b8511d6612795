"""Derive the reference data the tests check against from the upstream charts and CRDs.

The tests never read upstream files: they read what this script derives from them, committed
under ``tests/reference/`` as data the project owns (see ``tests/reference/README.md``):

- ``charts/<chart>-<version>.json``: for each chart (and each dependency chart shipped in its
  ``charts/`` folder), the set of value paths its default ``values.yaml`` knows, as a tree whose
  leaves are the default's type (no default values, no comments), with the maps the chart leaves
  free-form kept empty; the image blocks (``registry``/``repository``); the keys the defaults
  document only in comments; the ``.Values.<path>`` references in its ``values.yaml`` (templated
  defaults); and its ``Chart.yaml`` facts (name, version, appVersion, dependencies). Only
  ``Chart.yaml``, ``values.yaml`` and ``values.schema.json`` are read: they are the same in the
  chart's Git folder and in its released package, so either source derives the same data;
- ``charts/<chart>-<version>.values.schema.json``: the chart's values schema, where it ships one,
  without its prose (``description``);
- ``crds/<operator>-<version>/<group>_<plural>.json``: each CRD's ``openAPIV3Schema`` per served
  version, without its prose, with the release it comes from.

Usage::

    python tests/reference/derive.py [UPSTREAM_DIR]          # rewrite the derived files
    python tests/reference/derive.py [UPSTREAM_DIR] --check  # exit 1 when they are stale

``UPSTREAM_DIR`` defaults to ``$OBS_PLATFORM_REFERENCE_DIR``, else ``../shared/reference`` beside
the repository. It holds ``charts/<chart>-<version>/`` (each chart whole, as ``helm pull
--untar`` and ``helm dependency build`` leave it, in a folder named after its version) and
``crds/*.yaml``. Where else to get them (``README.md`` in this folder lists the commits):

- charts: ``helm pull <repository>/<chart> --version <version> --untar`` with the repositories
  of ``obs_platform._internal.charts`` (``https://prometheus-community.github.io/helm-charts``,
  ``https://grafana-community.github.io/helm-charts``, ``https://strimzi.io/charts/`` or
  ``oci://quay.io/strimzi-helm/strimzi-kafka-operator``), then rename the folder to
  ``<chart>-<version>``; or the chart's folder in its Git repository at the release tag;
- Prometheus operator CRDs: the URLs of ``prometheus_operator_crd_urls()`` (the operator's
  ``example/prometheus-operator-crd/`` at the pinned tag), saved with the URL as the first line
  (``# <url>``); they are also in kube-prometheus-stack's ``charts/crds/crds/``;
- Strimzi CRDs: the ``crds/`` folder of the strimzi-kafka-operator chart (or of the
  ``strimzi/strimzi-kafka-operator`` repository's ``helm-charts/helm3/`` at the release tag).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_UPSTREAM = ROOT.parent / "shared" / "reference"

FORMAT = "obs-platform.reference/1"
"""Format of every derived file; a change to the layout bumps it."""

PROMETHEUS_OPERATOR_VERSION_ANNOTATION = "operator.prometheus.io/version"


class _Loader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """A safe loader that reads YAML 1.1's ``=`` (the "value" tag) as the string it is.

    The Prometheus operator CRDs list match operators (``=``, ``=~``) unquoted; PyYAML refuses
    them by default.
    """


_Loader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)


def _load_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def value_paths(defaults: Any) -> Any:
    """Return the tree of value paths of a chart's defaults: maps kept, leaves typed.

    A map, a list or a null in the defaults is free-form for the tests (anything below it is
    accepted), so empty maps, lists (as ``[]``) and nulls are kept as they are.
    """
    if isinstance(defaults, dict):
        return {str(key): value_paths(value) for key, value in defaults.items()}
    if isinstance(defaults, list):
        return []
    if defaults is None:
        return None
    return _type_name(defaults)


def image_blocks(defaults: Any, path: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Yield every map of the defaults that names an image ``registry`` or ``repository``."""
    if not isinstance(defaults, dict):
        return
    found = {key: defaults[key] for key in ("registry", "repository") if key in defaults}
    if found and not any(isinstance(v, dict | list) for v in found.values()):
        yield {"path": list(path), **found}
    for key, value in defaults.items():
        yield from image_blocks(value, (*path, str(key)))


_COMMENTED_KEY = re.compile(r"^\s*#+\s*(?:-\s*)?([A-Za-z_][\w.-]*):", re.MULTILINE)
_VALUES_REFERENCE = re.compile(r"\.Values((?:\.[A-Za-z_][\w-]*)+)")


def commented_keys(values_text: str) -> list[str]:
    """Return the keys that ``values.yaml`` mentions in comments (``# configSecret: ...``)."""
    return sorted(set(_COMMENTED_KEY.findall(values_text)))


def values_references(values_text: str) -> list[str]:
    """Return the ``.Values.<path>`` references in ``values.yaml`` (defaults rendered with
    ``tpl``, which name the paths the chart reads)."""
    return sorted({m[1:] for m in _VALUES_REFERENCE.findall(values_text)})


def strip_prose(schema: Any) -> Any:
    """Return a JSON schema without its prose: ``description`` strings go, all else stays.

    A property that happens to be called ``description`` is a schema (a map), so it stays.
    """
    if isinstance(schema, dict):
        return {
            key: strip_prose(value)
            for key, value in schema.items()
            if not (key in ("description", "$comment") and isinstance(value, str))
        }
    if isinstance(schema, list):
        return [strip_prose(item) for item in schema]
    return schema


def _charts(upstream: Path) -> Iterator[tuple[str, str, Path]]:
    """Yield ``(name, version, folder)`` of every chart and shipped dependency chart."""
    for folder in sorted((upstream / "charts").iterdir()):
        if not (folder / "Chart.yaml").is_file():
            continue
        name = _load_yaml(folder / "Chart.yaml")["name"]
        version = folder.name.removeprefix(f"{name}-")
        if version == folder.name:
            raise SystemExit(f"{folder}: the folder must be named <chart>-<version> ({name}-...)")
        yield name, version, folder
        for dependency in sorted((folder / "charts").glob("*/Chart.yaml")):
            chart = _load_yaml(dependency)
            if chart["name"] != "crds" and (dependency.parent / "values.yaml").is_file():
                yield chart["name"], str(chart["version"]), dependency.parent


def derive_chart(name: str, version: str, folder: Path) -> dict[str, dict[str, Any]]:
    """Return the derived files of one chart, by file name."""
    chart = _load_yaml(folder / "Chart.yaml")
    values_text = (folder / "values.yaml").read_text(encoding="utf-8")
    defaults = yaml.load(values_text, Loader=_Loader) or {}
    schema_file = folder / "values.schema.json"
    derived: dict[str, Any] = {
        "format": FORMAT,
        "chart": name,
        "version": version,
        "chart_yaml_version": str(chart["version"]),
        "app_version": str(chart.get("appVersion", "")),
        "dependencies": [
            {key: str(d[key]) for key in ("name", "version", "repository", "condition") if key in d}
            for d in chart.get("dependencies", [])
        ],
        "has_values_schema": schema_file.is_file(),
        "values": value_paths(defaults),
        "images": list(image_blocks(defaults)),
        "commented_keys": commented_keys(values_text),
        "values_references": values_references(values_text),
    }
    files = {f"charts/{name}-{version}.json": derived}
    if schema_file.is_file():
        files[f"charts/{name}-{version}.values.schema.json"] = strip_prose(
            json.loads(schema_file.read_text(encoding="utf-8"))
        )
    return files


def _crd_release(path: Path, crd: dict[str, Any], upstream: Path) -> tuple[str, str]:
    """Return the ``(operator, version)`` a CRD file comes from."""
    annotations = crd["metadata"].get("annotations") or {}
    if PROMETHEUS_OPERATOR_VERSION_ANNOTATION in annotations:
        return "prometheus-operator", str(annotations[PROMETHEUS_OPERATOR_VERSION_ANNOTATION])
    if crd["spec"]["group"].endswith("strimzi.io"):
        # Strimzi's CRDs carry no version: they are the ones its chart ships, byte for byte.
        text = path.read_bytes()
        for chart in sorted((upstream / "charts").glob("strimzi-kafka-operator-*")):
            if any(f.read_bytes() == text for f in (chart / "crds").glob("*.yaml")):
                return "strimzi", chart.name.removeprefix("strimzi-kafka-operator-")
        raise SystemExit(f"{path}: not in the crds/ of any strimzi-kafka-operator chart")
    raise SystemExit(f"{path}: no known release marker (operator.prometheus.io/version, Strimzi)")


def derive_crd(path: Path, upstream: Path) -> dict[str, dict[str, Any]]:
    """Return the derived file of one CRD, by file name."""
    crd = _load_yaml(path)
    operator, version = _crd_release(path, crd, upstream)
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    source = first_line.removeprefix("# ") if first_line.startswith("# http") else None
    spec = crd["spec"]
    derived = {
        "format": FORMAT,
        "name": crd["metadata"]["name"],
        "group": spec["group"],
        "kind": spec["names"]["kind"],
        "plural": spec["names"]["plural"],
        "scope": spec["scope"],
        "operator": operator,
        "operator_version": version,
        "source": source,
        "versions": {
            v["name"]: {
                "served": v["served"],
                "storage": v["storage"],
                "openAPIV3Schema": strip_prose(v["schema"]["openAPIV3Schema"]),
            }
            for v in spec["versions"]
        },
    }
    return {f"crds/{operator}-{version}/{spec['group']}_{spec['names']['plural']}.json": derived}


def derive(upstream: Path) -> dict[str, str]:
    """Return every derived file's text, by path relative to ``tests/reference``."""
    files: dict[str, Any] = {}
    for name, version, folder in _charts(upstream):
        files.update(derive_chart(name, version, folder))
    for path in sorted((upstream / "crds").glob("*.yaml")):
        files.update(derive_crd(path, upstream))
    return {
        name: json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        for name, data in sorted(files.items())
    }


def _existing() -> set[str]:
    return {
        p.relative_to(HERE).as_posix()
        for folder in (HERE / "charts", HERE / "crds")
        if folder.is_dir()
        for p in folder.rglob("*.json")
    }


_RELEASE_REWRITTEN = ("chart_yaml_version", "app_version")
"""Chart.yaml fields a chart's release may rewrite (Strimzi's Git folder carries placeholders)."""


def same(name: str, committed: str, derived: str) -> bool:
    """Whether a committed file says what the upstream derives.

    A chart whose committed ``Chart.yaml`` version is not its release (a placeholder in its Git
    folder, as Strimzi's) may come from the released package next time, whose ``Chart.yaml`` the
    release rewrote: for it, those fields are not compared.
    """
    if committed == derived:
        return True
    if not name.startswith("charts/") or name.endswith(".values.schema.json"):
        return False
    old, new = json.loads(committed), json.loads(derived)
    if old.get("chart_yaml_version") == old.get("version"):
        return False
    for data in (old, new):
        for key in _RELEASE_REWRITTEN:
            data.pop(key, None)
    return bool(old == new)


def main(argv: list[str] | None = None) -> int:
    """Derive (or, with ``--check``, compare) the reference data; return the exit status.

    ``--check`` compares the files both sides have: an upstream folder may hold more charts
    (dependencies a released package bundles) or fewer than the repository needs; that a pin has
    its data is ``tests/test_reference_data.py``'s to check.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "upstream",
        nargs="?",
        type=Path,
        default=Path(os.environ.get("OBS_PLATFORM_REFERENCE_DIR", DEFAULT_UPSTREAM)),
        help="folder with charts/<chart>-<version>/ and crds/ "
        "(default: $OBS_PLATFORM_REFERENCE_DIR, else ../shared/reference)",
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a committed file is stale"
    )
    args = parser.parse_args(argv)
    if not (args.upstream / "charts").is_dir():
        parser.error(f"{args.upstream} has no charts/ folder (see this script's docstring)")
    wanted = derive(args.upstream)
    existing = _existing()
    if args.check:
        stale = sorted(
            name
            for name in wanted.keys() & existing
            if not same(name, (HERE / name).read_text(encoding="utf-8"), wanted[name])
        )
        for name in stale:
            print(f"stale: tests/reference/{name}")
        print(f"checked {len(wanted.keys() & existing)} files, {len(stale)} stale")
        return 1 if stale else 0
    for name in sorted(existing - wanted.keys()):
        (HERE / name).unlink()
        print(f"removed tests/reference/{name}")
    for name, text in sorted(wanted.items()):
        target = HERE / name
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote tests/reference/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
