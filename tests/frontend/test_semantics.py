"""Compiled programs mean what the Python program means: run them with the reference
interpreter on a small fake world (see ``support.SCENE``) and pin the answers.

Digits sit at left edges 60, 10 and 30 (in that order; the last one 40 pixels up); a patch is
"red" when its left edge is below 50. There is one circle and no star.
"""

from __future__ import annotations

import pytest

from fmpc.semantics.interpreter import Interpreter
from tests.frontend.support import BACKENDS, IMAGE, lower, run

PREAMBLE = 'def execute_command(image):\n    p = ImagePatch(image)\n    digits = p.find("digit")\n    stars = p.find("star")\n'


def program(body: str) -> str:
    """``execute_command`` with ``p``, ``digits`` and ``stars`` defined, then ``body``."""
    return PREAMBLE + "".join(f"    {line}\n" for line in body.strip("\n").splitlines())


CASES = {
    "loop_count": (
        "n = 0\nfor d in digits:\n    if d.verify_property('digit', 'red'):\n        n += 1\nreturn n",
        2,
    ),
    "early_return": (
        "for d in digits:\n    if d.verify_property('digit', 'red'):\n        return d.simple_query('which?')\nreturn 'none'",
        "which?@10",
    ),
    "break_continue": (
        "best = -1\nfor i, d in enumerate(digits):\n    if i > 1:\n        break\n"
        "    if not d.verify_property('digit', 'red'):\n        continue\n    best = i\nreturn best",
        1,
    ),
    "filter_map": (
        "return [d.left for d in digits if d.verify_property('digit', 'red')]",
        [10, 30],
    ),
    "two_filters": ("return [d.left for d in digits if d.left > 5 if d.lower == 0]", [60, 10]),
    "enumerate_comprehension": (
        "return [i * 10 + d.left for i, d in enumerate(digits)]",
        [60, 20, 50],
    ),
    "sorted_key_reverse": (
        "return [d.left for d in sorted(digits, key=lambda d: d.left, reverse=True)]",
        [60, 30, 10],
    ),
    "min_max": (
        "return min(digits, key=lambda d: d.left).left * 100 + max(d.lower for d in digits)",
        1040,
    ),
    "min_of_values": ("return min(3, 2.5, len(digits))", 2.5),
    "any_all": (
        "return f\"{any(d.left > 50 for d in digits)} {all(d.verify_property('digit', 'red') for d in digits)}\"",
        "True False",
    ),
    "sum_generator": ("return sum(d.left for d in digits if d.left < 50)", 40),
    "comparison_chain": ("return 0 < len(digits) <= 3 < 4", True),
    "or_value": ("return '' or 'x'", "x"),
    "and_value": ("return len(digits) and 7", 7),
    "or_number_join": ("return len(stars) or 0.5", 0.5),
    "elif_chain": (
        "if len(stars) > 0:\n    return 'stars'\nelif len(digits) == 3:\n    return 'three'\nelse:\n    return 'other'",
        "three",
    ),
    "if_merge_widens": ("x = 1\nif len(digits) > 2:\n    x = 2.5\nreturn x * 2", 5.0),
    "negative_index_and_slice": (
        "return digits[-1].left + sum(d.left for d in digits[1:]) + len(digits[:-1])",
        72,
    ),
    "fstring": (
        "n = len(digits)\nreturn f'{n} digits, depth {digits[2].compute_depth():.1f}!'",
        "3 digits, depth 40.0!",
    ),
    "string_methods": (
        "words = ' The Red  Car '.strip().lower().split()\n"
        "return '-'.join(words) + str('red' in words) + str('x' not in 'abc')",
        "the-red-carTrueTrue",
    ),
    "startswith": (
        "s = p.simple_query('what')\nreturn s.startswith('wh') and s.endswith('@0')",
        True,
    ),
    "append_inferred": (
        "xs = []\nfor d in digits:\n    xs.append(d.left // 10)\nreturn xs",
        [6, 1, 3],
    ),
    "float_widening": (
        "total = 0\nfor d in digits:\n    total += d.horizontal_center\nreturn total",
        115.0,
    ),
    "arithmetic": (
        "return [7 / 2, 7 // 2, -7 % 3, abs(-3), round(2.6), round(2.25, 1), int('4') + int(2.9)]",
        [3.5, 3, 2, 3, 3, 2.2, 6],
    ),
    "casts": (
        "return str(3) + str(2.5) + str(True) + str(bool(stars)) + str(float(1))",
        "32.5TrueFalse1.0",
    ),
    "is_none": ("x = None\nreturn x is None and not (x is not None)", True),
    "conditional_expression": ("return stars[0].left if stars else -1", -1),
    "llm_and_yesno": (
        "return bool_to_yesno(len(llm_query('abc')) == 3) + llm_query('abc')",
        "yesABC",
    ),
    "best_text_match": ("return digits[1].best_text_match(['a', 'b', 'c'])", "b"),
    "crop_and_attributes": (
        "c = p.crop(0, 0, 50, 50)\nreturn [c.width, c.height, len(c.find('digit'))]",
        [50, 50, 2],
    ),
    "coerce_to_numeric": ("return coerce_to_numeric('about 12 cars') + 1", 13.0),
    "break_keeps_this_iteration": (
        "n = 0\nfor d in digits:\n    n += 1\n    if d.left < 50:\n        break\nreturn n",
        2,
    ),
    "continue_keeps_this_iteration": (
        "n = 0\nfor d in digits:\n    if d.left > 50:\n        n += 100\n        continue\n    n += 1\nreturn n",
        102,
    ),
    "hoisted_else_in_loop": (
        "out = []\nfor d in digits:\n    if d.left > 50:\n        out.append(1)\n        continue\n"
        "    else:\n        out.append(2)\n    out.append(3)\nreturn out",
        [1, 2, 3, 2, 3],
    ),
    "nested_loops_inner_break": (
        "pairs = 0\nfor a in digits:\n    for b in digits:\n        if b.left == a.left:\n            break\n"
        "        pairs += 1\nreturn pairs",
        3,
    ),
    "loop_variable_after_loop_when_defined_before": (
        "d = p\nfor d in digits:\n    pass\nreturn d.left",
        30,
    ),
    "in_list": ("return 10 in [d.left for d in digits]", True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_program_answer(name: str) -> None:
    body, expected = CASES[name]
    assert run(program(body)) == expected


def test_and_is_lazy() -> None:
    module = lower(program("if stars and stars[0].exists('x'):\n    return 'yes'\nreturn 'no'"))
    result = Interpreter(module, BACKENDS).run_with_stats(IMAGE)
    assert result.answer == "no"
    assert "exists" not in {module.routable_calls()[s].attributes["fn"] for s in result.calls}


def test_comparison_chain_is_lazy() -> None:
    assert run(program("return 0 < len(stars) < stars[0].left")) is False


def test_any_stops_at_the_first_true_item() -> None:
    module = lower(program("return any(d.verify_property('digit', 'red') for d in digits)"))
    result = Interpreter(module, BACKENDS).run_with_stats(IMAGE)
    assert result.answer is True
    assert result.calls[2] == 2  # 60 is not red, 10 is: the third digit is never asked


TAIL_HELPER = """
def colour(d):
    if d.verify_property("digit", "red"):
        return "red"
    elif d.left > 50:
        return "right"
    return "other"


def execute_command(image):
    return [colour(d) for d in find(image, "digit")]
"""

LOOP_HELPER = """
def first_red(patches):
    for d in patches:
        if d.verify_property("digit", "red"):
            return d
    return patches[0]


def overlapping(ps, qs):
    for a in ps:
        for b in qs:
            if a.overlaps_with(b.left, b.lower, b.right, b.upper):
                return True
    return False


def execute_command(image):
    digits = find(image, "digit")
    circles = find(image, "circle")
    return f"{first_red(digits).left} {overlapping(digits, circles)} {overlapping(digits, digits)}"
"""


def test_tail_helper_semantics() -> None:
    assert run(TAIL_HELPER) == ["right", "red", "red"]


def test_loop_helper_semantics() -> None:
    assert run(LOOP_HELPER) == "10 False True"
