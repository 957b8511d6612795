"""Programs that exit, hang, register nothing or hand over hostile YAML fail ``plan``/``check``.

Each case used to pass: ``sys.exit(0)`` gave an empty, passing ``check`` with no output; a hang
never returned; a 1 KB alias bomb in a stack file exhausted memory once JSON-encoded.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from obs_platform.cli import main
from obs_platform.testing import (
    ProgramError,
    ProgramExitError,
    ProgramTimeoutError,
    run,
    run_program,
)

BUCKET = "import pulumi_aws as aws\naws.s3.Bucket('logs')\n"


def _program(tmp_path: Path, body: str, stack_yaml: str | None = None) -> Path:
    directory = tmp_path / "prog"
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text("name: hostile\nruntime: python\n")
    (directory / "__main__.py").write_text(textwrap.dedent(body))
    if stack_yaml is not None:
        (directory / "Pulumi.dev.yaml").write_text(stack_yaml)
    return directory


@pytest.mark.parametrize("command", ["plan", "check"])
@pytest.mark.parametrize(
    ("body", "called"),
    [
        (BUCKET + "import sys\nsys.exit(0)\n", "sys.exit(0)"),
        (BUCKET + "import sys\nsys.exit(3)\n", "sys.exit(3)"),
        (BUCKET + "exit()\n", "sys.exit(None)"),
        (BUCKET + "import os\nos._exit(0)\n", "os._exit(0)"),
        (
            BUCKET + "import sys\nb = aws.s3.Bucket('more')\nb.id.apply(lambda _: sys.exit(0))\n",
            "sys.exit(0)",
        ),
    ],
)
def test_a_program_that_exits_fails_with_where_it_exited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, body: str, called: str
) -> None:
    program = _program(tmp_path, body)
    report = tmp_path / "out.json"
    code = main([command, str(program), "--json", str(report)])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"the program called {called}" in err
    assert f"{program / '__main__.py'}:" in err or "lambda" in body
    assert "A Pulumi program must not end the process" in err
    assert "PASSED" not in out and not report.exists()


def test_run_reports_the_exit_code_and_the_process_survives() -> None:
    import os

    def program() -> None:
        os._exit(7)

    with pytest.raises(ProgramError) as caught:
        run(program)
    assert isinstance(caught.value.original, ProgramExitError)
    assert caught.value.original.code == 7
    assert os._exit.__module__ == "posix"  # restored after the run


@pytest.mark.parametrize("command", ["plan", "check"])
def test_a_program_that_registers_nothing_is_not_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    program = _program(tmp_path, "import pulumi\nif False:\n    pulumi.export('x', 1)\n")
    code = main([command, str(program)])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"the program in {program} registered no resources (stack dev)" in err
    assert "An empty plan is not a pass" in err
    assert "PASSED" not in out


def test_a_program_that_sleeps_is_stopped_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(tmp_path, "import time\ntime.sleep(600)\n" + BUCKET)
    started = time.monotonic()
    code = main(["check", str(program), "--timeout", "0.5"])
    elapsed = time.monotonic() - started
    _, err = capsys.readouterr()
    assert code == 2
    assert elapsed < 10
    assert "the program did not finish within 0.5 s" in err
    assert f"still running at {program / '__main__.py'}:2 (time.sleep(600))" in err
    assert "--timeout SECONDS" in err


def test_a_program_that_swallows_the_interruption_ends_the_process(tmp_path: Path) -> None:
    body = """
        import time
        while True:
            try:
                time.sleep(600)
            except BaseException:
                pass
    """
    program = _program(tmp_path, body)
    done = subprocess.run(
        [sys.executable, "-m", "obs_platform.cli", "plan", str(program), "--timeout", "0.3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "the program did not finish within 0.3 s" in done.stderr
    assert "swallowed every interruption, so the process ends here" in done.stderr


def test_an_output_that_never_resolves_names_the_waiting_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = """
        import asyncio
        import pulumi
        import pulumi_aws as aws
        never = pulumi.Output.from_input(asyncio.get_event_loop().create_future())
        aws.s3.Bucket("stuck", bucket=never)
    """
    program = _program(tmp_path, body)
    assert main(["plan", str(program), "--timeout", "5"]) == 2
    err = capsys.readouterr().err
    assert "the program did not finish within 5 s: it was waiting for" in err
    assert "the registration of 'stuck' (aws:s3/bucket:Bucket), whose inputs never resolved" in err
    # the next run in this process starts on a clean event loop
    plan = run_program(_program(tmp_path / "next", BUCKET))
    assert [r.name for r in plan.resources] == ["hostile-dev", "logs"]


def test_run_accepts_a_limit_and_refuses_a_bad_one() -> None:
    def program() -> None:
        time.sleep(30)

    with pytest.raises(ProgramError) as caught:
        run(program, timeout_seconds=0.2)
    assert isinstance(caught.value.original, ProgramTimeoutError)
    assert caught.value.original.timeout_seconds == 0.2
    for bad in (float("nan"), float("inf"), 0.0, -1.0):
        with pytest.raises(ValueError, match="is not a time limit"):
            run(lambda: None, timeout_seconds=bad)


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-5", "soon"])
def test_timeout_option_refuses_non_finite_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    program = _program(tmp_path, BUCKET)
    with pytest.raises(SystemExit) as caught:
        main(["plan", str(program), "--timeout", value])
    assert caught.value.code == 2
    assert "is not a time limit: give a finite number of seconds above 0" in (
        capsys.readouterr().err
    )


def _alias_bomb() -> str:
    """A 1 KB stack file whose aliases expand to 10**9 values."""
    lines = ["config:", "  hostile:l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        lines.append(f"  hostile:l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("stack_yaml", "expected"),
    [
        (_alias_bomb(), "values once its aliases"),
        ("config:\n  hostile:deep: " + "[" * 5000 + "]" * 5000 + "\n", "nesting deeper than 64"),
        ("config:\n  hostile:big: '" + "x" * (5 * 1024 * 1024) + "'\n", "larger than 4 MiB"),
    ],
)
def test_hostile_stack_files_are_refused_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stack_yaml: str, expected: str
) -> None:
    program = _program(tmp_path, BUCKET, stack_yaml)
    assert main(["plan", str(program)]) == 2
    err = capsys.readouterr().err
    assert f"{program / 'Pulumi.dev.yaml'} is refused: " in err and expected in err
    assert "Traceback" not in err and "RecursionError" not in err


def test_deeply_nested_input_fails_without_recursion_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = """
        import pulumi_aws as aws
        tags = {}
        inner = tags
        for _ in range(5000):
            inner["k"] = {}
            inner = inner["k"]
        aws.s3.Bucket("deep", tags=tags)
    """
    program = _program(tmp_path, body)
    assert main(["plan", str(program)]) == 2
    err = capsys.readouterr().err
    assert "recursed too deeply" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("read", "flagged"),
    [("cfg.require('dbPassword')", True), ("cfg.require_secret('dbPassword')", False)],
)
def test_a_secure_value_read_as_plain_text_warns_and_fails_the_guardrail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], read: str, flagged: bool
) -> None:
    body = f"""
        import pulumi
        import pulumi_aws as aws
        cfg = pulumi.Config()
        password = {read}
        aws.ssm.Parameter(
            "db",
            type="String",
            value="x",
            description=password,
            tags={{"obs-platform:managed-by": "test"}},
        )
    """
    program = _program(tmp_path, body, "config:\n  hostile:dbPassword:\n    secure: AAABAxyz\n")
    plan = run_program(program)
    warning = (
        "warning: configuration 'hostile:dbPassword' is a secret (secure: in the stack file) "
        "but the program reads it with Config.require, so what it passes on is stored in "
        "plain text in the state; use Config.require_secret instead"
    )
    assert (warning in plan.diagnostics) is flagged, plan.diagnostics
    code = main(["check", str(program)])
    out = capsys.readouterr().out
    assert ("ERROR   secure-config-plaintext  aws:ssm/parameter:Parameter  db" in out) is flagged
    assert ("a secure: config value is in plain text at description" in out) is flagged
    assert code == (1 if flagged else 0), out


def _in_a_thread(call: Any) -> BaseException | None:
    """Run ``call`` in a worker thread (no signal handler can run there); return what it raised."""
    import threading

    raised: list[BaseException] = []

    def target() -> None:
        import asyncio

        try:
            call()
        except BaseException as exc:  # handed back to the test
            raised.append(exc)
        finally:
            # The engine runs on this thread's event loop; the thread owns it and closes it.
            asyncio.get_event_loop_policy().get_event_loop().close()

    worker = threading.Thread(target=target)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the time limit did not stop the run"
    return raised[0] if raised else None


def test_the_limit_holds_off_the_main_thread_naming_the_line() -> None:
    def program() -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # a busy loop: Python code, no signal reaches it
            pass

    caught: list[ProgramError] = []

    def call() -> None:
        try:
            run(program, timeout_seconds=0.3)
        except ProgramError as exc:
            caught.append(exc)
        # The watchdog repeats every second: once the run is over, nothing may reach the thread.
        time.sleep(1.5)
        sum(range(10**5))

    started = time.monotonic()
    assert _in_a_thread(call) is None
    assert time.monotonic() - started < 10
    [raised] = caught
    assert isinstance(raised.original, ProgramTimeoutError)
    assert "the program did not finish within 0.3 s: the program was still running at" in str(
        raised
    )
    assert "while time.monotonic() < deadline" in str(raised)


def test_the_limit_off_the_main_thread_wakes_a_waiting_event_loop() -> None:
    import asyncio

    import pulumi
    import pulumi_aws as aws

    def program() -> None:
        never = pulumi.Output.from_input(asyncio.get_event_loop().create_future())
        aws.s3.Bucket("stuck", bucket=never)

    raised = _in_a_thread(lambda: run(program, timeout_seconds=0.5))
    assert isinstance(raised, ProgramError)
    assert "the registration of 'stuck' (aws:s3/bucket:Bucket), whose inputs never resolved" in (
        str(raised)
    )
    # a finished run off the main thread leaves no deadline behind
    assert _in_a_thread(lambda: run(lambda: aws.s3.Bucket("fine"), timeout_seconds=5)) is None


def test_a_thread_blocked_in_a_c_call_ends_the_process(tmp_path: Path) -> None:
    script = tmp_path / "blocked.py"
    script.write_text(
        textwrap.dedent(
            """
            import threading, time
            from obs_platform.testing import run

            def blocked():
                run(lambda: time.sleep(600), timeout_seconds=0.3)

            worker = threading.Thread(target=blocked)
            worker.start()
            worker.join()
            """
        ),
        encoding="utf-8",
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert time.monotonic() - started < 60
    assert done.returncode == 2
    assert "the program did not finish within 0.3 s" in done.stderr
    assert "is blocked in a call that no interruption reaches, so the process ends here" in (
        done.stderr
    )
