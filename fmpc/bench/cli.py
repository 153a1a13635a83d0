"""``fmpc bench`` and ``fmpc demo``.

::

    fmpc bench --task binary|open|all [--quick] [--queries FILE.yaml] [--lam L ...] [--seed S]
               [--out DIR] [--max-queries N] [--stream-size N]
    fmpc demo [--out DIR] [--scenes N] [--lam L]

``bench`` runs every method on the same streams (``fmpc.bench.harness``), prints the tables, and
writes ``DIR/results.json`` and ``DIR/pareto.png`` (default ``DIR``: ``bench-out``). ``demo``
(what ``make demo`` runs) compiles one benchmark program, shows its IR before and after the
passes, streams it with the learned policy and the references, and writes the same files under
``demo-out``. Mistakes (an unknown task, a bad query file) are one message and exit status 1.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fmpc.bench.harness import Advance, BenchError, BenchPlan, BenchResult

DEFAULT_BENCH_OUT = "bench-out"
DEFAULT_DEMO_OUT = "demo-out"
RESULTS_FILE = "results.json"
PLOT_FILE = "pareto.png"
REPORT_WIDTH = 120


def add_bench_command(subparsers: Any) -> None:
    """Register ``bench`` on an ``argparse`` subparsers object (``args.handler(args)`` runs it)."""
    from fmpc.bench.methods import DEFAULT_LAMS

    parser = subparsers.add_parser(
        "bench",
        help="compare every method on the streaming VQA benchmarks",
        description="Run the monolithic model, static programs, routers, cascades, the learned "
        "policies and the oracle on the same streams; print the table and write "
        "DIR/results.json and DIR/pareto.png.",
    )
    parser.add_argument("--task", default="all", help="binary, open or all (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="a few queries on short streams (<= 3 minutes)"
    )
    parser.add_argument(
        "--queries", metavar="FILE.yaml", help="a query file instead of the shipped"
    )
    parser.add_argument(
        "--lam",
        type=float,
        nargs="+",
        metavar="L",
        help=f"cost weights of the learned policies (default: {' '.join(map(str, DEFAULT_LAMS))})",
    )
    parser.add_argument("--seed", type=int, default=0, help="stream and policy seed (default 0)")
    parser.add_argument("--out", default=DEFAULT_BENCH_OUT, help="output directory")
    parser.add_argument(
        "--max-queries", type=int, metavar="N", help="N queries per task, spread over the file"
    )
    parser.add_argument("--stream-size", type=int, metavar="N", help="scenes per stream")
    parser.add_argument(
        "--methods",
        metavar="NAMES",
        help="comma-separated methods or families to run (default: all), e.g. "
        "monolithic,all-largest,neural-ts,oracle",
    )
    parser.set_defaults(handler=bench_command)


def add_demo_command(subparsers: Any) -> None:
    """Register ``demo`` on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "demo",
        help="compile, optimize and stream one benchmark program (about a minute)",
        description="Compile one benchmark program, show its IR before and after the passes, "
        "stream it with the learned policy and compare with the monolithic model, all-largest "
        "and the oracle.",
    )
    parser.add_argument("--out", default=DEFAULT_DEMO_OUT, help="output directory")
    parser.add_argument("--scenes", type=int, default=None, help="scenes in the stream")
    parser.add_argument("--lam", type=float, default=None, help="the learned policy's cost weight")
    parser.add_argument("--seed", type=int, default=0, help="stream and policy seed (default 0)")
    parser.set_defaults(handler=demo_command)


# ---------------------------------------------------------------- bench


def wide_console() -> Console:
    """Standard output; at least ``REPORT_WIDTH`` columns when it is not a terminal (a log)."""
    console = Console()
    return console if console.is_terminal else Console(width=max(console.width, REPORT_WIDTH))


