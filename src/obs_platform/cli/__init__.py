"""The ``obs-platform`` command line.

Each command lives in its own module with ``register(subparsers)``; :func:`main` maps the
library's errors to short messages and exit code 2 (a traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from . import _offline
from ._errors import CommandError, explain, is_input_error

COMMAND_MODULES: tuple[str, ...] = ("plan", "check", "dr")
"""Modules under ``obs_platform.cli`` that each add one command."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="obs-platform",
        description="Plan, check and operate obs-platform programs offline and against AWS.",
    )
    parser.add_argument("--version", action="version", version=f"obs-platform {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{module}").register(subparsers)
    _debug_everywhere(subparsers)
    return parser


def _debug_everywhere(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Accept ``--debug`` after any (sub)command too, as ``obs-platform plan . --debug``."""
    for command in subparsers.choices.values():
        command.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show the full traceback when the command fails",
        )
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _debug_everywhere(action)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when ``None``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        print("obs-platform: interrupted", file=sys.stderr)
        return 130
    except (CommandError, Exception) as exc:
        if args.debug:
            raise
        print(f"obs-platform {args.command}: {explain(exc)}", file=sys.stderr)
        if not is_input_error(exc):
            print("(run with --debug for the full traceback)", file=sys.stderr)
        return exc.exit_code if isinstance(exc, CommandError) else 2
    return code


def run() -> None:
    """Console-script entry point.

    Once the command has returned and its output is flushed, the process ends with
    ``os._exit``: tearing down the thousands of modules and objects that the provider SDKs and
    a synthesised program leave behind takes a noticeable share of a ``plan`` and does nothing
    a user can see. Files are written and closed by the commands themselves; log handlers are
    flushed here first. When flushing fails (a closed pipe), the normal exit path reports it.
    For the same reason, ``plan`` and ``check`` freeze the heap after the run instead of
    collecting it (:data:`obs_platform.cli._offline.process_ends_after_command`).
    """
    _offline.process_ends_after_command = True
    code = main()
    try:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)
    os._exit(code)
