"""The zoo's table of models: what each is, how big, and how it is trained.

``ZOO`` lists every model once, small to large within a family. A family's members share one
Flax class (``fmpc.zoo.models``) and differ in the sizes in ``config``. Training settings
(``steps``, ``batch_size``, ``learning_rate``) are part of the spec so that ``fmpc zoo train``
reproduces every model from a seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

FAMILIES: tuple[str, ...] = ("detector", "classifier", "text", "vqa")
"""Model families: grid detector, crop classifier, number-fact text model, monolithic VQA."""

STORAGE: tuple[str, ...] = ("float32", "int8")
"""How a model's weights can ship (``ModelSpec.storage``)."""


@dataclass(frozen=True)
class ModelSpec:
    """One zoo model. ``config``: keyword arguments of the family's Flax class; ``resolution``:
    the crop side fed to a classifier (0 otherwise); ``storage``: how its weights ship,
    ``float32`` or ``int8`` (weight matrices as int8 with one float32 scale per output column,
    ``fmpc.zoo.store``)."""

    name: str
    family: str
    config: Mapping[str, Any]
    steps: int
    batch_size: int = 32
    learning_rate: float = 3e-3
    resolution: int = 0
    doc: str = ""
    storage: str = "float32"

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"model {self.name!r}: unknown family {self.family!r}")
        if self.storage not in STORAGE:
            raise ValueError(f"model {self.name!r}: unknown storage {self.storage!r}")


def _spec(name: str, family: str, steps: int, doc: str, **config: Any) -> ModelSpec:
    resolution = int(config.pop("resolution", 0))
    learning_rate = float(config.pop("learning_rate", 3e-3))
    batch_size = int(config.pop("batch_size", 32))
    storage = str(config.pop("storage", "float32"))
    return ModelSpec(
        name,
        family,
        MappingProxyType(config),
        steps,
        batch_size,
        learning_rate,
        resolution,
        doc,
        storage,
    )


ZOO: tuple[ModelSpec, ...] = (
    _spec(
        "det-s",
        "detector",
        12000,
        "3 strided convs + head, 16-48 channels",
        widths=(16, 32, 48),
        head=48,
    ),
    _spec(
        "det-m",
        "detector",
        8000,
        "3 strided convs + head, 24-64 channels",
        widths=(24, 48, 64),
        head=64,
        learning_rate=2.5e-3,
    ),
    _spec(
        "det-l",
        "detector",
        6000,
        "3 stages of 2 convs + head, 40-160 channels",
        widths=(40, 80, 160),
        depth=2,
        head=160,
        learning_rate=2e-3,
    ),
    _spec(
        "cls-s",
        "classifier",
        9000,
        "16x16 crop, 2 convs, 16-32 channels",
        resolution=16,
        widths=(16, 32),
        hidden=64,
        batch_size=64,
    ),
    _spec(
        "cls-m",
        "classifier",
        9000,
        "20x20 crop, 2 convs, 24-48 channels",
        resolution=20,
        widths=(24, 48),
        hidden=96,
        batch_size=64,
    ),
    _spec(
        "cls-l",
        "classifier",
        10000,
        "24x24 crop, 3 stages of 2 convs, 32-128 channels",
        resolution=24,
        widths=(32, 64, 128),
        depth=2,
        hidden=128,
        batch_size=64,
    ),
    _spec(
        "txt-s",
        "text",
        3000,
        "bag of word embeddings + MLP (order-blind)",
        dim=32,
        hidden=64,
        learning_rate=1e-2,
    ),
    _spec(
        "txt-l",
        "text",
        3000,
        "2-layer transformer, width 64",
        dim=64,
        layers=2,
        heads=4,
        hidden=128,
        learning_rate=2e-3,
    ),
    _spec(
        "vqa-xl",
        "vqa",
        2000,
        "frozen det-l vision tower -> 10 region tokens; 2 encoder + 3 decoder blocks, width 192",
        regions=10,
        dim=192,
        encoder=2,
        layers=3,
        heads=4,
        batch_size=16,
        learning_rate=1e-3,
        storage="int8",
    ),
)
"""Every zoo model, small to large within a family."""

SPECS: Mapping[str, ModelSpec] = MappingProxyType({spec.name: spec for spec in ZOO})
"""``ZOO`` by model name."""


def family(name: str) -> tuple[ModelSpec, ...]:
    """The specs of family ``name``, small to large."""
    return tuple(spec for spec in ZOO if spec.family == name)


def spec(name: str) -> ModelSpec:
    """The spec of model ``name``, or ``KeyError`` naming the known models."""
    if name not in SPECS:
        raise KeyError(f"unknown zoo model {name!r}; known: {', '.join(SPECS)}")
    return SPECS[name]
