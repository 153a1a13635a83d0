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
    height over 64) -> category, colour and size logits, and ``side``: the mean and log
    standard deviation of the log of the object's side over 64 (a Gaussian, for
    ``compute_depth`` and its confidence)."""

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
            "side": nn.Dense(2, name="side")(x),
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


REGION_FEATURES = N_CATEGORIES + 1 + 4 + 6 + 2
"""Per region, besides the tower's cell features: category probabilities, objectness, box
(centre x, centre y, width, height over the canvas), mean and peak colour inside the box, and
the cell's row and column."""


def region_features(tower: jnp.ndarray, pixels: jnp.ndarray, regions: int) -> jnp.ndarray:
    """The ``regions`` most object-like cells of a detector's output as region vectors.

    ``tower``: ``(B, 8, 8, DETECTOR_CHANNELS + C)`` maps and cell features of a
    ``Detector(features=True)``; ``pixels``: ``(B, 64, 64, 3)``. Returns ``(B, regions,
    C + REGION_FEATURES)``: per cell, chosen by objectness, its features, its decoded maps and
    the colour of the pixels inside its predicted box (bottom-up region features, as VQA models
    read them).
    """
    batch = tower.shape[0]
    flat = tower.reshape(batch, GRID * GRID, -1)
    objectness = jax.nn.sigmoid(flat[..., 0])
    _, index = jax.lax.top_k(objectness, regions)
    cells = jnp.take_along_axis(flat, index[..., None], axis=1)
    row, col = (index // GRID).astype(jnp.float32), (index % GRID).astype(jnp.float32)
    box = cells[..., 1 + N_CATEGORIES : DETECTOR_CHANNELS]
    x = (col + jnp.clip(box[..., 0], 0.0, 1.0)) / GRID
    y_down = (row + jnp.clip(box[..., 1], 0.0, 1.0)) / GRID
    width = jnp.clip(box[..., 2] * 0.5, 0.02, 1.0)  # sides are predicted over 32 pixels
    height = jnp.clip(box[..., 3] * 0.5, 0.02, 1.0)
    colour = _box_colour(pixels, x, y_down, width, height)
    parts = [
        cells[..., DETECTOR_CHANNELS:],
        jax.nn.softmax(cells[..., 1 : 1 + N_CATEGORIES], axis=-1),
        jax.nn.sigmoid(cells[..., :1]),
        jnp.stack([x, 1.0 - y_down, width, height], axis=-1),
        colour,
        jnp.stack([row, col], axis=-1) / GRID,
    ]
    return jnp.concatenate(parts, axis=-1)


def _box_colour(
    pixels: jnp.ndarray,
    x: jnp.ndarray,
    y_down: jnp.ndarray,
    width: jnp.ndarray,
    height: jnp.ndarray,
) -> jnp.ndarray:
    """Mean and peak RGB of the pixels inside each box (boxes in canvas fractions, y down)."""
    centres = (jnp.arange(CANVAS) + 0.5) / CANVAS
    inside_x = jnp.abs(centres[None, None, :] - x[..., None]) <= width[..., None] / 2
    inside_y = jnp.abs(centres[None, None, :] - y_down[..., None]) <= height[..., None] / 2
    mask = (inside_y[..., :, None] & inside_x[..., None, :]).astype(pixels.dtype)  # (B,R,H,W)
    count = jnp.maximum(mask.sum(axis=(2, 3)), 1.0)[..., None]
    mean = jnp.einsum("brhw,bhwc->brc", mask, pixels) / count
    peak = (mask[..., None] * pixels[:, None]).max(axis=(2, 3))
    return jnp.concatenate([mean, peak], axis=-1)


class _CrossBlock(nn.Module):
    """Pre-norm decoder block: self-attention over the question, attention to the regions,
    then an MLP."""

    dim: int
    heads: int

    @nn.compact
    def __call__(self, x: jnp.ndarray, memory: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
        attend = nn.MultiHeadDotProductAttention(num_heads=self.heads)
        x = x + attend(nn.LayerNorm()(x), mask=mask[:, None, None, :])
        read = nn.MultiHeadDotProductAttention(num_heads=self.heads)
        x = x + read(nn.LayerNorm()(x), nn.LayerNorm()(memory))
        h = nn.gelu(nn.Dense(4 * self.dim)(nn.LayerNorm()(x)))
        return x + nn.Dense(self.dim)(h)


class MonolithicVQA(nn.Module):
    """Whole image ``(B, 64, 64, 3)`` and question tokens ``(B * repeat, L)`` -> answer logits.

    A small vision-language model in the bottom-up-attention style: a vision tower (a
    ``Detector`` with the largest detector's sizes, whose weights are that detector's and stay
    frozen, like a VLM's pretrained image encoder) proposes ``regions`` region vectors
    (``region_features``: the most object-like cells with their features, decoded boxes and
    colours); ``encoder`` transformer blocks relate the regions to each other; ``layers``
    decoder blocks read ``[answer token, question words]`` against them, and the answer comes
    off the first token. ``repeat``: each image is asked ``repeat`` consecutive questions (the
    scene is encoded once for all of them). ``tower``: the tower's outputs, when computed
    beforehand (training; the tower's parameters are then not needed).
    """

    vocab: int
    n_answers: int
    widths: tuple[int, ...] = (32, 64, 128)
    depth: int = 2
    head: int = 128
    regions: int = 10
    dim: int = 128
    encoder: int = 2
    layers: int = 2
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
        regions = nn.Dense(self.dim)(nn.LayerNorm()(region_features(tower, pixels, self.regions)))
        everywhere = jnp.ones(regions.shape[:2], bool)
        for _ in range(self.encoder):
            regions = _Block(self.dim, self.heads)(regions, everywhere)
        regions = jnp.repeat(regions, repeat, axis=0)
        words = nn.Embed(self.vocab, self.dim)(tokens)
        words = words + self.param("words", nn.initializers.normal(0.02), (self.max_len, self.dim))
        first = self.param("answer", nn.initializers.normal(0.02), (1, 1, self.dim))
        first = jnp.broadcast_to(first, (tokens.shape[0], 1, self.dim))
        x = jnp.concatenate([first, words], axis=1)
        mask = jnp.concatenate([jnp.ones((tokens.shape[0], 1), bool), tokens > 0], axis=1)
        for _ in range(self.layers):
            x = _CrossBlock(self.dim, self.heads)(x, regions, mask)
        return nn.Dense(self.n_answers)(nn.LayerNorm()(x[:, 0]))
