"""The learned policies' network: cheap image features, a shared context encoder with a site
embedding, and one reward head per call site.

``image_features(pixels)`` turns an ``(H, W, 3)`` image into ``FEATURES`` numbers. The image is
first reduced to 16x16 (block means, or an antialiased resize when its sides are not multiples of
16); the features are that image at 8x8, the mean and standard deviation of each colour channel
and the mean absolute vertical and horizontal gradient of its grey levels. It runs inside the policy's jitted
decision function, so XLA's cost analysis counts its FLOPs with the rest.

``RewardNet`` maps (image features, extra context, site index) to a predicted reward per
backend: a shared encoder of the image features, plus a learned embedding of the site, plus the
extra context (what the run computed so far, for the adaptive policy), then the site's own head.
"""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

GRID = 8
"""Side of the downsampled image in the features."""

FEATURES = GRID * GRID * 3 + 3 + 3 + 2
"""Length of ``image_features``: the 8x8 RGB image, channel means, channel stds, two edge means."""


def image_features(pixels: jax.Array) -> jax.Array:
    """The ``FEATURES`` cheap features of one ``(H, W, 3)`` image in [0, 1], all computed from
    the image reduced to 16x16."""
    reduced = _downsample(pixels, 2 * GRID)
    small = reduced.reshape(GRID, 2, GRID, 2, 3).mean(axis=(1, 3))
    grey = reduced.mean(axis=-1)
    edges = jnp.stack(
        [jnp.abs(jnp.diff(grey, axis=0)).mean(), jnp.abs(jnp.diff(grey, axis=1)).mean()]
    )
    return jnp.concatenate(
        [
            small.reshape(-1) - 0.5,
            reduced.mean(axis=(0, 1)),
            reduced.std(axis=(0, 1)),
            4.0 * edges,
        ]
    )


def _downsample(pixels: jax.Array, side: int) -> jax.Array:
    """The image at ``side`` x ``side``: block means when the sides divide evenly (cheap), else
    an antialiased linear resize."""
    height, width = pixels.shape[0], pixels.shape[1]
    if height % side == 0 and width % side == 0:
        blocks = pixels.reshape(side, height // side, side, width // side, 3)
        return blocks.mean(axis=(1, 3))
    return jax.image.resize(pixels, (side, side, 3), "linear", antialias=True)


class RewardNet(nn.Module):
    """Predicted reward of each backend at one site (``n_backends`` outputs; sites with fewer
    backends ignore the extra outputs).

    ``site`` is the site's index among the policy's sites (0 .. ``n_sites - 1``), not its id.
    """

    n_sites: int
    n_backends: int
    hidden: int = 32

    @nn.compact
    def __call__(self, features: jax.Array, extra: jax.Array, site: jax.Array) -> jax.Array:
        encoded = nn.relu(nn.Dense(self.hidden, name="encoder")(features))
        embeddings = self.param(
            "site_embedding", nn.initializers.normal(1.0), (self.n_sites, self.hidden)
        )
        embedding = embeddings[site]
        context = jnp.concatenate([encoded, embedding, extra])
        hidden = nn.relu(nn.Dense(self.hidden, name="context")(context))
        kernel = self.param(
            "head_kernel",
            nn.initializers.lecun_normal(batch_axis=(0,)),
            (self.n_sites, self.hidden, self.n_backends),
        )
        bias = self.param("head_bias", nn.initializers.zeros, (self.n_sites, self.n_backends))
        return hidden @ kernel[site] + bias[site]


def flops_of(jitted: Any, *args: Any, **kwargs: Any) -> float:
    """The FLOPs XLA's cost analysis reports for the jitted function ``jitted`` called with
    ``args`` and ``kwargs`` (0 when XLA does not say). It analyses the lowered computation, so
    nothing is compiled for it. The count depends only on the arguments' types and shapes and the
    static ``kwargs``, so it is analysed once per such signature (tens of milliseconds each) and
    read back afterwards, for every policy."""
    leaves, treedef = jax.tree.flatten(args)
    types = tuple(jax.typeof(leaf) for leaf in leaves)
    return _analysed(jitted, treedef, types, tuple(sorted(kwargs.items())))


@functools.lru_cache(maxsize=256)
def _analysed(jitted: Any, treedef: Any, types: tuple[Any, ...], kwargs: tuple[Any, ...]) -> float:
    # A memo of a pure function, as jax.jit keeps its compiled code: no run sees another's.
    specs = [jax.ShapeDtypeStruct(t.shape, t.dtype, weak_type=t.weak_type) for t in types]
    analysis = jitted.lower(*jax.tree.unflatten(treedef, specs), **dict(kwargs)).cost_analysis()
    if isinstance(analysis, list | tuple):
        analysis = analysis[0] if analysis else {}
    return float((analysis or {}).get("flops", 0.0))
