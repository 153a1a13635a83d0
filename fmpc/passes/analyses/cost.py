"""The cost model: the expected cost of each routable call site, and of regions.

One execution of a call costs, in order of preference: the mean cost observed at the site in the
profile; the mean of the known costs of the backends the site may use (its ``cascade`` or
``backends`` attribute, else every backend listed for its function in
``AnalysisInputs.backend_costs``); the declared prior of its function
(``AnalysisInputs.cost_priors``); else ``1.0``.

How often a call runs per program run comes from the profile when the site was profiled, else
from a static prior: every enclosing loop (``for``, ``map``, ``filter``, ``any``, ``all``, a key
region) multiplies by ``LOOP_TRIPS_PRIOR``; every conditionally run region (a branch of ``if``, an
operand of ``and``/``or`` after the first) multiplies by ``LAZY_REGION_PRIOR``.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from fmpc.ir.core import Module, Op, Region, Trait
from fmpc.ir.ops import AndOp, FuncOp, IfOp, OrOp
from fmpc.passes.analyses.manager import Analysis, AnalysisManager
from fmpc.passes.analyses.profile_data import ProfileData

LOOP_TRIPS_PRIOR = 4.0
"""Assumed iterations of a loop whose trip count is unknown."""

LAZY_REGION_PRIOR = 0.5
"""Assumed probability that a conditionally run region runs."""


@dataclass(frozen=True)
class CostModel(Analysis):
    """Expected costs of call sites and regions (see the module docstring)."""

    profile: ProfileData
    backend_costs: Mapping[str, Mapping[str, float]]
    priors: Mapping[str, float]

    @classmethod
    def compute(cls, module: Module, analyses: AnalysisManager) -> CostModel:
        inputs = analyses.inputs
        return cls(analyses.get(ProfileData), inputs.backend_costs, inputs.cost_priors)

    def unit_cost(self, call: Op) -> float:
        """The expected cost of one execution of the routable ``call``."""
        site = call.attributes.get("site")
        if isinstance(site, int):
            observed = self.profile.cost_per_execution(site)
            if observed is not None:
                return observed
        fn = str(call.attributes.get("fn"))
        known = self.backend_costs.get(fn, {})
        names = call.attributes.get("cascade") or call.attributes.get("backends") or tuple(known)
        pin = call.attributes.get("pin")
        if isinstance(pin, str):
            names = (pin,)
        elif isinstance(pin, int) and isinstance(names, tuple) and 0 <= pin < len(names):
            names = (names[pin],)
        costs = [known[n] for n in names if isinstance(n, str) and n in known]  # type: ignore[union-attr]
        if costs:
            return float(statistics.fmean(costs))
        return float(self.priors.get(fn, 1.0))

    def multiplicity(self, op: Op, within: Region | None = None) -> float:
        """Prior expected executions of ``op`` per execution of ``within`` (default: per run
        of its function), from the loops and conditional regions around it."""
        factor = 1.0
        current = op
        while current.parent is not None and current.parent is not within:
            region = current.parent
            owner = region.parent
            if owner is None or isinstance(owner, FuncOp):
                break
            factor *= _region_factor(owner, owner.regions.index(region))
            current = owner
        return factor

    def executions(self, call: Op) -> float:
        """Expected executions of ``call`` per program run (profile, else the static prior)."""
        site = call.attributes.get("site")
        if isinstance(site, int):
            observed = self.profile.executions_per_run(site)
            if observed is not None:
                return observed
        return self.multiplicity(call)

    def site_cost(self, call: Op) -> float:
        """Expected cost of ``call`` per program run."""
        return self.unit_cost(call) * self.executions(call)

    def region_cost(self, region: Region) -> float:
        """Expected cost of the calls in ``region`` per execution of it."""
        return sum(
            self.unit_cost(op) * self.multiplicity(op, within=region)
            for op in region.walk()
            if op.has_trait(Trait.ROUTABLE)
        )

    def module_cost(self, module: Module) -> float:
        """Expected cost of one run of ``module``."""
        return sum(self.site_cost(op) for op in module.routable_calls())


def _region_factor(owner: Op, index: int) -> float:
    if owner.has_trait(Trait.LOOP) or (owner.regions and owner.regions[0].args):
        return LOOP_TRIPS_PRIOR
    if isinstance(owner, IfOp) or (isinstance(owner, AndOp | OrOp) and index > 0):
        return LAZY_REGION_PRIOR
    return 1.0
