"""The quality-vs-cost (Pareto) plot of a benchmark, with matplotlib's Agg backend (no display).

One panel per task: x is the mean cost per input (FLOPs, log scale), y the quality (mean F1 over
queries for binary VQA, accuracy for open-form). A family run at several lambdas (``defer``,
``neural-ts``, ``adaptive-ts``) is drawn as its quality-cost **frontier** (the points no other
point of the family beats on both), each point labelled with its lambda; every other method is a
labelled point, the oracle a star. A dashed line marks all-largest's quality, so that a reader
sees at once which settings come close to it and at what cost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fmpc.bench.methods import ALL_LARGEST, MONOLITHIC, ORACLE
from fmpc.bench.report import Row

_TITLES = {"binary": "Streaming binary VQA (F1, mean over queries)", "open": "Open-form VQA"}
_YLABELS = {"binary": "F1", "open": "exact-match accuracy"}


def pareto_plot(rows: Sequence[Row], path: str | Path, title: str | None = None) -> Path:
    """Draw ``rows`` (see the module docstring) to the PNG ``path``; the path written."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    tasks = [t for t in ("binary", "open") if any(r.task == t for r in rows)]
    if not tasks:
        raise ValueError("nothing to plot: no method has results")
    figure, axes = plt.subplots(1, len(tasks), figsize=(7 * len(tasks), 5.2), squeeze=False)
    for axis, task in zip(axes[0], tasks, strict=True):
        _panel(axis, [r for r in rows if r.task == task and r.quality is not None], task)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _panel(axis: object, rows: list[Row], task: str) -> None:
    from matplotlib.axes import Axes

    assert isinstance(axis, Axes)
    families: dict[str, list[Row]] = {}
    for row in rows:
        families.setdefault(row.family, []).append(row)
    for family, members in families.items():
        points = sorted((r.stats.mean_cost or 0.0, r.quality or 0.0, r.method) for r in members)
        if len(points) > 1 and family != "static":
            _family(axis, family, points)
            continue
        for x, y, name in points:
            marker = "*" if name == ORACLE else "s" if name == MONOLITHIC else "D"
            size = 16 if name == ORACLE else 8
            axis.plot([x], [y], marker=marker, markersize=size, linestyle="none", label=name)
    largest = next((r.quality for r in rows if r.method == ALL_LARGEST), None)
    if largest is not None:
        axis.axhline(
            largest, linestyle="--", color="grey", linewidth=1, label="all-largest quality"
        )
    costs = [r.stats.mean_cost for r in rows if r.stats.mean_cost]
    if costs and min(costs) > 0:
        axis.set_xscale("log")
    axis.set_xlabel("mean cost per input (FLOPs)")
    axis.set_ylabel(_YLABELS[task])
    axis.set_title(_TITLES[task])
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8, loc="best")


def _family(axis: Any, family: str, points: list[tuple[float, float, str]]) -> None:
    """A lambda sweep: its frontier as a line, every point marked and labelled with lambda."""
    frontier = [p for p in points if not any(_beats(q, p) for q in points)]
    (line,) = axis.plot(
        [p[0] for p in frontier], [p[1] for p in frontier], marker="o", label=family
    )
    for x, y, name in points:
        if (x, y, name) not in frontier:
            axis.plot([x], [y], marker="o", fillstyle="none", color=line.get_color())
        axis.annotate(_lam(name), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)


def _beats(q: tuple[float, float, str], p: tuple[float, float, str]) -> bool:
    return q[0] <= p[0] and q[1] >= p[1] and (q[0], q[1]) != (p[0], p[1])


def _lam(name: str) -> str:
    match = re.search(r"lam=([^,)]+)", name)
    return f"λ={match.group(1)}" if match else name
