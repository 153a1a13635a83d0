"""Library calls in both styles, implicit conversions, user libraries and helper inlining."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fmpc.frontend import (
    DEFAULT_LIBRARY,
    CompileError,
    LibraryFunction,
    compile_file,
    compile_source,
)
from fmpc.ir.core import Trait
from fmpc.ir.types import Bool, Float, Int, List, Patch, Str
from fmpc.semantics.interpreter import Interpreter
from tests.frontend.support import BACKENDS, IMAGE, calls, counts, lower, of, top_level

METHOD_STYLE = """
def execute_command(image):
    image_patch = ImagePatch(image)
    digits = image_patch.find("digit")
    return digits[0].verify_property("digit", "red")
"""

FUNCTION_STYLE = """
def execute_command(image):
    digits = find(image, "digit")
    return verify_property(digits[0], "digit", "red")
"""


def test_both_styles_lower_to_the_same_calls() -> None:
    method, function = lower(METHOD_STYLE), lower(FUNCTION_STYLE)
    assert calls(method) == calls(function) == [("find", 0), ("verify_property", 1)]
    assert counts(method) == counts(function)  # Image -> Patch inserts the same image_patch


def test_llm_query_is_callable_as_a_method_that_ignores_its_patch() -> None:
    m = lower(
        """
        def execute_command(image):
            return ImagePatch(image).llm_query("is 7 odd?")
        """
    )
    (call,) = of(m, "fmpc.call")
    assert calls(m) == [("llm_query", 0)]
    assert [v.type for v in call.operands] == [Str]


def test_image_converts_to_patch_where_a_patch_is_expected() -> None:
    m = lower(
        """
        def execute_command(image):
            return exists(image, "x")
        """
    )
    assert top_level(m)[:2] == ["fmpc.const", "fmpc.lib"]
    assert of(m, "fmpc.call")[0].operands[0].type == Patch


def test_int_converts_to_float_where_a_float_is_expected() -> None:
    m = lower(
        """
        def execute_command(image):
            p = ImagePatch(image)
            return p.crop(0, 0, p.width // 2, True)
        """
    )
    casts = of(m, "fmpc.cast")
    assert len(casts) == 4 and all(c.result.type == Float for c in casts)
    (crop,) = [op for op in of(m, "fmpc.lib") if op.attributes["fn"] == "crop"]
    assert not crop.has_trait(Trait.ROUTABLE)


def test_keyword_arguments_match_parameter_names() -> None:
    m = lower(
        """
        def execute_command(image):
            p = ImagePatch(image)
            return p.verify_property(property="red", object_name="car")
        """
    )
    (call,) = of(m, "fmpc.call")
    assert [o.owner.attributes["value"] for o in call.operands[1:]] == ["car", "red"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("expression", "fn", "result"),
    [
        ("p.find('x')", "find", List(Patch)),
        ("p.exists('x')", "exists", Bool),
        ("p.verify_property('x', 'red')", "verify_property", Bool),
        ("p.best_text_match(['a', 'b'])", "best_text_match", Str),
        ("p.simple_query('what?')", "simple_query", Str),
        ("p.query('what?')", "query", Str),
        ("p.compute_depth()", "compute_depth", Float),
        ("llm_query('what?')", "llm_query", Str),
        ("best_image_match(p.find('x'), ['a'])", "best_image_match", Patch),
    ],
)
def test_routable_library_calls(expression: str, fn: str, result: object) -> None:
    m = lower(f"def execute_command(image):\n    p = ImagePatch(image)\n    return {expression}\n")
    call = [op for op in m.routable_calls() if op.attributes["fn"] == fn][0]
    assert call.result.type == result
    assert m.entry.attributes["result_type"] == result


@pytest.mark.parametrize(
    ("expression", "fn", "result"),
    [
        ("p.crop(0, 0, 1, 1)", "crop", Patch),
        ("p.overlaps_with(0, 0, 1, 1)", "overlaps_with", Bool),
        ("distance(p, p)", "distance", Float),
        ("p.distance(p)", "distance", Float),
        ("bool_to_yesno(True)", "bool_to_yesno", Str),
        ("coerce_to_numeric('3')", "coerce_to_numeric", Float),
        ("p.vertical_center", "vertical_center", Float),
        ("p.upper", "upper", Int),
    ],
)
def test_helper_library_functions(expression: str, fn: str, result: object) -> None:
    m = lower(f"def execute_command(image):\n    p = ImagePatch(image)\n    return {expression}\n")
    assert any(op.attributes["fn"] == fn for op in of(m, "fmpc.lib"))
    assert m.entry.attributes["result_type"] == result
    assert calls(m) == []


def test_a_call_in_a_loop_is_one_site_and_sites_follow_program_order() -> None:
    m = lower(
        """
        def execute_command(image):
            p = ImagePatch(image)
            n = 0
            for d in p.find("digit"):
                if d.exists("7"):
                    n += 1
            return p.exists("circle") and n > 0
        """
    )
    assert calls(m) == [("find", 0), ("exists", 1), ("exists", 2)]


def test_user_library_extension_in_both_styles() -> None:
    count = LibraryFunction("count_cars", (("patch", Patch),), Int, doc="Number of cars.")
    area = LibraryFunction(
        "area",
        (("patch", Patch),),
        Float,
        routable=False,
        method=False,
        function=False,
        attribute=True,
    )
    library = DEFAULT_LIBRARY.extend(count, area)
    m = lower(
        """
        def execute_command(image):
            p = ImagePatch(image)
            return count_cars(image) + p.count_cars() + p.area
        """,
        library,
    )
    assert calls(m) == [("count_cars", 0), ("count_cars", 1)]
    assert m.entry.attributes["result_type"] == Float
    with pytest.raises(CompileError, match="unknown function 'count_cars'"):
        compile_source("def execute_command(image):\n    return count_cars(image)\n")


def test_tail_helper_is_inlined_with_its_own_sites_per_call() -> None:
    m = lower(
        """
        def colour(p):
            if p.verify_property("object", "red"):
                return "red"
            elif p.verify_property("object", "blue"):
                return "blue"
            return "other"


        def execute_command(image):
            objects = find(image, "object")
            return colour(objects[0]) + colour(objects[1])
        """
    )
    assert calls(m) == [("find", 0)] + [("verify_property", i) for i in range(1, 5)]
    assert counts(m)["fmpc.for"] == 0
    assert m.entry.attributes["result_type"] == Str


def test_helper_returning_from_a_loop_is_a_one_iteration_loop() -> None:
    m = lower(
        """
        def first_red(patches):
            for p in patches:
                if p.verify_property("object", "red"):
                    return p
            return patches[0]


        def execute_command(image):
            return first_red(find(image, "object")).simple_query("what?")
        """
    )
    assert counts(m)["fmpc.for"] == 2
    assert m.entry.attributes["result_type"] == Str


def test_helper_with_annotations_converts_its_arguments_and_result() -> None:
    m = lower(
        """
        def half(x: float) -> float:
            return x / 2


        def execute_command(image):
            return half(len(find(image, "x")))
        """
    )
    assert m.entry.attributes["result_type"] == Float
    assert counts(m)["fmpc.cast"] == 1


def test_helpers_calling_helpers_and_keyword_arguments() -> None:
    m = lower(
        """
        def is_red(p):
            return p.verify_property("object", "red")


        def count_red(patches):
            return sum(1 for p in patches if is_red(p))


        def execute_command(image):
            return count_red(patches=find(image, "object"))
        """
    )
    assert calls(m) == [("find", 0), ("verify_property", 1)]
    assert m.entry.attributes["result_type"] == Int


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "def f(x):\n    return x\n\ndef execute_command(image):\n    return f(1, 2)\n",
            "f() takes 1 argument(s) (x) but 2 were given",
        ),
        (
            "def f(x):\n    return x\n\ndef execute_command(image):\n    return f(y=1)\n",
            "f() has no parameter 'y'; its parameters are x",
        ),
        (
            "def f(x):\n    if x:\n        return 1\n    return 'a'\n\ndef execute_command(image):\n    return f(1)\n",
            "helper 'f' returns int on one path and str on another",
        ),
        (
            "def f(xs):\n    for x in xs:\n        return x\n    return 'a'\n\ndef execute_command(image):\n    return f([1])\n",
            "the value returned by 'f' has type str, expected int",
        ),
        (
            "def f(xs):\n    break\n\ndef execute_command(image):\n    return f([1])\n",
            "'break' outside a loop",
        ),
        (
            "def find(image):\n    return 1\n\ndef execute_command(image):\n    return 1\n",
            "helper function 'find' has the name of a library or built-in function",
        ),
        (
            "def f(x):\n    return x\n\ndef f(x):\n    return x\n\ndef execute_command(image):\n    return f(1)\n",
            "function 'f' is defined twice",
        ),
    ],
)
def test_helper_errors(source: str, message: str) -> None:
    with pytest.raises(CompileError) as caught:
        compile_source(source, "prog.py")
    assert message in caught.value.format()


def test_an_error_in_a_helper_inlined_twice_is_reported_once() -> None:
    source = (
        "def f(p):\n    return p.exists(1)\n\n"
        "def execute_command(image):\n    return f(image) and f(image)\n"
    )
    with pytest.raises(CompileError) as caught:
        compile_source(source, "prog.py")
    assert [(d.line, d.col) for d in caught.value.diagnostics] == [(2, 21)]


def test_entry_parameter_annotation_must_be_image() -> None:
    with pytest.raises(CompileError, match="the parameter of `execute_command` is the input image"):
        compile_source("def execute_command(image: str):\n    return 1\n")


ANSWER = "0 digits, 0 stars, depth 70.0, total 0.00; what-is; no cat 5.0"


def test_fifty_line_program_compiles_fast_and_runs() -> None:
    path = Path(__file__).parent / "data" / "fifty_lines.txt"
    start = time.perf_counter()
    module = compile_file(path)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0  # about 10 ms on a laptop; generous for loaded CI machines
    assert len(module.routable_calls()) == 14
    answer = Interpreter(module, BACKENDS).run(IMAGE)
    assert answer == ANSWER
