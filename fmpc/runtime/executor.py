"""The executor: runs a compiled program on inputs with a policy choosing a backend at every
call-site execution, and accounts for every call.

``Executor`` is a subclass of the reference interpreter (``fmpc.semantics.interpreter``) that only
changes how routable calls are served, so its answers are the interpreter's by construction. At
each execution of a call site it

1. asks the input's policy episode for a backend (``Episode.decide``; timed),
2. looks the call up in the execution cache, else calls the backend (``call_batch``),
3. records a ``SiteCall`` in the input's trace and updates the features adaptive policies see,
4. on failure, falls back to the backend's configured fallback (``BackendTable.fallback``) when
   ``fallbacks`` is on; with none left, the run ends with ``ExecutionResult(error=...)``.

A site whose call op carries a ``cascade`` attribute (made by the cascade pass) is not routed by
the policy: it runs the named backends in order, escalating while the confidence is below the
site's ``thresholds``. Nor is a site with a ``pin`` (a backend name, or an index into the site's
choices): it always calls that backend (``via="pin"``), whatever the policy would choose. A
``fmpc.call.batch`` op serves all its items in one request per backend.

``run(image)`` never raises for a failing backend, program or policy: the error is in the result,
with every call made before it. ``run_window(images)`` runs several inputs at once in the
calling thread and batches their backend calls: each input's run is a generator
(``SuspendableInterpreter.run_function_steps``) that pauses at every backend call; whenever every
run of the window is paused (or finished), the waiting calls go out as one batch per backend and
the runs resume in input order. Answers and traces equal those of ``run`` one input at a time;
``run`` is the same generator with each call served at once.

The executor holds no per-run state (it lives in each run's ``RunState``) and nothing mutable
once built, so one executor serves many threads and several executors with different policies
run side by side, sharing a thread-safe ``ExecutionCache``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import operator
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from fmpc.ir.core import Module, Region
from fmpc.ir.ops import CallOp
from fmpc.ir.ops_batch import BatchCallOp
from fmpc.ir.types import ListType
from fmpc.passes.analyses.signs import answer_signs
from fmpc.runtime.backends.base import Args, Backend, BackendResult, call_batch
from fmpc.runtime.backends.jax import JaxBackend
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.cache import ExecutionCache, Unhashable, args_digest, image_digest
from fmpc.runtime.inputs import InputItem
from fmpc.runtime.limits import Meter, RunLimits
from fmpc.runtime.policy import (
    CALLS_SO_FAR,
    COST_SO_FAR,
    EXECUTION,
    SITE_FEATURES,
    Episode,
    Feedback,
    Policy,
    SiteInfo,
    feature_key,
)
from fmpc.runtime.trace import ExecutionResult, SiteCall, Trace, Via
from fmpc.semantics.errors import ProgramError
from fmpc.semantics.helpers import HELPERS
from fmpc.semantics.interpreter import RunState, expected, fits
from fmpc.semantics.suspendable import Steps, SuspendableInterpreter, complete
from fmpc.semantics.values import ImageValue

MAX_WINDOW = 256
"""The most inputs ``Executor.run_window`` keeps in flight at once (more run as consecutive
windows): what bounds a window's memory."""


class RoutingError(ValueError):
    """The program's call sites cannot be served by the given backends (a function without
    backends, an unknown backend name in a site's ``backends`` or ``cascade``...). The message
    lists every problem with its source location."""


def nominal_cost(backend: Backend) -> float:
    """The cost of one call of ``backend`` without knowing its arguments.

    In order: its ``nominal_cost`` attribute (a number, or a method taking nothing); ``nan``
    for a ``JaxBackend``, whose cost is measured per input shape; else ``backend.cost(())``,
    which backends with a declared cost answer (``nan`` if it raises).
    """
    declared = getattr(backend, "nominal_cost", None)
    if declared is not None:
        return float(declared() if callable(declared) else declared)
    if isinstance(backend, JaxBackend):
        return math.nan
    try:
        return float(backend.cost(()))
    except Exception:  # a cost that needs real arguments: unknown until the backend runs
        return math.nan


# ---------------------------------------------------------------- the site table


