"""How each generic function is asked of a chat model, and how its answer is read back.

A ``PromptFormat`` renders one call's arguments into a question text plus the images to attach,
and parses the model's answer text into the function's typed output. ``DEFAULT_PROMPTS`` covers
the routable functions of ``fmpc.library.DEFAULT_LIBRARY``; pass your own format to
``HttpBackend`` for other functions or other wording. A parser raises ``ValueError`` when the
answer cannot be read; the backend reports it as a ``BackendResponseError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from fmpc.semantics.values import ImageValue, PatchValue

Visual = ImageValue | PatchValue


@dataclass(frozen=True)
class PromptFormat:
    """``render(args) -> (text, images)`` and ``parse(answer, args) -> output``."""

    render: Callable[[tuple[Any, ...]], tuple[str, list[Visual]]]
    parse: Callable[[str, tuple[Any, ...]], Any]


def generic_render(args: tuple[Any, ...]) -> tuple[str, list[Visual]]:
    """Images and patches become attachments; every other argument joins the text."""
    images = [a for a in args if isinstance(a, ImageValue | PatchValue)]
    text = " ".join(str(a) for a in args if not isinstance(a, ImageValue | PatchValue))
    return text, images


def parse_text(answer: str, args: tuple[Any, ...]) -> str:
    """The answer without surrounding whitespace or a final full stop."""
    return answer.strip().removesuffix(".").strip()


def parse_yes_no(answer: str, args: tuple[Any, ...]) -> bool:
    """``True`` for an answer starting with yes/true, ``False`` for no/false."""
    word = re.match(r"\W*(\w+)", answer.lower())
    if word and word.group(1) in ("yes", "true"):
        return True
    if word and word.group(1) in ("no", "false"):
        return False
    raise ValueError(f"expected yes or no, got {answer!r}")


def parse_number(answer: str, args: tuple[Any, ...]) -> float:
    """The first number in the answer."""
    match = re.search(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", answer)
    if match is None:
        raise ValueError(f"expected a number, got {answer!r}")
    return float(match.group())


def parse_option(answer: str, args: tuple[Any, ...]) -> str:
    """The option (``args[1]``) the answer names: exactly, else the first one it contains."""
    options = [str(o) for o in args[1]]
    said = parse_text(answer, args).lower()
    for option in options:
        if said == option.lower():
            return option
    for option in options:
        if option.lower() in said:
            return option
    raise ValueError(f"expected one of {options}, got {answer!r}")


def parse_boxes(answer: str, args: tuple[Any, ...]) -> list[PatchValue]:
    """Patches from a JSON list of ``[x1, y1, x2, y2]`` boxes in the attached crop's pixels.

    The model's boxes have their origin at the crop's top-left corner (as chat models draw
    them); they are converted to the image's bottom-left convention and clipped to the crop.
    """
    patch: PatchValue = _as_patch(args[0])
    match = re.search(r"\[.*\]", answer, re.DOTALL)
    boxes = json.loads(match.group()) if match else None
    if not isinstance(boxes, list):
        raise ValueError(f"expected a JSON list of [x1, y1, x2, y2] boxes, got {answer!r}")
    patches = [_box_to_patch(patch, box) for box in boxes]
    return [p for p in patches if p.width > 0 and p.height > 0]


def parse_image_index(answer: str, args: tuple[Any, ...]) -> PatchValue:
    """The patch (of ``args[0]``) whose 1-based number the answer gives."""
    patches = list(args[0])
    index = int(parse_number(answer, args))
    if not 1 <= index <= len(patches):
        raise ValueError(f"expected an image number from 1 to {len(patches)}, got {answer!r}")
    return _as_patch(patches[index - 1])


def _as_patch(value: Visual) -> PatchValue:
    return value if isinstance(value, PatchValue) else PatchValue.whole(value)


def _box_to_patch(patch: PatchValue, box: Any) -> PatchValue:
    if not (isinstance(box, list) and len(box) == 4):
        raise ValueError(f"expected a box [x1, y1, x2, y2], got {box!r}")
    x1, y1, x2, y2 = (
        min(max(float(v), 0.0), float(s)) for v, s in zip(box, _sizes(patch), strict=True)
    )
    return PatchValue(
        patch.image,
        patch.left + int(min(x1, x2)),
        patch.upper - int(max(y1, y2)),
        patch.left + int(max(x1, x2)),
        patch.upper - int(min(y1, y2)),
    )


def _sizes(patch: PatchValue) -> tuple[int, int, int, int]:
    return (patch.width, patch.height, patch.width, patch.height)


def _template(
    text: str, attach: Callable[[tuple[Any, ...]], list[Visual]]
) -> Callable[[tuple[Any, ...]], tuple[str, list[Visual]]]:
    def render(args: tuple[Any, ...]) -> tuple[str, list[Visual]]:
        return text.format(*args), attach(args)

    return render


def _first(args: tuple[Any, ...]) -> list[Visual]:
    return [args[0]]


def _none(args: tuple[Any, ...]) -> list[Visual]:
    return []


def _options_render(args: tuple[Any, ...]) -> tuple[str, list[Visual]]:
    options = ", ".join(str(o) for o in args[1])
    text = f"Which of these options best describes the image: {options}? Answer with one option."
    return text, [args[0]]


def _image_match_render(args: tuple[Any, ...]) -> tuple[str, list[Visual]]:
    content = ", ".join(str(c) for c in args[1])
    n = len(args[0])
    text = f"Which of the {n} images best matches: {content}? Answer with its number (1 to {n})."
    return text, list(args[0])


_YES_NO = " Answer yes or no."
DEFAULT_PROMPTS: Mapping[str, PromptFormat] = MappingProxyType(
    {
        "exists": PromptFormat(
            _template("Is there a {1} in the image?" + _YES_NO, _first), parse_yes_no
        ),
        "verify_property": PromptFormat(
            _template("Does the {1} in the image have the property '{2}'?" + _YES_NO, _first),
            parse_yes_no,
        ),
        "find": PromptFormat(
            _template(
                "Locate every {1} in the image. Answer with a JSON list of boxes "
                "[x1, y1, x2, y2] in pixels, origin at the top-left corner; [] if there is none.",
                _first,
            ),
            parse_boxes,
        ),
        "best_text_match": PromptFormat(_options_render, parse_option),
        "simple_query": PromptFormat(_template("{1} Answer briefly.", _first), parse_text),
        "query": PromptFormat(_template("{1}", _first), parse_text),
        "compute_depth": PromptFormat(
            _template(
                "Estimate the median distance from the camera to the image content, in metres. "
                "Answer with one number.",
                _first,
            ),
            parse_number,
        ),
        "llm_query": PromptFormat(_template("{0}", _none), parse_text),
        "best_image_match": PromptFormat(_image_match_render, parse_image_index),
    }
)
"""The prompt format of each routable function of the default library."""

GENERIC_PROMPT = PromptFormat(generic_render, parse_text)
"""For any other function: text arguments joined, images attached, the answer text returned."""

__all__ = [
    "DEFAULT_PROMPTS",
    "GENERIC_PROMPT",
    "PromptFormat",
    "generic_render",
    "parse_boxes",
    "parse_image_index",
    "parse_number",
    "parse_option",
    "parse_text",
    "parse_yes_no",
]
