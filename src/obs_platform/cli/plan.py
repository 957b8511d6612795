"""``obs-platform plan PROGRAM_DIR``: synthesise a program offline and show what it creates."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._errors import CommandError, write_file
from ._program import add_program_options, run_checked


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
        help="stack whose Pulumi.<NAME>.yaml to load (default: the first found)",
    )
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
        "--json",
        metavar="FILE",
        type=Path,
        dest="json_file",
        help="also write the plan as JSON (format obs-platform.plan/1)",
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


def handle(args: argparse.Namespace) -> int:
    """Run ``plan``."""
    from ..testing.render import render_plan

    plan = run_checked(
        args.program_dir,
        args.stack,
        args.timeout_seconds,
        stack_outputs=stack_outputs_option(args.stack_outputs),
    )
    print(render_plan(plan), end="")
    if args.json_file is not None:
        write_file(args.json_file, plan.dumps(), "--json")
        print(f"\nPlan JSON written to {args.json_file}")
    if args.diagram_file is not None:
        from ..diagram import render

        render(plan, args.diagram_file)
        print(f"\nDiagram written to {args.diagram_file}")
    return 0
