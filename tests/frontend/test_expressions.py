"""Expressions lower to the expected IR shapes and types."""

from __future__ import annotations

import pytest

from fmpc.frontend import CompileError, compile_source
from fmpc.ir.types import Bool, Float, Int, List, NoneT, Patch, Str
from tests.frontend.support import calls, counts, lower, of


def body(expression: str, setup: str = "") -> str:
    """A program returning ``expression`` after ``setup`` lines."""
    lines = ["def execute_command(image):", "    p = ImagePatch(image)", '    ps = p.find("digit")']
    lines += [f"    {line}" for line in setup.splitlines() if line]
    lines.append(f"    return {expression}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("expression", "result", "op"),
    [
        ("1 + 2", Int, "fmpc.add"),
        ("1 + 2.0", Float, "fmpc.add"),
        ("7 / 2", Float, "fmpc.truediv"),
        ("7 // 2", Int, "fmpc.floordiv"),
        ("7 % 2", Int, "fmpc.mod"),
        ("'a' * 3", Str, "fmpc.mul"),
        ("'a' + 'b'", Str, "fmpc.add"),
        ("ps + ps", List(Patch), "fmpc.add"),
        ("-len(ps)", Int, "fmpc.neg"),
        ("abs(-2.5)", Float, "fmpc.abs"),
        ("round(2.5)", Int, "fmpc.round"),
        ("round(2.25, 1)", Float, "fmpc.round"),
        ("int('3')", Int, "fmpc.cast"),
        ("float(3)", Float, "fmpc.cast"),
        ("str(3)", Str, "fmpc.cast"),
        ("bool(ps)", Bool, "fmpc.cast"),
        ("len(ps)", Int, "fmpc.len"),
        ("not ps", Bool, "fmpc.not"),
        ("ps[-1]", Patch, "fmpc.index"),
        ("ps[1:]", List(Patch), "fmpc.slice"),
        ("'abc'[0]", Str, "fmpc.index"),
        ("p.left", Int, "fmpc.lib"),
        ("p.horizontal_center", Float, "fmpc.lib"),
        ("'a' in 'abc'", Bool, "fmpc.cmp"),
        ("3 not in [1, 2]", Bool, "fmpc.cmp"),
        ("p.width > 2.5", Bool, "fmpc.cmp"),
        ("'yes' if ps else 'no'", Str, "fmpc.if"),
        ("[1, 2.5]", List(Float), "fmpc.list.make"),
        ("f'{len(ps)} digits'", Str, "fmpc.format"),
        ("' '.join(['a', 'b'])", Str, "fmpc.str.join"),
        ("'a b'.split()", List(Str), "fmpc.str.split"),
        ("'a,b'.split(',')", List(Str), "fmpc.str.split"),
        ("'A'.lower()", Str, "fmpc.str.lower"),
        ("'a'.upper()", Str, "fmpc.str.upper"),
        ("' a '.strip()", Str, "fmpc.str.strip"),
        ("'ab'.startswith('a')", Bool, "fmpc.str.startswith"),
        ("'ab'.endswith('b')", Bool, "fmpc.str.endswith"),
    ],
)
def test_expression_types(expression: str, result: object, op: str) -> None:
    m = lower(body(expression))
    assert m.entry.attributes["result_type"] == result
    assert counts(m)[op] >= 1


def test_negative_literal_is_one_constant() -> None:
    m = lower(body("ps[-1]"))
    assert any(op.attributes.get("value") == -1 for op in of(m, "fmpc.const"))
    assert counts(m)["fmpc.neg"] == 0


def test_slice_with_missing_bounds_uses_none() -> None:
    m = lower(body("ps[:2]"))
    (slice_op,) = of(m, "fmpc.slice")
    assert slice_op.operands[1].type == NoneT


def test_comparison_chain_evaluates_the_middle_once_and_lazily() -> None:
    m = lower(body("0 < p.exists('a') + len(ps) <= p.compute_depth() < 10"))
    assert calls(m) == [("find", 0), ("exists", 1), ("compute_depth", 2)]
    (outer, inner) = of(m, "fmpc.and")
    assert len(outer.regions) == 2
    assert counts(m)["fmpc.cmp"] == 3
    # compute_depth runs only when the first comparison held: it sits in the lazy region
    depth = next(op for op in m.walk() if op.attributes.get("fn") == "compute_depth")
    assert depth.parent is outer.regions[1]


