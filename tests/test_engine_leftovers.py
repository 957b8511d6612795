"""A refused run must leave nothing behind that fails whatever runs after it in the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import PROJECT_ROOT

NEXT_TEST = (
    "tests/test_dr_cli.py::test_status_json_reports_members_node_groups_health_and_replication"
)


@pytest.mark.slow
def test_a_refused_run_leaves_no_unawaited_sdk_coroutine_for_the_next_test() -> None:
    """Regression: app-cells planned without the shared stack's outputs is refused part-way, and
    the SDK's unstarted coroutines (``Output.future``, ``Output.is_known``) the error kept alive
    warned "coroutine ... was never awaited" when freed, which pytest's warnings-as-errors
    turned into an error in the next test of the same process (under xdist: at random)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_app_cells_example.py",
            NEXT_TEST,
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")},
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "never awaited" not in result.stdout
