"""The zoo's Flax (linen) networks: detector, crop classifier, text model and monolithic VQA.

Every network takes a batch axis first and is sized by its dataclass fields (``widths``,
``depth``, ...), so one class gives the small, medium and large members of a family.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from fmpc.worlds.vocabulary import CATEGORIES, COLOR_NAMES, SIZES

GRID = 8
"""Detector output grid: an ``8 x 8`` grid of cells of ``8 x 8`` pixels over a 64-pixel canvas."""

CANVAS = 64
"""Side in pixels of the detector's (and the monolithic model's) input canvas."""

N_CATEGORIES = len(CATEGORIES)
N_COLORS = len(COLOR_NAMES)
N_SIZES = len(SIZES)
DETECTOR_CHANNELS = 1 + N_CATEGORIES + 4
"""Per cell: objectness logit, category logits, box ``(dx, dy, w, h)`` (see ``fmpc.zoo.data``)."""


def _conv_stack(x: jnp.ndarray, widths: tuple[int, ...], depth: int, strides: int) -> jnp.ndarray:
    """``len(widths)`` stages; stage ``k`` downsamples by 2 when ``k < strides``."""
    for k, width in enumerate(widths):
        stride = 2 if k < strides else 1
        x = nn.relu(nn.Conv(width, (3, 3), strides=stride)(x))
        for _ in range(depth - 1):
            x = nn.relu(nn.Conv(width, (3, 3))(x))
    return x


class Detector(nn.Module):
    """Fully convolutional grid detector: ``(B, 64, 64, 3)`` pixels -> ``(B, 8, 8, 18)``
    (objectness, 13 category logits, 4 box values per cell), CenterNet/YOLO style."""

    widths: tuple[int, ...] = (8, 16, 24)
    depth: int = 1
    head: int = 0
    features: bool = False
    """When true, the output also holds the per-cell features the maps are read from (after the
    18 map channels): the vision tower of ``MonolithicVQA``. The parameters are the same."""

    @nn.compact
    def __call__(self, pixels: jnp.ndarray) -> jnp.ndarray:
        x = _conv_stack(pixels * 2.0 - 1.0, self.widths, self.depth, strides=3)
        if self.head:
            x = nn.relu(nn.Conv(self.head, (3, 3))(x))
        maps = nn.Conv(DETECTOR_CHANNELS, (1, 1))(x)
        return jnp.concatenate([maps, x], axis=-1) if self.features else maps


class CropClassifier(nn.Module):
    """Classifier of one object crop: ``(B, R, R, 3)`` pixels and ``(B, 2)`` box size (width,
    height over 64) -> category, colour and size logits."""

    widths: tuple[int, ...] = (8, 16)
    depth: int = 1
    hidden: int = 32

    @nn.compact
    def __call__(self, crop: jnp.ndarray, box: jnp.ndarray) -> dict[str, jnp.ndarray]:
        x = _conv_stack(crop * 2.0 - 1.0, self.widths, self.depth, strides=len(self.widths))
        x = jnp.concatenate([x.mean(axis=(1, 2)), x.max(axis=(1, 2)), box], axis=-1)
        x = nn.relu(nn.Dense(self.hidden)(x))
        return {
            "category": nn.Dense(N_CATEGORIES)(x),
            "color": nn.Dense(N_COLORS)(x),
            "size": nn.Dense(N_SIZES)(x),
        }


class _Block(nn.Module):
    dim: int
    heads: int

    @nn.compact
    def __call__(self, x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
        attention = nn.MultiHeadDotProductAttention(num_heads=self.heads)
        x = x + attention(nn.LayerNorm()(x), mask=mask[:, None, None, :])
        h = nn.gelu(nn.Dense(4 * self.dim)(nn.LayerNorm()(x)))
        return x + nn.Dense(self.dim)(h)


class TextEncoder(nn.Module):
    """Token ids ``(B, L)`` (0 = padding) -> one vector per question.

    ``layers = 0``: the mean of the token embeddings (a bag of words, order-blind); otherwise a
    pre-norm transformer with learned positions, mean-pooled over the real tokens.
    """

    vocab: int
    dim: int = 16
    layers: int = 0
    heads: int = 2
    max_len: int = 24

    @nn.compact
    def __call__(self, tokens: jnp.ndarray) -> jnp.ndarray:
        mask = tokens > 0
        x = nn.Embed(self.vocab, self.dim)(tokens)
        if self.layers:
            x = x + self.param("positions", nn.initializers.normal(0.02), (self.max_len, self.dim))
            for _ in range(self.layers):
                x = _Block(self.dim, self.heads)(x, mask)
            x = nn.LayerNorm()(x)
        weights = mask[..., None].astype(x.dtype)
        return (x * weights).sum(axis=1) / jnp.maximum(weights.sum(axis=1), 1.0)


class TextModel(nn.Module):
    """Question tokens ``(B, L)`` -> answer logits ``(B, n_answers)``."""

    vocab: int
    n_answers: int
    dim: int = 16
    layers: int = 0
    heads: int = 2
    hidden: int = 32
    max_len: int = 24

    @nn.compact
    def __call__(self, tokens: jnp.ndarray) -> jnp.ndarray:
        x = TextEncoder(self.vocab, self.dim, self.layers, self.heads, self.max_len)(tokens)
        x = nn.gelu(nn.Dense(self.hidden)(x))
        return nn.Dense(self.n_answers)(x)


class MonolithicVQA(nn.Module):
    """Whole image ``(B, 64, 64, 3)`` and question tokens ``(B * repeat, L)`` -> answer logits.

    A small vision-language model: a vision tower (a ``Detector`` with the largest detector's
    sizes, whose weights are that detector's and stay frozen, like a VLM's pretrained image
    encoder) and a trainable convolutional stem turn the image into 64 cell tokens (one per
    8 x 8-pixel cell, with learned positions); the question's word tokens follow them, and a
    pre-norm transformer over ``[answer token, cells, words]`` reads the answer off the first
    token. ``repeat``: each image is asked ``repeat`` consecutive questions (training reads
    each scene once for several questions). ``tower``: the tower's outputs, when computed
    beforehand (training; the tower's parameters are then not needed).
    """

    vocab: int
    n_answers: int
    widths: tuple[int, ...] = (32, 64, 128)
    depth: int = 2
    head: int = 128
    stem: tuple[int, ...] = (32, 64, 64)
    dim: int = 128
    layers: int = 4
    heads: int = 4
    max_len: int = 24

    @nn.compact
    def __call__(
        self,
        pixels: jnp.ndarray,
        tokens: jnp.ndarray,
        repeat: int = 1,
        tower: jnp.ndarray | None = None,
    ) -> jnp.ndarray:
        if tower is None:
            vision = Detector(self.widths, self.depth, self.head, features=True, name="tower")
            tower = jax.lax.stop_gradient(vision(pixels))
        stem = _conv_stack(pixels * 2.0 - 1.0, self.stem, 1, strides=3)
        cells = jnp.concatenate([nn.LayerNorm()(tower), stem], axis=-1)
        cells = nn.Dense(self.dim)(cells.reshape(cells.shape[0], GRID * GRID, -1))
        cells = cells + self.param("cells", nn.initializers.normal(0.02), cells.shape[1:])
        cells = jnp.repeat(cells, repeat, axis=0)
        words = nn.Embed(self.vocab, self.dim)(tokens)
        words = words + self.param("words", nn.initializers.normal(0.02), (self.max_len, self.dim))
        first = self.param("answer", nn.initializers.normal(0.02), (1, 1, self.dim))
        first = jnp.broadcast_to(first, (tokens.shape[0], 1, self.dim))
        x = jnp.concatenate([first, cells, words], axis=1)
        mask = jnp.concatenate([jnp.ones(x.shape[:2], bool)[:, : 1 + GRID * GRID], tokens > 0], 1)
        for _ in range(self.layers):
            x = _Block(self.dim, self.heads)(x, mask)
        return nn.Dense(self.n_answers)(nn.LayerNorm()(x[:, 0]))
