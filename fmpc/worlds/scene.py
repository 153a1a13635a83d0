"""The scene graph: what a generated image shows, as frozen dataclasses.

A ``Scene`` holds everything needed to draw its image (``fmpc.worlds.render.render``) and to
answer questions about it (``fmpc.worlds.perception``): its objects, its nuisances and its
difficulty. Boxes use the convention of ``fmpc.semantics.values``: ``(left, lower, right, upper)``
in integer pixels, origin at the image's bottom-left corner, y up, half-open (an object covers
columns ``[left, right)`` and rows-from-the-bottom ``[lower, upper)``). Clutter coordinates are
continuous points in the same frame (pixel ``(column c, row-from-bottom r)`` has centre
``(c + 0.5, r + 0.5)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from fmpc.worlds.vocabulary import CATEGORIES, COLORS, SIZES, UnknownVocabulary, kind_of

Box = tuple[int, int, int, int]
"""``(left, lower, right, upper)``: origin bottom-left, y up, integer pixels, half-open."""

RGB = tuple[float, float, float]
"""A colour as red, green, blue in [0, 1]."""

LEVELS: tuple[tuple[str, float, float], ...] = (
    ("easy", 0.0, 1 / 3),
    ("medium", 1 / 3, 2 / 3),
    ("hard", 2 / 3, 1.0),
)
"""Difficulty levels as ``(name, lowest, highest)``: a level covers ``[lowest, highest)``
(``hard`` includes 1.0)."""


def level_of(difficulty: float) -> str:
    """The name of the level of ``LEVELS`` that ``difficulty`` (in [0, 1]) falls in."""
    for name, _, highest in LEVELS[:-1]:
        if difficulty < highest:
            return name
    return LEVELS[-1][0]


@dataclass(frozen=True)
class SceneObject:
    """One object: a digit glyph or a shape, with its colour, size class and box.

    ``glyph`` indexes the scene's glyph pool (digits; -1 for shapes). ``occluded`` is the fraction
    of the box hidden by an occluder; ``distractor`` marks a look-alike digit added as a nuisance
    (it is still a real object: perception reports it like any other).
    """

    kind: str
    category: str
    color: str
    size: str
    box: Box
    glyph: int = -1
    occluded: float = 0.0
    distractor: bool = False
    warp: tuple[float, float, float, float] | None = None
    """A digit's glyph distortion ``(rotation in radians, shear, log aspect ratio, log ink
    gamma)``, drawn only by generators with ``glyph_warp`` (training-data augmentation);
    ``None`` draws the glyph as it is."""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise UnknownVocabulary("category", self.category, CATEGORIES)
        if kind_of(self.category) != self.kind:
            raise ValueError(f"category {self.category!r} is not of kind {self.kind!r}")
        if self.color not in COLORS:
            raise UnknownVocabulary("colour", self.color, COLORS)
        if self.size not in SIZES:
            raise UnknownVocabulary("size", self.size, SIZES)
        left, lower, right, upper = self.box
        if not (left < right and lower < upper):
            raise ValueError(f"empty box {self.box}: need left < right and lower < upper")

    @property
    def center(self) -> tuple[float, float]:
        """The box centre ``(x, y)``."""
        left, lower, right, upper = self.box
        return ((left + right) / 2, (lower + upper) / 2)

    @property
    def side(self) -> int:
        """The longer side of the box, in pixels."""
        left, lower, right, upper = self.box
        return max(right - left, upper - lower)


@dataclass(frozen=True)
class Stroke:
    """A clutter line segment from ``start`` to ``end`` (points ``(x, y)``), ``width`` pixels."""

    start: tuple[float, float]
    end: tuple[float, float]
    width: float
    rgb: RGB


@dataclass(frozen=True)
class Blob:
    """A clutter disc at ``center`` ``(x, y)`` with ``radius`` pixels."""

    center: tuple[float, float]
    radius: float
    rgb: RGB


@dataclass(frozen=True)
class Occluder:
    """An opaque block over part of an object, drawn above all objects."""

    box: Box
    rgb: RGB


@dataclass(frozen=True)
class Nuisances:
    """Everything in a scene's image that is not an object.

    Drawn in this order: ``background`` colour, ``clutter``, (objects), ``occluders``; then
    ``contrast`` (1 = full; lower pulls every pixel towards the background), gaussian blur of
    ``blur`` pixels (sigma; 0 = none) and gaussian pixel noise of standard deviation ``noise``,
    drawn from ``noise_seed``.
    """

    background: RGB = (0.05, 0.05, 0.05)
    noise: float = 0.0
    blur: float = 0.0
    contrast: float = 1.0
    clutter: tuple[Stroke | Blob, ...] = ()
    occluders: tuple[Occluder, ...] = ()
    noise_seed: int = 0


@dataclass(frozen=True)
class Scene:
    """One generated scene: ``objects`` drawn with glyphs of ``pool`` on a ``size`` x ``size``
    image with ``nuisances``; ``difficulty`` in [0, 1] set their strength. ``seed`` and ``index``
    are the generator's seed and the scene's index in its stream; ``id`` names the scene."""

    id: str
    objects: tuple[SceneObject, ...]
    difficulty: float
    nuisances: Nuisances
    seed: int
    index: int = 0
    size: int = 64
    pool: str = "bench"

    @property
    def level(self) -> str:
        """``"easy"``, ``"medium"`` or ``"hard"`` (see ``LEVELS``)."""
        return level_of(self.difficulty)
