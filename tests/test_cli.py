"""The command line: ``plan`` output and JSON, error paths, ``--version`` and ``--help``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from obs_platform import __version__
from obs_platform.cli import COMMAND_MODULES, build_parser, main

PROGRAMS = Path(__file__).parent / "programs"


def test_plan_prints_tree_counts_outputs_and_writes_json(tmp_path, capsys) -> None:
    target = tmp_path / "out" / "plan.json"
    assert main(["plan", str(PROGRAMS / "basic"), "--json", str(target)]) == 0
    text = capsys.readouterr().out
    assert "Plan for project 'basic', stack 'test': 7 resources (1 components, 6 custom)" in text
    assert "├─ test:index:BucketPair  basic" in text
    assert "│  ├─ aws:s3/bucket:Bucket  basic-b0  [us-west-2] protected" in text
    assert "aws:kms/key:Key  standby-key  [us-east-2] retained" in text
    assert "     2  aws:s3/bucket:Bucket" in text
    assert "  password       [secret]" in text
    document = json.loads(target.read_text())
    assert document["format"] == "obs-platform.plan/1"
    assert document["stack"] == "test"
    assert len(document["resources"]) == 8  # the stack and seven resources
    assert "AAABAJ3Ykdy" not in target.read_text()


def test_stack_option_selects_the_stack_file(tmp_path, capsys) -> None:
    program = tmp_path / "prog"
    shutil.copytree(PROGRAMS / "basic", program)
    (program / "Pulumi.prod.yaml").write_text(
        "config:\n  aws:region: ap-south-1\n  basic:replicas: 5\n"
        "  basic:dbPassword:\n    secure: xyz\n  basic:labels: {}\n"
    )
    assert main(["plan", str(program), "--stack", "test"]) == 0
    assert "  replicas       2" in capsys.readouterr().out
    assert main(["plan", str(program), "--stack", "prod"]) == 0
    out = capsys.readouterr().out
    assert "  replicas       5" in out and "stack 'prod'" in out
    assert main(["plan", str(program), "--stack", "qa"]) == 2
    err = capsys.readouterr().err
    assert "has no Pulumi.qa.yaml; its stacks are: prod, test" in err


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({}, "holds no Pulumi.yaml"),
        ({"Pulumi.yaml": "name: [unclosed\n"}, "is not valid YAML at line 2"),
        ({"Pulumi.yaml": "runtime: python\n"}, "has no 'name'"),
        ({"Pulumi.yaml": "name: x\nruntime: nodejs\n"}, "runs Python programs only"),
        ({"Pulumi.yaml": "name: x\nruntime: python\n"}, "has no __main__.py to run"),
    ],
)
def test_broken_project_files_get_a_short_message(tmp_path, capsys, files, expected) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert main(["plan", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_invalid_component_args_name_component_field_value_and_fix(capsys) -> None:
    assert main(["plan", str(PROGRAMS / "bad_args")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "Stack 'dev': there is no stack file: the default, without configuration.\n"
    )
    assert "\nobs-platform plan: One 'primary': invalid arguments:" in err
    assert "OneArgs.region (got 'eu-wset-1')" in err
    assert "Did you mean 'eu-west-1'?" in err
    assert "Traceback" not in err


def test_exception_in_user_code_points_at_the_line(capsys) -> None:
    assert main(["plan", str(PROGRAMS / "user_error")]) == 2
    err = capsys.readouterr().err
    assert "the program failed at " in err
    assert "user_error/__main__.py:4: KeyError: 'replica'" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "obs_platform", "--debug", "plan", str(PROGRAMS / "user_error")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "KeyError: 'replica'" in result.stderr


def test_unwritable_json_path(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["plan", str(PROGRAMS / "basic"), "--json", str(blocker / "plan.json")]) == 2
    assert "Choose a writable path for --json" in capsys.readouterr().err


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"obs-platform {__version__}"


def test_every_command_has_help(capsys) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(COMMAND_MODULES) <= set(subparsers.choices)
    for command in subparsers.choices:
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"])
        assert exited.value.code == 0
        assert f"usage: obs-platform {command}" in capsys.readouterr().out


def test_console_script_is_installed() -> None:
    script = shutil.which("obs-platform", path=str(Path(sys.executable).parent))
    assert script is not None
    result = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"obs-platform {__version__}"
