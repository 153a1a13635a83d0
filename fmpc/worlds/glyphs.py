"""Handwritten digit glyphs from scikit-learn's bundled digits data set (no download).

The 1797 8x8 samples are split once, deterministically and per digit class, into three disjoint
pools: ``train`` (model training, 60%), ``val`` (model selection, 15%) and ``bench`` (benchmark
scenes only, 25%), so benchmark scenes only use glyphs no model trained on. A pool's glyphs are
read-only float32 arrays in [0, 1] (ink = 1); ``upscale`` resizes one bilinearly to an object's
size.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

POOLS: tuple[str, ...] = ("train", "val", "bench")
"""The glyph pools, in split order."""

POOL_FRACTIONS: tuple[float, ...] = (0.60, 0.15, 0.25)
"""Fraction of each digit class's samples that goes to each pool of ``POOLS``."""

SPLIT_SEED = 20250
"""Seed of the fixed permutation that splits each class's samples into pools."""


@dataclass(frozen=True, eq=False)
class GlyphPool:
    """One pool of glyphs: ``images`` ``(n, 8, 8)`` float32 in [0, 1], ``digits`` ``(n,)`` int,
    ``sample_ids`` ``(n,)``: indices into scikit-learn's data set, ``by_digit[d]``: indices (into
    this pool) of the glyphs of digit ``d``. All arrays are read-only."""

    name: str
    images: np.ndarray
    digits: np.ndarray
    sample_ids: np.ndarray
    by_digit: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return int(self.digits.shape[0])


@functools.lru_cache(maxsize=1)
def _dataset() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    images = np.asarray(data.images, dtype=np.float32) / 16.0
    return images, np.asarray(data.target, dtype=np.int64)


def _split() -> dict[str, np.ndarray]:
    _, targets = _dataset()
    rng = np.random.default_rng(SPLIT_SEED)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in POOLS}
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(targets == digit))
        bounds = np.round(np.cumsum(POOL_FRACTIONS) * len(members)).astype(int)
        for name, chunk in zip(POOLS, np.split(members, bounds[:-1]), strict=True):
            parts[name].append(chunk)
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


@functools.lru_cache(maxsize=len(POOLS))
def glyph_pool(name: str) -> GlyphPool:
    """The glyph pool called ``name`` (one of ``POOLS``), loaded once and cached."""
    if name not in POOLS:
        raise ValueError(f"unknown glyph pool {name!r}; known: {', '.join(POOLS)}")
    images, targets = _dataset()
    ids = _split()[name]
    pool = GlyphPool(name, images[ids], targets[ids], ids, ())
    by_digit = tuple(np.flatnonzero(pool.digits == d) for d in range(10))
    for array in (pool.images, pool.digits, pool.sample_ids, *by_digit):
        array.flags.writeable = False
    return dataclasses.replace(pool, by_digit=by_digit)


def upscale(glyph: np.ndarray, height: int, width: int) -> np.ndarray:
    """``glyph`` resized bilinearly to ``(height, width)``, values kept in [0, 1]."""
    zoom = (height / glyph.shape[0], width / glyph.shape[1])
    out = ndimage.zoom(glyph, zoom, order=1, mode="nearest", grid_mode=True)
    return np.clip(out, 0.0, 1.0)
