"""``route``: freeze call-site ids and record the backends a policy may choose from per site.

Sites are renumbered densely (0, 1, 2, ...) in program order and the module is marked
``sites_frozen = true``, after which ``route`` never renumbers again (later passes may delete
sites, never renumber them): policies, traces and checkpoints refer to these ids. Each call of
a function with configured backends (option ``backends``, else the module's ``backends.<fn>``
attributes) gets ``backends = [...]``: its cascade's members if it has one, else the function's
backends. With a configuration, a call whose function has no backends is an error.

Before (sites 4 and 9 survived earlier passes)::

    %a = fmpc.call(%patch, %seven) {fn = "exists", site = 4} : (Patch, Str) -> Bool
    %b = fmpc.call(%patch, %q) {fn = "simple_query", site = 9} : (Patch, Str) -> Str

After ``route{backends={exists=[cls-s,cls-l],simple_query=[vlm-s,vlm-l]}}``::

    module attributes {sites_frozen = true} { ...
    %a = fmpc.call(%patch, %seven) {fn = "exists", site = 0, backends = ["cls-s", "cls-l"]} : (Patch, Str) -> Bool
    %b = fmpc.call(%patch, %q) {fn = "simple_query", site = 1, backends = ["vlm-s", "vlm-l"]} : (Patch, Str) -> Str
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fmpc.ir.core import Module
from fmpc.ir.ops import CallOp
from fmpc.passes.analyses.cost import CostModel
from fmpc.passes.analyses.manager import AnalysisManager
from fmpc.passes.analyses.profile_data import ProfileData
from fmpc.passes.backend_config import backend_config
from fmpc.passes.base import Pass, PassError, PassResult, register_pass

FROZEN_ATTRIBUTE = "sites_frozen"
"""Module attribute set by ``route``: site ids are final."""


def _empty() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({})


@register_pass
@dataclass(frozen=True)
class Route(Pass):
    """Freeze call-site ids and record the backends a policy may choose from at each site.

    The module docstring gives the rules and a before/after example.
    """

    name = "route"
    backends: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        config = backend_config(module, self.backends)
        work = module.clone()
        calls = [op for op in work.walk() if isinstance(op, CallOp)]
        renumbering = {}
        if work.attributes.get(FROZEN_ATTRIBUTE) is not True:
            renumbering = {op.site: i for i, op in enumerate(calls)}
            for i, op in enumerate(calls):
                op.attributes["site"] = i
            work.attributes[FROZEN_ATTRIBUTE] = True
        recorded = any([self.record(op, config) for op in calls])
        renumbered = any(old != new for old, new in renumbering.items())
        if not renumbered and not recorded and module.attributes.get(FROZEN_ATTRIBUTE) is True:
            return PassResult.unchanged(module)
        return PassResult(
            work, True, frozenset({CostModel, ProfileData}), MappingProxyType(renumbering)
        )

    @staticmethod
    def record(op: CallOp, config: Mapping[str, tuple[str, ...]]) -> bool:
        """Set ``op``'s ``backends``; whether that changed it."""
        if not config:
            return False
        choices = op.attributes.get("cascade") or config.get(op.fn)
        if not choices:
            known = ", ".join(sorted(config)) or "none"
            raise PassError(
                f"no backends configured for '{op.fn}' (site {op.site}); configured: {known}"
            )
        choices = tuple(str(c) for c in choices)  # type: ignore[union-attr]
        if op.attributes.get("backends") == choices:
            return False
        op.attributes["backends"] = choices
        return True
