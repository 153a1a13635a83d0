"""The hindsight oracle: cheapest correct assignment, found with each backend call run once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from fmpc.frontend.compiler import compile_source
from fmpc.policies.base import PolicyError, policy_from_spec
from fmpc.policies.oracle import OraclePolicy, oracle_assignment
from fmpc.runtime.backends import BackendTable, CallableBackend
from fmpc.runtime.cache import ExecutionCache
from fmpc.runtime.executor import Executor
from fmpc.runtime.inputs import InputItem
from fmpc.semantics.values import ImageValue

PROGRAM = """
def execute_command(image):
    image_patch = ImagePatch(image)
    if not image_patch.exists("circle"):
        return "no"
    if image_patch.verify_property("circle", "red"):
        return "yes"
    return "no"
"""
# site 0: exists (ex-s 1, ex-m 4, ex-l 16); site 1: verify_property (vp-s 2, vp-l 8)

EXISTS = {  # image -> what ex-s, ex-m, ex-l answer
    "a": (False, True, True),
    "b": (False, False, False),
    "c": (False, False, False),
    "d": (True, False, True),
}
RED = {"a": (True, True), "b": (True, True), "c": (True, True), "d": (True, False)}
LABELS = {"a": "yes", "b": "no", "c": "yes", "d": "no"}
EXPECTED = {  # image -> (cheapest correct assignment, its cost, correct)
    "a": ({0: "ex-m", 1: "vp-s"}, 6.0, True),  # ex-s says no circle: wrong
    "b": ({0: "ex-s"}, 1.0, True),  # site 1 never runs
    "c": ({0: "ex-s"}, 1.0, False),  # nothing is right: the cheapest of all
    "d": ({0: "ex-m"}, 4.0, True),  # ex-s + vp-l is right too, but costs 9
}


def image(name: str) -> ImageValue:
    return ImageValue(np.zeros((8, 8, 3), np.float32), id=name)


def counted_table(calls: Counter[tuple[Any, ...]]) -> BackendTable:
    def exists(level: int, name: str) -> Callable[..., bool]:
        def serve(patch: Any, word: str) -> bool:
            calls[(name, patch.image.id, word)] += 1
            return EXISTS[patch.image.id][level]

        return serve

    def red(level: int, name: str) -> Callable[..., bool]:
        def serve(patch: Any, word: str, prop: str) -> bool:
            calls[(name, patch.image.id, word, prop)] += 1
            return RED[patch.image.id][level]

        return serve

    return BackendTable.of(
        [
            CallableBackend("ex-s", "exists", exists(0, "ex-s"), 1.0),
            CallableBackend("ex-m", "exists", exists(1, "ex-m"), 4.0),
            CallableBackend("ex-l", "exists", exists(2, "ex-l"), 16.0),
            CallableBackend("vp-s", "verify_property", red(0, "vp-s"), 2.0),
            CallableBackend("vp-l", "verify_property", red(1, "vp-l"), 8.0),
        ]
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_oracle_finds_the_cheapest_correct_assignment(name: str) -> None:
    calls: Counter[tuple[Any, ...]] = Counter()
    found = oracle_assignment(
        compile_source(PROGRAM), counted_table(calls), image(name), LABELS[name], ExecutionCache()
    )
    backends, cost, correct = EXPECTED[name]
    assert dict(found.backends) == backends
    assert found.cost == cost
    assert found.correct is correct
    assert found.exhaustive
    assert calls and max(calls.values()) == 1, "a backend ran twice for the same call"


def test_the_oracle_reuses_an_executors_cache_across_inputs_and_policies() -> None:
    calls: Counter[tuple[Any, ...]] = Counter()
    table = counted_table(calls)
    cache = ExecutionCache()
    executor = Executor(
        compile_source(PROGRAM), table, policy_from_spec("static:largest"), cache=cache
    )
    executor.run(image("a"))
    before = sum(calls.values())
    found = oracle_assignment(executor, None, image("a"), "yes")
    assert dict(found.backends) == {0: "ex-m", 1: "vp-s"}
    assert sum(calls.values()) == before + 3  # ex-s, ex-m, vp-s: the largest ones were cached
    assert max(calls.values()) == 1


def test_a_bounded_search_says_it_stopped_early() -> None:
    found = oracle_assignment(
        compile_source(PROGRAM), counted_table(Counter()), image("c"), "yes", max_runs=2
    )
    assert not found.exhaustive
    assert found.runs == 2


def test_the_oracle_needs_input_ids_and_backends() -> None:
    with pytest.raises(PolicyError, match="ids"):
        oracle_assignment(
            compile_source(PROGRAM), counted_table(Counter()), ImageValue(np.zeros((8, 8, 3))), "no"
        )
    with pytest.raises(PolicyError, match="backends"):
        oracle_assignment(compile_source(PROGRAM), None, image("a"), "yes")


def test_the_oracle_policy_is_given_the_labels_and_runs_the_oracles_assignment() -> None:
    calls: Counter[tuple[Any, ...]] = Counter()
    table = counted_table(calls)
    module = compile_source(PROGRAM)
    cache = ExecutionCache()
    policy = policy_from_spec("oracle")
    assert isinstance(policy, OraclePolicy)
    with pytest.raises(PolicyError, match="prepare"):
        Executor(module, table, policy)
    items = [InputItem(n, image(n), LABELS[n], labelled=True) for n in sorted(LABELS)]
    module = policy.prepare(module, table, items, cache=cache)
    executor = Executor(module, table, policy, cache=cache)
    results = executor.run_window([item.image for item in items])
    for item, result in zip(items, results, strict=True):
        backends, cost, correct = EXPECTED[item.input_id]
        assert result.cost == cost
        assert {c.site: c.backend for c in result.trace.calls} == backends
        assert (result.answer == item.label) is correct
    assert max(calls.values()) == 1


def test_oracle_specs() -> None:
    assert policy_from_spec("oracle:12").max_runs == 12  # type: ignore[attr-defined]
    with pytest.raises(PolicyError, match="MAX_RUNS"):
        policy_from_spec("oracle:x")
