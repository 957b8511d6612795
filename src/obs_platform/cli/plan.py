"""``obs-platform plan PROGRAM_DIR``: synthesise a program offline and show what it creates."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import CommandError, write_file
from ._program import add_program_options, run_checked

if TYPE_CHECKING:
    from .._internal.cost import PriceTable


def add_program_inputs(parser: argparse.ArgumentParser) -> None:
    """Add ``--stack-outputs`` and ``--secrets``: what a program reads that is not in its folder.

    ``plan`` and ``check`` take both, so a program split into stacks is checked as it is planned.
    """
    parser.add_argument(
        "--stack-outputs",
        metavar="[STACK=]FILE",
        action="append",
        default=[],
        dest="stack_outputs",
        help="outputs of a stack the program reads with pulumi.StackReference: another "
        "program's plan JSON (from 'plan --json'; STACK defaults to its project/stack) or a "
        "'pulumi stack output --json' file (STACK required, such as org/shared-account/dev); "
        "repeat for several stacks",
    )
    parser.add_argument(
        "--secrets",
        metavar="FILE",
        type=Path,
        dest="secrets_file",
        help="offline values of secret config keys (secure: values cannot be decrypted "
        "offline): a YAML or JSON file of 'key: value'; they stay secrets, never printed or "
        "written (default: made-up values the library's validators accept)",
    )


def register(subparsers: Any) -> None:
    """Add the ``plan`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "plan",
        help="run a Pulumi program offline and print its resources",
        description=(
            "Run the Pulumi program in PROGRAM_DIR under the offline engine (no Pulumi CLI, no "
            "AWS credentials) and print the tree of components and resources, the counts by "
            "type, the stack outputs and any DR budget."
        ),
    )
    parser.add_argument(
        "program_dir",
        metavar="PROGRAM_DIR",
        type=Path,
        help="folder holding Pulumi.yaml and __main__.py",
    )
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help="stack whose Pulumi.<NAME>.yaml to load (default: the only stack file; with several, "
        "choosing one is required)",
    )
    add_program_inputs(parser)
    parser.add_argument(
        "--prices",
        metavar="FILE",
        type=Path,
        dest="prices_file",
        help="prices for the standbys' idle-cost estimates: a YAML or JSON file of PriceTable "
        "fields (such as 'region: eu-west-1', 'aurora_instance_hour: {db.r6g.large: ...}'); "
        "replaces the default table wherever the program gives none",
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        type=Path,
        dest="json_file",
        help="also write the plan as JSON (format obs-platform.plan/1); '-' writes only the "
        "JSON, to stdout (the tree and messages go to stderr or are left out)",
    )
    parser.add_argument(
        "--diagram",
        metavar="FILE",
        type=Path,
        dest="diagram_file",
        help="also draw the plan with graphviz: accounts, regions, components and "
        "cross-region links (.svg, .png, .pdf or .dot)",
    )
    add_program_options(parser)
    parser.set_defaults(handler=handle)


def stack_outputs_option(values: list[str]) -> dict[str, Any]:
    """Parse ``--stack-outputs [STACK=]FILE`` options into ``run_program``'s ``stack_outputs``.

    Raises:
        CommandError: If a file cannot be read, or a plain outputs file has no stack name.
    """
    from ..testing._references import read_stack_outputs

    result: dict[str, Any] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep:
            name, path = "", value
        outputs = read_stack_outputs(path)
        if not name:
            if outputs.project_stack is None:
                raise CommandError(
                    f"--stack-outputs {value}: {path} is not a plan JSON, so it does not say "
                    "which stack it holds. Name it: --stack-outputs "
                    f"ORG/PROJECT/STACK={path} (the name the program passes to "
                    "pulumi.StackReference)."
                )
            name = outputs.project_stack
        result[name] = outputs
    return result


class _Progress:
    """The count of resources registered so far, on stderr while a program runs (a TTY only)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._last = 0.0

    def __call__(self, count: int, resource: Any) -> None:
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        noun = "resource" if count == 1 else "resources"
        line = f"Registered {count} {noun}: {resource.type} {resource.name}"
        columns = shutil.get_terminal_size((100, 20)).columns
        sys.stderr.write("\r" + line[: columns - 1].ljust(columns - 1))
        sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled and self._last:
            columns = shutil.get_terminal_size((100, 20)).columns
            sys.stderr.write("\r" + " " * (columns - 1) + "\r")
            sys.stderr.flush()


def _read_option_file(path: Path, option: str, holds: str) -> dict[str, Any]:
    """Read the YAML or JSON mapping an option names.

    Raises:
        CommandError: If the file is missing or not a mapping, saying what it should hold.
    """
    from ..testing._project import ProjectError, _read_yaml

    try:
        return _read_yaml(path, f"{option.lstrip('-')} file")
    except OSError as exc:
        raise CommandError(
            f"cannot read {path}: {exc.strerror}. Give {option} a YAML or JSON file of {holds}."
        ) from None
    except ProjectError as exc:
        raise CommandError(str(exc)) from None


def read_secrets(path: Path | None) -> dict[str, str]:
    """Read ``--secrets FILE``: offline values of secret config keys (never printed).

    Raises:
        CommandError: If the file is missing, malformed, or not a mapping of strings.
    """
    if path is None:
        return {}
    data = _read_option_file(path, "--secrets", "'key: value' lines")
    bad = sorted(k for k, v in data.items() if not isinstance(v, str | int | float | bool))
    if bad:
        raise CommandError(
            f"{path}: the values of {bad} are not plain values; each key maps to its secret "
            "as a string (values are not shown here)."
        )
    return {str(k): str(v) for k, v in data.items()}


def read_prices(path: Path | None) -> PriceTable | None:
    """Read ``--prices FILE`` into a :class:`PriceTable` (its ``source`` names the file).

    Raises:
        CommandError: If the file is missing, malformed, or not valid PriceTable fields.
    """
    if path is None:
        return None
    from .._internal.cost import PriceTable
    from .._internal.errors import ArgsError

    data = _read_option_file(path, "--prices", "PriceTable fields")
    try:
        return PriceTable.model_validate({"source": f"--prices {path}", **data})
    except ArgsError as exc:
        raise CommandError(f"{path}: {exc}") from None


def handle(args: argparse.Namespace) -> int:
    """Run ``plan``."""
    from ..testing import load_program
    from ..testing.render import render_plan

    to_stdout = args.json_file is not None and str(args.json_file) == "-"
    prices = read_prices(args.prices_file)
    program = load_program(args.program_dir, args.stack)
    if args.stack is None:
        print(f"Stack '{program.stack}': {program.stack_reason}.", file=sys.stderr)
    progress = _Progress()
    # The engine's logger would print each warning as it comes; they are printed once, below.
    engine_log = logging.getLogger("obs_platform.engine")
    engine_log_was_disabled = engine_log.disabled
    engine_log.disabled = True
    from .._internal.cost import prices_for_run

    # The table replaces the defaults while the program runs (in this process).
    scope = prices_for_run(prices) if prices is not None else nullcontext()
    try:
        with scope:
            plan = run_checked(
                args.program_dir,
                program.stack,
                args.timeout_seconds,
                stack_outputs=stack_outputs_option(args.stack_outputs),
                secret_values=read_secrets(args.secrets_file),
                progress=progress if progress.enabled else None,
            )
    finally:
        progress.clear()
        engine_log.disabled = engine_log_was_disabled
    for diagnostic in plan.diagnostics:  # also in the plan JSON's "diagnostics"
        print(diagnostic, file=sys.stderr)
    report = sys.stderr if to_stdout else sys.stdout
    if to_stdout:
        sys.stdout.write(plan.dumps())
    else:
        print(render_plan(plan), end="")
        if args.json_file is not None:
            write_file(args.json_file, plan.dumps(), "--json")
            print(f"\nPlan JSON written to {args.json_file}")
    if args.diagram_file is not None:
        from ..diagram import render

        render(plan, args.diagram_file)
        print(f"\nDiagram written to {args.diagram_file}", file=report)
    return 0
