"""What the deferral policy sees of a cheap run: features that mean the same on every program.

``run_features(answer, trace, sites, image)`` describes one finished first run as
``len(FEATURES)`` numbers, none of which names a program, a site or a question, so that a model
trained on the streams of some programs transfers to others:

* the **answer**: yes (or ``True``), no (or ``False``), a "nothing" answer (``none``, ``0``,
  an empty list), a number, anything else;
* the **calls**: how many, how confident (the least confident call, the mean doubt, the share
  below 0.9 and below 0.75), the first run's cost over the program's reference cost;
* the calls a "no" **rests on**: the least confident call among those that returned a negative
  (``False``, nothing found, zero); a "no" that rests on a doubtful one is the likeliest to be a
  missed yes;
* per **family** of generic function (detection, classification, question answering, text,
  depth): whether it ran, its least confident call and its share of doubtful calls;
* what the **detectors** found: objects in all, and whether some detection found nothing;
* six cheap **image** statistics (``image_statistics``, computed for a whole window at once):
  brightness, contrast, gradient, Laplacian, saturation, ink: how noisy, blurred, faint or
  cluttered the input is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from fmpc.runtime.trace import Trace

FAMILIES: Mapping[str, str] = {
    "find": "detect",
    "exists": "detect",
    "verify_property": "classify",
    "best_text_match": "classify",
    "best_image_match": "classify",
    "query": "answer",
    "simple_query": "answer",
    "llm_query": "text",
    "compute_depth": "depth",
}
"""The family of each generic function; others count as ``other``."""

FAMILY_ORDER = ("detect", "classify", "answer", "text", "depth", "other")

DOUBT = 0.9
"""A call whose confidence is below this is doubtful."""

IMAGE_STATISTICS = ("brightness", "contrast", "gradient", "laplacian", "saturation", "ink")
"""What ``image_statistics`` measures, in order."""

FEATURES: tuple[str, ...] = (
    "bias",
    "answer_yes",
    "answer_no",
    "answer_nothing",
    "answer_number",
    "answer_other",
    "calls",
    "min_confidence",
    "mean_doubt",
    "doubtful_share",
    "very_doubtful_share",
    "cost",
    "negative_min_confidence",
    *(f"{f}_{k}" for f in FAMILY_ORDER for k in ("ran", "min_confidence", "doubtful_share")),
    "objects_found",
    "found_nothing",
    *(f"image_{name}" for name in IMAGE_STATISTICS),
)
"""The names of ``run_features``' numbers, in order."""

IMAGE_FLOPS = 12.0
"""FLOPs per pixel of ``image_statistics`` (charged to each input)."""

_NOTHING = ("none", "no answer", "")


def answer_kind(answer: Any) -> str:
    """``yes``, ``no``, ``nothing``, ``number`` or ``other``."""
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, int | float):
        return "nothing" if answer == 0 else "number"
    if isinstance(answer, list | tuple):
        return "nothing" if not answer else "other"
    if answer is None:
        return "nothing"
    text = str(answer).strip().lower()
    if text in ("yes", "no"):
        return text
    if text in _NOTHING or text == "0":
        return "nothing"
    return "number" if _is_number(text) else "other"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def run_features(
    answer: Any, trace: Trace, image_stats: np.ndarray, reference_cost: float
) -> np.ndarray:
    """The ``FEATURES`` of a first run that answered ``answer`` with the calls of ``trace``, on
    an image with ``image_stats`` (``image_statistics``)."""
    kind = answer_kind(answer)
    calls = [c for c in trace.calls if c.ok]
    confidences = [c.confidence for c in calls]
    values = [1.0, *(float(kind == k) for k in ("yes", "no", "nothing", "number", "other"))]
    values += [
        math.log1p(len(calls)),
        min(confidences, default=1.0),
        1.0 - sum(confidences) / len(calls) if calls else 0.0,
        _share(confidences, DOUBT),
        _share(confidences, 0.75),
        trace.backend_cost / reference_cost if reference_cost > 0 else 0.0,
        _negative_min_confidence(calls),
    ]
    by_family: dict[str, list[float]] = {f: [] for f in FAMILY_ORDER}
    for call in calls:
        by_family[FAMILIES.get(call.fn, "other")].append(call.confidence)
    for family in FAMILY_ORDER:
        members = by_family[family]
        values += [float(bool(members)), min(members, default=1.0), _share(members, DOUBT)]
    found = [len(c.output) for c in calls if c.fn == "find" and isinstance(c.output, list)]
    values += [math.log1p(sum(found)), float(any(n == 0 for n in found))]
    features = np.empty(len(FEATURES), np.float32)
    features[: len(values)] = values
    features[len(values) :] = image_stats
    return features


