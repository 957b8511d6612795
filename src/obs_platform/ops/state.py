"""The state file that makes failover and failback resumable.

It records the operation (direction, regions, mode) and each step's outcome and timestamps. A
re-run of the same command finds it, skips the steps already done and goes on from the first one
not done; a different operation refuses to start while one is unfinished.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OpsError

STATE_FORMAT = "obs-platform.dr-state/1"
"""Version tag of the state file format."""


@dataclass
class OperationState:
    """What has happened so far in one operation.

    Attributes:
        signature: Identifies the operation (see :func:`obs_platform.ops.steps.signature`).
        operation: Direction, mode, regions and engine, for people reading the file.
        status: ``in-progress``, ``failed``, ``interrupted`` or ``completed``.
        started_at: Epoch seconds when the operation first started.
        finished_at: Epoch seconds when it completed, else ``None``.
        steps: Per step ID: ``status`` (``running``, ``done``, ``failed``), ``started_at``,
            ``finished_at``, ``seconds``, ``detail`` and step ``data``.
        error: The last failure's message, else ``None``.
    """

    signature: str
    operation: dict[str, Any]
    status: str = "in-progress"
    started_at: float = 0.0
    finished_at: float | None = None
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None

    def done(self, step_id: str) -> bool:
        """True when the step completed in this or an earlier run."""
        return self.steps.get(step_id, {}).get("status") == "done"

    def to_json(self) -> dict[str, Any]:
        """Return the file's content."""
        return {
            "format": STATE_FORMAT,
            "signature": self.signature,
            "operation": self.operation,
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "steps": self.steps,
        }

    @classmethod
    def from_json(cls, data: Any, path: Path | None = None) -> OperationState:
        """Read the file's content, checking every field the runner relies on.

        Raises:
            StateFileError: Naming the field, the value found and what it must be.
        """
        where = Path("<state>") if path is None else path
        if not isinstance(data, dict):
            raise StateFileError(where, "(top level)", data, "a JSON object")
        if data.get("format") != STATE_FORMAT:
            raise StateFileError(where, "format", data.get("format"), repr(STATE_FORMAT))
        signature = data.get("signature")
        if not isinstance(signature, str) or not signature:
            raise StateFileError(where, "signature", signature, "a non-empty string")
        operation = data.get("operation", {})
        if not isinstance(operation, dict):
            raise StateFileError(where, "operation", operation, "an object")
        status = data.get("status", "in-progress")
        if status not in OPERATION_STATUSES:
            raise StateFileError(where, "status", status, f"one of {', '.join(OPERATION_STATUSES)}")
        error = data.get("error")
        if error is not None and not isinstance(error, str):
            raise StateFileError(where, "error", error, "a string or null")
        steps = data.get("steps", {})
        if not isinstance(steps, dict):
            raise StateFileError(where, "steps", steps, "an object of step records")
        checked: dict[str, dict[str, Any]] = {}
        for step_id, record in steps.items():
            checked[str(step_id)] = _check_step(where, str(step_id), record)
        return cls(
            signature=signature,
            operation=dict(operation),
            status=status,
            started_at=_seconds(where, "started_at", data.get("started_at") or 0.0),
            finished_at=_seconds(where, "finished_at", data.get("finished_at"), optional=True),
            steps=checked,
            error=error,
        )


OPERATION_STATUSES = ("in-progress", "failed", "interrupted", "completed")
"""The values of an operation's ``status``."""
STEP_STATUSES = ("running", "done", "failed")
"""The values of a step record's ``status``."""
MAX_STATE_BYTES = 16 * 1024 * 1024
"""Largest state file read; a real one is a few kilobytes."""


