"""Training and evaluation data for the zoo, made with the embedded world's generator.

Scenes come from ``fmpc.worlds.generator.SceneGenerator``: training uses the ``train`` glyph
pool, held-out evaluation the ``val`` pool (never ``bench``). This module turns scenes into
arrays: detector targets on the 8 x 8 grid, labelled object crops, and encodes/decodes
detector boxes between the grid and image pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from fmpc.runtime.backends.images import resize_pixels
from fmpc.semantics.values import ImageValue, PatchValue
from fmpc.worlds.generator import Difficulty, SceneGenerator
from fmpc.worlds.render import render
from fmpc.worlds.scene import Scene, SceneObject
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
class SceneSet(Sequence[ImageValue]):
    """Many rendered scenes held compactly: their scene graphs and ``pixels`` as ``uint8``
    ``(N, H, W, 3)`` (a quarter of float32's memory; 1/255 steps are finer than the world's
    noise). Indexing gives an ``ImageValue`` with float32 pixels, made on demand."""

    scenes: tuple[Scene, ...]
    pixels: np.ndarray

    def __len__(self) -> int:
        return len(self.scenes)

    @overload
    def __getitem__(self, index: int) -> ImageValue: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ImageValue]: ...

    def __getitem__(self, index: int | slice) -> ImageValue | Sequence[ImageValue]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        pixels = self.pixels[index].astype(np.float32) / 255.0
        pixels.flags.writeable = False
        scene = self.scenes[index]
        return ImageValue(pixels, id=scene.id, scene=scene)


def training_scenes(seed: int, n: int, name: str, glyph_warp: float) -> SceneSet:
    """``n`` training scenes (``train`` pool, difficulty uniform in [0, 1], glyphs warped by
    ``glyph_warp``), rendered once and kept as a ``SceneSet``."""
    generator = SceneGenerator(
        seed, pool="train", difficulty=(0.0, 1.0), name=name, glyph_warp=glyph_warp
    )
    drawn = [generator.scene(i) for i in range(n)]
    pixels = np.empty((n, generator.size, generator.size, 3), np.uint8)
    for k, scene in enumerate(drawn):
        pixels[k] = np.rint(render(scene) * 255.0)
    return SceneSet(tuple(drawn), pixels)


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
    """Grid targets for whole ``CANVAS``-sized scenes (every object is in exactly one cell);
    a ``SceneSet``'s pixels stay ``uint8``."""
    n = len(images)
    objectness = np.zeros((n, GRID, GRID), np.float32)
    category = np.zeros((n, GRID, GRID), np.int32)
    box = np.zeros((n, GRID, GRID, 4), np.float32)
    drawn = images.scenes if isinstance(images, SceneSet) else [im.scene for im in images]
    for k, scene in enumerate(drawn):
        for obj in scene.objects:
            row, col, values = _encode(obj, scene.size)
            objectness[k, row, col] = 1.0
            category[k, row, col] = CATEGORIES.index(obj.category)
            box[k, row, col] = values
    if isinstance(images, SceneSet):
        pixels = images.pixels
    else:
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
    height over 64), indices into ``CATEGORIES``, ``COLOR_NAMES``, ``SIZES``, and ``side``: the
    log of the object's side over 64."""

    pixels: np.ndarray
    box: np.ndarray
    category: np.ndarray
    color: np.ndarray
    size: np.ndarray
    side: np.ndarray


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
    return _crops([pixels for pixels, _ in inputs], [box for _, box in inputs],
                  [obj for _, obj in patches])  # fmt: skip


def scene_crops(images: Sequence[ImageValue], resolution: int, seed: int) -> Crops:
    """``crops(object_patches(images, seed), resolution)``, one image at a time (so that a
    ``SceneSet`` is never held as float32 pixels all at once)."""
    rng = np.random.default_rng(seed)
    pixels, boxes, objects = [], [], []
    for i in range(len(images)):
        image = images[i]
        for obj in image.scene.objects:
            crop, box = crop_inputs(jittered_patch(image, obj, rng), resolution)
            pixels.append(crop)
            boxes.append(box)
            objects.append(obj)
    return _crops(pixels, boxes, objects)


def _crops(pixels: list[np.ndarray], boxes: list[np.ndarray], objects: list[SceneObject]) -> Crops:
    return Crops(
        pixels=np.stack(pixels),
        box=np.stack(boxes),
        category=np.asarray([CATEGORIES.index(o.category) for o in objects], np.int32),
        color=np.asarray([COLOR_NAMES.index(o.color) for o in objects], np.int32),
        size=np.asarray([SIZES.index(o.size) for o in objects], np.int32),
        side=np.log(np.asarray([o.side / CANVAS for o in objects], np.float32)),
    )
