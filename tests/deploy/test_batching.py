"""Micro-batching: concurrent calls to one backend go out together, a lone call never waits,
batches stop at ``max_batch``, and a bad item cannot fail the others."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from fmpc.deploy.batching import BatchedBackend, MicroBatcher, batched_table
from fmpc.runtime.backends import BackendResult, BackendTable
from fmpc.runtime.backends.base import Args


class Recorder:
    """A backend recording each batch it serves; an item ``"bad"`` makes it raise."""

    name = "rec"
    function = "exists"
    nominal_cost = 2.0

    def __init__(self) -> None:
        self.batches: list[list[Args]] = []
        self.lock = threading.Lock()

    def cost(self, args: Args) -> float:
        return 2.0

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        with self.lock:
            self.batches.append(list(batch))
        if any(args[0] == "bad" for args in batch):
            raise ValueError("bad item")
        return [BackendResult(args[0], 1.0, 2.0) for args in batch]


def _concurrently(batcher: MicroBatcher, backend: Recorder, items: list[str]) -> list[list]:
    results: list[list] = [[] for _ in items]
    barrier = threading.Barrier(len(items))

    def run(i: int) -> None:
        with batcher.answering():
            barrier.wait()
            results[i] = batcher.call(backend, [(items[i],)])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_calls_are_merged() -> None:
    backend = Recorder()
    batcher = MicroBatcher(max_batch=16, max_wait_s=1.0)
    results = _concurrently(batcher, backend, [f"x{i}" for i in range(8)])
    assert [r[0].output for r in results] == [f"x{i}" for i in range(8)]
    assert len(backend.batches) == 1 and len(backend.batches[0]) == 8
    assert batcher.stats() == {"batches": {"exists/rec": 1}, "items": {"exists/rec": 8}}


def test_a_lone_call_does_not_wait() -> None:
    backend = Recorder()
    batcher = MicroBatcher(max_batch=16, max_wait_s=5.0)
    start = time.perf_counter()
    with batcher.answering():
        [result] = batcher.call(backend, [("alone",)])
    assert result.output == "alone" and time.perf_counter() - start < 1.0


def test_batches_stop_at_max_batch() -> None:
    backend = Recorder()
    batcher = MicroBatcher(max_batch=3, max_wait_s=1.0)
    _concurrently(batcher, backend, [f"x{i}" for i in range(7)])
    assert max(len(b) for b in backend.batches) <= 3
    assert sum(len(b) for b in backend.batches) == 7


def test_the_wait_is_bounded() -> None:
    backend = Recorder()
    batcher = MicroBatcher(max_batch=16, max_wait_s=0.05)
    busy = threading.Event()
    done = threading.Event()

    def other_answer() -> None:  # in flight, but never calls the backend until released
        with batcher.answering():
            busy.set()
            done.wait(10)

    thread = threading.Thread(target=other_answer)
    thread.start()
    busy.wait(10)
    start = time.perf_counter()
    with batcher.answering():
        batcher.call(backend, [("x",)])
    waited = time.perf_counter() - start
    done.set()
    thread.join()
    assert 0.04 <= waited < 2.0


def test_a_bad_item_fails_alone() -> None:
    backend = Recorder()
    batcher = MicroBatcher(max_batch=16, max_wait_s=1.0)
    results = _concurrently(batcher, backend, ["a", "bad", "c"])
    outputs = {r[0].output for r in results if r[0].ok}
    assert outputs == {"a", "c"}
    [failed] = [r[0] for r in results if not r[0].ok]
    assert "bad item" in str(failed.error)


def test_a_batched_table_keeps_names_costs_and_fallbacks() -> None:
    backend = Recorder()
    other = Recorder()
    other.name = "big"
    table = BackendTable({"exists": (backend, other)}, {("exists", "rec"): "big"})
    wrapped = batched_table(table, MicroBatcher())
    first = wrapped["exists"][0]
    assert isinstance(first, BatchedBackend) and first.name == "rec" and first.nominal_cost == 2.0
    assert wrapped.fallback("exists", "rec").name == "big"
    assert first([("y",)])[0].output == "y"
