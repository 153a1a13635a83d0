"""Drawing a scene graph into pixels: ``render(scene) -> (H, W, 3)`` float32 in [0, 1].

Rows of the array run top to bottom (as images are stored); boxes count rows from the bottom
(``fmpc.semantics.values``), so a box ``(left, lower, right, upper)`` covers array rows
``[H - upper, H - lower)``. Digits are their glyph upscaled bilinearly to the box and used as ink
coverage; shapes are anti-aliased by 4x4 supersampling: the circle is inscribed in its box, the
square and the upward triangle fill it less a 6% margin.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import ndimage

from fmpc.worlds.glyphs import glyph_pool, upscale
from fmpc.worlds.scene import RGB, Blob, Box, Nuisances, Scene, SceneObject, Stroke
from fmpc.worlds.vocabulary import COLORS

_SUPERSAMPLE = 4
_MARGIN = 0.06


def render(scene: Scene) -> np.ndarray:
    """The scene's image, ``(size, size, 3)`` float32 in [0, 1], a pure function of ``scene``."""
    size = scene.size
    nuisances = scene.nuisances
    image = np.empty((size, size, 3), dtype=np.float32)
    image[...] = nuisances.background
    for item in nuisances.clutter:
        where = _clutter_window(item, size)
        _paint(image, _clutter_coverage(item, where, size), where, item.rgb)
    for obj in scene.objects:
        _paint(
            image, _object_coverage(obj, scene.pool), _rows_cols(obj.box, size), COLORS[obj.color]
        )
    for occluder in nuisances.occluders:
        image[_rows_cols(occluder.box, size)] = occluder.rgb
    return _degrade(image, nuisances)


def _rows_cols(box: Box, size: int) -> tuple[slice, slice]:
    left, lower, right, upper = box
    return slice(size - upper, size - lower), slice(left, right)


def _paint(image: np.ndarray, coverage: np.ndarray, where: tuple[slice, slice], rgb: RGB) -> None:
    """Blend ``rgb`` over ``image[where]`` with ``coverage`` as alpha, in place."""
    region = image[where]
    region += (np.asarray(rgb, dtype=np.float32) - region) * coverage[..., None]


def _object_coverage(obj: SceneObject, pool: str) -> np.ndarray:
    left, lower, right, upper = obj.box
    height, width = upper - lower, right - left
    if obj.kind == "digit":
        coverage = upscale(glyph_pool(pool).images[obj.glyph], height, width)
        return coverage if obj.warp is None else _warped(coverage, obj.warp)
    return _shape_coverage(obj.category, height, width)


def _warped(coverage: np.ndarray, warp: tuple[float, float, float, float]) -> np.ndarray:
    """``coverage`` rotated, sheared and stretched about its centre, its ink raised to a gamma
    (``SceneObject.warp``); what leaves the box is cut off."""
    angle, shear, aspect, ink = warp
    cos, sin = math.cos(angle), math.sin(angle)
    # output (row, col) -> input coordinates, about the centre
    matrix = np.asarray([[cos, -sin], [sin, cos]]) @ np.asarray([[1.0, shear], [0.0, 1.0]])
    matrix = matrix @ np.diag([math.exp(aspect), math.exp(-aspect)])
    centre = (np.asarray(coverage.shape, np.float64) - 1) / 2
    out = ndimage.affine_transform(
        coverage, matrix, offset=centre - matrix @ centre, order=1, mode="constant", cval=0.0
    )
    return np.clip(out, 0.0, 1.0) ** math.exp(ink)


@functools.lru_cache(maxsize=256)
def _shape_coverage(shape: str, height: int, width: int) -> np.ndarray:
    # u: 0 at the left edge, 1 at the right; v: 0 at the top edge, 1 at the bottom.
    v = (np.arange(height * _SUPERSAMPLE) + 0.5) / (height * _SUPERSAMPLE)
    u = (np.arange(width * _SUPERSAMPLE) + 0.5) / (width * _SUPERSAMPLE)
    vv, uu = np.meshgrid(v, u, indexing="ij")
    inner = (uu >= _MARGIN) & (uu <= 1 - _MARGIN) & (vv >= _MARGIN) & (vv <= 1 - _MARGIN)
    if shape == "circle":
        inside = (uu - 0.5) ** 2 + (vv - 0.5) ** 2 <= 0.25
    elif shape == "square":
        inside = inner
    elif shape == "triangle":
        half_width = (0.5 - _MARGIN) * (vv - _MARGIN) / (1 - 2 * _MARGIN)
        inside = inner & (np.abs(uu - 0.5) <= half_width)
    else:
        raise ValueError(f"no drawing for shape {shape!r}")
    coverage = inside.reshape(height, _SUPERSAMPLE, width, _SUPERSAMPLE).mean(axis=(1, 3))
    coverage = coverage.astype(np.float32)
    coverage.flags.writeable = False
    return coverage


def _clutter_window(item: Stroke | Blob, size: int) -> tuple[slice, slice]:
    """The array rows and columns ``item`` can reach (its bounding box, padded)."""
    if isinstance(item, Blob):
        (x0, y0), (x1, y1), reach = item.center, item.center, item.radius + 1
    else:
        (x0, y0), (x1, y1), reach = item.start, item.end, item.width / 2 + 1
    cols = _clamped(min(x0, x1) - reach, max(x0, x1) + reach, size)
    rows = _clamped(size - max(y0, y1) - reach, size - min(y0, y1) + reach, size)
    return slice(*rows), slice(*cols)


def _clamped(low: float, high: float, size: int) -> tuple[int, int]:
    start = min(max(0, math.floor(low)), size)
    return start, min(max(start, math.floor(high) + 1), size)


def _clutter_coverage(item: Stroke | Blob, where: tuple[slice, slice], size: int) -> np.ndarray:
    rows, cols = where
    x = (np.arange(cols.start, cols.stop, dtype=np.float32) + 0.5)[None, :]
    y = (size - np.arange(rows.start, rows.stop, dtype=np.float32) - 0.5)[:, None]
    if isinstance(item, Blob):
        distance = np.hypot(x - item.center[0], y - item.center[1])
        return np.clip(item.radius + 0.5 - distance, 0.0, 1.0)
    (x0, y0), (x1, y1) = item.start, item.end
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    distance = np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))
    return np.clip(item.width / 2 + 0.5 - distance, 0.0, 1.0)


def _degrade(image: np.ndarray, nuisances: Nuisances) -> np.ndarray:
    background = np.asarray(nuisances.background, dtype=np.float32)
    if nuisances.contrast != 1.0:
        image = background + (image - background) * np.float32(nuisances.contrast)
    if nuisances.blur > 0:
        image = ndimage.gaussian_filter(image, sigma=(nuisances.blur, nuisances.blur, 0))
    if nuisances.noise > 0:
        rng = np.random.default_rng(nuisances.noise_seed)
        image = image + rng.normal(0.0, nuisances.noise, image.shape).astype(np.float32)
    return np.clip(image, 0.0, 1.0).astype(np.float32)
