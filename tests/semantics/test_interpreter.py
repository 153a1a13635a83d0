"""Tests of the reference interpreter on hand-built IR: every op kind, control flow, laziness,
errors with locations, re-entrancy and subclassing."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from fmpc.frontend import compile_source
from fmpc.ir.core import Location, Module, Op, Region, Value, VerifyError
from fmpc.ir.ops import (
    AbsOp,
    AddOp,
    AllOp,
    AndOp,
    AnyOp,
    AppendOp,
    BreakOp,
    CallOp,
    CastOp,
    CmpOp,
    ConstOp,
    ContinueOp,
    EndsWithOp,
    FilterOp,
    FloorDivOp,
    FormatOp,
    ForOp,
    FuncOp,
    IfOp,
    IndexOp,
    JoinOp,
    LenOp,
    LibOp,
    LowerOp,
    MakeListOp,
    MapOp,
    MaxOp,
    MinOp,
    ModOp,
    MulOp,
    NegOp,
    NotOp,
    OrOp,
    ReturnOp,
    RoundOp,
    SliceOp,
    SortOp,
    SplitOp,
    StartsWithOp,
    StripOp,
    SubOp,
    SumOp,
    TrueDivOp,
    UpperOp,
    YieldOp,
)
from fmpc.ir.types import Bool, Float, Image, Int, List, NoneT, Patch, Str, Type
from fmpc.semantics.errors import BackendError, ProgramError
from fmpc.semantics.helpers import HELPERS
from fmpc.semantics.interpreter import Interpreter, RunResult
from fmpc.semantics.values import ImageValue, PatchValue

# ---------------------------------------------------------------- a tiny IR builder
FILE = "prog.py"

_CONST_TYPES: dict[type, Type] = {bool: Bool, int: Int, float: Float, str: Str, type(None): NoneT}


class Builder:
    """Appends ops to one region. Every op is located at ``prog.py:<line>:1``, ``line`` counting
    the ops built so far in the whole program (shared through ``counter``)."""

    def __init__(self, region: Region, counter: list[int]) -> None:
        self.target = region
        self.counter = counter

    def add(
        self,
        cls: type[Op],
        operands: Sequence[Value] = (),
        types: Sequence[Type] = (),
        regions: Sequence[Region] = (),
        loc: Location | None = None,
        **attributes: Any,
    ) -> Op:
        """Append an op and return it."""
        self.counter[0] += 1
        where = loc or Location(FILE, self.counter[0], 1)
        return self.target.append(cls(operands, types, attributes, regions, loc=where))

    def v(self, cls: type[Op], *operands: Value, t: Type, **kw: Any) -> Value:
        """Append a one-result op and return its result."""
        return self.add(cls, operands, [t], **kw).result

    def const(self, value: Any, loc: Location | None = None) -> Value:
        """A constant of the value's type."""
        return self.add(ConstOp, (), [_CONST_TYPES[type(value)]], loc=loc, value=value).result

    def consts(self, values: Sequence[Any], element: Type) -> Value:
        """A list literal of constants."""
        return self.v(MakeListOp, *[self.const(x) for x in values], t=List(element))

    def call(self, fn: str, site: int, *args: Value, t: Type) -> Value:
        """A routable call."""
        return self.v(CallOp, *args, t=t, fn=fn, site=site)

    def lib(self, fn: str, *args: Value, t: Type) -> Value:
        """A helper call."""
        return self.v(LibOp, *args, t=t, fn=fn)

    def region(self, arg_types: Sequence[Type], body: Callable[..., Any]) -> Region:
        """A region with ``arg_types``, filled by ``body(builder, *args)``."""
        region = Region(arg_types)
        body(Builder(region, self.counter), *region.args)
        return region

    def yield_(self, *values: Value) -> None:
        """End the region yielding ``values``."""
        self.add(YieldOp, values, [])

    def ret(self, value: Value) -> None:
        """End the region returning ``value`` from the function."""
        self.add(ReturnOp, [value], [])


def program(
    result: Type, body: Callable[[Builder, Value], Any], source: str | None = None
) -> Module:
    """``execute_command(image) -> result`` whose body ``body(builder, image)`` builds."""
    region = Region([Image], arg_names=["image"])
    body(Builder(region, [0]), region.args[0])
    func = FuncOp([], [], {"sym_name": "execute_command", "result_type": result}, [region])
    return Module([func], source=source)


def expression(result: Type, build: Callable[[Builder, Value], Value]) -> Module:
    """A program returning the value ``build(builder, image)`` computes."""
    return program(result, lambda b, image: b.ret(build(b, image)))


def make_image(width: int = 40, height: int = 30, id: str = "img") -> ImageValue:
    """A black test image."""
    return ImageValue(np.zeros((height, width, 3), np.float32), id=id)


# ---------------------------------------------------------------- helpers

PATCH_FN = "exists"


def run(module: Module, backends: dict[str, Callable[..., Any]] | None = None, **kw: Any) -> Any:
    """The answer of ``module`` on a fresh test image."""
    return Interpreter(module, backends or {}, **kw).run(make_image())


def stats(module: Module, backends: dict[str, Callable[..., Any]]) -> RunResult:
    """The answer and call counts of ``module`` on a fresh test image."""
    return Interpreter(module, backends).run_with_stats(make_image())


def exact(got: Any, want: Any) -> None:
    """Equal and of the same Python type (``2 == 2.0`` is not enough here)."""
    assert got == want
    assert type(got) is type(want)


class Recorder:
    """A fake ``exists`` backend: answers from a table by object name and logs every call."""

    def __init__(self, truth: dict[str, bool]) -> None:
        self.truth = truth
        self.log: list[str] = []

    def __call__(self, patch: PatchValue, name: str) -> bool:
        assert isinstance(patch, PatchValue)
        self.log.append(name)
        return self.truth.get(name, False)


def exists(b: Builder, image: Value, name: str, site: int) -> Value:
    """``exists(image_patch(image), name)`` at call site ``site``."""
    patch = b.lib("image_patch", image, t=Patch)
    return b.call(PATCH_FN, site, patch, b.const(name), t=Bool)


# ---------------------------------------------------------------- arithmetic and constants

ARITHMETIC = [
    (AddOp, 2, 3, Int, 5),
    (AddOp, "ab", "c", Str, "abc"),
    (AddOp, True, True, Int, 2),
    (SubOp, 2, 3.5, Float, -1.5),
    (MulOp, "ab", 3, Str, "ababab"),
    (MulOp, 4, 2.5, Float, 10.0),
    (TrueDivOp, 7, 2, Float, 3.5),
    (TrueDivOp, 6, 3, Float, 2.0),
    (FloorDivOp, -7, 2, Int, -4),
    (FloorDivOp, 7.5, 2, Float, 3.0),
    (ModOp, -7, 2, Int, 1),
    (ModOp, 7, -2, Int, -1),
    (ModOp, -7.5, 2, Float, 0.5),
]


