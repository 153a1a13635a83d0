"""Per-input limits (issue 16): a program that makes too many calls or runs too long fails that
input with the reason, at the place it passed the limit; the other inputs of a window answer."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from fmpc.frontend import compile_source
from fmpc.policies.simple import StaticPolicy
from fmpc.runtime.backends import BackendTable, CallableBackend
from fmpc.runtime.executor import Executor
from fmpc.runtime.limits import (
    DEFAULT_MAX_CALLS,
    DEFAULT_TIME_LIMIT_S,
    UNLIMITED,
    LimitError,
    RunLimits,
)
from fmpc.semantics.values import ImageValue, PatchValue

PAIRS = """\
def execute_command(image) -> int:
    objects = ImagePatch(image).find("object")
    close = 0
    for a in objects:
        for b in objects:
            if a.exists("digit") and b.verify_property("digit", "red"):
                close += 1
    return close
"""

PURE_LOOP = """\
def execute_command(image) -> int:
    objects = ImagePatch(image).find("object")
    total = 0
    for a in objects:
        for b in objects:
            for c in objects:
                total += a.left + b.left + c.left
    return total
"""


def table(objects: int, delay: float = 0.0) -> BackendTable:
    """``find`` returns ``objects`` patches of the image, or as many as its first pixel says."""

    def find(patch: Any, name: str) -> list[Any]:
        count = objects if objects else int(patch.image.pixels[0, 0, 0] * 10)
        return [PatchValue(patch.image, i, 0, i + 1, 1) for i in range(count)]

    def answer(*args: Any) -> bool:
        time.sleep(delay)
        return True

    return BackendTable.of(
        [
            CallableBackend("f", "find", find, cost=1.0),
            CallableBackend("e", "exists", answer, cost=1.0),
            CallableBackend("v", "verify_property", answer, cost=1.0),
        ]
    )


def image(level: float = 0.0, name: str = "x") -> ImageValue:
    return ImageValue(np.full((4, 32, 3), level, np.float32), id=name)


def test_the_defaults_are_documented_values() -> None:
    assert (
        RunLimits() == RunLimits(DEFAULT_MAX_CALLS, DEFAULT_TIME_LIMIT_S) == RunLimits(1000, 120.0)
    )


def test_max_calls_fails_the_input_at_the_call_that_passes_it() -> None:
    module = compile_source(PAIRS, "pairs.py")
    bounded = Executor(module, table(30), StaticPolicy("smallest"), limits=RunLimits(max_calls=50))
    result = bounded.run(image())
    assert result.answer is None and result.error is not None
    assert result.error.startswith("pairs.py:6:38: 'fmpc.call' (verify_property, site 2) failed: ")
    assert "the input made more than 50 calls (the --max-calls limit)" in result.error
    assert len(result.trace.calls) == 50  # the calls made before the limit are kept
    free = Executor(module, table(30), StaticPolicy("smallest"), limits=UNLIMITED).run(image())
    assert free.answer == 900 and len(free.trace.calls) == 1 + 2 * 900


def test_the_time_limit_stops_a_loop_without_backend_calls() -> None:
    module = compile_source(PURE_LOOP, "loop.py")
    limits = RunLimits(time_limit_s=0.2)
    start = time.perf_counter()
    result = Executor(module, table(200), StaticPolicy("smallest"), limits=limits).run(image())
    elapsed = time.perf_counter() - start
    assert result.error is not None and "past the time limit of 0.2s (--time-limit)" in result.error
    assert result.error.startswith("loop.py:")  # located at the loop it was in
    assert elapsed < 2.0  # 200**3 iterations would take minutes


def test_in_a_window_only_the_input_past_the_limit_fails() -> None:
    module = compile_source(PAIRS, "pairs.py")
    limits = RunLimits(max_calls=30)
    executor = Executor(module, table(0), StaticPolicy("smallest"), limits=limits)
    images = [image(level, f"in{i}") for i, level in enumerate((0.2, 0.9, 0.3, 0.1))]
    results = executor.run_window(images)
    assert [r.error is None for r in results] == [True, False, True, True]
    assert [r.answer for r in results] == [4, None, 9, 1]


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_calls": 0}, "max_calls must be >= 1, got 0"),
        ({"max_calls": 2.5}, "max_calls must be an integer"),
        ({"time_limit_s": -1.0}, "the time limit must be a number of seconds > 0, got -1.0"),
        ({"time_limit_s": float("inf")}, "the time limit must be a number of seconds > 0"),
    ],
)
def test_bad_limits_are_refused(limits: dict[str, Any], message: str) -> None:
    with pytest.raises(LimitError, match=message):
        RunLimits(**limits)
