"""The real tools: a missing one skips with its install command, fails under CI, and CI installs it.

``.ci/run`` (and through it the GitHub workflow) installs every Debian package that
``conftest.DEBIAN_PACKAGES`` names, so CI never skips a real-tool test.
"""

from __future__ import annotations

import re

import pytest

from conftest import DEBIAN_PACKAGES, PROJECT_ROOT, find_tool


@pytest.mark.parametrize("tool", sorted(DEBIAN_PACKAGES))
def test_a_missing_tool_skips_with_the_install_command(
    tool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        find_tool(tool)
    assert f"sudo apt-get install {DEBIAN_PACKAGES[tool]}`" in str(skipped.value)


def test_under_ci_a_missing_tool_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install prometheus`.*CI is set"):
        find_tool("promtool")


def test_ci_installs_every_tool_the_tests_use() -> None:
    script = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r"apt-get install ((?:[^\n]*\\\n)*[^\n]*)", script)
    assert match is not None, ".ci/run installs no Debian packages"
    installed = set(match[1].replace("\\\n", " ").split())
    # The packages may be gathered in a bash array first (debian_packages=(...), +=(...)).
    for names in re.findall(r"debian_packages\+?=\(([^)]*)\)", script):
        installed |= set(names.split())
    assert set(DEBIAN_PACKAGES.values()) <= installed
