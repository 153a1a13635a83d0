"""Statements and control flow lower to the expected IR shapes."""

from __future__ import annotations

import pytest

from fmpc.frontend import CompileError, compile_source
from fmpc.ir.types import Bool, Float, Int, List, NoneT, Patch, Str
from tests.frontend.support import calls, counts, lower, of, top_level


def test_straight_line_method_style() -> None:
    m = lower(
        """
        def execute_command(image):
            image_patch = ImagePatch(image)
            sevens = image_patch.find("7")
            return image_patch.exists("circle")
        """
    )
    assert top_level(m) == [
        "fmpc.lib", "fmpc.const", "fmpc.call", "fmpc.const", "fmpc.call", "fmpc.return"
    ]  # fmt: skip
    assert calls(m) == [("find", 0), ("exists", 1)]
    assert m.entry.attributes["result_type"] == Bool
    lib = of(m, "fmpc.lib")[0]
    assert lib.attributes["fn"] == "image_patch"
    assert lib.result.name_hint == "image_patch"
    assert of(m, "fmpc.call")[0].result.name_hint == "sevens"
    assert m.entry.regions[0].args[0].name_hint == "image"


def test_locations_are_one_based_line_and_column() -> None:
    m = lower(
        """
        def execute_command(image):
            return find(image, "x")
        """
    )
    call = of(m, "fmpc.call")[0]
    assert (call.loc.line, call.loc.col) == (3, 12)  # type: ignore[union-attr]


def test_if_elif_else_with_returns_in_every_branch() -> None:
    m = lower(
        """
        def execute_command(image):
            if exists(image, "a"):
                return "a"
            elif exists(image, "b"):
                return "b"
            else:
                return "c"
        """
    )
    assert counts(m)["fmpc.return"] == 3
    assert counts(m)["fmpc.if"] == 2
    assert top_level(m)[-2:] == ["fmpc.const", "fmpc.return"]  # the else hoisted out
    assert m.entry.attributes["result_type"] == Str


def test_early_return_hoists_the_rest_out_of_the_if() -> None:
    m = lower(
        """
        def execute_command(image):
            if exists(image, "a"):
                return 1
            n = 2
            return n
        """
    )
    assert top_level(m)[-1] == "fmpc.return"
    (if_op,) = of(m, "fmpc.if")
    assert if_op.results == []


def test_variables_assigned_in_both_branches_become_if_results() -> None:
    m = lower(
        """
        def execute_command(image):
            if exists(image, "a"):
                label = "a"
                n = 1
            else:
                label = "b"
                n = 2.5
            return f"{label}{n}"
        """
    )
    (if_op,) = of(m, "fmpc.if")
    assert [r.type for r in if_op.results] == [Str, Float]
    assert [r.name_hint for r in if_op.results] == ["label", "n"]
    assert counts(m)["fmpc.cast"] == 1  # the int branch converts to float


def test_variable_assigned_in_one_branch_keeps_its_old_value_otherwise() -> None:
    m = lower(
        """
        def execute_command(image):
            label = "none"
            if exists(image, "a"):
                label = "a"
            return label
        """
    )
    (if_op,) = of(m, "fmpc.if")
    assert [r.type for r in if_op.results] == [Str]


def test_for_loop_carries_variables_defined_before_it() -> None:
    m = lower(
        """
        def execute_command(image):
            count = 0
            names = "x"
            for p in find(image, "digit"):
                count += 1
                other = 2
            return count
        """
    )
    (loop,) = of(m, "fmpc.for")
    assert [r.type for r in loop.results] == [Int]
    assert [a.type for a in loop.regions[0].args] == [Int, Patch, Int]
    assert loop.regions[0].args[1].name_hint == "p"


def test_for_with_enumerate_break_and_continue() -> None:
    m = lower(
        """
        def execute_command(image):
            best = -1
            for i, p in enumerate(find(image, "digit")):
                if i > 3:
                    break
                if not p.exists("7"):
                    continue
                best = i
            return best
        """
    )
    assert counts(m)["fmpc.break"] == 1
    assert counts(m)["fmpc.continue"] == 1
    (loop,) = of(m, "fmpc.for")
    assert loop.regions[0].args[0].name_hint == "i"
    assert calls(m) == [("find", 0), ("exists", 1)]


