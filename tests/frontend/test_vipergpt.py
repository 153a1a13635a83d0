"""The idioms of programs written against ViperGPT's API: the IR each lowers to, and its answer
under the reference interpreter (with the fake world of ``support``)."""

from __future__ import annotations

import math
import textwrap

import pytest

from fmpc.frontend import CompileError, compile_source, compile_source_with_warnings
from fmpc.ir import Optional, parse, print_module, structurally_equal
from fmpc.ir.ops import CallOp
from fmpc.ir.types import Bool, Float, Int, List, OptionalType, Patch, Str
from fmpc.semantics.errors import ProgramError
from fmpc.semantics.interpreter import Interpreter
from tests.frontend.support import BACKENDS, IMAGE, counts, lower, of, run, top_level


def errors(source: str) -> list[str]:
    """The messages of the compile errors of dedented ``source``."""
    with pytest.raises(CompileError) as caught:
        compile_source(textwrap.dedent(source), "prog.py")
    return [d.message for d in caught.value.diagnostics]


def warnings(source: str) -> list[str]:
    """The messages of the warnings of dedented ``source`` (which compiles)."""
    return [w.message for w in compile_source_with_warnings(textwrap.dedent(source), "prog.py")[1]]


def call(module, fn: str) -> CallOp:  # type: ignore[no-untyped-def]
    (op,) = [op for op in module.routable_calls() if op.attributes["fn"] == fn]
    return op


# ---------------------------------------------------------------- xs.sort(), xs.extend()

SORT = """
def execute_command(image):
    digits = ImagePatch(image).find("digit")
    digits.sort(key=lambda d: d.horizontal_center, reverse=True)
    return digits[0].left
"""


def test_sort_in_place_lowers_to_the_sorted_rebinding() -> None:
    module = lower(SORT)
    (sort,) = of(module, "fmpc.sort")
    assert sort.attributes == {"reverse": True} and len(sort.regions) == 1
    assert sort.result.name_hint == "digits"  # the variable now names the sorted list
    (index,) = of(module, "fmpc.index")
    assert index.operands[0] is sort.result
    assert run(SORT) == 60
    same = lower(SORT.replace("digits.sort(key", "digits = sorted(digits, key"))
    assert [op.name for op in module.walk()] == [op.name for op in same.walk()]


def test_sort_in_a_loop_and_a_branch_rebinds_the_variable_there() -> None:
    source = """
    def execute_command(image):
        ps = ImagePatch(image).find("digit")
        if len(ps) > 1:
            ps.sort(key=lambda p: p.lower)
        names = []
        for p in ps:
            names.append(p.simple_query("what?"))
            names.sort()
        return names[0]
    """
    module = lower(source)
    assert counts(module)["fmpc.sort"] == 2
    assert of(module, "fmpc.if")[0].results[0].type == List(Patch)  # ps merged after the if
    assert run(source) == "what?@10"


def test_extend_is_concatenation() -> None:
    source = """
    def execute_command(image):
        xs = [1]
        xs.extend([2, 3])
        return len(xs)
    """
    assert counts(lower(source))["fmpc.add"] == 1
    assert run(source) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("ys = xs\n    xs.sort()\n    return ys[0]", "xs.sort() would also change 'ys' in Python"),
        (
            "for p in [xs]:\n        p.sort()\n    return 1",
            "would also change the list being iterated",
        ),
        ("return xs.sort()", "xs.sort(...) must be a statement of its own"),
        ("xs.sort(1)\n    return 1", "sort() takes 0 positional argument(s), got 1"),
        ("xs.sort(key=len)\n    return 1", "the key= of sort() must be a lambda"),
        ("s = 'a'\n    s.sort()\n    return 1", "str has no method 'sort'"),
        ("xs.sort(reverse=1)\n    return 1", "reverse= must be True or False"),
        ("[1].sort()\n    return 1", "sort is only supported on a list variable"),
        ("xs.extend(['a'])\n    return 1", "cannot concatenate list[int] and list[str]"),
    ],
)
def test_unsupported_mutation_is_still_an_error(body: str, message: str) -> None:
    found = errors(f"def execute_command(image):\n    xs = [3, 1]\n    {body}\n")
    assert len(found) == 1 and message in found[0], found


