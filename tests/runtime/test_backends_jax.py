"""``JaxBackend``: bucketed compilation, measured FLOPs, outputs equal to a direct apply."""

from __future__ import annotations

import threading
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn
from flax import nnx

from fmpc.runtime.backends import BackendFailure, JaxBackend
from fmpc.runtime.backends.images import resize_pixels
from fmpc.semantics.values import ImageValue, PatchValue


class _MLP(nn.Module):
    width: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return nn.Dense(2)(nn.relu(nn.Dense(self.width)(x)))


def _mlp(width: int) -> tuple[_MLP, Any]:
    module = _MLP(width)
    return module, module.init(jax.random.key(0), jnp.zeros((1, 6)))


def _softmax_postprocess(logits: np.ndarray, args: tuple) -> tuple[bool, float]:
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    return bool(probs[1] > probs[0]), float(probs.max())


def _inputs(n: int, seed: int = 0) -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=6).astype(np.float32),) for _ in range(n)]


def test_a_stream_compiles_once_per_bucket() -> None:
    traces: list[int] = []
    module, variables = _mlp(8)

    def apply(params: Any, x: jax.Array) -> jax.Array:
        traces.append(x.shape[0])  # runs once per trace, i.e. per compilation
        return module.apply(params, x)

    backend = JaxBackend("mlp", "exists", apply, variables, batch_buckets=(1, 2, 4, 8))
    for size in [1, 3, 2, 5, 8, 7, 1, 4, 6, 3, 2, 11, 16]:
        results = backend(_inputs(size, seed=size))
        assert len(results) == size and all(r.ok for r in results)
    assert sorted(traces) == [1, 2, 4, 8]
    assert backend.compilations == 4


def test_outputs_equal_a_direct_apply() -> None:
    module, variables = _mlp(8)
    backend = JaxBackend.from_linen("mlp", "exists", module, variables)
    batch = _inputs(5)
    results = backend(batch)
    expected = np.asarray(module.apply(variables, np.stack([x for (x,) in batch])))
    for result, row in zip(results, expected, strict=True):
        np.testing.assert_allclose(result.output, row, rtol=1e-5, atol=1e-6)
        assert result.confidence == 1.0


def test_postprocess_gives_outputs_and_confidences() -> None:
    module, variables = _mlp(8)
    backend = JaxBackend.from_linen(
        "mlp", "exists", module, variables, postprocess=_softmax_postprocess
    )
    batch = _inputs(3)
    results = backend(batch)
    logits = np.asarray(module.apply(variables, np.stack([x for (x,) in batch])))
    for result, row in zip(results, logits, strict=True):
        assert result.output == bool(row[1] > row[0])
        assert 0.5 <= result.confidence <= 1.0


def test_cost_is_xla_flops_and_grows_with_model_size() -> None:
    small = JaxBackend.from_linen("small", "exists", *_mlp(8))
    large = JaxBackend.from_linen("large", "exists", *_mlp(256))
    args = _inputs(1)[0]
    module, variables = _mlp(8)
    measured = jax.jit(module.apply).lower(variables, args[0][None]).compile().cost_analysis()
    if isinstance(measured, list):
        measured = measured[0]
    assert small.cost(args) == measured["flops"] > 0
    assert large.cost(args) > 10 * small.cost(args)


def test_results_are_charged_the_bucket_flops_per_slot() -> None:
    module, variables = _mlp(16)
    backend = JaxBackend.from_linen("mlp", "exists", module, variables)
    results = backend(_inputs(3))  # padded to a bucket of 4
    x = jax.ShapeDtypeStruct((4, 6), np.float32)
    flops = jax.jit(module.apply).lower(variables, x).compile().cost_analysis()
    if isinstance(flops, list):
        flops = flops[0]
    assert [r.cost for r in results] == [pytest.approx(flops["flops"] / 4)] * 3


def test_nnx_model() -> None:
    model = nnx.Linear(6, 3, rngs=nnx.Rngs(0))
    backend = JaxBackend.from_nnx("lin", "f", model)
    batch = _inputs(2)
    results = backend(batch)
    for result, (x,) in zip(results, batch, strict=True):
        np.testing.assert_allclose(result.output, np.asarray(model(x[None]))[0], rtol=1e-5)
    assert backend.cost(batch[0]) > 0


