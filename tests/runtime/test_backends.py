"""The backend protocol, ``CallableBackend``, ``BackendTable`` and the HTTP prompt formats."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fmpc.runtime.backends import (
    Backend,
    BackendFailure,
    BackendResult,
    BackendTable,
    CallableBackend,
    call_batch,
)
from fmpc.runtime.backends.images import png_data_url, resize_pixels
from fmpc.runtime.backends.prompts import (
    DEFAULT_PROMPTS,
    parse_boxes,
    parse_image_index,
    parse_number,
    parse_option,
    parse_yes_no,
)
from fmpc.semantics.values import ImageValue, PatchValue


def _image(h: int = 20, w: int = 30) -> ImageValue:
    rng = np.random.default_rng(0)
    return ImageValue(rng.random((h, w, 3), dtype=np.float32), id="img")


# ---- BackendResult and call_batch ----------------------------------------------------------


def test_result_rejects_confidence_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="confidence"):
        BackendResult("x", 1.5, 0.0)
    with pytest.raises(ValueError, match="cost"):
        BackendResult("x", 0.5, -1.0)


def test_failure_result_has_no_output() -> None:
    error = BackendFailure("boom")
    result = BackendResult.failure(error, cost=2.0)
    assert not result.ok and result.output is None and result.confidence == 0.0
    assert result.error is error and result.cost == 2.0


class _Raising:
    name = "raising"
    function = "exists"

    def cost(self, args: tuple) -> float:
        return 1.0

    def __call__(self, batch: object) -> list[BackendResult]:
        raise RuntimeError("model crashed")


class _Short(_Raising):
    def __call__(self, batch: object) -> list[BackendResult]:
        return [BackendResult(True, 1.0, 1.0)]


def test_call_batch_turns_an_escaping_exception_into_per_item_failures() -> None:
    results = call_batch(_Raising(), [(1,), (2,)])
    assert len(results) == 2 and not any(r.ok for r in results)
    assert "backend 'raising' (exists) raised RuntimeError: model crashed" in str(results[0].error)
    assert isinstance(results[0].error, BackendFailure)
    assert isinstance(results[0].error.__cause__, RuntimeError)


def test_call_batch_rejects_a_result_list_of_the_wrong_length() -> None:
    results = call_batch(_Short(), [(1,), (2,)])
    assert [r.ok for r in results] == [False, False]
    assert "returned 1 results for a batch of 2" in str(results[0].error)


def test_user_classes_satisfy_the_protocol() -> None:
    assert isinstance(_Raising(), Backend)
    assert isinstance(CallableBackend("c", "exists", lambda x: x, cost=1.0), Backend)


# ---- CallableBackend -----------------------------------------------------------------------


def test_callable_per_item_with_declared_cost() -> None:
    backend = CallableBackend("rule", "exists", lambda patch, name: name == "dog", cost=3.0)
    results = backend([("p", "dog"), ("p", "cat")])
    assert [r.output for r in results] == [True, False]
    assert [r.confidence for r in results] == [1.0, 1.0]
    assert [r.cost for r in results] == [3.0, 3.0]
    assert backend.cost(("p", "dog")) == 3.0


def test_callable_with_confidence() -> None:
    backend = CallableBackend("c", "f", lambda x: (x * 2, 0.25), cost=1.0, with_confidence=True)
    (result,) = backend([(4,)])
    assert result.output == 8 and result.confidence == 0.25


def test_callable_failure_is_per_item() -> None:
    backend = CallableBackend("div", "f", lambda x: 1 / x, cost=1.0)
    results = backend([(2,), (0,), (4,)])
    assert [r.ok for r in results] == [True, False, True]
    assert results[2].output == 0.25
    assert "callable backend 'div' (f) raised ZeroDivisionError" in str(results[1].error)


def test_callable_bad_confidence_fails_the_item() -> None:
    backend = CallableBackend("c", "f", lambda x: (x, 2.0), cost=1.0, with_confidence=True)
    (result,) = backend([(1,)])
    assert not result.ok and "confidence must be in [0, 1]" in str(result.error)


def test_callable_batched() -> None:
    seen: list[int] = []

    def double_all(batch: list[tuple]) -> list[int]:
        seen.append(len(batch))
        return [x * 2 for (x,) in batch]

    backend = CallableBackend("b", "f", double_all, cost=0.5, batched=True)
    assert [r.output for r in backend([(1,), (2,), (3,)])] == [2, 4, 6]
    assert seen == [3]


def test_callable_batched_wrong_length_fails_the_batch() -> None:
    backend = CallableBackend("b", "f", lambda batch: [1], cost=0.5, batched=True)
    results = backend([(1,), (2,)])
    assert [r.ok for r in results] == [False, False]
    assert "returned 1 outputs for a batch of 2" in str(results[0].error)


def test_callable_rejects_negative_cost() -> None:
    with pytest.raises(ValueError, match="cost must be >= 0"):
        CallableBackend("b", "f", len, cost=-1.0)


def test_callable_is_thread_safe() -> None:
    backend = CallableBackend("sq", "f", lambda x: x * x, cost=1.0)
    outputs: dict[int, list[int]] = {}

    def work(k: int) -> None:
        outputs[k] = [r.output for r in backend([(k * 100 + i,) for i in range(50)])]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert outputs[k] == [(k * 100 + i) ** 2 for i in range(50)]


# ---- BackendTable --------------------------------------------------------------------------


def _backend(name: str, function: str = "exists") -> CallableBackend:
    return CallableBackend(name, function, lambda *a: True, cost=1.0)


def test_table_groups_by_function_in_order_and_follows_fallbacks() -> None:
    small, large, finder = _backend("small"), _backend("large"), _backend("f", "find")
    table = BackendTable.of([small, finder, large], fallbacks={("exists", "small"): "large"})
    assert table["exists"] == (small, large)
    assert table["find"] == (finder,)
    assert table.backend("exists", "large") is large
    assert table.fallback("exists", "small") is large
    assert table.fallback("exists", "large") is None
    assert sorted(table) == ["exists", "find"]


def test_table_errors_name_what_is_missing() -> None:
    table = BackendTable.of([_backend("small")])
    with pytest.raises(KeyError, match="no backends for function 'find' \\(configured: exists\\)"):
        table["find"]
    with pytest.raises(
        KeyError, match="no backend 'big' for function 'exists' \\(it has: small\\)"
    ):
        table.backend("exists", "big")


@pytest.mark.parametrize(
    ("fallbacks", "message"),
    [
        ({("exists", "a"): "a"}, "cannot fall back to itself"),
        ({("exists", "a"): "zz"}, "no backend 'zz'"),
        ({("exists", "a"): "b", ("exists", "b"): "a"}, "form a cycle: a -> b -> a"),
    ],
)
def test_table_rejects_bad_fallbacks(fallbacks: dict, message: str) -> None:
    with pytest.raises((ValueError, KeyError), match=message):
        BackendTable.of([_backend("a"), _backend("b")], fallbacks=fallbacks)


def test_table_rejects_duplicate_names_and_misfiled_backends() -> None:
    with pytest.raises(ValueError, match="two backends of 'exists' are called 'a'"):
        BackendTable.of([_backend("a"), _backend("a")])
    with pytest.raises(ValueError, match="serves 'find', listed under 'exists'"):
        BackendTable({"exists": (_backend("a", "find"),)})


# ---- prompt formats and pixels -------------------------------------------------------------


def test_yes_no_number_and_option_parsers() -> None:
    assert parse_yes_no("Yes, there is.", ()) is True
    assert parse_yes_no(" no.", ()) is False
    with pytest.raises(ValueError, match="expected yes or no"):
        parse_yes_no("maybe", ())
    assert parse_number("About 3.5 metres", ()) == 3.5
    options = ("p", ["red car", "blue car"])
    assert parse_option("Blue car.", options) == "blue car"
    assert parse_option("It is the red car", options) == "red car"
    with pytest.raises(ValueError, match="expected one of"):
        parse_option("green", options)


def test_boxes_are_converted_to_bottom_left_image_coordinates() -> None:
    image = _image(20, 30)
    patch = PatchValue(image, 10, 5, 30, 20)  # 20 wide, 15 high
    (found,) = parse_boxes("Here: [[2, 3, 8, 13]]", (patch, "dog"))
    # top-left y 3..13 within the patch -> from the bottom: upper 20-3=17, lower 20-13=7
    assert found.box() == (12, 7, 18, 17)
    assert found.image is image
    assert parse_boxes("[]", (patch, "dog")) == []
    clipped = parse_boxes("[[-5, -5, 100, 100]]", (patch, "dog"))
    assert clipped[0].box() == patch.box()
    with pytest.raises(ValueError, match="JSON list"):
        parse_boxes("none", (patch, "dog"))


def test_image_index_parser_returns_that_patch() -> None:
    image = _image()
    patches = [PatchValue(image, 0, 0, 5, 5), PatchValue(image, 5, 5, 10, 10)]
    assert parse_image_index("Image 2", (patches, ["dog"])) is patches[1]
    with pytest.raises(ValueError, match="from 1 to 2"):
        parse_image_index("3", (patches, ["dog"]))


def test_default_prompts_render_question_and_images() -> None:
    patch = PatchValue.whole(_image())
    text, images = DEFAULT_PROMPTS["verify_property"].render((patch, "car", "red"))
    assert text == "Does the car in the image have the property 'red'? Answer yes or no."
    assert images == [patch]
    text, images = DEFAULT_PROMPTS["llm_query"].render(("What is 2+2?",))
    assert text == "What is 2+2?" and images == []


def test_png_data_url_round_trips_pixels() -> None:
    import base64
    import io

    from PIL import Image

    pixels = _image(6, 4).pixels
    url = png_data_url(pixels)
    assert url.startswith("data:image/png;base64,")
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    assert decoded.shape == (6, 4, 3)
    assert np.array_equal(decoded, np.round(pixels * 255).astype(np.uint8))


def test_resize_pixels_gives_fixed_size_float_pixels() -> None:
    resized = resize_pixels(_image(13, 7).pixels, 8, 8)
    assert resized.shape == (8, 8, 3) and resized.dtype == np.float32
    assert resized.min() >= 0.0 and resized.max() <= 1.0
    with pytest.raises(ValueError, match="non-empty"):
        resize_pixels(np.zeros((0, 4, 3)), 8, 8)
