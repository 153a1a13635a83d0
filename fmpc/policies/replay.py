"""The learned policies' replay buffer: one row per credited decision, in fixed-size arrays.

A row is (image features, extra context, site index, chosen backend, target reward). The buffer
is a ring of ``capacity`` rows: when full, the oldest rows are overwritten. Its state is a dict of
numpy arrays (a pytree), so checkpoints save it as is. Not thread-safe by itself: the policy that
owns it holds its lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

COLUMNS = ("features", "extra", "site", "action", "target")
"""The arrays of a buffer, in order."""


@dataclass(frozen=True)
class Row:
    """One credited decision."""

    features: np.ndarray
    extra: np.ndarray
    site: int
    action: int
    target: float


class ReplayBuffer:
    """A ring of ``capacity`` rows with ``features`` and ``extra`` vectors of fixed lengths."""

    def __init__(self, capacity: int, features: int, extra: int) -> None:
        if capacity < 1:
            raise ValueError(f"the replay buffer needs a capacity >= 1, got {capacity}")
        self.capacity = capacity
        self.features = np.zeros((capacity, features), np.float32)
        self.extra = np.zeros((capacity, extra), np.float32)
        self.site = np.zeros(capacity, np.int32)
        self.action = np.zeros(capacity, np.int32)
        self.target = np.zeros(capacity, np.float32)
        self.added = 0

    def __len__(self) -> int:
        """The rows held (at most ``capacity``)."""
        return min(self.added, self.capacity)

    def add(self, row: Row) -> None:
        """Append ``row``, overwriting the oldest one when full."""
        i = self.added % self.capacity
        self.features[i] = row.features
        self.extra[i] = row.extra
        self.site[i] = row.site
        self.action[i] = row.action
        self.target[i] = row.target
        self.added += 1

    def latest(self, n: int) -> dict[str, np.ndarray]:
        """The ``n`` most recent rows (at most ``len(self)``), oldest first, by column."""
        n = min(n, len(self))
        indices = (np.arange(self.added - n, self.added) % self.capacity).astype(np.int64)
        return {name: getattr(self, name)[indices] for name in COLUMNS}

    def arrays(self) -> dict[str, np.ndarray]:
        """Every column (``capacity`` rows; only the first ``len(self)`` of a ring not yet full
        hold data)."""
        return {name: getattr(self, name) for name in COLUMNS}

    def state(self) -> dict[str, Any]:
        """The buffer as a pytree of arrays (columns of size 0 left out: Orbax cannot save
        them)."""
        columns = {n: a.copy() for n, a in self.arrays().items() if a.size}
        return {**columns, "added": np.asarray([self.added], np.int64)}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Continue from ``state()``; ``ValueError`` when its shapes do not fit this buffer."""
        for name in COLUMNS:
            current = getattr(self, name)
            if not current.size and name not in state:
                continue
            array = np.asarray(state[name])
            if array.shape != current.shape:
                raise ValueError(
                    f"replay buffer column {name}: saved shape {array.shape}, "
                    f"expected {current.shape}"
                )
            setattr(self, name, array.astype(current.dtype, copy=True))
        self.added = int(np.asarray(state["added"]).reshape(-1)[0])
