"""``obs-platform plan`` as Pulumi users expect it: streams, stacks, secrets, errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from obs_platform._component import validate_args
from obs_platform._internal.alertmanager import PagerDutyReceiver, SlackReceiver, WebhookReceiver
from obs_platform._internal.errors import ObsPlatformError
from obs_platform.cli import main
from obs_platform.observability.args import ObservabilityStackArgs
from obs_platform.testing import ProgramError, ProjectError, load_program, offline_secret, run

PROGRAM = """\
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
pulumi.log.warn("the bucket is not replicated")
aws.s3.Bucket("logs")
token = config.require_secret("apiToken")
pulumi.export("token", token)
pulumi.export("token_length", token.apply(len))
"""


def _program(tmp_path: Path, *stacks: str, main: str = PROGRAM) -> Path:
    directory = tmp_path / "prog"
    directory.mkdir(exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: prog\nruntime: python\n", encoding="utf-8")
    for stack in stacks:
        (directory / f"Pulumi.{stack}.yaml").write_text(
            "config:\n  aws:region: eu-west-1\n  prog:apiToken:\n    secure: v1:abc\n",
            encoding="utf-8",
        )
    (directory / "__main__.py").write_text(main, encoding="utf-8")
    return directory


def test_json_dash_writes_only_the_json_to_stdout(tmp_path: Path, capsys) -> None:
    assert main(["plan", str(_program(tmp_path, "dev")), "--json", "-"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)  # stdout is the JSON and nothing else
    assert document["format"] == "obs-platform.plan/1"
    assert "Plan for project" not in captured.out
    assert "Stack 'dev': Pulumi.dev.yaml is the only stack file." in captured.err


def test_warnings_are_in_the_plan_json_and_on_stderr(tmp_path: Path, capsys) -> None:
    target = tmp_path / "plan.json"
    assert main(["plan", str(_program(tmp_path, "dev")), "--json", str(target)]) == 0
    assert "the bucket is not replicated" in capsys.readouterr().err
    document = json.loads(target.read_text())
    assert document["diagnostics"] == [
        {"severity": "warning", "message": "the bucket is not replicated"}
    ]


def test_several_stack_files_are_refused_and_listed(tmp_path: Path, capsys) -> None:
    directory = _program(tmp_path, "dev", "prod")
    with pytest.raises(ProjectError, match=r"several stacks \(dev, prod\) and none was chosen"):
        load_program(directory)
    assert main(["plan", str(directory)]) == 2
    err = capsys.readouterr().err
    assert "Pass one of them with --stack" in err
    assert "--debug" not in err  # an input error says everything; no traceback hint
    assert main(["plan", str(directory), "--stack", "prod"]) == 0
    assert "Stack '" not in capsys.readouterr().err  # chosen by the user: nothing to say


def test_progress_on_a_terminal_only(tmp_path: Path, capsys, monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    directory = _program(tmp_path, "dev")
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["plan", str(directory)]) == 0
    assert "\rRegistered 1 resource: pulumi:pulumi:Stack prog-dev" in terminal.getvalue()
    monkeypatch.undo()
    assert main(["plan", str(directory)]) == 0
    assert "Registered" not in capsys.readouterr().err  # not a terminal: quiet


def test_secrets_file_values_reach_the_program_and_nowhere_else(tmp_path: Path, capsys) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("apiToken: s3cr3t-value-123\n", encoding="utf-8")
    target = tmp_path / "plan.json"
    directory = _program(tmp_path, "dev")
    args = ["plan", str(directory), "--secrets", str(secrets), "--json", str(target)]
    assert main(args) == 0
    captured = capsys.readouterr()
    document = json.loads(target.read_text())
    assert document["outputs"]["token"] == "[secret]"
    assert document["outputs"]["token_length"] == "[secret]"
    assert "s3cr3t-value-123" not in captured.out + captured.err + target.read_text()


def test_secret_value_given_in_python_is_used() -> None:
    seen: list[int] = []

    def program() -> None:
        import pulumi

        pulumi.Config().require_secret("apiToken").apply(lambda v: seen.append(len(v)))

    run(program, config={"project:apiToken": "abcd"}, secret_keys={"project:apiToken"})
    assert seen == [4]


def test_default_offline_secrets_pass_the_librarys_validators() -> None:
    slack = offline_secret("shared-account:slackWebhookUrl")
    assert slack.startswith("https://offline-secret.invalid/")
    SlackReceiver(name="team", api_url=slack)
    WebhookReceiver(name="hook", url=offline_secret("shared-account:webhookUrl"))
    PagerDutyReceiver(name="oncall", routing_key=offline_secret("p:pagerdutyRoutingKey"))
    password = offline_secret("shared-account:grafanaAdminPassword")
    assert 8 <= len(password) <= 41 and not set('/"@') & set(password)
    assert offline_secret("a:b") == offline_secret("a:b") != offline_secret("a:c")


def test_misspelt_and_camel_case_fields_get_did_you_mean() -> None:
    with pytest.raises(ObsPlatformError) as caught:
        validate_args(
            ObservabilityStackArgs,
            {"region": "eu-west-1", "drRegion": "us-east-1", "scael": "monolithic"},
            component="ObservabilityStack 'obs'",
        )
    message = str(caught.value)
    assert "did you mean 'dr_region'? Python argument names are snake_case" in message
    assert "ObservabilityStackArgs.scael (got 'monolithic')" in message
    assert "did you mean 'scale'?" in message
    assert "errors.pydantic.dev" not in message


def test_cli_formats_a_programs_invalid_args(tmp_path: Path, capsys) -> None:
    directory = _program(
        tmp_path,
        main="from obs_platform import CellArgs\nCellArgs(region='eu-west-1', drStrategy='x')\n",
    )
    assert main(["plan", str(directory)]) == 2
    err = capsys.readouterr().err
    assert f"the program's arguments are invalid at {directory / '__main__.py'}:2: CellArgs:" in err
    assert "CellArgs.drStrategy (got 'x'): unknown field" in err
    assert "did you mean 'dr_strategy'?" in err
    assert "errors.pydantic.dev" not in err and "--debug" not in err


def test_a_programs_own_bug_keeps_the_traceback_hint(tmp_path: Path, capsys) -> None:
    directory = _program(tmp_path, main="settings = {}\nprint(settings['replicas'])\n")
    assert main(["plan", str(directory)]) == 2
    err = capsys.readouterr().err
    assert "KeyError: 'replicas'" in err
    assert "(run with --debug for the full traceback)" in err


def test_debug_after_the_subcommand_raises_with_the_cause(tmp_path: Path) -> None:
    directory = _program(tmp_path, main="settings = {}\nprint(settings['replicas'])\n")
    with pytest.raises(ProgramError) as caught:
        main(["plan", str(directory), "--debug"])
    assert isinstance(caught.value.__cause__, KeyError)
    assert caught.value.original is caught.value.__cause__
    with pytest.raises(ProgramError):
        main(["--debug", "plan", str(directory)])
