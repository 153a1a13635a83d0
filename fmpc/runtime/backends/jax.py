"""``JaxBackend``: a Flax module or jax function as a backend, compiled once per shape bucket.

A call runs in four steps:

1. ``preprocess(args)`` turns one item's Python arguments into model inputs (arrays, or a tuple
   of pytrees of arrays) **without** a batch axis, at a fixed size (resize crops here, e.g. with
   ``fmpc.runtime.backends.images.resize_pixels``);
2. items whose inputs have the same shapes and dtypes are stacked, and the batch is padded up to
   the next **batch bucket** (1, 2, 4, ... by default; larger batches are split);
3. the function is compiled once per (input shapes, bucket), ahead of time, and the executable
   is kept by the backend: a stream of varying batch sizes compiles at most once per bucket;
4. ``postprocess(outputs, args)`` turns one item's slice of the outputs into
   ``(output, confidence)``.

**Cost is measured, never declared**: XLA's cost analysis of the compiled executable gives its
FLOPs for the bucket's shape; each item is charged ``flops / bucket_size``. It runs on JAX's
default device (CPU, GPU or TPU) with no code change.

``timings()`` says where the backend's time went so far: preparing inputs (steps 1-2), running
the compiled function with its transfers (step 3) and reading outputs back (step 4).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from fmpc.runtime.backends.base import Args, BackendFailure, BackendResult, NamedBackend

Preprocess = Callable[[Args], Any]
"""One item's arguments -> model inputs without a batch axis (a pytree, or a tuple of them)."""

Postprocess = Callable[[Any, Args], tuple[Any, float]]
"""One item's model outputs (numpy pytree) and its arguments -> ``(output, confidence)``."""

DEFAULT_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
"""Batch sizes compiled for: a batch is padded up to the next one and split above the last."""


@dataclass(frozen=True)
class StageTimes:
    """Wall seconds a backend spent in each stage since it was made, over ``calls`` calls of
    ``items`` items in all (compilation is counted in ``compile_s``, not in ``compute_s``)."""

    calls: int = 0
    items: int = 0
    preprocess_s: float = 0.0
    compute_s: float = 0.0
    postprocess_s: float = 0.0
    compile_s: float = 0.0

    @property
    def total_s(self) -> float:
        """Every stage's seconds together."""
        return self.preprocess_s + self.compute_s + self.postprocess_s + self.compile_s

    def __add__(self, other: StageTimes) -> StageTimes:
        return StageTimes(
            self.calls + other.calls,
            self.items + other.items,
            self.preprocess_s + other.preprocess_s,
            self.compute_s + other.compute_s,
            self.postprocess_s + other.postprocess_s,
            self.compile_s + other.compile_s,
        )

    def __sub__(self, other: StageTimes) -> StageTimes:
        return StageTimes(
            self.calls - other.calls,
            self.items - other.items,
            self.preprocess_s - other.preprocess_s,
            self.compute_s - other.compute_s,
            self.postprocess_s - other.postprocess_s,
            self.compile_s - other.compile_s,
        )


@dataclass(frozen=True)
class _Signature:
    """The shapes and dtypes of one item's inputs: items with equal signatures batch together."""

    treedef: Any
    leaves: tuple[tuple[tuple[int, ...], str], ...]


@dataclass(frozen=True)
class _Item:
    index: int
    signature: _Signature
    leaves: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class _Executable:
    compiled: Any
    flops: float


