"""Training and evaluation data for the zoo, made with the embedded world's generator.

Scenes come from ``fmpc.worlds.generator.SceneGenerator``: training uses the ``train`` glyph
pool, held-out evaluation the ``val`` pool (never ``bench``). This module turns scenes into
arrays: detector targets on the 8 x 8 grid, labelled object crops, and encodes/decodes
detector boxes between the grid and image pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fmpc.runtime.backends.images import resize_pixels
from fmpc.semantics.values import ImageValue, PatchValue
from fmpc.worlds.generator import Difficulty, SceneGenerator
from fmpc.worlds.scene import SceneObject
from fmpc.worlds.vocabulary import CATEGORIES, COLOR_NAMES, SIZES
from fmpc.zoo.models import CANVAS, GRID

CELL = CANVAS // GRID
"""Side of one detector grid cell in pixels."""

BOX_SCALE = 32.0
"""Detector box widths and heights are predicted as ``side / BOX_SCALE``."""

BOX_JITTER = 2
"""Training crops move each box edge by up to this many pixels (detector boxes are not exact)."""


def scenes(seed: int, n: int, pool: str, difficulty: Difficulty, name: str) -> list[ImageValue]:
    """``n`` rendered scenes of a deterministic stream (``pool``: ``train`` or ``val``)."""
    generator = SceneGenerator(seed, pool=pool, difficulty=difficulty, name=name)
    return [generator.image(i) for i in range(n)]


@dataclass(frozen=True)
class DetectorTargets:
    """Per scene and grid cell: ``objectness`` ``(N, 8, 8)``, ``category`` index ``(N, 8, 8)``
    and ``box`` ``(N, 8, 8, 4)`` as ``(dx, dy, w, h)``: centre offset in the cell (in cells,
    array rows down) and side over ``BOX_SCALE``."""

    pixels: np.ndarray
    objectness: np.ndarray
    category: np.ndarray
    box: np.ndarray


def detector_targets(images: Sequence[ImageValue]) -> DetectorTargets:
    """Grid targets for whole ``CANVAS``-sized scenes (every object is in exactly one cell)."""
    n = len(images)
    objectness = np.zeros((n, GRID, GRID), np.float32)
    category = np.zeros((n, GRID, GRID), np.int32)
    box = np.zeros((n, GRID, GRID, 4), np.float32)
    for k, image in enumerate(images):
        for obj in image.scene.objects:
            row, col, values = _encode(obj, image.height)
            objectness[k, row, col] = 1.0
            category[k, row, col] = CATEGORIES.index(obj.category)
            box[k, row, col] = values
    pixels = np.stack([image.pixels for image in images])
    return DetectorTargets(pixels, objectness, category, box)


def _encode(obj: SceneObject, height: int) -> tuple[int, int, np.ndarray]:
    left, lower, right, upper = obj.box
    x = (left + right) / 2
    y_down = height - (lower + upper) / 2
    col, row = min(int(x // CELL), GRID - 1), min(int(y_down // CELL), GRID - 1)
    dx, dy = x / CELL - col, y_down / CELL - row
    values = np.asarray([dx, dy, (right - left) / BOX_SCALE, (upper - lower) / BOX_SCALE])
    return row, col, values.astype(np.float32)


def decode_box(row: int, col: int, values: np.ndarray, height: int) -> tuple[int, int, int, int]:
    """The ``(left, lower, right, upper)`` box (canvas pixels, y up) of one cell's prediction."""
    x = (col + float(np.clip(values[0], 0.0, 1.0))) * CELL
    y_down = (row + float(np.clip(values[1], 0.0, 1.0))) * CELL
    width = max(float(values[2]) * BOX_SCALE, 2.0)
    tall = max(float(values[3]) * BOX_SCALE, 2.0)
    left, right = round(x - width / 2), round(x + width / 2)
    upper, lower = round(height - y_down + tall / 2), round(height - y_down - tall / 2)
    return max(left, 0), max(lower, 0), min(right, CANVAS), min(upper, height)


@dataclass(frozen=True)
class Crops:
    """Labelled object crops: ``pixels`` ``(N, R, R, 3)``, ``box`` ``(N, 2)`` (patch width and
    height over 64), and indices into ``CATEGORIES``, ``COLOR_NAMES``, ``SIZES``."""

    pixels: np.ndarray
    box: np.ndarray
    category: np.ndarray
    color: np.ndarray
    size: np.ndarray


def crop_inputs(patch: PatchValue, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """A patch as crop-classifier inputs: pixels resized to ``resolution`` and its box size."""
    pixels = resize_pixels(patch.pixels(), resolution, resolution)
    return pixels, np.asarray([patch.width / CANVAS, patch.height / CANVAS], np.float32)


def jittered_patch(image: ImageValue, obj: SceneObject, rng: np.random.Generator) -> PatchValue:
    """The object's box with each edge moved by up to ``BOX_JITTER`` pixels (kept in the image
    and at least 4 pixels wide and tall)."""
    left, lower, right, upper = (
        v + int(rng.integers(-BOX_JITTER, BOX_JITTER + 1)) for v in obj.box
    )
    left, lower = max(left, 0), max(lower, 0)
    right, upper = min(max(right, left + 4), image.width), min(max(upper, lower + 4), image.height)
    return PatchValue(image, left, lower, right, upper)


def object_patches(images: Sequence[ImageValue], seed: int) -> list[tuple[PatchValue, SceneObject]]:
    """Every object of ``images`` with a jittered patch around it, in a fixed order."""
    rng = np.random.default_rng(seed)
    return [(jittered_patch(im, obj, rng), obj) for im in images for obj in im.scene.objects]


def crops(patches: Sequence[tuple[PatchValue, SceneObject]], resolution: int) -> Crops:
    """The labelled crops of ``patches`` at ``resolution``."""
    inputs = [crop_inputs(patch, resolution) for patch, _ in patches]
    objects = [obj for _, obj in patches]
    return Crops(
        pixels=np.stack([pixels for pixels, _ in inputs]),
        box=np.stack([box for _, box in inputs]),
        category=np.asarray([CATEGORIES.index(o.category) for o in objects], np.int32),
        color=np.asarray([COLOR_NAMES.index(o.color) for o in objects], np.int32),
        size=np.asarray([SIZES.index(o.size) for o in objects], np.int32),
    )
