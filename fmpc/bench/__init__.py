"""The streaming evaluation harness behind ``fmpc bench`` and ``fmpc demo``: every method on the
same benchmark streams with one shared execution cache, metrics, tables, ``results.json`` and the
Pareto plot. See docs/benchmarks.md.

::

    from fmpc.bench import default_methods, plan_benchmark, run_benchmark, summarize
    from fmpc.bench import zoo_bench_backends

    plan = plan_benchmark("binary", quick=True)
    result = run_benchmark(plan, default_methods(), zoo_bench_backends())
    for row in summarize(result):
        print(row.method, row.task, row.quality, row.stats.mean_cost, row.savings_vs_monolithic)

Names are imported on first access, so importing ``fmpc.bench`` does not load JAX.
"""

from __future__ import annotations

from fmpc._lazy import lazy_exports

_EXPORTS = {
    "BenchBackends": "fmpc.bench.harness",
    "BenchError": "fmpc.bench.harness",
    "BenchPlan": "fmpc.bench.harness",
    "BenchResult": "fmpc.bench.harness",
    "plan_benchmark": "fmpc.bench.harness",
    "run_benchmark": "fmpc.bench.harness",
    "zoo_bench_backends": "fmpc.bench.harness",
    "Method": "fmpc.bench.methods",
    "default_methods": "fmpc.bench.methods",
    "select_methods": "fmpc.bench.methods",
    "Tally": "fmpc.bench.metrics",
    "f1_score": "fmpc.bench.metrics",
    "Row": "fmpc.bench.report",
    "summarize": "fmpc.bench.report",
    "results_document": "fmpc.bench.report",
    "pareto_plot": "fmpc.bench.plot",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