@pytest.mark.parametrize(("cls", "lhs", "rhs", "t", "want"), ARITHMETIC)
def test_binary_arithmetic_has_python_semantics(
    cls: type[Op], lhs: Any, rhs: Any, t: Type, want: Any
) -> None:
    module = expression(t, lambda b, _: b.v(cls, b.const(lhs), b.const(rhs), t=t))
    exact(run(module), want)


def test_list_concatenation_builds_a_new_list() -> None:
    def build(b: Builder, _: Value) -> Value:
        xs = b.consts([1, 2], Int)
        both = b.v(AddOp, xs, b.consts([3], Int), t=List(Int))
        return b.v(AddOp, both, xs, t=List(Int))

    assert run(expression(List(Int), build)) == [1, 2, 3, 1, 2]


UNARY = [
    (NegOp, (True,), Int, -1),
    (NegOp, (2.5,), Float, -2.5),
    (AbsOp, (-3,), Int, 3),
    (AbsOp, (-2.5,), Float, 2.5),
    (RoundOp, (2.5,), Int, 2),
    (RoundOp, (3.5,), Int, 4),
    (RoundOp, (-2.5,), Int, -2),
    (RoundOp, (2.675, 2), Float, 2.67),
    (RoundOp, (25, -1), Int, 20),
    (RoundOp, (35, -1), Int, 40),
]


@pytest.mark.parametrize(("cls", "operands", "t", "want"), UNARY)
def test_unary_numeric_ops_and_bankers_rounding(
    cls: type[Op], operands: tuple[Any, ...], t: Type, want: Any
) -> None:
    module = expression(t, lambda b, _: b.v(cls, *[b.const(x) for x in operands], t=t))
    exact(run(module), want)


def _list_or_const(b: Builder, value: Any) -> Value:
    if isinstance(value, list):
        return b.consts(value, Int)
    return b.const(value)


COMPARISONS = [
    ("eq", 1, 1.0, True),
    ("eq", "a", "b", False),
    ("ne", "a", "b", True),
    ("lt", "a", "b", True),
    ("lt", 2, 2, False),
    ("le", 2, 2, True),
    ("gt", 1, 2.5, False),
    ("ge", 2.5, 2, True),
    ("in", "bc", "abc", True),
    ("in", "x", "abc", False),
    ("in", 2, [1, 2], True),
    ("not_in", 3, [1, 2], True),
    ("not_in", "b", "abc", False),
    ("is", None, None, True),
    ("is", 1, None, False),
    ("is_not", 1, None, True),
    ("is_not", None, None, False),
]


@pytest.mark.parametrize(("pred", "lhs", "rhs", "want"), COMPARISONS)
def test_comparison_predicates(pred: str, lhs: Any, rhs: Any, want: bool) -> None:
    module = expression(
        Bool,
        lambda b, _: b.v(CmpOp, _list_or_const(b, lhs), _list_or_const(b, rhs), t=Bool, pred=pred),
    )
    exact(run(module), want)


@pytest.mark.parametrize(("value", "want"), [("", True), ("a", False), (0.0, True), (None, True)])
def test_not_uses_python_truthiness(value: Any, want: bool) -> None:
    exact(run(expression(Bool, lambda b, _: b.v(NotOp, b.const(value), t=Bool))), want)


def test_not_of_lists() -> None:
    empty = expression(Bool, lambda b, _: b.v(NotOp, b.consts([], Int), t=Bool))
    full = expression(Bool, lambda b, _: b.v(NotOp, b.consts([0], Int), t=Bool))
    assert run(empty) is True
    assert run(full) is False


CASTS = [
    (Int, "42", 42),
    (Int, " -7 ", -7),
    (Int, 3.9, 3),
    (Int, -3.9, -3),
    (Int, True, 1),
    (Float, "2.5", 2.5),
    (Float, 3, 3.0),
    (Str, 2.0, "2.0"),
    (Str, True, "True"),
    (Str, None, "None"),
    (Bool, "", False),
    (Bool, "False", True),
    (Bool, 0.0, False),
]


@pytest.mark.parametrize(("target", "value", "want"), CASTS)
def test_casts_are_pythons(target: Type, value: Any, want: Any) -> None:
    exact(run(expression(target, lambda b, _: b.v(CastOp, b.const(value), t=target))), want)


# ---------------------------------------------------------------- if, and, or


def _if_program(cond: bool) -> Module:
    def build(b: Builder, _: Value) -> Value:
        then = b.region([], lambda r: r.yield_(r.const("then"), r.const(1)))
        else_ = b.region([], lambda r: r.yield_(r.const("else"), r.const(2)))
        op = b.add(IfOp, [b.const(cond)], [Str, Int], [then, else_])
        text, number = op.results
        return b.v(FormatOp, text, number, t=Str, template="{}-{}")

    return expression(Str, build)


def test_if_with_several_results() -> None:
    assert run(_if_program(True)) == "then-1"
    assert run(_if_program(False)) == "else-2"


def test_if_runs_only_the_taken_branch() -> None:
    def build(b: Builder, image: Value) -> Value:
        then = b.region([], lambda r: r.yield_(exists(r, image, "taken", 0)))
        else_ = b.region([], lambda r: r.yield_(exists(r, image, "skipped", 1)))
        return b.add(IfOp, [b.const(1)], [Bool], [then, else_]).result

    recorder = Recorder({"taken": True})
    result = stats(expression(Bool, build), {PATCH_FN: recorder})
    assert result.answer is True
    assert recorder.log == ["taken"]
    assert result.calls == {0: 1}


def _short_circuit(cls: type[Op], values: Sequence[str]) -> Module:
    def build(b: Builder, _: Value) -> Value:
        regions = [b.region([], lambda r, v=v: r.yield_(r.const(v))) for v in values]
        return b.add(cls, [], [Str], regions).result

    return expression(Str, build)


@pytest.mark.parametrize(
    ("cls", "values", "want"),
    [
        (AndOp, ["a", "b"], "b"),
        (AndOp, ["", "b"], ""),
        (AndOp, ["a", "b", ""], ""),
        (OrOp, ["", "b"], "b"),
        (OrOp, ["a", "b"], "a"),
        (OrOp, ["", "", ""], ""),
    ],
)
def test_and_or_return_operand_values(cls: type[Op], values: list[str], want: str) -> None:
    assert run(_short_circuit(cls, values)) == want
    python = values[0]
    for value in values[1:]:
        python = (python and value) if cls is AndOp else (python or value)
    assert want == python