def test_and_or_short_circuit_with_one_region_per_operand() -> None:
    m = lower(body("p.exists('a') and p.exists('b') and p.exists('c') or p.exists('d')"))
    (or_op,) = of(m, "fmpc.or")
    (and_op,) = of(m, "fmpc.and")
    assert len(or_op.regions) == 2
    assert len(and_op.regions) == 3
    assert or_op.result.type == Bool


def test_and_in_a_condition_accepts_mixed_types() -> None:
    m = lower(body("'x' if ps and p.exists('a') else 'y'"))
    (and_op,) = of(m, "fmpc.and")
    assert and_op.result.type == Bool


def test_or_of_values_keeps_the_value_type() -> None:
    m = lower(body("p.simple_query('a') or 'nothing'"))
    (or_op,) = of(m, "fmpc.or")
    assert or_op.result.type == Str


def test_or_joins_int_and_float() -> None:
    m = lower(body("len(ps) or 0.5"))
    assert of(m, "fmpc.or")[0].result.type == Float


def test_comprehension_with_filters_is_filters_then_map() -> None:
    m = lower(body("[q.left for q in ps if q.left > 1 if q.exists('x')]"))
    assert counts(m)["fmpc.filter"] == 2
    assert counts(m)["fmpc.map"] == 1
    assert m.entry.attributes["result_type"] == List(Int)


def test_comprehension_returning_the_item_needs_no_map() -> None:
    m = lower(body("[q for q in ps if q.exists('x')]"))
    assert counts(m)["fmpc.map"] == 0
    assert counts(m)["fmpc.filter"] == 1


def test_comprehension_with_enumerate_binds_the_index() -> None:
    m = lower(body("[i for i, q in enumerate(ps)]"))
    (map_op,) = of(m, "fmpc.map")
    assert map_op.regions[0].args[0].name_hint == "i"
    assert m.entry.attributes["result_type"] == List(Int)


@pytest.mark.parametrize(
    ("call", "ops"),
    [
        ("any(q.exists('x') for q in ps)", ["fmpc.any"]),
        ("all(q.exists('x') for q in ps if q.left > 3)", ["fmpc.filter", "fmpc.all"]),
        ("any([True, False])", ["fmpc.any"]),
        ("sum(q.width for q in ps)", ["fmpc.map", "fmpc.sum"]),
        ("max(q.compute_depth() for q in ps)", ["fmpc.map", "fmpc.max"]),
        ("min(q.left for q in ps)", ["fmpc.map", "fmpc.min"]),
        ("sum([1, 2])", ["fmpc.sum"]),
    ],
)
def test_generator_reductions(call: str, ops: list[str]) -> None:
    m = lower(body(call))
    for name in ops:
        assert counts(m)[name] == 1


def test_any_is_lazy_region_over_the_items() -> None:
    m = lower(body("any(q.exists('x') for q in ps)"))
    (any_op,) = of(m, "fmpc.any")
    assert [a.name_hint for a in any_op.regions[0].args] == [None, "q"]
    exists = next(op for op in m.walk() if op.attributes.get("fn") == "exists")
    assert exists.parent is any_op.regions[0]


def test_sorted_with_key_and_reverse() -> None:
    m = lower(body("sorted(ps, key=lambda q: q.horizontal_center, reverse=True)"))
    (sort,) = of(m, "fmpc.sort")
    assert sort.attributes["reverse"] is True
    assert [a.type for a in sort.regions[0].args] == [Patch]
    assert sort.result.type == List(Patch)


def test_min_max_with_key_and_of_several_values() -> None:
    m = lower(body("max(ps, key=lambda q: q.left).right + min(1, 2.5)"))
    (max_op,) = of(m, "fmpc.max")
    assert max_op.result.type == Patch
    (min_op,) = of(m, "fmpc.min")
    assert min_op.operands[0].type == List(Float)


