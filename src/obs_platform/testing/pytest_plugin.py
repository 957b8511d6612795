"""The pytest plugin: an ``offline_engine`` fixture for users' own tests.

Installed through the ``pytest11`` entry point, so ``pip install obs-platform`` is enough::

    def test_ipam_is_protected(offline_engine):
        plan = offline_engine.run(my_program, config={"aws:region": "eu-west-1"})
        assert plan.get("core-pool-top").protect
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from .engine import run, run_program
from .plan import Plan


class OfflineEngine:
    """The fixture's handle: runs programs offline and keeps the last plan."""

    def __init__(self) -> None:
        self.last_plan: Plan | None = None

    def run(
        self,
        program: Callable[[], object],
        *,
        config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Plan:
        """Run a function as a program; see :func:`obs_platform.testing.run`."""
        self.last_plan = run(program, config=config, **kwargs)
        return self.last_plan

    def run_program(self, program_dir: str | Path, stack: str | None = None, **kwargs: Any) -> Plan:
        """Run a program directory; see :func:`obs_platform.testing.run_program`."""
        self.last_plan = run_program(program_dir, stack, **kwargs)
        return self.last_plan


@pytest.fixture
def offline_engine() -> OfflineEngine:
    """Return a fresh :class:`OfflineEngine`; each run starts from nothing."""
    return OfflineEngine()
