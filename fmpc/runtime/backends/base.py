"""The backend protocol: what the executor calls at a routable call site.

A **backend** serves one generic function (``exists``, ``find``, ...). It has a ``name`` unique
among the backends of its function, a per-item ``cost`` and is called on a **batch** of argument
tuples, returning one ``BackendResult`` per item, in order::

    results = backend([(patch, "dog"), (patch2, "cat")])
    for r in results:
        if r.ok:
            use(r.output, r.confidence, r.cost)
        else:
            record(r.error)

Failures are per item: an adapter never raises for an input it could not serve; it returns a
result whose ``error`` is a ``BackendFailure`` (``BackendUnavailable``, ``BackendTimeout``,
``BackendResponseError``) so the rest of the batch, and the stream, carry on. ``call_batch``
enforces that contract around any backend, including user-written ones that do raise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Args = tuple[Any, ...]
"""The positional arguments of one call of a generic function, e.g. ``(patch, "dog")``."""


class BackendFailure(Exception):
    """A backend could not produce an output for an input (the base of the errors below).

    Named ``BackendFailure`` rather than ``BackendError``: ``fmpc.semantics.errors.BackendError`` is
    the program-level error the interpreter raises at a call site, which may wrap one of these as
    its cause.
    """


class BackendUnavailable(BackendFailure):
    """The backend cannot be reached or is not serving (connection refused, HTTP 5xx, ...)."""


class BackendTimeout(BackendFailure):
    """The backend did not answer within its timeout (after any retries)."""


class BackendResponseError(BackendFailure):
    """The backend answered, but not with a usable output (malformed JSON, wrong shape, ...)."""


@dataclass(frozen=True, slots=True)
class BackendResult:
    """The outcome of one item of a backend call.

    ``output`` is the function's result (``None`` on failure); ``confidence`` is in ``[0, 1]``;
    ``cost`` is what serving this item cost (FLOPs for JAX backends, the declared cost otherwise;
    ``0.0`` when the backend did no work); ``error`` is set when the item failed.
    """

    output: Any
    confidence: float
    cost: float
    error: BackendFailure | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence!r}")
        if not (self.cost >= 0.0 and math.isfinite(self.cost)):
            raise ValueError(f"cost must be a finite number >= 0, got {self.cost!r}")

    @property
    def ok(self) -> bool:
        """Whether the item was served (``error`` is ``None``)."""
        return self.error is None

    @classmethod
    def failure(cls, error: BackendFailure, cost: float = 0.0) -> BackendResult:
        """A failed item: no output, confidence 0."""
        return cls(None, 0.0, cost, error)


@runtime_checkable
class Backend(Protocol):
    """A model (or any function) serving one generic function; see the module docstring.

    Implementations must be thread-safe: several executors may call one backend at once.
    """

    @property
    def name(self) -> str:
        """The backend's name, unique among the backends of its function."""
        ...

    @property
    def function(self) -> str:
        """The generic function served (``exists``, ``find``, ...)."""
        ...

    def cost(self, args: Args) -> float:
        """The cost of serving one call with ``args`` alone, in the unit of ``BackendResult.cost``."""
        ...

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        """Serve every item of ``batch``; one result per item, in order, failures included."""
        ...


class NamedBackend:
    """The ``name`` and ``function`` every adapter carries, read-only (a base for adapters)."""

    def __init__(self, name: str, function: str) -> None:
        self._name = name
        self._function = function

    @property
    def name(self) -> str:
        """The backend's name."""
        return self._name

    @property
    def function(self) -> str:
        """The generic function served."""
        return self._function


def call_batch(backend: Backend, batch: Sequence[Args]) -> list[BackendResult]:
    """Call ``backend`` on ``batch`` and always get one result per item.

    An exception escaping the backend (a bug, or a user backend that raises) becomes a failed
    result for every item, as does a result list of the wrong length.
    """
    if not batch:
        return []
    try:
        results = backend(batch)
    except Exception as exc:  # any escape is a per-item failure, by contract
        return _all_failed(backend, len(batch), f"raised {type(exc).__name__}: {exc}", exc)
    if len(results) != len(batch):
        reason = f"returned {len(results)} results for a batch of {len(batch)}"
        return _all_failed(backend, len(batch), reason, None)
    return list(results)


def describe(backend: Backend) -> str:
    """``backend 'name' (function)``: how errors name a backend."""
    return f"backend {backend.name!r} ({backend.function})"


def _all_failed(
    backend: Backend, n: int, reason: str, cause: BaseException | None
) -> list[BackendResult]:
    error = (
        cause
        if isinstance(cause, BackendFailure)
        else BackendFailure(f"{describe(backend)} {reason}")
    )
    if cause is not None and error is not cause:
        error.__cause__ = cause
    return [BackendResult.failure(error) for _ in range(n)]
