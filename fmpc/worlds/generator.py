"""Deterministic scene streams: ``SceneGenerator(seed).image(i)`` is the i-th input of a stream.

Scene ``i`` is drawn from its own random stream, ``numpy.random.default_rng([seed, crc32(name),
i])``, so it is the same whatever else was generated before. Constrained scenes (``require``,
``predicate``) try further streams ``[seed, crc32(name), i, attempt]`` for ``attempt = 1, 2, ...``
until the constraints hold; attempt 0 is the plain stream, so ``scene(i, predicate=p)`` equals
``scene(i)`` whenever ``p(scene(i))`` holds.

Image ids are ``f"{name}-{seed}-{i}"``: give each stream its own ``name`` (or seed) when streams
with different constraints must not share ids.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from fmpc.semantics.values import ImageValue
from fmpc.worlds.glyphs import POOLS, glyph_pool
from fmpc.worlds.nuisances import DEFAULT_PROFILE, NuisanceProfile, sample_nuisances
from fmpc.worlds.render import render
from fmpc.worlds.scene import LEVELS, Box, Scene, SceneObject
from fmpc.worlds.vocabulary import (
    COLOR_NAMES,
    DIGITS,
    LOOKALIKES,
    SHAPES,
    SIZE_RANGES,
    SIZES,
    UnknownVocabulary,
    canonical_name,
    canonical_property,
    kind_of,
)

DEFAULT_MIX: tuple[tuple[str, float], ...] = (("easy", 0.5), ("medium", 0.3), ("hard", 0.2))
"""Default share of each difficulty level in a stream; within a level, uniform."""

_PLACEMENT_TRIES = 40
_LEVEL_RANGES = {name: (low, high) for name, low, high in LEVELS}

GLYPH_WARP: tuple[float, float, float, float] = (0.3, 0.3, 0.2, 0.5)
"""At ``glyph_warp=1``, the largest glyph distortion drawn (uniformly, either sign): rotation
(radians), shear, log aspect ratio and log ink gamma (stroke weight)."""

Difficulty = float | tuple[float, float] | str | None
"""A fixed difficulty, a uniform range, a level name, or ``None`` for ``DEFAULT_MIX``."""


class GenerationError(RuntimeError):
    """No scene satisfying the constraints was found within the allowed attempts."""


@dataclass(frozen=True)
class ObjectSpec:
    """A required object: ``name`` is any object name ``find`` knows (``"7"``, ``"seven"``,
    ``"digit"``, ``"circle"``, ``"shape"``, ``"object"``); ``color`` and ``size`` any of the
    world's. Unset fields are drawn at random."""

    name: str = "object"
    color: str | None = None
    size: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", canonical_name(self.name))
        object.__setattr__(self, "color", _canonical_in(self.color, COLOR_NAMES, "colour"))
        object.__setattr__(self, "size", _canonical_in(self.size, SIZES, "size"))


