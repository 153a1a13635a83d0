"""JAX backends ahead of time: warm-up of every bucket, export to StableHLO, backends rebuilt
from the exported computations (same answers and costs, no model code), and compiled
executables that load only when they are what they claim."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import jax
import numpy as np
import pytest

from fmpc.runtime.backends.export import (
    ExportError,
    deserialize,
    environment,
    export_backend,
    exported_backend,
    load_executable,
)
from fmpc.runtime.backends.jax import JaxBackend


def _backend() -> JaxBackend:
    params = {"w": np.arange(6, dtype=np.float32).reshape(3, 2), "b": np.ones(2, np.float32)}
    return JaxBackend(
        "lin",
        "score",
        lambda p, x: x @ p["w"] + p["b"],
        params,
        preprocess=lambda args: np.asarray(args[0], np.float32),
        postprocess=lambda out, args: (float(out.sum()), 1.0),
        batch_buckets=(1, 2, 4),
    )


def _rebuilt(backend: JaxBackend, blobs, *, executables: bool = True) -> JaxBackend:
    return exported_backend(
        "lin",
        "score",
        [stablehlo for stablehlo, _ in blobs],
        jax.tree.map(np.asarray, backend.params),
        preprocess=lambda args: np.asarray(args[0], np.float32),
        postprocess=lambda out, args: (float(out.sum()), 1.0),
        executables=[executable for _, executable in blobs] if executables else (),
    )


def test_warm_compiles_every_bucket_once() -> None:
    backend = _backend()
    assert backend.warm(([1.0, 2.0, 3.0],)) == 3
    assert backend.warm(([0.0, 0.0, 0.0],)) == 0
    assert backend.compilations == 3
    with pytest.raises(Exception, match="preprocess failed"):
        backend.warm(("not numbers",))


def test_an_exported_backend_answers_as_the_original() -> None:
    backend = _backend()
    backend.warm(([1.0, 2.0, 3.0],))
    blobs = export_backend(backend)
    assert len(blobs) == 3 and all(executable for _, executable in blobs)
    batch = [([1.0, 2.0, 3.0],), ([0.5, 0.0, -1.0],), ([2.0, 2.0, 2.0],)]
    for use_executables in (True, False):
        rebuilt = _rebuilt(backend, blobs, executables=use_executables)
        assert rebuilt.buckets == (1, 2, 4)
        assert rebuilt.warm_all() == 3
        assert [r.output for r in rebuilt(batch)] == [r.output for r in backend(batch)]
        assert rebuilt.cost(batch[0]) == backend.cost(batch[0])


def test_other_shapes_fail_naming_the_exported_ones() -> None:
    backend = _backend()
    backend.warm(([1.0, 2.0, 3.0],), [1])
    rebuilt = _rebuilt(backend, export_backend(backend))
    [result] = rebuilt([([1.0, 2.0],)])
    assert not result.ok
    assert "no exported computation for inputs of shapes float32[1, 2]" in str(result.error)
    assert "exported: float32[1, 3]" in str(result.error)


def test_bytes_that_are_not_a_computation() -> None:
    with pytest.raises(ExportError, match="not a serialized jax.export computation"):
        deserialize(b"nonsense")


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_a_tampered_executable_is_refused(tmp_path: Path) -> None:
    backend = _backend()
    backend.warm(([1.0, 2.0, 3.0],), [1])
    [(stablehlo, executable)] = export_backend(backend)
    exported = deserialize(stablehlo)
    assert load_executable(executable, exported.in_tree, exported.out_tree) is not None
    evil = pickle.dumps(_Payload(tmp_path / "owned"))
    assert load_executable(evil, exported.in_tree, exported.out_tree) is None
    assert not (tmp_path / "owned").exists()
    assert load_executable(b"garbage", exported.in_tree, exported.out_tree) is None


def test_the_environment_is_a_stable_digest() -> None:
    assert environment() == environment()
    assert environment().startswith("sha256:")