@dataclass(frozen=True)
class _Site:
    """Everything the executor needs about one call site, resolved once."""

    info: SiteInfo
    backends: tuple[Backend, ...]
    index_of: Mapping[str, int]
    cascade: tuple[Backend, ...] = ()
    thresholds: tuple[float, ...] = ()
    keys: tuple[str, ...] = ()
    pinned: Backend | None = None

    @property
    def routed(self) -> bool:
        """Whether the policy chooses the backend (no cascade, no pin)."""
        return not self.cascade and self.pinned is None


def _build_sites(
    module: Module, table: BackendTable, costs: Mapping[tuple[str, str], float]
) -> dict[int, _Site]:
    sites: dict[int, _Site] = {}
    problems: list[str] = []
    signs = answer_signs(module)
    for op in module.entry.regions[0].walk():
        if isinstance(op, CallOp):
            try:
                sites[op.site] = _resolve_site(op, table, costs, signs[op.site])
            except ValueError as exc:
                where = f"{op.loc}: " if op.loc is not None else ""
                problems.append(f"{where}site {op.site} ({op.fn}): {exc}")
    if problems:
        raise RoutingError("\n".join(problems))
    return sites


def _resolve_site(
    op: CallOp, table: BackendTable, costs: Mapping[tuple[str, str], float], sign: str
) -> _Site:
    if op.fn not in table:
        known = ", ".join(sorted(table)) or "none"
        raise ValueError(f"no backends for {op.fn!r} (functions with backends: {known})")
    group = table[op.fn]
    backends = _named(op, group, "backends") or group
    names = tuple(b.name for b in backends)
    info = SiteInfo(op.site, op.fn, names, tuple(_cost_of(b, costs) for b in backends), sign)
    keys = tuple(feature_key(op.site, kind) for kind in SITE_FEATURES)
    index_of = MappingProxyType({name: i for i, name in enumerate(names)})
    cascade = _named(op, group, "cascade")
    pinned = _pinned(op, group, backends)
    if pinned is not None and cascade:
        raise ValueError("a pinned call cannot also be a cascade")
    if not cascade:
        return _Site(info, backends, index_of, keys=keys, pinned=pinned)
    thresholds = _thresholds(op, len(cascade))
    return _Site(info, backends, index_of, cascade, thresholds, keys)


def _named(op: CallOp, group: tuple[Backend, ...], attribute: str) -> tuple[Backend, ...]:
    names = op.attributes.get(attribute)
    if names is None:
        return ()
    if not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{attribute} must be a tuple of backend names, got {names!r}")
    by_name = {b.name: b for b in group}
    unknown = [str(n) for n in names if n not in by_name]
    if unknown:
        offered = ", ".join(by_name)
        raise ValueError(
            f"{attribute} names unknown backend(s) {', '.join(unknown)} (configured: {offered})"
        )
    return tuple(by_name[str(n)] for n in names)


def _pinned(op: CallOp, group: tuple[Backend, ...], choices: tuple[Backend, ...]) -> Backend | None:
    """The backend a ``pin`` names: by name among the function's backends, or by index into
    the site's choices (cheapest first)."""
    pin = op.attributes.get("pin")
    if pin is None:
        return None
    if isinstance(pin, str):
        by_name = {b.name: b for b in group}
        if pin not in by_name:
            raise ValueError(
                f"pinned to unknown backend {pin!r} (configured: {', '.join(by_name)})"
            )
        return by_name[pin]
    if isinstance(pin, int) and not isinstance(pin, bool) and 0 <= pin < len(choices):
        return choices[pin]
    names = ", ".join(f"{i}: {b.name}" for i, b in enumerate(choices))
    raise ValueError(f"pinned to backend {pin!r}, but the site's choices are {names}")


def _thresholds(op: CallOp, steps: int) -> tuple[float, ...]:
    raw = op.attributes.get("thresholds", op.attributes.get("threshold"))
    values = raw if isinstance(raw, tuple) else (raw,)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError(f"a cascade needs numeric thresholds, got {raw!r}")
    if len(values) == 1:
        values = values * (steps - 1)
    if len(values) != steps - 1:
        raise ValueError(
            f"a cascade of {steps} backends needs {steps - 1} thresholds, got {len(values)}"
        )
    return tuple(float(v) for v in values)  # type: ignore[arg-type]


