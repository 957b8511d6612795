"""The GitHub workflows: they cannot run here, so check what can be checked offline.

They parse, test through ``.ci/run`` (the same entry point as local CI), publish with trusted
publishing (an OIDC token, no stored PyPI token) only from version tags and after the tests,
and run the AWS integration only when credentials are configured, never ``pulumi up``.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from conftest import EXAMPLES, PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key "on" as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"] for step in job["steps"] if "uses" in step]


def test_every_workflow_parses_and_pins_its_actions() -> None:
    names = sorted(p.name for p in WORKFLOWS.glob("*.yml"))
    assert names == ["integration.yml", "publish.yml", "tests.yml"]
    for name in names:
        workflow = _load(name)
        assert workflow["permissions"] == {"contents": "read"}, name
        for job in workflow["jobs"].values():
            for action in _uses(job):
                assert "@" in action, f"{name}: {action} is not pinned to a version"


def test_tests_run_ci_on_every_push_in_debian_for_each_python() -> None:
    workflow = _load("tests.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    job = workflow["jobs"]["ci"]
    assert job["container"].endswith("-bookworm")  # Debian: apt-get install chromium works
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    _assert_runs_ci_with_fetched_upstream(job)


def _assert_runs_ci_with_fetched_upstream(job: dict[str, Any]) -> None:
    """The job runs .ci/run last, after fetching the upstream charts, and never reads ../shared.

    ../shared exists only on the project's machines: the render tests get the upstream charts
    from tests/reference/fetch.py (OBS_PLATFORM_REFERENCE_DIR), and .ci/run installs the real
    tools (test_real_tools.py checks its apt-get line).
    """
    runs = [step.get("run", "").strip() for step in job["steps"]]
    assert runs[-1] == ".ci/run"
    (fetch,) = [run for run in runs if "tests/reference/fetch.py" in run]
    assert 'python tests/reference/fetch.py "$RUNNER_TEMP/reference"' in fetch
    assert 'OBS_PLATFORM_REFERENCE_DIR=$RUNNER_TEMP/reference" >> "$GITHUB_ENV"' in fetch
    assert runs.index(fetch) < len(runs) - 1
    assert "../shared" not in yaml.safe_dump(job)
    assert (PROJECT_ROOT / "tests" / "reference" / "fetch.py").is_file()


def test_publish_uses_trusted_publishing_from_tags_after_tests() -> None:
    workflow = _load("publish.yml")
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    jobs = workflow["jobs"]
    _assert_runs_ci_with_fetched_upstream(jobs["test"])
    assert jobs["build"]["needs"] == "test"
    assert "twine check --strict" in _runs(jobs["build"])
    pypi = jobs["pypi"]
    assert pypi["needs"] == "build"
    assert pypi["permissions"] == {"id-token": "write"}
    assert pypi["environment"]["name"] == "pypi"
    assert _uses(pypi)[-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert "password" not in str(pypi) and "PYPI_TOKEN" not in str(workflow)


def test_integration_is_gated_on_credentials_and_only_previews() -> None:
    workflow = _load("integration.yml")
    preview = workflow["jobs"]["preview"]
    assert preview["if"] == "needs.gate.outputs.enabled == 'true'"
    assert preview["permissions"]["id-token"] == "write"
    examples = sorted(p.parent.name for p in EXAMPLES.glob("*/Pulumi.yaml"))
    assert sorted(preview["strategy"]["matrix"]["example"]) == examples
    text = (WORKFLOWS / "integration.yml").read_text(encoding="utf-8")
    assert "pulumi preview" in text
    for forbidden in ("pulumi up", "pulumi destroy", "--yes"):
        assert forbidden not in _runs(preview), forbidden


@pytest.mark.parametrize("example", sorted(p.parent.name for p in EXAMPLES.glob("*/Pulumi.yaml")))
def test_integration_finds_each_examples_dev_stack(example: str) -> None:
    assert (EXAMPLES / example / "Pulumi.dev.yaml").is_file()