def test_sorting_the_callers_list_in_a_helper_is_an_error() -> None:
    source = """
    def leftmost(ps):
        ps.sort(key=lambda p: p.left)
        return ps[0]

    def execute_command(image):
        ps = ImagePatch(image).find("digit")
        first = leftmost(ps)
        return ps[-1].left
    """
    (message,) = errors(source)
    assert "the variable 'ps' of the calling function 'execute_command'" in message
    fresh = source.replace(
        "first = leftmost(ps)", "first = leftmost(ImagePatch(image).find('digit'))"
    )
    assert run(fresh) == 30


# ---------------------------------------------------------------- queries with defaults and options


def test_simple_query_without_a_question_asks_what_is_this() -> None:
    source = """
    def execute_command(image):
        return ImagePatch(image).simple_query() + simple_query(image)
    """
    module = lower(source)
    questions = [op.operands[1].owner.attributes["value"] for op in module.routable_calls()]
    assert questions == ["What is this?", "What is this?"]
    assert run(source) == "What is this?@0What is this?@0"


@pytest.mark.parametrize(
    "spelled",
    [
        "image_patch.llm_query(q, long_answer=False)",
        "llm_query(q, long_answer=False)",
        "llm_query(q, False)",
        "image_patch.llm_query(question=q, long_answer=False)",
    ],
)
def test_llm_query_long_answer_is_recorded_on_the_call(spelled: str) -> None:
    source = f"""
    def execute_command(image):
        image_patch = ImagePatch(image)
        q = "Who made " + image_patch.simple_query("what?") + "?"
        return {spelled}
    """
    module = lower(source)
    op = call(module, "llm_query")
    assert op.attributes["long_answer"] is False and len(op.operands) == 1
    assert "long_answer = false" in print_module(module)
    assert run(source) == "WHO MADE WHAT?@0?"


def test_llm_query_without_long_answer_has_no_attribute() -> None:
    module = lower('def execute_command(image):\n    return llm_query("hi")\n')
    assert "long_answer" not in call(module, "llm_query").attributes


def test_options_must_be_literals() -> None:
    (message,) = errors(
        "def execute_command(image):\n    flag = True\n    return llm_query('hi', long_answer=flag)\n"
    )
    assert (
        message
        == "long_answer= of llm_query() must be a literal bool (it fixes how the call is made)"
    )


def test_vipergpt_keyword_names() -> None:
    source = """
    def execute_command(image):
        image_patch = ImagePatch(image)
        digits = image_patch.find(object_name="digit")
        red = digits[1].verify_property(object_name="digit", visual_property="red")
        also = verify_property(digits[1], "digit", attribute="red")
        best = best_image_match(list_patches=digits, content=["digit"])
        word = best.best_text_match(option_list=["a", "b"])
        return f"{red} {also} {best.left} {word} {bool_to_yesno(bool_answer=red)}"
    """
    assert run(source) == "True True 30 a yes"


def test_best_image_match_return_index_gives_the_position() -> None:
    source = """
    def execute_command(image):
        digits = ImagePatch(image).find("digit")
        return best_image_match(digits, ["digit"], return_index=True)
    """
    module = lower(source)
    (index_of,) = [op for op in of(module, "fmpc.lib") if op.attributes["fn"] == "index_of"]
    assert index_of.operands == [
        module.routable_calls()[0].result,
        call(module, "best_image_match").result,
    ]
    assert module.entry.attributes["result_type"] == Int
    assert run(source) == 2
    plain = source.replace(", return_index=True", ", return_index=False")
    assert lower(plain).entry.attributes["result_type"] == Patch


