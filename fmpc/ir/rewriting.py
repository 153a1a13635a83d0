"""Small, general helpers for changing IR in place: replace uses, erase, insert, move, inline.

They keep parent links right and nothing else: they do not check types or scoping (run the
verifier afterwards) and keep no use lists (``fmpc.passes.rewrite.Rewriter`` does, for passes
that rewrite a lot). Every helper works on one module's ops; a pass calls them on its own clone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fmpc.ir.core import Module, Op, Region, Value
from fmpc.ir.ops import YieldOp


def replace_uses(ops: Iterable[Op], old: Value, new: Value) -> int:
    """Make every op in ``ops`` use ``new`` where it used ``old``; returns how many operands
    changed. Pass ``module.walk()`` to replace every use in a module."""
    count = 0
    for op in ops:
        for i, operand in enumerate(op.operands):
            if operand is old:
                op.operands[i] = new
                count += 1
    return count


def erase_op(op: Op) -> None:
    """Detach ``op`` (with its regions) from its region. Its results must be unused."""
    if op.parent is not None:
        op.parent.remove(op)


def insert_before(anchor: Op, op: Op) -> Op:
    """Insert ``op`` right before ``anchor`` in ``anchor``'s region and return it."""
    region = _region_of(anchor)
    region.insert(region.ops.index(anchor), op)
    return op


def insert_after(anchor: Op, op: Op) -> Op:
    """Insert ``op`` right after ``anchor`` in ``anchor``'s region and return it."""
    region = _region_of(anchor)
    region.insert(region.ops.index(anchor) + 1, op)
    return op


def move_before(op: Op, anchor: Op) -> None:
    """Move ``op`` (from wherever it is) to right before ``anchor``."""
    erase_op(op)
    insert_before(anchor, op)


def move_to_start(op: Op, region: Region) -> None:
    """Move ``op`` to the start of ``region``."""
    erase_op(op)
    region.insert(0, op)


def inline_region_before(region: Region, anchor: Op) -> list[Value]:
    """Move the ops of an argument-less ``region`` that ends in ``fmpc.yield`` to right before
    ``anchor``; returns the values the region yielded (its terminator is dropped)."""
    if region.args:
        raise ValueError("cannot inline a region that takes arguments")
    terminator = region.terminator
    if not isinstance(terminator, YieldOp):
        raise ValueError("can only inline a region that ends in fmpc.yield")
    for op in list(region.ops[:-1]):
        move_before(op, anchor)
    region.remove(terminator)
    return list(terminator.operands)


def ancestors(op: Op) -> Iterator[Op]:
    """The ops whose regions (transitively) contain ``op``, innermost first."""
    parent = op.parent_op()
    while parent is not None:
        yield parent
        parent = parent.parent_op()


def ancestor_in(op: Op, region: Region) -> Op | None:
    """The op of ``region`` that is ``op`` or contains it; ``None`` if ``op`` is not inside."""
    current: Op | None = op
    while current is not None:
        if current.parent is region:
            return current
        current = current.parent_op()
    return None


def is_inside(op: Op, region: Region) -> bool:
    """Whether ``op`` sits in ``region`` or in a region nested in it."""
    return ancestor_in(op, region) is not None


def defining_op(value: Value) -> Op | None:
    """The op whose result ``value`` is (``None`` for a region argument)."""
    return value.owner if isinstance(value.owner, Op) else None


def clone_with_op_map(module: Module) -> tuple[Module, dict[Op, Op]]:
    """A deep copy of ``module`` and the map from each of its ops to the copy's op."""
    copy = module.clone()
    return copy, dict(zip(module.walk(), copy.walk(), strict=True))


def _region_of(op: Op) -> Region:
    if op.parent is None:
        raise ValueError(f"{op.name} is not in a region")
    return op.parent
