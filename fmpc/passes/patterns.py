"""Small queries and builders shared by rewrite rules: constants, yielded values, region shapes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from fmpc.ir.core import Location, Op, Region, Value
from fmpc.ir.ops import ConstOp, YieldOp
from fmpc.ir.rewriting import defining_op
from fmpc.ir.types import Bool, Float, Int, NoneT, Str, Type
from fmpc.passes.effects import is_removable
from fmpc.passes.rewrite import Rewriter

NOT_CONSTANT: Any = object()
"""What :func:`constant` returns for a value not defined by ``fmpc.const``."""

CONST_TYPES: Mapping[type, Type] = MappingProxyType(
    {bool: Bool, int: Int, float: Float, str: Str, type(None): NoneT}
)
"""The IR type of each Python type a ``fmpc.const`` may hold."""


def constant(value: Value) -> Any:
    """The literal of ``value`` if an ``fmpc.const`` defines it, else ``NOT_CONSTANT``."""
    op = defining_op(value)
    if isinstance(op, ConstOp):
        return op.attributes["value"]
    return NOT_CONSTANT


def is_const(value: Value, literal: Any) -> bool:
    """Whether ``value`` is the constant ``literal`` (same type: ``True`` is not ``1``)."""
    got = constant(value)
    return got is not NOT_CONSTANT and type(got) is type(literal) and got == literal


def yielded(region: Region) -> Value | None:
    """The single value ``region`` yields, or ``None`` if it yields several or leaves otherwise."""
    term = region.terminator
    if isinstance(term, YieldOp) and len(term.operands) == 1:
        return term.operands[0]
    return None


def yielded_constant(region: Region) -> Any:
    """The literal the region yields if it yields a constant, else ``NOT_CONSTANT``."""
    value = yielded(region)
    return NOT_CONSTANT if value is None else constant(value)


def is_quiet(region: Region) -> bool:
    """Whether every op of ``region`` but its final yield could be deleted (no failure, no exit):
    dropping the region, or never running it, changes nothing but cost."""
    return isinstance(region.terminator, YieldOp) and all(
        is_removable(op) for op in region.ops[:-1]
    )


def is_only_yield(region: Region) -> bool:
    """Whether ``region`` holds nothing but its yield, or a constant and its yield."""
    body = region.ops[:-1]
    return isinstance(region.terminator, YieldOp) and (
        not body or (len(body) == 1 and isinstance(body[0], ConstOp))
    )


def make_const(rewriter: Rewriter, anchor: Op, literal: Any, loc: Location | None = None) -> Value:
    """Insert ``fmpc.const`` of ``literal`` before ``anchor`` and return its value."""
    op = ConstOp([], [CONST_TYPES[type(literal)]], {"value": literal}, loc=loc or anchor.loc)
    return rewriter.insert_before(anchor, op).result
