"""``fmpc demo``: the whole of fmpc on one benchmark query, in about a minute.

1. compile the query's program (``DEMO_QUERY`` of the shipped binary benchmark) and print its IR
   before and after the default pass pipeline;
2. stream the query's scenes through the learned policies and the references (the monolithic
   model, all-smallest, all-largest, the oracle) under a live progress bar, with one shared
   execution cache;
3. print the headline table, write ``results.json`` and the Pareto plot, and say where they are.

When the learned policies are not registered, the demo runs the methods that are, and says so.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from fmpc.bench.harness import QUICK_POSITIVE_RATE, BenchError, BenchPlan
from fmpc.worlds.benchmarks import BenchmarkQuery, builtin_queries
from fmpc.worlds.benchmarks.schema import BinaryStream

DEMO_QUERY = "red-7-left-of-circle"
"""The shipped binary query the demo runs."""

DEMO_SCENES = 1000
"""Scenes in the demo's stream (its positive rate is raised to ``QUICK_POSITIVE_RATE``)."""

DEMO_LAM = 0.05
"""The learned policy's cost weight in the demo."""


def demo_query(scenes: int) -> BenchmarkQuery:
    """The demo's query, its stream shortened to ``scenes`` with more positives."""
    query = next((q for q in builtin_queries("binary") if q.id == DEMO_QUERY), None)
    if query is None:
        raise BenchError(f"the shipped binary benchmark has no query {DEMO_QUERY!r}")
    settings = query.stream
    assert isinstance(settings, BinaryStream)
    stream = settings.model_copy(update={"positive_rate": QUICK_POSITIVE_RATE, "size": scenes})
    return dataclasses.replace(query, spec=query.spec.model_copy(update={"stream": stream}))


SECTION_WIDTH = 100
"""The widest a section rule is drawn (a log file's console has no width of its own)."""


def _section(console: Console, title: str) -> None:
    console.print(Rule(title), width=min(console.width, SECTION_WIDTH))


def show_compilation(query: BenchmarkQuery, console: Console) -> None:
    """Print the program, its IR, and its IR after the default pass pipeline."""
    from fmpc.bench.harness import compile_for_bench
    from fmpc.ir import print_module
    from fmpc.passes import DEFAULT_PIPELINE

    _section(console, f"1. the program: {query.question}")
    console.print(query.program, markup=False, highlight=False)
    _section(console, "2. its IR, as compiled")
    console.print(print_module(query.module), markup=False, highlight=False)
    _section(console, f"3. after the passes: {DEFAULT_PIPELINE}")
    optimized = compile_for_bench(query, DEFAULT_PIPELINE)
    console.print(print_module(optimized), markup=False, highlight=False)
    sites = len(optimized.routable_calls())
    console.print(f"{sites} routable call sites, each routed per input by the policy.")


def run_demo(args: argparse.Namespace, console: Console, err: Console) -> int:
    """Run the demo with ``args`` (``out``, ``scenes``, ``lam``, ``seed``); the exit status."""
    from fmpc.bench.console import finish, run_with_progress
    from fmpc.bench.harness import zoo_bench_backends
    from fmpc.bench.methods import demo_methods, load_optional_policies

    scenes = DEMO_SCENES if args.scenes is None else args.scenes
    if scenes < 10:
        raise BenchError(f"--scenes must be >= 10, got {scenes}")
    query = demo_query(scenes)
    show_compilation(query, console)
    load_optional_policies()
    backends = zoo_bench_backends()
    methods = demo_methods(DEMO_LAM if args.lam is None else args.lam)
    plan = BenchPlan((query,), {query.id: scenes})
    _section(console, f"4. streaming {scenes} scenes ({query.id}) with every method")
    console.print(
        f"Scenes arrive one window at a time; after each answer the label arrives and the "
        f"learned policies update. Positive rate {QUICK_POSITIVE_RATE:g} (the benchmark's is "
        "0.01) so that this short stream holds positives.",
        markup=False,
    )
    result = run_with_progress(plan, methods, backends, args.seed, err)
    learned = [m.name for m in methods if m.learned]
    if all(name in result.skipped for name in learned):
        console.print(
            "The learned policies are not registered in this build, so the table shows the "
            "static methods and the oracle only.",
            markup=False,
            style="yellow",
        )
    _section(console, "5. results")
    settings = {"command": "fmpc demo", "query": query.id, "scenes": scenes, "seed": args.seed}
    results, plot = finish(result, settings, Path(args.out), console)
    console.print(
        f"Open {plot or results} to see quality against cost; `fmpc bench --quick` compares "
        "every method on both benchmarks.",
        markup=False,
    )
    return 0