@pytest.mark.parametrize(("cls", "first"), [(AndOp, False), (OrOp, True)])
def test_and_or_short_circuit_skips_later_calls(cls: type[Op], first: bool) -> None:
    def build(b: Builder, image: Value) -> Value:
        left = b.region([], lambda r: r.yield_(exists(r, image, "left", 0)))
        right = b.region([], lambda r: r.yield_(exists(r, image, "right", 1)))
        return b.add(cls, [], [Bool], [left, right]).result

    recorder = Recorder({"left": first, "right": not first})
    result = stats(expression(Bool, build), {PATCH_FN: recorder})
    assert result.answer is first
    assert recorder.log == ["left"]
    assert result.calls == {0: 1}


def test_and_evaluates_the_right_operand_when_needed() -> None:
    def build(b: Builder, image: Value) -> Value:
        left = b.region([], lambda r: r.yield_(exists(r, image, "left", 0)))
        right = b.region([], lambda r: r.yield_(exists(r, image, "right", 1)))
        return b.add(AndOp, [], [Bool], [left, right]).result

    recorder = Recorder({"left": True, "right": False})
    result = stats(expression(Bool, build), {PATCH_FN: recorder})
    assert result.answer is False
    assert recorder.log == ["left", "right"]
    assert result.calls == {0: 1, 1: 1}
    assert result.total_calls == 2


# ---------------------------------------------------------------- loops


def _sum_loop(values: list[int], body: Callable[[Builder, Value, Value, Value], None]) -> Module:
    """``acc = 0; for i, x in enumerate(values): <body>; return acc``."""

    def build(b: Builder, _: Value) -> Value:
        region = b.region([Int, Int, Int], body)
        return b.add(ForOp, [b.consts(values, Int), b.const(0)], [Int], [region]).result

    return expression(Int, build)


def test_for_carries_values_and_sees_the_index() -> None:
    def body(r: Builder, i: Value, x: Value, acc: Value) -> None:
        r.yield_(r.v(AddOp, acc, r.v(MulOp, i, x, t=Int), t=Int))

    assert run(_sum_loop([1, 2, 3, 4], body)) == sum(i * x for i, x in enumerate([1, 2, 3, 4]))


def test_for_over_an_empty_list_returns_the_initial_values() -> None:
    def body(r: Builder, i: Value, x: Value, acc: Value) -> None:
        r.yield_(r.v(AddOp, acc, x, t=Int))

    assert run(_sum_loop([], body)) == 0


def _when(r: Builder, cond: Value, exit_cls: type[Op], *carried: Value) -> None:
    """``if cond: <exit_cls carried...>`` as a zero-result ``fmpc.if``."""
    then = r.region([], lambda t: t.add(exit_cls, carried, []))
    else_ = r.region([], lambda e: e.yield_())
    r.add(IfOp, [cond], [], [then, else_])


def test_continue_carries_values_from_a_nested_region() -> None:
    def body(r: Builder, i: Value, x: Value, acc: Value) -> None:
        odd = r.v(CmpOp, r.v(ModOp, x, r.const(2), t=Int), r.const(1), t=Bool, pred="eq")
        _when(r, odd, ContinueOp, r.v(AddOp, acc, r.const(100), t=Int))
        r.yield_(r.v(AddOp, acc, x, t=Int))

    def python(values: list[int]) -> int:
        acc = 0
        for x in values:
            if x % 2 == 1:
                acc = acc + 100
                continue
            acc = acc + x
        return acc

    assert run(_sum_loop([1, 2, 3, 4, 5, 6], body)) == python([1, 2, 3, 4, 5, 6]) == 312


def test_break_carries_values_and_stops_calls() -> None:
    def body(r: Builder, i: Value, x: Value, acc: Value) -> None:
        big = r.v(CmpOp, x, r.const(3), t=Bool, pred="gt")
        _when(r, big, BreakOp, r.v(MulOp, acc, r.const(10), t=Int))
        r.yield_(r.v(AddOp, acc, x, t=Int))

    assert run(_sum_loop([1, 2, 3, 4, 5], body)) == 60


def test_break_stops_the_loop_before_later_calls() -> None:
    def build(b: Builder, image: Value) -> Value:
        def body(r: Builder, i: Value, name: Value, count: Value) -> None:
            patch = r.lib("image_patch", image, t=Patch)
            found = r.call(PATCH_FN, 7, patch, name, t=Bool)
            _when(r, found, BreakOp, count)
            r.yield_(r.v(AddOp, count, r.const(1), t=Int))

        region = b.region([Int, Str, Int], body)
        names = b.consts(["a", "b", "c", "d"], Str)
        return b.add(ForOp, [names, b.const(0)], [Int], [region]).result

    recorder = Recorder({"c": True})
    result = stats(expression(Int, build), {PATCH_FN: recorder})
    assert result.answer == 2
    assert recorder.log == ["a", "b", "c"]
    assert result.calls == {7: 3}


def _early_return_program(outer: bool, values: list[int]) -> Module:
    """``if outer: for x in values: if x > 2: return x * 10`` then ``return -1``."""

    def build(b: Builder, image: Value) -> None:
        def loop_body(r: Builder, i: Value, x: Value) -> None:
            exists(r, image, "tick", 3)
            big = r.v(CmpOp, x, r.const(2), t=Bool, pred="gt")
            then = r.region([], lambda t: t.ret(t.v(MulOp, x, t.const(10), t=Int)))
            r.add(IfOp, [big], [], [then, r.region([], lambda e: e.yield_())])
            r.yield_()

        def then_body(t: Builder) -> None:
            region = t.region([Int, Int], loop_body)
            t.add(ForOp, [t.consts(values, Int)], [], [region])
            t.yield_()

        b.add(
            IfOp,
            [b.const(outer)],
            [],
            [b.region([], then_body), b.region([], lambda e: e.yield_())],
        )
        b.ret(b.const(-1))

    return program(Int, build)


@pytest.mark.parametrize(
    ("outer", "values", "want", "ticks"),
    [(True, [1, 2, 3, 4], 30, 3), (True, [1, 2], -1, 2), (False, [5], -1, 0), (True, [], -1, 0)],
)
def test_nested_early_return_inside_for_inside_if(
    outer: bool, values: list[int], want: int, ticks: int
) -> None:
    recorder = Recorder({})
    result = stats(_early_return_program(outer, values), {PATCH_FN: recorder})
    assert result.answer == want
    assert len(recorder.log) == ticks
    assert result.calls == ({3: ticks} if ticks else {})