def test_early_return_from_a_loop() -> None:
    m = lower(
        """
        def execute_command(image):
            for p in find(image, "digit"):
                if p.verify_property("digit", "red"):
                    return p.simple_query("which?")
            return "none"
        """
    )
    (loop,) = of(m, "fmpc.for")
    assert loop.results == []
    assert counts(m)["fmpc.return"] == 2


def test_loop_variable_widens_to_float() -> None:
    m = lower(
        """
        def execute_command(image):
            total = 0
            for p in find(image, "digit"):
                total += p.horizontal_center
            return total
        """
    )
    (loop,) = of(m, "fmpc.for")
    assert [r.type for r in loop.results] == [Float]
    assert m.entry.attributes["result_type"] == Float


def test_carried_variable_changing_type_is_an_error() -> None:
    with pytest.raises(CompileError, match="variable 'x' is str in the loop but int before it"):
        compile_source(
            "def execute_command(image):\n    x = 1\n    for p in find(image, 'a'):\n"
            "        x = 'a'\n    return x\n"
        )


def test_empty_list_type_is_inferred_from_append() -> None:
    m = lower(
        """
        def execute_command(image):
            names = []
            for p in find(image, "digit"):
                names.append(p.simple_query("name?"))
            return names
        """
    )
    assert m.entry.attributes["result_type"] == List(Str)
    (make,) = of(m, "fmpc.list.make")
    assert make.result.type == List(Str)
    assert of(m, "fmpc.list.append")[0].result.name_hint == "names"


def test_empty_list_type_from_the_declared_result() -> None:
    m = lower(
        """
        def execute_command(image) -> list[int]:
            return []
        """
    )
    assert of(m, "fmpc.list.make")[0].result.type == List(Int)


def test_append_needs_a_list_variable() -> None:
    with pytest.raises(CompileError, match="append is only supported on a list variable"):
        compile_source("def execute_command(image):\n    xs = [[1]]\n    xs[0].append(1)\n")


def test_annotated_empty_list_and_coercing_annotation() -> None:
    m = lower(
        """
        def execute_command(image):
            xs: list[float] = []
            y: float = 1
            xs.append(y)
            return xs
        """
    )
    assert m.entry.attributes["result_type"] == List(Float)
    assert counts(m)["fmpc.cast"] == 1


def test_augmented_assignment_operators() -> None:
    m = lower(
        """
        def execute_command(image):
            n = 10
            n -= 1
            n *= 2
            n //= 3
            n %= 4
            n /= 2
            return n
        """
    )
    names = top_level(m)
    for op in ("fmpc.sub", "fmpc.mul", "fmpc.floordiv", "fmpc.mod", "fmpc.truediv"):
        assert op in names
    assert m.entry.attributes["result_type"] == Float


def test_falling_off_the_end_returns_none() -> None:
    m = lower(
        """
        def execute_command(image):
            x = find(image, "a")
        """
    )
    assert m.entry.attributes["result_type"] == NoneT
    assert top_level(m)[-2:] == ["fmpc.const", "fmpc.return"]


def test_pass_docstring_and_annotations() -> None:
    m = lower(
        '''
        """A module docstring."""


        def execute_command(image: Image) -> bool:
            """Is there a seven?"""
            pass
            return exists(image, "7")
        '''
    )
    assert calls(m) == [("exists", 0)]


def test_declared_result_type_converts_returns() -> None:
    m = lower(
        """
        def execute_command(image) -> float:
            if exists(image, "a"):
                return 1
            return 0.5
        """
    )
    assert m.entry.attributes["result_type"] == Float
    assert counts(m)["fmpc.cast"] == 1


def test_inferred_result_joins_int_and_float_returns() -> None:
    m = lower(
        """
        def execute_command(image):
            if exists(image, "a"):
                return 1
            return 0.5
        """
    )
    assert m.entry.attributes["result_type"] == Float
    assert counts(m)["fmpc.cast"] == 1


def test_unreachable_code_after_both_branches_return() -> None:
    m = lower(
        """
        def execute_command(image):
            if exists(image, "a"):
                return "yes"
            else:
                return "no"
        """
    )
    assert top_level(m)[-1] == "fmpc.return"
