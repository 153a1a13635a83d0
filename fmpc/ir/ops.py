"""The op set of fmpc's IR, one class per op.

Each class declares its name, traits, arity and an op-specific ``verify_``. Structured control
flow uses regions: ``fmpc.if``, ``fmpc.for``, the lazy boolean ops ``fmpc.and`` / ``fmpc.or``, and
the iteration ops (``fmpc.map``, ``fmpc.filter``, ``fmpc.any``, ``fmpc.all``) whose regions take
``(index: Int, item: T)``; key regions of ``fmpc.sort`` / ``fmpc.min`` / ``fmpc.max`` take ``(item: T)``.
Regions end in a terminator: ``fmpc.yield`` (values to the parent op), ``fmpc.return`` (leave the
function), ``fmpc.break`` / ``fmpc.continue`` (innermost ``fmpc.for``, carrying its values).
"""

from __future__ import annotations

from fmpc.ir.core import Op, Region, Trait, Value
from fmpc.ir.types import (
    Bool,
    Float,
    Image,
    Int,
    ListType,
    NoneT,
    OptionalType,
    Patch,
    Str,
    Type,
    is_numeric,
)

PURE = frozenset({Trait.PURE})


def _types(values: list[Value]) -> list[Type]:
    return [v.type for v in values]


def _fmt(types: list[Type]) -> str:
    return "(" + ", ".join(str(t) for t in types) + ")"


def _list_element(op: Op, value: Value) -> Type:
    if not isinstance(value.type, ListType):
        raise op.error(f"expected a List operand, got {value.type}")
    return value.type.element


def _expect(op: Op, got: Type, want: Type, what: str) -> None:
    if got != want:
        raise op.error(f"{what} has type {got}, expected {want}")


def _region_yields(op: Op, region: Region) -> list[Type] | None:
    """Types yielded by ``region`` (``None`` if it ends by return/break/continue)."""
    term = region.terminator
    if term is None:
        raise op.error("region does not end in a terminator")
    if isinstance(term, YieldOp):
        return _types(term.operands)
    return None


def _expect_region_args(op: Op, region: Region, types: list[Type]) -> None:
    if _types(region.args) != types:
        raise op.error(f"region arguments {_fmt(_types(region.args))}, expected {_fmt(types)}")


def _expect_yield(op: Op, region: Region, types: list[Type], what: str) -> None:
    got = _region_yields(op, region)
    if got is not None and got != types:
        raise op.error(f"{what} yields {_fmt(got)}, expected {_fmt(types)}")


# ---------------------------------------------------------------- functions and terminators


class FuncOp(Op):
    """A function: ``sym_name``, ``result_type`` and one region whose arguments are its parameters."""

    name = "fmpc.func"
    traits = frozenset({Trait.ISOLATED})
    num_operands = 0
    num_results = 0
    num_regions = 1
    attribute_types = {"sym_name": str, "result_type": Type}

    @property
    def body(self) -> Region:
        return self.regions[0]


class ReturnOp(Op):
    """``fmpc.return %v``: leave the enclosing function with ``%v``."""

    name = "fmpc.return"
    traits = frozenset({Trait.TERMINATOR})
    num_operands = 1
    num_results = 0

    def verify_(self) -> None:
        func = enclosing(self, FuncOp)
        if func is None:
            raise self.error("return outside a function")
        _expect(self, self.operands[0].type, func.attributes["result_type"], "returned value")  # type: ignore[arg-type]


class YieldOp(Op):
    """``fmpc.yield %a, ...``: hand values to the op owning the region."""

    name = "fmpc.yield"
    traits = frozenset({Trait.TERMINATOR})
    num_results = 0

    def verify_(self) -> None:
        if isinstance(self.parent_op(), FuncOp):
            raise self.error("yield cannot end a function body; use fmpc.return")


class _LoopExit(Op):
    traits = frozenset({Trait.TERMINATOR})
    num_results = 0

    def verify_(self) -> None:
        loop = enclosing(self, ForOp, stop=(FuncOp, _KeyedOp, _IterOp))
        if loop is None:
            raise self.error("must be inside a fmpc.for loop body")
        _expect_carried(self, loop)


def _expect_carried(op: Op, loop: Op) -> None:
    want = [r.type for r in loop.results]
    if _types(op.operands) != want:
        raise op.error(f"carries {_fmt(_types(op.operands))}, loop expects {_fmt(want)}")


class BreakOp(_LoopExit):
    """``fmpc.break %carried...``: leave the innermost loop with these loop-carried values."""

    name = "fmpc.break"


