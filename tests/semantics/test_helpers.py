"""Tests of the deterministic library helpers (crops, box geometry, conversions)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmpc.library import DEFAULT_LIBRARY
from fmpc.semantics.helpers import (
    HELPERS,
    bool_to_yesno,
    coerce_to_numeric,
    crop,
    distance,
    image_patch,
    index_of,
    overlaps_with,
)
from fmpc.semantics.interpreter import fits
from fmpc.semantics.values import ImageValue, PatchValue

IMAGE = ImageValue(np.zeros((30, 40, 3), np.float32), id="img")  # 40 wide, 30 high


def box(left: int, lower: int, right: int, upper: int) -> PatchValue:
    """A patch of the test image."""
    return PatchValue(IMAGE, left, lower, right, upper)


def test_image_patch_covers_the_image() -> None:
    whole = image_patch(IMAGE)
    assert whole.box() == (0, 0, 40, 30)
    assert whole.image is IMAGE


@pytest.mark.parametrize(
    ("parent", "args", "want"),
    [
        # coordinates are relative to the patch's (left, lower) corner
        ((0, 0, 40, 30), (10, 5, 30, 25), (10, 5, 30, 25)),
        ((10, 5, 30, 25), (2, 3, 6, 8), (12, 8, 16, 13)),
        # rounded down
        ((0, 0, 40, 30), (1.9, 2.5, 10.99, 12.0001), (1, 2, 10, 12)),
        ((10, 10, 20, 20), (-0.5, 0, 5, 5), (9, 10, 15, 15)),
        # clamped to the whole image, not to the parent patch
        ((10, 5, 30, 25), (-50, -50, 50, 50), (0, 0, 40, 30)),
        ((10, 5, 30, 25), (0, 0, 25, 20), (10, 5, 35, 25)),
        # empty, inverted and outside spans keep one pixel at their start
        ((0, 0, 40, 30), (5, 5, 5, 5), (5, 5, 6, 6)),
        ((0, 0, 40, 30), (9, 9, 3, 3), (9, 9, 10, 10)),
        ((0, 0, 40, 30), (100, 100, 200, 200), (39, 29, 40, 30)),
        ((0, 0, 40, 30), (-9, -9, -3, -3), (0, 0, 1, 1)),
    ],
)
def test_crop(
    parent: tuple[int, int, int, int],
    args: tuple[float, float, float, float],
    want: tuple[int, int, int, int],
) -> None:
    result = crop(box(*parent), *args)
    assert result.box() == want
    assert all(type(x) is int for x in result.box())
    assert result.image is IMAGE
    assert result.score == 1.0


def test_adjacent_crops_tile_the_patch() -> None:
    whole = image_patch(IMAGE)
    center = whole.horizontal_center + 0.5
    left_half = crop(whole, 0, 0, center, whole.height)
    right_half = crop(whole, center, 0, whole.width, whole.height)
    assert left_half.right == right_half.left
    assert left_half.width + right_half.width == whole.width


def test_crop_of_an_image_without_pixels_fails_clearly() -> None:
    empty = ImageValue(np.zeros((0, 0, 3), np.float32))
    with pytest.raises(ValueError, match="without pixels"):
        crop(PatchValue.whole(empty), 0, 0, 1, 1)


coordinate = st.floats(min_value=-100, max_value=100, allow_nan=False)
patches = st.tuples(
    st.integers(0, 39), st.integers(0, 29), st.integers(1, 40), st.integers(1, 30)
).map(lambda t: box(min(t[0], t[2] - 1), min(t[1], t[3] - 1), t[2], t[3]))


@given(patches, coordinate, coordinate, coordinate, coordinate)
def test_crop_always_stays_in_the_image_with_a_pixel(
    parent: PatchValue, left: float, lower: float, right: float, upper: float
) -> None:
    result = crop(parent, left, lower, right, upper)
    assert 0 <= result.left < result.right <= IMAGE.width
    assert 0 <= result.lower < result.upper <= IMAGE.height


@pytest.mark.parametrize(
    ("patch", "other", "want"),
    [
        ((0, 0, 10, 10), (5, 5, 15, 15), True),
        ((0, 0, 10, 10), (10, 0, 20, 10), True),  # sharing an edge counts
        ((0, 0, 10, 10), (10, 10, 20, 20), True),  # sharing a corner counts
        ((0, 0, 10, 10), (11, 0, 20, 10), False),
        ((0, 0, 10, 10), (0, 10.5, 10, 20), False),
        ((5, 5, 6, 6), (0, 0, 40, 30), True),
    ],
)
def test_overlaps_with_uses_image_coordinates_and_closed_boxes(
    patch: tuple[int, int, int, int], other: tuple[float, float, float, float], want: bool
) -> None:
    assert overlaps_with(box(*patch), *other) is want


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        ((0, 0, 10, 10), (5, 5, 15, 15), 0.0),
        ((0, 0, 10, 10), (10, 0, 20, 10), 0.0),
        ((0, 0, 10, 10), (13, 0, 20, 10), 3.0),
        ((0, 0, 10, 10), (0, 14, 10, 20), 4.0),
        ((0, 0, 10, 10), (13, 14, 20, 20), 5.0),
        ((13, 14, 20, 20), (0, 0, 10, 10), 5.0),
    ],
)
def test_distance_between_closest_points(
    a: tuple[int, int, int, int], b: tuple[int, int, int, int], want: float
) -> None:
    result = distance(box(*a), box(*b))
    assert result == want
    assert type(result) is float


@given(patches, patches)
def test_distance_is_symmetric_and_zero_exactly_when_boxes_overlap(
    a: PatchValue, b: PatchValue
) -> None:
    assert distance(a, b) == distance(b, a) >= 0
    assert (distance(a, b) == 0) == overlaps_with(a, *b.box())


def test_bool_to_yesno() -> None:
    assert bool_to_yesno(True) == "yes"
    assert bool_to_yesno(False) == "no"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("3", 3.0),
        ("There are 12 cars", 12.0),
        ("-4 degrees", -4.0),
        ("about 2.5 or 7", 2.5),
        ("1,234 people", 1234.0),
        ("3, 4", 3.0),
        (".5 of it", 0.5),
        ("7.", 7.0),
        ("pages 3-4", 3.0),
    ],
)
def test_coerce_to_numeric_reads_the_first_number(text: str, want: float) -> None:
    result = coerce_to_numeric(text)
    assert result == want
    assert type(result) is float


@pytest.mark.parametrize("text", ["", "two", "no digits here"])
def test_coerce_to_numeric_without_a_number_fails_clearly(text: str) -> None:
    with pytest.raises(ValueError, match="no number in"):
        coerce_to_numeric(text)


def test_index_of_finds_the_patch_by_image_and_box() -> None:
    patches = [box(0, 0, 5, 5), box(5, 5, 9, 9), box(5, 5, 9, 9)]
    assert index_of(patches, PatchValue(IMAGE, 5, 5, 9, 9, score=0.3)) == 1  # score aside
    other = ImageValue(np.zeros((30, 40, 3), np.float32), id="other")
    with pytest.raises(ValueError, match=r"the patch \(0, 0, 5, 5\) is not one of the 3 patches"):
        index_of(patches, PatchValue(other, 0, 0, 5, 5))


def test_box_attributes() -> None:
    patch = box(3, 4, 10, 9)
    values = {name: HELPERS[name](patch) for name in ("left", "right", "lower", "upper")}
    assert values == {"left": 3, "right": 10, "lower": 4, "upper": 9}
    assert (HELPERS["width"](patch), HELPERS["height"](patch)) == (7, 5)
    assert HELPERS["horizontal_center"](patch) == 6.5
    assert HELPERS["vertical_center"](patch) == 6.5


def test_helpers_cover_the_library_with_matching_arity() -> None:
    for entry in DEFAULT_LIBRARY.values():
        if entry.routable:
            assert entry.name not in HELPERS
            continue
        helper = HELPERS[entry.name]
        assert len(inspect.signature(helper).parameters) == len(entry.params), entry.name


def test_helper_results_fit_the_library_result_types() -> None:
    patch = box(3, 4, 10, 9)
    samples = {
        "image_patch": (IMAGE,),
        "crop": (patch, 0, 0, 2, 2),
        "overlaps_with": (patch, 0, 0, 2, 2),
        "distance": (patch, box(0, 0, 1, 1)),
        "bool_to_yesno": (True,),
        "coerce_to_numeric": ("7",),
        "index_of": ([box(0, 0, 1, 1), patch], box(3, 4, 10, 9)),
    }
    for entry in DEFAULT_LIBRARY.values():
        if not entry.routable:
            args = samples.get(entry.name, (patch,))
            assert fits(HELPERS[entry.name](*args), entry.result), entry.name


def test_the_helper_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        HELPERS["crop"] = bool_to_yesno  # type: ignore[index]
