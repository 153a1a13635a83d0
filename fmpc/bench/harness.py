"""The streaming evaluation harness: every method on the same streams, sharing one cache.

For each query of the plan, the harness draws its stream (``fmpc.worlds.benchmarks.Stream``),
renders the images once, compiles the query's program with the default pass pipeline, and runs
every method over the stream in turn:

- the monolithic model gets ``(image, question)`` for each input;
- every other method is an ``Executor`` with the method's policy, streamed with
  ``run_stream``: each window of inputs is decided, then the policy observes each input's
  feedback (the label) in order, so learned methods are scored online on every input, as in
  the paper.

All executors of one stream share one ``ExecutionCache``, so each backend call (input, site,
backend, arguments) runs once however many methods make it; a method pays for every call it
makes, cached or not. A method that cannot be made is skipped with the reason; one that fails
while running is reported as failed and left out of the results, never replaced.

::

    plan = plan_benchmark("binary", quick=True)
    result = run_benchmark(plan, default_methods(), zoo_bench_backends())
    rows = summarize(result)   # fmpc.bench.report
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fmpc.bench.methods import (
    ALL_LARGEST,
    Method,
    MethodUnavailable,
    PolicyContext,
    make_policy,
)
from fmpc.bench.metrics import QueryRun, Tally
from fmpc.runtime.backends.base import Backend, call_batch
from fmpc.runtime.backends.table import BackendTable
from fmpc.worlds.benchmarks import (
    BenchmarkQuery,
    Stream,
    StreamError,
    builtin_queries,
    load_queries,
)
from fmpc.worlds.benchmarks.schema import REASONING_TYPES, TASKS, BinaryStream

BENCH_TASKS = (*TASKS, "all")
"""What ``--task`` accepts."""

QUICK_BINARY_QUERIES = 3
QUICK_BINARY_SIZE = 120
QUICK_POSITIVE_RATE = 0.05
QUICK_OPEN_SIZE = 40
"""``--quick``: binary queries (spread over the file) and scenes per stream, the positive rate
of quick binary streams (raised from 0.01 so that short streams still hold positives), and
scenes per open-form stream (one query per reasoning type)."""

MONOLITHIC_BATCH = 32
"""Inputs per call of the monolithic model."""

CACHE_ENTRIES = 1_000_000
"""Entries of each stream's execution cache (enough that nothing is evicted)."""

Advance = Callable[[str, int], None]
"""Progress callback: ``advance(description, inputs_done)``."""


class BenchError(ValueError):
    """The benchmark cannot run as asked (unknown task, bad query file, no backends...)."""


@dataclass(frozen=True)
class BenchBackends:
    """The backends a benchmark runs on: the ``table`` programs are routed over, their nominal
    ``costs``, the ``monolithic`` model (``None``: the monolithic method is skipped) and a
    ``description`` for reports."""

    table: BackendTable
    costs: Mapping[tuple[str, str], float] = field(default_factory=dict)
    monolithic: Backend | None = None
    description: str = "custom backends"


