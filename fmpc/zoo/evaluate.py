"""Held-out accuracy of zoo backends, judged against the world's perfect perception.

Tasks are drawn from scenes of the ``val`` glyph pool (never trained on) at one difficulty
level; a backend's answer is right when it equals perfect perception's answer on the same
arguments (for ``find``: as many boxes, each matched by one at IoU >= 0.5). Failed items count
as wrong. The text model is judged on the number-fact grammar itself (one-operand questions are
its "easy" split, two-operand ones its "hard" split).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fmpc.runtime.backends.base import Args, Backend, call_batch
from fmpc.semantics.values import ImageValue, PatchValue
from fmpc.worlds.numbers import answer_number_question
from fmpc.worlds.perception import perfect_backends
from fmpc.worlds.vocabulary import COLOR_NAMES, DIGITS, LOOKALIKES, SHAPES, SIZES
from fmpc.zoo.bench_questions import sample_question
from fmpc.zoo.data import jittered_patch
from fmpc.zoo.scene_questions import pick_name
from fmpc.zoo.serving import DEPTH_TOLERANCE, iou
from fmpc.zoo.text import number_questions, one_operand

BATCH = 64
"""Items per backend call during evaluation."""

Item = tuple[Args, Any]
"""One evaluation item: the call's arguments and the expected output."""

_OBJECT_FORMS = (
    "what digit is this?",
    "what shape is this?",
    "what color is this?",
    "what size is this?",
    "what is this?",
)


def _truth(function: str, args: Args) -> Any:
    return perfect_backends()[function](*args)


def scene_items(function: str, images: Sequence[ImageValue], seed: int) -> list[Item]:
    """Evaluation items of a perception ``function`` over ``images``, with perfect answers."""
    rng = np.random.default_rng(seed)
    args: list[Args] = []
    for image in images:
        whole = PatchValue.whole(image)
        if function in ("find", "exists"):
            args += [(whole, pick_name(image, rng)) for _ in range(2)]
            continue
        for obj in image.scene.objects:
            patch = jittered_patch(image, obj, rng)
            args.append(
                (patch,) if function == "compute_depth" else _object_args(function, patch, obj, rng)
            )
        if function in ("query", "simple_query"):
            name = pick_name(image, rng)
            question = (
                f"how many {name} are there?" if rng.random() < 0.5 else f"is there a {name}?"
            )
            args.append((whole, question))
    return [(a, _truth(function, a)) for a in args]


def _object_args(function: str, patch: PatchValue, obj: Any, rng: np.random.Generator) -> Args:
    if function == "verify_property":
        prop = _property(obj, rng)
        return (patch, str(rng.choice(["object", obj.kind])), prop)
    if function == "best_text_match":
        return (patch, _options(obj, rng))
    if rng.random() < 0.3:
        return (patch, f"is this a {_rival(obj, rng)}?")
    return (patch, str(rng.choice(_OBJECT_FORMS)))


def _property(obj: Any, rng: np.random.Generator) -> str:
    kind = int(rng.integers(4))
    true = rng.random() < 0.5
    if kind == 0:
        return obj.category if true else _rival(obj, rng)
    if kind == 1:
        return obj.color if true else str(rng.choice(COLOR_NAMES))
    if kind == 2:
        return obj.size if true else str(rng.choice(SIZES))
    return str(rng.choice(["even", "odd"]))


def _rival(obj: Any, rng: np.random.Generator) -> str:
    """A category easily confused with the object's (a look-alike digit, another shape)."""
    if obj.kind == "digit":
        return str(rng.choice(LOOKALIKES[obj.category]))
    return str(rng.choice([s for s in SHAPES if s != obj.category]))


def _options(obj: Any, rng: np.random.Generator) -> list[str]:
    if rng.random() < 0.3:
        others = [c for c in COLOR_NAMES if c != obj.color]
        options = [obj.color, *rng.choice(others, 2, replace=False)]
    else:
        pool = list(LOOKALIKES[obj.category]) if obj.kind == "digit" else list(SHAPES)
        pool += [d for d in DIGITS if d not in pool]
        others = [c for c in pool if c != obj.category][:3]
        options = [obj.category, *rng.choice(others, 2, replace=False)]
    return [str(o) for o in rng.permutation(options)]


