"""Scaling through the Automation API, with the workspace replaced by a fake stack."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult

from obs_platform.ops import OpsError
from obs_platform.ops.pulumi_scale import scale_with_pulumi


class FakeStack:
    def __init__(
        self,
        outcome: str = "succeeded",
        up_error: Exception | None = None,
        config: dict[str, str] | None = None,
    ) -> None:
        self.config = dict(config or {})
        self.outcome = outcome
        self.up_error = up_error
        self.up_messages: list[str] = []

    def get_config(self, key: str) -> auto.ConfigValue:
        if key not in self.config:
            raise auto.CommandError(CommandResult("", f"configuration key '{key}' not found", 255))
        return auto.ConfigValue(value=self.config[key])

    def set_config(self, key: str, value: auto.ConfigValue) -> None:
        self.config[key] = value.value

    def up(self, on_output: Any = None, message: str | None = None) -> Any:
        self.up_messages.append(str(message))
        if self.up_error:
            raise self.up_error
        if on_output:
            on_output("Resources: 2 updated")
        return SimpleNamespace(
            summary=SimpleNamespace(result=self.outcome, resource_changes={"update": 2})
        )


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: cells\nruntime: python\n")
    return tmp_path


def test_sets_replicas_and_runs_up(program: Path) -> None:
    stack = FakeStack(config={"replicas": "0"})
    lines: list[str] = []
    out = scale_with_pulumi(
        "standby", 4, program, select_stack=lambda n, d: stack, on_output=lines.append
    )
    assert out == {
        "stack": "standby",
        "replicas": 4,
        "previous": "0",
        "result": "succeeded",
        "changes": {"update": 2},
    }
    assert stack.config == {"replicas": "4"}
    assert stack.up_messages == ["obs-platform dr: replicas=4"]
    assert lines == ["Resources: 2 updated"]


def test_first_time_without_previous_value(program: Path) -> None:
    stack = FakeStack()
    assert scale_with_pulumi("s", 1, program, select_stack=lambda n, d: stack)["previous"] is None


def test_unknown_stack(program: Path) -> None:
    def select(name: str, work_dir: str) -> Any:
        raise auto.StackNotFoundError(CommandResult("", "no stack named 'x'", 255))

    with pytest.raises(OpsError, match=f"Pulumi stack 'x' does not exist in {program}"):
        scale_with_pulumi("x", 1, program, select_stack=select)


def test_failed_up_is_resumable(program: Path) -> None:
    stack = FakeStack(
        up_error=auto.CommandError(
            CommandResult("", "Updating...\nerror: update failed: eks node group quota", 255)
        )
    )
    with pytest.raises(
        OpsError, match="pulumi up on stack 's' failed: error: update failed"
    ) as info:
        scale_with_pulumi("s", 1, program, select_stack=lambda n, d: stack)
    assert info.value.resumable and info.value.exit_code == 3


def test_concurrent_update(program: Path) -> None:
    stack = FakeStack(up_error=auto.ConcurrentUpdateError(CommandResult("", "conflict", 255)))
    with pytest.raises(OpsError, match="another update of stack 's' is running"):
        scale_with_pulumi("s", 1, program, select_stack=lambda n, d: stack)


def test_update_that_did_not_succeed(program: Path) -> None:
    stack = FakeStack(outcome="failed")
    with pytest.raises(OpsError, match="ended with 'failed'"):
        scale_with_pulumi("s", 1, program, select_stack=lambda n, d: stack)


def test_bad_input(program: Path, tmp_path: Path) -> None:
    with pytest.raises(OpsError, match="negative"):
        scale_with_pulumi("s", -1, program, select_stack=lambda n, d: FakeStack())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(OpsError, match=r"holds no Pulumi\.yaml"):
        scale_with_pulumi("s", 1, empty, select_stack=lambda n, d: FakeStack())


def test_real_workspace_without_the_cli(program: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("pulumi"):
        pytest.skip("the Pulumi CLI is installed here; this checks the message when it is not")
    monkeypatch.setenv("PATH", str(program))
    with pytest.raises(OpsError, match="the Pulumi CLI is not installed"):
        scale_with_pulumi("s", 1, program)