class StateFileError(OpsError):
    """The state file exists but is not one this version can trust.

    Attributes:
        path: The file.
        field: The field at fault (``steps.preflight.started_at``).
    """

    def __init__(self, path: Path, field: str, value: Any, expected: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        super().__init__(
            f"state file {path} cannot be trusted: {field} is {shown}, expected {expected}",
            fix=f"if you edited it, restore that field; to start over, move the file away "
            f"(mv {path} {path}.bad) or pass another --state FILE. A new run re-checks AWS "
            "before each step, so steps already done report 'already'.",
        )
        self.path = path
        self.state_field = field


def _seconds(path: Path, field: str, value: Any, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return_type = "a finite number of epoch seconds" + (" or null" if optional else "")
        raise StateFileError(path, field, value, return_type)
    return float(value)


def _check_step(path: Path, step_id: str, record: Any) -> dict[str, Any]:
    prefix = f"steps.{step_id}"
    if not isinstance(record, dict):
        raise StateFileError(path, prefix, record, "an object")
    if record.get("status") not in STEP_STATUSES:
        raise StateFileError(
            path, f"{prefix}.status", record.get("status"), f"one of {', '.join(STEP_STATUSES)}"
        )
    checked = dict(record)
    for key in ("started_at", "finished_at", "seconds"):
        if key in record:
            checked[key] = _seconds(path, f"{prefix}.{key}", record[key])
    if "started_at" not in record:
        raise StateFileError(path, f"{prefix}.started_at", None, "the epoch seconds it started")
    if record["status"] == "done" and "finished_at" not in record:
        raise StateFileError(path, f"{prefix}.finished_at", None, "the epoch seconds it ended")
    if not isinstance(record.get("data", {}), dict):
        raise StateFileError(path, f"{prefix}.data", record.get("data"), "an object")
    for key in ("detail", "outcome", "error"):
        if key in record and not isinstance(record[key], str):
            raise StateFileError(path, f"{prefix}.{key}", record[key], "a string")
    return checked


def load_state(path: Path) -> OperationState | None:
    """Return the state in ``path``, or ``None`` when there is no file.

    Raises:
        OpsError: If the file exists but cannot be read as a state file; a
            :class:`StateFileError` names the field at fault.
    """
    if not path.exists():
        return None
    try:
        if path.stat().st_size > MAX_STATE_BYTES:
            raise StateFileError(path, "(size)", path.stat().st_size, "at most 16 MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except StateFileError:
        raise
    except (OSError, ValueError, RecursionError) as exc:
        raise OpsError(
            f"state file {path} cannot be read: {type(exc).__name__}: {str(exc)[:200]}",
            fix=f"move it away to start over (mv {path} {path}.bad), or pass another "
            "--state FILE. A new run re-checks AWS before each step.",
        ) from None
    return OperationState.from_json(data, path)


def save_state(path: Path, state: OperationState) -> None:
    """Write the state atomically (a crash never leaves half a file).

    Raises:
        OpsError: If the file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(state.to_json(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise OpsError(
            f"cannot write state file {path}: {exc.strerror}", fix="pass a writable --state FILE."
        ) from None


@contextlib.contextmanager
def locked(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on the state file for the duration of the block.

    The lock is ``flock`` on ``<state>.lock`` beside the file, so the operating system drops it
    when the holding process ends, however it ends (a killed run never leaves a stale lock).
    The holder writes its process ID, host, operation and start time into the lock file, so a
    refused run can say who holds it.

    Args:
        path: The state file.
        what: What the holder is doing, for the other run's message.

    Raises:
        OpsError: (exit code 4) when another run holds the lock, naming it.
    """
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OpsError(
            f"cannot open the lock file {lock_path}: {exc.strerror}",
            fix="pass a writable --state FILE.",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _holder(fd)
        os.close(fd)
        raise OpsError(
            f"state file {path} is in use by another obs-platform dr run ({holder})",
            fix="wait for that run to finish (or stop it: it resumes where it stopped); the "
            "lock is released as soon as its process ends. Two runs must not act on one DR "
            "pair at once.",
            exit_code=4,
        ) from None
    try:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "operation": what,
            "since": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        yield
    finally:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "holder unknown"
    return (
        f"pid {info.get('pid')} on {info.get('host')}, {info.get('operation')}, "
        f"since {info.get('since')}"
    )