class ContinueOp(_LoopExit):
    """``fmpc.continue %carried...``: start the next iteration with these loop-carried values."""

    name = "fmpc.continue"


def enclosing(op: Op, kind: type[Op], stop: tuple[type[Op], ...] = (FuncOp,)) -> Op | None:
    """The nearest ancestor of ``op`` of class ``kind``, not looking past a ``stop`` op."""
    parent = op.parent_op()
    while parent is not None:
        if isinstance(parent, kind):
            return parent
        if isinstance(parent, stop):
            return None
        parent = parent.parent_op()
    return None


# ---------------------------------------------------------------- constants and arithmetic


class ConstOp(Op):
    """``fmpc.const {value = ...}``: a literal Int, Float, Str, Bool or None."""

    name = "fmpc.const"
    traits = frozenset({Trait.PURE, Trait.CONSTANT})
    num_operands = 0
    attribute_types = {"value": (int, float, str, bool, type(None))}

    def verify_(self) -> None:
        value = self.attributes["value"]
        want = {bool: Bool, int: Int, float: Float, str: Str, type(None): NoneT}[type(value)]
        _expect(self, self.result.type, want, "constant")


def arithmetic_result(op_name: str, lhs: Type, rhs: Type) -> Type | None:
    """Result type of a binary arithmetic op on these operand types, or ``None`` if ill-typed."""
    if op_name == "fmpc.add" and lhs == rhs and (lhs == Str or isinstance(lhs, ListType)):
        return lhs
    if op_name == "fmpc.mul" and {lhs, rhs} == {Str, Int}:
        return Str
    if not (is_numeric(lhs) and is_numeric(rhs)):
        return None
    if op_name == "fmpc.truediv" or Float in (lhs, rhs):
        return Float
    return Int


class _BinaryOp(Op):
    traits = PURE
    num_operands = 2

    def verify_(self) -> None:
        want = arithmetic_result(self.name, self.operands[0].type, self.operands[1].type)
        if want is None:
            raise self.error(f"unsupported operand types {_fmt(_types(self.operands))}")
        _expect(self, self.result.type, want, "result")


class AddOp(_BinaryOp):
    """``a + b`` on numbers, strings or lists."""

    name = "fmpc.add"


class SubOp(_BinaryOp):
    """``a - b``."""

    name = "fmpc.sub"


class MulOp(_BinaryOp):
    """``a * b`` (also ``Str * Int``)."""

    name = "fmpc.mul"


class TrueDivOp(_BinaryOp):
    """``a / b``, always Float."""

    name = "fmpc.truediv"


class FloorDivOp(_BinaryOp):
    """``a // b``."""

    name = "fmpc.floordiv"


class ModOp(_BinaryOp):
    """``a % b``."""

    name = "fmpc.mod"


class _NumericUnary(Op):
    traits = PURE
    num_operands = 1

    def verify_(self) -> None:
        t = self.operands[0].type
        if not is_numeric(t):
            raise self.error(f"operand has type {t}, expected a number")
        _expect(self, self.result.type, Float if t == Float else Int, "result")


class NegOp(_NumericUnary):
    """``-a``."""

    name = "fmpc.neg"


class AbsOp(_NumericUnary):
    """``abs(a)``."""

    name = "fmpc.abs"


class RoundOp(Op):
    """``round(x)`` -> Int, ``round(x, ndigits)`` -> same type as x."""

    name = "fmpc.round"
    traits = PURE

    def verify_(self) -> None:
        if len(self.operands) not in (1, 2) or not is_numeric(self.operands[0].type):
            raise self.error("expects round(number) or round(number, Int)")
        if len(self.operands) == 2:
            _expect(self, self.operands[1].type, Int, "ndigits")
            want = Float if self.operands[0].type == Float else Int
        else:
            want = Int
        _expect(self, self.result.type, want, "result")


CMP_PREDICATES = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "is", "is_not")


class CmpOp(Op):
    """``fmpc.cmp {pred = "lt"} %a, %b``: comparisons, membership (``in``) and identity with None."""

    name = "fmpc.cmp"
    traits = PURE
    num_operands = 2
    attribute_types = {"pred": str}

    def verify_(self) -> None:
        pred = self.attributes["pred"]
        if pred not in CMP_PREDICATES:
            raise self.error(
                f"unknown predicate {pred!r}; expected one of {', '.join(CMP_PREDICATES)}"
            )
        lhs, rhs = _types(self.operands)
        if pred in ("in", "not_in") and not _contains_ok(lhs, rhs):
            raise self.error(f"cannot test {lhs} in {rhs}")
        if pred in ("lt", "le", "gt", "ge") and not _orderable(lhs, rhs):
            raise self.error(f"cannot order {lhs} and {rhs}")
        _expect(self, self.result.type, Bool, "result")


