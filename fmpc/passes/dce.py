"""``dce``: dead code elimination.

Erases ops whose results are unused and whose only effect is cost: pure ops that cannot fail,
routable calls (a backend call nobody reads is wasted), and ``if``/loops/``map``/... whose regions
neither fail nor leave early. Ops that may fail (``xs[i]``, ``a / b``, ``min`` of a list) stay even
when unused, so a program that fails keeps failing the same way.

Before::

    %n = fmpc.call(%patch, %q) {fn = "simple_query", site = 3} : (Patch, Str) -> Str
    %m = fmpc.str.lower(%n) : (Str) -> Str
    %r = fmpc.call(%patch, %seven) {fn = "exists", site = 4} : (Patch, Str) -> Bool
    fmpc.return(%r) : (Bool) -> ()

After (``%m`` is unused, then so is ``%n``)::

    %r = fmpc.call(%patch, %seven) {fn = "exists", site = 4} : (Patch, Str) -> Bool
    fmpc.return(%r) : (Bool) -> ()
"""

from __future__ import annotations

from dataclasses import dataclass

from fmpc.ir.core import Module
from fmpc.passes.analyses.manager import AnalysisManager
from fmpc.passes.base import Pass, PassResult, register_pass
from fmpc.passes.effects import is_removable, is_removable_without_calls
from fmpc.passes.rewrite import apply_patterns


@register_pass
@dataclass(frozen=True)
class DCE(Pass):
    """Erase unused ops that cannot fail, including unused routable calls (``calls=False``
    keeps the calls)."""

    name = "dce"
    calls: bool = True

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        work = module.clone()
        removable = is_removable if self.calls else is_removable_without_calls
        if not apply_patterns(work, (), erase_dead=removable):
            return PassResult.unchanged(module)
        return PassResult(work, True)
