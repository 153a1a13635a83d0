"""The schema of a benchmark query file, as pydantic models (unknown keys are errors).

A file is a mapping with one key, ``queries``: a list of queries. A query has an ``id``, a
``task`` (``binary`` or ``open``, which selects the model), a ``type`` (a reasoning type; required
for open-form queries), the ``question`` in words, the ``program`` (DSL source defining
``execute_command(image)``) and optional ``stream`` settings. See docs/benchmark-files.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from fmpc.worlds.generator import ObjectSpec
from fmpc.worlds.scene import LEVELS

REASONING_TYPES: tuple[str, ...] = ("spatial", "logical", "numerical", "comparison", "knowledge")
"""The reasoning types of open-form queries."""

TASKS: tuple[str, ...] = ("binary", "open")
"""The benchmark tasks: streaming binary (yes/no) and open-form VQA."""

ReasoningType = Literal["spatial", "logical", "numerical", "comparison", "knowledge"]
QueryId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Difficulty = float | tuple[float, float] | str | None

_LEVEL_NAMES = tuple(name for name, _, _ in LEVELS)
_FROZEN = ConfigDict(extra="forbid", frozen=True)


class ObjectRequirement(BaseModel):
    """An object a scene must contain (``fmpc.worlds.ObjectSpec``): ``name`` is any object name
    ``find`` knows; unset ``color``/``size`` are random."""

    model_config = _FROZEN

    name: str = "object"
    color: str | None = None
    size: str | None = None

    @field_validator("name")
    @classmethod
    def _known_name(cls, name: str) -> str:
        return ObjectSpec(name=name).name

    @field_validator("color")
    @classmethod
    def _known_color(cls, color: str | None) -> str | None:
        return ObjectSpec(color=color).color

    @field_validator("size")
    @classmethod
    def _known_size(cls, size: str | None) -> str | None:
        return ObjectSpec(size=size).size

    def spec(self) -> ObjectSpec:
        """The generator's ``ObjectSpec``."""
        return ObjectSpec(self.name, self.color, self.size)


class _StreamSettings(BaseModel):
    model_config = _FROZEN

    seed_offset: int = Field(default=0, ge=0)
    require: tuple[ObjectRequirement, ...] = Field(default=(), max_length=6)
    difficulty: Difficulty = None

    @field_validator("difficulty", mode="before")
    @classmethod
    def _known_difficulty(cls, value: Any) -> Any:
        if value is None or value in _LEVEL_NAMES:
            return value
        bounds = value if isinstance(value, list | tuple) else [value]
        numeric = all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
        if not (numeric and len(bounds) in (1, 2) and 0 <= bounds[0] <= bounds[-1] <= 1):
            raise ValueError(
                "difficulty must be a number in [0, 1], a range [low, high] within [0, 1], "
                f"or one of {', '.join(_LEVEL_NAMES)}"
            )
        return tuple(float(b) for b in bounds) if len(bounds) == 2 else float(bounds[0])

    def specs(self) -> tuple[ObjectSpec, ...]:
        """The required objects as the generator's ``ObjectSpec``s."""
        return tuple(r.spec() for r in self.require)


class BinaryStream(_StreamSettings):
    """How a binary query's stream is drawn: ``size`` scenes of which ``round(size *
    positive_rate)`` (at least 1 when the rate is above 0) are positives, drawn with ``require``;
    ``near_miss_rate`` of the negatives are near misses, drawn with ``near_miss_require``
    (default: ``require``) yet answered no; the rest are plain scenes whose answer is no."""

    size: int = Field(default=2000, ge=1)
    positive_rate: float = Field(default=0.01, ge=0.0, le=1.0)
    near_miss_rate: float = Field(default=0.1, ge=0.0, le=1.0)
    near_miss_require: tuple[ObjectRequirement, ...] | None = Field(default=None, max_length=6)
    lookalikes: bool = False

    def near_miss_specs(self) -> tuple[ObjectSpec, ...]:
        """The objects required in near-miss scenes."""
        chosen = self.require if self.near_miss_require is None else self.near_miss_require
        return tuple(r.spec() for r in chosen)


class OpenStream(_StreamSettings):
    """How an open-form query's stream is drawn: ``size`` scenes, each with the ``require``d
    objects and, with ``lookalikes``, at least one look-alike distractor."""

    size: int = Field(default=500, ge=1)
    lookalikes: bool = True


class _QuerySpec(BaseModel):
    model_config = _FROZEN

    id: QueryId
    question: str = Field(min_length=1)
    program: str = Field(min_length=1)


class BinaryQuerySpec(_QuerySpec):
    """A streaming binary (yes/no) query; its program answers ``"yes"`` or ``"no"``."""

    task: Literal["binary"]
    type: ReasoningType | None = None
    stream: BinaryStream = BinaryStream()


class OpenQuerySpec(_QuerySpec):
    """A streaming open-form query of one reasoning ``type``; its program answers a short
    string (a digit, a colour, a count, yes/no, a shape)."""

    task: Literal["open"]
    type: ReasoningType
    stream: OpenStream = OpenStream()


QuerySpec = Annotated[BinaryQuerySpec | OpenQuerySpec, Field(discriminator="task")]
"""A query of either task, told apart by its ``task`` key."""


class QueryFileSpec(BaseModel):
    """A whole query file."""

    model_config = ConfigDict(extra="forbid")

    queries: list[QuerySpec] = Field(min_length=1)
