"""``obs-platform check PROGRAM_DIR``: run a program offline and hold it to the guardrails.

Exit codes: 0 when no unwaived error-severity rule fails, 1 when one does, 2 when the program or
the settings cannot be read.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import CommandError, write_file
from ._program import add_program_options, run_checked
from .plan import add_program_inputs, read_secrets, stack_outputs_option

if TYPE_CHECKING:
    from ..guardrails import Report, Violation


def register(subparsers: Any) -> None:
    """Add the ``check`` command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="check a Pulumi program against the security and data-safety guardrails",
        description=(
            "Run the Pulumi program in PROGRAM_DIR under the offline engine and check every "
            "resource against the guardrails. Prints each violation with its rule, resource, "
            "why and fix; exits 1 when an error-severity rule fails and is not waived. "
            "Waivers come from PROGRAM_DIR/guardrails.yaml (or --config) and --waive."
        ),
    )
    parser.add_argument(
        "program_dir",
        metavar="PROGRAM_DIR",
        type=Path,
        nargs="?",
        help="folder holding Pulumi.yaml and __main__.py",
    )
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help="stack whose Pulumi.<NAME>.yaml to load (default: the only stack file; with several, "
        "choosing one is required)",
    )
    parser.add_argument(
        "--json",
        metavar="FILE",
        type=Path,
        dest="json_file",
        help="also write the report as JSON (format obs-platform.check/1)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        dest="config_file",
        help="guardrails settings (default: PROGRAM_DIR/guardrails.yaml)",
    )
    parser.add_argument(
        "--waive",
        metavar="RULE:RESOURCE=REASON",
        action="append",
        default=[],
        help="waive one rule for one resource (logical name or URN), with the "
        "reason printed; repeatable",
    )
    parser.add_argument(
        "--list-rules",
        action="store_true",
        help="print the rules with their severity, rationale and fix, and exit",
    )
    add_program_inputs(parser)
    add_program_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run ``check``."""
    from ..guardrails import CONFIG_FILE, RULES, check_plan, load_config, parse_waiver
    from ..testing import load_program
    from ..testing.plan import STACK_TYPE

    if args.list_rules:
        for rule in RULES:
            print(f"{rule.id}  [{rule.severity.value}]  {rule.title}")
            print(_wrap("why", rule.rationale))
            print(_wrap("fix", rule.fix))
        return 0
    if args.program_dir is None:
        raise CommandError(
            "PROGRAM_DIR is required (or pass --list-rules). "
            "Example: obs-platform check examples/shared-account"
        )
    waivers = [parse_waiver(text) for text in args.waive]
    program = load_program(args.program_dir, args.stack)
    config_path = args.config_file
    if config_path is None:
        config_path = program.directory / CONFIG_FILE
    elif not config_path.is_file():
        raise CommandError(
            f"--config {config_path} does not exist. Pass the path of a "
            "guardrails.yaml, or leave --config out."
        )
    config = load_config(config_path, extra_waivers=waivers, stack_config=program.config)
    plan = run_checked(
        program.directory,
        program.stack,
        args.timeout_seconds,
        stack_outputs=stack_outputs_option(args.stack_outputs),
        secret_values=read_secrets(args.secrets_file),
    )
    report = check_plan(plan, config)
    counted = [r for r in plan.resources if r.type != STACK_TYPE]
    print(render_report(report, len(counted)), end="")
    if args.json_file is not None:
        write_file(args.json_file, json.dumps(report.to_json(), indent=2) + "\n", "--json")
        print(f"Report JSON written to {args.json_file}")
    return 0 if report.passed else 1


def _wrap(label: str, text: str) -> str:
    return textwrap.fill(
        text, width=100, initial_indent=f"    {label}: ", subsequent_indent=" " * (len(label) + 6)
    )


def _render_violation(violation: Violation) -> list[str]:
    status = "WAIVED" if violation.waived is not None else violation.severity.value.upper()
    lines = [
        f"{status:<8}{violation.rule}  {violation.type}  {violation.name}",
        _wrap("what", violation.detail),
        _wrap("why", violation.rationale),
        _wrap("fix", violation.fix),
    ]
    if violation.waived is not None:
        lines.append(_wrap("waived", violation.waived))
    return lines


def render_report(report: Report, resource_count: int) -> str:
    """Return the report as terminal text: violations, unused waivers and a summary line."""
    lines = [
        f"Guardrails for {report.project}/{report.stack}: {len(report.rules)} rules over "
        f"{resource_count} resources",
        "",
    ]
    ordered = [*report.errors, *report.warnings, *report.waived]
    for violation in ordered:
        lines.extend(_render_violation(violation))
        lines.append("")
    for waiver in report.unused_waivers:
        lines.append(
            f"UNUSED  waiver {waiver.rule}:{waiver.resource} matched no violation; "
            "remove it or fix the resource name"
        )
    if report.unused_waivers:
        lines.append("")
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(
        f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s), "
        f"{len(report.waived)} waived"
    )
    return "\n".join(lines) + "\n"