def vqa_items(images: Sequence[ImageValue], seed: int, per_image: int = 2) -> list[Item]:
    """Random benchmark-grammar questions (every form, yes/no ones half ``yes``:
    ``fmpc.zoo.bench_questions.sample_question``) about ``images`` for the monolithic model,
    with their exact answers."""
    rng = np.random.default_rng(seed)
    items: list[Item] = []
    for image in images:
        for _ in range(per_image):
            question, answer = sample_question(rng, image.scene)
            items.append(((image, question.text()), answer))
    return items


def text_items(level: str) -> list[Item]:
    """Number-fact questions: ``easy`` = one operand, ``hard`` = two operands."""
    pairs = number_questions()
    chosen = [(q, a) for q, a in pairs if one_operand(q) == (level == "easy")]
    return [((q,), answer_number_question(q)) for q, _ in chosen]


def correct(function: str, output: Any, truth: Any) -> bool:
    """Whether a backend's output equals perfect perception's (a depth: within
    ``DEPTH_TOLERANCE`` of it)."""
    if function == "find":
        return same_boxes(output, truth)
    if function == "compute_depth":
        return abs(float(output) - float(truth)) <= DEPTH_TOLERANCE * abs(float(truth))
    return bool(output == truth)


def same_boxes(found: Sequence[PatchValue], truth: Sequence[PatchValue]) -> bool:
    """As many boxes as the truth, each true box matched by a distinct one at IoU >= 0.5."""
    if len(found) != len(truth):
        return False
    free = list(found)
    for box in truth:
        match = next((f for f in free if iou(f.box(), box.box()) >= 0.5), None)
        if match is None:
            return False
        free.remove(match)
    return True


def accuracy(backend: Backend, items: Sequence[Item]) -> float:
    """The fraction of ``items`` ``backend`` answers right (failed items are wrong)."""
    return measure(backend, items)["accuracy"]


ECE_BINS = 10
"""Equal-width confidence bins of the expected calibration error."""


def measure(backend: Backend, items: Sequence[Item]) -> dict[str, float]:
    """``backend`` on ``items``: ``accuracy`` (failed items are wrong), ``ece`` (expected
    calibration error of its confidences: the mean over ``ECE_BINS`` confidence bins of
    |accuracy - mean confidence|, weighted by the bin's share of items) and, for the yes/no
    and detection functions, ``false_positive``: the share of the items whose true answer is
    "no" / "nothing" that it answers "yes" / with some object (``nan`` when it does not
    apply)."""
    if not items:
        nan = float("nan")
        return {"accuracy": nan, "ece": nan, "false_positive": nan}
    rights, confidences, false_positives = [], [], []
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        results = call_batch(backend, [args for args, _ in chunk])
        for result, (_, truth) in zip(results, chunk, strict=True):
            right = result.ok and correct(backend.function, result.output, truth)
            rights.append(right)
            confidences.append(result.confidence if result.ok else 0.0)
            if _negative(truth):
                false_positives.append(result.ok and not _negative(result.output))
    rate = float(np.mean(false_positives)) if false_positives else float("nan")
    return {
        "accuracy": float(np.mean(rights)),
        "ece": expected_calibration_error(np.asarray(confidences), np.asarray(rights)),
        "false_positive": rate,
    }


def _negative(value: Any) -> bool:
    """Whether an answer says "nothing there": ``False``, an empty list, ``no``."""
    return value is False or (isinstance(value, list) and not value) or value == "no"


def expected_calibration_error(confidence: np.ndarray, right: np.ndarray) -> float:
    """The expected calibration error over ``ECE_BINS`` equal-width bins."""
    bins = np.minimum((confidence * ECE_BINS).astype(int), ECE_BINS - 1)
    error = 0.0
    for b in range(ECE_BINS):
        members = bins == b
        if members.any():
            gap = abs(float(right[members].mean()) - float(confidence[members].mean()))
            error += gap * float(members.mean())
    return error
