"""``PendingInputs``: what a learning policy keeps about inputs begun but not yet observed.

Feedback is matched to a begun input by its id. Ids may repeat (two lines of a JSONL file
naming the same picture, or a service seeing one id twice before its feedback), so each id holds
a queue: ``observe`` takes the oldest input begun under that id, which is the one a stream
answers first. The table is bounded: beyond ``limit`` entries the oldest are forgotten (their
feedback is then counted as ``unknown input``). Not thread-safe by itself: policies use it under
their own lock::

    pending = PendingInputs(limit=8192)
    pending.add("a.png", context_1)
    pending.add("a.png", context_2)      # the same id again
    pending.pop("a.png")                 # context_1, then context_2
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Generic, TypeVar

T = TypeVar("T")


class PendingInputs(Generic[T]):
    """A bounded table of begun inputs by id, first in first out per id; see the module."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.limit = limit
        self._queues: OrderedDict[str, deque[T]] = OrderedDict()
        self._size = 0

    def add(self, input_id: str, value: T) -> None:
        """Remember ``value`` for the input ``input_id`` (after any earlier one of that id)."""
        self._queues.setdefault(input_id, deque()).append(value)
        self._size += 1
        while self._size > self.limit:
            oldest_id, queue = next(iter(self._queues.items()))
            queue.popleft()
            self._size -= 1
            if not queue:
                del self._queues[oldest_id]

    def pop(self, input_id: str) -> T | None:
        """The oldest value remembered for ``input_id`` (forgotten now), or ``None``."""
        queue = self._queues.get(input_id)
        if not queue:
            return None
        value = queue.popleft()
        self._size -= 1
        if not queue:
            del self._queues[input_id]
        return value

    def clear(self) -> None:
        """Forget everything."""
        self._queues.clear()
        self._size = 0

    def __len__(self) -> int:
        return self._size
