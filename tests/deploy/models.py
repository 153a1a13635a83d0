"""Tiny JAX backends for the deployment tests: ``exists`` answered by a logistic model of a
patch's 4x4 thumbnail, at two widths, with an ``io`` function so artifacts can export them."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from fmpc.runtime.backends.base import Args
from fmpc.runtime.backends.images import pixels_of, resize_pixels
from fmpc.runtime.backends.jax import JaxBackend

SIDE = 4


def preprocess(args: Args) -> np.ndarray:
    """A patch's pixels at 4x4 (the name is not a model input)."""
    if not isinstance(args[1], str):
        raise TypeError("exists takes a name")
    return resize_pixels(pixels_of(args[0]), SIDE, SIDE)


def postprocess(outputs: Any, args: Args) -> tuple[bool, float]:
    """The probability as ``(p > 0.5, certainty)``."""
    p = float(np.asarray(outputs))
    return p > 0.5, max(p, 1.0 - p)


def apply(params: Any, pixels: jax.Array) -> jax.Array:
    """A one-hidden-layer logistic model of the flattened thumbnail."""
    flat = pixels.reshape(pixels.shape[0], -1)
    hidden = jnp.tanh(flat @ params["w1"] + params["b1"])
    return jax.nn.sigmoid(hidden @ params["w2"] + params["b2"])[:, 0]


def params_of(width: int, seed: int) -> dict[str, np.ndarray]:
    """Fixed parameters of a model ``width`` wide."""
    rng = np.random.default_rng(seed)
    inputs = SIDE * SIDE * 3
    return {
        "w1": rng.normal(0, 1, (inputs, width)).astype(np.float32),
        "b1": np.zeros(width, np.float32),
        "w2": rng.normal(0, 1, (width, 1)).astype(np.float32),
        "b2": np.asarray([0.1], np.float32),
    }


def tiny_backend(name: str, function: str, width: int = 4, seed: int = 0) -> JaxBackend:
    """The factory a ``type: jax`` entry names."""
    return JaxBackend(
        name,
        function,
        apply,
        params_of(width, seed),
        preprocess=preprocess,
        postprocess=postprocess,
        batch_buckets=(1, 2, 4, 8),
    )


def tiny_io(width: int = 4, seed: int = 0) -> tuple[Any, Any]:
    """The ``io`` an entry names: its inputs and outputs without the model."""
    return preprocess, postprocess


def broken(patch: Any, name: str) -> bool:
    """A callable backend that always fails."""
    raise RuntimeError("this backend is down")
