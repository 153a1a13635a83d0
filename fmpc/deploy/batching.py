"""Micro-batching: calls to one backend from concurrent answers go out as one batch.

Each answer runs in its caller's thread. When it calls a backend, its items join that backend's
open batch; the batch goes out (in the thread of one of its callers) as soon as

* it holds ``max_batch`` items, or
* every answer in flight is waiting on some backend (nobody else can join: no wait at all for
  a lone request), or
* its oldest call has waited ``max_wait_s``.

So under light load a request never waits, and under heavy load a backend sees batches of up to
``max_batch`` items, which a ``JaxBackend`` runs as one compiled call. If a merged batch fails as
a whole (the backend raises or miscounts), each caller's part is retried alone, so one bad input
cannot fail the others::

    batcher = MicroBatcher(max_batch=16, max_wait_s=0.002)
    table = batched_table(table, batcher)       # the same backends, calls merged
    with batcher.answering():                   # around each answer
        executor.run(image)
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fmpc.runtime.backends.base import Args, Backend, BackendResult, call_batch
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.executor import nominal_cost


@dataclass
class _Call:
    items: Sequence[Args]
    results: list[BackendResult] | None = None


@dataclass
class _Batch:
    backend: Backend
    deadline: float
    ready: threading.Condition  # its callers wait on it (on the batcher's lock): only they wake
    calls: list[_Call] = field(default_factory=list)
    items: int = 0
    sealed: bool = False
    claimed: bool = False


class MicroBatcher:
    """Merges concurrent calls per backend; see the module docstring. Thread-safe."""

    def __init__(self, max_batch: int = 16, max_wait_s: float = 0.002) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        if max_wait_s < 0:
            raise ValueError(f"max_wait must be >= 0, got {max_wait_s}")
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._lock = threading.Lock()
        self._active = 0
        self._waiting = 0
        self._open: dict[int, _Batch] = {}
        self._batches: Counter[str] = Counter()
        self._items: Counter[str] = Counter()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count an answer in flight while the block runs."""
        with self._lock:
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                self._seal_if_stuck()

    def call(self, backend: Backend, items: Sequence[Args]) -> list[BackendResult]:
        """Serve ``items`` with ``backend``, merged with concurrent calls to it."""
        call = _Call(items)
        with self._lock:
            batch = self._join(backend, call)
            while not self._mine_to_run(batch) and call.results is None:
                self._wait(batch)
            if call.results is not None:
                return call.results
        self._run(batch)
        assert call.results is not None
        return call.results

    def stats(self) -> dict[str, dict[str, int]]:
        """Per ``function/backend``: ``batches`` sent and ``items`` they held."""
        with self._lock:
            return {"batches": dict(self._batches), "items": dict(self._items)}

    # ------------------------------------------------------------ under the lock

    def _join(self, backend: Backend, call: _Call) -> _Batch:
        batch = self._open.get(id(backend))
        if batch is None:
            batch = _Batch(
                backend, time.monotonic() + self.max_wait_s, threading.Condition(self._lock)
            )
            self._open[id(backend)] = batch
        batch.calls.append(call)
        batch.items += len(call.items)
        self._waiting += 1
        if batch.items >= self.max_batch:
            self._seal(batch)
        self._seal_if_stuck()
        return batch

    def _mine_to_run(self, batch: _Batch) -> bool:
        if batch.sealed and not batch.claimed:
            batch.claimed = True
            return True
        return False

    def _wait(self, batch: _Batch) -> None:
        if batch.sealed:
            batch.ready.wait()
            return
        left = batch.deadline - time.monotonic()
        if left <= 0:
            self._seal(batch)
        else:
            batch.ready.wait(left)

    def _seal(self, batch: _Batch) -> None:
        if not batch.sealed:
            batch.sealed = True
            if self._open.get(id(batch.backend)) is batch:
                del self._open[id(batch.backend)]
            batch.ready.notify_all()

    def _seal_if_stuck(self) -> None:
        """When every answer in flight waits on a backend, nobody can join: send them all."""
        if self._open and self._waiting >= self._active:
            for batch in list(self._open.values()):
                self._seal(batch)

    # ------------------------------------------------------------ outside the lock

    def _run(self, batch: _Batch) -> None:
        results = _merged(batch)
        with self._lock:
            key = f"{batch.backend.function}/{batch.backend.name}"
            self._batches[key] += 1
            self._items[key] += batch.items
            for call, part in zip(batch.calls, results, strict=True):
                call.results = part
            self._waiting -= len(batch.calls)
            batch.ready.notify_all()


def _merged(batch: _Batch) -> list[list[BackendResult]]:
    """One result list per call of ``batch``: one backend call for all, or (if that fails as a
    whole) one per call."""
    calls = batch.calls
    if len(calls) > 1:
        items = [args for call in calls for args in call.items]
        try:
            results = list(batch.backend(items))
        except Exception:  # each call is retried alone below; call_batch reports its failure
            results = []
        if len(results) == len(items):
            parts, offset = [], 0
            for call in calls:
                parts.append(results[offset : offset + len(call.items)])
                offset += len(call.items)
            return parts
    return [call_batch(batch.backend, call.items) for call in calls]


class BatchedBackend:
    """``backend`` with its calls merged by ``batcher`` (same name, function and costs)."""

    def __init__(self, backend: Backend, batcher: MicroBatcher) -> None:
        self.backend = backend
        self._batcher = batcher
        self.nominal_cost = nominal_cost(backend)

    @property
    def name(self) -> str:
        """The wrapped backend's name."""
        return self.backend.name

    @property
    def function(self) -> str:
        """The wrapped backend's function."""
        return self.backend.function

    def cost(self, args: Args) -> float:
        """The wrapped backend's cost."""
        return self.backend.cost(args)

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        """Serve ``batch`` together with concurrent calls to the same backend."""
        return self._batcher.call(self.backend, batch)

    def close(self) -> None:
        """Close the wrapped backend."""
        close: Any = getattr(self.backend, "close", None)
        if callable(close):
            close()

    def __repr__(self) -> str:
        return f"BatchedBackend({self.backend!r})"


def batched_table(table: BackendTable, batcher: MicroBatcher) -> BackendTable:
    """``table`` with every backend's calls merged by ``batcher`` (same order and fallbacks)."""
    groups = {f: tuple(BatchedBackend(b, batcher) for b in bs) for f, bs in table.items()}
    return BackendTable(groups, table.fallbacks)