def _negative_min_confidence(calls: list[Any]) -> float:
    """The least confidence among the calls whose output was a ``no`` or a ``nothing``
    (``False``, an empty list, ``0``, ``None``): the calls a "no" rests on (1.0 if none)."""
    return min((c.confidence for c in calls if negative_output(c.output)), default=1.0)


def negative_output(output: Any) -> bool:
    """Whether a call's output is a ``no`` or a ``nothing`` (other objects, such as patches,
    never are; they are not turned into text)."""
    return _output_kind(output) in ("no", "nothing")


def output_can_rise(output: Any) -> bool:
    """Whether a call's ``output`` has a higher value it could be corrected to (every output but
    ``True`` and ``"yes"``; a list can always grow)."""
    kind = _output_kind(output)
    return kind != "yes"


def output_can_fall(output: Any) -> bool:
    """Whether a call's ``output`` has a lower value it could be corrected to (every output but
    ``False``, ``"no"``, nothing, an empty list and zero)."""
    return _output_kind(output) not in ("no", "nothing")


def _output_kind(output: Any) -> str:
    plain = output is None or isinstance(output, str | bool | int | float | list | tuple)
    return answer_kind(output) if plain else "other"


def image_statistics(images: list[Any]) -> np.ndarray:
    """``(len(images), 6)``: per image the ``IMAGE_STATISTICS`` of its grey levels at half
    resolution (zeros for an input without an ``(H, W, 3)`` image); the images of one shape go
    through one compiled call."""
    out = np.zeros((len(images), len(IMAGE_STATISTICS)), np.float32)
    groups: dict[tuple[int, ...], list[int]] = {}
    pixels = [_pixels(image) for image in images]
    for i, p in enumerate(pixels):
        if p is not None:
            groups.setdefault(p.shape, []).append(i)
    for members in groups.values():
        out[members] = np.asarray(_statistics(tuple(pixels[i] for i in members)))
    return out


def _pixels(image: Any) -> np.ndarray | None:
    """The image's ``(H, W, 3)`` pixels (at least 6 x 6) as float32, else ``None``."""
    try:
        pixels = np.asarray(getattr(image, "pixels", image), np.float32)
    except (TypeError, ValueError):
        return None
    if pixels.ndim != 3 or pixels.shape[-1] != 3 or min(pixels.shape[:2]) < 6:
        return None
    return pixels


@jax.jit
def _statistics(images: tuple[jax.Array, ...]) -> jax.Array:
    stack = jnp.stack(images)
    n, height, width, _ = stack.shape
    h, w = height // 2, width // 2
    small = stack[:, : 2 * h, : 2 * w].reshape(n, h, 2, w, 2, 3).mean(axis=(2, 4))
    grey = small.mean(axis=-1)
    gradient = jnp.abs(jnp.diff(grey, axis=1)).mean(axis=(1, 2))
    gradient += jnp.abs(jnp.diff(grey, axis=2)).mean(axis=(1, 2))
    centre = grey[:, 1:-1, 1:-1]
    around = grey[:, :-2, 1:-1] + grey[:, 2:, 1:-1] + grey[:, 1:-1, :-2] + grey[:, 1:-1, 2:]
    laplacian = jnp.abs(4 * centre - around).mean(axis=(1, 2))
    saturation = (small.max(axis=-1) - small.min(axis=-1)).mean(axis=(1, 2))
    mean = grey.mean(axis=(1, 2))
    ink = (jnp.abs(grey - mean[:, None, None]) > 0.2).mean(axis=(1, 2))
    return jnp.stack([mean, grey.std(axis=(1, 2)), gradient, laplacian, saturation, ink], axis=1)


def _share(confidences: list[float], below: float) -> float:
    return sum(c < below for c in confidences) / len(confidences) if confidences else 0.0


def feature_flops(image: Any) -> float:
    """What the features cost on ``image`` (FLOPs): the image statistics dominate."""
    pixels = getattr(image, "pixels", None)
    area = float(np.prod(np.shape(pixels)[:2])) if pixels is not None else 0.0
    return IMAGE_FLOPS * area + 4.0 * len(FEATURES)
