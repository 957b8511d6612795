"""Scale the standby through Pulumi instead of the EKS API (the Automation API option).

The standby cell's stack has a ``replicas`` config value (``Cell``'s ``replicas``: 0 for a pilot
light). Setting it and running ``pulumi up`` scales the node groups the way the program
describes them, so the stack never drifts from what was deployed. It needs the Pulumi CLI, the
program's folder and the stack's backend login; it is slower than the EKS API (``up`` refreshes
and diffs the whole stack) and serialises the scale-up before the database switchover.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import OpsError

REPLICAS_KEY = "replicas"
"""The stack config key the standby cell reads its size from."""


def _default_select_stack(stack_name: str, work_dir: str) -> Any:
    from pulumi import automation as auto

    return auto.select_stack(stack_name=stack_name, work_dir=work_dir)


def scale_with_pulumi(
    stack_name: str,
    replicas: int,
    work_dir: Path,
    *,
    select_stack: Callable[[str, str], Any] | None = None,
    config_key: str = REPLICAS_KEY,
    on_output: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Set ``replicas`` on the standby stack and run ``pulumi up``.

    Args:
        stack_name: The standby stack (``org/project/stack`` or ``stack``).
        replicas: The value to set.
        work_dir: The folder holding the program's ``Pulumi.yaml``.
        select_stack: Returns the Automation API ``Stack`` for ``(stack_name, work_dir)``;
            defaults to ``pulumi.automation.select_stack`` (tests pass a fake).
        config_key: The config key to set (project-namespaced by Pulumi).
        on_output: Receives ``pulumi up``'s output lines.

    Returns:
        ``{"stack", "replicas", "previous", "result", "changes"}``.

    Raises:
        OpsError: If the CLI is missing, the stack does not exist, or the update fails.
    """
    from pulumi import automation as auto

    if replicas < 0:
        raise OpsError(f"--replicas {replicas} is negative", fix="pass 1 or more.")
    if not (work_dir / "Pulumi.yaml").is_file() and not (work_dir / "Pulumi.yml").is_file():
        raise OpsError(
            f"{work_dir} holds no Pulumi.yaml",
            fix="pass --pulumi-work-dir pointing at the standby program's folder.",
        )
    select = select_stack or _default_select_stack
    try:
        stack = select(stack_name, str(work_dir))
    except auto.StackNotFoundError:
        raise OpsError(
            f"Pulumi stack {stack_name!r} does not exist in {work_dir}",
            fix="check --pulumi-stack (`pulumi stack ls`).",
        ) from None
    except FileNotFoundError:
        raise OpsError(
            "the Pulumi CLI is not installed (needed by --scale-with pulumi)",
            fix="install it (https://www.pulumi.com/docs/install/) or use --scale-with eks.",
        ) from None
    except auto.CommandError as exc:
        raise OpsError(
            f"pulumi could not select stack {stack_name!r}: {_first_line(exc)}",
            fix="check `pulumi login` and the stack name.",
        ) from None
    try:
        previous: str | None = stack.get_config(config_key).value
    except auto.CommandError:
        previous = None
    try:
        stack.set_config(config_key, auto.ConfigValue(value=str(replicas)))
        result = stack.up(on_output=on_output, message=f"obs-platform dr: {config_key}={replicas}")
    except auto.ConcurrentUpdateError:
        raise OpsError(
            f"another update of stack {stack_name!r} is running",
            fix="wait for it to finish, then re-run the same command to resume.",
            exit_code=3,
            resumable=True,
        ) from None
    except auto.CommandError as exc:
        raise OpsError(
            f"pulumi up on stack {stack_name!r} failed: {_first_line(exc)}",
            fix="read the update's log (`pulumi stack history`), fix the cause and "
            "re-run the same command to resume.",
            exit_code=3,
            resumable=True,
        ) from None
    outcome = str(getattr(result.summary, "result", "unknown"))
    if outcome != "succeeded":
        raise OpsError(
            f"pulumi up on stack {stack_name!r} ended with {outcome!r}",
            fix="read `pulumi stack history` and re-run the same command to resume.",
            exit_code=3,
            resumable=True,
        )
    changes = dict(getattr(result.summary, "resource_changes", None) or {})
    return {
        "stack": stack_name,
        "replicas": replicas,
        "previous": previous,
        "result": outcome,
        "changes": changes,
    }


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    for line in text.splitlines():
        if "error" in line.lower():
            return line.strip()
    return text.splitlines()[0] if text else type(exc).__name__
