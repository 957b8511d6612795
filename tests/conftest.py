"""Shared test fixtures: upstream charts and external tools.

Two kinds of reference data, kept apart:

- **Derived reference data** (``tests/reference/``, module ``reference``): the value paths,
  values schemas and CRD schemas of the pinned charts and operators, derived from upstream and
  committed. Everyday tests read only these; they are always there, so nothing skips for them.
- **Upstream charts** (``../shared/reference`` or ``$OBS_PLATFORM_REFERENCE_DIR``, fixture
  :func:`reference_dir`): whole charts, for tests that render them with ``helm template``, and
  the input of ``tests/reference/derive.py``.

Tests that need the upstream charts or a real tool skip with the reason (and how to install it)
when it is missing, and fail instead when ``CI`` is set, so CI always runs them.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT_ROOT / "examples"
REFERENCE_DIR = Path(
    os.environ.get("OBS_PLATFORM_REFERENCE_DIR", PROJECT_ROOT.parent / "shared" / "reference")
)


SHARED_STACK = "organization/shared-account/dev"
"""The stack examples/app-cells reads through ``pulumi.StackReference`` (its ``sharedStack``)."""


@functools.cache
def shared_account_plan_json() -> Path:
    """Plan examples/shared-account once per test process and return its plan JSON file.

    examples/app-cells reads the shared account's outputs through a stack reference; offline,
    they come from this file, as ``obs-platform plan --stack-outputs`` reads it.
    """
    from obs_platform.testing import run_program

    directory = Path(tempfile.mkdtemp(prefix="obs-platform-shared-plan-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "shared.json"
    path.write_text(run_program(EXAMPLES / "shared-account").dumps(), encoding="utf-8")
    return path


def app_cells_stack_outputs() -> dict[str, Path]:
    """``stack_outputs`` for planning examples/app-cells: the shared account's plan JSON."""
    return {SHARED_STACK: shared_account_plan_json()}


def clear_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hide the machine's AWS settings from boto3 for one test: no ``AWS_*`` variables, no
    config or credentials file, no instance metadata (so no credentials are found)."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def docker_hub_credential(region: str = "eu-west-1") -> str:
    """A Docker Hub pull-through credential in ``region``: what a cell's default image source
    (ECR pull-through cache) needs."""
    return (
        f"arn:aws:secretsmanager:{region}:111111111111:secret:"
        "ecr-pullthroughcache/docker-hub-Ab12Cd"
    )


def parsed_collector_config(**given: Any) -> dict[str, Any]:
    """A cell collector's configuration (``collector_config``), parsed, for a primary cell ``c``
    in eu-west-1, account ``1``, with no endpoints unless ``given`` names them (and any other
    ``collector_config`` argument)."""
    import yaml

    from obs_platform._internal.cell_telemetry import collector_config

    arguments: dict[str, Any] = {
        "cell": "c",
        "dr_role": "primary",
        "region": "eu-west-1",
        "account": "1",
        "metrics_remote_write_url": None,
        "logs_otlp_url": None,
        "traces_otlp_endpoint": None,
        **given,
    }
    parsed: dict[str, Any] = yaml.safe_load(collector_config(**arguments))
    return parsed


CELL_DEPLOYER_ROLE = "arn:aws:iam::333333333333:role/obs-platform-deployer"
"""The role a cell's own-account provider assumes in :func:`build_cell` (``provider=True``)."""


def build_cell(
    args: dict[str, Any],
    *,
    name: str = "eu-west-1",
    region: str = "eu-west-1",
    provider: bool = False,
    on_cell: Callable[[Any], None] | None = None,
) -> Any:
    """Plan one ``Cell`` under the offline engine and return the plan.

    Args:
        args: The cell's args as a dict; a Docker Hub pull-through credential in its region is
            added unless ``image_source`` is given (the default image source needs one).
        name: The cell's name.
        region: The stack's ``aws:region``.
        provider: Give the cell an ``aws.Provider`` of its own (``cell-account``, in the
            cell's region, assuming :data:`CELL_DEPLOYER_ROLE`) through ``opts.providers``.
        on_cell: Called with the cell inside the program (to export or capture its outputs).
    """
    import pulumi
    import pulumi_aws as aws

    from obs_platform import Cell
    from obs_platform.testing import run

    def program() -> None:
        opts = None
        if provider:
            opts = pulumi.ResourceOptions(
                providers=[
                    aws.Provider(
                        "cell-account",
                        region=args["region"],
                        assume_roles=[{"role_arn": CELL_DEPLOYER_ROLE}],
                    )
                ]
            )
        given = dict(args)
        if "image_source" not in given:
            given.setdefault("docker_hub_credential_arn", docker_hub_credential(given["region"]))
        cell = Cell(name, given, opts)
        if on_cell is not None:
            on_cell(cell)

    return run(program, config={"aws:region": region})


