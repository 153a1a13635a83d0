"""Delayed feedback: the answers still waiting for their label, by input id, in a bounded store.

A label may arrive long after its answer, or never. ``PendingAnswers`` keeps the trace of each
answered input until its feedback arrives, at most ``capacity`` of them for at most ``ttl_s``
seconds (the oldest are dropped first). Feedback that cannot be used is counted by reason and
refused with a ``FeedbackError`` saying why, never dropped in silence:

* ``unknown``: no answer was given under this id (or so long ago that even its record is gone);
* ``duplicate``: this id's feedback was already given;
* ``expired``: the answer was dropped (too old, or the store was full) before its feedback came.

Ids of settled and dropped answers are remembered (up to ``4 * capacity`` of each) to tell
duplicates and expired ids from unknown ones. Thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fmpc.runtime.trace import Trace

REASONS = ("unknown", "duplicate", "expired")
"""Why feedback can be refused."""


class FeedbackError(LookupError):
    """Feedback for an input id that cannot take it; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class DuplicateInputError(ValueError):
    """An answer was asked under an input id whose previous answer still awaits feedback."""


@dataclass(frozen=True)
class Pending:
    """An answered input awaiting its label."""

    input_id: str
    answer: Any
    trace: Trace
    error: str | None
    answered_at: float


class PendingAnswers:
    """The bounded store of answers awaiting feedback; see the module docstring."""

    def __init__(
        self,
        capacity: int = 4096,
        ttl_s: float = 3600.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"the pending store needs a capacity >= 1, got {capacity}")
        if not ttl_s > 0:
            raise ValueError(f"the feedback time-to-live must be > 0 s, got {ttl_s}")
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, Pending | None] = OrderedDict()
        self._settled: OrderedDict[str, None] = OrderedDict()
        self._expired: OrderedDict[str, None] = OrderedDict()
        self._refused: Counter[str] = Counter()
        self._dropped = 0

    def reserve(self, input_id: str) -> None:
        """Claim ``input_id`` for an answer being computed; ``DuplicateInputError`` when an
        answer under it still awaits feedback (or is being computed)."""
        with self._lock:
            self._expire()
            if input_id in self._pending:
                raise DuplicateInputError(
                    f"input id {input_id!r} was answered and still awaits its feedback; "
                    "give it feedback first or use another id"
                )
            self._settled.pop(input_id, None)
            self._expired.pop(input_id, None)
            self._pending[input_id] = None
            self._evict()

    def release(self, input_id: str) -> None:
        """Give up a reservation whose answer was not computed."""
        with self._lock:
            if input_id in self._pending and self._pending[input_id] is None:
                del self._pending[input_id]

    def put(self, input_id: str, answer: Any, trace: Trace, error: str | None) -> None:
        """Store the answer of a reserved id (or of a new one)."""
        entry = Pending(input_id, answer, trace, error, self._clock())
        with self._lock:
            self._pending[input_id] = entry
            self._pending.move_to_end(input_id)
            self._evict()

    def take(self, input_id: str) -> Pending:
        """Remove and return the answer awaiting ``input_id``'s feedback, or raise a
        ``FeedbackError`` (counted by reason)."""
        with self._lock:
            self._expire()
            entry = self._pending.get(input_id)
            if entry is not None:
                del self._pending[input_id]
                _remember(self._settled, input_id, 4 * self.capacity)
                return entry
            reason, message = self._why_not(input_id, input_id in self._pending)
            self._refused[reason] += 1
            raise FeedbackError(reason, message)

    def stats(self) -> dict[str, Any]:
        """``pending`` (answers awaiting feedback), ``dropped`` (expired before feedback) and
        ``refused`` (feedback refused, by reason)."""
        with self._lock:
            self._expire()
            waiting = sum(1 for e in self._pending.values() if e is not None)
            return {
                "pending": waiting,
                "dropped": self._dropped,
                "refused": {reason: self._refused[reason] for reason in REASONS},
            }

    def _why_not(self, input_id: str, computing: bool) -> tuple[str, str]:
        if input_id in self._settled:
            return "duplicate", f"input id {input_id!r} already got its feedback"
        if input_id in self._expired:
            return "expired", (
                f"input id {input_id!r} was answered, but its answer was dropped before the "
                f"feedback came (kept {self.ttl_s:g} s, at most {self.capacity} answers)"
            )
        if computing:
            return "unknown", f"input id {input_id!r} is still being answered"
        return "unknown", f"no answer was given for input id {input_id!r}"

    def _expire(self) -> None:
        deadline = self._clock() - self.ttl_s
        while self._pending:
            input_id, entry = next(iter(self._pending.items()))
            if entry is None or entry.answered_at > deadline:
                return
            self._drop(input_id)

    def _evict(self) -> None:
        while len(self._pending) > self.capacity:
            self._drop(next(iter(self._pending)))

    def _drop(self, input_id: str) -> None:
        entry = self._pending.pop(input_id)
        if entry is not None:
            self._dropped += 1
            _remember(self._expired, input_id, 4 * self.capacity)


def _remember(ids: OrderedDict[str, None], input_id: str, limit: int) -> None:
    ids[input_id] = None
    ids.move_to_end(input_id)
    while len(ids) > limit:
        ids.popitem(last=False)
