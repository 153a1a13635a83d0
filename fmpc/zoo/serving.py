"""How each zoo model serves generic functions: ``preprocess`` / ``apply`` / ``postprocess``.

Each ``Serving`` turns one call's runtime arguments into fixed-size arrays, runs the Flax model
(``apply``, jit-compiled by ``fmpc.runtime.backends.jax.JaxBackend``) and reads one item's
outputs back as ``(output, confidence)``:

* detector (``find``, ``exists``): the patch is drawn on a 64 x 64 canvas (bottom-left corner,
  shrunk if larger, the rest filled with the patch's median colour); a cell is a detection of
  ``name`` when ``objectness * P(category matches name) > 0.5``; boxes map back to the image.
  ``find``'s confidence is the least certain cell's ``max(s, 1 - s)``; ``exists`` answers whether
  any cell passes, with confidence ``max(m, 1 - m)`` for the best cell's score ``m``.
* classifier (``verify_property``, ``best_text_match``): the patch resized to the model's crop
  side plus its width and height; probabilities of category, colour and size give ``P(name) *
  P(property)`` (confidence ``max(p, 1 - p)``) and each option's probability.
* question answering (``query``, ``simple_query``): the classifier answers questions about
  "this" object, the same-size detector ``is there`` / ``how many`` questions.
* text (``llm_query``): the question tokenized, the most probable answer.
* monolithic (``query`` on the whole image): canvas pixels + question tokens, the most probable
  answer of ``fmpc.zoo.scene_questions.VQA_ANSWERS``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from fmpc.runtime.backends.base import Args
from fmpc.runtime.backends.images import pixels_of, resize_pixels
from fmpc.semantics.values import ImageValue, PatchValue
from fmpc.worlds.numbers import parse_number_question
from fmpc.worlds.perception import DEPTH_SCALE
from fmpc.worlds.questions import PatchQuestion, parse_question
from fmpc.worlds.vocabulary import (
    CATEGORIES,
    COLOR_NAMES,
    DIGITS,
    SHAPES,
    SIZES,
    canonical_name,
    canonical_property,
)
from fmpc.zoo.data import crop_inputs, decode_box
from fmpc.zoo.models import CANVAS, GRID

THRESHOLD = 0.5
"""A detection's score (objectness times name probability) must exceed this."""

NMS_IOU = 0.5
"""Detections overlapping a better one by more than this IoU are dropped."""


def as_patch(value: ImageValue | PatchValue) -> PatchValue:
    """A patch for an image (the whole of it) or the patch itself."""
    return PatchValue.whole(value) if isinstance(value, ImageValue) else value


# ---------------------------------------------------------------- detector


def _scale(patch: PatchValue) -> float:
    return min(1.0, CANVAS / max(patch.width, patch.height, 1))


def canvas(patch: PatchValue) -> np.ndarray:
    """The patch drawn at the canvas's bottom-left corner (shrunk to fit), ``(64, 64, 3)``."""
    pixels = pixels_of(patch)
    scale = _scale(patch)
    if scale < 1.0:
        height = max(1, round(patch.height * scale))
        pixels = resize_pixels(pixels, height, max(1, round(patch.width * scale)))
    out = np.empty((CANVAS, CANVAS, 3), np.float32)
    out[...] = channel_medians(pixels) if pixels.size else 0.0
    height, width = pixels.shape[:2]
    out[CANVAS - height :, :width] = pixels
    return out


