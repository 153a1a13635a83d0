"""``canonicalize``: constant folding and algebraic simplification.

Literals are folded with the reference interpreter's own rules (so folding means exactly what
running means; an op that would fail is left alone), then one-line rules simplify boolean logic,
branches and list literals. Constants move to the top of their function (so ``cse`` can merge
copies made in different regions). Unused ops that cannot fail are erased on the way.

Before::

    %t = fmpc.const() {value = true} : () -> Bool
    %r = fmpc.and() : () -> Bool {
      fmpc.yield(%found) : (Bool) -> ()
    } {
      fmpc.yield(%t) : (Bool) -> ()
    }
    %n = fmpc.not(%r) : (Bool) -> Bool
    %m = fmpc.not(%n) : (Bool) -> Bool

After (``x and True -> x``, then ``not not x -> x``; ``%m`` is replaced by ``%found``)::

    (nothing left: every use of %m now uses %found)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from fmpc.ir.core import Module, Op, Region, Trait, Value
from fmpc.ir.ops import (
    AddOp,
    AndOp,
    CastOp,
    CmpOp,
    ConstOp,
    FormatOp,
    FuncOp,
    IfOp,
    IndexOp,
    LenOp,
    MakeListOp,
    MulOp,
    NotOp,
    OrOp,
    SubOp,
    YieldOp,
)
from fmpc.ir.types import Bool, Int, NoneT, Str
from fmpc.passes.analyses.manager import AnalysisManager
from fmpc.passes.base import Pass, PassResult, register_pass
from fmpc.passes.patterns import (
    CONST_TYPES,
    NOT_CONSTANT,
    constant,
    is_const,
    is_only_yield,
    is_quiet,
    make_const,
    yielded,
    yielded_constant,
)
from fmpc.passes.rewrite import RewritePattern, Rewriter, Rule, apply_patterns

# ---------------------------------------------------------------- folding


class FoldConstants(RewritePattern):
    """``op(c1, c2, ...) -> c``: a pure op on literals becomes the literal it computes, using
    the reference interpreter's rule for the op (ops that would fail are not folded)."""

    def __init__(self) -> None:
        from fmpc.semantics.interpreter import Interpreter

        func = FuncOp(
            attributes={"sym_name": Module.ENTRY, "result_type": NoneT}, regions=[Region()]
        )
        self._interpreter = Interpreter(Module([func]), verify_module=False)

    def applies_to(self, op: Op) -> bool:
        return (
            op.has_trait(Trait.PURE)
            and not isinstance(op, ConstOp)
            and not op.regions
            and len(op.results) == 1
            and op.result.type in CONST_TYPES.values()
            and all(constant(v) is not NOT_CONSTANT for v in op.operands)
            and not _identity_test(op)
            and _small_result(op)
        )

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        value = self._evaluate(op)
        if value is NOT_CONSTANT or CONST_TYPES.get(type(value)) != op.result.type:
            return False
        rewriter.replace_op(op, [make_const(rewriter, op, value)])
        return True

    def _evaluate(self, op: Op) -> Any:
        from fmpc.semantics.errors import ProgramError
        from fmpc.semantics.interpreter import RunState

        run = RunState(None)
        for operand in op.operands:
            run.env[operand] = constant(operand)
        try:
            return self._interpreter.execute(op, run)
        except (ProgramError, NotImplementedError):
            return NOT_CONSTANT


MAX_FOLDED_LENGTH = 100_000
"""The longest string or list folding makes; a longer one is left to run time (``'x' * n``
with a huge ``n`` took 33 s and 1 GB to fold)."""

MAX_FOLDED_INT_BITS = 4096
"""The widest integer product folding makes (repeated squaring would grow without bound)."""

_LONG_NUMBER = re.compile(r"\d{6,}")


def _small_result(op: Op) -> bool:
    """Whether folding ``op`` makes a value of bounded size, judged before computing it."""
    if isinstance(op, MulOp):
        a, b = (constant(v) for v in op.operands)
        for sequence, count in ((a, b), (b, a)):
            if isinstance(sequence, str | list) and type(count) is int:
                return len(sequence) * max(count, 0) <= MAX_FOLDED_LENGTH
        if type(a) is int and type(b) is int:
            return a.bit_length() + b.bit_length() <= MAX_FOLDED_INT_BITS
    if isinstance(op, FormatOp):  # a width or precision of a million characters or more
        return not _LONG_NUMBER.search(str(op.attributes.get("template", "")))
    return True


def _identity_test(op: Op) -> bool:
    # `a is b` on literals depends on interning, except when both are None.
    return (
        isinstance(op, CmpOp)
        and op.attributes["pred"] in ("is", "is_not")
        and not all(v.type == NoneT for v in op.operands)
    )


