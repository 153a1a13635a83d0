"""Perfect perception on the hand-built scene of conftest.py (answers checked by hand)."""

import inspect

import numpy as np
import pytest

from fmpc.library import DEFAULT_LIBRARY
from fmpc.semantics.values import ImageValue, PatchValue
from fmpc.worlds import (
    NoSceneGraph,
    UnknownVocabulary,
    check_literal,
    perfect_backends,
    unrendered_image,
)
from fmpc.worlds.perception import (
    best_image_match,
    best_text_match,
    compute_depth,
    exists,
    find,
    llm_query,
    main_object,
    query,
    simple_query,
    verify_property,
)

A, B, C, D = (2, 40, 22, 60), (30, 45, 41, 56), (45, 5, 57, 17), (5, 2, 24, 21)


def _patch(image: ImageValue, box: tuple[int, int, int, int]) -> PatchValue:
    return PatchValue(image, *box)


def test_find_left_to_right_with_full_boxes(image: ImageValue) -> None:
    assert [p.box() for p in find(image, "object")] == [A, D, B, C]
    assert [p.box() for p in find(image, "digits")] == [A, C]
    assert [p.box() for p in find(image, "shape")] == [D, B]
    assert [p.box() for p in find(image, "Seven")] == [A]
    assert find(image, "square") == []
    found = find(image, "circle")[0]
    assert found.image is image and found.score == 1.0


def test_find_in_a_sub_patch_uses_box_centres(image: ImageValue) -> None:
    top = PatchValue(image, 0, 32, 64, 64)
    assert [p.box() for p in find(top, "object")] == [A, B]
    # B's centre (35.5, 50.5) is outside, though the patch overlaps B's box
    assert [p.box() for p in find(PatchValue(image, 0, 0, 35, 64), "object")] == [A, D]


def test_exists(image: ImageValue) -> None:
    assert exists(image, "7") and exists(image, "triangle") and exists(image, "four")
    assert not exists(image, "square") and not exists(image, "8")
    assert not exists(PatchValue(image, 25, 0, 29, 64), "object")


def test_verify_property(image: ImageValue) -> None:
    assert verify_property(image, "digit", "red")
    assert not verify_property(image, "digit", "blue")
    assert verify_property(image, "shape", "blue")
    assert verify_property(image, "7", "large") and not verify_property(image, "7", "small")
    assert verify_property(_patch(image, C), "digit", "even")
    assert not verify_property(_patch(image, A), "object", "even")
    assert verify_property(_patch(image, A), "object", "odd")
    assert not verify_property(_patch(image, D), "object", "odd")  # shapes have no parity
    assert verify_property(_patch(image, B), "object", "circle")
    assert not verify_property(_patch(image, B), "digit", "blue")


def test_main_object_is_the_most_covered(image: ImageValue) -> None:
    assert main_object(image) is image.scene.objects[0]  # A (400 px) beats D (361 px)
    assert main_object(PatchValue(image, 0, 0, 40, 30)) is image.scene.objects[3]
    assert main_object(PatchValue(image, 25, 0, 29, 64)) is None


def test_best_text_match(image: ImageValue) -> None:
    assert best_text_match(_patch(image, A), ["blue", "red"]) == "red"
    assert best_text_match(_patch(image, B), ["7", "Circle", "square"]) == "Circle"
    assert best_text_match(_patch(image, C), ["large", "small"]) == "small"
    assert best_text_match(_patch(image, C), ["circle", "square"]) == "circle"  # none holds
    with pytest.raises(ValueError, match="at least one option"):
        best_text_match(image, [])


@pytest.mark.parametrize(
    ("box", "question", "answer"),
    [
        (A, "what digit is this?", "7"),
        (A, "What number is this", "7"),
        (B, "what digit is this?", "none"),
        (B, "what shape is this?", "circle"),
        (C, "what shape is this?", "none"),
        (B, "what colour is this?", "blue"),
        (D, "what color is this?", "yellow"),
        (C, "what size is this?", "small"),
        (D, "what is this?", "triangle"),
        (A, "is this a 7?", "yes"),
        (A, "is this a seven?", "yes"),
        (A, "is this a 1?", "no"),
        (C, "is this an object?", "yes"),
        (A, "is this red?", "yes"),
        (A, "is this even?", "no"),
        (B, "is this small?", "yes"),
        ((0, 0, 64, 64), "how many digits are there?", "2"),
        ((0, 0, 64, 64), "how many objects are there?", "4"),
        ((0, 32, 64, 64), "how many shapes are there?", "1"),
        ((0, 0, 64, 64), "is there a triangle?", "yes"),
        ((0, 32, 64, 64), "is there a triangle?", "no"),
        ((25, 0, 29, 64), "what is this?", "none"),
        ((25, 0, 29, 64), "what color is this?", "none"),
        ((25, 0, 29, 64), "is this red?", "no"),
        ((25, 0, 29, 64), "how many objects are there?", "0"),
    ],
)
def test_query(
    image: ImageValue, box: tuple[int, int, int, int], question: str, answer: str
) -> None:
    assert query(_patch(image, box), question) == answer
    assert simple_query(_patch(image, box), question) == answer


