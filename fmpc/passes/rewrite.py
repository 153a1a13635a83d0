"""Pattern rewriting: patterns that match one op and rewrite it, driven by a worklist.

A pattern is a small class with ``match_and_rewrite(op, rewriter) -> bool`` (as in xDSL/MLIR).
Most patterns are one-line :class:`Rule` s: an op class, a function returning the value that
replaces the op's result (or ``None`` when it does not apply) and the identity it implements::

    RULES = (
        Rule(NotOp, not_not, "not not x -> x"),
        Rule(AndOp, drop_true_operands, "x and True -> x"),
    )
    changed = apply_patterns(module, RULES)

:func:`apply_patterns` visits every op, tries the patterns on it, and after each rewrite revisits
the ops the rewrite touched (users of replaced values, new ops, enclosing ops) until nothing
applies. The :class:`Rewriter` it hands to patterns keeps a use list for every value, so
replacing all uses of a value does not walk the module.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from fmpc.ir import rewriting
from fmpc.ir.core import Module, Op, Region, Value
from fmpc.passes.effects import is_removable_without_calls

MAX_REWRITES = 100_000
"""Bound on rewrites in one :func:`apply_patterns` call (a pattern set that loops hits it)."""


class RewriteLoopError(RuntimeError):
    """Patterns kept rewriting without reaching a fixed point (two rules undo each other)."""


class Rewriter:
    """Changes a module in place and keeps its use lists and the driver's worklist up to date.

    Patterns must change IR only through these methods (or call :meth:`notify` afterwards).
    """

    def __init__(self, module: Module) -> None:
        self.module = module
        self._users: dict[Value, list[Op]] = {}
        self._worklist: list[Op] = []
        self._queued: set[Op] = set()
        self.changed = False
        for op in module.walk():
            self._add_uses(op)

    # ------------------------------------------------------------ queries
    def users(self, value: Value) -> list[Op]:
        """The ops using ``value`` (an op using it twice appears twice)."""
        return list(self._users.get(value, ()))

    def has_uses(self, value: Value) -> bool:
        """Whether any op uses ``value``."""
        return bool(self._users.get(value))

    def is_dead(self, op: Op) -> bool:
        """Whether none of ``op``'s results is used."""
        return not any(self.has_uses(r) for r in op.results)

    # ------------------------------------------------------------ changes
    def replace_all_uses(self, old: Value, new: Value) -> None:
        """Make every user of ``old`` use ``new`` instead."""
        if old is new:
            return
        for user in self._users.pop(old, []):
            for i, operand in enumerate(user.operands):
                if operand is old:
                    user.operands[i] = new
            self._users.setdefault(new, []).append(user)
            self.notify(user)
        self.changed = True

    def replace_op(self, op: Op, values: Sequence[Value]) -> None:
        """Replace each result of ``op`` by the matching value of ``values`` and erase ``op``."""
        for result, value in zip(op.results, values, strict=True):
            if value.name_hint is None and isinstance(value.owner, Op):
                value.name_hint = result.name_hint
            self.replace_all_uses(result, value)
        self.erase_op(op)

    def erase_op(self, op: Op) -> None:
        """Erase ``op`` and the ops nested in it; its results must be unused."""
        if not self.is_dead(op):
            raise ValueError(f"cannot erase {op.name}: its results are still used")
        for inner in op.walk():
            self._remove_uses(inner)
            self._queued.discard(inner)
        parent = op.parent_op()
        rewriting.erase_op(op)
        if parent is not None:
            self.notify(parent)
        self.changed = True

    def erase_after(self, op: Op) -> None:
        """Erase every op after ``op`` in its region (code that can no longer run), last first."""
        region = op.parent
        assert region is not None
        for later in reversed(region.ops[region.ops.index(op) + 1 :]):
            self.erase_op(later)

    def insert_before(self, anchor: Op, op: Op) -> Op:
        """Insert the new ``op`` before ``anchor`` and queue it; returns ``op``."""
        rewriting.insert_before(anchor, op)
        self._added(op)
        return op

    def insert_at_start(self, region: Region, op: Op) -> Op:
        """Insert the new ``op`` at the start of ``region``."""
        region.insert(0, op)
        self._added(op)
        return op

    def append(self, region: Region, op: Op) -> Op:
        """Append the new ``op`` at the end of ``region``."""
        region.append(op)
        self._added(op)
        return op

    def move_before(self, op: Op, anchor: Op) -> None:
        """Move the existing ``op`` before ``anchor``."""
        old_parent = op.parent_op()
        rewriting.move_before(op, anchor)
        self._moved(op, old_parent)

    def move_to_start(self, op: Op, region: Region) -> None:
        """Move the existing ``op`` to the start of ``region``."""
        old_parent = op.parent_op()
        rewriting.move_to_start(op, region)
        self._moved(op, old_parent)

    def move_to_end(self, op: Op, region: Region) -> None:
        """Move the existing ``op`` to the end of ``region``."""
        old_parent = op.parent_op()
        rewriting.erase_op(op)
        region.append(op)
        self._moved(op, old_parent)

    def inline_region_before(self, region: Region, anchor: Op) -> list[Value]:
        """Move an argument-less region's ops before ``anchor``; returns what it yielded."""
        terminator = region.terminator
        values = rewriting.inline_region_before(region, anchor)
        if terminator is not None:
            self._remove_uses(terminator)
        for op in rewriting.ancestors(anchor):
            self.notify(op)
        self.notify(anchor)
        self.changed = True
        return values

    def drop_region(self, op: Op, index: int) -> Region:
        """Detach region ``index`` of ``op`` (with its ops) and return it."""
        region = op.regions.pop(index)
        region.parent = None
        for inner in region.walk():
            self._remove_uses(inner)
            self._queued.discard(inner)
        self.modified(op)
        return region

    def adopt_region(self, op: Op, index: int, region: Region) -> None:
        """Attach the detached ``region`` to ``op`` as its region ``index``."""
        op.regions.insert(index, region)
        region.parent = op
        for inner in region.walk():
            self._add_uses(inner)
            self.notify(inner)
        self.modified(op)

    def set_operand(self, op: Op, index: int, value: Value) -> None:
        """Make operand ``index`` of ``op`` be ``value``."""
        self._remove_uses(op)
        op.operands[index] = value
        self._add_uses(op)
        self.notify(op)
        self.changed = True

    def modified(self, op: Op) -> None:
        """Record that ``op`` was changed in place (attributes, regions reordered, ...)."""
        self.notify(op)
        self.changed = True

    def notify(self, op: Op) -> None:
        """Queue ``op`` (and the ops around it) to be visited again."""
        for target in (op, op.parent_op()):
            if target is not None and target not in self._queued:
                self._queued.add(target)
                self._worklist.append(target)

    # ------------------------------------------------------------ worklist
    def pop(self) -> Op | None:
        """The next op to visit, or ``None`` when the worklist is empty."""
        while self._worklist:
            op = self._worklist.pop()
            if op in self._queued:
                self._queued.discard(op)
                if self._attached(op):
                    return op
        return None

    def _attached(self, op: Op) -> bool:
        region = op.parent
        while region is not None:
            if region is self.module.body:
                return True
            owner = region.parent
            region = owner.parent if owner is not None else None
        return False

    def queue_all(self) -> None:
        """Queue every op of the module (so they come out in program order)."""
        for op in reversed(list(self.module.walk())):
            if op not in self._queued:
                self._queued.add(op)
                self._worklist.append(op)

    # ------------------------------------------------------------ bookkeeping
    def _added(self, op: Op) -> None:
        for inner in op.walk():
            self._add_uses(inner)
            self.notify(inner)
        self.changed = True

    def _moved(self, op: Op, old_parent: Op | None) -> None:
        if old_parent is not None:
            self.notify(old_parent)
        self.notify(op)
        for operand in op.operands:
            producer = rewriting.defining_op(operand)
            if producer is not None:
                self.notify(producer)
        self.changed = True

    def _add_uses(self, op: Op) -> None:
        for value in op.operands:
            self._users.setdefault(value, []).append(op)

    def _remove_uses(self, op: Op) -> None:
        for value in op.operands:
            users = self._users.get(value)
            if users is None:
                continue
            if op in users:
                users.remove(op)
            producer = rewriting.defining_op(value)
            if producer is not None:
                self.notify(producer)


