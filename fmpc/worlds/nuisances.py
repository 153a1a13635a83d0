"""How a scene's difficulty turns into nuisances: the ``NuisanceProfile`` and its sampler.

Each nuisance's strength is a ``Ramp`` of the difficulty ``d`` in [0, 1]: ``at_zero`` up to
``onset``, then linear up to ``at_one`` at ``d = 1``, times a per-scene random jitter. With the
default profile easy scenes (``d < 1/3``) get light noise, slightly lowered contrast and a few
clutter marks but no blur, occlusion or look-alike distractors; hard scenes get all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from fmpc.worlds.scene import RGB, Blob, Nuisances, Occluder, SceneObject, Stroke
from fmpc.worlds.vocabulary import COLORS


@dataclass(frozen=True)
class Ramp:
    """A strength as a function of difficulty: ``at_zero`` until ``onset``, then linear to
    ``at_one`` at difficulty 1."""

    at_zero: float
    at_one: float
    onset: float = 0.0

    def fraction(self, difficulty: float) -> float:
        """How far along the ramp ``difficulty`` is, in [0, 1]."""
        if difficulty <= self.onset:
            return 0.0
        return min(1.0, (difficulty - self.onset) / (1.0 - self.onset))

    def at(self, difficulty: float, jitter: float = 1.0) -> float:
        """The strength at ``difficulty``, its ramp fraction scaled by ``jitter`` (clipped)."""
        position = min(1.0, self.fraction(difficulty) * jitter)
        return self.at_zero + (self.at_one - self.at_zero) * position


@dataclass(frozen=True)
class NuisanceProfile:
    """Nuisance strengths as functions of difficulty (the defaults are documented in
    docs/world.md). ``jitter``: each scene scales each ramp fraction by a factor drawn uniformly
    from ``[1 - jitter, 1 + jitter]``."""

    noise: Ramp = field(default_factory=lambda: Ramp(0.01, 0.16))
    blur: Ramp = field(default_factory=lambda: Ramp(0.0, 1.0, onset=1 / 3))
    contrast: Ramp = field(default_factory=lambda: Ramp(1.0, 0.4))
    clutter: Ramp = field(default_factory=lambda: Ramp(0.0, 10.0, onset=0.15))
    occlusion: Ramp = field(default_factory=lambda: Ramp(0.0, 0.6, onset=1 / 3))
    occluded_fraction: Ramp = field(default_factory=lambda: Ramp(0.15, 0.4, onset=1 / 3))
    lookalike: Ramp = field(default_factory=lambda: Ramp(0.0, 0.9, onset=1 / 3))
    background: tuple[float, float] = (0.02, 0.12)
    jitter: float = 0.25

    def jittered(self, rng: np.random.Generator) -> float:
        """One jitter factor."""
        return float(rng.uniform(1.0 - self.jitter, 1.0 + self.jitter))


DEFAULT_PROFILE = NuisanceProfile()
"""The profile generators use unless given another."""


def sample_nuisances(
    rng: np.random.Generator,
    difficulty: float,
    objects: tuple[SceneObject, ...],
    size: int,
    profile: NuisanceProfile = DEFAULT_PROFILE,
) -> tuple[Nuisances, tuple[SceneObject, ...]]:
    """Nuisances for a scene of ``objects`` at ``difficulty``, and the objects with their
    ``occluded`` fraction filled in."""
    occluders, objects = _occlude(rng, difficulty, objects, profile)
    count = round(profile.clutter.at(difficulty, profile.jittered(rng)))
    nuisances = Nuisances(
        background=_background(rng, profile),
        noise=profile.noise.at(difficulty, profile.jittered(rng)),
        blur=profile.blur.at(difficulty, profile.jittered(rng)),
        contrast=profile.contrast.at(difficulty, profile.jittered(rng)),
        clutter=tuple(_clutter_item(rng, size) for _ in range(count)),
        occluders=occluders,
        noise_seed=int(rng.integers(2**31)),
    )
    return nuisances, objects


def _background(rng: np.random.Generator, profile: NuisanceProfile) -> RGB:
    grey = rng.uniform(*profile.background)
    tint = rng.uniform(-0.02, 0.02, size=3)
    red, green, blue = (float(np.clip(grey + t, 0.0, 1.0)) for t in tint)
    return (red, green, blue)


def _clutter_colour(rng: np.random.Generator) -> RGB:
    base = np.asarray(COLORS[str(rng.choice(list(COLORS)))])
    red, green, blue = (float(c) for c in base * rng.uniform(0.5, 1.0))
    return (red, green, blue)


def _clutter_item(rng: np.random.Generator, size: int) -> Stroke | Blob:
    x, y = (float(v) for v in rng.uniform(0, size, size=2))
    if rng.random() < 0.5:
        return Blob((x, y), float(rng.uniform(1.0, 2.5)), _clutter_colour(rng))
    angle = rng.uniform(0, 2 * np.pi)
    length = rng.uniform(4.0, 14.0)
    end = (x + float(length * np.cos(angle)), y + float(length * np.sin(angle)))
    return Stroke((x, y), end, float(rng.uniform(1.0, 1.5)), _clutter_colour(rng))


def _occlude(
    rng: np.random.Generator,
    difficulty: float,
    objects: tuple[SceneObject, ...],
    profile: NuisanceProfile,
) -> tuple[tuple[Occluder, ...], tuple[SceneObject, ...]]:
    probability = profile.occlusion.at(difficulty)
    largest = profile.occluded_fraction.at(difficulty)
    occluders: list[Occluder] = []
    updated: list[SceneObject] = []
    for obj in objects:
        if rng.random() >= probability:
            updated.append(obj)
            continue
        fraction = rng.uniform(profile.occluded_fraction.at_zero, largest)
        box, hidden = _strip(rng, obj.box, fraction)
        grey = float(rng.uniform(0.35, 0.6))
        occluders.append(Occluder(box, (grey, grey, grey)))
        updated.append(replace(obj, occluded=hidden))
    return tuple(occluders), tuple(updated)


def _strip(
    rng: np.random.Generator, box: tuple[int, int, int, int], fraction: float
) -> tuple[tuple[int, int, int, int], float]:
    """A strip along one random side of ``box`` covering about ``fraction`` of it, and the exact
    fraction covered."""
    left, lower, right, upper = box
    side = int(rng.integers(4))
    extent = (right - left) if side < 2 else (upper - lower)
    depth = max(1, min(extent - 1, round(fraction * extent)))
    strips = (
        (left, lower, left + depth, upper),
        (right - depth, lower, right, upper),
        (left, lower, right, lower + depth),
        (left, upper - depth, right, upper),
    )
    return strips[side], depth / extent
