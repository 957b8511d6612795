"""The state file: round trip, atomic write, unreadable files."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_platform.ops import OpsError
from obs_platform.ops.state import (
    STATE_FORMAT,
    OperationState,
    StateFileError,
    load_state,
    locked,
    save_state,
)

steps = st.dictionaries(
    st.text(min_size=1, max_size=10),
    st.fixed_dictionaries(
        {
            "status": st.sampled_from(["running", "done", "failed"]),
            "started_at": st.floats(0, 2e9),
            "finished_at": st.floats(0, 2e9),
        }
    ),
    max_size=4,
)


@given(steps=steps, status=st.sampled_from(["in-progress", "failed", "completed"]))
def test_round_trip(
    tmp_path_factory: pytest.TempPathFactory, steps: dict[str, dict[str, object]], status: str
) -> None:
    path = tmp_path_factory.mktemp("state") / "s.json"
    state = OperationState("abc", {"direction": "failover"}, status, 1.5, None, steps, None)
    save_state(path, state)
    assert load_state(path) == state
    assert json.loads(path.read_text())["format"] == STATE_FORMAT
    assert not path.with_name("s.json.tmp").exists()
    assert all(state.done(k) == (v["status"] == "done") for k, v in steps.items())


def test_missing_file_is_no_state(tmp_path: Path) -> None:
    assert load_state(tmp_path / "none.json") is None


@pytest.mark.parametrize("content", ["{", "\x00\xff", "[" * 100_000 + "]" * 100_000])
def test_unreadable_state_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(OpsError, match=f"state file {path} cannot be read") as info:
        load_state(path)
    assert f"mv {path} {path}.bad" in str(info.value)


GOOD = {
    "format": STATE_FORMAT,
    "signature": "abc",
    "operation": {"direction": "failover"},
    "status": "failed",
    "started_at": 1.0,
    "finished_at": None,
    "error": None,
    "steps": {"preflight": {"status": "done", "started_at": 1.0, "finished_at": 2.0}},
}


@pytest.mark.parametrize(
    ("edit", "field", "expected"),
    [
        ({"format": "other"}, "format", "'obs-platform.dr-state/1'"),
        ({"signature": 3}, "signature", "a non-empty string"),
        ({"status": "done-ish"}, "status", "one of in-progress, failed, interrupted, completed"),
        ({"started_at": "yesterday"}, "started_at", "a finite number of epoch seconds"),
        ({"started_at": float("nan")}, "started_at", "a finite number of epoch seconds"),
        ({"finished_at": "soon"}, "finished_at", "a finite number of epoch seconds or null"),
        ({"steps": []}, "steps", "an object of step records"),
        ({"steps": {"preflight": "done"}}, "steps.preflight", "an object"),
        (
            {"steps": {"preflight": {"status": "ok", "started_at": 1.0}}},
            "steps.preflight.status",
            "one of running, done, failed",
        ),
        (
            {"steps": {"preflight": {"status": "done", "started_at": 1.0, "finished_at": "x"}}},
            "steps.preflight.finished_at",
            "a finite number of epoch seconds",
        ),
        (
            {"steps": {"preflight": {"status": "done", "started_at": 1.0}}},
            "steps.preflight.finished_at",
            "the epoch seconds it ended",
        ),
        (
            {"steps": {"s": {"status": "done", "started_at": 1, "finished_at": 2, "data": [1]}}},
            "steps.s.data",
            "an object",
        ),
    ],
)
def test_hand_edited_state_names_path_field_and_how_to_start_over(
    tmp_path: Path, edit: dict[str, object], field: str, expected: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({**GOOD, **edit}).replace("NaN", "NaN"))
    with pytest.raises(StateFileError) as info:
        load_state(path)
    message = str(info.value)
    assert message.startswith(f"state file {path} cannot be trusted: {field} is ")
    assert f"expected {expected}" in message
    assert f"mv {path} {path}.bad" in message and "--state FILE" in message
    assert info.value.state_field == field


def test_top_level_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('["x"]')
    with pytest.raises(StateFileError, match=r"\(top level\) is \['x'\], expected a JSON object"):
        load_state(path)


def test_lock_is_exclusive_and_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    with locked(path, "failover (planned) eu-west-1 -> us-east-1"):
        with pytest.raises(OpsError) as info, locked(path, "failback"):
            pass
        assert info.value.exit_code == 4
        assert (
            f"state file {path} is in use by another obs-platform dr run (pid {os.getpid()} on "
            f"{socket.gethostname()}, failover (planned) eu-west-1 -> us-east-1, since "
        ) in str(info.value)
    with locked(path, "failback"):  # released
        pass


def test_unwritable_state(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OpsError, match="cannot write state file"):
        save_state(blocker / "s.json", OperationState("a", {}))
