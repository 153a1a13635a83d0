"""``batch``: a call made once per item of a list becomes one batched call over the list.

A routable call directly in the body of a ``fmpc.map``, ``fmpc.filter`` or ``fmpc.for`` over a
list, whose arguments are the loop's item or values from outside the loop, becomes one
``fmpc.call.batch`` before the loop (see :mod:`fmpc.ir.ops_batch`); the body reads its item's
output with ``fmpc.index``. Only where every item's call runs anyway: never in ``any``/``all``
(they stop early), never in a loop that can ``break`` or ``return`` (an early exit may depend on
the call), never after a ``continue`` in the body. So a backend sees one batch instead of ``n``
calls, and no input runs more calls than before.

Before::

    %answers = fmpc.map(%patches) : (List[Patch]) -> List[Str] {
    ^(%i: Int, %p: Patch):
      %a = fmpc.call(%p, %q) {fn = "simple_query", site = 2} : (Patch, Str) -> Str
      fmpc.yield(%a) : (Str) -> ()
    }

After::

    %0 = fmpc.call.batch(%patches, %q) {fn = "simple_query", site = 2, batched = [0]} : (List[Patch], Str) -> List[Str]
    %answers = fmpc.map(%patches) : (List[Patch]) -> List[Str] {
    ^(%i: Int, %p: Patch):
      %a = fmpc.index(%0, %i) : (List[Str], Int) -> Str
      fmpc.yield(%a) : (Str) -> ()
    }
"""

from __future__ import annotations

from dataclasses import dataclass

from fmpc.ir.core import Module, Op, Region, Value
from fmpc.ir.ops import CallOp, ConstOp, ContinueOp, FilterOp, ForOp, IndexOp, MapOp
from fmpc.ir.ops_batch import BatchCallOp
from fmpc.ir.rewriting import ancestor_in, defining_op, is_inside
from fmpc.ir.types import List
from fmpc.passes.analyses.cost import CostModel
from fmpc.passes.analyses.manager import AnalysisManager
from fmpc.passes.analyses.profile_data import ProfileData
from fmpc.passes.base import Pass, PassResult, register_pass
from fmpc.passes.effects import exits
from fmpc.passes.rewrite import RewritePattern, Rewriter, apply_patterns

LOOPS = (MapOp, FilterOp, ForOp)
"""Loops whose body runs once for every item (unless it leaves early)."""


class BatchCall(RewritePattern):
    """Replace a per-item call in a loop body by one batched call before the loop."""

    def applies_to(self, op: Op) -> bool:
        return type(op) is CallOp and isinstance(op.parent_op(), LOOPS)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        loop = op.parent_op()
        assert loop is not None and op.parent is not None
        body = op.parent
        index, item = body.args[0], body.args[1]
        if item not in op.operands or not self.runs_every_item(op, loop, body):
            return False
        if not all(v is item or _invariant(v, loop) for v in op.operands):
            return False
        operands = [self.outside(v, item, loop, rewriter) for v in op.operands]
        positions = tuple(i for i, v in enumerate(op.operands) if v is item)
        attributes = {**op.attributes, "batched": positions}
        batch = BatchCallOp(operands, [List(op.result.type)], attributes, loc=op.loc)
        if op.result.name_hint:
            batch.result.name_hint = f"{op.result.name_hint}_batch"
        rewriter.insert_before(loop, batch)
        pick = IndexOp([batch.result, index], [op.result.type], loc=op.loc)
        pick.result.name_hint = op.result.name_hint
        rewriter.replace_op(op, [rewriter.insert_before(op, pick).result])
        return True

    @staticmethod
    def outside(value: Value, item: Value, loop: Op, rw: Rewriter) -> Value:
        """The batched call's operand for the call's operand ``value``: the loop's list for
        the item, a copy before the loop for a constant made in the loop, else ``value``."""
        if value is item:
            return loop.operands[0]
        producer = defining_op(value)
        if isinstance(producer, ConstOp) and _defined_within(value, loop):
            copy = ConstOp([], [value.type], dict(producer.attributes), loc=producer.loc)
            copy.result.name_hint = value.name_hint
            return rw.insert_before(loop, copy).result
        return value

    @staticmethod
    def runs_every_item(op: Op, loop: Op, body: Region) -> bool:
        """Whether ``op`` runs once for each item: nothing in the body leaves the loop, and no
        ``continue`` can skip it."""
        position = body.ops.index(op)
        for term in exits(body):
            if not isinstance(term, ContinueOp):
                return False
            outer = ancestor_in(term, body)
            if outer is not None and body.ops.index(outer) < position:
                return False
        return True


def _invariant(value: Value, loop: Op) -> bool:
    """Whether ``value`` is the same in every iteration: defined outside, or a constant."""
    return not _defined_within(value, loop) or isinstance(defining_op(value), ConstOp)


def _defined_within(value: object, loop: Op) -> bool:
    owner = getattr(value, "owner", None)
    if isinstance(owner, Op):
        return owner is loop or is_inside(owner, loop.regions[0])
    if isinstance(owner, Region):
        return owner is loop.regions[0] or (
            owner.parent is not None and is_inside(owner.parent, loop.regions[0])
        )
    return False


@register_pass
@dataclass(frozen=True)
class Batch(Pass):
    """Turn a routable call made once per item of a list into one batched call over the list.

    The module docstring gives the rules and a before/after example.
    """

    name = "batch"

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        work = module.clone()
        if not apply_patterns(work, [BatchCall()]):
            return PassResult.unchanged(module)
        return PassResult(work, True, frozenset({CostModel, ProfileData}))