def test_best_text_match_prefix_matches_prefixed_options_and_returns_the_option() -> None:
    source = """
    def execute_command(image):
        return ImagePatch(image).best_text_match(["red", "blue"], prefix="the color")
    """
    module = lower(source)
    (mapped,) = of(module, "fmpc.map")
    op = call(module, "best_text_match")
    assert op.operands[1] is mapped.result
    (sliced,) = of(module, "fmpc.slice")
    assert sliced.operands[0] is op.result
    seen = []

    def best_text_match(patch, options):  # type: ignore[no-untyped-def]
        seen.append(options)
        return options[1]

    module_run = Interpreter(module, {**BACKENDS, "best_text_match": best_text_match}).run(IMAGE)
    assert seen == [["the color red", "the color blue"]] and module_run == "blue"


# ---------------------------------------------------------------- ImagePatch with a box, distance


def test_image_patch_with_a_box_is_a_crop_of_the_whole_image() -> None:
    source = """
    def execute_command(image):
        half = ImagePatch(image, 0, 0, 50, 100)
        right = ImagePatch(image, left=50, lower=0, right=100, upper=100)
        return len(half.find("digit")) * 10 + len(right.find("digit"))
    """
    module = lower(source)
    fns = [op.attributes["fn"] for op in of(module, "fmpc.lib")]
    assert fns == ["image_patch", "crop", "image_patch", "crop"]
    assert run(source) == 21
    (message,) = errors("def execute_command(image):\n    return ImagePatch(image, 0, 0, 5)\n")
    assert message == "ImagePatch() is missing argument(s): upper"


def test_distance_of_numbers_is_the_absolute_difference() -> None:
    source = """
    def execute_command(image):
        digits = ImagePatch(image).find("digit")
        digits.sort(key=lambda d: distance(d.horizontal_center, 40))
        return distance(3, 5) + distance(digits[0], digits[1])
    """
    module = lower(source)
    assert counts(module)["fmpc.abs"] == 2 and counts(module)["fmpc.sub"] == 2
    assert [op.attributes["fn"] for op in of(module, "fmpc.lib")].count("distance") == 1
    assert module.entry.attributes["result_type"] == Float
    # centres 65, 15, 35: sorted by |centre - 40| (stable) the patches at 30 and 60 come first
    assert run(source) == 2.0 + math.hypot(60 - 40, 40 - 10)
    found = errors("def execute_command(image):\n    return distance(1, 'a')\n")
    assert found == ["distance() takes two patches or two numbers, not int and str"]


# ---------------------------------------------------------------- str.format


@pytest.mark.parametrize(
    ("template", "args", "answer"),
    [
        ("'{} has {} digits'", "name, n", "scene has 3 digits"),
        ("'{1}-{0}-{1}'", "name, n", "3-scene-3"),
        ("'{what}: {n:.1f}'", "what=name, n=n / 2", "scene: 1.5"),
        ("'{!s} and {{braces}}'", "flag", "True and {braces}"),
    ],
)
def test_format_is_the_f_string_it_stands_for(template: str, args: str, answer: str) -> None:
    source = f"""
    def execute_command(image):
        name = "scene"
        n = len(ImagePatch(image).find("digit"))
        flag = n > 1
        return {template}.format({args})
    """
    module = lower(source)
    assert counts(module)["fmpc.format"] == 1 and "fmpc.str" not in str(counts(module))
    assert run(source) == answer


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("'{} {0}'.format(1, 2)", "cannot mix automatic {} and numbered {0} fields"),
        ("'{} {}'.format(1)", "the format string needs argument 1, but 1 given"),
        ("'{x}'.format(y=1)", "the format string names 'x', which is not passed: x=..."),
        ("'{0.left}'.format(1)", "the field {0.left} is not supported; use {}, {0} or {name}"),
        ("'{'.format(1)", "malformed format string: Single '{' encountered in format string"),
        ("'{!r}'.format(1)", "!r and !a conversions are not supported in str.format(); use {x}"),
        ("'{:d}'.format('a')", "format spec ':d' does not apply to a str"),
        ("s.format(1)", 'str.format() needs a literal template, e.g. "{} of {}".format(a, b)'),
        (
            "'{}'.format([1])",
            "str.format() can format numbers, strings and booleans, not list[int]",
        ),
    ],
)
def test_format_mistakes(expression: str, message: str) -> None:
    found = errors(f"def execute_command(image):\n    s = 'a'\n    return {expression}\n")
    assert found == [message]