STACK_IMAGES = {
    "docker_hub_credential_arn": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:"
    "ecr-pullthroughcache/docker-hub-Ab12Cd",
    "ghcr_credential_arn": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:"
    "ecr-pullthroughcache/ghcr-Ef34Gh",
    "cloudwatch_exporter_https_proxy": "http://proxy.egress.internal:3128",
}
"""What every shared stack in the tests needs from its network: the credentials of its default
image source (ECR pull-through caches) and a path to CloudWatch in us-east-1 (Route 53's
metrics; a stack outside us-east-1 without one is refused)."""


def shared_stack_args(**given: Any) -> dict[str, Any]:
    """Return the smallest ``ObservabilityStack`` args the tests build a stack from.

    A stack in eu-west-1 on an existing VPC with two private subnets, a secret Grafana admin
    password and :data:`STACK_IMAGES`; ``given`` adds keys or replaces any of them. Call it
    inside the program (the password is a ``pulumi.Output``), or pass a plain
    ``grafana_admin_password`` to validate the args alone.
    """
    args: dict[str, Any] = {
        "region": "eu-west-1",
        "vpc_id": "vpc-0123456789abcdef0",
        "private_subnet_ids": ["subnet-0a", "subnet-0b"],
        **STACK_IMAGES,
    }
    if "grafana_admin_password" not in given:
        args["grafana_admin_password"] = pulumi.Output.secret("pw-123456789")
    return {**args, **given}


def need(available: bool, reason: str) -> None:
    """Skip the test when something it needs is missing; fail instead under CI."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The upstream charts, whole (``../shared/reference`` or $OBS_PLATFORM_REFERENCE_DIR).

    Only for rendering whole charts with ``helm template``; value paths and CRD schemas come
    from the derived data in ``tests/reference`` (module ``reference``), which needs nothing.
    """
    need(
        (REFERENCE_DIR / "charts").is_dir(),
        f"upstream charts not found at {REFERENCE_DIR} (needed only to render whole charts "
        "with helm template); set OBS_PLATFORM_REFERENCE_DIR to a folder with "
        "charts/<chart>-<version>/ (see tests/reference/README.md)",
    )
    return REFERENCE_DIR


DEBIAN_PACKAGES: dict[str, str] = {
    "promtool": "prometheus",
    "amtool": "prometheus-alertmanager",
    "dot": "graphviz",
    "chromium": "chromium",
    "nginx": "nginx-light",
    "curl": "curl",
    "node": "nodejs",
}
"""The real tools some tests run, and the Debian package of each (what ``.ci/run`` installs)."""


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
"""Names a headless-capable Chromium goes by (Debian, Ubuntu, Google's build)."""


def install_hint(tool: str) -> str:
    """Return the reason a test skips without ``tool``, with the command that installs it."""
    package = DEBIAN_PACKAGES[tool]
    return (
        f"{tool} not installed; install it with `sudo apt-get install {package}` "
        f"(Debian package {package!r}; `bash .ci/run` installs every tool the tests use)"
    )


def find_tool(name: str) -> str:
    """Return the path of a real tool; skip (fail under ``CI``) with the install command."""
    candidates = (
        ("chromium", "chromium-browser", "google-chrome") if name == "chromium" else (name,)
    )
    path = next((found for c in candidates if (found := shutil.which(c))), None)
    need(path is not None, install_hint(name))
    assert path is not None
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path of ``promtool`` (Debian package ``prometheus``)."""
    return find_tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    """Path of ``amtool`` (Debian package ``prometheus-alertmanager``)."""
    return find_tool("amtool")


@pytest.fixture(scope="session")
def dot() -> str:
    """Path of graphviz's ``dot`` (Debian package ``graphviz``)."""
    return find_tool("dot")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium (Debian package ``chromium``)."""
    return find_tool("chromium")


# Fixtures that build something once per session and take tens of seconds: the docs site (and
# the screenshots of it), the sdist and wheel. A test that uses one is slow whether or not it
# says so; .ci/run runs the slow tests as their own step (one site, one wheel, no workers).
SLOW_FIXTURES = frozenset({"site", "dist", "installed"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that uses a slow fixture, before ``-m`` selects."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
