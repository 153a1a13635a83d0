"""Fixtures for the harness tests: a two-query file and perfect-perception backends at two
costs that log every call they serve, plus a monolithic model answering from the scene graph."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fmpc.bench.harness import BenchBackends, BenchPlan, plan_benchmark
from fmpc.runtime.backends import BackendTable, CallableBackend
from fmpc.runtime.cache import args_digest
from fmpc.worlds import perfect_backends
from fmpc.worlds.benchmarks import answer_benchmark_question, parse_benchmark_question

TINY = Path(__file__).parent / "data" / "tiny.yaml"
SMALL_COST, LARGE_COST, MONOLITHIC_COST = 1.0, 10.0, 100.0


class CallLog:
    """Every backend call served: (function, backend, image id, digest of the arguments)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, bytes]] = []
        self._lock = threading.Lock()

    def wrap(self, fn: str, backend: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any) -> Any:
            image = getattr(args[0], "image", args[0])
            with self._lock:
                self.calls.append((fn, backend, str(getattr(image, "id", "")), args_digest(args)))
            return f(*args)

        return counted


def monolithic_answer(image: Any, question: str) -> str:
    """The exact answer: a monolithic model that is always right."""
    return answer_benchmark_question(parse_benchmark_question(question), image.scene)


def fake_backends(
    log: CallLog, monolithic: Callable[..., Any] = monolithic_answer
) -> BenchBackends:
    """Two perfect backends per function (``small``, ``large``) and a monolithic one."""
    backends = []
    for fn, f in perfect_backends().items():
        for name, cost in (("small", SMALL_COST), ("large", LARGE_COST)):
            backends.append(CallableBackend(name, fn, log.wrap(fn, name, f), cost))
    mono = CallableBackend("mono", "query", monolithic, MONOLITHIC_COST)
    return BenchBackends(BackendTable.of(backends), {}, mono, "fake backends")


@pytest.fixture
def call_log() -> CallLog:
    return CallLog()


@pytest.fixture
def tiny_plan() -> BenchPlan:
    return plan_benchmark("all", queries_file=TINY)