# ---------------------------------------------------------------- functions that fall off their end

FALLS = """
def execute_command(image):
    image_patch = ImagePatch(image)
    for digit in image_patch.find("digit"):
        if digit.verify_property("digit", "red"):
            return digit.simple_query("which?")
"""


def test_falling_off_the_end_returns_none_with_a_warning() -> None:
    module = lower(FALLS)
    assert module.entry.attributes["result_type"] == Optional(Str)
    casts = [op for op in of(module, "fmpc.cast") if isinstance(op.result.type, OptionalType)]
    assert [c.operands[0].type for c in casts] == [Str, of(module, "fmpc.const")[-1].result.type]
    assert warnings(FALLS) == [
        "`execute_command` can reach its end without a return; it then returns None "
        "(its answer is optional)"
    ]
    assert run(FALLS) == "which?@10"
    scene = {**BACKENDS, "verify_property": lambda p, name, prop: False}
    assert Interpreter(module, scene).run(IMAGE) is None
    again = parse(print_module(module))
    assert structurally_equal(module, again)


def test_an_annotated_function_that_falls_off_returns_an_optional_of_its_annotation() -> None:
    annotated = FALLS.replace("(image):", "(image) -> str:")
    assert lower(annotated).entry.attributes["result_type"] == Optional(Str)
    explicit = annotated + "    return None\n"  # now it always returns: the annotation holds
    assert errors(explicit) == ["the returned value has type None, expected str"]
    assert lower(annotated.replace("-> str", "-> Optional[str]")).entry.attributes[
        "result_type"
    ] == Optional(Str)
    assert lower(annotated.replace("-> str", "-> str | None")).entry.attributes[
        "result_type"
    ] == Optional(Str)


def test_a_helper_that_falls_off_returns_an_optional_and_narrows_after_a_test() -> None:
    source = """
    def first_red(patches):
        for p in patches:
            if p.verify_property("digit", "red"):
                return p

    def colour(p) -> str:
        if p.left < 50:
            return "left"

    def execute_command(image) -> str:
        red = first_red(ImagePatch(image).find("digit"))
        if red is None:
            return "none"
        side = colour(red)
        if side is not None and side.startswith("l"):
            return red.simple_query("what?") + side
        return "right" if not side else side
    """
    module = lower(source)
    unwraps = [
        op
        for op in of(module, "fmpc.cast")
        if isinstance(op.operands[0].type, OptionalType) and op.result.type != Bool
    ]
    # red after `if red is None: return`; side in the `and`, in the if's body and in the else
    # of the conditional expression (`not side` false: side is not None)
    assert [(u.operands[0].type, u.result.type) for u in unwraps] == [
        (Optional(Patch), Patch),
        (Optional(Str), Str),
        (Optional(Str), Str),
        (Optional(Str), Str),
    ]
    assert run(source) == "what?@10left"
    found = warnings(source)
    assert "helper 'first_red' can reach its end without a return" in found[0]
    assert "helper 'colour' can reach its end without a return" in found[1]


def test_an_optional_used_as_its_value_is_an_error_with_a_hint() -> None:
    source = """
    def pick(ps):
        for p in ps:
            return p

    def execute_command(image):
        p = pick(ImagePatch(image).find("digit"))
        return p.simple_query("what?")
    """
    (message,) = errors(source)
    assert message == (
        "ImagePatch | None has no method 'simple_query'; it may be None here: test "
        "`if x is not None:` (or `if x is None: return ...`) first"
    )
    attribute = source.replace('p.simple_query("what?")', "p.left")
    assert errors(attribute) == [
        "the receiver of .left has type ImagePatch | None, expected ImagePatch; it may be None "
        "here: test `if x is not None:` (or `if x is None: return ...`) first"
    ]


