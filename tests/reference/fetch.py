"""Fetch the upstream charts and CRDs of every pin into an upstream folder (needs the internet).

It builds the layout ``derive.py`` reads and the Helm render tests use, from the same sources the
library installs from, at the pinned versions of ``obs_platform._internal.charts``:

- ``charts/<chart>-<version>/``: each pinned chart's released package, found in its Helm
  repository's ``index.yaml``, unpacked, with the dependency charts it bundles unpacked into its
  ``charts/`` (as ``helm pull --untar`` and ``helm dependency build`` leave it);
- ``crds/``: the Prometheus operator CRDs from ``prometheus_operator_crd_urls()`` (with the URL as
  the first line), and the Strimzi CRDs the Strimzi chart ships.

Usage::

    python tests/reference/fetch.py OUT_DIR
    OBS_PLATFORM_REFERENCE_DIR=OUT_DIR python -m pytest   # render tests and the freshness check

The GitHub workflow runs it, since ``../shared/reference`` exists only on the project's own
machines. ``--repository URL=MIRROR`` reads a repository from elsewhere (a mirror, or a test's
local server); ``--crd-base URL`` does the same for the CRD URLs' host.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from obs_platform._internal.charts import (
    CHART_PINS,
    STRIMZI_KAFKA_OPERATOR,
    prometheus_operator_crd_urls,
)

TIMEOUT_SECONDS = 120


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
        data: bytes = response.read()
    return data


def _unpack(archive: bytes, into: Path) -> None:
    """Unpack a chart package (``<chart>/...``) into ``into``, bundled dependencies too."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        top = {member.name.split("/", 1)[0] for member in tar.getmembers()}
        if len(top) != 1:
            raise SystemExit(f"a chart package holds one folder, not {sorted(top)}")
        staging = into.parent / f".{into.name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        tar.extractall(staging, filter="data")
    shutil.rmtree(into, ignore_errors=True)
    (staging / top.pop()).rename(into)
    shutil.rmtree(staging)
    for bundled in sorted((into / "charts").glob("*.tgz")):
        _unpack(bundled.read_bytes(), bundled.with_suffix(""))
        bundled.unlink()
        name = yaml.safe_load((bundled.with_suffix("") / "Chart.yaml").read_text())["name"]
        if bundled.with_suffix("").name != name:
            bundled.with_suffix("").rename(into / "charts" / name)


def chart_url(repository: str, index: dict[str, Any], chart: str, version: str) -> str:
    """Return the package URL of a chart version from a repository's ``index.yaml``."""
    for entry in index.get("entries", {}).get(chart, []):
        if str(entry["version"]) == version:
            return urllib.parse.urljoin(repository.rstrip("/") + "/", entry["urls"][0])
    raise SystemExit(f"{chart} {version} is not in {repository}/index.yaml: is the pin real?")


def fetch(out: Path, mirrors: dict[str, str], crd_base: str | None) -> list[str]:
    """Fetch everything into ``out``; return what was written."""
    written = []
    indexes: dict[str, dict[str, Any]] = {}
    for pin in CHART_PINS.values():
        repository = mirrors.get(pin.repository, pin.repository).rstrip("/")
        if repository not in indexes:
            indexes[repository] = yaml.safe_load(_get(f"{repository}/index.yaml"))
        url = chart_url(repository, indexes[repository], pin.chart, pin.version)
        folder = out / "charts" / f"{pin.chart}-{pin.version}"
        folder.parent.mkdir(parents=True, exist_ok=True)
        _unpack(_get(url), folder)
        written.append(folder.relative_to(out).as_posix())
    crds = out / "crds"
    crds.mkdir(parents=True, exist_ok=True)
    for url in prometheus_operator_crd_urls():
        source = url
        if crd_base is not None:
            source = crd_base.rstrip("/") + "/" + urllib.parse.urlsplit(url).path.lstrip("/")
        target = crds / url.rsplit("/", 1)[1]
        target.write_bytes(f"# {url}\n---\n".encode() + _get(source))
        written.append(target.relative_to(out).as_posix())
    strimzi = out / "charts" / f"{STRIMZI_KAFKA_OPERATOR.chart}-{STRIMZI_KAFKA_OPERATOR.version}"
    for crd in sorted((strimzi / "crds").glob("*.yaml")):
        target = crds / f"strimzi-{crd.name}"
        shutil.copyfile(crd, target)
        written.append(target.relative_to(out).as_posix())
    return written


def main(argv: list[str] | None = None) -> int:
    """Fetch the upstream files; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the upstream folder to fill")
    parser.add_argument(
        "--repository",
        action="append",
        default=[],
        metavar="URL=MIRROR",
        help="read the Helm repository URL from MIRROR instead (repeatable)",
    )
    parser.add_argument("--crd-base", metavar="URL", help="read the CRD URLs from this host")
    args = parser.parse_args(argv)
    mirrors = dict(item.split("=", 1) for item in args.repository)
    for path in fetch(args.out, mirrors, args.crd_base):
        print(f"fetched {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