def _cost_of(backend: Backend, costs: Mapping[tuple[str, str], float]) -> float:
    given = costs.get((backend.function, backend.name))
    return float(given) if given is not None else nominal_cost(backend)


# ---------------------------------------------------------------- per-run state


@dataclass(frozen=True)
class _Started:
    """A policy episode begun for one input (or why it could not begin) and its time."""

    episode: Episode | None
    seconds: float
    error: str | None = None


MemoKey = tuple[int, str, bytes]
"""A call within one input: (site, backend name, digest of the arguments)."""


class _ExecRun(RunState):
    """The state of one executor run: the interpreter's, plus the policy episode, the calls
    made, the features adaptive policies read and the time spent deciding.

    ``memo`` (kept only when the episode may ask for a second run) holds the successful calls by
    ``MemoKey``; a second run (``via="recheck"``) reads the first run's ``memo`` as ``reuse``,
    and shares its ``meter``: the limits are the input's, over both runs.
    """

    def __init__(
        self,
        image: Any,
        started: _Started,
        limits: RunLimits,
        first: _ExecRun | None = None,
    ) -> None:
        super().__init__(image)
        self.meter: Meter = limits.meter() if first is None else first.meter
        self.input_id = str(getattr(image, "id", ""))
        self.input_key: str | None = None
        self._images: dict[int, tuple[Any, str]] = {} if first is None else first._images
        self.episode = started.episode
        self.decision_time = started.seconds
        self.log: list[SiteCall] = []
        self.features: dict[str, float] = {COST_SO_FAR: 0.0, CALLS_SO_FAR: 0.0}
        self.view: Mapping[str, float] = MappingProxyType(self.features)
        self.via: Via = "policy" if first is None else "recheck"
        self.reuse: Mapping[MemoKey, BackendResult] = {} if first is None else first.memo or {}
        self.memo: dict[MemoKey, BackendResult] | None = (
            {} if first is not None or _rechecks(started.episode) else None
        )

    def image_key(self, image: ImageValue) -> str:
        """``image``'s content digest, computed once per image object of the run (the object is
        kept, so its id cannot be reused while the run lasts)."""
        known = self._images.get(id(image))
        if known is None:
            known = (image, image_digest(image))
            self._images[id(image)] = known
        return known[1]


def _rechecks(episode: Episode | None) -> bool:
    """Whether ``episode`` overrides ``Episode.recheck`` (may ask for a second run)."""
    return episode is not None and type(episode).recheck is not Episode.recheck


class _Replanned(Episode):
    """A second run's decisions: the plan's backend where it has one, else the episode's."""

    def __init__(self, episode: Episode, plan: Mapping[int, int]) -> None:
        self._episode = episode
        self._plan = plan

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        choice = self._plan.get(site)
        return self._episode.decide(site, features) if choice is None else choice


@dataclass
class _Attempt:
    """One item's next backend call at a site."""

    item: int
    backend: Backend
    via: Via
    step: int = 0
    fell_back_from: str | None = None
    tried: frozenset[str] = frozenset()


@dataclass
class _Outcome:
    attempt: _Attempt
    result: BackendResult
    latency_s: float
    cached: bool
    reused: bool = False
    """Served by the same input's first run (a second run only): not charged again."""


# ---------------------------------------------------------------- window batching


@dataclass
class _Request:
    """What a paused run asks for: ``backend`` called on ``batch``; answered with
    ``(results, latency_s)``."""

    backend: Backend
    batch: list[Args]
    results: list[BackendResult] | None = None
    latency_s: float = 0.0


Reply = tuple[list[BackendResult], float]


def _serve_now(request: _Request) -> Reply:
    """Serve one run's request by itself (``Executor.run``)."""
    start = time.perf_counter()
    results = call_batch(request.backend, request.batch)
    return results, time.perf_counter() - start


