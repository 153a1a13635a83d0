"""Which variables a test proves are not None: ``x is not None``, ``x``, ``not x``, ``and``/``or``.

An optional value (``T | None``, e.g. the answer of a helper that can fall off its end) is used
as a ``T`` only where a test has excluded None, as a type checker narrows it::

    red = first_red(cars)            # ImagePatch | None
    if red is None:
        return "no"
    return red.simple_query(...)     # red: ImagePatch here

The lowering converts the variable with ``fmpc.cast`` (``Optional[T] -> T``) at the start of the
region where the test holds; conversions that end up unused are removed at the end.
"""

from __future__ import annotations

import ast


def not_none_when(test: ast.expr, truthy: bool) -> set[str]:
    """Names of variables that cannot be None when ``test`` evaluates truthy (or falsy)."""
    if isinstance(test, ast.Name):
        return {test.id} if truthy else set()
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return not_none_when(test.operand, not truthy)
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        return _none_test(test, truthy)
    if isinstance(test, ast.BoolOp):
        every = isinstance(test.op, ast.And) == truthy  # and-true / or-false: all operands known
        if every:
            return set().union(*(not_none_when(v, truthy) for v in test.values))
    return set()


def _none_test(test: ast.Compare, truthy: bool) -> set[str]:
    left, right, op = test.left, test.comparators[0], test.ops[0]
    if isinstance(left, ast.Constant) and left.value is None:
        left, right = right, left
    if not (isinstance(right, ast.Constant) and right.value is None):
        return set()
    if not isinstance(left, ast.Name):
        return set()
    if isinstance(op, ast.IsNot) and truthy or isinstance(op, ast.Is) and not truthy:
        return {left.id}
    return set()
