"""Answers, costs, traces and batch sizes are bit-identical to the thread-per-input window runner
that the coroutine scheduler replaced (snapshots recorded with it: ``window_snapshot.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.window_snapshot import fake_snapshot, zoo_snapshot, zoo_weights

DATA = Path(__file__).parent / "data"


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _differences(recorded: dict[str, Any], now: dict[str, Any]) -> list[str]:
    keys = sorted(set(recorded) | set(now))
    return [key for key in keys if recorded.get(key) != now.get(key)]


def test_fake_streams_equal_the_recorded_window_runs() -> None:
    recorded = _recorded("window_fake.json")
    assert _differences(recorded, fake_snapshot()) == []
    assert len(recorded) == 396


@pytest.mark.slow
def test_zoo_streams_equal_the_recorded_window_runs() -> None:
    recorded = _recorded("window_zoo.json")
    if recorded["weights"] != zoo_weights():
        pytest.skip(
            "the zoo's weights changed since the snapshot was recorded: record it again with "
            "the thread-per-input executor (see tests/runtime/window_snapshot.py)"
        )
    assert _differences(recorded, zoo_snapshot()) == []
