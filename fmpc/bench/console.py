"""Running a benchmark in a terminal: a live progress bar, the report, ``results.json`` and the
Pareto plot. ``fmpc bench`` and ``fmpc demo`` share it."""

from __future__ import annotations

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

from fmpc.bench.harness import Advance, BenchPlan, BenchResult

RESULTS_FILE = "results.json"
PLOT_FILE = "pareto.png"


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
