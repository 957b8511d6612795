"""Both examples pass every guardrail with zero error violations, under the offline engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import app_cells_stack_outputs
from obs_platform.guardrails import CONFIG_FILE, check_plan, load_config
from obs_platform.testing import load_program, run_program

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("example", ["shared-account", "app-cells"])
def test_example_has_no_guardrail_errors(example: str) -> None:
    directory = EXAMPLES / example
    assert (directory / "Pulumi.yaml").is_file(), f"example {example} is missing"
    program = load_program(directory)
    config = load_config(directory / CONFIG_FILE, stack_config=program.config)
    plan = run_program(
        directory,
        program.stack,
        stack_outputs=app_cells_stack_outputs() if example == "app-cells" else None,
    )
    report = check_plan(plan, config)
    errors = [f"{v.rule} {v.type} {v.name}: {v.detail}" for v in report.errors]
    assert errors == []
    assert report.unused_waivers == ()
    assert len(plan.resources) > 1
