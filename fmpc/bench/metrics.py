"""Benchmark metrics: per-stream tallies and their aggregation over queries.

A ``Tally`` counts one method on one query's stream, input by input: answers right, the binary
confusion counts (``yes`` is the positive class), cost and decision time. ``aggregate`` combines
the tallies of one method over the queries of one task the way the paper reports them:

- binary VQA: F1 per query, then the **mean over queries** (``f1``); the F1 of all the streams'
  inputs pooled together is ``f1_pooled``;
- open-form VQA: exact-match accuracy over all inputs, and per reasoning type;
- cost: total cost over all inputs divided by their number (mean cost per input, policy compute
  included);
- decision overhead in steady state: per stream, the **median** time the policy spent on an
  input (its share of a window's start and its own decisions: updates are amortised over the
  window, a rare compilation is not), averaged over streams, in milliseconds; and per stream,
  the seconds spent beyond that steady state (JIT compilation, mostly), averaged over streams.

F1 is undefined (``None``) for a stream with no positive label and no positive answer; the mean
over queries leaves such streams out (the shipped binary streams always hold positives).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fmpc.runtime.policy import answers_match


def f1_score(tp: int, fp: int, fn: int) -> float | None:
    """``2 tp / (2 tp + fp + fn)``; ``None`` when nothing was positive (no label, no answer)."""
    denominator = 2 * tp + fp + fn
    return 2 * tp / denominator if denominator else None


def polarity(value: Any) -> bool | None:
    """``True`` for yes, ``False`` for no (strings ignoring case and space, or a bool); ``None``
    for anything else (a failed run's missing answer among them)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    return None


@dataclass
class Tally:
    """One method on one stream, counted input by input (not thread-safe: one owner)."""

    inputs: int = 0
    correct: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: int = 0
    cost: float = 0.0
    decision_s: float = 0.0
    wall_s: float = 0.0
    decisions: list[float] = field(default_factory=list)

    def add(
        self,
        answer: Any,
        label: Any,
        cost: float,
        decision_s: float = 0.0,
        error: str | None = None,
    ) -> None:
        """Count one answered input; a failed run (``error``) counts as wrong and as a ``no``."""
        self.inputs += 1
        self.cost += cost
        self.decision_s += decision_s
        self.decisions.append(decision_s)
        if error is not None:
            self.errors += 1
            answer = None
        self.correct += answer is not None and answers_match(answer, label)
        predicted, actual = bool(polarity(answer)), polarity(label)
        if actual is None:
            return
        self.tp += predicted and actual
        self.fp += predicted and not actual
        self.fn += actual and not predicted

    @property
    def accuracy(self) -> float | None:
        """Share of inputs answered right (``None`` before any input)."""
        return self.correct / self.inputs if self.inputs else None

    @property
    def f1(self) -> float | None:
        """F1 of the ``yes`` class on this stream (see ``f1_score``)."""
        return f1_score(self.tp, self.fp, self.fn)

    @property
    def mean_cost(self) -> float | None:
        """Cost per input."""
        return self.cost / self.inputs if self.inputs else None

    @property
    def steady_decision_s(self) -> float | None:
        """The median decision time of an input (``None`` before any input)."""
        return float(statistics.median(self.decisions)) if self.decisions else None

    @property
    def startup_decision_s(self) -> float:
        """The decision time beyond the steady state (compilation, mostly)."""
        steady = self.steady_decision_s
        return 0.0 if steady is None else max(self.decision_s - steady * self.inputs, 0.0)

    def merged(self, other: Tally) -> Tally:
        """The counts of both tallies together."""
        return Tally(
            self.inputs + other.inputs,
            self.correct + other.correct,
            self.tp + other.tp,
            self.fp + other.fp,
            self.fn + other.fn,
            self.errors + other.errors,
            self.cost + other.cost,
            self.decision_s + other.decision_s,
            self.wall_s + other.wall_s,
            self.decisions + other.decisions,
        )


@dataclass(frozen=True)
class QueryRun:
    """A method's tally on one query's stream."""

    method: str
    query: str
    task: str
    type: str | None
    tally: Tally


@dataclass(frozen=True)
class Aggregate:
    """One method on one task, over all its queries (see the module docstring)."""

    method: str
    task: str
    queries: int
    inputs: int
    f1: float | None
    f1_pooled: float | None
    accuracy: float | None
    mean_cost: float | None
    decision_overhead_ms: float | None
    errors: int
    wall_s: float = 0.0
    by_type: Mapping[str, float] = field(default_factory=dict)
    decision_startup_s: float | None = None
    """Mean over streams of the decision time beyond the steady state (JIT compilation)."""


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not ``None`` (``None`` when there are none)."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def aggregate(runs: Iterable[QueryRun]) -> Aggregate:
    """Combine one method's runs on the queries of one task (all runs share method and task)."""
    runs = list(runs)
    if not runs:
        raise ValueError("aggregate needs at least one run")
    total = Tally()
    by_type: dict[str, Tally] = {}
    for run in runs:
        total = total.merged(run.tally)
        if run.type is not None:
            by_type[run.type] = by_type.get(run.type, Tally()).merged(run.tally)
    binary = runs[0].task == "binary"
    steady = mean(run.tally.steady_decision_s for run in runs)
    return Aggregate(
        method=runs[0].method,
        task=runs[0].task,
        queries=len(runs),
        inputs=total.inputs,
        f1=mean(run.tally.f1 for run in runs) if binary else None,
        f1_pooled=total.f1 if binary else None,
        accuracy=total.accuracy,
        mean_cost=total.mean_cost,
        decision_overhead_ms=None if steady is None else 1000 * steady,
        errors=total.errors,
        wall_s=total.wall_s,
        by_type={t: a for t, tally in sorted(by_type.items()) if (a := tally.accuracy) is not None},
        decision_startup_s=mean(run.tally.startup_decision_s for run in runs),
    )


def savings(cost: float | None, reference: float | None) -> float | None:
    """``1 - cost / reference``: the share of the reference's cost saved (``None`` if unknown)."""
    if cost is None or reference is None or reference <= 0:
        return None
    return 1.0 - cost / reference


def ratio(cost: float | None, reference: float | None) -> float | None:
    """``cost / reference`` (``None`` if unknown or the reference is 0)."""
    if cost is None or reference is None or reference <= 0:
        return None
    return cost / reference
