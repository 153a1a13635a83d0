"""What an op may do besides computing its results: fail, leave a region, call a backend.

Passes ask these questions instead of op names. Traits answer most of them (``pure``,
``routable``, ``terminator``, ``loop``); this module adds the one the traits do not carry: whether
an op **may fail** at run time (division by zero, an index out of range, ``min`` of an empty list,
``int("x")``, a helper raising). Passes never move or delete an op that may fail in a way that
could change whether, or where, a program fails.

Routable calls are treated as total: a backend serves every well-typed input (a backend failure is
an operational error, not part of the program's meaning), so removing an unused call or running
a call later never changes an answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from fmpc.ir.core import Op, Region, Trait
from fmpc.ir.fstring import split_template
from fmpc.ir.ops import (
    BreakOp,
    CastOp,
    ContinueOp,
    FloorDivOp,
    FormatOp,
    ForOp,
    FuncOp,
    IndexOp,
    LibOp,
    MaxOp,
    MinOp,
    ModOp,
    ReturnOp,
    RoundOp,
    SplitOp,
    TrueDivOp,
)
from fmpc.ir.types import Float, Int, OptionalType, Str

TOTAL_HELPERS = frozenset(
    {
        "image_patch",
        "overlaps_with",
        "distance",
        "bool_to_yesno",
        "left",
        "right",
        "lower",
        "upper",
        "width",
        "height",
        "horizontal_center",
        "vertical_center",
    }
)
"""Library helpers (``fmpc.lib``) that never raise on well-typed arguments; others may."""

_ALWAYS_MAY_FAIL: frozenset[type[Op]] = frozenset(
    {TrueDivOp, FloorDivOp, ModOp, IndexOp, MinOp, MaxOp}
)


def may_fail(op: Op) -> bool:
    """Whether ``op`` itself (not its regions) can raise at run time."""
    if type(op) in _ALWAYS_MAY_FAIL:
        return True
    if isinstance(op, CastOp):
        source = op.operands[0].type
        if isinstance(source, OptionalType):  # unwrapping fails on None
            return op.result.type == source.inner
        return op.result.type in (Int, Float) and source in (Float, Str)
    if isinstance(op, RoundOp):
        return len(op.operands) == 1 and op.operands[0].type == Float
    if isinstance(op, SplitOp):
        return len(op.operands) == 2
    if isinstance(op, FormatOp):
        return any(spec for _, spec in split_template(str(op.attributes["template"])))
    if isinstance(op, LibOp):
        return op.fn not in TOTAL_HELPERS
    return False


def exits(region: Region) -> Iterator[Op]:
    """Terminators inside ``region`` that leave it other than by its own ``fmpc.yield``:
    every ``fmpc.return``, and ``fmpc.break`` / ``fmpc.continue`` not caught by a loop nested in
    ``region``."""
    for op in region.ops:
        if isinstance(op, ReturnOp | BreakOp | ContinueOp):
            yield op
        for inner in op.regions:
            for term in exits(inner):
                if isinstance(op, ForOp) and isinstance(term, BreakOp | ContinueOp):
                    continue
                yield term


def op_exits(op: Op) -> bool:
    """Whether running ``op`` can leave the region it sits in (it is, or contains, an exit)."""
    if isinstance(op, ReturnOp | BreakOp | ContinueOp):
        return True
    for region in op.regions:
        for term in exits(region):
            if not (isinstance(op, ForOp) and isinstance(term, BreakOp | ContinueOp)):
                return True
    return False


def can_fail(op: Op) -> bool:
    """Whether ``op`` or any op nested in it may fail."""
    return any(may_fail(inner) for inner in op.walk())


def region_can_fail(region: Region) -> bool:
    """Whether any op in ``region`` (at any depth) may fail."""
    return any(may_fail(op) for op in region.walk())


def is_removable(op: Op) -> bool:
    """Whether ``op`` may be deleted when its results are unused: it neither fails nor leaves
    its region, has no effect but its results (pure, or region ops and routable calls whose only
    effect is cost), and is not a terminator or a function."""
    if op.has_trait(Trait.TERMINATOR) or isinstance(op, FuncOp):
        return False
    return not can_fail(op) and not op_exits(op)


def is_removable_without_calls(op: Op) -> bool:
    """:func:`is_removable`, and no routable call inside: erasing it saves no backend call (the
    rewrite driver's clean-up; removing unused calls is ``dce``'s job)."""
    return is_removable(op) and not any(inner.has_trait(Trait.ROUTABLE) for inner in op.walk())


def routable_ops(region: Region) -> list[Op]:
    """The routable calls in ``region`` at any depth, in program order."""
    return [op for op in region.walk() if op.has_trait(Trait.ROUTABLE)]