@dataclass(frozen=True)
class BenchPlan:
    """Which queries run, and on how many scenes each (``None``: the query's own size)."""

    queries: tuple[BenchmarkQuery, ...]
    sizes: Mapping[str, int | None]
    notes: tuple[str, ...] = ()

    def size(self, query: BenchmarkQuery) -> int:
        """The number of scenes of ``query``'s stream."""
        given = self.sizes.get(query.id)
        return query.stream.size if given is None else given

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks the plan covers, in ``TASKS`` order."""
        present = {q.task for q in self.queries}
        return tuple(t for t in TASKS if t in present)

    @property
    def inputs(self) -> int:
        """Scenes over all streams."""
        return sum(self.size(q) for q in self.queries)


@dataclass
class BenchResult:
    """What a benchmark measured: one ``QueryRun`` per (method, query); methods ``skipped`` or
    ``failed`` and queries skipped (``skipped_queries``: their program cannot run on the
    backends) with the reason; the methods in order; wall time and notes."""

    runs: list[QueryRun] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped_queries: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    backends: str = ""
    cache_hits: int = 0
    cache_misses: int = 0

    def completed(self) -> list[QueryRun]:
        """The runs of methods that neither were skipped nor failed."""
        out = set(self.skipped) | set(self.failed)
        return [run for run in self.runs if run.method not in out]


# ---------------------------------------------------------------- planning


def plan_benchmark(
    task: str,
    *,
    queries_file: str | Path | None = None,
    quick: bool = False,
    max_queries: int | None = None,
    stream_size: int | None = None,
) -> BenchPlan:
    """The queries of ``task`` (``binary``, ``open`` or ``all``) from the shipped files or
    ``queries_file``; ``quick`` keeps a few per task on short streams (see ``QUICK_*``);
    ``max_queries`` keeps N per task, spread evenly over the file; ``stream_size`` sets every stream's size."""
    if task not in BENCH_TASKS:
        raise BenchError(f"unknown task {task!r}; choose one of {', '.join(BENCH_TASKS)}")
    if max_queries is not None and max_queries < 1:
        raise BenchError(f"--max-queries must be >= 1, got {max_queries}")
    if stream_size is not None and stream_size < 1:
        raise BenchError(f"--stream-size must be >= 1, got {stream_size}")
    tasks = TASKS if task == "all" else (task,)
    pool = _queries(tasks, queries_file)
    chosen: list[BenchmarkQuery] = []
    notes: list[str] = []
    for name in tasks:
        of_task = [q for q in pool if q.task == name]
        if not of_task:
            where = queries_file or f"{name}.yaml"
            raise BenchError(f"{where}: no {name} queries to run")
        if quick:
            of_task = _quick_pick(name, of_task)
        chosen += _spread(of_task, max_queries) if max_queries else of_task
    if quick:
        chosen = [_quick_stream(q) for q in chosen]
        notes.append(_quick_note(chosen, stream_size))
    sizes = {
        q.id: stream_size if stream_size else _quick_size(q) if quick else None for q in chosen
    }
    return BenchPlan(tuple(chosen), sizes, tuple(notes))


def _queries(tasks: Sequence[str], queries_file: str | Path | None) -> list[BenchmarkQuery]:
    from fmpc.worlds.benchmarks import QueryFileError

    if queries_file is None:
        return [q for name in tasks for q in builtin_queries(name)]
    try:
        return list(load_queries(queries_file))
    except QueryFileError as exc:
        raise BenchError(f"the query file cannot be used:\n{exc}") from None