def _canonical_in(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is None:
        return None
    try:
        canonical = canonical_property(value)
    except UnknownVocabulary:
        canonical = None
    if canonical not in allowed:
        raise UnknownVocabulary(what, value, allowed)
    return canonical


@dataclass(frozen=True)
class SceneGenerator:
    """A deterministic stream of scenes drawn with glyphs of ``pool`` (``train``, ``val`` or
    ``bench``) at ``size`` x ``size`` pixels.

    ``difficulty``: see ``Difficulty``. ``lookalikes``: when true, every scene with a digit gets
    at least one look-alike distractor (room permitting), whatever its difficulty.
    ``digit_share``: probability that a random object is a digit rather than a shape.
    ``glyph_warp``: strength in [0, 1] of a random distortion of each digit's glyph (rotation,
    shear, aspect ratio, stroke weight; see ``GLYPH_WARP``): more distinct handwriting from the
    same glyphs, for training data. At 0 (the default) glyphs are drawn as they are and the
    scenes are those of a generator without the option.
    """

    seed: int
    pool: str = "bench"
    size: int = 64
    difficulty: Difficulty = None
    name: str = "digits"
    min_objects: int = 1
    max_objects: int = 6
    lookalikes: bool = False
    digit_share: float = 0.6
    profile: NuisanceProfile = field(default=DEFAULT_PROFILE)
    glyph_warp: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.glyph_warp <= 1.0:
            raise ValueError(f"glyph_warp must be in [0, 1], got {self.glyph_warp}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        if self.pool not in POOLS:
            raise ValueError(f"unknown glyph pool {self.pool!r}; known: {', '.join(POOLS)}")
        if not 1 <= self.min_objects <= self.max_objects:
            raise ValueError("need 1 <= min_objects <= max_objects")
        if self.size < 2 * max(SIZE_RANGES["large"]):
            raise ValueError(f"size {self.size} is too small for large objects")
        _check_difficulty(self.difficulty)

    def scene(
        self,
        i: int,
        require: Sequence[ObjectSpec] = (),
        predicate: Callable[[Scene], bool] | None = None,
        max_tries: int = 1000,
    ) -> Scene:
        """Scene ``i``; with ``require``, it contains an object matching each spec (distinct
        objects); with ``predicate``, ``predicate(scene)`` holds."""
        if i < 0:
            raise ValueError(f"scene index must be >= 0, got {i}")
        if len(require) > self.max_objects:
            raise ValueError(f"{len(require)} required objects exceed max_objects")
        for attempt in range(max_tries):
            scene = self._attempt(i, attempt, tuple(require))
            if scene is not None and (predicate is None or predicate(scene)):
                return scene
        raise GenerationError(
            f"no scene {i} of stream {self.name!r} (seed {self.seed}) met the constraints "
            f"in {max_tries} attempts"
        )

    def image(
        self,
        i: int,
        require: Sequence[ObjectSpec] = (),
        predicate: Callable[[Scene], bool] | None = None,
        max_tries: int = 1000,
    ) -> ImageValue:
        """Scene ``i`` rendered, as an ``ImageValue`` carrying the scene (read-only pixels)."""
        scene = self.scene(i, require, predicate, max_tries)
        pixels = render(scene)
        pixels.flags.writeable = False
        return ImageValue(pixels, id=scene.id, scene=scene)

    def stream(self, n: int, start: int = 0) -> Iterator[ImageValue]:
        """Images ``start .. start + n - 1``."""
        for i in range(start, start + n):
            yield self.image(i)

    def _rng(self, i: int, attempt: int) -> np.random.Generator:
        key = [self.seed, zlib.crc32(self.name.encode()), i]
        return np.random.default_rng(key + [attempt] if attempt else key)

    def _attempt(self, i: int, attempt: int, require: tuple[ObjectSpec, ...]) -> Scene | None:
        rng = self._rng(i, attempt)
        difficulty = _sample_difficulty(rng, self.difficulty)
        count = max(int(rng.integers(self.min_objects, self.max_objects + 1)), len(require))
        specs = require + (ObjectSpec(),) * (count - len(require))
        placed: list[SceneObject] = []
        for k, spec in enumerate(specs):
            obj = self._place(rng, spec, placed)
            if obj is None and k < len(require):
                return None
            if obj is not None:
                placed.append(obj)
        self._add_lookalikes(rng, difficulty, placed)
        nuisances, objects = sample_nuisances(
            rng, difficulty, tuple(placed), self.size, self.profile
        )
        scene_id = f"{self.name}-{self.seed}-{i}"
        return Scene(scene_id, objects, difficulty, nuisances, self.seed, i, self.size, self.pool)

    def _place(
        self,
        rng: np.random.Generator,
        spec: ObjectSpec,
        placed: Sequence[SceneObject],
        distractor: bool = False,
    ) -> SceneObject | None:
        category = self._category(rng, spec.name)
        color = spec.color or str(rng.choice(COLOR_NAMES))
        size = spec.size or str(rng.choice(SIZES))
        low, high = SIZE_RANGES[size]
        side = int(rng.integers(low, high + 1))
        box = _free_box(rng, side, self.size, [o.box for o in placed])
        if box is None:
            return None
        glyph, warp = -1, None
        if category in DIGITS:
            glyph = int(rng.choice(glyph_pool(self.pool).by_digit[int(category)]))
            if self.glyph_warp > 0:
                angle, shear, aspect, ink = (
                    rng.uniform(-1.0, 1.0, 4) * np.asarray(GLYPH_WARP) * self.glyph_warp
                )
                warp = (float(angle), float(shear), float(aspect), float(ink))
        return SceneObject(
            kind_of(category), category, color, size, box, glyph, 0.0, distractor, warp
        )

    def _category(self, rng: np.random.Generator, name: str) -> str:
        if name == "object":
            name = "digit" if rng.random() < self.digit_share else "shape"
        if name == "digit":
            return str(rng.choice(DIGITS))
        if name == "shape":
            return str(rng.choice(SHAPES))
        return name

    def _add_lookalikes(
        self, rng: np.random.Generator, difficulty: float, placed: list[SceneObject]
    ) -> None:
        probability = self.profile.lookalike.at(difficulty)
        digits = [o for o in placed if o.kind == "digit"]
        forced = self.lookalikes and bool(digits)
        for k, obj in enumerate(digits):
            if len(placed) >= self.max_objects:
                return
            if not (forced and k == 0) and rng.random() >= probability:
                continue
            twin = str(rng.choice(LOOKALIKES[obj.category]))
            color = obj.color if rng.random() < 0.5 else None
            added = self._place(rng, ObjectSpec(twin, color), placed, distractor=True)
            if added is not None:
                placed.append(added)


def _free_box(rng: np.random.Generator, side: int, size: int, taken: Sequence[Box]) -> Box | None:
    """A random ``side`` x ``side`` box inside the image at least 1 pixel away from ``taken``."""
    corners = rng.integers(0, size - side + 1, size=(_PLACEMENT_TRIES, 2))
    if not taken:
        return _box(corners[0], side)
    boxes = np.asarray(taken)
    left, lower = corners[:, :1], corners[:, 1:]
    apart = (
        (left + side + 1 <= boxes[None, :, 0])
        | (boxes[None, :, 2] + 1 <= left)
        | (lower + side + 1 <= boxes[None, :, 1])
        | (boxes[None, :, 3] + 1 <= lower)
    )
    free = np.flatnonzero(apart.all(axis=1))
    return _box(corners[free[0]], side) if free.size else None


def _box(corner: np.ndarray, side: int) -> Box:
    left, lower = int(corner[0]), int(corner[1])
    return (left, lower, left + side, lower + side)


def _check_difficulty(difficulty: Difficulty) -> None:
    if difficulty is None:
        return
    if isinstance(difficulty, str):
        if difficulty not in _LEVEL_RANGES:
            raise ValueError(f"unknown difficulty level {difficulty!r}; known: easy, medium, hard")
        return
    bounds = difficulty if isinstance(difficulty, tuple) else (difficulty, difficulty)
    if not 0.0 <= bounds[0] <= bounds[1] <= 1.0:
        raise ValueError(f"difficulty {difficulty!r} must lie in [0, 1] (and low <= high)")


def _sample_difficulty(rng: np.random.Generator, difficulty: Difficulty) -> float:
    if difficulty is None:
        names = [name for name, _ in DEFAULT_MIX]
        weights = np.asarray([w for _, w in DEFAULT_MIX])
        difficulty = str(rng.choice(names, p=weights / weights.sum()))
    if isinstance(difficulty, str):
        low, high = _LEVEL_RANGES[difficulty]
        return float(min(rng.uniform(low, high), 1.0))
    if isinstance(difficulty, tuple):
        return float(rng.uniform(*difficulty))
    return float(difficulty)
