"""Loading a Pulumi program directory: ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .._internal import safe_yaml
from .._internal.regions import check_region

SECRET_PLACEHOLDER = "offline-secret"
"""What every made-up secret holds (:func:`offline_secret`), so that one that reaches a resource
in plain text can be found (guardrail ``secure-config-plaintext``)."""

SECRET_MARKERS = (SECRET_PLACEHOLDER, "offlinesecret")
"""The markers of made-up secrets: the second for values that may hold letters and digits
only."""


def offline_secret(key: str) -> str:
    """Return the value a ``secure:`` config entry takes offline when none is given.

    There is no key to decrypt it with, so the engine makes one up, shaped for what the key
    holds so that the library's own validators accept it (a preview would see the real value):
    a key naming a URL, webhook or endpoint gets an ``https://`` URL on a reserved domain
    (RFC 2606 ``.invalid``); a routing or integration key 32 letters and digits (PagerDuty
    Events API v2); anything else a 32-character password (inside Aurora's 8-41 printable
    characters without ``/ " @``, and Grafana's and nginx's rules). Each holds a marker of
    :data:`SECRET_MARKERS` and is derived from the key, so plans are reproducible; none is a
    real credential.

    Args:
        key: The full config key (``project:name``).
    """
    digest = hashlib.sha256(key.encode()).hexdigest()
    name = key.rsplit(":", 1)[-1].lower()
    if any(word in name for word in ("url", "webhook", "endpoint", "uri")):
        return f"https://{SECRET_PLACEHOLDER}.invalid/{digest[:32]}"
    if any(word in name for word in ("routingkey", "integrationkey")):
        return f"{SECRET_MARKERS[1]}{digest[:19]}"
    return f"{SECRET_PLACEHOLDER}-{digest[:17]}"


class ProjectError(Exception):
    """A program directory that cannot be run: missing or malformed project or stack file."""


@dataclass(frozen=True)
class Program:
    """A Pulumi program directory, ready to run.

    Attributes:
        directory: The directory holding ``Pulumi.yaml``.
        project: The project's ``name``.
        stack: The stack whose configuration was loaded.
        main: The Python entry point (``__main__.py``, or ``main`` from ``Pulumi.yaml``).
        config: Configuration by full key (``"aws:region"``).
        secret_keys: Keys whose values are secrets.
        stack_reason: Why this stack was loaded (the only stack file, the default, or asked).
    """

    directory: Path
    project: str
    stack: str
    main: Path
    config: dict[str, str]
    secret_keys: frozenset[str]
    stack_reason: str = "--stack"


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    try:
        data = safe_yaml.load_file(path)
    except safe_yaml.YamlLimitError as exc:
        raise ProjectError(
            f"{path} is refused: {exc}. Pulumi {what}s are small mappings of settings; "
            "remove the deep nesting or the repeated aliases."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ProjectError(
            f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}. "
            f"Fix the {what} so that it parses."
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProjectError(
            f"{path} must hold a mapping at the top, got {type(data).__name__}. "
            f"See https://www.pulumi.com/docs/iac/concepts/projects/ for the {what}."
        )
    return data


def _config_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _check_stack_region(config: dict[str, str], source: Path) -> None:
    """Validate ``aws:region`` like every region argument: the default provider works there.

    Raises:
        ProjectError: Naming the file, the value, the closest region and the fix.
    """
    region = config.get("aws:region")
    if region is None:
        return
    try:
        check_region(region)
    except ValueError as exc:
        raise ProjectError(
            f"{source}: aws:region {region!r} is not valid: {exc} Fix: set it with "
            "'pulumi config set aws:region <region>' (the stack's default AWS provider and every "
            "resource without its own region use it)."
        ) from None


def load_program(directory: Path, stack: str | None = None) -> Program:
    """Load a program directory's project and stack configuration.

    Args:
        directory: The directory holding ``Pulumi.yaml``.
        stack: The stack name; ``None`` takes the first ``Pulumi.<stack>.yaml`` found
            (alphabetically), else ``dev`` with no stack file.

    Raises:
        ProjectError: Naming the file, what is wrong and how to fix it.
    """
    directory = directory.resolve()
    if not directory.is_dir():
        raise ProjectError(
            f"{directory} is not a directory. Pass the folder that holds "
            "Pulumi.yaml, such as examples/shared-account."
        )
    project_file = next(
        (directory / n for n in ("Pulumi.yaml", "Pulumi.yml") if (directory / n).is_file()), None
    )
    if project_file is None:
        raise ProjectError(
            f"{directory} holds no Pulumi.yaml. Pass the folder of a Pulumi "
            "program, or create one with 'pulumi new python'."
        )
    project = _read_yaml(project_file, "project file")
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{project_file} has no 'name'. Add 'name: <project>' at the top.")
    runtime = project.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProjectError(
            f"{project_file} has runtime {runtime_name!r}; the offline engine "
            "runs Python programs only. Set 'runtime: python'."
        )
    main_dir = directory / str(project.get("main") or ".")
    main = main_dir if main_dir.is_file() else main_dir / "__main__.py"
    if not main.is_file():
        raise ProjectError(
            f"{directory} has no {main.name} to run. A Python Pulumi program "
            "starts in __main__.py (or the file 'main' names in Pulumi.yaml)."
        )

    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    declared = project.get("config") or {}
    if not isinstance(declared, dict):
        raise ProjectError(f"{project_file}: 'config' must be a mapping of keys to settings.")
    for key, spec in declared.items():
        value = spec.get("default", spec.get("value")) if isinstance(spec, dict) else spec
        if value is not None:
            config[_full_key(name, key)] = _config_string(value)

    stack_files = sorted(directory.glob("Pulumi.*.yaml"))
    if stack is None:
        if len(stack_files) > 1:
            found = ", ".join(f.name.split(".")[1] for f in stack_files)
            raise ProjectError(
                f"{directory} has several stacks ({found}) and none was chosen; like "
                "'pulumi', the offline engine does not guess. Pass one of them with --stack "
                "NAME (run_program(..., stack=NAME) in Python)."
            )
        stack = stack_files[0].name.split(".")[1] if stack_files else "dev"
        chosen_because = (
            f"{stack_files[0].name} is the only stack file"
            if stack_files
            else "there is no stack file: the default, without configuration"
        )
    else:
        chosen_because = "--stack"
    stack_file = directory / f"Pulumi.{stack}.yaml"
    if stack_file.is_file():
        stack_data = _read_yaml(stack_file, "stack file")
        entries = stack_data.get("config") or {}
        if not isinstance(entries, dict):
            raise ProjectError(f"{stack_file}: 'config' must be a mapping of keys to values.")
        for key, value in entries.items():
            full = _full_key(name, key)
            if isinstance(value, dict) and set(value) == {"secure"}:
                config[full] = offline_secret(full)
                secret_keys.add(full)
            else:
                config[full] = _config_string(value)
    elif stack_files:
        found = ", ".join(f.name.split(".")[1] for f in stack_files)
        raise ProjectError(
            f"{directory} has no Pulumi.{stack}.yaml; its stacks are: {found}. "
            "Pass one of them with --stack."
        )
    _check_stack_region(config, stack_file if stack_file.is_file() else project_file)
    return Program(
        directory=directory,
        project=name,
        stack=stack,
        main=main,
        config=config,
        secret_keys=frozenset(secret_keys),
        stack_reason=chosen_because,
    )
