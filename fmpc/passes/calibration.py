"""Calibrating cascade thresholds on a labelled (or profiled) sample.

A sample holds, per item, the confidence of every backend of a cascade and whether its output
was right (against a label; for a profiled sample without labels, against the largest backend's
output)::

    format: fmpc-calibration
    version: 1
    functions:                      # by generic function ...
      exists:
        - {cls-s: [0.97, true], cls-l: [0.99, true]}
        - {cls-s: [0.55, false], cls-l: [0.91, true]}
    sites:                          # ... or by call-site id (wins over the function)
      3:
        - {cls-s: [0.80, true], cls-l: [0.95, true]}

For a cascade ``b0 -> b1 -> ... -> bn``, thresholds are chosen from the last level backwards: the
threshold of level ``k`` is the smallest confidence value ``t`` (among those observed, and 0 and 1)
such that the cascade from ``k`` on (``bk`` when its confidence is at least ``t``, else the rest of
the cascade) is at most ``target`` less accurate than ``bn`` alone on the sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fmpc.passes.base import PassError

Record = dict[str, tuple[float, bool]]
"""One sample item: backend name -> (confidence, correct)."""


class CalibrationSample(BaseModel):
    """Per-function and per-site samples (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["fmpc-calibration"] = "fmpc-calibration"
    version: Literal[1] = 1
    functions: dict[str, list[Record]] = Field(default_factory=dict)
    sites: dict[int, list[Record]] = Field(default_factory=dict)

    def records(self, site: int, fn: str) -> list[Record] | None:
        """The sample for ``site``, else for its function ``fn``, else ``None``."""
        return self.sites.get(site) or self.functions.get(fn) or None

    @classmethod
    def load(cls, path: str | Path) -> CalibrationSample:
        """Read a sample file (JSON or YAML); ``PassError`` says what is wrong."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise PassError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except yaml.YAMLError as exc:
            raise PassError(f"{path}: not valid JSON or YAML: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise PassError(f"{path}: {where}: {first['msg']}") from None


def accuracy(correct: Sequence[bool]) -> float:
    """The fraction of true values (0 for none)."""
    return sum(correct) / len(correct) if correct else 0.0


def calibrate(records: Sequence[Record], chain: Sequence[str], target: float) -> tuple[float, ...]:
    """Thresholds for the levels ``chain[:-1]`` (see the module docstring).

    ``ValueError`` if a record lacks a backend of ``chain`` or the sample is empty.
    """
    if not records:
        raise ValueError("the calibration sample is empty")
    for i, record in enumerate(records):
        missing = [b for b in chain if b not in record]
        if missing:
            raise ValueError(f"sample item {i} has no result for backend(s) {', '.join(missing)}")
    tail = [record[chain[-1]][1] for record in records]
    goal = accuracy(tail) - target
    thresholds: list[float] = []
    for level in reversed(chain[:-1]):
        outcomes = [record[level] for record in records]
        threshold = _smallest_threshold(outcomes, tail, goal)
        tail = [
            ok if conf >= threshold else rest
            for (conf, ok), rest in zip(outcomes, tail, strict=True)
        ]
        thresholds.insert(0, threshold)
    return tuple(thresholds)


def _smallest_threshold(outcomes: list[tuple[float, bool]], tail: list[bool], goal: float) -> float:
    candidates = sorted({0.0, 1.0, *(conf for conf, _ in outcomes)})
    for t in candidates:
        mixed = [ok if conf >= t else rest for (conf, ok), rest in zip(outcomes, tail, strict=True)]
        if accuracy(mixed) >= goal - 1e-12:
            return t
    return 1.0