def test_inner_break_leaves_only_the_inner_loop() -> None:
    def build(b: Builder, _: Value) -> Value:
        def inner(r: Builder, j: Value, y: Value, count: Value, limit: Value) -> None:
            _when(r, r.v(CmpOp, y, limit, t=Bool, pred="gt"), BreakOp, count, limit)
            r.yield_(r.v(AddOp, count, r.const(1), t=Int), limit)

        def outer(r: Builder, i: Value, x: Value, total: Value) -> None:
            limit = r.v(MulOp, x, r.const(10), t=Int)
            region = r.region([Int, Int, Int, Int], lambda *a: inner(*a))
            loop = r.add(
                ForOp, [r.consts([10, 20, 30], Int), r.const(0), limit], [Int, Int], [region]
            )
            r.yield_(r.v(AddOp, total, loop.results[0], t=Int))

        region = b.region([Int, Int, Int], outer)
        return b.add(ForOp, [b.consts([1, 2, 3], Int), b.const(0)], [Int], [region]).result

    python = sum(sum(1 for _ in iter_until([10, 20, 30], x * 10)) for x in [1, 2, 3])
    assert run(expression(Int, build)) == python == 6


def iter_until(values: list[int], limit: int) -> list[int]:
    """The prefix of ``values`` before the first one above ``limit``."""
    out = []
    for y in values:
        if y > limit:
            break
        out.append(y)
    return out


# ---------------------------------------------------------------- map, filter, any, all


def test_map_sees_index_and_item() -> None:
    def build(b: Builder, _: Value) -> Value:
        body = b.region([Int, Int], lambda r, i, x: r.yield_(r.v(MulOp, i, x, t=Int)))
        return b.add(MapOp, [b.consts([5, 6, 7], Int)], [List(Int)], [body]).result

    assert run(expression(List(Int), build)) == [i * x for i, x in enumerate([5, 6, 7])]


def test_filter_keeps_truthy_items_in_order() -> None:
    def build(b: Builder, _: Value) -> Value:
        def keep(r: Builder, i: Value, s: Value) -> None:
            r.yield_(r.v(CmpOp, r.v(LenOp, s, t=Int), r.const(2), t=Bool, pred="ne"))

        body = b.region([Int, Str], keep)
        return b.add(FilterOp, [b.consts(["a", "bb", "ccc"], Str)], [List(Str)], [body]).result

    assert run(expression(List(Str), build)) == ["a", "ccc"]


def _quantifier(cls: type[Op], names: list[str]) -> Module:
    def build(b: Builder, image: Value) -> Value:
        def body(r: Builder, i: Value, name: Value) -> None:
            patch = r.lib("image_patch", image, t=Patch)
            r.yield_(r.call(PATCH_FN, 0, patch, name, t=Bool))

        region = b.region([Int, Str], body)
        return b.add(cls, [b.consts(names, Str)], [Bool], [region]).result

    return expression(Bool, build)


@pytest.mark.parametrize(
    ("cls", "truth", "want", "log"),
    [
        (AnyOp, {"b": True}, True, ["a", "b"]),
        (AnyOp, {}, False, ["a", "b", "c", "d"]),
        (AllOp, {"a": True, "c": True, "d": True}, False, ["a", "b"]),
        (AllOp, {"a": True, "b": True, "c": True, "d": True}, True, ["a", "b", "c", "d"]),
    ],
)
def test_any_all_are_lazy_and_in_order(
    cls: type[Op], truth: dict[str, bool], want: bool, log: list[str]
) -> None:
    recorder = Recorder(truth)
    result = stats(_quantifier(cls, ["a", "b", "c", "d"]), {PATCH_FN: recorder})
    assert result.answer is want
    assert recorder.log == log
    assert result.calls == {0: len(log)}


def test_any_all_of_empty_lists() -> None:
    assert run(_quantifier(AnyOp, []), {PATCH_FN: Recorder({})}) is False
    assert run(_quantifier(AllOp, []), {PATCH_FN: Recorder({})}) is True


def test_any_returns_a_bool_for_truthy_non_bool_items() -> None:
    def build(b: Builder, _: Value) -> Value:
        body = b.region([Int, Str], lambda r, i, s: r.yield_(s))
        return b.add(AnyOp, [b.consts(["", "x"], Str)], [Bool], [body]).result

    assert run(expression(Bool, build)) is True


# ---------------------------------------------------------------- sort, min, max

WORDS = ["bb", "a", "ccc", "dd", "e"]


def _by_length(b: Builder) -> Region:
    return b.region([Str], lambda r, s: r.yield_(r.v(LenOp, s, t=Int)))


@pytest.mark.parametrize("reverse", [False, True])
def test_sort_by_key_is_stable_like_sorted(reverse: bool) -> None:
    def build(b: Builder, _: Value) -> Value:
        words = b.consts(WORDS, Str)
        return b.add(SortOp, [words], [List(Str)], [_by_length(b)], reverse=reverse).result

    assert run(expression(List(Str), build)) == sorted(WORDS, key=len, reverse=reverse)


@pytest.mark.parametrize("reverse", [False, True])
def test_sort_without_key(reverse: bool) -> None:
    def build(b: Builder, _: Value) -> Value:
        return b.add(SortOp, [b.consts([3, 1, 2], Int)], [List(Int)], reverse=reverse).result

    assert run(expression(List(Int), build)) == sorted([3, 1, 2], reverse=reverse)


@pytest.mark.parametrize(("cls", "python"), [(MinOp, min), (MaxOp, max)])
def test_min_max_with_key_return_the_first_best(cls: type[Op], python: Callable[..., Any]) -> None:
    def build(b: Builder, _: Value) -> Value:
        return b.add(cls, [b.consts(WORDS, Str)], [Str], [_by_length(b)]).result

    assert run(expression(Str, build)) == python(WORDS, key=len)


@pytest.mark.parametrize(("cls", "want"), [(MinOp, 1), (MaxOp, 3)])
def test_min_max_without_key(cls: type[Op], want: int) -> None:
    assert run(expression(Int, lambda b, _: b.v(cls, b.consts([3, 1, 2], Int), t=Int))) == want


# ---------------------------------------------------------------- lists


@pytest.mark.parametrize(("index", "want"), [(0, 10), (2, 30), (-1, 30), (-3, 10)])
def test_index_with_negative_indices(index: int, want: int) -> None:
    def build(b: Builder, _: Value) -> Value:
        return b.v(IndexOp, b.consts([10, 20, 30], Int), b.const(index), t=Int)

    assert run(expression(Int, build)) == want


def test_index_of_a_string() -> None:
    assert (
        run(expression(Str, lambda b, _: b.v(IndexOp, b.const("abc"), b.const(-2), t=Str))) == "b"
    )