def _run_together(runs: Sequence[Steps]) -> list[ExecutionResult]:
    """Drive a window's runs in input order until each pauses at a backend call or finishes;
    send every waiting call out, one batch per backend; resume them with their results; again
    until all have finished."""
    results: list[ExecutionResult | None] = [None] * len(runs)
    replies: list[tuple[int, Reply | None]] = [(i, None) for i in range(len(runs))]
    while replies:
        waiting: list[tuple[int, _Request]] = []
        for i, reply in replies:
            try:
                waiting.append((i, runs[i].send(reply)))
            except StopIteration as stop:
                results[i] = stop.value
        answers = _serve_requests([request for _, request in waiting])
        replies = [(i, answer) for (i, _), answer in zip(waiting, answers, strict=True)]
    return [r for r in results if r is not None]


def _serve_requests(requests: list[_Request]) -> list[Reply]:
    """Serve ``requests`` with one call per backend (in the order backends first appear)."""
    groups: dict[int, list[_Request]] = {}
    for request in requests:
        groups.setdefault(id(request.backend), []).append(request)
    for group in groups.values():
        _serve_together(group)
    return [(r.results or [], r.latency_s) for r in requests]


def _serve_together(requests: list[_Request]) -> None:
    """Serve all ``requests`` of one backend in one call. If the backend raises (or miscounts)
    on the merged batch, each request is served alone instead, so that every run gets the
    outcome it would have had by itself."""
    if len(requests) > 1 and _serve_merged(requests):
        return
    for request in requests:
        start = time.perf_counter()
        request.results = call_batch(request.backend, request.batch)
        request.latency_s = time.perf_counter() - start


def _serve_merged(requests: list[_Request]) -> bool:
    batch = [args for request in requests for args in request.batch]
    start = time.perf_counter()
    try:
        results = list(requests[0].backend(batch))
    except Exception:  # the caller serves each request alone; call_batch reports the failure
        return False
    if len(results) != len(batch):
        return False
    latency = time.perf_counter() - start
    offset = 0
    for request in requests:
        request.results = results[offset : offset + len(request.batch)]
        request.latency_s = latency
        offset += len(request.batch)
    return True


# ---------------------------------------------------------------- the executor


