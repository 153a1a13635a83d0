"""A controlled world for the learned router: backends whose chance of being right on each
input is known, so the Bayes-optimal decision is computable and a policy's regret measurable.

Each input has a **difficulty** ``d`` in [0, 1] (drawn from ``Beta(1, 1 / hardness - 1)``: the
knob ``hardness`` is its mean) and ``sites`` hidden binary facts ``t_i`` (each true with
probability ``truth_rate``). Its image is an 8 x 8 checkerboard whose contrast is ``d``, so a
policy can read the difficulty off the pixels. The program checks the facts in turn, with early
exits, and answers ``yes`` only if all hold (``PROGRAM``); the label is that answer on the true
facts.

``verify_property`` has two backends: ``small`` (cost 1) is right with probability
``small[0] - small[1] * d``, ``large`` (cost ``large_cost``) with ``large[0] - large[1] * d``,
each call independently (deterministic in the seed, the input and the fact). A call's
confidence is drawn from ``Beta(*right_confidence)`` when it is right and from
``Beta(*wrong_confidence)`` when it is wrong, so low confidence signals an error without
revealing it.

``decision_values`` computes, from what a first run on the small backend observed, the exact
expected loss-plus-cost of keeping its answer and of re-checking it with every site on the large
backend (Bayes' rule over the facts, exhaustively), for the objective of
``fmpc.policies.deferral``: weighted errors plus ``lam`` times the cost over the reference cost
(every site once on the large backend).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from fmpc.runtime.backends.callable import CallableBackend
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.inputs import InputItem
from fmpc.semantics.values import ImageValue, PatchValue

FUNCTION = "verify_property"
"""The generic function the world's backends serve."""

SIDE = 8
"""Side of the synthetic images, in pixels."""


@dataclass(frozen=True)
class Facts:
    """An input's hidden state: its difficulty and the truth of each checked fact."""

    difficulty: float
    truths: tuple[bool, ...]


@dataclass(frozen=True)
class SyntheticWorld:
    """The world's settings (see the module docstring)."""

    seed: int = 0
    sites: int = 3
    hardness: float = 0.35
    truth_rate: float = 0.8
    small: tuple[float, float] = (0.97, 0.4)
    large: tuple[float, float] = (0.995, 0.1)
    large_cost: float = 20.0
    right_confidence: tuple[float, float] = (6.0, 1.0)
    wrong_confidence: tuple[float, float] = (2.0, 2.0)

    def __post_init__(self) -> None:
        if not 1 <= self.sites <= 6:
            raise ValueError(f"sites must be 1..6, got {self.sites}")
        if not 0.0 < self.hardness < 1.0 or not 0.0 < self.truth_rate < 1.0:
            raise ValueError("hardness and truth_rate must lie in (0, 1)")
        for name in ("small", "large"):
            a, b = getattr(self, name)
            if not (a - b >= 0.5 and a <= 1.0):
                raise ValueError(f"{name}: the accuracy must stay in [0.5, 1] over d in [0, 1]")

    # ------------------------------------------------------------ the program

    @property
    def program(self) -> str:
        """The program: check each fact in turn, answer ``no`` at the first that fails."""
        lines = ["def execute_command(image):", "    patch = ImagePatch(image)"]
        for i in range(self.sites - 1):
            lines += [
                f'    if not patch.verify_property("thing", "fact{i}"):',
                '        return "no"',
            ]
        last = self.sites - 1
        lines.append(f'    return bool_to_yesno(patch.verify_property("thing", "fact{last}"))')
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------ inputs

    def facts(self, i: int) -> Facts:
        """The hidden state of input ``i``."""
        rng = np.random.default_rng([self.seed, 7919, i])
        difficulty = float(rng.beta(1.0, 1.0 / self.hardness - 1.0))
        truths = tuple(bool(v) for v in rng.random(self.sites) < self.truth_rate)
        return Facts(difficulty, truths)

    def image(self, i: int) -> ImageValue:
        """Input ``i``: a checkerboard of contrast ``d`` carrying its facts."""
        facts = self.facts(i)
        board = (np.indices((SIDE, SIDE)).sum(axis=0) % 2) * 2.0 - 1.0
        grey = 0.5 + 0.5 * facts.difficulty * board
        pixels = np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
        pixels.flags.writeable = False
        return ImageValue(pixels, id=f"synthetic-{self.seed}-{i}", scene=facts)

    def label(self, facts: Facts) -> str:
        """The program's answer on the true facts."""
        return "yes" if all(facts.truths) else "no"

    def items(self, n: int, start: int = 0) -> list[InputItem]:
        """Inputs ``start .. start + n - 1`` with their labels."""
        out = []
        for i in range(start, start + n):
            image = self.image(i)
            out.append(InputItem(image.id, image, self.label(image.scene), labelled=True))
        return out

    # ------------------------------------------------------------ backends

    def accuracy(self, backend: str, difficulty: float) -> float:
        """The probability that ``backend`` (``small`` / ``large``) is right at ``difficulty``."""
        a, b = self.small if backend == "small" else self.large
        return a - b * difficulty

    def call(self, backend: str, image: ImageValue, fact: int) -> tuple[bool, float]:
        """What ``backend`` answers about ``fact`` of ``image`` and its confidence."""
        facts: Facts = image.scene
        u_right, u_confidence = _uniforms(self.seed, image.id, fact, backend)
        right = u_right < self.accuracy(backend, facts.difficulty)
        shape = self.right_confidence if right else self.wrong_confidence
        confidence = float(stats.beta.ppf(u_confidence, *shape))
        truth = facts.truths[fact]
        return (truth if right else not truth), min(max(confidence, 0.0), 1.0)

    def backends(self) -> BackendTable:
        """``verify_property`` on ``small`` (cost 1) and ``large`` (cost ``large_cost``)."""

        def serve(name: str) -> Any:
            def fn(patch: PatchValue, _name: str, prop: str) -> tuple[bool, float]:
                return self.call(name, patch.image, _fact(prop))

            return fn

        return BackendTable.of(
            [
                CallableBackend("small", FUNCTION, serve("small"), 1.0, with_confidence=True),
                CallableBackend(
                    "large", FUNCTION, serve("large"), self.large_cost, with_confidence=True
                ),
            ]
        )

    # ------------------------------------------------------------ the optimum

    def decision_values(
        self,
        difficulty: float,
        observed: Sequence[tuple[bool, float]],
        lam: float,
        error_weights: tuple[float, float] = (2.0, 1.0),
    ) -> tuple[float, float]:
        """The exact expected objective (weighted errors + ``lam`` x cost / reference cost) of
        keeping the first run's answer and of re-checking it on the large backend, given
        ``observed``: the small backend's (output, confidence) for each fact the first run
        checked (in order)."""
        reference = self.sites * self.large_cost
        first = "yes" if len(observed) == self.sites and all(o for o, _ in observed) else "no"
        small_cost = float(len(observed))
        keep = recheck = 0.0
        total = 0.0
        for truths in itertools.product((False, True), repeat=self.sites):
            weight = self._posterior_weight(truths, difficulty, observed)
            if weight == 0.0:
                continue
            label = "yes" if all(truths) else "no"
            loss, cost = self._recheck_outcome(truths, label, difficulty, error_weights)
            keep += weight * _error(first, label, error_weights)
            recheck += weight * (loss + lam * cost / reference)
            total += weight
        keep, recheck = keep / total, recheck / total
        return keep + lam * small_cost / reference, recheck + lam * small_cost / reference

    def _posterior_weight(
        self, truths: tuple[bool, ...], d: float, observed: Sequence[tuple[bool, float]]
    ) -> float:
        weight = math.prod(self.truth_rate if t else 1 - self.truth_rate for t in truths)
        p = self.accuracy("small", d)
        for (output, confidence), truth in zip(observed, truths, strict=False):
            if output == truth:
                weight *= p * stats.beta.pdf(confidence, *self.right_confidence)
            else:
                weight *= (1 - p) * stats.beta.pdf(confidence, *self.wrong_confidence)
        return float(weight)

    def _recheck_outcome(
        self, truths: tuple[bool, ...], label: str, d: float, weights: tuple[float, float]
    ) -> tuple[float, float]:
        """Expected weighted error and cost of the large run on these facts."""
        q = self.accuracy("large", d)
        loss = cost = 0.0
        for rights in itertools.product((False, True), repeat=self.sites):
            chance = math.prod(q if r else 1 - q for r in rights)
            outputs = [t if r else not t for t, r in zip(truths, rights, strict=True)]
            checked = next((k + 1 for k, o in enumerate(outputs) if not o), self.sites)
            answer = "yes" if all(outputs) else "no"
            loss += chance * _error(answer, label, weights)
            cost += chance * checked * self.large_cost
        return loss, cost