@pytest.mark.parametrize(
    ("start", "stop"), [(1, None), (None, -1), (-2, None), (None, None), (2, 1)]
)
def test_slice(start: int | None, stop: int | None) -> None:
    values = [1, 2, 3, 4]

    def build(b: Builder, _: Value) -> Value:
        return b.v(SliceOp, b.consts(values, Int), b.const(start), b.const(stop), t=List(Int))

    assert run(expression(List(Int), build)) == values[start:stop]
    text = expression(
        Str, lambda b, _: b.v(SliceOp, b.const("hello"), b.const(start), b.const(stop), t=Str)
    )
    assert run(text) == "hello"[start:stop]


def test_len_sum_and_python_sum_types() -> None:
    assert run(expression(Int, lambda b, _: b.v(LenOp, b.consts([4, 5], Int), t=Int))) == 2
    assert run(expression(Int, lambda b, _: b.v(LenOp, b.const("héllo"), t=Int))) == 5
    assert run(expression(Int, lambda b, _: b.v(SumOp, b.consts([1, 2, 3], Int), t=Int))) == 6
    flags = expression(Int, lambda b, _: b.v(SumOp, b.consts([True, True, False], Bool), t=Int))
    exact(run(flags), 2)
    # A Float sum is a float even over an empty list, so the value fits its IR type.
    exact(run(expression(Float, lambda b, _: b.v(SumOp, b.consts([], Float), t=Float))), 0.0)
    exact(
        run(expression(Float, lambda b, _: b.v(SumOp, b.consts([0.5, 1.0], Float), t=Float))), 1.5
    )


def test_append_returns_a_new_list_and_leaves_the_old_one() -> None:
    def build(b: Builder, _: Value) -> Value:
        xs = b.consts([1], Int)
        ys = b.v(AppendOp, xs, b.const(2), t=List(Int))
        return b.v(AddOp, xs, ys, t=List(Int))

    assert run(expression(List(Int), build)) == [1, 1, 2]


# ---------------------------------------------------------------- strings and format

STRING_OPS = [
    (LowerOp, ("AbC",), Str, "abc"),
    (UpperOp, ("AbC",), Str, "ABC"),
    (StripOp, ("  a b \n",), Str, "a b"),
    (SplitOp, ("a  b c ",), List(Str), ["a", "b", "c"]),
    (SplitOp, ("a,b,,c", ","), List(Str), ["a", "b", "", "c"]),
    (StartsWithOp, ("yes sir", "yes"), Bool, True),
    (EndsWithOp, ("yes sir", "yes"), Bool, False),
]


@pytest.mark.parametrize(("cls", "operands", "t", "want"), STRING_OPS)
def test_string_ops(cls: type[Op], operands: tuple[str, ...], t: Type, want: Any) -> None:
    assert run(expression(t, lambda b, _: b.v(cls, *[b.const(s) for s in operands], t=t))) == want


def test_join() -> None:
    def build(b: Builder, _: Value) -> Value:
        return b.v(JoinOp, b.const(", "), b.consts(["a", "b"], Str), t=Str)

    assert run(expression(Str, build)) == "a, b"


def test_format_renders_like_an_fstring() -> None:
    def build(b: Builder, _: Value) -> Value:
        holes = [b.const("x"), b.const(2.25), b.const(True)]
        return b.v(FormatOp, *holes, t=Str, template="{} is {:.1f}! {}")

    assert run(expression(Str, build)) == f"{'x'} is {2.25:.1f}! {True}"


# ---------------------------------------------------------------- library calls


def test_routable_call_gets_argument_values_and_is_counted_per_site() -> None:
    seen: list[tuple[Any, ...]] = []

    def find(patch: PatchValue, name: str) -> list[PatchValue]:
        seen.append((patch.box(), name))
        return [PatchValue(patch.image, 0, 0, 2, 2), PatchValue(patch.image, 5, 5, 9, 9)]

    def build(b: Builder, image: Value) -> Value:
        patch = b.lib("image_patch", image, t=Patch)
        body = b.region(
            [Int, Str, Int],
            lambda r, i, name, n: r.yield_(
                r.v(
                    AddOp,
                    n,
                    r.v(LenOp, r.call("find", 2, patch, name, t=List(Patch)), t=Int),
                    t=Int,
                )
            ),
        )
        return b.add(ForOp, [b.consts(["cat", "dog"], Str), b.const(0)], [Int], [body]).result

    result = stats(expression(Int, build), {"find": find})
    assert result.answer == 4
    assert result.calls == {2: 2}
    assert seen == [((0, 0, 40, 30), "cat"), ((0, 0, 40, 30), "dog")]


def test_helpers_run_through_the_helper_table() -> None:
    def build(b: Builder, image: Value) -> Value:
        whole = b.lib("image_patch", image, t=Patch)
        part = b.lib(
            "crop", whole, b.const(10.0), b.const(5.0), b.const(30.0), b.const(25.0), t=Patch
        )
        return b.lib("width", part, t=Int)

    assert run(expression(Int, build)) == 20
    doubled = {**HELPERS, "width": lambda p: 2 * p.width}
    assert run(expression(Int, build), helpers=doubled) == 40


# ---------------------------------------------------------------- errors


def _failing(
    cls: type[Op], operands: Sequence[Any], t: Type, line: int = 7, col: int = 12
) -> Module:
    def build(b: Builder, _: Value) -> Value:
        values = [_list_or_const(b, x) for x in operands]
        return b.add(cls, values, [t], loc=Location("prog.py", line, col)).result

    return expression(t, build)


@pytest.mark.parametrize(
    ("cls", "operands", "t", "cause", "words"),
    [
        (
            IndexOp,
            ([1, 2, 3], 5),
            Int,
            IndexError,
            "index 5 is out of range for a list of length 3",
        ),
        (IndexOp, ([1, 2, 3], -4), Int, IndexError, "index -4 is out of range"),
        (TrueDivOp, (1, 0), Float, ZeroDivisionError, "division by zero"),
        (ModOp, (1, 0), Int, ZeroDivisionError, "ZeroDivisionError"),
        (FloorDivOp, (1.0, 0.0), Float, ZeroDivisionError, "ZeroDivisionError"),
        (MinOp, ([],), Int, ValueError, "min() of an empty list"),
        (MaxOp, ([],), Int, ValueError, "max() of an empty list"),
        (CastOp, ("abc",), Int, ValueError, "invalid literal for int()"),
        (RoundOp, (float("inf"),), Int, OverflowError, "OverflowError"),
        (SplitOp, ("abc", ""), List(Str), ValueError, "empty separator"),
    ],
)
def test_runtime_failures_are_program_errors_with_locations(
    cls: type[Op], operands: tuple[Any, ...], t: Type, cause: type[Exception], words: str
) -> None:
    with pytest.raises(ProgramError) as info:
        run(_failing(cls, operands, t))
    message = str(info.value)
    assert message.startswith(f"prog.py:7:12: '{cls.name}'")
    assert words in message
    assert isinstance(info.value.__cause__, cause)
    assert info.value.loc == Location("prog.py", 7, 12)


