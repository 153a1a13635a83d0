"""Compile-time checks of literal arguments against a backend vocabulary.

A world or a backend knows a fixed set of object names, properties or question forms; a literal
outside it would fail at run time on every input. ``literal_warnings`` finds such literals in a
compiled module and reports them as located warnings, never as errors (other backends may read
free text).
"""

from __future__ import annotations

from collections.abc import Callable

from fmpc.frontend.diagnostics import WARNING, Diagnostic, SourceText
from fmpc.ir.core import Module, Value
from fmpc.ir.ops import CallOp, ConstOp, MakeListOp

LiteralCheck = Callable[[str, int, object], "str | None"]
"""``check(function, argument_index, literal) -> warning or None`` (the patch is argument 0)."""


def literal_warnings(module: Module, text: SourceText, check: LiteralCheck) -> list[Diagnostic]:
    """Warnings for literal arguments of routable calls that ``check`` does not know."""
    found: list[Diagnostic] = []
    for op in module.walk():
        if not isinstance(op, CallOp) or op.loc is None:
            continue
        for index, operand in enumerate(op.operands):
            literal = _literal(operand)
            message = None if literal is None else check(op.fn, index, literal)
            if message:
                found.append(text.diagnostic(op.loc.line, op.loc.col, message, WARNING))
    return found


def _literal(value: Value) -> object:
    owner = value.owner
    if isinstance(owner, ConstOp):
        return owner.attributes["value"]
    if isinstance(owner, MakeListOp):
        items = [_literal(v) for v in owner.operands]
        return items if all(i is not None for i in items) else None
    return None
