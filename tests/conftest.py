"""Shared test fixtures: reference data and external tools.

Tests that need ``../shared/reference`` or a Debian tool skip with the reason when it is missing,
and fail instead when ``CI`` is set, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT_ROOT / "examples"
REFERENCE_DIR = Path(
    os.environ.get("OBS_PLATFORM_REFERENCE_DIR", PROJECT_ROOT.parent / "shared" / "reference")
)


def need(available: bool, reason: str) -> None:
    """Skip the test when something it needs is missing; fail instead under CI."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The pinned chart values and CRDs (``../shared/reference`` or $OBS_PLATFORM_REFERENCE_DIR)."""
    need(
        REFERENCE_DIR.is_dir(),
        f"reference data not found at {REFERENCE_DIR}; set OBS_PLATFORM_REFERENCE_DIR",
    )
    return REFERENCE_DIR


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"{name} not installed (Debian package {package!r})")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path of ``promtool`` (Debian package ``prometheus``)."""
    return _tool("promtool", "prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    """Path of ``amtool`` (Debian package ``prometheus-alertmanager``)."""
    return _tool("amtool", "prometheus-alertmanager")


@pytest.fixture(scope="session")
def dot() -> str:
    """Path of graphviz's ``dot`` (Debian package ``graphviz``)."""
    return _tool("dot", "graphviz")
