"""Bounds on what a program may ask of the compiler, checked on the syntax tree before lowering.

Compile time must not grow without limit with the program text. These shapes made it explode,
so each is an error located where the program asks for it:

* an ``and`` / ``or`` (or a chain of comparisons) with more than ``MAX_OPERANDS`` operands
  (simplifying 10,000 operands took over a minute);
* helpers that call each other so that inlining them at every call would copy more than
  ``MAX_INLINED_NODES`` syntax nodes (a chain of helpers each calling the next twice doubles
  at every step);
* a program of more than ``MAX_PROGRAM_NODES`` syntax nodes, or more than ``MAX_SOURCE_CHARS``
  characters;
* a literal string, list or repetition of more than ``MAX_CONSTANT_LENGTH`` items (``'x' *
  1000000000`` was built at compile time: 33 s and 1 GB), and a format width or precision above
  it (``f"{x:>1000000000}"``).

``check_bounds`` reports each problem to the compilation's ``Reporter`` and says whether the
program is small enough to lower at all.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from fmpc.frontend.checks import Program
from fmpc.frontend.diagnostics import Reporter

MAX_OPERANDS = 256
"""Operands of one ``and``/``or`` expression, or comparisons in one chain."""

MAX_PROGRAM_NODES = 20_000
"""Syntax nodes in the program's text (a few thousand lines)."""

MAX_INLINED_NODES = 20_000
"""Syntax nodes the entry function holds once every helper call is inlined."""

MAX_SOURCE_CHARS = 1_000_000
"""Characters in the program's text."""

MAX_CONSTANT_LENGTH = 100_000
"""Characters or items of a literal string or list, of a literal repetition (``'ab' * 3``) and
of a format width or precision."""

_FORMAT_NUMBER = re.compile(r"(\d+)")


def source_too_long(source: str) -> str | None:
    """The error for a program text longer than ``MAX_SOURCE_CHARS``, else ``None``."""
    if len(source) <= MAX_SOURCE_CHARS:
        return None
    return f"the program is {len(source)} characters long; at most {MAX_SOURCE_CHARS} are supported"


def check_bounds(tree: ast.Module, program: Program, report: Reporter) -> bool:
    """Report every bound ``tree`` passes; ``False`` when it is too large to lower."""
    fits = True
    nodes = 0
    literals = _Literals()
    for node in ast.walk(tree):
        nodes += 1
        problem = _operand_problem(node) or _constant_problem(node, literals)
        if problem is not None:
            report.at(getattr(node, "lineno", 1), getattr(node, "col_offset", 0), problem)
            fits = False
    if nodes > MAX_PROGRAM_NODES:
        if fits:  # else a more precise message already says what is too large
            size = (
                f"the program has {nodes} syntax nodes; at most {MAX_PROGRAM_NODES} are supported"
            )
            report.at(1, 0, size)
        return False
    return _check_inlining(program, report) and fits


# ---------------------------------------------------------------- operands


def _operand_problem(node: ast.AST) -> str | None:
    if isinstance(node, ast.BoolOp) and len(node.values) > MAX_OPERANDS:
        word = "and" if isinstance(node.op, ast.And) else "or"
        return (
            f"this `{word}` has {len(node.values)} operands; at most {MAX_OPERANDS} are "
            f"supported (use any()/all() over a list)"
        )
    if isinstance(node, ast.Compare) and len(node.comparators) > MAX_OPERANDS:
        return f"this comparison chain has {len(node.comparators)} comparisons; at most {MAX_OPERANDS} are supported"
    return None


# ---------------------------------------------------------------- constants


def _constant_problem(node: ast.AST, literals: _Literals) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        return _too_long(len(node.value), "this literal")
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return _too_long(len(node.elts), "this literal")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        length = literals.repeated_length(node)
        return _too_long(length, "this repetition") if length is not None else None
    if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        return _format_problem(node.format_spec)
    return None


def _too_long(length: int, what: str) -> str | None:
    if length <= MAX_CONSTANT_LENGTH:
        return None
    return f"{what} would have {length} items or characters; at most {MAX_CONSTANT_LENGTH} are supported"


