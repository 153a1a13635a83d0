"""The hindsight oracle: for one input and its label, the cheapest assignment of backends to call
sites whose answer is correct, else the cheapest among the best (all wrong: the cheapest of all).

It is a limit to measure policies against, never a deployable method: it needs the label before
deciding. ``oracle_assignment`` searches assignments by running the program with an
``ExecutionCache``, so each backend call runs at most once per (input, site, backend, arguments)
however many assignments share it::

    found = oracle_assignment(module, table, image, "yes", cache)
    found.backends   # {0: "det-s", 2: "cls-l"}: a backend per site that executed
    found.cost, found.correct, found.runs

**Search.** Uniform-cost search over partial assignments, cheapest first: a partial assignment is
run until it reaches a site it does not assign; the sites reached are the only ones that matter
(an early exit skips the others), so the tree branches only there, one child per backend, each
bounded below by the cost spent so far (ties: the backend with the smaller nominal cost first). A run that completes is
queued again with its actual cost; the first correct complete run taken from the queue is the
cheapest correct assignment. When no assignment is correct the search is exhaustive and returns
the cheapest complete one. ``max_runs`` bounds the program runs per input (``exhaustive`` is
``False`` when it stopped the search; the best assignment found so far is returned).

A site inside a loop gets one backend for all its executions.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fmpc.ir.core import Module
from fmpc.policies.base import BasePolicy, PolicyError, register_policy
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.cache import ExecutionCache
from fmpc.runtime.executor import Executor
from fmpc.runtime.policy import EXECUTION, Episode, Feedback, SiteInfo
from fmpc.runtime.trace import ExecutionResult

DEFAULT_MAX_RUNS = 4096
"""Program runs the oracle spends on one input at most (3 backends at 7 executed sites: 3280)."""

Plan = Callable[[int, int], int | None]
"""``plan(site, execution) -> backend index`` or ``None`` when the plan leaves it open."""


# ---------------------------------------------------------------- running a plan


class _Unassigned(LookupError):
    """A plan reached a site it does not assign."""


class _PlanEpisode(Episode):
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.missing: int | None = None

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        choice = self.plan(site, int(features.get(EXECUTION, 0)))
        if choice is None:
            self.missing = site
            raise _Unassigned(f"site {site} is not assigned")
        return choice


class _PlanPolicy(BasePolicy):
    """What a ``PlanRunner``'s executor is bound with: every run passes its own episode."""

    window = 1

    @property
    def name(self) -> str:
        """``plan``."""
        return "plan"

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """An episode that assigns nothing (a runner passes each run's plan instead)."""
        return _PlanEpisode(lambda site, execution: None)


@dataclass(frozen=True)
class PlanRunner:
    """Runs a program on inputs with explicit plans, sharing one ``cache`` (what the oracle and
    cascade calibration use). ``sites`` are the routed sites; ``costs`` as for ``Executor``.
    One executor serves every run (each with its plan's episode), so a run costs only itself."""

    module: Module
    backends: BackendTable
    cache: ExecutionCache
    costs: Mapping[tuple[str, str], float] = field(default_factory=dict)
    executor: Executor = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        executor = Executor(
            self.module,
            self.backends,
            _PlanPolicy(),
            cache=self.cache,
            costs=self.costs,
            verify_module=False,
        )
        object.__setattr__(self, "executor", executor)

    @classmethod
    def of(
        cls,
        program: Executor | Module,
        backends: BackendTable | None = None,
        cache: ExecutionCache | None = None,
        costs: Mapping[tuple[str, str], float] | None = None,
    ) -> PlanRunner:
        """A runner for an executor's program, backends and cache, or for a module."""
        if isinstance(program, Executor):
            known = {
                (i.fn, b): c
                for i in program.all_sites.values()
                for b, c in zip(i.backends, i.costs, strict=True)
            }
            return cls(
                program.module,
                backends or program.table,
                shared_cache(cache, program.cache),
                {**known, **(costs or {})},
            )
        if backends is None:
            raise PolicyError("running a module needs its backends (a BackendTable)")
        return cls(program, backends, shared_cache(cache), dict(costs or {}))

    @property
    def sites(self) -> Mapping[int, SiteInfo]:
        """The sites a plan decides (those without a cascade)."""
        return self.executor.sites

    def run(self, image: Any, plan: Plan) -> tuple[ExecutionResult, int | None]:
        """Run ``plan`` on ``image``: the result and the first site it left open (or ``None``)."""
        episode = _PlanEpisode(plan)
        result = self.executor.run(image, episode=episode)
        return result, episode.missing


