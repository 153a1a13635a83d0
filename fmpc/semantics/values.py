"""Runtime values of the IR's visual types: whole images and patches (image regions).

Boxes follow the convention of visual-programming systems: the origin is the image's bottom-left
corner and y grows upwards, so ``lower < upper``; ``left``/``right`` are column bounds. Bounds are
in pixels, half-open: a patch covers columns ``[left, right)`` and rows (from the bottom)
``[lower, upper)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class ImageValue:
    """An input image: ``pixels`` is an ``(H, W, 3)`` float32 array in [0, 1].

    ``id`` identifies the input in caches and traces; ``scene`` optionally carries ground truth
    (the embedded world's scene graph) for perfect-perception backends. Compared by identity.
    """

    pixels: np.ndarray
    id: str = ""
    scene: Any = field(default=None, repr=False)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


@dataclass(frozen=True)
class PatchValue:
    """A region of ``image`` with box ``left, lower, right, upper`` (origin bottom-left, y up).

    ``score`` is the detector's confidence when the patch came from ``find`` (1.0 otherwise).
    """

    image: ImageValue
    left: int
    lower: int
    right: int
    upper: int
    score: float = 1.0

    @classmethod
    def whole(cls, image: ImageValue) -> PatchValue:
        """The patch covering all of ``image``."""
        return cls(image, 0, 0, image.width, image.height)

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.upper - self.lower

    @property
    def horizontal_center(self) -> float:
        return (self.left + self.right) / 2

    @property
    def vertical_center(self) -> float:
        return (self.lower + self.upper) / 2

    def pixels(self) -> np.ndarray:
        """The ``(h, w, 3)`` pixels under this patch (rows top to bottom, as stored)."""
        h = self.image.height
        return self.image.pixels[h - self.upper : h - self.lower, self.left : self.right]

    def box(self) -> tuple[int, int, int, int]:
        """``(left, lower, right, upper)``."""
        return (self.left, self.lower, self.right, self.upper)