def test_patches_of_any_size_share_one_executable() -> None:
    traces: list[int] = []

    def apply(params: Any, x: jax.Array) -> jax.Array:
        traces.append(1)
        return (x.mean(axis=(1, 2, 3)) * params,)

    def preprocess(args: tuple) -> np.ndarray:
        return resize_pixels(args[0].pixels(), 8, 8)

    def postprocess(out: tuple, args: tuple) -> tuple[float, float]:
        return float(out[0]), 1.0

    backend = JaxBackend(
        "mean", "f", apply, jnp.float32(2.0), preprocess=preprocess, postprocess=postprocess
    )
    image = ImageValue(np.full((40, 50, 3), 0.5, np.float32))
    patches = [PatchValue(image, 0, 0, w, h) for w, h in [(5, 9), (30, 12), (50, 40), (7, 7)]]
    results = backend([(p,) for p in patches])
    assert [r.output for r in results] == [pytest.approx(1.0, abs=0.01)] * 4
    assert len(traces) == 1


def test_a_bad_item_fails_alone() -> None:
    module, variables = _mlp(8)
    backend = JaxBackend.from_linen("mlp", "exists", module, variables)
    good = _inputs(2)
    results = backend([good[0], ("not a number",), good[1]])
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, BackendFailure)
    assert "jax backend 'mlp' (exists): " in str(results[1].error)
    with pytest.raises(BackendFailure, match="preprocess failed"):
        backend.cost(("not a number",))


def test_items_of_different_shapes_are_batched_separately() -> None:
    def apply(params: Any, x: jax.Array) -> jax.Array:
        return x.sum(axis=1)

    backend = JaxBackend("sum", "f", apply, {})
    results = backend([(np.ones(3, np.float32),), (np.ones(5, np.float32),), (np.ones(3),)])
    assert [float(r.output) for r in results] == [3.0, 5.0, 3.0]
    assert backend.compilations == 2  # float64 input is canonicalised to float32


def test_postprocess_failure_is_charged() -> None:
    def postprocess(out: Any, args: tuple) -> tuple[Any, float]:
        raise ValueError("cannot decode")

    module, variables = _mlp(8)
    backend = JaxBackend.from_linen("mlp", "exists", module, variables, postprocess=postprocess)
    (result,) = backend(_inputs(1))
    assert not result.ok and result.cost > 0
    assert "postprocess failed: ValueError: cannot decode" in str(result.error)


def test_concurrent_callers_share_one_compilation() -> None:
    module, variables = _mlp(8)
    backend = JaxBackend.from_linen("mlp", "exists", module, variables)
    outputs: dict[int, list[Any]] = {}

    def work(k: int) -> None:
        outputs[k] = backend(_inputs(3, seed=k))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert backend.compilations == 1
    for k in range(4):
        expected = module.apply(variables, np.stack([x for (x,) in _inputs(3, seed=k)]))
        got = np.stack([r.output for r in outputs[k]])
        np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-5, atol=1e-6)


def test_rejects_empty_buckets() -> None:
    with pytest.raises(ValueError, match="batch_buckets"):
        JaxBackend("x", "f", lambda p, x: x, {}, batch_buckets=())


def test_timings_say_where_the_time_went() -> None:
    module, variables = _mlp(8)
    backend = JaxBackend.from_linen("mlp", "exists", module, variables, batch_buckets=(1, 4))
    assert backend.timings().calls == 0
    backend(_inputs(3))
    first = backend.timings()
    backend(_inputs(2))
    second = backend.timings() - first
    assert (first.calls, first.items, second.calls, second.items) == (1, 3, 1, 2)
    assert first.compile_s > 0 and second.compile_s == 0  # the bucket of 4 was compiled once
    assert second.compute_s > 0 and second.preprocess_s > 0 and second.postprocess_s > 0
    assert second.total_s < backend.timings().total_s
