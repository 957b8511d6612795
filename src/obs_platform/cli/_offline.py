"""Run a program directory under the offline engine for a command (``plan``, ``check``)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..testing import Plan


def run_offline(program_dir: Path, stack: str | None, timeout_seconds: float | None = None) -> Plan:
    """Run the program in ``program_dir`` and return its plan, without paying for the collector.

    The collector stays off while the SDKs load and the program runs (the engine pauses it for
    a run anyway: a run's objects live until it ends). Re-enabling it would make its first
    collection traverse every object the run made, which a command that prints the plan and
    exits does not need; so the heap is frozen first (``gc.freeze``: those objects are left out
    of all later collections), and the collector then only looks at what the command allocates
    afterwards. ``benchmarks/synth.py`` measures the difference.

    Args:
        program_dir: The directory holding ``Pulumi.yaml``.
        stack: The stack whose configuration to load (``None``: the first stack file found).
        timeout_seconds: Stop a program that runs longer (``None``: no limit).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        from ..testing import run_program

        return run_program(program_dir, stack, timeout_seconds=timeout_seconds)
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