def _error(answer: str, label: str, weights: tuple[float, float]) -> float:
    if answer == label:
        return 0.0
    return weights[0] if label == "yes" else weights[1]


def _fact(prop: str) -> int:
    if not prop.startswith("fact") or not prop[4:].isdigit():
        raise ValueError(f"the synthetic world has no property {prop!r}")
    return int(prop[4:])


def _uniforms(seed: int, input_id: str, fact: int, backend: str) -> tuple[float, float]:
    data = struct.pack("<qq", seed, fact) + input_id.encode() + backend.encode()
    digest = hashlib.blake2b(data, digest_size=16).digest()
    a, b = struct.unpack("<QQ", digest)
    return (a + 0.5) / 2.0**64, (b + 0.5) / 2.0**64


def observed_calls(trace: Any) -> list[tuple[bool, float]]:
    """The first run's (output, confidence) per fact from a trace, in order."""
    return [
        (bool(c.output), float(c.confidence)) for c in trace.calls if c.via == "policy" and c.ok
    ]


def rechecked(trace: Any) -> bool:
    """Whether the run was re-checked (a second run made calls)."""
    return any(c.via == "recheck" for c in trace.calls)


def regret(
    world: SyntheticWorld,
    facts: Facts,
    trace: Any,
    lam: float,
    error_weights: tuple[float, float] = (2.0, 1.0),
) -> float:
    """How much worse (in expected objective) the policy's choice on this input was than the
    Bayes-optimal one, given what the first run observed (>= 0)."""
    keep, recheck = world.decision_values(
        facts.difficulty, observed_calls(trace), lam, error_weights
    )
    chosen = recheck if rechecked(trace) else keep
    return max(chosen - min(keep, recheck), 0.0)


def stream_regret(world: SyntheticWorld, traces: Mapping[int, Any], lam: float) -> dict[int, float]:
    """``regret`` per input index of ``traces``."""
    return {i: regret(world, world.facts(i), trace, lam) for i, trace in traces.items()}
