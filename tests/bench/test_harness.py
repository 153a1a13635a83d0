"""The harness on two tiny streams with perfect backends: results, cache reuse, skipped and
failed methods, results.json and the plot."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fmpc.bench.harness import BenchError, BenchPlan, plan_benchmark, run_benchmark
from fmpc.bench.methods import ALL_LARGEST, MONOLITHIC, Method, default_methods, select_methods
from fmpc.bench.plot import pareto_plot
from fmpc.bench.report import RESULT_KEYS, results_document, summarize, write_results
from fmpc.runtime.backends import BackendTable
from tests.bench.conftest import (
    LARGE_COST,
    MONOLITHIC_COST,
    SMALL_COST,
    TINY,
    CallLog,
    fake_backends,
)

METHODS = (
    Method(MONOLITHIC, MONOLITHIC, None),
    Method("all-smallest", "static", "static:smallest"),
    Method(ALL_LARGEST, "static", "static:largest"),
    Method("random", "random", "random"),
    Method("not-there(lam=1)", "not-there", "not-there"),
)


def _row(document: dict[str, Any], method: str, task: str) -> dict[str, Any]:
    return next(m for m in document["methods"] if m["method"] == method and m["task"] == task)


def test_every_method_runs_on_the_same_streams(tiny_plan: BenchPlan, call_log: CallLog) -> None:
    result = run_benchmark(tiny_plan, METHODS, fake_backends(call_log))
    runs = Counter((r.method, r.query) for r in result.completed())
    assert set(runs.values()) == {1}
    assert {m for m, _ in runs} == {MONOLITHIC, "all-smallest", ALL_LARGEST, "random"}
    assert result.skipped == {"not-there(lam=1)": "no policy 'not-there' is registered"}
    for run in result.completed():  # perfect backends: every method is right on every input
        assert run.tally.accuracy == 1.0 and run.tally.errors == 0
        assert run.tally.inputs == (10 if run.task == "binary" else 6)


def test_each_backend_call_runs_once_across_methods(
    tiny_plan: BenchPlan, call_log: CallLog
) -> None:
    result = run_benchmark(tiny_plan, METHODS, fake_backends(call_log))
    repeated = [call for call, n in Counter(call_log.calls).items() if n > 1]
    assert repeated == []
    assert result.cache_hits > 0  # the random policy re-used calls of the static ones
    assert len(call_log.calls) == result.cache_misses


def test_results_json_has_the_issue_format(
    tiny_plan: BenchPlan, call_log: CallLog, tmp_path: Path
) -> None:
    result = run_benchmark(tiny_plan, METHODS, fake_backends(call_log))
    rows = summarize(result)
    path = write_results(tmp_path / "out" / "results.json", results_document(rows, result, {}))
    document = json.loads(path.read_text())
    assert all(tuple(entry) == RESULT_KEYS for entry in document["methods"])
    assert {(m["method"], m["task"]) for m in document["methods"]} >= {
        (MONOLITHIC, "binary"),
        (ALL_LARGEST, "open"),
    }
    largest, smallest = (
        _row(document, ALL_LARGEST, "binary"),
        _row(document, "all-smallest", "binary"),
    )
    assert largest["savings_vs_all_largest"] == 0.0
    assert smallest["f1"] == 1.0 and smallest["accuracy"] == 1.0
    assert largest["mean_cost"] == pytest.approx(LARGE_COST / SMALL_COST * smallest["mean_cost"])
    assert smallest["savings_vs_monolithic"] == pytest.approx(
        1 - smallest["mean_cost"] / MONOLITHIC_COST
    )
    assert smallest["cost_vs_oracle"] is None  # the oracle did not run
    assert _row(document, "all-smallest", "open")["f1"] is None
    assert document["skipped"] == {"not-there(lam=1)": "no policy 'not-there' is registered"}
    details = next(d for d in document["details"] if d["task"] == "open")
    assert details["accuracy_by_type"] == {"numerical": 1.0}


def test_a_method_that_fails_everywhere_is_reported_not_scored(
    tiny_plan: BenchPlan, call_log: CallLog
) -> None:
    def broken(image: Any, question: str) -> str:
        raise RuntimeError("model offline")

    result = run_benchmark(tiny_plan, METHODS[:2], fake_backends(call_log, broken))
    assert "model offline" in result.failed[MONOLITHIC]
    assert all(run.method != MONOLITHIC for run in result.completed())
    assert {row.method for row in summarize(result)} == {"all-smallest"}


def test_the_oracle_is_cheapest_and_savings_are_against_it(call_log: CallLog) -> None:
    plan = plan_benchmark("binary", queries_file=TINY)
    methods = (*METHODS[1:3], Method("oracle", "oracle", "oracle"))
    rows = summarize(run_benchmark(plan, methods, fake_backends(call_log)))
    by_name = {row.method: row for row in rows}
    oracle = by_name["oracle"]
    assert oracle.cost_vs_oracle == 1.0 and oracle.quality == 1.0
    assert by_name[ALL_LARGEST].cost_vs_oracle == pytest.approx(LARGE_COST / SMALL_COST)


def test_the_plot_is_written(tiny_plan: BenchPlan, call_log: CallLog, tmp_path: Path) -> None:
    rows = summarize(run_benchmark(tiny_plan, METHODS, fake_backends(call_log)))
    path = pareto_plot(rows, tmp_path / "plots" / "pareto.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="nothing to plot"):
        pareto_plot([], tmp_path / "empty.png")


def test_quick_plan_keeps_positives_and_every_reasoning_type() -> None:
    plan = plan_benchmark("all", quick=True)
    binary = [q for q in plan.queries if q.task == "binary"]
    opened = [q for q in plan.queries if q.task == "open"]
    assert 1 <= len(binary) <= 3
    assert {q.type for q in opened} == {
        "spatial",
        "logical",
        "numerical",
        "comparison",
        "knowledge",
    }
    assert all(q.stream.positive_rate >= 0.05 for q in binary)  # type: ignore[union-attr]
    assert plan.inputs < sum(q.stream.size for q in plan.queries)
    assert "raised from 0.01" in plan.notes[0]


def test_default_methods_cover_the_issue_line_up() -> None:
    names = [m.name for m in default_methods((0.001, 0.01))]
    assert names[:3] == [MONOLITHIC, "all-smallest", ALL_LARGEST]
    assert {
        "per-query",
        "cascade",
        "oracle",
        "neural-ts(lam=0.001)",
        "adaptive-ts(lam=0.01)",
    } <= set(names)
    assert any(name.startswith("budget(") for name in names)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task": "multi"}, "unknown task 'multi'"),
        ({"task": "binary", "max_queries": 0}, "--max-queries must be >= 1"),
        ({"task": "binary", "stream_size": 0}, "--stream-size must be >= 1"),
        ({"task": "binary", "queries_file": "missing.yaml"}, "cannot read the query file"),
    ],
)
def test_plan_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(BenchError, match=message):
        plan_benchmark(**kwargs)


def test_plan_needs_queries_of_the_task(tmp_path: Path) -> None:
    only_binary = tmp_path / "b.yaml"
    text = TINY.read_text()
    only_binary.write_text(text[: text.index("  - id: count-digits")])
    with pytest.raises(BenchError, match="no open queries"):
        plan_benchmark("open", queries_file=only_binary)


def test_select_methods_by_name_or_family() -> None:
    methods = default_methods((0.01, 0.1))
    chosen = select_methods(methods, ["oracle", "neural-ts"])
    assert [m.name for m in chosen] == ["neural-ts(lam=0.01)", "neural-ts(lam=0.1)", "oracle"]
    with pytest.raises(ValueError, match="unknown method"):
        select_methods(methods, ["all-medium"])


def test_the_budget_needs_all_largest_to_run_first(call_log: CallLog) -> None:
    plan = plan_benchmark("binary", queries_file=TINY)
    budget = next(m for m in default_methods() if m.family == "budget")
    result = run_benchmark(plan, (budget,), fake_backends(call_log))
    assert "all-largest" in result.skipped[budget.name]


def test_a_query_the_backends_cannot_serve_is_skipped_for_every_method(
    tiny_plan: BenchPlan, call_log: CallLog
) -> None:
    full = fake_backends(call_log)
    table = BackendTable({fn: group for fn, group in full.table.items() if fn != "verify_property"})
    backends = dataclasses.replace(full, table=table)
    result = run_benchmark(tiny_plan, METHODS[:3], backends)
    assert "no backends for 'verify_property'" in result.skipped_queries["red-7-left-of-circle"]
    assert {run.query for run in result.completed()} == {"count-digits"}
    assert not result.failed and len(result.completed()) == 3
