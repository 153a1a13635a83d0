"""Perfect-perception backends: every generic function answered exactly from the scene graph.

They take the ``PatchValue``s (or whole ``ImageValue``s) of the embedded world, whose
``image.scene`` is the ``Scene``, and read the truth from it — cost 0; used for labels, as the
accuracy ceiling and in tests, never as a reported method. Words outside the documented
vocabulary (``fmpc.worlds.vocabulary``, ``fmpc.worlds.questions``, ``fmpc.worlds.numbers``) raise
``UnknownVocabulary``.

An object is **in** a patch when its box centre lies in the patch (half-open). A patch's **main
object** is the object in it whose box overlaps the patch most (ties: the leftmost, then the
lowest); "this" in a question means the main object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from fmpc.semantics.values import ImageValue, PatchValue
from fmpc.worlds.numbers import answer_number_question, parse_number_question
from fmpc.worlds.questions import PatchQuestion, parse_question
from fmpc.worlds.scene import Scene, SceneObject
from fmpc.worlds.vocabulary import (
    COLOR_NAMES,
    DIGITS,
    SIZES,
    UnknownVocabulary,
    canonical_name,
    canonical_property,
)

DEPTH_SCALE = 16.0
"""An object's depth is ``DEPTH_SCALE / side`` (side in pixels): smaller objects are farther."""

BACKGROUND_DEPTH = 2.0
"""The depth of a patch without objects (farther than any object)."""

PatchLike = PatchValue | ImageValue


class NoSceneGraph(ValueError):
    """Perfect perception was given an image that carries no embedded-world scene."""


def unrendered_image(scene: Scene) -> ImageValue:
    """An ``ImageValue`` of ``scene`` for perfect perception only: its pixels are a read-only
    black array (nothing is drawn), so labelling candidate scenes (e.g. in a generator
    ``predicate``) costs no rendering."""
    pixels = np.broadcast_to(np.zeros((1, 1, 3), dtype=np.float32), (scene.size, scene.size, 3))
    return ImageValue(pixels, id=scene.id, scene=scene)


def _as_patch(patch: PatchLike) -> PatchValue:
    return PatchValue.whole(patch) if isinstance(patch, ImageValue) else patch


def _scene(patch: PatchValue) -> Scene:
    scene = patch.image.scene
    if not isinstance(scene, Scene):
        raise NoSceneGraph(
            f"perfect perception needs an embedded-world image; image {patch.image.id!r} "
            "carries no scene (make it with fmpc.worlds.SceneGenerator.image)"
        )
    return scene


def _left_to_right(obj: SceneObject) -> tuple[float, float]:
    return obj.center


def objects_in(patch: PatchLike) -> tuple[SceneObject, ...]:
    """The objects whose box centre lies in ``patch``, left to right (then bottom to top)."""
    patch = _as_patch(patch)
    inside = [
        obj
        for obj in _scene(patch).objects
        if patch.left <= obj.center[0] < patch.right and patch.lower <= obj.center[1] < patch.upper
    ]
    return tuple(sorted(inside, key=_left_to_right))


def _overlap(patch: PatchValue, obj: SceneObject) -> int:
    left, lower, right, upper = obj.box
    width = min(right, patch.right) - max(left, patch.left)
    height = min(upper, patch.upper) - max(lower, patch.lower)
    return max(width, 0) * max(height, 0)


def main_object(patch: PatchLike) -> SceneObject | None:
    """The object "this" refers to in ``patch``, or ``None`` when no object is in it."""
    patch = _as_patch(patch)
    inside = objects_in(patch)
    if not inside:
        return None
    return max(inside, key=lambda obj: (_overlap(patch, obj), -obj.center[0], -obj.center[1]))


def matches_name(obj: SceneObject, name: str) -> bool:
    """Whether ``obj`` is called ``name`` (a canonical object name)."""
    if name == "object":
        return True
    if name in ("digit", "shape"):
        return obj.kind == name
    return obj.category == name


def has_property(obj: SceneObject, prop: str) -> bool:
    """Whether ``obj`` has ``prop`` (a canonical property)."""
    if prop in COLOR_NAMES:
        return obj.color == prop
    if prop in SIZES:
        return obj.size == prop
    if prop in ("even", "odd"):
        return obj.kind == "digit" and (int(obj.category) % 2 == 1) == (prop == "odd")
    return matches_name(obj, prop)


def find(patch: PatchLike, object_name: str) -> list[PatchValue]:
    """Patches (full object boxes, score 1.0) of the objects called ``object_name`` in ``patch``,
    left to right."""
    name = canonical_name(object_name)
    patch = _as_patch(patch)
    found = (obj for obj in objects_in(patch) if matches_name(obj, name))
    return [PatchValue(patch.image, *obj.box, score=1.0) for obj in found]


