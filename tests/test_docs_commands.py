"""The documented commands work as written: every shell step that can run offline is run.

Shell blocks (```` ```bash ````, ```` ```console ```` with ``$`` prompts, ``{code-block} bash``)
of the README, CONTRIBUTING, the examples' READMEs and the docs are read line by line. Each
command is either run here, offline, or classified as one that cannot run offline (the Pulumi
CLI, AWS, the network, setting up an environment) with the reason; an unclassified command fails
the test, so a new documented command is either run or explained. The commands run in order, in
a copy of the repository's examples, each block starting at the repository root (``cd`` moves
within a block), through the ``obs-platform`` command line in-process.

The examples' destroy steps are also run: their ``pulumi config set`` lines are applied to a copy
of the stack, whose offline plan must then protect nothing.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EXAMPLES, PROJECT_ROOT, app_cells_stack_outputs, find_tool
from obs_platform.cli import main
from obs_platform.testing import run_program

DOCUMENTS = sorted(
    [
        PROJECT_ROOT / "README.md",
        PROJECT_ROOT / "CONTRIBUTING.md",
        *EXAMPLES.glob("*/README.md"),
        *(
            p
            for p in (PROJECT_ROOT / "docs").rglob("*.md")
            if not {"_generated", "_build"} & set(p.parts)
        ),
    ]
)

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?:\{code-block\}[ \t]*)?(?P<lang>bash|console|sh|shell)[ \t]*\n"
    r"(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.S | re.M,
)

NOT_OFFLINE: dict[str, str] = {
    # The first word(s) of a command -> why it does not run here.
    "pulumi": "needs the Pulumi CLI and a cloud account",
    "aws": "talks to AWS",
    "kubectl": "talks to a Kubernetes cluster",
    "grafana": "runs inside the Grafana pod",
    "openssl": "makes a secret for a real stack",
    "git": "needs the network or a repository's history",
    "pip": "installs from PyPI (the test environment has the package installed)",
    "python -m venv": "creates an environment (the tests run in one)",
    "python3 -m venv": "creates an environment (the tests run in one)",
    ".": "activates an environment (the tests run in one)",
    "python -m pytest": "is the test suite itself",
    "sphinx-build": "builds the docs (tests/test_docs.py builds them)",
    "bash .ci/run": "is CI itself",
    "python docs/generate.py": "regenerates the docs (the docs build runs it)",
    "python tests/reference/derive.py": "needs the upstream charts (a reference test runs it)",
    "obs-platform dr": "talks to AWS (only --dry-run and --help run offline)",
    "curl": "talks to a running service",
    "printf": "feeds a secret to a running pod",
    "unset": "clears a variable of a live session",
    "jq": "reads the plan's output (tests/test_alert_receivers.py reads the same output)",
    "amtool": "checks the plan's Alertmanager output (tests/test_alert_receivers.py runs it)",
}

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
"""``NAME=value``: sets a variable of a live session (a secret, an endpoint)."""

_PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{2,}\b|\[--|<[a-z-]+>|/path/to/")
"""A synopsis or a template (``PROGRAM_DIR``, ``[--stack NAME]``, ``<bucket>``), not a command."""


@dataclass(frozen=True)
class Command:
    """One documented command: where it is written and what it says."""

    document: Path
    block: int
    text: str

    def __str__(self) -> str:
        where = (
            self.document.relative_to(PROJECT_ROOT)
            if self.document.is_relative_to(PROJECT_ROOT)
            else self.document
        )
        return f"{where} (shell block {self.block}): {self.text}"


def _lines(language: str, body: str) -> Iterator[str]:
    """Yield a block's command lines: prompts and continuations resolved, comments dropped."""
    joined = re.sub(r"[ \t]*\\\n[ \t]*", " ", body)
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith(":"):  # blank, or a code-block option (:caption:)
            continue
        if language == "console":
            if not line.startswith("$ "):
                continue  # output
            line = line[2:]
        line = re.sub(r"\s+#.*$", "", line)
        if line and not line.startswith("#"):
            yield line


def blocks(document: Path) -> list[list[Command]]:
    """Return the documented commands of a page, by shell block, ``&&`` chains split."""
    found = []
    text = document.read_text(encoding="utf-8")
    for index, match in enumerate(_FENCE.finditer(text), start=1):
        body = "\n".join(line.removeprefix(match["indent"]) for line in match["body"].splitlines())
        found.append(
            [
                Command(document, index, part.strip())
                for line in _lines(match["lang"], body)
                for part in line.split("&&")
            ]
        )
    return found


def offline(command: str) -> bool | str:
    """Return ``True`` if the command runs offline, else the reason it does not."""
    words = command.split()
    if words[:1] == ["cd"]:
        return True
    if _ASSIGNMENT.match(command):
        return "sets a variable of a live session"
    dry = words[:2] == ["obs-platform", "dr"] and bool({"--dry-run", "--help", "-h"} & set(words))
    for prefix, reason in NOT_OFFLINE.items():
        if not dry and (command == prefix or command.startswith(prefix + " ")):
            return reason
    if _PLACEHOLDER.search(command):
        return "a synopsis or template, not a command"
    if words[:1] == ["obs-platform"]:
        return True
    raise AssertionError(
        f"unclassified documented command {command!r}: run it here or say in NOT_OFFLINE why "
        "it cannot run offline"
    )


