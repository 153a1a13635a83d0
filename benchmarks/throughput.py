"""Runtime throughput beside the compute bound, with a profile of where the time goes (a command,
not a test)::

    .venv/bin/python benchmarks/throughput.py [--quick] [--inputs 96] [--repeats 3]
        [--windows 1,8,64] [--policies static:smallest,static:largest,neural-ts]
        [--programs red_seven,red-7-left-of-circle,count-digits] [--json OUT.json]

Programs: ``examples/red_seven.py`` and two benchmark queries, each compiled with the default
pipeline (as ``fmpc run`` and ``fmpc bench`` compile them), each on a labelled stream of the
digits world (rendered before timing), with the model zoo's backends. For each program, policy
and window:

- **inputs/s**: ``run_stream`` over the stream (the learned policies observe every label), the
  median of ``--repeats`` runs after a warm-up run that compiles every batch bucket and the
  policy's own functions; each run has a fresh policy, executor and cache, as ``fmpc run`` does;
  the policy's share of the time also in ms per input;
- **profile**: the share of the time in the backends' model compute (the compiled functions and
  their transfers), their pre- and post-processing (preparing inputs, stacking, reading outputs
  back), the policy (``start``, ``decide``, ``recheck`` as the executor times them, plus
  ``observe``) and the rest: the interpreter and the executor; the rest per site execution (the
  executor's overhead per site execution);
- **compute bound**: the backend calls of the warm-up run, recorded batch by batch, replayed
  straight to the backends (no interpreter, no policy) after each timed run: ``bound`` counts
  the backends' whole calls, ``model`` their compiled functions alone (both in inputs/s);
- **memory**: the Python and numpy memory (tracemalloc's peak) of one window at the largest
  window, per in-flight input (JAX's own device buffers are not traced).

Then the targets of the throughput issue, each met or missed. Prints a table and, last, one JSON
line (also written to ``--json``). ``--quick`` is a short run (``red_seven`` only, 32 inputs,
one repeat) to try the command. Figures on a shared machine are noisy: compare medians from the
same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
from rich.console import Console
from rich.table import Table

from fmpc.frontend import compile_file
from fmpc.ir.core import Module
from fmpc.passes import DEFAULT_PIPELINE, PassManager
from fmpc.policies.base import policy_from_spec
from fmpc.runtime.backends import Args, BackendResult, BackendTable
from fmpc.runtime.backends.jax import StageTimes
from fmpc.runtime.cache import ExecutionCache
from fmpc.runtime.executor import Executor, run_stream
from fmpc.runtime.inputs import InputItem, world_inputs
from fmpc.worlds.benchmarks import Stream, builtin_queries
from fmpc.zoo.plugin import zoo_table

EXAMPLE = Path(__file__).parents[1] / "examples" / "red_seven.py"
PROGRAMS = ("red_seven", "red-7-left-of-circle", "count-digits")
"""``red_seven`` (the example) and two benchmark queries."""
POLICIES = ("static:smallest", "static:largest", "neural-ts")
"""The default policies; ``defer`` is another choice (``--policies``)."""
WINDOWS = (1, 8, 64)
INPUTS = 128


@dataclass(frozen=True)
class Workload:
    """A program and its labelled stream."""

    name: str
    module: Module
    items: tuple[InputItem, ...]


@dataclass
class Measured:
    """One (program, policy, window): inputs/s and where the time went."""

    inputs_per_s: float
    seconds: float
    backends: StageTimes
    policy_s: float
    site_executions: int
    extra: dict[str, float] = field(default_factory=dict)

    def shares(self) -> dict[str, float]:
        """Fractions of the wall time in each part."""
        model = self.backends.compute_s
        prepost = self.backends.preprocess_s + self.backends.postprocess_s
        rest = self.seconds - model - prepost - self.policy_s
        return {
            "model": model / self.seconds,
            "pre/post": prepost / self.seconds,
            "policy": self.policy_s / self.seconds,
            "interpreter+executor": rest / self.seconds,
        }

    def rest_ms_per_site(self) -> float:
        """Milliseconds outside backends and policy per site execution."""
        shares = self.shares()
        rest = shares["interpreter+executor"] * self.seconds
        return 1000 * rest / max(1, self.site_executions)


# ---------------------------------------------------------------- workloads


def workloads(size: int, programs: Sequence[str] = PROGRAMS) -> list[Workload]:
    """Each of ``programs`` (``red_seven`` and benchmark query ids) with ``size`` labelled
    scenes, compiled with the default pipeline."""
    queries = {q.id: q for task in ("binary", "open") for q in builtin_queries(task)}
    unknown = [name for name in programs if name != "red_seven" and name not in queries]
    if unknown:
        raise SystemExit(f"throughput: unknown program(s) {', '.join(unknown)}")
    out = []
    for name in programs:
        if name == "red_seven":
            module = PassManager(DEFAULT_PIPELINE).run(compile_file(str(EXAMPLE)))
            items = tuple(world_inputs(module, size, world="digits", seed=0))  # rendered here
        else:
            module = PassManager(DEFAULT_PIPELINE).run(queries[name].module)
            stream = Stream(queries[name], 0, size)
            images = [stream.image(i) for i in range(len(stream))]
            items = tuple(
                InputItem(image.id, image, label, labelled=True)
                for image, label in zip(images, stream.labels, strict=True)
            )
        out.append(Workload(name, module, items))
    return out


# ---------------------------------------------------------------- measuring


def timings(table: BackendTable) -> StageTimes:
    """The stage times of every backend of ``table`` together."""
    total = StageTimes()
    for group in table.values():
        for backend in group:
            read = getattr(backend, "timings", None)
            if read is not None:
                total = total + read()
    return total


def stream_once(
    work: Workload, table: BackendTable, costs: Any, spec: str, window: int
) -> tuple[float, float, int, int]:
    """One timed ``run_stream``: seconds, seconds in the policy, site executions, inputs that
    ended in an error."""
    policy = policy_from_spec(spec, seed=0, lam=0.03 if spec == "defer" else 0.05)
    observing = [0.0]
    observe = policy.observe

    def timed_observe(trace: Any, feedback: Any) -> None:
        start = time.perf_counter()
        observe(trace, feedback)
        observing[0] += time.perf_counter() - start

    policy.observe = timed_observe  # type: ignore[method-assign]
    executor = Executor(work.module, table, policy, cache=ExecutionCache(), costs=costs)
    start = time.perf_counter()
    steps = list(run_stream(executor, work.items, window=window))
    seconds = time.perf_counter() - start
    results = [s.result for s in steps if s.result is not None]
    deciding = sum(r.trace.decision_time_s for r in results)
    calls = sum(len(r.trace.calls) for r in results)
    errors = sum(r.error is not None for r in results)
    return seconds, deciding + observing[0], calls, errors


Calls = list[tuple[Any, list[Args]]]
"""Backend calls as made: (backend, batch) in order."""


def measure(
    work: Workload, table: BackendTable, costs: Any, spec: str, window: int, repeats: int
) -> Measured:
    """A warm-up stream that records its backend calls, then ``repeats`` rounds of a timed
    stream and a timed replay of those calls (the compute bound, measured next to the stream it
    bounds); the medians."""
    calls = record(work, table, costs, spec, window)
    runs, bounds, models = [], [], []
    for _ in range(repeats):
        before = timings(table)
        seconds, policy_s, executions, errors = stream_once(work, table, costs, spec, window)
        runs.append((seconds, policy_s, executions, timings(table) - before, errors))
        replay_s, model_s = replay(table, calls)
        bounds.append(len(work.items) / replay_s)
        models.append(len(work.items) / model_s if model_s > 0 else float("inf"))
    seconds, policy_s, executions, stages, errors = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    extra = {
        "bound": statistics.median(bounds),
        "model": statistics.median(models),
        "errors": errors,
    }
    return Measured(len(work.items) / seconds, seconds, stages, policy_s, executions, extra)


class _Recorder:
    """A backend that records the batches it is called with (for the compute bound)."""

    def __init__(self, backend: Any, log: Calls) -> None:
        self.inner, self.log = backend, log
        self.name, self.function = backend.name, backend.function
        self.nominal_cost = getattr(backend, "nominal_cost", None)

    def cost(self, args: Args) -> float:
        return float(self.inner.cost(args))

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        self.log.append((self.inner, list(batch)))
        return list(self.inner(batch))


def record(work: Workload, table: BackendTable, costs: Any, spec: str, window: int) -> Calls:
    """The backend calls of one stream at ``window``, batch by batch."""
    log: Calls = []
    recording = BackendTable(
        {fn: tuple(_Recorder(b, log) for b in group) for fn, group in table.items()}
    )
    stream_once(work, recording, costs, spec, window)
    return log


def replay(table: BackendTable, calls: Calls) -> tuple[float, float]:
    """Seconds to make ``calls`` straight to the backends, and their compiled functions' share."""
    before = timings(table)
    start = time.perf_counter()
    for backend, batch in calls:
        backend(batch)
    return time.perf_counter() - start, (timings(table) - before).compute_s