class HoistConstant(RewritePattern):
    """Constants move to the top of their function (after the constants already there), where
    ``cse`` can merge the copies made in different regions."""

    op_types = (ConstOp,)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        func = _function_of(op)
        if func is None or op.parent is func.regions[0]:
            return False
        body = func.regions[0]
        index = 0
        while index < len(body.ops) and isinstance(body.ops[index], ConstOp):
            index += 1
        rewriter.move_before(op, body.ops[index])
        return True


def _function_of(op: Op) -> Op | None:
    current = op.parent_op()
    while current is not None and not isinstance(current, FuncOp):
        current = current.parent_op()
    return current


# ---------------------------------------------------------------- boolean logic


def not_not(op: Op, rw: Rewriter) -> Value | None:
    inner = _defined_by(op.operands[0], NotOp)
    if inner is not None and inner.operands[0].type == Bool:
        return inner.operands[0]
    return None


_NEGATED = MappingProxyType(
    {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in", "is": "is_not", "is_not": "is"}
)
_NEGATED_ORDER = MappingProxyType({"lt": "ge", "ge": "lt", "le": "gt", "gt": "le"})


def not_cmp(op: Op, rw: Rewriter) -> Value | None:
    cmp = _defined_by(op.operands[0], CmpOp)
    if cmp is None or len(rw.users(cmp.result)) != 1:
        return None
    pred = str(cmp.attributes["pred"])
    negated = _NEGATED.get(pred)
    if negated is None and all(v.type in (Int, Bool, Str) for v in cmp.operands):
        negated = _NEGATED_ORDER.get(pred)  # no NaN among ints and strings
    if negated is None:
        return None
    new = CmpOp(list(cmp.operands), [Bool], {"pred": negated}, loc=cmp.loc)
    return rw.insert_before(op, new).result


def cmp_with_bool(op: Op, rw: Rewriter) -> Value | None:
    pred = op.attributes["pred"]
    if pred not in ("eq", "ne"):
        return None
    for x, other in (op.operands, reversed(op.operands)):
        if x.type != Bool or constant(other) not in (True, False) or other.type != Bool:
            continue
        keep = (constant(other) is True) == (pred == "eq")
        if keep:
            return x
        return rw.insert_before(op, NotOp([x], [Bool], loc=op.loc)).result
    return None


def _defined_by(value: Value, kind: type[Op]) -> Op | None:
    owner = value.owner
    return owner if isinstance(owner, kind) else None


class SimplifyShortCircuit(RewritePattern):
    """Literal operands of ``and`` / ``or``: drop the neutral ones, cut after the deciding one,
    inline a single remaining operand, and flatten nested ops of the same kind."""

    op_types = (AndOp, OrOp)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        return (
            self._cut_after_decider(op, rewriter)
            or self._drop_neutral(op, rewriter)
            or self._flatten(op, rewriter)
            or self._inline_single(op, rewriter)
        )

    @staticmethod
    def _decides(op: Op, literal: Any) -> bool:
        return bool(literal) is isinstance(op, OrOp)

    def _cut_after_decider(self, op: Op, rw: Rewriter) -> bool:
        # x and False and y -> x and False        x or True or y -> x or True
        for index, region in enumerate(op.regions[:-1]):
            literal = yielded_constant(region)
            if literal is not NOT_CONSTANT and self._decides(op, literal):
                for _ in range(len(op.regions) - index - 1):
                    rw.drop_region(op, index + 1)
                return True
        return False

    def _drop_neutral(self, op: Op, rw: Rewriter) -> bool:
        # True and x -> x    x and True -> x (Bool)    False or x -> x    x or False -> x (Bool)
        if len(op.regions) < 2:
            return False
        for index, region in enumerate(op.regions):
            literal = yielded_constant(region)
            if literal is NOT_CONSTANT or self._decides(op, literal) or not is_quiet(region):
                continue
            last = index == len(op.regions) - 1
            if not last or (op.result.type == Bool and type(literal) is bool):
                rw.drop_region(op, index)
                return True
        return False

    def _flatten(self, op: Op, rw: Rewriter) -> bool:
        # a and (b and c) -> a and b and c
        for index, region in enumerate(op.regions):
            inner = region.ops[0] if len(region.ops) == 2 else None
            if (
                type(inner) is type(op)
                and inner is not None
                and yielded(region) is inner.result
                and inner.result.type == op.result.type
            ):
                moved = [rw.drop_region(inner, 0) for _ in range(len(inner.regions))]
                rw.drop_region(op, index)
                for offset, nested in enumerate(moved):
                    rw.adopt_region(op, index + offset, nested)
                return True
        return False

    def _inline_single(self, op: Op, rw: Rewriter) -> bool:
        # and(x) -> x
        if len(op.regions) != 1 or not isinstance(op.regions[0].terminator, YieldOp):
            return False
        values = rw.inline_region_before(op.regions[0], op)
        rw.replace_op(op, values)
        return True


# ---------------------------------------------------------------- branches


class SimplifyIf(RewritePattern):
    """``fmpc.if`` on a literal runs one branch; ``if not c`` swaps branches; an ``if`` that
    only picks ``True``/``False`` is its condition."""

    op_types = (IfOp,)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        return (
            self._literal_condition(op, rewriter)
            or self._negated_condition(op, rewriter)
            or self._select_bool(op, rewriter)
        )

    def _literal_condition(self, op: Op, rw: Rewriter) -> bool:
        # if True then A else B -> A
        literal = constant(op.operands[0])
        if literal is NOT_CONSTANT:
            return False
        taken = op.regions[0] if literal else op.regions[1]
        if isinstance(taken.terminator, YieldOp):
            rw.replace_op(op, rw.inline_region_before(taken, op))
            return True
        terminator = taken.terminator
        assert terminator is not None
        for inner in list(taken.ops):
            rw.move_before(inner, op)
        rw.erase_after(terminator)
        return True

    def _negated_condition(self, op: Op, rw: Rewriter) -> bool:
        # if not c then A else B -> if c then B else A
        negation = _defined_by(op.operands[0], NotOp)
        if negation is None or negation.operands[0].type != Bool:
            return False
        rw.set_operand(op, 0, negation.operands[0])
        op.regions.reverse()
        rw.modified(op)
        return True

    def _select_bool(self, op: Op, rw: Rewriter) -> bool:
        # if c then True else False -> c      if c then False else True -> not c
        cond = op.operands[0]
        if cond.type != Bool or len(op.results) != 1 or op.result.type != Bool:
            return False
        then, other = (yielded_constant(r) for r in op.regions)
        if not (all(is_only_yield(r) for r in op.regions) and {then, other} == {True, False}):
            return False
        if type(then) is not bool or type(other) is not bool:
            return False
        value = cond if then else rw.insert_before(op, NotOp([cond], [Bool], loc=op.loc)).result
        rw.replace_op(op, [value])
        return True


# ---------------------------------------------------------------- arithmetic, casts, lists


def same_type_cast(op: Op, rw: Rewriter) -> Value | None:
    source = op.operands[0]
    return source if source.type == op.result.type else None


def add_zero(op: Op, rw: Rewriter) -> Value | None:
    a, b = op.operands
    if op.result.type != Int:
        return None
    if is_const(b, 0) and a.type == Int:
        return a
    if isinstance(op, AddOp) and is_const(a, 0) and b.type == Int:
        return b
    return None


def mul_one(op: Op, rw: Rewriter) -> Value | None:
    a, b = op.operands
    if op.result.type != Int:
        return None
    if is_const(b, 1) and a.type == Int:
        return a
    if is_const(a, 1) and b.type == Int:
        return b
    return None


def len_of_literal(op: Op, rw: Rewriter) -> Value | None:
    literal = _defined_by(op.operands[0], MakeListOp)
    if literal is None:
        return None
    return make_const(rw, op, len(literal.operands))


def index_of_literal(op: Op, rw: Rewriter) -> Value | None:
    literal = _defined_by(op.operands[0], MakeListOp)
    index = constant(op.operands[1])
    if literal is None or type(index) is not int:
        return None
    if not -len(literal.operands) <= index < len(literal.operands):
        return None  # stays: it fails at run time
    return literal.operands[index]


RULES: tuple[RewritePattern, ...] = (
    HoistConstant(),
    Rule(NotOp, not_not, "not not x -> x"),
    Rule(NotOp, not_cmp, "not (a == b) -> a != b  (and <, <=, in, is)"),
    Rule(CmpOp, cmp_with_bool, "x == True -> x    x == False -> not x"),
    SimplifyShortCircuit(),
    SimplifyIf(),
    Rule(CastOp, same_type_cast, "int(x: Int) -> x  (and bool, str, float)"),
    Rule(AddOp, add_zero, "x + 0 -> x    0 + x -> x  (Int)"),
    Rule(SubOp, add_zero, "x - 0 -> x  (Int)"),
    Rule(MulOp, mul_one, "x * 1 -> x    1 * x -> x  (Int)"),
    Rule(LenOp, len_of_literal, "len([a, b, c]) -> 3"),
    Rule(IndexOp, index_of_literal, "[a, b, c][1] -> b"),
)
"""The simplification rules of ``canonicalize`` (constant folding runs first)."""


@register_pass
@dataclass(frozen=True)
class Canonicalize(Pass):
    """Fold constants with the reference interpreter's rules and simplify boolean logic,
    branches and list literals.

    The module docstring gives the rules and a before/after example.
    """

    name = "canonicalize"

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        work = module.clone()
        if not apply_patterns(work, (FoldConstants(), *RULES)):
            return PassResult.unchanged(module)
        return PassResult(work, True)
