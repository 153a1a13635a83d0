"""The zoo's Flax (linen) networks: detector, crop classifier, text model and monolithic VQA.

Every network takes a batch axis first and is sized by its dataclass fields (``widths``,
``depth``, ...), so one class gives the small, medium and large members of a family.
"""

from __future__ import annotations

import flax.linen as nn
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

    @nn.compact
    def __call__(self, pixels: jnp.ndarray) -> jnp.ndarray:
        x = _conv_stack(pixels * 2.0 - 1.0, self.widths, self.depth, strides=3)
        if self.head:
            x = nn.relu(nn.Conv(self.head, (3, 3))(x))
        return nn.Conv(DETECTOR_CHANNELS, (1, 1))(x)


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
    """Whole image ``(B, 64, 64, 3)`` and question tokens ``(B, L)`` -> answer logits.

    A conv backbone, a transformer question encoder, FiLM conditioning of the 8 x 8 feature map
    by the question (with coordinate channels, for spatial questions), then pooled features to
    an answer classifier — a small stand-in for a monolithic vision-language model.
    """

    vocab: int
    n_answers: int
    widths: tuple[int, ...] = (32, 64, 128)
    depth: int = 2
    dim: int = 64
    layers: int = 2
    film_layers: int = 2
    max_len: int = 24

    @nn.compact
    def __call__(self, pixels: jnp.ndarray, tokens: jnp.ndarray) -> jnp.ndarray:
        x = _conv_stack(pixels * 2.0 - 1.0, self.widths, self.depth, strides=3)
        q = TextEncoder(self.vocab, self.dim, self.layers, 4, self.max_len)(tokens)
        batch, height, width, channels = x.shape
        ys, xs = jnp.meshgrid(
            jnp.linspace(-1, 1, height), jnp.linspace(-1, 1, width), indexing="ij"
        )
        coords = jnp.broadcast_to(jnp.stack([ys, xs], -1), (batch, height, width, 2))
        for _ in range(self.film_layers):
            h = nn.Conv(channels, (3, 3))(jnp.concatenate([x, coords], axis=-1))
            gamma, beta = jnp.split(nn.Dense(2 * channels)(q), 2, axis=-1)
            h = h * (1.0 + gamma[:, None, None, :]) + beta[:, None, None, :]
            x = x + nn.relu(h)
        pooled = jnp.concatenate([x.mean(axis=(1, 2)), x.max(axis=(1, 2)), q], axis=-1)
        return nn.Dense(self.n_answers)(nn.relu(nn.Dense(2 * self.dim)(pooled)))