def test_none_joins_with_a_value_to_an_optional_variable() -> None:
    source = """
    def execute_command(image):
        answer = None
        for d in ImagePatch(image).find("digit"):
            if d.left > 20:
                answer = d.simple_query("what?")
        if answer == "what?@60":
            return "sixty"
        return f"{answer} " + str(answer) + (" (set)" if answer else " (unset)")
    """
    module = lower(source)
    (loop,) = of(module, "fmpc.for")
    assert loop.results[0].type == Optional(Str)
    # the last digit further right than 20, in find order
    assert run(source) == "what?@30 what?@30 (set)"


def test_unwrapping_none_fails_at_run_time() -> None:
    text = """module {
      func @execute_command(%image: Image) -> Str {
        %0 = fmpc.const() {value = none} : () -> None
        %1 = fmpc.cast(%0) : (None) -> Optional[Str]
        %2 = fmpc.cast(%1) : (Optional[Str]) -> Str
        fmpc.return(%2) : (Str) -> ()
      }
    }"""
    with pytest.raises(ProgramError, match="the value is None, expected Str"):
        Interpreter(parse(text)).run(IMAGE)


# ---------------------------------------------------------------- backend pins


@pytest.mark.parametrize(
    ("keyword", "pin"),
    [('backend="det-l"', "det-l"), ('model_size="large"', "large"), ("routing=1", 1)],
)
def test_a_pin_is_an_attribute_of_the_call(keyword: str, pin: object) -> None:
    source = f"""
    def execute_command(image):
        image_patch = ImagePatch(image)
        return len(image_patch.find("digit", {keyword})) + len(find(image, "digit", {keyword}))
    """
    module = lower(source)
    assert [op.attributes.get("pin") for op in module.routable_calls()] == [pin, pin]
    text = print_module(module)
    assert text.count(f"pin = {pin!r}".replace("'", '"')) == 2
    assert structurally_equal(parse(text), module)
    assert run(source) == 6  # the reference interpreter serves every call the same way


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("backend=name", "the backend pin backend= must be a literal str"),
        ("routing=-1", "routing= is the index of a backend, 0 or more"),
        ("routing=True", "the backend pin routing= must be a literal int"),
        ('backend="a", routing=0', "a call can be pinned to one backend only"),
        ('backend=""', "backend= needs a backend name"),
    ],
)
def test_pin_mistakes(keyword: str, message: str) -> None:
    found = errors(
        f"def execute_command(image):\n    name = 'x'\n    return exists(image, 'x', {keyword})\n"
    )
    assert len(found) == 1 and message in found[0]


def test_helpers_cannot_be_pinned() -> None:
    source = "def execute_command(image):\n    return crop(image, 0, 0, 5, 5, backend='x').left\n"
    (message,) = errors(source)
    assert message == (
        "'crop' is a deterministic helper, not served by a backend; it cannot be pinned with backend="
    )


# ---------------------------------------------------------------- a whole ViperGPT-style program


def test_a_typical_program_compiles_to_the_expected_sites() -> None:
    source = """
    def execute_command(image) -> str:
        image_patch = ImagePatch(image)
        digit_patches = image_patch.find("digit")
        digit_patches.sort(key=lambda x: x.horizontal_center)
        if len(digit_patches) < 2:
            return image_patch.simple_query()
        leftmost = digit_patches[0]
        answer = leftmost.simple_query("What digit is this?")
        return leftmost.llm_query("Is {} odd?".format(answer), long_answer=False)
    """
    module = lower(source)
    assert [op.attributes["fn"] for op in module.routable_calls()] == [
        "find",
        "simple_query",
        "simple_query",
        "llm_query",
    ]
    assert "fmpc.sort" in top_level(module)
    assert [op.attributes["site"] for op in module.routable_calls()] == [0, 1, 2, 3]
    assert isinstance(module.routable_calls()[3], CallOp)
    assert run(source) == "IS WHAT DIGIT IS THIS?@10 ODD?"
