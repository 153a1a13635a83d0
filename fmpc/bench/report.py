"""Benchmark reports: one row per (method, task), a rich table and ``results.json``.

``summarize(result)`` aggregates each method's runs per task (``fmpc.bench.metrics``) and adds
the comparisons: savings vs the monolithic model and vs all-largest (``1 - cost / theirs``) and
cost relative to the oracle (``cost / oracle's``). ``results_document`` is the ``results.json``
of issue 7::

    {"methods": [{"method", "task", "f1", "accuracy", "mean_cost", "savings_vs_monolithic",
                  "savings_vs_all_largest", "cost_vs_oracle", "decision_overhead_ms",
                  "decision_startup_s"}, ...],
     "details": [...], "skipped": {...}, "failed": {...}, "skipped_queries": {...},
     "settings": {...}}

where ``methods`` holds exactly those keys (``null`` where a figure does not apply or its
reference did not run) and ``details`` the rest: pooled F1, accuracy per reasoning type, inputs,
errors, wall time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fmpc.bench.harness import BenchResult
from fmpc.bench.methods import ALL_LARGEST, MONOLITHIC, ORACLE
from fmpc.bench.metrics import Aggregate, aggregate, ratio, savings

RESULT_KEYS = (
    "method",
    "task",
    "f1",
    "accuracy",
    "mean_cost",
    "savings_vs_monolithic",
    "savings_vs_all_largest",
    "cost_vs_oracle",
    "decision_overhead_ms",
    "decision_startup_s",
)
"""The keys of each entry of ``results.json``'s ``methods``, in order."""


@dataclass(frozen=True)
class Row:
    """One method on one task, with its comparisons to the references."""

    method: str
    family: str
    task: str
    stats: Aggregate
    savings_vs_monolithic: float | None
    savings_vs_all_largest: float | None
    cost_vs_oracle: float | None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def quality(self) -> float | None:
        """F1 (mean over queries) for binary VQA, accuracy for open-form."""
        return self.stats.f1 if self.task == "binary" else self.stats.accuracy

    def to_json(self) -> dict[str, Any]:
        """This row as one entry of ``results.json``'s ``methods``."""
        s = self.stats
        values = (
            self.method,
            self.task,
            s.f1,
            s.accuracy,
            s.mean_cost,
            self.savings_vs_monolithic,
            self.savings_vs_all_largest,
            self.cost_vs_oracle,
            s.decision_overhead_ms,
            s.decision_startup_s,
        )
        return dict(zip(RESULT_KEYS, values, strict=True))

    def details(self) -> dict[str, Any]:
        """What ``to_json`` leaves out: pooled F1, per-type accuracy, counts."""
        s = self.stats
        return {
            "method": self.method,
            "family": self.family,
            "task": self.task,
            "queries": s.queries,
            "inputs": s.inputs,
            "errors": s.errors,
            "wall_s": round(s.wall_s, 2),
            "f1_pooled": s.f1_pooled,
            "accuracy_by_type": dict(s.by_type),
        }


def summarize(result: BenchResult) -> list[Row]:
    """One row per (method, task) in the order the methods ran, tasks binary first."""
    families = {m.name: m.family for m in result.methods}
    runs = result.completed()
    rows: list[Row] = []
    for task in ("binary", "open"):
        of_task = [r for r in runs if r.task == task]
        names = [m.name for m in result.methods if any(r.method == m.name for r in of_task)]
        stats = {name: aggregate(r for r in of_task if r.method == name) for name in names}
        reference = {
            ref: stats[ref].mean_cost for ref in (MONOLITHIC, ALL_LARGEST, ORACLE) if ref in stats
        }
        for name in names:
            cost = stats[name].mean_cost
            rows.append(
                Row(
                    name,
                    families.get(name, name),
                    task,
                    stats[name],
                    savings(cost, reference.get(MONOLITHIC)),
                    savings(cost, reference.get(ALL_LARGEST)),
                    ratio(cost, reference.get(ORACLE)),
                )
            )
    return rows


def results_document(
    rows: Sequence[Row], result: BenchResult, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``results.json`` document (see the module docstring)."""
    return {
        "methods": [row.to_json() for row in rows],
        "details": [row.details() for row in rows],
        "skipped": dict(result.skipped),
        "failed": dict(result.failed),
        "skipped_queries": dict(result.skipped_queries),
        "settings": {
            **settings,
            "backends": result.backends,
            "wall_s": round(result.wall_s, 2),
            "cache_hits": result.cache_hits,
            "cache_misses": result.cache_misses,
            "notes": list(result.notes),
        },
    }


def write_results(path: str | Path, document: Mapping[str, Any]) -> Path:
    """Write ``document`` as indented JSON to ``path`` (parents created); the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- the table


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, spec: str = ".3f") -> str:
    return "—" if value is None else format(value, spec)


def results_table(rows: Sequence[Row], task: str, title: str | None = None) -> Table:
    """The rich table of ``task``'s rows: quality, mean cost, savings, oracle ratio, overhead."""
    binary = task == "binary"
    table = Table(title=title or ("Streaming binary VQA" if binary else "Streaming open-form VQA"))
    table.add_column("method", no_wrap=True)
    if binary:
        table.add_column("F1", justify="right")
        table.add_column("F1 pooled", justify="right")
    table.add_column("acc", justify="right")
    table.add_column("FLOPs/input", justify="right")
    table.add_column("save vs mono", justify="right")
    table.add_column("save vs largest", justify="right")
    table.add_column("x oracle", justify="right")
    table.add_column("decide ms", justify="right")
    table.add_column("startup s", justify="right")
    for row in (r for r in rows if r.task == task):
        s = row.stats
        quality = [_num(s.f1), _num(s.f1_pooled)] if binary else []
        table.add_row(
            row.method,
            *quality,
            _num(s.accuracy),
            _num(s.mean_cost, ".3g"),
            _pct(row.savings_vs_monolithic),
            _pct(row.savings_vs_all_largest),
            _num(row.cost_vs_oracle, ".2f"),
            _num(s.decision_overhead_ms, ".3f"),
            _num(s.decision_startup_s, ".2f"),
        )
    return table


def types_table(rows: Sequence[Row]) -> Table | None:
    """Open-form accuracy per reasoning type (``None`` without open-form rows)."""
    open_rows = [r for r in rows if r.task == "open"]
    if not open_rows:
        return None
    kinds = sorted({t for r in open_rows for t in r.stats.by_type})
    table = Table(title="Open-form accuracy by type")
    table.add_column("method", no_wrap=True)
    for kind in kinds:
        table.add_column(kind, justify="right")
    for row in open_rows:
        table.add_row(row.method, *(_num(row.stats.by_type.get(k)) for k in kinds))
    return table


def print_report(rows: Sequence[Row], result: BenchResult, console: Console) -> None:
    """Print the tables, the skipped and failed methods and the notes."""
    for task in ("binary", "open"):
        if any(r.task == task for r in rows):
            console.print(results_table(rows, task))
    by_type = types_table(rows)
    if by_type is not None:
        console.print(by_type)
    for name, reason in result.skipped.items():
        console.print(f"skipped {name}: {reason}", markup=False, highlight=False)
    for query, reason in result.skipped_queries.items():
        console.print(f"skipped query {query}: {reason}", markup=False, highlight=False)
    for name, reason in result.failed.items():
        console.print(f"FAILED {name}: {reason}", markup=False, highlight=False, style="red")
    for note in result.notes:
        console.print(f"note: {note}", markup=False, highlight=False)
