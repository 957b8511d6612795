"""What makes ``obs-platform plan`` fast, kept honest: same positions, same errors, same output.

The figures are printed by ``benchmarks/synth.py``; these tests only pin the behaviour that the
speed-ups must not change.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import subprocess
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime.sync_await import _ensure_event_loop

from conftest import shared_account_plan_json
from obs_platform.cli import _offline, main
from obs_platform.cli._offline import run_offline
from obs_platform.testing import ProgramError, engine, run

PROGRAMS = Path(__file__).parent / "programs"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(autouse=True)
def quiet_refusal():
    """After each test, finish what its failed run left on Pulumi's event loop, quietly.

    A refused registration fails every output future of its resource, and the tasks waiting
    on them stay suspended on the loop after the run has failed. Left alone, they are
    collected later, in another test's time, with one "Future exception was never retrieved"
    log record each (and, on Python 3.11.7, such a collection inside ``ast.parse`` trips
    "AST constructor recursion depth mismatch"). The engine's own behaviour is unchanged.
    """
    yield
    loop = _ensure_event_loop()
    left = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in left:
        task.cancel()
    asyncio_log = logging.getLogger("asyncio")
    was = asyncio_log.disabled
    asyncio_log.disabled = True
    try:
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        del left
        gc.collect()
    finally:
        asyncio_log.disabled = was


class _Resource:
    """Three ``__init__`` levels, as Resource <- CustomResource <- a provider class."""

    def __init__(self, capture) -> None:
        self.trace = capture()


class _Custom(_Resource):
    def __init__(self, capture) -> None:
        super().__init__(capture)


class _Concrete(_Custom):
    def __init__(self, capture) -> None:
        super().__init__(capture)


def _positions(trace) -> list[tuple[str, int]]:
    return [(frame.pc.uri, frame.pc.line) for frame in trace.frames]


def test_call_site_is_the_position_pulumi_would_send() -> None:
    ours = _Concrete(engine._call_site_trace).trace
    line = sys._getframe().f_lineno - 1
    theirs = _Concrete(pulumi_resource._get_stack_trace).trace
    uri = Path(__file__).resolve().as_uri()
    # Pulumi's first frame is the request's sourcePosition; ours is the same frame...
    assert _positions(ours)[0] == (uri, line)
    assert _positions(theirs)[0] == (uri, line + 2)
    assert pulumi_resource._get_source_position(ours).uri == uri
    # ...alone, since this test file is the program's own code: no walk up the whole stack.
    assert len(ours.frames) == 1
    assert len(theirs.frames) > 3


def test_call_site_outside_a_resource_constructor_is_empty_like_pulumis() -> None:
    assert list(engine._call_site_trace().frames) == []
    assert list(pulumi_resource._get_stack_trace().frames) == []


def test_pulumis_stack_trace_is_put_back_after_a_run() -> None:
    original = pulumi_resource._get_stack_trace
    seen = []

    def program() -> None:
        seen.append(pulumi_resource._get_stack_trace)
        aws.s3.Bucket("logs")

    run(program, config={"aws:region": "eu-west-1"})
    assert seen == [engine._call_site_trace]
    assert pulumi_resource._get_stack_trace is original


def test_refused_read_names_the_program_line_in_the_engine_and_the_cli(capsys) -> None:
    with pytest.raises(ProgramError) as caught:
        engine.run_program(PROGRAMS / "refused_read")
    main_py = (PROGRAMS / "refused_read" / "__main__.py").resolve()
    assert caught.value.location == f"{main_py}:5"
    assert isinstance(caught.value.original, NotImplementedError)

    assert main(["plan", str(PROGRAMS / "refused_read")]) == 2
    err = capsys.readouterr().err
    assert f"the program failed at {main_py}:5: NotImplementedError: " in err
    assert "concurrent/futures" not in err and "site-packages" not in err


def _refusing(monkeypatch, refused_type: str) -> None:
    answer = engine.answer_resource

    def refuse(ctx):
        if ctx.type == refused_type:
            raise ValueError(f"refused {ctx.name}")
        return answer(ctx)

    monkeypatch.setattr(engine, "answer_resource", refuse)


def test_refused_registration_names_the_line_that_created_the_resource(monkeypatch) -> None:
    _refusing(monkeypatch, "aws:s3/bucket:Bucket")

    class Pair(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("test:index:Pair", name)
            aws.s3.Bucket(f"{name}-b", opts=pulumi.ResourceOptions(parent=self))

    bucket_line = Pair.__init__.__code__.co_firstlineno + 2
    with pytest.raises(ProgramError, match="refused pair-b") as caught:
        run(lambda: Pair("pair"), config={"aws:region": "eu-west-1"})
    assert caught.value.location == f"{Path(__file__).resolve()}:{bucket_line}"


def test_refused_child_of_a_library_component_names_the_programs_line(monkeypatch) -> None:
    from obs_platform import Ipam

    _refusing(monkeypatch, "aws:ec2/vpcIpamPool:VpcIpamPool")

    def program() -> None:
        Ipam("core", {"regions": ["eu-west-1", "us-east-1"]})

    line = program.__code__.co_firstlineno + 1
    with pytest.raises(ProgramError, match="refused core-") as caught:
        run(program, config={"aws:region": "eu-west-1"})
    # The pool is created deep inside obs_platform; the position is the program's Ipam line.
    assert caught.value.location == f"{Path(__file__).resolve()}:{line}"


def test_program_errors_keep_no_location_when_the_program_itself_raised() -> None:
    def program() -> None:
        raise KeyError("replica")

    with pytest.raises(ProgramError) as caught:
        run(program)
    assert caught.value.location is None


def test_console_run_freezes_the_run_and_turns_the_collector_back_on(monkeypatch) -> None:
    monkeypatch.setattr(_offline, "process_ends_after_command", True)
    assert gc.isenabled()
    try:
        plan = run_offline(PROGRAMS / "basic", None)
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert plan.project == "basic"


def test_in_process_main_leaves_the_heap_collectable(capsys) -> None:
    assert _offline.process_ends_after_command is False
    assert main(["plan", str(PROGRAMS / "basic")]) == 0
    assert "Plan for project 'basic'" in capsys.readouterr().out
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def _in_fresh_process(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )


def test_plan_does_not_import_the_dr_operations_code() -> None:
    result = _in_fresh_process(
        "import sys, io, contextlib\n"
        "from obs_platform.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['plan', {str(EXAMPLES / 'app-cells')!r}, '--stack-outputs', "
        f"{str(shared_account_plan_json())!r}])\n"
        "print(code, sorted(m for m in sys.modules if m.startswith('obs_platform.ops')))\n"
    )
    assert result.stdout.strip() == "0 []", result.stderr[-3000:]


def test_console_exit_keeps_the_whole_output_and_the_exit_code(tmp_path) -> None:
    target = tmp_path / "plan.json"
    result = subprocess.run(
        [sys.executable, "-m", "obs_platform", "plan", str(PROGRAMS / "basic"), "--json", target],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Plan for project 'basic', stack 'test': 7 resources")
    assert result.stdout.endswith(f"Plan JSON written to {target}\n")
    assert target.read_text(encoding="utf-8").endswith("}\n")

    failed = subprocess.run(
        [sys.executable, "-m", "obs_platform", "plan", str(PROGRAMS / "user_error")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert failed.returncode == 2
    assert failed.stderr.endswith("(run with --debug for the full traceback)\n")