class _Literals:
    """Lengths of literal sequences and values of literal integers, each node computed once
    (a long chain of products is walked once, not once per sub-chain)."""

    def __init__(self) -> None:
        self._lengths: dict[int, int | None] = {}
        self._ints: dict[int, int | None] = {}

    def repeated_length(self, node: ast.BinOp) -> int | None:
        """The length of ``sequence * count`` when both are literals (``None`` otherwise)."""
        for sequence, count in ((node.left, node.right), (node.right, node.left)):
            length = self.length(sequence)
            times = self.integer(count) if length is not None else None
            if length is not None and times is not None:
                return length * max(times, 0)
        return None

    def length(self, node: ast.expr) -> int | None:
        key = id(node)
        if key not in self._lengths:
            self._lengths[key] = self._length(node)
        return self._lengths[key]

    def _length(self, node: ast.expr) -> int | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            return len(node.value)
        if isinstance(node, ast.List | ast.Tuple):
            return len(node.elts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.repeated_length(node)
        return None

    def integer(self, node: ast.expr) -> int | None:
        key = id(node)
        if key not in self._ints:
            self._ints[key] = self._integer(node)
        return self._ints[key]

    def _integer(self, node: ast.expr) -> int | None:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.integer(node.operand)
            return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            left = self.integer(node.left)
            right = self.integer(node.right) if left is not None else None
            if left is not None and right is not None and max(abs(left), abs(right)) < 2**62:
                return left * right
        return None


def _format_problem(spec: ast.expr) -> str | None:
    text = "".join(
        str(part.value)
        for part in ast.walk(spec)
        if isinstance(part, ast.Constant) and isinstance(part.value, str)
    )
    widest = max((int(n) for n in _FORMAT_NUMBER.findall(text)), default=0)
    if widest <= MAX_CONSTANT_LENGTH:
        return None
    return f"this format asks for a width or precision of {widest}; at most {MAX_CONSTANT_LENGTH} is supported"


# ---------------------------------------------------------------- inlining


def _check_inlining(program: Program, report: Reporter) -> bool:
    """Whether inlining every helper call keeps the entry under ``MAX_INLINED_NODES``."""
    if program.entry is None:
        return True
    sizes: dict[str, int] = {}
    total = _inlined_size(program.entry, program, sizes, set())
    if total <= MAX_INLINED_NODES:
        return True
    calls = list(_helper_calls(program.entry, program))
    if not calls:
        report.at(
            program.entry.lineno,
            program.entry.col_offset,
            f"the program would grow to {total} syntax nodes; at most {MAX_INLINED_NODES} are supported",
        )
        return False
    call, name = max(calls, key=lambda c: sizes.get(c[1], 0))
    report.at(
        call.lineno,
        call.col_offset,
        f"inlining helper '{name}' here copies {sizes[name]} syntax nodes (helpers are inlined at "
        f"every call), and the program would grow to {total}; at most {MAX_INLINED_NODES} are "
        "supported (call helpers fewer times, or loop over a list)",
    )
    return False


def _inlined_size(
    fn: ast.FunctionDef, program: Program, sizes: dict[str, int], active: set[str]
) -> int:
    """``fn``'s syntax nodes with every helper call replaced by the helper's inlined body
    (recursion, reported by the lowering, counts once)."""
    total = sum(1 for _ in ast.walk(fn))
    active.add(fn.name)
    for _, name in _helper_calls(fn, program):
        if name in active:
            continue
        if name not in sizes:
            sizes[name] = _inlined_size(program.helpers[name], program, sizes, active)
        total += sizes[name]
        if total > 100 * MAX_INLINED_NODES:
            break  # large enough to refuse; the exact figure does not matter
    active.discard(fn.name)
    return total


def _helper_calls(fn: ast.FunctionDef, program: Program) -> Iterator[tuple[ast.Call, str]]:
    for node in ast.walk(fn):
        called = node.func if isinstance(node, ast.Call) else None
        if isinstance(called, ast.Name) and called.id in program.helpers:
            yield node, called.id  # type: ignore[misc]
