"""Images from what a service receives, and labels that fit a program's answers."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fmpc.deploy.images import ImageError, to_image
from fmpc.deploy.labels import LabelError, check_label
from fmpc.ir.types import Bool, Float, Int, List, Str


def test_arrays_of_every_usual_kind() -> None:
    rgb = np.full((4, 5, 3), 255, np.uint8)
    assert to_image(rgb, "a").pixels.max() == 1.0
    assert to_image(rgb, "a").pixels.shape == (4, 5, 3)
    assert to_image(np.zeros((4, 5)), "g").pixels.shape == (4, 5, 3)
    assert to_image(np.zeros((4, 5, 4), np.uint8), "rgba").pixels.shape == (4, 5, 3)
    image = to_image(np.full((2, 2, 3), 0.25, np.float64), "f")
    assert image.id == "f" and image.pixels.dtype == np.float32
    assert not image.pixels.flags.writeable


def test_pil_paths_and_bytes(tmp_path: Path) -> None:
    pil = Image.new("RGB", (6, 3), (255, 0, 0))
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG")
    (tmp_path / "red.png").write_bytes(buffer.getvalue())
    for source in (pil, buffer.getvalue(), tmp_path / "red.png", str(tmp_path / "red.png")):
        pixels = to_image(source, "x").pixels
        assert pixels.shape == (3, 6, 3) and pixels[0, 0].tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n broken", "not an image format|damaged"),
        (np.zeros((4, 4, 2)), "expected an \\(H, W, 3\\)"),
        (np.full((2, 2, 3), 2.0), "in \\[0, 1\\]"),
        (np.full((2, 2, 3), np.nan), "finite"),
        (np.zeros((0, 4, 3)), "empty image"),
        (np.zeros((2, 2, 3), dtype=bool), "dtype bool"),
        ({"not": "an image"}, "cannot use a dict"),
    ],
)
def test_what_is_not_an_image_says_why(value: object, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        to_image(value, "x")


def test_too_many_pixels() -> None:
    with pytest.raises(ImageError, match="more than the 16 accepted"):
        to_image(np.zeros((5, 5, 3)), "x", max_pixels=16)


@pytest.mark.parametrize(
    ("label", "kind"),
    [(True, Bool), ("YES", Bool), ("no", Str), (False, Str), (3, Int), (2.0, Int), (1.5, Float)],
)
def test_labels_that_fit(label: object, kind: object) -> None:
    check_label(label, kind)


@pytest.mark.parametrize(
    ("label", "kind", "message"),
    [
        (None, Str, "missing"),
        ([1], Str, "got a list"),
        ({"a": 1}, Str, "got an object"),
        ("maybe", Bool, "true/false or 'yes'/'no'"),
        (3, Str, "expected a string"),
        (True, Int, "expected an integer"),
        (1.5, Int, "expected an integer"),
        ("one", Float, "expected a number"),
        (float("inf"), Float, "finite"),
        ("x", List(Str), "takes no feedback"),
    ],
)
def test_labels_that_do_not_fit(label: object, kind: object, message: str) -> None:
    with pytest.raises(LabelError, match=message):
        check_label(label, kind)
