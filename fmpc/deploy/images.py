"""Images as a service receives them: numpy arrays, Pillow images, file paths or encoded bytes,
turned into the runtime's ``ImageValue`` (``(H, W, 3)`` float32 in [0, 1], read-only).

::

    to_image(np.zeros((64, 64, 3), np.uint8), "req-1")   # uint8 0..255 or float 0..1
    to_image(Image.open("scene.png"), "req-2")
    to_image("scene.png", "req-3")                       # a path (str or Path)
    to_image(png_bytes, "req-4")                         # PNG, JPEG, ... as Pillow reads them

Anything else, or an image that cannot be read, is an ``ImageError`` saying what was wrong.
Grey and RGBA images become RGB; images larger than ``max_pixels`` are refused before decoding.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from fmpc.semantics.values import ImageValue

MAX_PIXELS = 4096 * 4096
"""The largest image (in pixels) accepted by default."""


class ImageError(ValueError):
    """An input that is not a usable image; the message says why."""


def to_image(image: Any, input_id: str, *, max_pixels: int = MAX_PIXELS) -> ImageValue:
    """``image`` as an ``ImageValue`` with id ``input_id`` (see the module docstring)."""
    from PIL import Image

    if isinstance(image, ImageValue):
        return ImageValue(_checked(image.pixels, max_pixels), id=input_id, scene=image.scene)
    if isinstance(image, Image.Image):
        return ImageValue(_from_pil(image, max_pixels), id=input_id)
    if isinstance(image, bytes | bytearray | memoryview):
        return ImageValue(_decode(bytes(image), "the image bytes", max_pixels), id=input_id)
    if isinstance(image, str | Path):
        return ImageValue(_read(Path(image), max_pixels), id=input_id)
    if isinstance(image, np.ndarray) or hasattr(image, "__array__"):
        return ImageValue(_from_array(np.asarray(image), max_pixels), id=input_id)
    raise ImageError(
        f"cannot use a {type(image).__name__} as an image "
        "(expected a numpy array, a PIL image, a file path or encoded image bytes)"
    )


def _read(path: Path, max_pixels: int) -> np.ndarray:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{path}: no such image file") from None
    except OSError as exc:
        raise ImageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return _decode(data, str(path), max_pixels)


def _decode(data: bytes, what: str, max_pixels: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError(f"{what}: empty, not an image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            _check_size(image.width, image.height, max_pixels)
            return _from_pil(image, max_pixels)
    except UnidentifiedImageError:
        raise ImageError(f"{what}: not an image format Pillow can read (PNG, JPEG, ...)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError(f"{what}: a damaged or truncated image ({exc})") from None


def _from_pil(image: Any, max_pixels: int) -> np.ndarray:
    _check_size(image.width, image.height, max_pixels)
    return _frozen(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0)


def _from_array(array: np.ndarray, max_pixels: int) -> np.ndarray:
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ImageError(f"expected an (H, W, 3) image array, got shape {array.shape}")
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    array = array[:, :, :3]
    if array.dtype == np.uint8:
        return _checked(array.astype(np.float32) / 255.0, max_pixels)
    if array.dtype.kind not in "fiu" or array.dtype == np.bool_:
        raise ImageError(f"expected uint8 or float pixels, got dtype {array.dtype}")
    pixels = array.astype(np.float32)
    if not np.all(np.isfinite(pixels)) or pixels.min(initial=0.0) < 0 or pixels.max(initial=0) > 1:
        raise ImageError("float pixels must be finite and in [0, 1] (uint8 arrays: 0..255)")
    return _checked(pixels, max_pixels)


def _checked(pixels: np.ndarray, max_pixels: int) -> np.ndarray:
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ImageError(f"expected (H, W, 3) pixels, got shape {pixels.shape}")
    _check_size(pixels.shape[1], pixels.shape[0], max_pixels)
    return _frozen(np.asarray(pixels, dtype=np.float32))


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise ImageError(f"an empty image ({width}x{height})")
    if width * height > max_pixels:
        raise ImageError(
            f"the image is {width}x{height} pixels, more than the {max_pixels} accepted"
        )


def _frozen(pixels: np.ndarray) -> np.ndarray:
    if pixels.flags.writeable:
        pixels = pixels.copy() if not pixels.flags.owndata else pixels
        pixels.flags.writeable = False
    return pixels
