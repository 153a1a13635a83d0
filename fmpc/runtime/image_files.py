"""Image files as ``ImageValue``: decoded by Pillow, size-checked before decoding, every mode.

A file read from an untrusted place may claim to be enormous (a *decompression bomb*: a few
bytes of PNG header announcing 65535 x 65535 pixels), use a mode an 8-bit conversion misreads
(16-bit grayscale), or not be an image at all. ``read_image`` reads the header first and refuses
an image of more than ``max_pixels`` pixels before any pixel is decoded; it scales 16-bit and
32-bit samples by their own range, and raises ``ImageFileError`` for everything it cannot read,
so that one bad file fails only its own input::

    read_image(Path("photo.png"), "photo.png")                       # ImageValue, RGB in [0, 1]
    read_image(Path("huge.png"), "huge.png", max_pixels=4_000_000)  # ImageFileError: too large

``printable`` turns a file name (or any id) into text every console and encoder accepts: bytes
that are not UTF-8 (a name the file system gave as surrogate escapes) and control characters
become backslash escapes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fmpc.semantics.values import ImageValue

MAX_IMAGE_PIXELS = 25_000_000
"""The largest image read by default, in pixels (width x height): 25 megapixels, e.g. 5000 x
5000, which is 300 MB as float32 RGB. ``fmpc run --max-pixels`` changes it."""

_SCALES = {"I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I;16N": 65535.0}
"""The full-scale value of integer modes wider than 8 bits (Pillow's names)."""


class ImageFileError(ValueError):
    """An image file that cannot be used: unreadable, not a PNG/JPEG, damaged, or too large."""


def printable(text: str) -> str:
    """``text`` with undecodable bytes (surrogate escapes) and control characters written as
    backslash escapes, so that it encodes as UTF-8 and prints on one line."""
    if text.isprintable():
        return text
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # lone surrogates that are not escaped bytes (e.g. from JSON)
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def file_id(path: Path) -> str:
    """The input id of an image file: its name, made ``printable``."""
    return printable(os.fsdecode(path.name))


def read_image(path: Path, input_id: str, *, max_pixels: int = MAX_IMAGE_PIXELS) -> ImageValue:
    """The image file ``path`` as an ``ImageValue`` (RGB, float32 in [0, 1], read-only pixels).

    Raises ``ImageFileError`` when the file cannot be read or decoded, or when its header
    announces more than ``max_pixels`` pixels (checked before decoding).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            _check_size(image.size, max_pixels)
            pixels = _rgb(image)
    except ImageFileError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageFileError(f"too large to decode safely: {exc}") from None
    except UnidentifiedImageError:
        raise ImageFileError("not a PNG or JPEG image") from None
    except OSError as exc:
        raise ImageFileError(exc.strerror or str(exc) or type(exc).__name__) from None
    except Exception as exc:  # a decoder failing on a crafted file fails this input only
        raise ImageFileError(f"damaged image ({type(exc).__name__}: {exc})") from None
    pixels.flags.writeable = False
    return ImageValue(pixels, id=input_id)


def _check_size(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ImageFileError(f"the image has no pixels ({width} x {height})")
    if width * height > max_pixels:
        raise ImageFileError(
            f"the image is {width} x {height} = {width * height} pixels, more than the limit of "
            f"{max_pixels} (fmpc run --max-pixels)"
        )


def _rgb(image: object) -> np.ndarray:
    """The decoded pixels as ``(H, W, 3)`` float32 in [0, 1], whatever the mode."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    mode = image.mode
    if mode in _SCALES or mode in ("I", "F"):
        samples = np.asarray(image, dtype=np.float64)
        scale = _SCALES.get(mode, 65535.0 if mode == "I" else 1.0)
        gray = np.clip(samples / scale, 0.0, 1.0).astype(np.float32)
        return np.repeat(gray[:, :, None], 3, axis=2)
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