def test_program_error_quotes_the_source_line() -> None:
    source = "def execute_command(image):\n    return [1, 2][5]\n"
    module = _failing(IndexOp, ([1, 2], 5), Int, line=2, col=12)
    module.source = source
    with pytest.raises(ProgramError) as info:
        run(module)
    assert str(info.value).endswith("\n    return [1, 2][5]")


def test_error_inside_a_loop_names_the_inner_op() -> None:
    def build(b: Builder, _: Value) -> Value:
        def body(r: Builder, i: Value, x: Value, acc: Value) -> None:
            inverse = r.add(TrueDivOp, [r.const(1), x], [Float], loc=Location("prog.py", 4, 20))
            r.yield_(r.v(AddOp, acc, inverse.result, t=Float))

        region = b.region([Int, Int, Float], body)
        return b.add(ForOp, [b.consts([2, 0], Int), b.const(0.0)], [Float], [region]).result

    with pytest.raises(ProgramError, match=r"^prog\.py:4:20: 'fmpc\.truediv' failed: Zero"):
        run(expression(Float, build))


def _one_call(fn: str, t: Type, site: int = 4) -> Module:
    def build(b: Builder, image: Value) -> Value:
        patch = b.lib("image_patch", image, t=Patch)
        return b.add(
            CallOp, [patch, b.const("cat")], [t], loc=Location("p.py", 3, 9), fn=fn, site=site
        ).result

    return expression(t, build)


def test_missing_backend_is_a_backend_error() -> None:
    with pytest.raises(BackendError) as info:
        run(_one_call("exists", Bool), {"find": lambda *a: []})
    assert info.value.site == 4
    assert info.value.fn == "exists"
    assert "p.py:3:9: 'fmpc.call' (exists, site 4) failed: no backend for 'exists'" in str(
        info.value
    )
    assert "backends given: find" in str(info.value)


def test_backend_exception_is_wrapped_with_its_cause_and_site() -> None:
    boom = RuntimeError("model server down")

    def exists_backend(patch: PatchValue, name: str) -> bool:
        raise boom

    with pytest.raises(BackendError) as info:
        run(_one_call("exists", Bool, site=9), {"exists": exists_backend})
    assert info.value.__cause__ is boom
    assert info.value.site == 9
    assert isinstance(info.value, ProgramError)
    assert "the backend raised RuntimeError: model server down" in str(info.value)


@pytest.mark.parametrize(
    ("fn", "t", "value", "words"),
    [
        ("find", List(Patch), (), "returned tuple (), expected List[Patch] (a list of PatchValue)"),
        ("find", List(Patch), ["x"], "expected List[Patch] (a list of PatchValue)"),
        ("exists", Bool, 1, "returned int 1, expected Bool (a bool)"),
        ("count", Int, True, "expected Int (an int)"),
        ("compute_depth", Float, 3, "expected Float (a float)"),
        ("simple_query", Str, None, "returned NoneType None, expected Str (a str)"),
    ],
)
def test_backend_results_must_fit_the_result_type(fn: str, t: Type, value: Any, words: str) -> None:
    module = _one_call(fn, t)
    with pytest.raises(BackendError) as info:
        run(module, {fn: lambda *a: value})
    assert words in str(info.value)
    assert info.value.fn == fn
    assert run(module, {fn: lambda *a: value}, check_results=False) == value


def test_backend_results_that_fit_pass() -> None:
    image = make_image()
    patches = [PatchValue(image, 0, 0, 1, 1)]
    assert run(_one_call("find", List(Patch)), {"find": lambda *a: patches}) == patches
    assert (
        run(_one_call("compute_depth", Float), {"compute_depth": lambda *a: np.float64(2.5)}) == 2.5
    )


def test_helper_failures_and_bad_helper_results_are_program_errors() -> None:
    module = expression(
        Float, lambda b, _: b.lib("coerce_to_numeric", b.const("none here"), t=Float)
    )
    with pytest.raises(
        ProgramError, match="'fmpc.lib' \\(coerce_to_numeric\\) failed: ValueError: no number"
    ):
        run(module)
    with pytest.raises(ProgramError, match="helper 'coerce_to_numeric' returned str '1'"):
        run(module, helpers={**HELPERS, "coerce_to_numeric": lambda text: "1"})


def test_missing_helper_is_reported_when_the_interpreter_is_built() -> None:
    module = expression(
        Int, lambda b, image: b.lib("area", b.lib("image_patch", image, t=Patch), t=Int)
    )
    with pytest.raises(ValueError, match="no implementation of library helper\\(s\\) area"):
        Interpreter(module, {})
    assert (
        Interpreter(module, {}, helpers={**HELPERS, "area": lambda p: p.width * p.height}).run(
            make_image(4, 3)
        )
        == 12
    )


def test_the_module_is_verified_first() -> None:
    module = expression(Int, lambda b, _: b.const("not an int"))
    with pytest.raises(VerifyError, match="returned value has type Str, expected Int"):
        Interpreter(module, {})


# ---------------------------------------------------------------- re-entrancy and subclassing


def _image_dependent() -> Module:
    """Counts the found patches of the input, with a call per found patch."""

    def build(b: Builder, image: Value) -> Value:
        patch = b.lib("image_patch", image, t=Patch)
        found = b.call("find", 0, patch, b.const("dot"), t=List(Patch))
        body = b.region(
            [Int, Patch], lambda r, i, p: r.yield_(r.call(PATCH_FN, 1, p, r.const("dot"), t=Bool))
        )
        kept = b.add(FilterOp, [found], [List(Patch)], [body]).result
        return b.v(LenOp, kept, t=Int)

    return expression(Int, build)


def _dots(patch: PatchValue, name: str) -> list[PatchValue]:
    n = int(patch.image.id)
    return [PatchValue(patch.image, i, 0, i + 1, 1) for i in range(n)]


def _even_dots(patch: PatchValue, name: str) -> bool:
    return patch.left % 2 == 0


def test_runs_share_no_state() -> None:
    interpreter = Interpreter(_image_dependent(), {"find": _dots, PATCH_FN: _even_dots})
    first = interpreter.run_with_stats(make_image(id="5"))
    second = interpreter.run_with_stats(make_image(id="2"))
    assert (first.answer, dict(first.calls)) == (3, {0: 1, 1: 5})
    assert (second.answer, dict(second.calls)) == (1, {0: 1, 1: 2})