class JaxBackend(NamedBackend):
    """Serve ``function`` with ``apply_fn(params, *inputs)``; see the module docstring.

    ``apply_fn`` is any jax-traceable function, e.g. a Flax linen ``module.apply`` (see
    ``from_linen`` and ``from_nnx``). ``preprocess`` defaults to converting each argument to an
    array; ``postprocess`` defaults to ``(outputs, 1.0)``.
    """

    def __init__(
        self,
        name: str,
        function: str,
        apply_fn: Callable[..., Any],
        params: Any,
        *,
        preprocess: Preprocess | None = None,
        postprocess: Postprocess | None = None,
        batch_buckets: Sequence[int] = DEFAULT_BATCH_BUCKETS,
    ) -> None:
        buckets = tuple(sorted(set(batch_buckets)))
        if not buckets or buckets[0] < 1:
            raise ValueError(f"jax backend {name!r}: batch_buckets must be positive sizes")
        super().__init__(name, function)
        self._jitted = jax.jit(apply_fn)
        self._params = jax.device_put(params)
        self._preprocess = preprocess or _default_preprocess
        self._postprocess = postprocess or _default_postprocess
        self._buckets = buckets
        self._executables: dict[tuple[_Signature, int], _Executable] = {}
        self._lock = threading.Lock()
        self._times = StageTimes()

    @classmethod
    def from_linen(
        cls, name: str, function: str, module: Any, variables: Any, **kwargs: Any
    ) -> JaxBackend:
        """A backend running the Flax linen ``module`` as ``module.apply(variables, *inputs)``."""
        return cls(name, function, module.apply, variables, **kwargs)

    @classmethod
    def from_nnx(cls, name: str, function: str, model: Any, **kwargs: Any) -> JaxBackend:
        """A backend running the Flax NNX ``model`` as ``model(*inputs)`` (split into its state)."""
        from flax import nnx

        graphdef, state = nnx.split(model)

        def apply(state: Any, *inputs: Any) -> Any:
            return nnx.merge(graphdef, state)(*inputs)

        return cls(name, function, apply, state, **kwargs)

    @property
    def buckets(self) -> tuple[int, ...]:
        """The batch sizes compiled for, smallest first."""
        return self._buckets

    @property
    def params(self) -> Any:
        """The parameters ``apply_fn`` is called with (on the device)."""
        return self._params

    @property
    def compilations(self) -> int:
        """How many executables (one per input signature and batch bucket) were compiled."""
        with self._lock:
            return len(self._executables)

    def timings(self) -> StageTimes:
        """Where the backend's time went so far (see ``StageTimes``)."""
        with self._lock:
            return self._times

    def _spent(self, stages: StageTimes) -> None:
        with self._lock:
            self._times = self._times + stages

    def cost(self, args: Args) -> float:
        """Measured FLOPs of serving ``args`` alone (the batch-of-1 executable).

        Raises ``BackendFailure`` when ``args`` cannot be preprocessed or compiled.
        """
        item = self._prepare(0, args)
        if isinstance(item, BackendResult):
            assert item.error is not None
            raise item.error
        try:
            executable = self._executable(item.signature, self._buckets[0])
        except Exception as exc:  # reported like a failed call
            raise self._failure("compile", exc) from exc
        return executable.flops / self._buckets[0]

    def warm(self, args: Args, buckets: Sequence[int] | None = None) -> int:
        """Compile the executables of ``args``'s input shapes for ``buckets`` (default: every
        bucket) and return how many were compiled now; ``BackendFailure`` when ``args`` cannot
        be preprocessed or a bucket cannot be compiled."""
        item = self._prepare(0, args)
        if isinstance(item, BackendResult):
            assert item.error is not None
            raise item.error
        return self._warm(item.signature, buckets)

    def warm_shapes(self, inputs: tuple[Any, ...], buckets: Sequence[int] | None = None) -> int:
        """``warm`` for one item's model inputs given by shape: ``inputs`` is what
        ``preprocess`` would return, as a tuple of pytrees of ``jax.ShapeDtypeStruct`` (or
        arrays) without the batch axis."""
        leaves, treedef = jax.tree.flatten(inputs)
        shapes = tuple(
            (tuple(leaf.shape), np.dtype(jax.dtypes.canonicalize_dtype(leaf.dtype)).str)
            for leaf in leaves
        )
        return self._warm(_Signature(treedef, shapes), buckets)

    def _warm(self, signature: _Signature, buckets: Sequence[int] | None) -> int:
        compiled = 0
        for bucket in buckets if buckets is not None else self._buckets:
            if bucket not in self._buckets:
                raise BackendFailure(f"jax backend {self._name!r} has no batch bucket {bucket}")
            with self._lock:
                known = (signature, bucket) in self._executables
            if not known:
                try:
                    self._executable(signature, bucket)
                except Exception as exc:  # reported like a failed call
                    raise self._failure("compile", exc) from exc
                compiled += 1
        return compiled

    def export(self, platforms: Sequence[str] | None = None) -> list[tuple[Any, Any]]:
        """Every compiled computation as a pair: the ``jax.export.Exported`` of
        ``apply_fn(params, *inputs)`` at its batch bucket, for ``platforms`` (default: the
        current one), and the executable compiled here. Export after ``warm`` to cover the
        shapes a program will call."""
        from jax import export

        with self._lock:
            keys = sorted(self._executables, key=lambda key: (repr(key[0].leaves), key[1]))
            compiled = [self._executables[key].compiled for key in keys]
        params = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), self._params)
        exporter = export.export(self._jitted, platforms=platforms)
        exported = [exporter(params, *self._input_specs(sig, bucket)) for sig, bucket in keys]
        return list(zip(exported, compiled, strict=True))

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        """Serve ``batch``: group by input signature, pad to buckets, run, postprocess."""
        start = time.perf_counter()
        results: list[BackendResult | None] = [None] * len(batch)
        groups: dict[_Signature, list[_Item]] = {}
        for i, args in enumerate(batch):
            item = self._prepare(i, args)
            if isinstance(item, BackendResult):
                results[i] = item
            else:
                groups.setdefault(item.signature, []).append(item)
        self._spent(StageTimes(1, len(batch), preprocess_s=time.perf_counter() - start))
        for items in groups.values():
            for chunk in _chunks(items, self._buckets[-1]):
                for item, result in zip(chunk, self._run(chunk, batch), strict=True):
                    results[item.index] = result
        return [r for r in results if r is not None]

    def _prepare(self, index: int, args: Args) -> _Item | BackendResult:
        try:
            inputs = self._preprocess(args)
            if not isinstance(inputs, tuple):
                inputs = (inputs,)
            raw, treedef = jax.tree.flatten(inputs)
            leaves = tuple(_canonical(leaf) for leaf in raw)
        except Exception as exc:  # a bad input fails this item only
            return BackendResult.failure(self._failure("preprocess", exc))
        shapes = tuple((leaf.shape, leaf.dtype.str) for leaf in leaves)
        return _Item(index, _Signature(treedef, shapes), leaves)

    def _run(self, chunk: Sequence[_Item], batch: Sequence[Args]) -> list[BackendResult]:
        bucket = self._bucket(len(chunk))
        try:
            executable = self._executable(chunk[0].signature, bucket)
            start = time.perf_counter()
            stacked = _stack(chunk, bucket)
            ready = time.perf_counter()
            inputs = chunk[0].signature.treedef.unflatten(stacked)
            outputs = jax.device_get(executable.compiled(self._params, *inputs))
            done = time.perf_counter()
        except Exception as exc:  # compile or run failure: the chunk fails together
            error = self._failure("run", exc)
            return [BackendResult.failure(error) for _ in chunk]
        cost = executable.flops / bucket
        finished = [
            self._finish(outputs, row, batch[item.index], cost) for row, item in enumerate(chunk)
        ]
        self._spent(
            StageTimes(
                preprocess_s=ready - start,
                compute_s=done - ready,
                postprocess_s=time.perf_counter() - done,
            )
        )
        return finished

    def _finish(self, outputs: Any, row: int, args: Args, cost: float) -> BackendResult:
        try:
            output, confidence = self._postprocess(jax.tree.map(lambda a: a[row], outputs), args)
            return BackendResult(output, float(confidence), cost)
        except Exception as exc:  # the model ran: the item is charged
            return BackendResult.failure(self._failure("postprocess", exc), cost)

    def _bucket(self, n: int) -> int:
        return next(b for b in self._buckets if b >= n)

    def _executable(self, signature: _Signature, bucket: int) -> _Executable:
        key = (signature, bucket)
        with self._lock:
            executable = self._executables.get(key)
            if executable is None:
                start = time.perf_counter()
                executable = self._compile(signature, bucket)
                self._executables[key] = executable
                seconds = time.perf_counter() - start
                self._times = self._times + StageTimes(compile_s=seconds)
            return executable

    def _compile(self, signature: _Signature, bucket: int) -> _Executable:
        inputs = self._input_specs(signature, bucket)
        compiled = self._precompiled(inputs)
        if compiled is None:
            compiled = self._jitted.lower(self._params, *inputs).compile()
        return _Executable(compiled, _flops(compiled, self._name))

    def _precompiled(self, inputs: Any) -> Any | None:
        """An executable for ``inputs`` (batched ``ShapeDtypeStruct`` s) compiled beforehand,
        if the backend has one (a subclass's hook); ``None`` compiles it now."""
        return None

    @staticmethod
    def _input_specs(signature: _Signature, bucket: int) -> Any:
        specs = [jax.ShapeDtypeStruct((bucket, *shape), dtype) for shape, dtype in signature.leaves]
        return signature.treedef.unflatten(specs)

    def _failure(self, stage: str, exc: Exception) -> BackendFailure:
        error = BackendFailure(
            f"jax backend {self._name!r} ({self._function}): {stage} failed: "
            f"{type(exc).__name__}: {exc}"
        )
        error.__cause__ = exc
        return error

    def __repr__(self) -> str:
        return f"JaxBackend({self._name!r}, {self._function!r}, buckets={self._buckets})"