def test_fstring_template_and_spec() -> None:
    m = lower(body("f'{len(ps)} of {{all}}: {p.horizontal_center:.2f}'"))
    (fmt,) = of(m, "fmpc.format")
    assert fmt.attributes["template"] == "{} of {{all}}: {:.2f}"
    assert [v.type for v in fmt.operands] == [Int, Float]


def test_is_none() -> None:
    m = lower(body("x is None", "x = None"))
    assert of(m, "fmpc.cmp")[0].attributes["pred"] == "is"
    m = lower(body("x is not None", "x = None"))
    assert of(m, "fmpc.cmp")[0].attributes["pred"] == "is_not"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("'a' + 1", "unsupported operand types for +: str and int"),
        ("len(3)", "len() needs a list or a string, not int"),
        ("ps[0.5]", "list index must be an int, not float"),
        ("p < p", "only numbers or strings can be ordered"),
        ("1 == 'a'", "values of different types are never equal"),
        ("1 is 2", "`is` is only supported with None"),
        ("p in 'abc'", "`in` a string needs a string on the left"),
        ("[1, 'a']", "list elements have different types (int and str)"),
        ("1 if ps else 'a'", "different types (int and str)"),
        ("sum(['a'])", "sum() needs a list of numbers"),
        ("min(ps)", "min() cannot order ImagePatch values; give a key"),
        ("sorted(ps, key=lambda q: q)", "a sort key must be a number or a string"),
        ("sorted(ps, key=len)", "the key= of sorted() must be a lambda"),
        ("sorted(ps, reverse=flag)", "reverse= must be True or False"),
        ("f'{p}'", "f-strings can format numbers, strings and booleans"),
        ("f'{1:.2q}'", "format spec ':.2q' does not apply to a int"),
        ("f'{1!r}'", "!r and !a conversions are not supported"),
        ("'a'.strip('x')", "str.strip() takes 0 positional argument(s)"),
        ("'a'.title()", "str has no supported method 'title'"),
        (
            "ps.find('x')",
            "list[ImagePatch] has no method 'find'; lists support xs.append(v), xs.extend(ys) and xs.sort(",
        ),
        (
            "ps.sort()",
            "xs.sort(...) must be a statement of its own (it changes xs and returns None)",
        ),
        (
            "p.bool_to_yesno(True)",
            "'bool_to_yesno' is a function, not a method; call it as bool_to_yesno(...)",
        ),
        (
            "p.crop(0, 0, 'a', 1)",
            "argument 'right' of ImagePatch.crop() has type str, expected float",
        ),
        ("ps[::2]", "slices with a step are not supported"),
        ("(1, 2)", "tuples are not supported"),
        ("b'x'", "bytes literals are not supported"),
        ("~1", "the ~ operator is not supported"),
        ("[q for q in ps for r in ps]", "only one `for` per comprehension"),
        ("x", "name 'x' is not defined"),
        ("pss", "name 'pss' is not defined; did you mean 'ps'?"),
        ("left", "'left' is an attribute of a patch; write patch.left"),
        ("find", "'find' is a function; call it: find(...)"),
        ("p.find", "'find' is a method; call it: .find(...)"),
        ("enumerate(ps)", "enumerate() is only supported as the iterable"),
        ("(q for q in ps)", "generator expressions are only supported as the argument"),
        (
            "p.find(object_name='a', object_name='b')",
            "got several values for argument 'object_name'",
        ),
        ("len(ps, 2)", "len() takes 1 positional argument(s), got 2"),
        ("len(x=ps)", "len() takes no keyword argument 'x'"),
        ("min()", "min() needs a list or at least two values"),
        ("ps.append(p)", "xs.append(...) must be a statement of its own"),
    ],
)
def test_type_errors_are_located_compile_errors(expression: str, message: str) -> None:
    source = body(expression, "flag = True")
    with pytest.raises(CompileError) as caught:
        compile_source(source, "prog.py")
    text = caught.value.format()
    assert message in text
    assert all(d.file == "prog.py" and d.line >= 1 for d in caught.value.diagnostics)
