"""The state file: round trip, atomic write, unreadable files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_platform.ops import OpsError
from obs_platform.ops.state import STATE_FORMAT, OperationState, load_state, save_state

steps = st.dictionaries(
    st.text(min_size=1, max_size=10),
    st.fixed_dictionaries(
        {"status": st.sampled_from(["running", "done", "failed"]), "started_at": st.floats(0, 2e9)}
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


@pytest.mark.parametrize(
    "content", ["{", '{"format": "other"}', '["x"]', f'{{"format": "{STATE_FORMAT}"}}']
)
def test_unreadable_state_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content)
    with pytest.raises(OpsError, match=f"state file {path} cannot be read"):
        load_state(path)


def test_unwritable_state(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OpsError, match="cannot write state file"):
        save_state(blocker / "s.json", OperationState("a", {}))