def _contains_ok(item: Type, container: Type) -> bool:
    if container == Str:
        return item == Str
    return isinstance(container, ListType) and (
        container.element == item or (is_numeric(item) and is_numeric(container.element))
    )


def _orderable(lhs: Type, rhs: Type) -> bool:
    return (is_numeric(lhs) and is_numeric(rhs)) or (lhs == rhs == Str)


class NotOp(Op):
    """``not a`` on any value (Python truthiness)."""

    name = "fmpc.not"
    traits = PURE
    num_operands = 1

    def verify_(self) -> None:
        _expect(self, self.result.type, Bool, "result")


class CastOp(Op):
    """``int(x)``, ``float(x)``, ``str(x)``, ``bool(x)``: the result type names the target.

    Also the two conversions of optional values: ``T`` or ``None`` to ``Optional[T]`` (the value
    unchanged), and ``Optional[T]`` to ``T`` (the value unchanged; fails at run time on ``None``,
    so the frontend only emits it where a test such as ``x is not None`` has held).
    """

    name = "fmpc.cast"
    traits = PURE
    num_operands = 1

    def verify_(self) -> None:
        target, source = self.result.type, self.operands[0].type
        if isinstance(target, OptionalType):
            if source not in (target.inner, NoneT):
                raise self.error(f"cannot convert {source} to {target}")
            return
        if isinstance(source, OptionalType) and target == source.inner:
            return
        if target not in (Int, Float, Str, Bool):
            raise self.error(f"cannot cast to {target}")
        if target in (Int, Float) and not (is_numeric(source) or source == Str):
            raise self.error(f"cannot convert {source} to {target}")


# ---------------------------------------------------------------- control flow


class IfOp(Op):
    """``fmpc.if %cond -> (T...) {then} {else}``; both regions yield the results (or leave)."""

    name = "fmpc.if"
    traits = frozenset({Trait.LAZY})
    num_operands = 1
    num_results = None
    num_regions = 2

    def verify_(self) -> None:
        want = [r.type for r in self.results]
        for which, region in zip(("then", "else"), self.regions, strict=True):
            _expect_region_args(self, region, [])
            _expect_yield(self, region, want, f"{which} region")


class _ShortCircuit(Op):
    traits = frozenset({Trait.LAZY})
    num_operands = 0
    num_regions = None

    def verify_(self) -> None:
        if len(self.regions) < 2:
            raise self.error("needs at least two operand regions")
        for region in self.regions:
            _expect_region_args(self, region, [])
            _expect_yield(self, region, [self.result.type], "operand region")


class AndOp(_ShortCircuit):
    """``a and b and ...``: each operand is a region, run left to right until one is falsy."""

    name = "fmpc.and"


class OrOp(_ShortCircuit):
    """``a or b or ...``: each operand is a region, run left to right until one is truthy."""

    name = "fmpc.or"


class ForOp(Op):
    """``fmpc.for %list, %init... -> (T...)``: region ``(index, item, carried...)``.

    The region yields (or ``continue``s with) the next carried values; ``break`` leaves with them.
    Results are the carried values after the loop.
    """

    name = "fmpc.for"
    traits = frozenset({Trait.LOOP, Trait.LAZY})
    num_operands = None
    num_results = None
    num_regions = 1

    def verify_(self) -> None:
        if not self.operands:
            raise self.error("needs a list operand")
        element = _list_element(self, self.operands[0])
        carried = _types(self.operands[1:])
        if [r.type for r in self.results] != carried:
            raise self.error(
                f"results {_fmt([r.type for r in self.results])} differ from carried {_fmt(carried)}"
            )
        _expect_region_args(self, self.regions[0], [Int, element, *carried])
        _expect_yield(self, self.regions[0], carried, "loop body")


class _IterOp(Op):
    """Iterates over a list; region ``(index: Int, item: T)`` yields one value."""

    traits = frozenset({Trait.LAZY})
    num_operands = 1
    num_regions = 1

    def body_yield(self) -> list[Type] | None:
        element = _list_element(self, self.operands[0])
        _expect_region_args(self, self.regions[0], [Int, element])
        got = _region_yields(self, self.regions[0])
        if got is not None and len(got) != 1:
            raise self.error("region must yield exactly one value")
        return got