def shared_cache(*caches: ExecutionCache | None) -> ExecutionCache:
    """The first of ``caches`` that is not ``None`` (an empty cache is falsy), else a new one."""
    for cache in caches:
        if cache is not None:
            return cache
    return ExecutionCache()


# ---------------------------------------------------------------- the search


@dataclass(frozen=True)
class OracleResult:
    """The oracle's assignment for one input.

    ``assignment``: backend index per site that executed; ``backends``: the same as names.
    ``correct``: whether its answer matches the label; ``cost``: the input's cost with it;
    ``runs``: program runs the search took; ``exhaustive``: ``False`` when ``max_runs`` stopped
    the search before it was sure.
    """

    assignment: Mapping[int, int]
    backends: Mapping[int, str]
    answer: Any
    correct: bool
    cost: float
    runs: int
    exhaustive: bool = True


@dataclass(order=True)
class _Node:
    bound: float
    hint: float
    order: int
    partial: dict[int, int] = field(compare=False)
    result: ExecutionResult | None = field(default=None, compare=False)


def oracle_assignment(
    program: Executor | Module,
    backends: BackendTable | None,
    image: Any,
    label: Any,
    cache: ExecutionCache | None = None,
    *,
    costs: Mapping[tuple[str, str], float] | None = None,
    max_runs: int = DEFAULT_MAX_RUNS,
) -> OracleResult:
    """The cheapest correct assignment for ``image`` (see the module docstring).

    ``program``: an ``Executor`` (its module, backends and cache are used unless given) or a
    ``Module`` with ``backends``. ``image`` needs an id (``ImageValue.id``) so that the cache can
    hold its calls; ``PolicyError`` otherwise.
    """
    if not str(getattr(image, "id", "")):
        raise PolicyError("the oracle needs inputs with ids (ImageValue.id) to cache their calls")
    runner = PlanRunner.of(program, backends, cache, costs)
    return _search(runner, image, label, max(1, max_runs))


def _search(runner: PlanRunner, image: Any, label: Any, max_runs: int) -> OracleResult:
    sites = runner.sites
    counter = itertools.count()
    queue = [_Node(0.0, 0.0, next(counter), {})]
    cheapest: _Node | None = None
    runs = 0
    while queue:
        node = heapq.heappop(queue)
        if node.result is not None:
            if _correct(node.result, label):
                return _found(sites, node, label, runs, True)
            cheapest = cheapest or node
            continue
        if runs >= max_runs:
            heapq.heappush(queue, node)
            return _best_found(sites, queue, cheapest, label, runs)
        runs += 1
        partial = node.partial
        result, missing = runner.run(image, _follow(partial))
        spent = result.trace.backend_cost
        if missing is None:
            done = _Node(max(spent, node.bound), 0.0, next(counter), partial, result)
            heapq.heappush(queue, done)
            continue
        for index, cost in enumerate(sites[missing].costs):
            hint = 0.0 if math.isnan(cost) else cost
            child = _Node(spent, hint, next(counter), {**partial, missing: index})
            heapq.heappush(queue, child)
    if cheapest is None:
        raise PolicyError("the oracle found no run of the program at all")
    return _found(sites, cheapest, label, runs, True)