def channel_medians(pixels: np.ndarray) -> np.ndarray:
    """Each colour channel's median of non-empty ``(H, W, 3)`` pixels: the very numbers of
    ``np.median(pixels.reshape(-1, 3), axis=0)`` (NaN for a channel with a NaN), in about half its
    time, by partitioning each channel's contiguous row once around the middle and the end."""
    rows = np.ascontiguousarray(pixels.reshape(-1, 3).T)
    n = rows.shape[1]
    middle = (n // 2 - 1, n // 2) if n % 2 == 0 else (n // 2,)
    part = np.partition(rows, (*middle, n - 1), axis=1)
    medians = part[:, middle[0] : middle[-1] + 1].mean(axis=1)
    return np.where(np.isnan(part[:, -1]), np.nan, medians)  # NaNs partition to the end


def detector_outputs(raw: jnp.ndarray) -> dict[str, jnp.ndarray]:
    """Raw detector maps -> objectness and category probabilities and box values."""
    return {
        "objectness": jax.nn.sigmoid(raw[..., 0]),
        "category": jax.nn.softmax(raw[..., 1 : 1 + len(CATEGORIES)], axis=-1),
        "box": raw[..., 1 + len(CATEGORIES) :],
    }


def name_mask(name: str) -> np.ndarray:
    """Which categories ``name`` (canonical) covers, as a 0/1 vector over ``CATEGORIES``."""
    if name == "object":
        members: Sequence[str] = CATEGORIES
    elif name == "digit":
        members = DIGITS
    elif name == "shape":
        members = SHAPES
    else:
        members = (name,)
    return np.asarray([c in members for c in CATEGORIES], np.float32)


@dataclass(frozen=True)
class Detection:
    """One decoded detection: ``box`` in image pixels (y up) and its ``score``."""

    box: tuple[int, int, int, int]
    score: float


def cell_scores(outputs: dict[str, np.ndarray], name: str) -> np.ndarray:
    """Per cell, ``objectness * P(category matches name)`` ``(8, 8)``."""
    return outputs["objectness"] * (outputs["category"] @ name_mask(name))


def detections(outputs: dict[str, np.ndarray], patch: PatchValue, name: str) -> list[Detection]:
    """The detections of ``name`` in ``patch`` (one item's outputs), left to right."""
    scores = cell_scores(outputs, name)
    found: list[Detection] = []
    for flat in np.argsort(-scores, axis=None):
        row, col = divmod(int(flat), GRID)
        if scores[row, col] <= THRESHOLD:
            break
        box = _to_image(decode_box(row, col, outputs["box"][row, col], CANVAS), patch)
        if all(iou(box, kept.box) <= NMS_IOU for kept in found):
            found.append(Detection(box, float(scores[row, col])))
    return sorted(found, key=lambda d: (d.box[0] + d.box[2], d.box[1] + d.box[3]))


def _to_image(box: tuple[int, int, int, int], patch: PatchValue) -> tuple[int, int, int, int]:
    scale = _scale(patch)
    left, lower, right, upper = (round(v / scale) for v in box)
    return (
        min(patch.left + left, patch.right - 1),
        min(patch.lower + lower, patch.upper - 1),
        max(min(patch.left + right, patch.right), patch.left + left + 1),
        max(min(patch.lower + upper, patch.upper), patch.lower + lower + 1),
    )


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two ``(left, lower, right, upper)`` boxes."""
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def _certainty(p: np.ndarray | float) -> float:
    p = np.clip(np.asarray(p, np.float64), 0.0, 1.0)
    return float(np.min(np.maximum(p, 1.0 - p)))


def detector_pre(args: Args) -> np.ndarray:
    canonical_name(args[1])
    return canvas(as_patch(args[0]))


def find_post(outputs: Any, args: Args) -> tuple[list[PatchValue], float]:
    patch, name = as_patch(args[0]), canonical_name(args[1])
    found = detections(outputs, patch, name)
    patches = [PatchValue(patch.image, *d.box, score=d.score) for d in found]
    return patches, _certainty(cell_scores(outputs, name))


def exists_post(outputs: Any, args: Args) -> tuple[bool, float]:
    best = float(cell_scores(outputs, canonical_name(args[1])).max())
    return best > THRESHOLD, _certainty(best)


# ---------------------------------------------------------------- classifier


def classifier_outputs(logits: dict[str, jnp.ndarray]) -> dict[str, jnp.ndarray]:
    """Category, colour and size logits -> probabilities (the side's Gaussian as it is)."""
    return {
        key: value if key == "side" else jax.nn.softmax(value, axis=-1)
        for key, value in logits.items()
    }


def property_probability(outputs: dict[str, np.ndarray], prop: str) -> float:
    """``P(property)`` of a crop's main object from the classifier's probabilities, in [0, 1]
    (a sum of float32 probabilities can exceed 1 by rounding)."""
    return float(np.clip(_property_mass(outputs, prop), 0.0, 1.0))


def _property_mass(outputs: dict[str, np.ndarray], prop: str) -> float:
    if prop in COLOR_NAMES:
        return float(outputs["color"][COLOR_NAMES.index(prop)])
    if prop in SIZES:
        return float(outputs["size"][SIZES.index(prop)])
    if prop in ("even", "odd"):
        wanted = [d for d in DIGITS if int(d) % 2 == (prop == "odd")]
        return float(outputs["category"] @ np.asarray([c in wanted for c in CATEGORIES], float))
    return float(outputs["category"] @ name_mask(prop))


def verify_pre(resolution: int) -> Callable[[Args], tuple[np.ndarray, np.ndarray]]:
    def preprocess(args: Args) -> tuple[np.ndarray, np.ndarray]:
        canonical_name(args[1])
        canonical_property(args[2])
        return crop_inputs(as_patch(args[0]), resolution)

    return preprocess


def verify_post(outputs: Any, args: Args) -> tuple[bool, float]:
    name, prop = canonical_name(args[1]), canonical_property(args[2])
    p = property_probability(outputs, name) * property_probability(outputs, prop)
    return p > 0.5, _certainty(p)


def match_pre(resolution: int) -> Callable[[Args], tuple[np.ndarray, np.ndarray]]:
    def preprocess(args: Args) -> tuple[np.ndarray, np.ndarray]:
        if not list(args[1]):
            raise ValueError("best_text_match needs at least one option")
        for option in args[1]:
            canonical_property(option)
        return crop_inputs(as_patch(args[0]), resolution)

    return preprocess


def match_post(outputs: Any, args: Args) -> tuple[str, float]:
    options = list(args[1])
    scores = np.asarray([property_probability(outputs, canonical_property(o)) for o in options])
    best = int(np.argmax(scores))
    return options[best], float(np.clip(scores[best] / max(scores.sum(), 1e-9), 0.0, 1.0))


def depth_pre(resolution: int) -> Callable[[Args], tuple[np.ndarray, np.ndarray]]:
    def preprocess(args: Args) -> tuple[np.ndarray, np.ndarray]:
        return crop_inputs(as_patch(args[0]), resolution)

    return preprocess


DEPTH_TOLERANCE = 0.1
"""A depth is right within this relative error (the confidence is the predicted chance)."""


def depth_post(outputs: Any, args: Args) -> tuple[float, float]:
    """The main object's depth from the predicted side (``DEPTH_SCALE / side``), with the
    predicted probability that it is within ``DEPTH_TOLERANCE`` of the truth."""
    mean, log_std = (float(v) for v in outputs["side"])
    side = math.exp(mean) * CANVAS
    spread = math.exp(min(max(log_std, -6.0), 2.0))
    confidence = math.erf(math.log1p(DEPTH_TOLERANCE) / (spread * math.sqrt(2.0)))
    return DEPTH_SCALE / max(side, 1.0), min(max(confidence, 0.0), 1.0)


# ---------------------------------------------------------------- question answering

_SCENE_FORMS = frozenset({"there", "count"})


def query_pre(resolution: int) -> Callable[[Args], tuple[np.ndarray, ...]]:
    def preprocess(args: Args) -> tuple[np.ndarray, ...]:
        patch = as_patch(args[0])
        if parse_question(args[1]).form in _SCENE_FORMS:
            return (canvas(patch),)
        return crop_inputs(patch, resolution)

    return preprocess


def query_apply(classifier: Any, detector: Any) -> Callable[..., dict[str, jnp.ndarray]]:
    """``apply(params, *inputs)`` running the detector on one input (a canvas) and the
    classifier on two (crop, box); ``params`` is ``{"classifier": ..., "detector": ...}``."""

    def apply(params: Any, *inputs: jnp.ndarray) -> dict[str, jnp.ndarray]:
        if len(inputs) == 1:
            raw = detector.apply({"params": params["detector"]}, inputs[0])
            return detector_outputs(raw)
        logits = classifier.apply({"params": params["classifier"]}, *inputs)
        return classifier_outputs(logits)

    return apply


def query_post(outputs: Any, args: Args) -> tuple[str, float]:
    patch, question = as_patch(args[0]), parse_question(args[1])
    if question.form in _SCENE_FORMS:
        return _scene_answer(outputs, patch, question)
    return _object_answer(outputs, question)


def _scene_answer(outputs: Any, patch: PatchValue, question: PatchQuestion) -> tuple[str, float]:
    name = str(question.subject)
    if question.form == "there":
        best = float(cell_scores(outputs, name).max())
        return ("yes" if best > THRESHOLD else "no"), _certainty(best)
    found = detections(outputs, patch, name)
    return str(len(found)), _certainty(cell_scores(outputs, name))


def _argmax(names: Sequence[str], probabilities: np.ndarray) -> tuple[str, float]:
    best = int(np.argmax(probabilities))
    return names[best], float(np.clip(probabilities[best], 0.0, 1.0))


def _object_answer(outputs: Any, question: PatchQuestion) -> tuple[str, float]:
    category = outputs["category"]
    if question.form in ("is_a", "is"):
        p = property_probability(outputs, str(question.subject))
        return ("yes" if p > 0.5 else "no"), _certainty(p)
    if question.form == "color":
        return _argmax(COLOR_NAMES, outputs["color"])
    if question.form == "size":
        return _argmax(SIZES, outputs["size"])
    if question.form == "what":
        return _argmax(CATEGORIES, category)
    kind = DIGITS if question.form == "digit" else SHAPES
    p_kind = float(category @ name_mask("digit" if question.form == "digit" else "shape"))
    if p_kind < 0.5:
        return "none", 1.0 - p_kind
    answer, _ = _argmax(kind, np.asarray([category[CATEGORIES.index(c)] for c in kind]))
    return answer, float(category[CATEGORIES.index(answer)])


# ---------------------------------------------------------------- text and monolithic


def answers_post(answers: Sequence[str]) -> Callable[[Any, Args], tuple[str, float]]:
    def postprocess(outputs: Any, args: Args) -> tuple[str, float]:
        return _argmax(answers, np.asarray(outputs))

    return postprocess


def text_pre(tokenizer: Any) -> Callable[[Args], np.ndarray]:
    from fmpc.zoo.text import encode

    lock = threading.Lock()  # fast tokenizers are not safe to share between threads

    def preprocess(args: Args) -> np.ndarray:
        parse_number_question(args[0])
        with lock:
            return encode(tokenizer, [str(args[0])])[0]

    return preprocess


def vqa_pre(tokenizer: Any) -> Callable[[Args], tuple[np.ndarray, np.ndarray]]:
    from fmpc.zoo.bench_questions import question_text
    from fmpc.zoo.text import encode

    lock = threading.Lock()  # fast tokenizers are not safe to share between threads

    def preprocess(args: Args) -> tuple[np.ndarray, np.ndarray]:
        text = question_text(str(args[1]))
        with lock:
            tokens = encode(tokenizer, [text])[0]
        return canvas(as_patch(args[0])), tokens

    return preprocess


def softmax_apply(model: Any) -> Callable[..., jnp.ndarray]:
    """``apply(params, *inputs)``: the model's logits as probabilities."""

    def apply(params: Any, *inputs: jnp.ndarray) -> jnp.ndarray:
        return jax.nn.softmax(model.apply({"params": params}, *inputs), axis=-1)

    return apply


def detector_apply(model: Any) -> Callable[..., dict[str, jnp.ndarray]]:
    """``apply(params, canvas)``: the detector's decoded maps."""

    def apply(params: Any, pixels: jnp.ndarray) -> dict[str, jnp.ndarray]:
        return detector_outputs(model.apply({"params": params}, pixels))

    return apply


def classifier_apply(model: Any) -> Callable[..., dict[str, jnp.ndarray]]:
    """``apply(params, crop, box)``: the classifier's probabilities."""

    def apply(params: Any, crop: jnp.ndarray, box: jnp.ndarray) -> dict[str, jnp.ndarray]:
        return classifier_outputs(model.apply({"params": params}, crop, box))

    return apply


__all__ = [
    "as_patch",
    "canvas",
    "cell_scores",
    "classifier_apply",
    "detections",
    "detector_apply",
    "detector_outputs",
    "iou",
    "name_mask",
    "property_probability",
    "query_apply",
    "softmax_apply",
]
