"""The state file that makes failover and failback resumable.

It records the operation (direction, regions, mode) and each step's outcome and timestamps. A
re-run of the same command finds it, skips the steps already done and goes on from the first one
not done; a different operation refuses to start while one is unfinished.
"""

from __future__ import annotations

import json
import os
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
    def from_json(cls, data: dict[str, Any]) -> OperationState:
        """Read the file's content."""
        return cls(
            signature=str(data["signature"]),
            operation=dict(data.get("operation") or {}),
            status=str(data.get("status", "in-progress")),
            started_at=float(data.get("started_at") or 0.0),
            finished_at=data.get("finished_at"),
            steps={str(k): dict(v) for k, v in (data.get("steps") or {}).items()},
            error=data.get("error"),
        )


def load_state(path: Path) -> OperationState | None:
    """Return the state in ``path``, or ``None`` when there is no file.

    Raises:
        OpsError: If the file exists but cannot be read as a state file.
    """
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"format {data.get('format')!r}")
        return OperationState.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OpsError(
            f"state file {path} cannot be read: {exc}",
            fix="move it away if it is not an obs-platform DR state file, or pass "
            "another --state FILE.",
        ) from None


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
