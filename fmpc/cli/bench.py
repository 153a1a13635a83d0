"""``fmpc bench``.

::

    fmpc bench --task binary|open|all [--quick] [--queries FILE.yaml] [--lam L ...] [--seed S]
               [--out DIR] [--max-queries N] [--stream-size N]

``bench`` runs every method on the same streams (``fmpc.bench.harness``), prints the tables, and
writes ``DIR/results.json`` and ``DIR/pareto.png`` (default ``DIR``: ``bench-out``). Mistakes (an
unknown task, a bad query file) are one message and exit status 1. Building the parser imports
nothing of ``fmpc.bench``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmpc.cli.common import command

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_BENCH_OUT = "bench-out"


def add_bench_command(subparsers: Any) -> None:
    """Register ``bench`` on an ``argparse`` subparsers object (``args.handler(args)`` runs it)."""
    parser = command(
        subparsers,
        "bench",
        bench_command,
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
        help="cost weights of every learned policy (default: each family's, FAMILY_LAMS)",
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


# ---------------------------------------------------------------- bench


def bench_command(
    args: argparse.Namespace, console: Console | None = None, err: Console | None = None
) -> int:
    """``fmpc bench`` with parsed ``args``: 0 when it ran, 1 on a mistake in the arguments."""
    from fmpc.bench.console import finish, run_with_progress
    from fmpc.bench.harness import BenchError, plan_benchmark, zoo_bench_backends
    from fmpc.bench.methods import FAMILY_LAMS, load_optional_policies
    from fmpc.cli.console import console as cli_console

    console = console or cli_console()
    err = err or cli_console(stderr=True)
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
        "lams": list(args.lam) if args.lam else {f: list(v) for f, v in FAMILY_LAMS.items()},
        "seed": args.seed,
        "methods": [m.name for m in methods],
        "streams": {q.id: plan.size(q) for q in plan.queries},
    }
    finish(result, settings, Path(args.out), console)
    return 0


def _methods(args: argparse.Namespace) -> tuple[Any, ...]:
    from fmpc.bench.harness import BenchError
    from fmpc.bench.methods import default_methods, select_methods

    methods = default_methods(tuple(args.lam) if args.lam else None)
    if args.methods is None:
        return methods
    wanted = [name.strip() for name in args.methods.split(",") if name.strip()]
    try:
        return select_methods(methods, wanted)
    except ValueError as exc:
        raise BenchError(f"--methods: {exc}") from None
