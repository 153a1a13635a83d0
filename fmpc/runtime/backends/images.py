"""Pixel helpers for backends: PNG data URLs for HTTP models, fixed-size crops for JAX models.

Pixels are ``(H, W, 3)`` float arrays in ``[0, 1]``, rows top to bottom, as in
``fmpc.semantics.values``. Pillow does the encoding and resampling.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from fmpc.semantics.values import ImageValue, PatchValue


def pixels_of(value: ImageValue | PatchValue) -> np.ndarray:
    """The pixels of an image or of the region a patch covers."""
    if isinstance(value, PatchValue):
        return value.pixels()
    return value.pixels


def to_pil(pixels: np.ndarray) -> Image.Image:
    """An RGB Pillow image of float pixels in [0, 1] (values outside are clipped)."""
    array = np.asarray(pixels, dtype=np.float32)
    if array.ndim != 3 or array.shape[2] != 3 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"expected non-empty (H, W, 3) pixels, got shape {array.shape}")
    return Image.fromarray(np.round(np.clip(array, 0.0, 1.0) * 255).astype(np.uint8))


def png_data_url(pixels: np.ndarray) -> str:
    """``data:image/png;base64,...`` for ``pixels`` (how OpenAI-compatible servers take images)."""
    buffer = io.BytesIO()
    to_pil(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def resize_pixels(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """``pixels`` resampled (bilinear) to ``(height, width, 3)`` float32 in [0, 1].

    Use it in a JAX backend's ``preprocess`` so that every crop reaches the model at one fixed
    size and the compiled function is reused across inputs.
    """
    resized = to_pil(pixels).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32) / 255.0