class RewritePattern(abc.ABC):
    """Matches one op and rewrites it through the :class:`Rewriter`.

    ``op_types`` narrows which ops are offered (empty: all ops).
    """

    op_types: tuple[type[Op], ...] = ()

    def applies_to(self, op: Op) -> bool:
        """Whether the driver should offer ``op`` to this pattern."""
        return not self.op_types or isinstance(op, self.op_types)

    @abc.abstractmethod
    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        """Rewrite ``op`` if the pattern matches; return whether it changed anything."""


RuleFn = Callable[[Op, Rewriter], Value | None]
"""A rule's body: the value replacing the op's single result, or ``None`` if it does not apply.
It may insert new ops before the op (through the rewriter) to build that value."""


@dataclass(frozen=True)
class Rule(RewritePattern):
    """A one-line rewrite: for ops of class ``op``, ``rewrite`` returns the replacement of the
    op's result. ``identity`` states the rule (``"not not x -> x"``)."""

    op: type[Op]
    rewrite: RuleFn
    identity: str

    @property
    def op_types(self) -> tuple[type[Op], ...]:  # type: ignore[override]
        return (self.op,)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        replacement = self.rewrite(op, rewriter)
        if replacement is None:
            return False
        rewriter.replace_op(op, [replacement])
        return True


def apply_patterns(
    module: Module,
    patterns: Iterable[RewritePattern],
    *,
    erase_dead: Callable[[Op], bool] | None = is_removable_without_calls,
) -> bool:
    """Rewrite ``module`` in place with ``patterns`` until none applies; return whether it
    changed. Unused ops for which ``erase_dead`` holds are erased on the way (``None``: keep
    them). Raises :class:`RewriteLoopError` after ``MAX_REWRITES`` rewrites."""
    pattern_list = list(patterns)
    rewriter = Rewriter(module)
    rewriter.queue_all()
    steps = 0
    while (op := rewriter.pop()) is not None:
        if erase_dead is not None and rewriter.is_dead(op) and erase_dead(op):
            rewriter.erase_op(op)
            continue
        for pattern in pattern_list:
            if pattern.applies_to(op) and pattern.match_and_rewrite(op, rewriter):
                steps += 1
                if steps > MAX_REWRITES:
                    raise RewriteLoopError(
                        f"patterns did not reach a fixed point after {MAX_REWRITES} rewrites "
                        f"(last: {type(pattern).__name__} on {op.name})"
                    )
                break
    return rewriter.changed
