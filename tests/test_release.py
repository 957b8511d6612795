"""Release: the sdist and wheel build, pass ``twine check``, and the wheel works when installed.

The wheel goes into a fresh virtual environment with ``pip install --no-deps`` (there is no
index to fetch dependencies from in a test). The environment sees the dependencies of the test
environment through a ``.pth`` line that adds its site-packages directories, but not the
editable install of this checkout: a plain path line does not run the ``.pth`` files in that
directory, so ``obs_platform`` can only come from the wheel. From there, ``obs-platform plan`` runs
on a copy of the examples, outside the checkout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, PROJECT_ROOT, SHARED_STACK, shared_account_plan_json
from obs_platform import __version__

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the sdist and the wheel once."""
    out = tmp_path_factory.mktemp("dist")
    # Without hatchling installed, build fetches it into an isolated environment.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-isolation"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--sdist",
            "--wheel",
            "--outdir",
            str(out),
            *isolation,
            str(PROJECT_ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        f"python -m build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return out


def _one(dist: Path, pattern: str) -> Path:
    (found,) = dist.glob(pattern)
    return found


def test_both_artifacts_carry_the_version(dist: Path) -> None:
    assert _one(dist, "*.whl").name == f"obs_platform-{__version__}-py3-none-any.whl"
    assert _one(dist, "*.tar.gz").name == f"obs_platform-{__version__}.tar.gz"


def test_twine_check_passes(dist: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def test_wheel_holds_the_package_and_its_entry_points(dist: Path) -> None:
    with zipfile.ZipFile(_one(dist, "*.whl")) as wheel:
        names = set(wheel.namelist())
        info = f"obs_platform-{__version__}.dist-info"
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        metadata = wheel.read(f"{info}/METADATA").decode()
        licence = wheel.read(f"{info}/licenses/LICENSE").decode()
    for required in (
        "obs_platform/__init__.py",
        "obs_platform/py.typed",
        "obs_platform/diagram.py",
        "obs_platform/testing/engine.py",
        "obs_platform/cli/plan.py",
    ):
        assert required in names, required
    assert not any(n.startswith(("tests/", "docs/", "examples/")) for n in names)
    assert "obs-platform = obs_platform.cli:run" in entry_points
    assert "obs_platform = obs_platform.testing.pytest_plugin" in entry_points
    assert "Requires-Python: >=3.11" in metadata
    # PEP 639: the SPDX expression and the licence text itself, shipped in the wheel.
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata.splitlines()
    assert not any(line.startswith("Classifier: License ::") for line in metadata.splitlines())
    assert licence == (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in licence


def test_sdist_holds_docs_examples_and_changelog(dist: Path) -> None:
    with tarfile.open(_one(dist, "*.tar.gz")) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for required in (
        "pyproject.toml",
        "CHANGELOG.md",
        "LICENSE",
        "README.md",
        "docs/conf.py",
        "src/obs_platform/py.typed",
        "tests/conftest.py",
        "tests/reference/derive.py",
        "tests/reference/README.md",
    ):
        assert required in names, required
    assert any(n.startswith("examples/") and n.endswith("Pulumi.yaml") for n in names)
    assert not any("/_generated/" in n or "/_build/" in n or "__pycache__" in n for n in names)


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed; return its bin directory."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site.strip()) / "_test_dependencies.pth").write_text(
        "\n".join(sorted(paths)) + "\n", encoding="utf-8"
    )
    result = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--force-reinstall",
            "--quiet",
            "--disable-pip-version-check",
            str(_one(dist, "*.whl")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return bindir


def test_the_wheel_is_what_the_environment_imports(installed: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import obs_platform, obs_platform.testing; print(obs_platform.__file__); "
            "print(obs_platform.__version__)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    location, version = result.stdout.split()
    assert Path(location).is_relative_to(installed.parent), location
    assert not Path(location).is_relative_to(PROJECT_ROOT)
    assert version == __version__


EXAMPLE_NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/Pulumi.yaml"))


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_installed_cli_plans_a_copy_of_the_example(
    installed: Path, tmp_path: Path, example: str
) -> None:
    program = tmp_path / example
    shutil.copytree(
        EXAMPLES / example, program, ignore=shutil.ignore_patterns("__pycache__", ".venv", "*.pyc")
    )
    out = tmp_path / "out"
    result = subprocess.run(
        [
            str(installed / "obs-platform"),
            "plan",
            str(program),
            "--json",
            str(out / "plan.json"),
            "--diagram",
            str(out / "plan.dot"),
            # app-cells reads the shared account's outputs through a StackReference: offline they
            # come from the shared account's plan JSON, as its README plans it.
            *(
                ["--stack-outputs", f"{SHARED_STACK}={shared_account_plan_json()}"]
                if example == "app-cells"
                else []
            ),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.startswith(f"Plan for project '{example}'")
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["format"] == "obs-platform.plan/1"
    assert plan["project"] == example
    assert any(r["type"].startswith("obs-platform:") for r in plan["resources"])
    assert (out / "plan.dot").read_text(encoding="utf-8").startswith("digraph plan {")