def memory_per_input(
    work: Workload, table: BackendTable, costs: Any, spec: str, window: int
) -> float:
    """tracemalloc's peak over one window, per input of the window, in KiB."""
    policy = policy_from_spec(spec, seed=0, lam=0.03 if spec == "defer" else 0.05)
    images = [item.image for item in work.items[:window]]
    Executor(work.module, table, policy, cache=ExecutionCache(), costs=costs).run_window(images)
    executor = Executor(work.module, table, policy, cache=ExecutionCache(), costs=costs)
    tracemalloc.start()
    executor.run_window(images)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / len(images) / 1024


# ---------------------------------------------------------------- reporting


def run(args: argparse.Namespace, progress: Console) -> dict[str, Any]:
    """Measure everything asked for, one line on ``progress`` per row; the JSON summary."""
    table, costs = zoo_table()
    windows = [int(w) for w in args.windows.split(",")]
    policies = args.policies.split(",")
    rows = []
    start = time.perf_counter()
    for work in workloads(args.inputs, args.programs.split(",")):
        for spec in policies:
            memory = memory_per_input(work, table, costs, spec, max(windows))
            for window in windows:
                m = measure(work, table, costs, spec, window, args.repeats)
                rows.append(_row(work.name, spec, window, m, memory))
                progress.print(
                    f"[{time.perf_counter() - start:6.1f} s] {work.name} {spec} w{window}: "
                    f"{m.inputs_per_s:.0f} inputs/s (bound {m.extra['bound']:.0f})"
                    + (
                        f", {m.extra['errors']:.0f} inputs ended in an error"
                        if m.extra["errors"]
                        else ""
                    )
                )
    return {
        "rows": rows,
        "targets": targets(rows),
        "inputs": args.inputs,
        "repeats": args.repeats,
        "machine": _machine(),
    }