class MapOp(_IterOp):
    """``[f(x) for x in xs]``: ``List[U]`` from a region yielding ``U``."""

    name = "fmpc.map"

    def verify_(self) -> None:
        got = self.body_yield()
        if not isinstance(self.result.type, ListType):
            raise self.error("result must be a List")
        if got is not None:
            _expect(self, self.result.type.element, got[0], "result element")


class FilterOp(_IterOp):
    """``[x for x in xs if c(x)]``: keeps items whose region yields a truthy value."""

    name = "fmpc.filter"

    def verify_(self) -> None:
        self.body_yield()
        _expect(self, self.result.type, self.operands[0].type, "result")


class AnyOp(_IterOp):
    """``any(c(x) for x in xs)``: stops at the first truthy value."""

    name = "fmpc.any"

    def verify_(self) -> None:
        self.body_yield()
        _expect(self, self.result.type, Bool, "result")


class AllOp(_IterOp):
    """``all(c(x) for x in xs)``: stops at the first falsy value."""

    name = "fmpc.all"

    def verify_(self) -> None:
        self.body_yield()
        _expect(self, self.result.type, Bool, "result")


class _KeyedOp(Op):
    """Optional key region ``(item: T)`` yielding an orderable key."""

    traits = PURE
    num_operands = 1
    num_regions = (0, 1)

    def check_key(self) -> Type:
        element = _list_element(self, self.operands[0])
        if self.regions:
            _expect_region_args(self, self.regions[0], [element])
            got = _region_yields(self, self.regions[0])
            if got is None or len(got) != 1:
                raise self.error("key region must yield exactly one value")
        return element


class SortOp(_KeyedOp):
    """``sorted(xs, key=..., reverse=...)``; attribute ``reverse``."""

    name = "fmpc.sort"
    attribute_types = {"reverse": bool}

    def verify_(self) -> None:
        self.check_key()
        _expect(self, self.result.type, self.operands[0].type, "result")


class MinOp(_KeyedOp):
    """``min(xs, key=...)``."""

    name = "fmpc.min"

    def verify_(self) -> None:
        _expect(self, self.result.type, self.check_key(), "result")


class MaxOp(_KeyedOp):
    """``max(xs, key=...)``."""

    name = "fmpc.max"

    def verify_(self) -> None:
        _expect(self, self.result.type, self.check_key(), "result")


# ---------------------------------------------------------------- lists and strings


class SumOp(Op):
    """``sum(xs)`` over numbers (Bool counts as Int)."""

    name = "fmpc.sum"
    traits = PURE
    num_operands = 1

    def verify_(self) -> None:
        element = _list_element(self, self.operands[0])
        if not is_numeric(element):
            raise self.error(f"cannot sum List[{element}]")
        _expect(self, self.result.type, Float if element == Float else Int, "result")


class LenOp(Op):
    """``len(x)`` of a List or Str."""

    name = "fmpc.len"
    traits = PURE
    num_operands = 1

    def verify_(self) -> None:
        t = self.operands[0].type
        if not (t == Str or isinstance(t, ListType)):
            raise self.error(f"len of {t}")
        _expect(self, self.result.type, Int, "result")


def _element_of_sequence(op: Op, t: Type) -> Type:
    if t == Str:
        return Str
    if isinstance(t, ListType):
        return t.element
    raise op.error(f"cannot index {t}")


class IndexOp(Op):
    """``xs[i]`` with Python's negative indices."""

    name = "fmpc.index"
    traits = PURE
    num_operands = 2

    def verify_(self) -> None:
        element = _element_of_sequence(self, self.operands[0].type)
        _expect(self, self.operands[1].type, Int, "index")
        _expect(self, self.result.type, element, "result")


class SliceOp(Op):
    """``xs[start:stop]``; an absent bound is a None operand."""

    name = "fmpc.slice"
    traits = PURE
    num_operands = 3

    def verify_(self) -> None:
        seq, start, stop = _types(self.operands)
        _element_of_sequence(self, seq)
        for bound in (start, stop):
            if bound not in (Int, NoneT):
                raise self.error(f"slice bound has type {bound}, expected Int or None")
        _expect(self, self.result.type, seq, "result")


class MakeListOp(Op):
    """``[a, b, ...]``; the result type fixes the element type (also for ``[]``)."""

    name = "fmpc.list.make"
    traits = PURE

    def verify_(self) -> None:
        if not isinstance(self.result.type, ListType):
            raise self.error("result must be a List")
        for v in self.operands:
            _expect(self, v.type, self.result.type.element, "element")