def run_block(commands: list[Command], workspace: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run a block's offline commands from the workspace root; return how many ran."""
    cwd = workspace
    ran = 0
    clones: set[str] = set()
    for command in commands:
        words = shlex.split(command.text)
        if words[:2] == ["git", "clone"]:
            # The workspace stands for the clone: `cd` into it lands at its root.
            clones.add(words[3] if len(words) > 3 else words[2].rstrip("/").rsplit("/", 1)[-1])
        if offline(command.text) is not True:
            continue
        if words[0] == "cd":
            cwd = workspace if words[1] in clones else (cwd / words[1]).resolve()
            assert cwd.is_dir(), f"{command}: no such directory"
            continue
        if any(w.endswith((".svg", ".png", ".pdf")) for w in words):
            find_tool("dot")
        monkeypatch.chdir(cwd)
        try:
            code = main(words[1:])
        except SystemExit as exit_:  # --version and --help exit from argparse
            code = exit_.code if isinstance(exit_.code, int) else 1
        assert code == 0, f"{command}: exit {code}"
        ran += 1
    return ran


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A scratch root holding a copy of the examples, where the commands write their files."""
    shutil.copytree(
        EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.svg")
    )
    return tmp_path


DOCUMENTS_WITH_SHELL = [d for d in DOCUMENTS if blocks(d)]


@pytest.mark.parametrize(
    "document", DOCUMENTS_WITH_SHELL, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix()
)
def test_every_documented_command_runs_or_says_why_not(
    document: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    for commands in blocks(document):
        for command in commands:
            offline(command.text)  # classified, or the test fails here
        run_block(commands, workspace, monkeypatch)
    capsys.readouterr()


def test_the_offline_commands_that_matter_are_run() -> None:
    # The README's plan, each example's "Plan it offline", the getting-started plan, the drill's
    # dry run: all offline, so all run (a classification slip would silently skip them).
    runnable = {
        (c.document.relative_to(PROJECT_ROOT).as_posix(), c.text)
        for d in DOCUMENTS_WITH_SHELL
        for b in blocks(d)
        for c in b
        if offline(c.text) is True and not c.text.startswith("cd ")
    }
    assert ("README.md", "obs-platform plan examples/shared-account") in runnable
    assert (
        "examples/shared-account/README.md",
        "obs-platform plan . --diagram shared-account.svg --json plan.json",
    ) in runnable
    assert (
        "examples/app-cells/README.md",
        "obs-platform plan . --stack-outputs ../../shared.json --diagram app-cells.svg "
        "--json plan.json",
    ) in runnable
    assert (
        "docs/howto/failover-drill.md",
        "obs-platform dr failover --plan plan.json --dry-run",
    ) in (runnable)
    assert ("docs/getting-started.md", "obs-platform --version") in runnable


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pulumi up", "needs the Pulumi CLI and a cloud account"),
        ("obs-platform dr status --plan plan.json", "talks to AWS"),
        ("obs-platform plan PROGRAM_DIR [--stack NAME]", "a synopsis or template, not a command"),
        ("obs-platform dr failover --plan plan.json --dry-run", True),
        ("obs-platform plan .", True),
    ],
)
def test_commands_are_classified(command: str, expected: bool | str) -> None:
    result = offline(command)
    assert result is True if expected is True else expected in str(result)


def test_an_unknown_command_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="unclassified documented command 'terraform apply'"):
        offline("terraform apply")


def test_a_failing_command_fails_its_block(
    tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    page = tmp_path / "page.md"
    page.write_text("```bash\nobs-platform plan examples/no-such-example\n```\n", encoding="utf-8")
    (commands,) = blocks(page)
    with pytest.raises(AssertionError, match="exit 2"):
        run_block(commands, workspace, monkeypatch)
    capsys.readouterr()


def test_console_prompts_continuations_and_comments_are_read(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "1. step\n\n   ```console\n   $ obs-platform dr failover --plan plan.json \\\n"
        "       --dry-run   # no AWS call\n   output line\n   ```\n",
        encoding="utf-8",
    )
    ((command,),) = blocks(page)
    assert command.text == "obs-platform dr failover --plan plan.json --dry-run"


# --- the destroy steps ---------------------------------------------------------------------------


def _config_sets(example: str) -> list[tuple[str, str]]:
    """The ``pulumi config set KEY VALUE`` commands of an example's *Destroy* section."""
    readme = (EXAMPLES / example / "README.md").read_text(encoding="utf-8")
    section = readme.partition("\n## Destroy\n")[2].partition("\n## ")[0]
    sets = []
    for match in re.finditer(r"^\s*pulumi config set (\S+) (\S+)", section, re.M):
        sets.append((match[1], match[2]))
    return sets


EXAMPLE_NAMES = sorted(p.parent.name for p in EXAMPLES.glob("*/Pulumi.yaml"))


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_the_destroy_step_turns_every_protection_off(example: str, tmp_path: Path) -> None:
    program = tmp_path / example
    shutil.copytree(EXAMPLES / example, program, ignore=shutil.ignore_patterns("__pycache__"))
    protected = run_program(program, stack_outputs=app_cells_stack_outputs())
    assert [r.name for r in protected.resources if r.protect], "nothing is protected by default"

    sets = _config_sets(example)
    assert sets, f"{example}/README.md: the destroy step sets no configuration"
    stack_file = program / "Pulumi.dev.yaml"
    stack = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    for key, value in sets:  # what `pulumi config set` does to the stack file
        stack["config"][key if ":" in key else f"{example}:{key}"] = yaml.safe_load(value)
    stack_file.write_text(yaml.safe_dump(stack), encoding="utf-8")

    plan = run_program(program, stack_outputs=app_cells_stack_outputs())
    assert [r.name for r in plan.resources if r.protect] == []
    deletion_protected = [
        (r.name, key)
        for r in plan.resources
        for key, value in r.inputs.items()
        if key in ("deletionProtection", "deletionProtectionEnabled") and value is True
    ]
    assert deletion_protected == []
    # The same resources, only unprotected: the step changes nothing else.
    assert {r.urn for r in plan.resources} == {r.urn for r in protected.resources}


# --- the add-a-cell comparison -------------------------------------------------------------------


def _plan_changes() -> Any:
    """The ``plan_changes`` function the add-a-cell guide shows, from the page itself."""
    page = (PROJECT_ROOT / "docs" / "howto" / "add-a-cell.md").read_text(encoding="utf-8")
    (code,) = [
        b
        for b in re.findall(r"^```python\n(.*?)^```", page, re.S | re.M)
        if "def plan_changes" in b
    ]
    namespace: dict[str, Any] = {}
    exec(compile(code, "add-a-cell.md", "exec"), namespace)
    return namespace["plan_changes"]


def _regions_plan(workspace: Path, regions: list[str], out: str) -> str:
    stack_file = workspace / "examples" / "shared-account" / "Pulumi.dev.yaml"
    stack = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    stack["config"]["shared-account:regions"] = regions
    stack_file.write_text(yaml.safe_dump(stack), encoding="utf-8")
    assert main(["plan", str(stack_file.parent), "--json", str(workspace / out)]) == 0
    return str(workspace / out)


def test_the_add_a_cell_comparison_tells_an_append_from_an_insertion(
    workspace: Path, capsys: Any
) -> None:
    plan_changes = _plan_changes()
    stack = yaml.safe_load(
        (EXAMPLES / "shared-account" / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    )
    regions = stack["config"]["shared-account:regions"]
    before = _regions_plan(workspace, regions, "before.json")
    appended = plan_changes(
        before, _regions_plan(workspace, [*regions, "ap-southeast-2"], "a.json")
    )
    assert appended["removed"] == []
    assert [c.rsplit("::", 1)[1] for c in appended["changed"]] == ["core-ipam operatingRegions"]
    assert any(urn.endswith("::core-pool-ap-southeast-2") for urn in appended["added"])

    inserted = plan_changes(
        before, _regions_plan(workspace, [regions[0], "ap-southeast-2", *regions[1:]], "i.json")
    )
    moved = [c.rsplit("::", 1)[1] for c in inserted["changed"]]
    assert f"core-pool-{regions[1]}-cidr cidr" in moved
    capsys.readouterr()
    assert json.loads(Path(before).read_text())["format"] == "obs-platform.plan/1"


# --- honest install instructions -----------------------------------------------------------------

_PYPI_INSTALL = re.compile(r"pip install [\"']?obs-platform(?![\w-]* @)(?:\[\w+\])?")


def test_pypi_install_is_only_promised_after_the_first_release() -> None:
    # Until the package is on PyPI, `pip install obs-platform` fails: the docs may show it only
    # in a paragraph that says it works after the first release (CONTRIBUTING, Releasing).
    offenders = []
    for document in DOCUMENTS:
        for paragraph in re.split(r"\n\s*\n", document.read_text(encoding="utf-8")):
            if _PYPI_INSTALL.search(paragraph) and "release" not in paragraph.lower():
                offenders.append(f"{document.relative_to(PROJECT_ROOT)}: {paragraph.strip()}")
    assert offenders == []
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "not on PyPI yet" in readme
    assert 'pip install "obs-platform @ git+https://github.com/obs-platform/obs-platform' in readme


def test_the_examples_install_the_library_from_this_checkout() -> None:
    for requirements in [*EXAMPLES.glob("*/requirements.txt")]:
        lines = [
            line.strip()
            for line in requirements.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        assert lines == ["-e ../.."], requirements
        assert (requirements.parent / "../.." / "pyproject.toml").resolve() == (
            PROJECT_ROOT / "pyproject.toml"
        )
