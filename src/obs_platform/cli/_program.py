"""Running a program for ``plan`` and ``check``: the time limit and the empty-plan refusal."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import CommandError

if TYPE_CHECKING:
    from ..testing import Plan

DEFAULT_TIMEOUT_SECONDS = 300.0
"""How long a program may run offline before it is stopped. The examples take seconds; a
program still running after five minutes is waiting for something that will not come."""


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time limit: give a finite number of seconds above 0"
        )
    return value


def add_program_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--timeout`` to a command that runs a program."""
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_timeout,
        default=DEFAULT_TIMEOUT_SECONDS,
        dest="timeout_seconds",
        help=f"stop a program that runs longer than this and say what it was waiting for "
        f"(default {DEFAULT_TIMEOUT_SECONDS:g})",
    )


def run_checked(
    program_dir: Path, stack: str | None, timeout_seconds: float, **engine_options: Any
) -> Plan:
    """Run the program and refuse a plan with no resources.

    A program that registers nothing has not run to its end: it returned early, swallowed its
    own failure, or left its work in a thread. Passing it would pass a program that deploys
    nothing, so ``plan`` and ``check`` fail instead.

    Raises:
        CommandError: When the program registered no resource.
    """
    from ..testing.plan import STACK_TYPE
    from ._offline import run_offline

    plan = run_offline(program_dir, stack, timeout_seconds, **engine_options)
    if not any(r.type != STACK_TYPE for r in plan.resources):
        raise CommandError(
            f"the program in {program_dir} registered no resources (stack {plan.stack}): it "
            "returned before creating anything, or its work never reached the engine (a "
            "thread, an except that swallowed a failure). An empty plan is not a pass: make "
            "the program create its resources when __main__.py runs."
        )
    return plan