def exists(patch: PatchLike, object_name: str) -> bool:
    """Whether an object called ``object_name`` is in ``patch``."""
    return bool(find(patch, object_name))


def verify_property(patch: PatchLike, object_name: str, property: str) -> bool:
    """Whether some object called ``object_name`` in ``patch`` has ``property``."""
    name, prop = canonical_name(object_name), canonical_property(property)
    return any(matches_name(o, name) and has_property(o, prop) for o in objects_in(patch))


def best_text_match(patch: PatchLike, options: Sequence[str]) -> str:
    """The first option (a property) that holds of the main object; the first option when none
    does or the patch has no object."""
    if not options:
        raise ValueError("best_text_match needs at least one option")
    props = [canonical_property(option) for option in options]
    obj = main_object(patch)
    for option, prop in zip(options, props, strict=True):
        if obj is not None and has_property(obj, prop):
            return option
    return options[0]


def query(patch: PatchLike, question: str) -> str:
    """The answer to a documented patch question (``fmpc.worlds.questions``) about ``patch``."""
    parsed = parse_question(question)
    if parsed.form == "there":
        return _yes(exists(patch, _subject(parsed)))
    if parsed.form == "count":
        return str(len(find(patch, _subject(parsed))))
    return _about(main_object(patch), parsed)


def simple_query(patch: PatchLike, question: str) -> str:
    """Same as ``query`` (the world's simple and full patch questions are the same forms)."""
    return query(patch, question)


def _subject(parsed: PatchQuestion) -> str:
    assert parsed.subject is not None, parsed
    return parsed.subject


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _about(obj: SceneObject | None, parsed: PatchQuestion) -> str:
    if parsed.form in ("is_a", "is"):
        return _yes(obj is not None and has_property(obj, _subject(parsed)))
    if obj is None:
        return "none"
    if parsed.form == "digit":
        return obj.category if obj.category in DIGITS else "none"
    if parsed.form == "shape":
        return obj.category if obj.kind == "shape" else "none"
    if parsed.form == "color":
        return obj.color
    if parsed.form == "size":
        return obj.size
    return obj.category


def compute_depth(patch: PatchLike) -> float:
    """Depth of the main object, ``DEPTH_SCALE / side`` (``BACKGROUND_DEPTH`` without one)."""
    obj = main_object(patch)
    return BACKGROUND_DEPTH if obj is None else DEPTH_SCALE / obj.side


def best_image_match(patches: Sequence[PatchValue], content: Sequence[str]) -> PatchValue:
    """The patch whose main object has the most of the ``content`` properties (ties: the first)."""
    props = [canonical_property(item) for item in content]
    if not patches:
        raise ValueError("best_image_match needs at least one patch")

    def matches(patch: PatchValue) -> int:
        obj = main_object(patch)
        return 0 if obj is None else sum(has_property(obj, prop) for prop in props)

    scores = [matches(patch) for patch in patches]
    return patches[scores.index(max(scores))]


def llm_query(question: str) -> str:
    """The exact answer to a documented number-fact question (``fmpc.worlds.numbers``)."""
    return answer_number_question(question)


_LITERAL_CHECKS: Mapping[tuple[str, int], Callable[[str], object]] = MappingProxyType(
    {
        ("find", 1): canonical_name,
        ("exists", 1): canonical_name,
        ("verify_property", 1): canonical_name,
        ("verify_property", 2): canonical_property,
        ("best_text_match", 1): canonical_property,
        ("best_image_match", 1): canonical_property,
        ("query", 1): parse_question,
        ("simple_query", 1): parse_question,
        ("llm_query", 0): parse_number_question,
    }
)


def check_literal(fn_name: str, arg_index: int, value: object) -> str | None:
    """A warning when literal ``value``, passed as argument ``arg_index`` (0-based, the patch
    counting as argument 0) of ``fn_name``, is outside the embedded world's vocabulary; ``None``
    when it is known or the argument is not checked. A list literal is checked item by item."""
    check = _LITERAL_CHECKS.get((fn_name, arg_index))
    if check is None:
        return None
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if not isinstance(item, str):
            continue
        try:
            check(item)
        except UnknownVocabulary as error:
            return f"{fn_name}() argument {arg_index}: {error}"
    return None


def perfect_backends() -> Mapping[str, Callable[..., Any]]:
    """The perfect-perception function for each routable generic function, by name."""
    return MappingProxyType(
        {
            "find": find,
            "exists": exists,
            "verify_property": verify_property,
            "best_text_match": best_text_match,
            "simple_query": simple_query,
            "query": query,
            "compute_depth": compute_depth,
            "llm_query": llm_query,
            "best_image_match": best_image_match,
        }
    )