def bench_command(
    args: argparse.Namespace, console: Console | None = None, err: Console | None = None
) -> int:
    """``fmpc bench`` with parsed ``args``: 0 when it ran, 1 on a mistake in the arguments."""
    from fmpc.bench.harness import plan_benchmark, zoo_bench_backends
    from fmpc.bench.methods import DEFAULT_LAMS, load_optional_policies

    console = console or wide_console()
    err = err or Console(stderr=True)
    try:
        if args.lam is not None and any(lam < 0 for lam in args.lam):
            raise BenchError(f"--lam values must be >= 0, got {args.lam}")
        plan = plan_benchmark(
            args.task,
            queries_file=args.queries,
            quick=args.quick,
            max_queries=args.max_queries,
            stream_size=args.stream_size,
        )
        methods = _methods(args)
        load_optional_policies()
        backends = zoo_bench_backends()
    except BenchError as exc:
        err.print(f"fmpc bench: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    for note in plan.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
    try:
        result = run_with_progress(plan, methods, backends, args.seed, err)
    except BenchError as exc:  # a stream of a user's query file cannot be drawn
        err.print(f"fmpc bench: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    settings = {
        "command": "fmpc bench",
        "task": args.task,
        "quick": args.quick,
        "queries": args.queries,
        "lams": list(args.lam or DEFAULT_LAMS),
        "seed": args.seed,
        "methods": [m.name for m in methods],
        "streams": {q.id: plan.size(q) for q in plan.queries},
    }
    finish(result, settings, Path(args.out), console)
    return 0


def _methods(args: argparse.Namespace) -> tuple[Any, ...]:
    from fmpc.bench.methods import DEFAULT_LAMS, default_methods, select_methods

    methods = default_methods(tuple(args.lam) if args.lam else DEFAULT_LAMS)
    if args.methods is None:
        return methods
    wanted = [name.strip() for name in args.methods.split(",") if name.strip()]
    try:
        return select_methods(methods, wanted)
    except ValueError as exc:
        raise BenchError(f"--methods: {exc}") from None


def run_with_progress(
    plan: BenchPlan, methods: Sequence[Any], backends: Any, seed: int, err: Console
) -> BenchResult:
    """``run_benchmark`` under a rich progress bar (on ``err``)."""
    from fmpc.bench.harness import run_benchmark

    with _progress(err, plan.inputs * len(methods)) as advance:
        return run_benchmark(plan, methods, backends, seed=seed, advance=advance)


@contextmanager
def _progress(err: Console, total: int) -> Iterator[Advance]:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("starting", total=total)

        def advance(description: str, done: int) -> None:
            progress.update(task, advance=done, description=description)

        yield advance
        progress.update(task, description="done")


def finish(
    result: BenchResult, settings: dict[str, Any], out: Path, console: Console
) -> tuple[Path, Path | None]:
    """Print the report, write ``results.json`` and the plot under ``out``; their paths."""
    from fmpc.bench.plot import pareto_plot
    from fmpc.bench.report import print_report, results_document, summarize, write_results

    rows = summarize(result)
    print_report(rows, result, console)
    results = write_results(out / RESULTS_FILE, results_document(rows, result, settings))
    plot = pareto_plot(rows, out / PLOT_FILE) if rows else None
    console.print(f"results: {results}", markup=False, highlight=False)
    if plot is not None:
        console.print(f"plot:    {plot}", markup=False, highlight=False)
    console.print(f"wall time: {result.wall_s:.1f} s", markup=False, highlight=False)
    return results, plot


# ---------------------------------------------------------------- demo


def demo_command(
    args: argparse.Namespace, console: Console | None = None, err: Console | None = None
) -> int:
    """``fmpc demo`` (see ``fmpc.bench.demo``)."""
    from fmpc.bench.demo import run_demo

    console = console or wide_console()
    err = err or Console(stderr=True)
    start = time.perf_counter()
    try:
        code = run_demo(args, console, err)
    except BenchError as exc:
        err.print(f"fmpc demo: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    console.print(f"demo finished in {time.perf_counter() - start:.0f} s", markup=False)
    return code