def _spread(queries: list[BenchmarkQuery], count: int) -> list[BenchmarkQuery]:
    """``count`` queries spread evenly over the file (the files group queries by type)."""
    if count >= len(queries):
        return queries
    return [queries[i * len(queries) // count] for i in range(count)]


def _quick_pick(task: str, queries: list[BenchmarkQuery]) -> list[BenchmarkQuery]:
    if task == "open":
        firsts = [next((q for q in queries if q.type == t), None) for t in REASONING_TYPES]
        picked = [q for q in firsts if q is not None]
        return picked or queries[:1]
    return _spread(queries, QUICK_BINARY_QUERIES)


def _quick_stream(query: BenchmarkQuery) -> BenchmarkQuery:
    settings = query.stream
    if not isinstance(settings, BinaryStream) or settings.positive_rate >= QUICK_POSITIVE_RATE:
        return query
    stream = settings.model_copy(update={"positive_rate": QUICK_POSITIVE_RATE})
    return dataclasses.replace(query, spec=query.spec.model_copy(update={"stream": stream}))


def _quick_size(query: BenchmarkQuery) -> int:
    size = QUICK_BINARY_SIZE if query.task == "binary" else QUICK_OPEN_SIZE
    return min(size, query.stream.size)


def _quick_note(queries: Sequence[BenchmarkQuery], stream_size: int | None) -> str:
    binary = [q for q in queries if q.task == "binary"]
    opened = [q for q in queries if q.task == "open"]
    parts = []
    if binary:
        size = stream_size or _quick_size(binary[0])
        parts.append(
            f"{len(binary)} binary queries x {size} scenes with positive rate "
            f"{QUICK_POSITIVE_RATE:g} (raised from 0.01 so short streams hold positives)"
        )
    if opened:
        size = stream_size or _quick_size(opened[0])
        parts.append(f"{len(opened)} open-form queries (one per type) x {size} scenes")
    return "quick run: " + "; ".join(parts) + ". Figures are indicative, not the benchmark's."


# ---------------------------------------------------------------- backends


def zoo_bench_backends() -> BenchBackends:
    """The model zoo's backends, their measured FLOPs and its monolithic model."""
    from fmpc.zoo.plugin import ZooUnavailable, zoo_table

    try:
        table, costs = zoo_table()
    except ZooUnavailable as exc:
        raise BenchError(str(exc)) from None
    from fmpc.zoo import monolithic_backend

    return BenchBackends(table, costs, monolithic_backend(), "the model zoo (fmpc/zoo)")


# ---------------------------------------------------------------- running


def compile_for_bench(query: BenchmarkQuery, pipeline: str) -> Any:
    """``query``'s module after ``pipeline`` (the query's own module is left untouched)."""
    from fmpc.passes import PassManager

    return PassManager(pipeline).run(query.module)


def run_benchmark(
    plan: BenchPlan,
    methods: Sequence[Method],
    backends: BenchBackends,
    *,
    seed: int = 0,
    pipeline: str | None = None,
    advance: Advance | None = None,
) -> BenchResult:
    """Run every method of ``methods`` on every stream of ``plan`` (see the module docstring)."""
    from fmpc.passes import DEFAULT_PIPELINE

    start = time.perf_counter()
    result = BenchResult(methods=list(methods), notes=list(plan.notes))
    result.backends = backends.description
    for query in plan.queries:
        module = compile_for_bench(query, pipeline or DEFAULT_PIPELINE)
        problem = routing_problem(module, backends)
        if problem is not None:
            result.skipped_queries[query.id] = problem
            if advance is not None:
                advance(f"{query.id} (skipped)", plan.size(query) * len(methods))
            continue
        _QueryBench(query, plan.size(query), backends, seed, advance).run(methods, module, result)
    result.wall_s = time.perf_counter() - start
    return result


def routing_problem(module: Any, backends: BenchBackends) -> str | None:
    """Why ``module`` cannot run on ``backends`` (a function without backends...), else
    ``None``. Such a query is skipped for every method alike, so all compare on the same set."""
    from fmpc.policies.simple import StaticPolicy
    from fmpc.runtime.executor import Executor, RoutingError

    try:
        Executor(module, backends.table, StaticPolicy("smallest"), costs=backends.costs)
    except RoutingError as exc:
        return f"the backends cannot serve its program: {exc}"
    return None


class _QueryBench:
    """Every method on one query's stream."""

    def __init__(
        self,
        query: BenchmarkQuery,
        size: int,
        backends: BenchBackends,
        seed: int,
        advance: Advance | None,
    ) -> None:
        from fmpc.runtime.cache import ExecutionCache

        self.query = query
        self.backends = backends
        self.seed = seed
        self.advance = advance or (lambda description, n: None)
        self.stream = Stream(query, seed, size)
        try:
            self.labels = self.stream.labels
        except StreamError as exc:
            raise BenchError(str(exc)) from None
        self.images = [self.stream.image(i) for i in range(len(self.stream))]
        self.cache = ExecutionCache(CACHE_ENTRIES)
        self.all_largest_cost: float | None = None
        self.done = 0

    def run(self, methods: Sequence[Method], module: Any, result: BenchResult) -> None:
        """Run each method not yet skipped or failed; record its tally or why it has none."""
        for method in methods:
            if method.name not in result.skipped and method.name not in result.failed:
                self._run_one(method, module, result)
            self._catch_up(f"{self.query.id} · {method.name}")
        stats = self.cache.stats()
        result.cache_hits += stats.hits
        result.cache_misses += stats.misses

    def _run_one(self, method: Method, module: Any, result: BenchResult) -> None:
        start = time.perf_counter()
        try:
            tally = self._run_method(method, module)
        except MethodUnavailable as exc:
            result.skipped[method.name] = str(exc)
            return
        except Exception as exc:  # a broken method must not stop the others
            reason = f"{type(exc).__name__}: {exc}"
            result.failed[method.name] = f"failed on query {self.query.id!r}: {reason}"
            return
        tally.wall_s = time.perf_counter() - start
        if method.name == ALL_LARGEST:
            self.all_largest_cost = tally.mean_cost
        result.runs.append(
            QueryRun(method.name, self.query.id, self.query.task, self.query.type, tally)
        )

    def _step(self, description: str, done: int) -> None:
        self.done += done
        self.advance(description, done)

    def _catch_up(self, description: str) -> None:
        """Advance the progress over what a skipped or failed method did not run."""
        self.advance(description, len(self.images) - self.done)
        self.done = 0

    def _run_method(self, method: Method, module: Any) -> Tally:
        description = f"{self.query.id} · {method.name}"
        if method.monolithic:
            return self._run_monolithic(description)
        return self._run_policy(method, module, description)

    def _run_monolithic(self, description: str) -> Tally:
        model = self.backends.monolithic
        if model is None:
            raise MethodUnavailable("no monolithic model is configured")
        tally = Tally()
        first_error: str | None = None
        question = self.query.question
        for first in range(0, len(self.images), MONOLITHIC_BATCH):
            images = self.images[first : first + MONOLITHIC_BATCH]
            outcomes = call_batch(model, [(image, question) for image in images])
            for offset, outcome in enumerate(outcomes):
                error = None if outcome.ok else str(outcome.error)
                tally.add(outcome.output, self.labels[first + offset], outcome.cost, 0.0, error)
                first_error = first_error or error
            self._step(description, len(images))
        if tally.errors == tally.inputs:
            raise RuntimeError(f"every input failed; the first: {first_error}")
        return tally

    def _run_policy(self, method: Method, module: Any, description: str) -> Tally:
        from fmpc.policies.base import PolicyError
        from fmpc.runtime.executor import Executor, run_stream
        from fmpc.runtime.inputs import InputItem

        context = PolicyContext(self.seed, self.all_largest_cost, self.query.id)
        policy = make_policy(method, context)
        items = [
            InputItem(image.id, image, label, labelled=True)
            for image, label in zip(self.images, self.labels, strict=True)
        ]
        table, costs = self.backends.table, self.backends.costs
        prepare = getattr(policy, "prepare", None)
        if prepare is not None:  # hindsight and calibrated baselines see the stream first
            module = prepare(module, table, items, costs=costs, cache=self.cache)
        try:
            executor = Executor(module, table, policy, cache=self.cache, costs=costs)
        except PolicyError as exc:
            raise MethodUnavailable(f"it cannot route {self.query.id!r}: {exc}") from None
        tally = Tally()
        first_error: str | None = None
        for step in run_stream(executor, items):
            outcome = step.result
            assert outcome is not None  # every item has an image
            decision_s = outcome.trace.decision_time_s
            tally.add(outcome.answer, step.item.label, outcome.cost, decision_s, outcome.error)
            self._step(description, 1)
            first_error = first_error or outcome.error
        if tally.errors == tally.inputs:
            raise RuntimeError(f"every input failed; the first: {first_error}")
        return tally
