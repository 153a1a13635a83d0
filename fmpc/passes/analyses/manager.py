"""Analyses: facts about a module computed on demand and cached until a pass invalidates them.

An analysis is a class with ``compute(module, analyses)``; ``analyses.get(CostModel)`` computes it
for the manager's module the first time and returns the cached object afterwards. When a pass
changes the module, the pass manager moves to the new module and keeps only the analyses the pass
listed in ``PassResult.preserved``; analyses that hold references to the old module's ops
(``identity_bound``, like the use-def graph) are never kept across a change, since every pass
works on a copy.

What analyses read besides the module (profile data, backend costs, cost priors) comes in an
:class:`AnalysisInputs`, fixed for a whole pipeline run.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import ClassVar, TypeVar

from fmpc.ir.core import Module
from fmpc.passes.analyses.profile import Profile

A = TypeVar("A", bound="Analysis")

DEFAULT_COST_PRIORS: Mapping[str, float] = MappingProxyType(
    {
        "find": 4.0,
        "exists": 2.0,
        "verify_property": 2.0,
        "best_text_match": 2.0,
        "simple_query": 4.0,
        "query": 8.0,
        "compute_depth": 2.0,
        "llm_query": 8.0,
        "best_image_match": 4.0,
    }
)
"""Declared relative cost of one call of each generic function when no backend cost is known
(unitless; only ratios matter). Functions not listed cost ``1.0``."""


@dataclass(frozen=True)
class AnalysisInputs:
    """What analyses know besides the module, fixed for a pipeline run.

    ``profile``: counts from earlier runs (see :class:`Profile`). ``backend_costs``: the cost of
    one call per function and backend name (``{"find": {"det-s": 1.0, "det-l": 9.0}}``), e.g. from
    the runtime's backend config. ``cost_priors``: declared cost per function when no backend
    cost is known.
    """

    profile: Profile | None = None
    backend_costs: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    cost_priors: Mapping[str, float] = field(default_factory=lambda: DEFAULT_COST_PRIORS)


class Analysis(abc.ABC):
    """Base of analyses. Subclasses implement :meth:`compute`; set ``identity_bound`` when the
    result refers to the module's op objects."""

    identity_bound: ClassVar[bool] = False

    @classmethod
    @abc.abstractmethod
    def compute(cls: type[A], module: Module, analyses: AnalysisManager) -> A:
        """Compute this analysis of ``module`` (other analyses via ``analyses.get``)."""


class AnalysisManager:
    """Computes analyses of one module on demand and caches them.

    Not shared between pipeline runs; safe to use from several threads.
    """

    def __init__(self, module: Module, inputs: AnalysisInputs | None = None) -> None:
        self.module = module
        self.inputs = inputs or AnalysisInputs()
        self._cache: dict[type[Analysis], Analysis] = {}
        self._lock = threading.RLock()

    def get(self, kind: type[A]) -> A:
        """The analysis ``kind`` of this manager's module (computed once, then cached)."""
        with self._lock:
            cached = self._cache.get(kind)
            if cached is None:
                cached = kind.compute(self.module, self)
                self._cache[kind] = cached
            return cached  # type: ignore[return-value]

    def is_cached(self, kind: type[Analysis]) -> bool:
        """Whether ``kind`` has been computed and is still valid."""
        return kind in self._cache

    def advance(
        self,
        module: Module,
        preserved: frozenset[type[Analysis]],
        site_renumbering: Mapping[int, int] | None = None,
    ) -> AnalysisManager:
        """A manager for ``module`` (a pass's output) keeping the ``preserved`` analyses that
        do not refer to the old module's ops. With ``site_renumbering`` (old id -> new id), the
        profile input is renumbered and every analysis is recomputed."""
        if module is self.module:
            return self
        inputs = self.inputs
        if site_renumbering and any(old != new for old, new in site_renumbering.items()):
            if inputs.profile is not None:
                inputs = replace(inputs, profile=inputs.profile.renumbered(site_renumbering))
            preserved = frozenset()
        nxt = AnalysisManager(module, inputs)
        with self._lock:
            for kind, value in self._cache.items():
                if kind in preserved and not kind.identity_bound:
                    nxt._cache[kind] = value
        return nxt