def test_concurrent_runs_from_threads_are_independent() -> None:
    barrier = threading.Barrier(4)

    def slow_find(patch: PatchValue, name: str) -> list[PatchValue]:
        barrier.wait(timeout=10)
        return _dots(patch, name)

    interpreter = Interpreter(_image_dependent(), {"find": slow_find, PATCH_FN: _even_dots})
    sizes = [3, 8, 1, 6]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: interpreter.run_with_stats(make_image(id=str(n))), sizes))
    assert [r.answer for r in results] == [(n + 1) // 2 for n in sizes]
    assert [r.calls for r in results] == [{0: 1, 1: n} for n in sizes]


def test_subclass_routes_per_site() -> None:
    class PerSite(Interpreter):
        def call_routable(self, op: CallOp, args: list[Any], run: Any) -> Any:
            return args[1] == ("cat" if op.site == 0 else "dog")

    def build(b: Builder, image: Value) -> Value:
        patch = b.lib("image_patch", image, t=Patch)
        first = b.call(PATCH_FN, 0, patch, b.const("cat"), t=Bool)
        second = b.call(PATCH_FN, 1, patch, b.const("cat"), t=Bool)
        return b.v(FormatOp, first, second, t=Str, template="{} {}")

    result = PerSite(expression(Str, build)).run_with_stats(make_image())
    assert result.answer == "True False"
    assert result.calls == {0: 1, 1: 1}


def test_subclass_overrides_an_op_rule() -> None:
    class Shouting(Interpreter):
        def visit_LowerOp(self, op: LowerOp, args: list[Any], run: Any) -> Any:
            return args[0].upper() + "!"

    module = expression(Str, lambda b, _: b.v(LowerOp, b.const("Hi"), t=Str))
    assert Shouting(module, {}).run(make_image()) == "HI!"
    assert Interpreter(module, {}).run(make_image()) == "hi"


def test_an_op_without_a_rule_is_reported_up_front() -> None:
    class NoLower(Interpreter):
        visit_LowerOp = None  # type: ignore[assignment]

    module = expression(Str, lambda b, _: b.v(LowerOp, b.const("Hi"), t=Str))
    with pytest.raises(
        NotImplementedError, match="no rule for op 'fmpc.str.lower'; define visit_LowerOp"
    ):
        NoLower(module, {})


def test_every_op_class_of_the_ir_has_a_rule() -> None:
    from fmpc.ir.ops import all_op_classes

    for name, cls in all_op_classes().items():
        if name.startswith("fmpc.") and cls.__module__ == "fmpc.ir.ops":
            assert callable(getattr(Interpreter, f"visit_{cls.__name__}", None)), name


# ---------------------------------------------------------------- compiled programs vs plain Python
#
# Small programs compiled by the frontend, run by the interpreter over a fake world, compared with
# the same logic written as plain Python over the same fake backends and helpers.


@dataclass(frozen=True)
class Thing:
    """An object of the fake world: a name, a colour and a box."""

    name: str
    color: str
    box: tuple[int, int, int, int]


def _inside(thing: Thing, patch: PatchValue) -> bool:
    x = (thing.box[0] + thing.box[2]) / 2
    y = (thing.box[1] + thing.box[3]) / 2
    return patch.left <= x < patch.right and patch.lower <= y < patch.upper


def _things(patch: PatchValue) -> list[Thing]:
    return [t for t in patch.image.scene if _inside(t, patch)]


def fake_find(patch: PatchValue, name: str) -> list[PatchValue]:
    return [PatchValue(patch.image, *t.box) for t in _things(patch) if t.name == name]


def fake_exists(patch: PatchValue, name: str) -> bool:
    return bool(fake_find(patch, name))


def fake_verify_property(patch: PatchValue, name: str, prop: str) -> bool:
    return any(t.name == name and t.color == prop for t in _things(patch))


def fake_simple_query(patch: PatchValue, question: str) -> str:
    things = _things(patch)
    if question.startswith("How many"):
        return f"{sum(t.name in question for t in things)} of them"
    return things[0].color if things else "nothing"


def fake_compute_depth(patch: PatchValue) -> float:
    return patch.lower / 10 + 1.0


FAKE_BACKENDS: dict[str, Callable[..., Any]] = {
    "find": fake_find,
    "exists": fake_exists,
    "verify_property": fake_verify_property,
    "simple_query": fake_simple_query,
    "compute_depth": fake_compute_depth,
}

SCENES = [
    [],
    [
        Thing("cat", "black", (2, 2, 8, 8)),
        Thing("dog", "brown", (20, 10, 30, 20)),
        Thing("cat", "white", (30, 2, 38, 9)),
    ],
    [
        Thing("cat", "white", (1, 16, 9, 24)),
        Thing("cat", "black", (12, 3, 17, 7)),
        Thing("dog", "white", (25, 20, 35, 28)),
        Thing("dog", "black", (5, 20, 12, 27)),
    ],
    [Thing("dog", "grey", (10, 10, 20, 20))],
    [
        Thing("cat", "orange", (1, 1, 5, 5)),
        Thing("cat", "grey", (6, 4, 14, 12)),
        Thing("cat", "white", (15, 12, 19, 19)),
        Thing("cat", "black", (22, 20, 30, 29)),
    ],
]


def scene_image(index: int) -> ImageValue:
    """The test image of scene ``index`` (40 wide, 30 high)."""
    return ImageValue(np.zeros((30, 40, 3), np.float32), id=f"scene{index}", scene=SCENES[index])


class FakePatch:
    """The ImagePatch API in plain Python over the same fake backends and helpers."""

    def __init__(self, patch: PatchValue) -> None:
        self.patch = patch
        self.left: int = HELPERS["left"](patch)
        self.right: int = HELPERS["right"](patch)
        self.lower: int = HELPERS["lower"](patch)
        self.upper: int = HELPERS["upper"](patch)
        self.width: int = HELPERS["width"](patch)
        self.height: int = HELPERS["height"](patch)
        self.horizontal_center = HELPERS["horizontal_center"](patch)
        self.vertical_center = HELPERS["vertical_center"](patch)

    def find(self, name: str) -> list[FakePatch]:
        return [FakePatch(p) for p in fake_find(self.patch, name)]

    def verify_property(self, name: str, prop: str) -> bool:
        return fake_verify_property(self.patch, name, prop)

    def simple_query(self, question: str) -> str:
        return fake_simple_query(self.patch, question)

    def compute_depth(self) -> float:
        return fake_compute_depth(self.patch)

    def crop(self, left: float, lower: float, right: float, upper: float) -> FakePatch:
        return FakePatch(HELPERS["crop"](self.patch, left, lower, right, upper))


def image_patch_of(image: ImageValue) -> FakePatch:
    return FakePatch(HELPERS["image_patch"](image))


def fake_distance(a: FakePatch, b: FakePatch) -> float:
    return float(HELPERS["distance"](a.patch, b.patch))


def py_count(image: ImageValue) -> Any:
    return len(image_patch_of(image).find("cat"))


def py_early_return(image: ImageValue) -> Any:
    for cat in image_patch_of(image).find("cat"):
        if cat.verify_property("cat", "black"):
            return "yes"
    return "no"


def py_rightmost(image: ImageValue) -> Any:
    dogs = image_patch_of(image).find("dog")
    if len(dogs) == 0:
        return "none"
    rightmost = sorted(dogs, key=lambda d: d.horizontal_center)[-1]
    return rightmost.simple_query("What color is the dog?")


def py_any_and(image: ImageValue) -> Any:
    image_patch = image_patch_of(image)
    cats = image_patch.find("cat")
    dogs = image_patch.find("dog")
    white = any(c.verify_property("cat", "white") for c in cats)
    return HELPERS["bool_to_yesno"](white and len(dogs) > 0)


def py_comprehension(image: ImageValue) -> Any:
    colors = [
        t.simple_query("What color?") for t in image_patch_of(image).find("cat") if t.width > 5
    ]
    return f"{len(colors)}: " + ", ".join(colors)


def py_nearest(image: ImageValue) -> Any:
    image_patch = image_patch_of(image)
    cats = image_patch.find("cat")
    dogs = image_patch.find("dog")
    if not cats or not dogs:
        return -1.0
    cat = cats[0]
    nearest = min(dogs, key=lambda d: fake_distance(cat, d))
    return fake_distance(cat, nearest)


def py_left_half(image: ImageValue) -> Any:
    image_patch = image_patch_of(image)
    left_half = image_patch.crop(0, 0, image_patch.width // 2, image_patch.height)
    count = 0
    for thing in left_half.find("cat"):
        if 0 < thing.vertical_center <= 15:
            count += 1
        else:
            continue
    return count


def py_numeric(image: ImageValue) -> Any:
    n = HELPERS["coerce_to_numeric"](image_patch_of(image).simple_query("How many cats?"))
    return round(n / 3, 2)


def py_break(image: ImageValue) -> Any:
    total = 0.0
    for i, thing in enumerate(image_patch_of(image).find("cat")):
        if thing.compute_depth() > 1.5:
            break
        total = total + thing.compute_depth() * i
    return total


COMPILED = {
    "count": (
        py_count,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    return len(cats)
""",
    ),
    "early_return": (
        py_early_return,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    for cat in image_patch.find("cat"):
        if cat.verify_property("cat", "black"):
            return "yes"
    return "no"
""",
    ),
    "rightmost": (
        py_rightmost,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    dogs = image_patch.find("dog")
    if len(dogs) == 0:
        return "none"
    rightmost = sorted(dogs, key=lambda d: d.horizontal_center)[-1]
    return rightmost.simple_query("What color is the dog?")
""",
    ),
    "any_and": (
        py_any_and,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    dogs = image_patch.find("dog")
    white = any(c.verify_property("cat", "white") for c in cats)
    return bool_to_yesno(white and len(dogs) > 0)
""",
    ),
    "comprehension": (
        py_comprehension,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    colors = [t.simple_query("What color?") for t in image_patch.find("cat") if t.width > 5]
    return f"{len(colors)}: " + ", ".join(colors)
""",
    ),
    "nearest": (
        py_nearest,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    dogs = image_patch.find("dog")
    if not cats or not dogs:
        return -1.0
    cat = cats[0]
    nearest = min(dogs, key=lambda d: distance(cat, d))
    return distance(cat, nearest)
""",
    ),
    "left_half": (
        py_left_half,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    left_half = image_patch.crop(0, 0, image_patch.width // 2, image_patch.height)
    count = 0
    for thing in left_half.find("cat"):
        if 0 < thing.vertical_center <= 15:
            count += 1
        else:
            continue
    return count
""",
    ),
    "numeric": (
        py_numeric,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    n = coerce_to_numeric(image_patch.simple_query("How many cats?"))
    return round(n / 3, 2)
""",
    ),
    "break": (
        py_break,
        """
def execute_command(image):
    image_patch = ImagePatch(image)
    total = 0.0
    for i, thing in enumerate(image_patch.find("cat")):
        if thing.compute_depth() > 1.5:
            break
        total = total + thing.compute_depth() * i
    return total
""",
    ),
}


def py_strings(image: ImageValue) -> Any:
    answer = image_patch_of(image).simple_query("What color?").strip().upper()
    words = answer.lower().split()
    if answer.startswith("NOTH") or len(words) == 0:
        return "unknown"
    return words[0][:3] + "-" + str(len(answer))


def py_max_or(image: ImageValue) -> Any:
    cats = image_patch_of(image).find("cat")
    depths = [c.compute_depth() for c in cats]
    best = max(cats, key=lambda c: c.compute_depth()).simple_query("What color?") if cats else ""
    return best or f"no cats, {sum(depths):.1f}"


COMPILED["strings"] = (
    py_strings,
    """
def execute_command(image):
    image_patch = ImagePatch(image)
    answer = image_patch.simple_query("What color?").strip().upper()
    words = answer.lower().split()
    if answer.startswith("NOTH") or len(words) == 0:
        return "unknown"
    return words[0][:3] + "-" + str(len(answer))
""",
)
COMPILED["max_or"] = (
    py_max_or,
    """
def execute_command(image):
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    depths = [c.compute_depth() for c in cats]
    best = max(cats, key=lambda c: c.compute_depth()).simple_query("What color?") if cats else ""
    return best or f"no cats, {sum(depths):.1f}"
""",
)


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_compiled_program_agrees_with_plain_python(name: str) -> None:
    python, source = COMPILED[name]
    interpreter = Interpreter(compile_source(source, "prog.py"), FAKE_BACKENDS)
    answers = [interpreter.run(scene_image(i)) for i in range(len(SCENES))]
    assert answers == [python(scene_image(i)) for i in range(len(SCENES))]
    assert len(set(map(repr, answers))) > 1, "the scenes should tell answers apart"


def test_compiled_program_error_points_at_the_source() -> None:
    source = """def execute_command(image):
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    return cats[2].simple_query("What color?")
"""
    interpreter = Interpreter(compile_source(source, "prog.py"), FAKE_BACKENDS)
    assert interpreter.run(scene_image(4)) == "white"
    with pytest.raises(ProgramError) as info:
        interpreter.run(scene_image(1))
    message = str(info.value)
    assert re.match(
        r"prog\.py:4:\d+: 'fmpc\.index' failed: IndexError: index 2 is out of range", message
    )
    assert message.endswith('\n    return cats[2].simple_query("What color?")')
