"""benchmarks/throughput.py on the fake world: its compute bound replays exactly the calls a stream
made, its profile adds up, and its targets say met, missed or not measured."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fmpc.runtime.inputs import InputItem
from tests.fakes import SCENES, scene_image
from tests.runtime.window_snapshot import Bucketed, fake_table
from tests.test_corpus import compiled

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "throughput.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("throughput_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _work(bench: ModuleType) -> Any:
    items = tuple(InputItem(name, scene_image(name)) for name in SCENES)
    return bench.Workload("red_seven", compiled("red_seven"), items)


def _batches(table: Any) -> list[int]:
    return [n for fn in table for b in table[fn] if isinstance(b, Bucketed) for n in b.batches]


def test_the_recorded_calls_are_the_streams_calls(bench: ModuleType) -> None:
    table = fake_table()
    calls = bench.record(_work(bench), table, None, "static:smallest", 4)
    made = _batches(table)
    assert made and sorted(len(batch) for _, batch in calls) == sorted(made)
    assert max(made) > 1  # the window batched
    bench.replay(table, calls)
    assert sorted(_batches(table)) == sorted(made * 2)


def test_measure_gives_throughput_bound_and_shares(bench: ModuleType) -> None:
    m = bench.measure(_work(bench), fake_table(), None, "static:largest", 3, repeats=2)
    assert m.inputs_per_s > 0 and m.extra["bound"] > 0
    assert m.site_executions > 0 and m.extra["errors"] == 0
    assert sum(m.shares().values()) == pytest.approx(1.0)
    assert m.rest_ms_per_site() > 0


def _row(program: str, policy: str, window: int, rate: float, bound: float) -> dict[str, Any]:
    return {
        "program": program,
        "policy": policy,
        "window": window,
        "inputs_per_s": rate,
        "of_bound": rate / bound,
        "rest_ms_per_site": 0.1 * window,
    }


def test_targets_say_met_missed_and_not_measured(bench: ModuleType) -> None:
    rows = [
        _row("red_seven", "static:smallest", 1, 10.0, 20.0),
        _row("red_seven", "static:smallest", 64, 40.0, 60.0),
        _row("red_seven", "neural-ts", 64, 20.0, 40.0),
        _row("other", "static:smallest", 64, 10.0, 60.0),
    ]
    verdicts = {t["name"]: t["met"] for t in bench.targets(rows)}
    assert verdicts == {
        "red_seven static:smallest w64, of its compute bound": True,
        "red_seven static:smallest w64 / w1": True,
        "red_seven neural-ts w64 / static:smallest w64": False,
        "red_seven neural-ts w64 / static:smallest w64, each of its bound": True,
        "other neural-ts w64 / static:smallest w64": None,
        "other neural-ts w64 / static:smallest w64, each of its bound": None,
        "executor overhead per site execution, worst row (ms)": False,
    }