def test_compute_depth_smaller_is_farther(image: ImageValue) -> None:
    assert compute_depth(_patch(image, A)) == pytest.approx(16 / 20)
    assert compute_depth(_patch(image, C)) == pytest.approx(16 / 12)
    assert compute_depth(_patch(image, C)) > compute_depth(_patch(image, A))
    assert compute_depth(PatchValue(image, 25, 0, 29, 64)) == 2.0


def test_best_image_match(image: ImageValue) -> None:
    patches = find(image, "object")  # A, D, B, C
    assert best_image_match(patches, ["green", "small"]).box() == C
    assert best_image_match(patches, ["large"]).box() == A  # tie A/D: the first
    assert best_image_match(patches, ["circle", "large"]).box() == A
    assert best_image_match(patches, ["circle", "blue"]).box() == B
    with pytest.raises(ValueError, match="at least one patch"):
        best_image_match([], ["red"])


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("is 7 odd?", "yes"),
        ("is seven even?", "no"),
        ("what is 3 plus 4?", "7"),
        ("is 5 greater than 2?", "yes"),
        ("what number comes after 8?", "9"),
        ("what number comes before 0?", "-1"),
        ("which is smaller, 3 or 9?", "3"),
    ],
)
def test_llm_query(question: str, answer: str) -> None:
    assert llm_query(question) == answer


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda im: find(im, "car"), r"unknown object name 'car'; known: 0, 1, .*object"),
        (lambda im: exists(im, "red"), "unknown object name 'red'"),
        (lambda im: verify_property(im, "digit", "shiny"), "unknown property 'shiny'; known:"),
        (lambda im: verify_property(im, "blob", "red"), "unknown object name 'blob'"),
        (lambda im: best_text_match(im, ["red", "wooden"]), "unknown property 'wooden'"),
        (lambda im: query(im, "why is this?"), r"unknown question 'why is this\?'; known: what"),
        (lambda im: query(im, "is this a red?"), "unknown object name 'red'"),
        (lambda im: best_image_match([im], ["fuzzy"]), "unknown property 'fuzzy'"),
        (lambda im: llm_query("is 7 lucky?"), r"unknown number question 'is 7 lucky\?'"),
    ],
)
def test_unknown_vocabulary(image: ImageValue, call, message: str) -> None:
    with pytest.raises(UnknownVocabulary, match=message):
        call(PatchValue.whole(image))


def test_image_without_scene_is_a_clear_error() -> None:
    bare = ImageValue(np.zeros((8, 8, 3), dtype=np.float32), id="photo")
    with pytest.raises(NoSceneGraph, match="'photo' carries no scene"):
        find(bare, "digit")


def test_check_literal() -> None:
    assert check_literal("find", 1, "digit") is None
    assert check_literal("verify_property", 2, "red") is None
    assert check_literal("query", 1, "what digit is this?") is None
    assert check_literal("llm_query", 0, "is 3 prime?") is None
    assert check_literal("best_text_match", 1, ["red", "blue"]) is None
    assert check_literal("crop", 1, "anything") is None  # not a vocabulary argument
    warning = check_literal("find", 1, "car")
    assert warning is not None and "find() argument 1" in warning and "'car'" in warning
    warning = check_literal("best_text_match", 1, ["red", "wooden"])
    assert warning is not None and "'wooden'" in warning
    assert check_literal("verify_property", 2, "fluffy") is not None
    assert check_literal("simple_query", 1, "how old is this?") is not None
    assert check_literal("llm_query", 0, "what is love?") is not None


def test_perfect_backends_cover_the_routable_library() -> None:
    backends = perfect_backends()
    routable = {name for name, fn in DEFAULT_LIBRARY.items() if fn.routable}
    assert set(backends) == routable
    for name, backend in backends.items():
        assert len(inspect.signature(backend).parameters) == len(DEFAULT_LIBRARY[name].params)
    with pytest.raises(TypeError):
        backends["find"] = find  # type: ignore[index]


def test_unrendered_image_answers_like_the_rendered_one(image: ImageValue) -> None:
    bare = unrendered_image(image.scene)
    assert bare.pixels.shape == image.pixels.shape and not bare.pixels.any()
    for name in ("object", "digit", "circle"):
        assert [p.box() for p in find(bare, name)] == [p.box() for p in find(image, name)]
    assert query(bare, "how many objects are there?") == "4"
