"""Per-input limits: how long one input may run and how many routable calls it may make.

A program that loops over every pair of many detections, or a backend that answers slowly,
must not stall a stream. ``RunLimits`` bounds each input's run; the executor checks it before
every call-site execution and at every region it enters (each loop iteration), and an input
that exceeds a limit fails with a message saying which, while the stream goes on::

    Executor(module, table, policy, limits=RunLimits(max_calls=200, time_limit_s=10.0))
    # prog.py:7:18: 'fmpc.call' (exists, site 2) failed: the input made more than 200 calls
    #     (the --max-calls limit)

``None`` switches a limit off. The time limit is wall time from the moment the input's run
begins (in a window, time spent waiting for the window's shared backend requests counts); it
is checked between operations, so a single backend call that hangs is bounded by that
backend's own timeout (an http backend's ``deadline``), not here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

DEFAULT_MAX_CALLS = 1000
"""Call-site executions (routable calls, each item of a batched call counted) per input."""

DEFAULT_TIME_LIMIT_S = 120.0
"""Wall-clock seconds one input may run."""


class LimitError(ValueError):
    """A limit setting is not valid (a count below 1, a time that is not a positive number)."""


@dataclass(frozen=True)
class RunLimits:
    """``max_calls``: the most call-site executions of one input; ``time_limit_s``: the most
    seconds one input may run. ``None`` disables either."""

    max_calls: int | None = DEFAULT_MAX_CALLS
    time_limit_s: float | None = DEFAULT_TIME_LIMIT_S

    def __post_init__(self) -> None:
        if self.max_calls is not None and (
            isinstance(self.max_calls, bool) or not isinstance(self.max_calls, int)
        ):
            raise LimitError(f"max_calls must be an integer, got {self.max_calls!r}")
        if self.max_calls is not None and self.max_calls < 1:
            raise LimitError(f"max_calls must be >= 1, got {self.max_calls}")
        seconds = self.time_limit_s
        if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
            raise LimitError(f"the time limit must be a number of seconds > 0, got {seconds}")

    def meter(self) -> Meter:
        """A fresh meter for one input's run, its clock started now."""
        return Meter(self)


UNLIMITED = RunLimits(max_calls=None, time_limit_s=None)
"""No limits (what the reference interpreter has)."""


class Meter:
    """What one run has used so far; ``problem`` says which limit it has passed, if any."""

    __slots__ = ("calls", "limits", "started")

    def __init__(self, limits: RunLimits) -> None:
        self.limits = limits
        self.calls = 0
        self.started = time.perf_counter()

    def elapsed_s(self) -> float:
        """Seconds since the run began."""
        return time.perf_counter() - self.started

    def add_calls(self, n: int) -> str | None:
        """Count ``n`` more call-site executions; the reason when that passes ``max_calls``
        (or the time limit has passed), else ``None``."""
        self.calls += n
        limit = self.limits.max_calls
        if limit is not None and self.calls > limit:
            return f"the input made more than {limit} calls (the --max-calls limit)"
        return self.overtime()

    def overtime(self) -> str | None:
        """The reason when the run has passed its time limit, else ``None``."""
        limit = self.limits.time_limit_s
        if limit is None:
            return None
        elapsed = self.elapsed_s()
        if elapsed <= limit:
            return None
        return f"the input ran for {elapsed:.1f}s, past the time limit of {limit:g}s (--time-limit)"