class Executor(SuspendableInterpreter):
    """Runs ``module`` with ``policy`` choosing among ``backends`` at every site execution.

    ``cache``: an ``ExecutionCache`` to share backend outputs (none by default). ``fallbacks``:
    replace a failed backend by its configured fallback. ``costs``: nominal cost per
    ``(function, backend name)`` shown to the policy (``SiteInfo.costs``), overriding
    ``nominal_cost``. ``limits``: what one input may use (``RunLimits``; by default
    ``DEFAULT_MAX_CALLS`` call-site executions and ``DEFAULT_TIME_LIMIT_S`` seconds); an input
    past a limit fails with the reason. Raises ``RoutingError`` when a site cannot be served and ``PolicyError``
    when the policy cannot route the program (``Policy.bind``)::

        executor = Executor(module, table, StaticPolicy("smallest"), cache=ExecutionCache())
        result = executor.run(image)          # ExecutionResult: answer, cost, trace, error
        results = executor.run_window(images) # the same, backend calls batched across inputs
    """

    def __init__(
        self,
        module: Module,
        backends: BackendTable,
        policy: Policy,
        *,
        cache: ExecutionCache | None = None,
        helpers: Mapping[str, Any] = HELPERS,
        fallbacks: bool = True,
        costs: Mapping[tuple[str, str], float] | None = None,
        check_results: bool = True,
        verify_module: bool = True,
        limits: RunLimits | None = None,
    ) -> None:
        super().__init__(
            module, {}, helpers, check_results=check_results, verify_module=verify_module
        )
        self.limits = limits if limits is not None else RunLimits()
        self.table = backends
        self.policy = policy
        self.cache = cache
        self.fallbacks = fallbacks
        self._sites = MappingProxyType(_build_sites(module, backends, costs or {}))
        self.sites: Mapping[int, SiteInfo] = MappingProxyType(
            {s: site.info for s, site in sorted(self._sites.items()) if site.routed}
        )
        self.all_sites: Mapping[int, SiteInfo] = MappingProxyType(
            {s: site.info for s, site in sorted(self._sites.items())}
        )
        policy.bind(self.sites)

    # ------------------------------------------------------------ running

    def run(self, image: Any, *, episode: Episode | None = None) -> ExecutionResult:
        """Run the program on ``image``; never raises for a backend, program or policy failure.

        ``episode``: decide with it instead of starting one with the policy (how the oracle and
        the calibrated baselines run one explicit plan after another on one executor).
        """
        started = self._start(image) if episode is None else _Started(episode, 0.0)
        return complete(self._execute_steps(image, started), _serve_now)  # type: ignore[no-any-return]

    def run_window(self, images: Sequence[Any]) -> list[ExecutionResult]:
        """Run ``images`` together, batching their backend calls; results in input order.

        The runs take turns in the calling thread (see the module docstring); more than
        ``MAX_WINDOW`` inputs run as consecutive windows.
        """
        images = list(images)
        if len(images) > MAX_WINDOW:
            chunks = [images[i : i + MAX_WINDOW] for i in range(0, len(images), MAX_WINDOW)]
            return [result for chunk in chunks for result in self.run_window(chunk)]
        if len(images) <= 1:
            return [self.run(image) for image in images]
        started = self._start_window(images)
        return _run_together(
            [self._execute_steps(image, s) for image, s in zip(images, started, strict=True)]
        )

    def new_run(self, image: Any) -> RunState:
        """A fresh run with the policy's episode for ``image`` started."""
        return _ExecRun(image, self._start(image), self.limits)

    def _start(self, image: Any) -> _Started:
        input_id = str(getattr(image, "id", ""))
        start = time.perf_counter()
        try:
            episode = self.policy.start(input_id, image, self.sites)
        except Exception as exc:  # a failing policy fails this input only
            reason = f"policy {self.policy.name} failed to start: {type(exc).__name__}: {exc}"
            return _Started(None, time.perf_counter() - start, reason)
        return _Started(episode, time.perf_counter() - start)

    def _start_window(self, images: list[Any]) -> list[_Started]:
        """Begin every input of a window: one ``policy.start_window`` call when the policy has
        one (its time is shared equally), else ``start`` per input."""
        start_window = getattr(self.policy, "start_window", None)
        if start_window is None:
            return [self._start(image) for image in images]
        ids = [str(getattr(image, "id", "")) for image in images]
        start = time.perf_counter()
        try:
            episodes = list(start_window(ids, images, self.sites))
            if len(episodes) != len(images):
                raise ValueError(f"{len(episodes)} episodes for {len(images)} inputs")
        except Exception as exc:  # a failing policy fails these inputs only
            share = (time.perf_counter() - start) / len(images)
            reason = f"policy {self.policy.name} failed to start: {type(exc).__name__}: {exc}"
            return [_Started(None, share, reason) for _ in images]
        share = (time.perf_counter() - start) / len(images)
        return [_Started(episode, share) for episode in episodes]

    def _execute_steps(self, image: Any, started: _Started) -> Steps:
        """One input's run, pausing at every backend call; returns its ``ExecutionResult``."""
        run = _ExecRun(image, started, self.limits)
        error = started.error
        answer = None
        if error is None:
            try:
                answer = yield from self.run_function_steps(self.module.entry, [image], run)
            except ProgramError as exc:
                error = str(exc)
        if error is None and run.memo is not None:
            answer, error = yield from self._recheck_steps(image, run, answer)
        policy_cost = float(getattr(run.episode, "compute_cost", 0.0) or 0.0)
        trace = Trace(run.input_id, tuple(run.log), policy_cost, run.decision_time)
        return ExecutionResult(
            run.input_id, None if error else answer, trace.total_cost, trace, error
        )

    def _recheck_steps(self, image: Any, run: _ExecRun, answer: Any) -> Steps:
        """Ask the episode whether to run again (``Episode.recheck``); if so, run the program a
        second time with its plan and answer with that run (the first answer if it fails)."""
        assert run.episode is not None
        start = time.thread_time()
        try:
            plan = run.episode.recheck(answer, Trace(run.input_id, tuple(run.log)))
        except Exception as exc:  # reported as this input's error
            reason = f"policy {self.policy.name} failed to recheck: {type(exc).__name__}: {exc}"
            return None, reason
        finally:
            run.decision_time += time.thread_time() - start
        if not plan:
            return answer, None
        replanned = _Started(_Replanned(run.episode, plan), 0.0)
        second = _ExecRun(image, replanned, self.limits, run)
        with contextlib.suppress(ProgramError):  # else the first answer stands
            answer = yield from self.run_function_steps(self.module.entry, [image], second)
        run.log += second.log
        run.decision_time += second.decision_time
        return answer, None

    # ------------------------------------------------------------ call sites

    def call_routable(self, op: CallOp, args: list[Any], run: RunState) -> Any:
        """Serve one execution of ``op`` through the policy, the cache and the backends."""
        return complete(self._serve_steps(op, [tuple(args)], _as_exec(run)), _serve_now)[0]

    def call_routable_steps(self, op: CallOp, args: list[Any], run: RunState) -> Steps:
        """``call_routable``, pausing at each backend call."""
        return (yield from self._serve_steps(op, [tuple(args)], _as_exec(run)))[0]

    def visit_BatchCallOp(self, op: BatchCallOp, args: list[Any], run: RunState) -> Any:
        """Serve every item of a batched call (one request per backend) and check the outputs."""
        return complete(self.steps_BatchCallOp(op, args, run), _serve_now)

    def steps_BatchCallOp(self, op: BatchCallOp, args: list[Any], run: RunState) -> Steps:
        """``visit_BatchCallOp``, pausing at each backend call."""
        positions = op.batched
        lists = [args[i] for i in positions]
        n = len(lists[0])
        if any(len(items) != n for items in lists):
            lengths = ", ".join(str(len(items)) for items in lists)
            raise ValueError(f"batched lists have different lengths ({lengths})")
        run.calls[op.site] += n
        batch = [
            tuple(args[j][k] if j in positions else args[j] for j in range(len(args)))
            for k in range(n)
        ]
        outputs = (yield from self._serve_steps(op, batch, _as_exec(run))) if n else []
        element = op.result.type.element if isinstance(op.result.type, ListType) else None
        for value in outputs:
            if self.check_results and element is not None and not fits(value, element):
                raise self.backend_error(
                    op, f"the backend returned {value!r}, expected {expected(element)}"
                )
        return outputs

    def run_region(self, region: Region, args: Sequence[Any], run: RunState) -> list[Any]:
        """The interpreter's ``run_region``, first checking the input's time limit (so that a
        loop without backend calls cannot run past it)."""
        self._check_time(region, run)
        return super().run_region(region, args, run)

    def run_region_steps(self, region: Region, args: Sequence[Any], run: RunState) -> Steps:
        """``run_region`` as a generator, with the same time check."""
        self._check_time(region, run)
        return (yield from super().run_region_steps(region, args, run))

    def _check_time(self, region: Region, run: RunState) -> None:
        if isinstance(run, _ExecRun):
            problem = run.meter.overtime()
            if problem is not None:
                raise self.error(region.parent or self.module.entry, problem)

    def _serve_steps(self, op: CallOp, items: list[Args], run: _ExecRun) -> Steps:
        """Every item's output at site ``op``: decided, looked up, called (pausing), recorded."""
        problem = run.meter.add_calls(len(items))
        if problem is not None:
            raise self.error(op, problem)
        site = self._sites[op.site]
        first = run.calls[op.site] - len(items)
        pending = self._first_attempts(op, site, len(items), first, run)
        outputs: list[Any] = [None] * len(items)
        while pending:
            outcomes = yield from self._call_round(op, site, items, pending, run)
            pending = []
            failed: list[_Outcome] = []
            for outcome in outcomes:
                self._record(op, site, items, outcome, first, run)
                step = self._next_step(site, outcome)
                if step is not None:
                    pending.append(step)
                elif outcome.result.ok:
                    outputs[outcome.attempt.item] = outcome.result.output
                else:
                    failed.append(outcome)
            if failed:
                raise self.backend_error(op, _failure_reason(failed[0]))
        return outputs

    def _first_attempts(
        self, op: CallOp, site: _Site, n: int, first: int, run: _ExecRun
    ) -> list[_Attempt]:
        if site.cascade:
            return [_Attempt(k, site.cascade[0], "cascade") for k in range(n)]
        if site.pinned is not None:
            return [_Attempt(k, site.pinned, "pin") for k in range(n)]
        return [
            _Attempt(k, site.backends[self._decide(op, site, first + k, run)], run.via)
            for k in range(n)
        ]

    def _decide(self, op: CallOp, site: _Site, execution: int, run: _ExecRun) -> int:
        assert run.episode is not None
        run.features[EXECUTION] = float(execution)
        start = time.thread_time()
        try:
            choice = run.episode.decide(op.site, run.view)
        except Exception as exc:  # reported as this input's error, at the site
            raise self.error(
                op, f"policy {self.policy.name} failed to decide: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            run.decision_time += time.thread_time() - start
        try:
            index = operator.index(choice)
        except TypeError:
            raise self.error(
                op, f"policy {self.policy.name} returned {choice!r}, not a backend index"
            ) from None
        if not 0 <= index < len(site.backends):
            raise self.error(
                op,
                f"policy {self.policy.name} chose backend {index}; the site has {len(site.backends)}",
            )
        return index

    def _call_round(
        self, op: CallOp, site: _Site, items: list[Args], attempts: list[_Attempt], run: _ExecRun
    ) -> Steps:
        """Every attempt's outcome, in order: from the cache, else one call per backend (each a
        ``_Request`` the run pauses on)."""
        outcomes: list[_Outcome | None] = [None] * len(attempts)
        groups: dict[int, list[int]] = {}
        keys: list[Any] = []
        for i, attempt in enumerate(attempts):
            earlier = self._reused(op, attempt, items, run)
            if earlier is not None:
                keys.append(None)
                outcomes[i] = _Outcome(attempt, earlier, 0.0, True, reused=True)
                continue
            key = self._key(op, attempt, items, run)
            keys.append(key)
            hit = self.cache.get(key) if self.cache is not None and key is not None else None
            if hit is not None:
                outcomes[i] = _Outcome(attempt, hit.result, hit.latency_s, True)
            else:
                groups.setdefault(id(attempt.backend), []).append(i)
        for indices in groups.values():
            backend = attempts[indices[0]].backend
            request = _Request(backend, [items[attempts[i].item] for i in indices])
            results, latency = yield request
            for i, result in zip(indices, results, strict=True):
                outcomes[i] = _Outcome(attempts[i], result, latency, False)
                key = keys[i]
                if self.cache is not None and key is not None:
                    self.cache.put(key, result, latency)
        return [o for o in outcomes if o is not None]

    @staticmethod
    def _reused(
        op: CallOp, attempt: _Attempt, items: list[Args], run: _ExecRun
    ) -> BackendResult | None:
        """The first run's result of the same call, in a second run."""
        if not run.reuse:
            return None
        key = _memo_key(op, attempt, items, run)
        return None if key is None else run.reuse.get(key)

    def _key(self, op: CallOp, attempt: _Attempt, items: list[Args], run: _ExecRun) -> Any:
        if self.cache is None:
            return None
        if run.input_key is None:  # by content, hashed once per input (ids may repeat)
            run.input_key = self.cache.input_key(run.image) or ""
        return self.cache.key(
            run.input_key, op.site, op.fn, attempt.backend.name, items[attempt.item]
        )

    def _next_step(self, site: _Site, outcome: _Outcome) -> _Attempt | None:
        """What to call next for this item: a cascade escalation, a fallback, or nothing."""
        attempt, result = outcome.attempt, outcome.result
        tried = attempt.tried | {attempt.backend.name}
        escalate = None  # the next cascade step, when this attempt is a step before the last
        if attempt.via == "cascade" and attempt.step + 1 < len(site.cascade):
            nxt = attempt.step + 1
            escalate = _Attempt(attempt.item, site.cascade[nxt], "cascade", nxt, None, tried)
        if result.ok:
            confident = escalate is None or result.confidence >= site.thresholds[attempt.step]
            return None if confident else escalate
        fallback = (
            self.table.fallback(site.info.fn, attempt.backend.name) if self.fallbacks else None
        )
        if fallback is not None and fallback.name not in tried:
            return _Attempt(
                attempt.item, fallback, "fallback", attempt.step, attempt.backend.name, tried
            )
        return escalate

    def _record(
        self,
        op: CallOp,
        site: _Site,
        items: list[Args],
        outcome: _Outcome,
        first: int,
        run: _ExecRun,
    ) -> None:
        attempt, result = outcome.attempt, outcome.result
        choice = site.index_of.get(attempt.backend.name)
        if outcome.reused:
            self._observe(site, result, choice, run, charged=False)
            return
        if run.memo is not None and result.ok:
            key = _memo_key(op, attempt, items, run)
            if key is not None:
                run.memo[key] = result
        error = None if result.error is None else f"{type(result.error).__name__}: {result.error}"
        run.log.append(
            SiteCall(
                op.site,
                op.fn,
                attempt.backend.name,
                result.cost,
                result.output,
                result.confidence,
                outcome.latency_s,
                outcome.cached,
                error,
                attempt.fell_back_from,
                attempt.via,
                first + attempt.item,
                choice,
            )
        )
        self._observe(site, result, choice, run, charged=True)

    @staticmethod
    def _observe(
        site: _Site, result: BackendResult, choice: int | None, run: _ExecRun, *, charged: bool
    ) -> None:
        """Update the features adaptive policies read with one call's outcome."""
        features = run.features
        if charged:
            features[COST_SO_FAR] += result.cost
            features[CALLS_SO_FAR] += 1.0
        if result.ok:
            confidence_key, output_key, backend_key, cost_key = site.keys
            features[confidence_key] = result.confidence
            number = _as_number(result.output)
            if number is None:
                features.pop(output_key, None)
            else:
                features[output_key] = number
            features[backend_key] = float(choice) if choice is not None else -1.0
            features[cost_key] = result.cost


def _memo_key(op: CallOp, attempt: _Attempt, items: list[Args], run: _ExecRun) -> MemoKey | None:
    try:
        return (op.site, attempt.backend.name, args_digest(items[attempt.item], run.image_key))
    except Unhashable:
        return None


def _as_exec(run: RunState) -> _ExecRun:
    if not isinstance(run, _ExecRun):
        raise TypeError("an Executor runs with its own run state (use Executor.run)")
    return run


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, list):
        return float(len(value))
    if isinstance(value, str):
        return {"yes": 1.0, "no": 0.0}.get(value.strip().lower())
    return None


