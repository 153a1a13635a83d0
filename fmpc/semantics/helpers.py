"""Implementations of the deterministic (non-routable) library helpers.

``HELPERS`` maps each non-routable name of ``fmpc.library.DEFAULT_LIBRARY`` to a plain
Python function; ``fmpc.lib`` ops run through it. It is immutable; to add helpers of your own,
pass an extended table to the interpreter::

    Interpreter(module, backends, helpers={**HELPERS, "area": lambda p: p.width * p.height})

Coordinates follow ``fmpc.semantics.values``: origin at the image's bottom-left corner, y up, boxes
``(left, lower, right, upper)`` in pixels, half-open (a patch covers columns ``[left, right)``
and rows ``[lower, upper)``). Box edges are treated as lines on a continuous plane for
``overlaps_with`` and ``distance``, so two boxes sharing an edge touch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from fmpc.semantics.values import ImageValue, PatchValue

_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+")


def image_patch(image: ImageValue) -> PatchValue:
    """The patch covering all of ``image`` (``ImagePatch(image)``)."""
    return PatchValue.whole(image)


def crop(patch: PatchValue, left: float, lower: float, right: float, upper: float) -> PatchValue:
    """The sub-patch with box ``(left, lower, right, upper)`` given **relative to** ``patch``.

    As ViperGPT's ``ImagePatch.crop``: coordinates are offsets from the patch's own
    ``(left, lower)`` corner and are rounded down to ints (``math.floor``). The box is then clamped
    to the whole image (it may reach beyond ``patch``) and kept at least 1 pixel wide and high:
    per axis, ``start`` is clamped to ``[0, size - 1]`` and ``stop`` to ``[start + 1, size]``, so an
    empty or inverted span becomes the single pixel at ``start``. The result's score is 1.0.
    """
    image = patch.image
    if image.width < 1 or image.height < 1:
        raise ValueError("cannot crop an image without pixels")
    x0, x1 = _span(patch.left + math.floor(left), patch.left + math.floor(right), image.width)
    y0, y1 = _span(patch.lower + math.floor(lower), patch.lower + math.floor(upper), image.height)
    return PatchValue(image, x0, y0, x1, y1)


def _span(start: int, stop: int, size: int) -> tuple[int, int]:
    start = min(max(start, 0), size - 1)
    stop = min(max(stop, start + 1), size)
    return start, stop


def overlaps_with(patch: PatchValue, left: float, lower: float, right: float, upper: float) -> bool:
    """Whether ``patch`` and the box ``(left, lower, right, upper)``, in **image** coordinates,
    intersect as closed boxes: touching edges count, as in ViperGPT's ``overlaps_with``.

    Exactly when ``distance`` between the patch and that box would be 0.
    """
    return (
        patch.left <= right
        and left <= patch.right
        and patch.lower <= upper
        and lower <= patch.upper
    )


def distance(a: PatchValue, b: PatchValue) -> float:
    """Euclidean distance between the closest points of the two boxes; 0.0 if they touch or
    overlap (ViperGPT returns minus the IoU for overlapping boxes; fmpc returns 0.0).

    Per axis the gap is ``max(0, b.left - a.right, a.left - b.right)`` (same for lower/upper);
    the result is ``hypot(gap_x, gap_y)``.
    """
    gap_x = max(0, b.left - a.right, a.left - b.right)
    gap_y = max(0, b.lower - a.upper, a.lower - b.upper)
    return float(math.hypot(gap_x, gap_y))


def index_of(patches: list[PatchValue], item: PatchValue) -> int:
    """The position of the first of ``patches`` with ``item``'s image and box (scores aside):
    what ``best_image_match(..., return_index=True)`` gives. ``ValueError`` when none has."""
    for index, patch in enumerate(patches):
        if patch.image is item.image and patch.box() == item.box():
            return index
    raise ValueError(f"the patch {item.box()} is not one of the {len(patches)} patches")


def bool_to_yesno(value: bool) -> str:
    """``"yes"`` if ``value`` is truthy, else ``"no"``."""
    return "yes" if value else "no"


def coerce_to_numeric(text: str) -> float:
    """The first number written in digits in ``text``, as a float.

    Accepts an optional leading ``-``, thousands separators (``"1,234"`` is 1234.0) and a decimal
    part (``"3.5"``, ``".5"``). Number words (``"two"``) are not numbers. Raises ``ValueError``
    when the text holds no number.
    """
    found = _NUMBER.search(text)
    if found is None:
        raise ValueError(f"no number in {text!r}")
    return float(found.group().replace(",", ""))


def left(patch: PatchValue) -> int:
    """The patch's left column (inclusive)."""
    return patch.left


def right(patch: PatchValue) -> int:
    """The patch's right column bound (exclusive)."""
    return patch.right


def lower(patch: PatchValue) -> int:
    """The patch's lower row bound, from the bottom (inclusive)."""
    return patch.lower


def upper(patch: PatchValue) -> int:
    """The patch's upper row bound, from the bottom (exclusive)."""
    return patch.upper


def width(patch: PatchValue) -> int:
    """``right - left``."""
    return patch.width


def height(patch: PatchValue) -> int:
    """``upper - lower``."""
    return patch.height


def horizontal_center(patch: PatchValue) -> float:
    """``(left + right) / 2``."""
    return patch.horizontal_center


def vertical_center(patch: PatchValue) -> float:
    """``(lower + upper) / 2``."""
    return patch.vertical_center


HELPERS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        f.__name__: f
        for f in (
            image_patch,
            crop,
            overlaps_with,
            distance,
            index_of,
            bool_to_yesno,
            coerce_to_numeric,
            left,
            right,
            lower,
            upper,
            width,
            height,
            horizontal_center,
            vertical_center,
        )
    }
)
"""The default helper implementations, keyed by library name (read-only)."""
