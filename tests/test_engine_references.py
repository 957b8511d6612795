"""``pulumi.StackReference`` offline: outputs from another program's plan JSON or a file."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from obs_platform.cli import main
from obs_platform.testing import ProgramError, run
from obs_platform.testing._references import StackReferenceError


def _reader() -> None:
    shared = pulumi.StackReference("acme/shared-account/prod")
    pulumi.export("pools", shared.get_output("regional_pool_ids"))
    pulumi.export("kubeconfig", shared.get_output("kubeconfig"))
    pulumi.export("missing", shared.get_output("no_such_output"))


def _plan_json(tmp_path: Path) -> Path:
    path = tmp_path / "shared.json"
    path.write_text(
        json.dumps(
            {
                "format": "obs-platform.plan/1",
                "project": "shared-account",
                "stack": "prod",
                "resources": [],
                "outputs": {
                    "regional_pool_ids": {"eu-west-1": "ipam-pool-1"},
                    "kubeconfig": "[secret]",
                },
                "dr": [],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_a_plan_json_answers_the_reference_by_project_and_stack(tmp_path: Path) -> None:
    plan = run(_reader, stack_outputs={"shared-account/prod": _plan_json(tmp_path)})
    assert plan.outputs["pools"] == {"eu-west-1": "ipam-pool-1"}
    assert plan.outputs["kubeconfig"] == "[secret]"  # still a secret: written as [secret]
    assert "missing" not in plan.outputs  # get_output of an absent name is None
    reference = plan.by_type("pulumi:pulumi:StackReference")[0]
    assert reference.name == "acme/shared-account/prod"
    assert reference.outputs["secretOutputNames"] == ["kubeconfig"]


def test_an_outputs_mapping_answers_the_full_name() -> None:
    plan = run(
        _reader,
        stack_outputs={"acme/shared-account/prod": {"regional_pool_ids": {"us-east-1": "p"}}},
    )
    assert plan.outputs["pools"] == {"us-east-1": "p"}


def test_a_reference_without_outputs_names_the_stack_and_the_option() -> None:
    with pytest.raises(ProgramError) as caught:
        run(_reader, stack_outputs={"other/stack": {}})
    assert isinstance(caught.value.original, StackReferenceError)
    message = str(caught.value)
    assert "pulumi.StackReference('acme/shared-account/prod') has no outputs offline" in message
    assert "outputs given for: other/stack" in message
    assert "--stack-outputs acme/shared-account/prod=PLAN.json" in message


def _program_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "cells"
    directory.mkdir(exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: cells\nruntime: python\n", encoding="utf-8")
    (directory / "__main__.py").write_text(
        "import pulumi\n"
        "ref = pulumi.StackReference('acme/shared-account/prod')\n"
        "pulumi.export('pools', ref.get_output('regional_pool_ids'))\n",
        encoding="utf-8",
    )
    return directory


def test_cli_reads_a_plan_json_without_a_name(tmp_path: Path, capsys) -> None:
    target = tmp_path / "cells.json"
    shared = _plan_json(tmp_path)
    code = main(
        ["plan", str(_program_dir(tmp_path)), "--stack-outputs", str(shared), "--json", str(target)]
    )
    assert code == 0, capsys.readouterr().err
    assert json.loads(target.read_text())["outputs"]["pools"] == {"eu-west-1": "ipam-pool-1"}


def test_cli_needs_a_name_for_a_plain_outputs_file(tmp_path: Path, capsys) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"regional_pool_ids": {}}), encoding="utf-8")
    assert main(["plan", str(_program_dir(tmp_path)), "--stack-outputs", str(outputs)]) == 2
    err = capsys.readouterr().err
    assert "is not a plan JSON, so it does not say which stack it holds" in err
    named = f"acme/shared-account/prod={outputs}"
    assert main(["plan", str(_program_dir(tmp_path)), "--stack-outputs", named]) == 0


def test_cli_says_when_the_outputs_file_is_missing(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope.json"
    assert main(["plan", str(_program_dir(tmp_path)), "--stack-outputs", str(missing)]) == 2
    assert f"cannot read stack outputs from {missing}" in capsys.readouterr().err
