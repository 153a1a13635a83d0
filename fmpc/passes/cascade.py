"""``cascade``: serve a routable call by a cascade of backends, cheapest first.

For each call of a function with two or more backends (option ``backends``, else the module's
``backends.<fn>`` attributes; ordered by cost when ``AnalysisInputs.backend_costs`` knows every
one, else as listed; a call the program pinned to a backend is left alone), the call gets two
attributes::

    cascade = ["det-s", "det-m", "det-l"]    # backends to try, in order
    thresholds = [0.8, 0.9]                   # one per level but the last

**Run-time semantics** (implemented by the executor; see docs/passes.md): run ``cascade[0]`` on
the call's arguments; if its confidence (``BackendResult.confidence``) is at least
``thresholds[0]``, its output is the call's result; otherwise run ``cascade[1]``, and so on; the
last backend's output is always accepted. A failed item escalates as if its confidence were 0.
The call costs the sum of the backends that ran. For ``fmpc.call.batch`` the rule applies per
item (the items that escalate go on to the next backend together). The reference interpreter,
which has one callable per function and no confidences, runs a cascaded call as a plain call.

Thresholds, per site: ``site_thresholds={3=0.8}``; else calibrated from ``calibration`` (a sample
file, see :mod:`fmpc.passes.calibration`) with accuracy ``target``; else ``threshold``.

Before::

    %r = fmpc.call(%patch, %seven) {fn = "exists", site = 0} : (Patch, Str) -> Bool

After ``cascade{threshold=0.9,backends={exists=[cls-s,cls-l]}}``::

    %r = fmpc.call(%patch, %seven) {fn = "exists", site = 0, cascade = ["cls-s", "cls-l"], thresholds = [0.9]} : (Patch, Str) -> Bool
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fmpc.ir.core import Module, Op
from fmpc.ir.ops import CallOp
from fmpc.passes.analyses.cost import CostModel
from fmpc.passes.analyses.manager import AnalysisManager
from fmpc.passes.analyses.profile_data import ProfileData
from fmpc.passes.backend_config import backend_config, by_cost
from fmpc.passes.base import Pass, PassError, PassResult, register_pass
from fmpc.passes.calibration import CalibrationSample, calibrate


def _empty() -> Mapping[object, object]:
    return MappingProxyType({})


@register_pass
@dataclass(frozen=True)
class Cascade(Pass):
    """Serve each routable call that has two or more backends by a cascade, cheapest first,
    escalating when a backend's confidence is below its threshold.

    The module docstring gives the rules and a before/after example.
    """

    name = "cascade"
    threshold: float = 0.9
    site_thresholds: Mapping[int, float] = field(default_factory=_empty)  # type: ignore[arg-type]
    backends: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)  # type: ignore[arg-type]
    functions: tuple[str, ...] = ()
    calibration: str = ""
    target: float = 0.01

    def __post_init__(self) -> None:
        for where, value in [("threshold", self.threshold), *self.site_thresholds.items()]:
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold for {where} must be in [0, 1], got {value}")
        if not 0.0 <= self.target <= 1.0:
            raise ValueError(f"target must be in [0, 1], got {self.target}")

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        config = backend_config(module, self.backends)
        sample = CalibrationSample.load(self.calibration) if self.calibration else None
        work = module.clone()
        changed = False
        for op in work.walk():
            chain = self.chain(op, config, analyses)
            if chain is not None and isinstance(op, CallOp):
                op.attributes["cascade"] = chain
                op.attributes["thresholds"] = self.thresholds(op, chain, sample)
                changed = True
        if not changed:
            return PassResult.unchanged(module)
        return PassResult(work, True, frozenset({CostModel, ProfileData}))

    def chain(
        self, op: Op, config: Mapping[str, tuple[str, ...]], analyses: AnalysisManager
    ) -> tuple[str, ...] | None:
        """The cascade for ``op``, or ``None`` if it gets none."""
        if not isinstance(op, CallOp) or "cascade" in op.attributes or "pin" in op.attributes:
            return None  # already a cascade, or pinned to one backend by the program
        if self.functions and op.fn not in self.functions:
            return None
        names = op.attributes.get("backends") or config.get(op.fn, ())
        names = tuple(str(n) for n in names)  # type: ignore[union-attr]
        if len(names) < 2:
            return None
        return by_cost(names, analyses.inputs.backend_costs.get(op.fn, {}))

    def thresholds(
        self, op: CallOp, chain: tuple[str, ...], sample: CalibrationSample | None
    ) -> tuple[float, ...]:
        """One threshold per level but the last."""
        levels = len(chain) - 1
        if op.site in self.site_thresholds:
            return (float(self.site_thresholds[op.site]),) * levels
        records = sample.records(op.site, op.fn) if sample is not None else None
        if records is None:
            return (float(self.threshold),) * levels
        try:
            return calibrate(records, chain, self.target)
        except ValueError as exc:
            raise PassError(f"{self.calibration}: site {op.site} ({op.fn}): {exc}") from None