Target = dict[str, Any]
"""One target of the issue: ``name``, ``measured``, ``wanted`` and ``met`` (``None`` when the
run did not measure it)."""


def targets(rows: list[dict[str, Any]]) -> list[Target]:
    """The throughput targets, checked on ``rows``."""
    rate = {(r["program"], r["policy"], r["window"]): r["inputs_per_s"] for r in rows}
    of_bound = {(r["program"], r["policy"], r["window"]): r["of_bound"] for r in rows}

    def ratio(top: tuple[str, str, int], bottom: tuple[str, str, int]) -> float | None:
        if top not in rate or bottom not in rate:
            return None
        return float(rate[top] / rate[bottom])

    small = ("red_seven", "static:smallest")
    out = [
        _target(
            "red_seven static:smallest w64, of its compute bound",
            of_bound.get((*small, 64)),
            0.5,
        ),
        _target("red_seven static:smallest w64 / w1", ratio((*small, 64), (*small, 1)), 3.0),
    ]
    for program in dict.fromkeys(r["program"] for r in rows):
        ts, smallest = (program, "neural-ts", 64), (program, "static:smallest", 64)
        out.append(
            _target(f"{program} neural-ts w64 / static:smallest w64", ratio(ts, smallest), 0.7)
        )
        # neural-ts also calls the large backends: the same ratio, each of its own bound, says
        # whether deciding and learning dominate, whatever backends the policy chose.
        both = ts in of_bound and smallest in of_bound
        relative = of_bound[ts] / of_bound[smallest] if both else None
        name = f"{program} neural-ts w64 / static:smallest w64, each of its bound"
        out.append(_target(name, relative, 0.7))
    worst = max((r["rest_ms_per_site"] for r in rows), default=None)
    name = "executor overhead per site execution, worst row (ms)"
    out.append(_target(name, worst, 0.2, at_most=True))
    return out


def _target(name: str, measured: float | None, wanted: float, at_most: bool = False) -> Target:
    met = None if measured is None else (measured <= wanted if at_most else measured >= wanted)
    value = None if measured is None else round(float(measured), 3)
    return {
        "name": name,
        "measured": value,
        "wanted": f"{'<=' if at_most else '>='} {wanted}",
        "met": met,
    }


