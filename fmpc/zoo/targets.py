"""The zoo's quality targets, checked against the manifest's measured rows.

For each generic function with backends of several sizes (the monolithic model aside):

* **cost span**: the largest backend costs at least ``COST_SPAN`` times the smallest;
* **hard gap**: on hard held-out scenes the largest is at least ``HARD_GAP`` points better;
* **easy gap**: on easy ones the smallest is within ``EASY_GAP`` points of the largest;
* **never worse**: the largest is at least as accurate as the smallest on easy and hard scenes,
  and (where it applies) its false-positive rate is no higher.

``fmpc zoo list`` prints them; docs/zoo.md explains the measurements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

COST_SPAN = 20.0
HARD_GAP = 0.15
EASY_GAP = 0.03


@dataclass(frozen=True)
class FunctionTargets:
    """One function's smallest and largest backends and how they meet the targets."""

    function: str
    smallest: str
    largest: str
    cost_span: float
    hard_gap: float
    easy_gap: float
    never_worse: bool

    @property
    def met(self) -> dict[str, bool]:
        """Each target, met or not."""
        return {
            "cost span": self.cost_span >= COST_SPAN,
            "hard gap": self.hard_gap >= HARD_GAP,
            "easy gap": self.easy_gap <= EASY_GAP,
            "never worse": self.never_worse,
        }


def function_targets(rows: Sequence[Mapping[str, Any]]) -> list[FunctionTargets]:
    """The targets of every function with two or more non-monolithic backends, in row order."""
    by_function: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if not row.get("monolithic"):
            by_function.setdefault(str(row["function"]), []).append(row)
    out = []
    for function, members in by_function.items():
        if len(members) < 2:
            continue
        small = min(members, key=lambda r: float(r["flops"]))
        large = max(members, key=lambda r: float(r["flops"]))
        out.append(_targets(function, small, large))
    return out


def _targets(function: str, small: Mapping[str, Any], large: Mapping[str, Any]) -> FunctionTargets:
    fp_small, fp_large = small.get("false_positive"), large.get("false_positive")
    fewer_false = fp_small is None or fp_large is None or fp_large <= fp_small
    never_worse = large["easy"] >= small["easy"] and large["hard"] >= small["hard"] and fewer_false
    return FunctionTargets(
        function,
        str(small["name"]),
        str(large["name"]),
        float(large["flops"]) / max(float(small["flops"]), 1.0),
        float(large["hard"]) - float(small["hard"]),
        float(large["easy"]) - float(small["easy"]),
        never_worse,
    )
