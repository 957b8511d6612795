"""Run a program directory under the offline engine for a command (``plan``, ``check``)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..testing import Plan

process_ends_after_command = False
"""Set by the console entry point (:func:`obs_platform.cli.run`): the process ends when the
command returns, so what a run leaves on the heap can be frozen rather than collected. Left
``False`` when :func:`obs_platform.cli.main` is called in-process (tests, other tools), where a
frozen heap would never be collected."""


def run_offline(
    program_dir: Path,
    stack: str | None,
    timeout_seconds: float | None = None,
    **engine_options: Any,
) -> Plan:
    """Run the program in ``program_dir`` and return its plan, without paying for the collector.

    The collector stays off while the SDKs load and the program runs (the engine pauses it for
    a run anyway: a run's objects live until it ends). Re-enabling it would make its first
    collection traverse every object the run made, which a command that prints the plan and
    exits does not need; so, when the process ends after the command
    (:data:`process_ends_after_command`), the heap is frozen first (``gc.freeze``: those
    objects are left out of all later collections), and the collector then only looks at what
    the command allocates afterwards. ``benchmarks/synth.py`` measures the difference.

    Args:
        program_dir: The directory holding ``Pulumi.yaml``.
        stack: The stack whose configuration to load (``None``: the only stack file).
        timeout_seconds: Stop a program that runs longer (``None``: no limit).
        engine_options: Passed on to :func:`obs_platform.testing.run_program`
            (``stack_outputs``, ``secret_values``).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        from ..testing import run_program

        return run_program(program_dir, stack, timeout_seconds=timeout_seconds, **engine_options)
    finally:
        if process_ends_after_command:
            gc.freeze()
        if was_enabled:
            gc.enable()