def _follow(partial: Mapping[int, int]) -> Plan:
    """The plan of a partial assignment (one backend per site, for every execution)."""

    def plan(site: int, execution: int) -> int | None:
        return partial.get(site)

    return plan


def _best_found(
    sites: Mapping[int, SiteInfo],
    queue: Iterable[_Node],
    cheapest: _Node | None,
    label: Any,
    runs: int,
) -> OracleResult:
    done = sorted(n for n in queue if n.result is not None)
    right = [n for n in done if n.result is not None and _correct(n.result, label)]
    best = right[0] if right else cheapest or (done[0] if done else None)
    if best is None:
        raise PolicyError(f"the oracle finished no run within {runs} runs (raise max_runs)")
    return _found(sites, best, label, runs, False)


def _correct(result: ExecutionResult, label: Any) -> bool:
    return Feedback.of(result.answer, label, error=result.error).correct


def _found(
    sites: Mapping[int, SiteInfo], node: _Node, label: Any, runs: int, exhaustive: bool
) -> OracleResult:
    result = node.result
    assert result is not None
    executed = result.trace.executed_sites
    assignment = {s: i for s, i in sorted(node.partial.items()) if s in executed}
    names = {s: sites[s].backends[i] for s, i in assignment.items()}
    correct = _correct(result, label)
    return OracleResult(assignment, names, result.answer, correct, result.cost, runs, exhaustive)


# ---------------------------------------------------------------- as a policy


class _FixedEpisode(Episode):
    def __init__(self, choices: Mapping[int, int]) -> None:
        self._choices = choices

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        return self._choices.get(site, 0)


class OraclePolicy(BasePolicy):
    """The oracle behind the ``Policy`` protocol. **It is given each input's label before
    deciding** (from the stream, in ``prepare``): a limit, not a method.

    ``prepare(module, backends, items, costs=, cache=)`` must be called before the executor is
    built (``fmpc run`` does it): it keeps the program, backends and cache for the search and
    the label of every labelled item by input id. Its compute is not charged (``compute_cost``
    0): the input's cost is what its assignment costs. An input without a label runs all-smallest.
    """

    def __init__(self, max_runs: int = DEFAULT_MAX_RUNS) -> None:
        self.max_runs = max_runs
        self._runner: PlanRunner | None = None
        self._labels: Mapping[str, Any] = {}

    @property
    def name(self) -> str:
        """``oracle``."""
        return "oracle"

    def prepare(
        self,
        module: Module,
        backends: BackendTable,
        items: Iterable[Any],
        *,
        costs: Mapping[tuple[str, str], float] | None = None,
        cache: ExecutionCache | None = None,
    ) -> Module:
        """Keep the program and the labels of ``items`` (``InputItem``s); the module unchanged."""
        labels = {i.input_id: i.label for i in items if getattr(i, "labelled", False)}
        self._labels = labels
        self._runner = PlanRunner(module, backends, shared_cache(cache), dict(costs or {}))
        return module

    def bind(self, sites: Mapping[int, SiteInfo]) -> None:
        """``PolicyError`` unless ``prepare`` was called."""
        if self._runner is None:
            raise PolicyError(
                "the oracle needs the stream's labels: call policy.prepare(module, backends, "
                "items) before building the executor"
            )

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """Search the input's assignment (with its label) and follow it."""
        if self._runner is None or input_id not in self._labels:
            return _FixedEpisode({})
        found = _search(self._runner, image, self._labels[input_id], self.max_runs)
        return _FixedEpisode(found.assignment)


@register_policy("oracle", usage="oracle[:MAX_RUNS]")
def oracle_from_spec(argument: str | None, options: Mapping[str, Any]) -> OraclePolicy:
    """``oracle`` or ``oracle:MAX_RUNS`` (program runs per input)."""
    if argument is None:
        return OraclePolicy()
    if not argument.strip().isdigit() or int(argument) < 1:
        raise PolicyError(f"oracle:{argument}: MAX_RUNS must be a positive integer")
    return OraclePolicy(int(argument))
