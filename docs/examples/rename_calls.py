"""The pass written in docs/writing-a-pass.md: send the calls of one generic function to another.

Run it with ``fmpc opt prog.fmp --load docs/examples/rename_calls.py -p "rename-calls{...}"``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fmpc.ir import Module, Op
from fmpc.ir.ops import CallOp
from fmpc.passes import (
    AnalysisManager,
    Pass,
    PassResult,
    RewritePattern,
    Rewriter,
    apply_patterns,
    register_pass,
)


class RenameCall(RewritePattern):
    """fn(args) -> other_fn(args): a call of ``old`` becomes a call of ``new``."""

    op_types = (CallOp,)

    def __init__(self, old: str, new: str) -> None:
        self.old = old
        self.new = new

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        if op.attributes["fn"] != self.old:
            return False
        op.attributes["fn"] = self.new
        rewriter.modified(op)
        return True


@register_pass
@dataclass(frozen=True)
class RenameCalls(Pass):
    """Serve every call of the generic function ``old`` with the function ``new``."""

    name = "rename-calls"
    old: str = "query"
    new: str = "simple_query"

    def __post_init__(self) -> None:
        if self.old == self.new:
            raise ValueError(f"old and new name the same function '{self.old}'")

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        work = module.clone()
        if not apply_patterns(work, [RenameCall(self.old, self.new)]):
            return PassResult.unchanged(module)
        return PassResult(work, changed=True)
