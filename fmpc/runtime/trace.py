"""What a run did: one ``SiteCall`` per backend call, gathered in a ``Trace``, and the
``ExecutionResult`` the executor returns for each input.

Every execution of a routable call site leaves at least one ``SiteCall``: the backend the policy
chose (``via="policy"``), then, if it failed, the fallback that replaced it
(``via="fallback"``, ``fell_back_from`` naming the failed backend), or, at a cascade site, each
step of the cascade (``via="cascade"``); a pinned site calls its backend (``via="pin"``).
Sites that never ran leave nothing and cost nothing.
Costs are per item, in the backends' unit (FLOPs for JAX backends); a call served from the
execution cache is charged what the backend charged when it ran (``cached=True``), so that a
policy's cost does not depend on which policy happened to fill the cache first::

    result = executor.run(image)
    result.trace.backend_cost + result.trace.policy_cost == result.cost
    [(c.site, c.backend, c.confidence) for c in result.trace.calls]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Via = Literal["policy", "fallback", "cascade", "pin", "recheck"]
"""Why a backend was called: the policy chose it, it replaced a failed backend, it is a step
of a cascade site, the call is pinned to it, or the policy asked for a second run of the program
(``Episode.recheck``)."""


@dataclass(frozen=True, slots=True)
class SiteCall:
    """One backend call for one execution of a call site.

    ``execution`` counts the earlier executions of ``site`` on this input (a site in a loop runs
    many times); ``choice`` is the backend's index among the site's choices (``SiteInfo.backends``)
    or ``None`` when it is not one of them (a fallback from outside the site's list). ``output``
    is ``None`` and ``error`` the reason when the call failed.
    """

    site: int
    fn: str
    backend: str
    cost: float
    output: Any
    confidence: float
    latency_s: float
    cached: bool = False
    error: str | None = None
    fell_back_from: str | None = None
    via: Via = "policy"
    execution: int = 0
    choice: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the call produced an output."""
        return self.error is None


@dataclass(frozen=True)
class Trace:
    """Every backend call of one run, in the order they happened, and what the policy cost.

    ``policy_cost`` is the policy's own compute for this input (same unit as backend costs);
    ``decision_time_s`` the time spent in the policy: the wall time of ``start`` (a window's
    ``start_window`` shared equally by its inputs) plus the CPU time of the input's thread in
    every ``decide`` and ``recheck`` (so the other runs of a window, which share the
    interpreter, do not inflate it).
    """

    input_id: str
    calls: tuple[SiteCall, ...] = ()
    policy_cost: float = 0.0
    decision_time_s: float = 0.0

    @property
    def backend_cost(self) -> float:
        """The cost of every backend call of the run (failed ones included)."""
        return sum(call.cost for call in self.calls)

    @property
    def total_cost(self) -> float:
        """``backend_cost + policy_cost``: what the input cost in all."""
        return self.backend_cost + self.policy_cost

    @property
    def executed_sites(self) -> frozenset[int]:
        """The sites that ran at least once."""
        return frozenset(call.site for call in self.calls)

    def calls_at(self, site: int) -> tuple[SiteCall, ...]:
        """The calls made at ``site``, in order."""
        return tuple(call for call in self.calls if call.site == site)

    def decisions(self) -> tuple[SiteCall, ...]:
        """The calls the policy chose (``via == "policy"``), one per site execution it decided."""
        return tuple(call for call in self.calls if call.via == "policy")

    def cost_by_site(self) -> Mapping[int, float]:
        """The cost of each executed site (all its executions and fallbacks)."""
        costs: dict[int, float] = {}
        for call in self.calls:
            costs[call.site] = costs.get(call.site, 0.0) + call.cost
        return costs


@dataclass(frozen=True)
class ExecutionResult:
    """The outcome of running a program on one input.

    ``answer`` is the program's answer (``None`` when ``error`` is set); ``cost`` the input's total
    cost (``trace.total_cost``). ``error`` says why the run failed (a backend failing with no
    fallback left, a program error, the policy failing); the trace keeps every call made before.
    """

    input_id: str
    answer: Any
    cost: float
    trace: Trace = field(repr=False)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the run produced an answer."""
        return self.error is None
