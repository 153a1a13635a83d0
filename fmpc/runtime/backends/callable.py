"""``CallableBackend``: any Python function as a backend, with a declared cost."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fmpc.runtime.backends.base import Args, BackendFailure, BackendResult, NamedBackend


class CallableBackend(NamedBackend):
    """Serve ``function`` with the Python callable ``fn``.

    Per item (default), ``fn(*args)`` returns the output; with ``batched=True``, ``fn(batch)``
    takes the list of argument tuples and returns the list of outputs. With
    ``with_confidence=True`` each output is an ``(output, confidence)`` pair; otherwise the
    confidence is 1.0. ``cost`` is the declared cost of one item. An exception raised by ``fn``
    fails that item (the whole batch when ``batched``), never the stream::

        CallableBackend("exists-rule", "exists", lambda patch, name: name == "dog", cost=1.0)
    """

    def __init__(
        self,
        name: str,
        function: str,
        fn: Callable[..., Any],
        cost: float,
        *,
        batched: bool = False,
        with_confidence: bool = False,
    ) -> None:
        if cost < 0:
            raise ValueError(f"callable backend {name!r}: cost must be >= 0, got {cost!r}")
        super().__init__(name, function)
        self._fn = fn
        self._cost = float(cost)
        self._batched = batched
        self._with_confidence = with_confidence

    def cost(self, args: Args) -> float:
        """The declared cost (the same for every call)."""
        return self._cost

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        """Serve ``batch``; see the class docstring."""
        if self._batched:
            return self._call_batched(batch)
        return [self._call_one(args) for args in batch]

    def _call_one(self, args: Args) -> BackendResult:
        try:
            return self._result(self._fn(*args))
        except Exception as exc:  # a failing user function fails this item only
            return BackendResult.failure(self._failure(exc))

    def _call_batched(self, batch: Sequence[Args]) -> list[BackendResult]:
        try:
            outputs = list(self._fn(list(batch)))
            if len(outputs) != len(batch):
                raise ValueError(f"returned {len(outputs)} outputs for a batch of {len(batch)}")
            return [self._result(out) for out in outputs]
        except Exception as exc:  # the whole batch failed together
            error = self._failure(exc)
            return [BackendResult.failure(error) for _ in batch]

    def _result(self, value: Any) -> BackendResult:
        if not self._with_confidence:
            return BackendResult(value, 1.0, self._cost)
        output, confidence = value
        return BackendResult(output, float(confidence), self._cost)

    def _failure(self, exc: Exception) -> BackendFailure:
        error = BackendFailure(
            f"callable backend {self._name!r} ({self._function}) raised {type(exc).__name__}: {exc}"
        )
        error.__cause__ = exc
        return error

    def __repr__(self) -> str:
        return f"CallableBackend({self._name!r}, {self._function!r}, cost={self._cost})"