class AppendOp(Op):
    """``xs.append(x)`` as a value: the result is the list with ``x`` appended."""

    name = "fmpc.list.append"
    traits = PURE
    num_operands = 2

    def verify_(self) -> None:
        element = _list_element(self, self.operands[0])
        _expect(self, self.operands[1].type, element, "appended value")
        _expect(self, self.result.type, self.operands[0].type, "result")


class _StrOp(Op):
    traits = PURE
    signature: tuple[tuple[Type, ...], Type] = ((Str,), Str)

    def verify_(self) -> None:
        params, result = self.signature
        if len(self.operands) != len(params):
            raise self.error(f"expects {len(params)} operands, got {len(self.operands)}")
        for i, (v, t) in enumerate(zip(self.operands, params, strict=True)):
            _expect(self, v.type, t, f"operand {i}")
        _expect(self, self.result.type, result, "result")


class LowerOp(_StrOp):
    """``s.lower()``."""

    name = "fmpc.str.lower"


class UpperOp(_StrOp):
    """``s.upper()``."""

    name = "fmpc.str.upper"


class StripOp(_StrOp):
    """``s.strip()``."""

    name = "fmpc.str.strip"


class SplitOp(_StrOp):
    """``s.split()`` (whitespace) or ``s.split(sep)``."""

    name = "fmpc.str.split"

    def verify_(self) -> None:
        if len(self.operands) not in (1, 2):
            raise self.error("expects s.split() or s.split(sep)")
        for v in self.operands:
            _expect(self, v.type, Str, "operand")
        _expect(self, self.result.type, ListType(Str), "result")


class JoinOp(_StrOp):
    """``sep.join(parts)``."""

    name = "fmpc.str.join"
    signature = ((Str, ListType(Str)), Str)


class StartsWithOp(_StrOp):
    """``s.startswith(prefix)``."""

    name = "fmpc.str.startswith"
    signature = ((Str, Str), Bool)


class EndsWithOp(_StrOp):
    """``s.endswith(suffix)``."""

    name = "fmpc.str.endswith"
    signature = ((Str, Str), Bool)


class FormatOp(Op):
    """An f-string: ``template`` with ``{}`` / ``{:spec}`` holes filled by the operands in order."""

    name = "fmpc.format"
    traits = PURE
    attribute_types = {"template": str}

    def verify_(self) -> None:
        from fmpc.ir.fstring import count_holes

        try:
            holes = count_holes(str(self.attributes["template"]))
        except ValueError as exc:
            raise self.error(str(exc)) from None
        if holes != len(self.operands):
            raise self.error(f"template has {holes} holes but {len(self.operands)} operands")
        _expect(self, self.result.type, Str, "result")


# ---------------------------------------------------------------- library calls


class CallOp(Op):
    """A routable call of a generic function: ``fn`` names it, ``site`` is its call-site id.

    Optional ``backends`` (a tuple of names, set by the route pass) lists the choices a policy has.
    Optional ``pin`` fixes the site to one backend, which the policy then never routes: a backend
    name (``pin = "det-l"``) or an index into the site's choices, cheapest first (``pin = 1``).
    """

    name = "fmpc.call"
    traits = frozenset({Trait.ROUTABLE})
    attribute_types = {"fn": str, "site": int}

    @property
    def site(self) -> int:
        return int(self.attributes["site"])  # type: ignore[arg-type]

    @property
    def fn(self) -> str:
        return str(self.attributes["fn"])

    def verify_(self) -> None:
        if self.site < 0:
            raise self.error("site id must be >= 0")
        backends = self.attributes.get("backends")
        if backends is not None and not (
            isinstance(backends, tuple) and backends and all(isinstance(b, str) for b in backends)
        ):
            raise self.error("backends must be a non-empty tuple of names")
        if "pin" in self.attributes and not _valid_pin(self.attributes["pin"]):
            raise self.error(
                f"pin must be a backend name or an index >= 0, got {self.attributes['pin']!r}"
            )


def _valid_pin(pin: object) -> bool:
    if isinstance(pin, str):
        return bool(pin)
    return isinstance(pin, int) and not isinstance(pin, bool) and pin >= 0


class LibOp(Op):
    """A deterministic, non-routable library function (geometry, crops, conversions)."""

    name = "fmpc.lib"
    traits = PURE
    attribute_types = {"fn": str}

    @property
    def fn(self) -> str:
        return str(self.attributes["fn"])


def all_op_classes() -> dict[str, type[Op]]:
    """Every concrete op class by name, including user subclasses defined so far."""
    found: dict[str, type[Op]] = {}
    stack: list[type[Op]] = [Op]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "name" in cls.__dict__ and cls is not Op:
            found[cls.name] = cls
    return found


VISUAL_TYPES = (Image, Patch)