def _failure_reason(outcome: _Outcome) -> str:
    attempt = outcome.attempt
    error = outcome.result.error
    reason = f"backend {attempt.backend.name!r} failed ({type(error).__name__}): {error}"
    if attempt.fell_back_from is not None:
        reason += f" (after falling back from {attempt.fell_back_from!r})"
    return reason


# ---------------------------------------------------------------- streams


@dataclass(frozen=True)
class StreamStep:
    """One input of a stream: the ``item`` read, its ``result`` (``None`` when the input could not
    be read: ``item.error`` says why) and the ``feedback`` given to the policy (``None`` without a
    label)."""

    item: InputItem
    result: ExecutionResult | None
    feedback: Feedback | None = field(default=None)


def run_stream(
    executor: Executor,
    items: Iterable[InputItem],
    *,
    window: int | None = None,
    learn: bool = True,
    start: int = 0,
) -> Iterator[StreamStep]:
    """Stream ``items`` through ``executor`` window by window (``window`` inputs, default the
    policy's), then, for each labelled input in order, give the policy its feedback
    (``observe``) when ``learn``; an unlabelled input is ``forget``-ed by policies that keep
    state per begun input. Yields one ``StreamStep`` per item, in order.

    ``start`` is the position of the first item in the whole stream (the inputs a resumed run
    skips): windows end at multiples of the window size counted from the stream's beginning, so
    a run resumed at any input decides exactly as the uninterrupted one."""
    size = max(1, window or int(getattr(executor.policy, "window", 1) or 1))
    forget = getattr(executor.policy, "forget", None)
    iterator = iter(items)
    first = size - start % size
    while chunk := list(itertools.islice(iterator, first)):
        first = size
        readable = [item.image for item in chunk if item.image is not None]
        results = iter(executor.run_window(readable))
        for item in chunk:
            if item.image is None:
                yield StreamStep(item, None)
                continue
            result = next(results)
            feedback = None
            if item.labelled:
                feedback = Feedback.of(result.answer, item.label, error=result.error)
                if learn:
                    executor.policy.observe(result.trace, feedback)
            elif learn and forget is not None:
                forget(result.input_id)
            yield StreamStep(item, result, feedback)