def _row(program: str, spec: str, window: int, m: Measured, memory: float) -> dict[str, Any]:
    bound, model = m.extra["bound"], m.extra["model"]
    return {
        "program": program,
        "policy": spec,
        "window": window,
        "inputs_per_s": round(m.inputs_per_s, 1),
        "bound_inputs_per_s": round(bound, 1),
        "model_inputs_per_s": round(model, 1),
        "of_bound": round(m.inputs_per_s / bound, 3),
        "shares": {k: round(v, 3) for k, v in m.shares().items()},
        "rest_ms_per_site": round(m.rest_ms_per_site(), 4),
        "policy_ms_per_input": round(1000 * m.policy_s / (m.inputs_per_s * m.seconds), 4),
        "site_executions": m.site_executions,
        "errors": int(m.extra["errors"]),
        "memory_kib_per_input": round(memory, 1),
    }


def _machine() -> dict[str, Any]:
    return {
        "platform": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "cpus": os.cpu_count(),
        "load": [round(x, 2) for x in os.getloadavg()],
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
    }


def print_table(summary: dict[str, Any], console: Console) -> None:
    """The rows as a rich table."""
    table = Table(title=f"throughput ({summary['inputs']} inputs, median of {summary['repeats']})")
    for column in ("program", "policy", "window", "inputs/s", "bound", "model", "of bound"):
        table.add_column(column, justify="left" if column in ("program", "policy") else "right")
    for column in ("model", "pre/post", "policy", "interp+exec", "ms/site", "policy ms", "KiB/in"):
        table.add_column(column, justify="right")
    for r in summary["rows"]:
        s = r["shares"]
        table.add_row(
            r["program"],
            r["policy"],
            str(r["window"]),
            f"{r['inputs_per_s']:.0f}",
            f"{r['bound_inputs_per_s']:.0f}",
            f"{r['model_inputs_per_s']:.0f}",
            f"{r['of_bound']:.0%}",
            f"{s['model']:.0%}",
            f"{s['pre/post']:.0%}",
            f"{s['policy']:.0%}",
            f"{s['interpreter+executor']:.0%}",
            f"{r['rest_ms_per_site']:.3f}",
            f"{r['policy_ms_per_input']:.2f}",
            f"{r['memory_kib_per_input']:.0f}",
        )
    console.print(table)
    for target in summary["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        console.print(
            f"target {target['name']}: {target['measured']} ({target['wanted']}): {verdict}"
        )
    console.print(f"machine: {summary['machine']}")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments, measure, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="red_seven, 32 inputs, 1 repeat")
    parser.add_argument("--inputs", type=int, default=INPUTS, help=f"scenes per stream ({INPUTS})")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the median counts")
    parser.add_argument("--windows", default=",".join(map(str, WINDOWS)), help="e.g. 1,8,64")
    parser.add_argument("--policies", default=",".join(POLICIES), help="comma-separated specs")
    parser.add_argument("--programs", default=",".join(PROGRAMS), help="red_seven, query ids")
    parser.add_argument("--json", metavar="OUT", help="also write the JSON summary here")
    args = parser.parse_args(argv)
    if args.quick:
        args.inputs, args.repeats, args.programs = 32, 1, "red_seven"
    if args.inputs < 1 or args.repeats < 1:
        parser.error("--inputs and --repeats must be >= 1")
    if not all(w.strip().isdigit() and int(w) >= 1 for w in args.windows.split(",")):
        parser.error(f"--windows must be positive sizes separated by commas, got {args.windows!r}")
    import fmpc.policies.deferral  # noqa: F401 - registers defer
    import fmpc.policies.neural_ts  # noqa: F401 - registers neural-ts

    for spec in args.policies.split(","):
        try:
            policy_from_spec(spec, seed=0)
        except Exception as exc:  # a user's spec: say which and why
            parser.error(f"--policies: {spec!r}: {exc}")
    start = time.perf_counter()
    summary = run(args, Console(stderr=True))
    summary["wall_s"] = round(time.perf_counter() - start, 1)
    print_table(summary, Console(width=160))
    line = json.dumps(summary)
    if args.json:
        Path(args.json).write_text(line + "\n", encoding="utf-8")
    print(line)


if __name__ == "__main__":
    main()