def _canonical(leaf: Any) -> np.ndarray:
    """``leaf`` as a numpy array of the dtype JAX will use (float64 -> float32 without x64)."""
    array = np.asarray(leaf)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"model inputs must be numeric arrays, got dtype {array.dtype}")
    dtype = jax.dtypes.canonicalize_dtype(array.dtype)
    return array if array.dtype == dtype else array.astype(dtype)


def _default_preprocess(args: Args) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a) for a in args)


def _default_postprocess(outputs: Any, args: Args) -> tuple[Any, float]:
    return outputs, 1.0


def _chunks(items: list[_Item], size: int) -> list[list[_Item]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _stack(chunk: Sequence[_Item], bucket: int) -> list[np.ndarray]:
    """Per leaf, the items stacked on a new batch axis, padded to ``bucket`` with the last item."""
    pad = bucket - len(chunk)
    stacked = []
    for k in range(len(chunk[0].leaves)):
        rows = np.stack([item.leaves[k] for item in chunk])
        if pad:
            rows = np.concatenate([rows, np.repeat(rows[-1:], pad, axis=0)])
        stacked.append(rows)
    return stacked


def _flops(compiled: Any, name: str) -> float:
    """FLOPs of ``compiled`` from XLA's cost analysis (a dict, or a list of one per device)."""
    analysis = compiled.cost_analysis()
    if isinstance(analysis, list | tuple):
        analysis = analysis[0] if analysis else None
    flops = analysis.get("flops") if isinstance(analysis, dict) else None
    if flops is None or flops < 0:
        raise BackendFailure(f"jax backend {name!r}: XLA's cost analysis reported no FLOPs")
    return float(flops)
