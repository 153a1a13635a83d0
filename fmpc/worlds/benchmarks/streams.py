"""Benchmark streams: the deterministic sequence of ``(image, label)`` a query is evaluated on.

``Stream(query, seed)`` draws ``query.stream.size`` scenes from a ``SceneGenerator`` named after
the query (so image ids are unique across queries) and labels each one by running the query's
program with perfect perception on the scene graph (``unrendered_image``: nothing is drawn while
labelling). Scene graphs and labels are computed once, on first use, and kept in the stream
object (memory only); images are rendered lazily, one at a time, as the stream is read.

**Binary streams** hold exactly ``positive_count(size, positive_rate)`` positives at positions
drawn from ``numpy.random.default_rng([seed, crc32(query id), PLAN_KEY])``. A positive scene is
drawn with the stream's ``require`` objects and a predicate that the program answers ``yes``;
``near_miss_rate`` of the negatives are drawn with ``near_miss_require`` (default: ``require``)
and a predicate that it answers ``no``; the other negatives are plain scenes, redrawn while the answer is ``yes``.

**Open-form streams** draw every scene with the ``require`` objects and, with ``lookalikes``, at
least one look-alike distractor; the label is the program's answer.

The same query and seed give the same scenes, ids, labels and pixels, in any process.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from fmpc.semantics.errors import ProgramError
from fmpc.semantics.interpreter import Interpreter
from fmpc.semantics.values import ImageValue
from fmpc.worlds.benchmarks.loader import BenchmarkQuery
from fmpc.worlds.benchmarks.schema import BinaryStream
from fmpc.worlds.generator import GenerationError, ObjectSpec, SceneGenerator
from fmpc.worlds.perception import perfect_backends, unrendered_image
from fmpc.worlds.render import render
from fmpc.worlds.scene import Scene

PLAN_KEY = 0x9E3779B9
"""Third word of the key of the random stream that places positives (apart from scene keys)."""

MAX_TRIES = 2000
"""Attempts per constrained scene before giving up with a ``StreamError``."""

POSITIVE, NEAR_MISS, NEGATIVE = "positive", "near-miss", "negative"
"""The kinds of scene in a binary stream's plan."""


class StreamError(RuntimeError):
    """A stream cannot be built: a scene could not be drawn, or labelling it failed."""


def positive_count(size: int, positive_rate: float) -> int:
    """``round(size * positive_rate)`` (halves up), at least 1 when the rate is above 0."""
    count = math.floor(size * positive_rate + 0.5)
    return max(count, 1) if positive_rate > 0 and size > 0 else count


def binary_plan(
    size: int, positive_rate: float, near_miss_rate: float, seed: int, query_id: str
) -> tuple[str, ...]:
    """The kind of each scene of a binary stream (``POSITIVE``, ``NEAR_MISS`` or ``NEGATIVE``):
    exactly ``positive_count(size, positive_rate)`` positives and ``round(near_miss_rate *
    negatives)`` near misses, at deterministic random positions."""
    rng = np.random.default_rng([seed, zlib.crc32(query_id.encode()), PLAN_KEY])
    order = rng.permutation(size)
    positives = positive_count(size, positive_rate)
    near_misses = math.floor((size - positives) * near_miss_rate + 0.5)
    kinds = [NEGATIVE] * size
    for rank, index in enumerate(order[: positives + near_misses]):
        kinds[int(index)] = POSITIVE if rank < positives else NEAR_MISS
    return tuple(kinds)


@dataclass(frozen=True)
class _Labeller:
    """Runs a query's program with perfect perception on scene graphs."""

    query: BenchmarkQuery
    interpreter: Interpreter

    @classmethod
    def of(cls, query: BenchmarkQuery) -> _Labeller:
        return cls(query, Interpreter(query.module, perfect_backends()))

    def __call__(self, scene: Scene) -> str:
        try:
            answer = self.interpreter.run(unrendered_image(scene))
        except (ProgramError, ValueError) as exc:
            raise StreamError(
                f"query {self.query.id!r}: labelling scene {scene.id} failed: {exc}"
            ) from exc
        if self.query.task == "binary" and answer not in ("yes", "no"):
            raise StreamError(
                f"query {self.query.id!r}: the program answered {answer!r} on scene {scene.id}; "
                "binary programs must answer 'yes' or 'no'"
            )
        return str(answer)

    def answers(self, wanted: str) -> Callable[[Scene], bool]:
        """A scene predicate: the program answers ``wanted``."""

        def predicate(scene: Scene) -> bool:
            return self(scene) == wanted

        return predicate


class Stream:
    """The stream of query ``query`` for ``seed``: ``size`` scenes (default: the query's
    ``stream.size``) with their labels.

    ``stream[i]`` is ``(image, label)``; iterating yields them in order, rendering each image
    when it is reached. ``scenes``, ``labels`` and ``ids`` are built on first use (thread-safe)
    and kept for the stream's lifetime.
    """

    def __init__(self, query: BenchmarkQuery, seed: int = 0, size: int | None = None) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        if size is not None and size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        settings = query.stream
        self.query = query
        self.seed = seed
        self.size = settings.size if size is None else size
        self.generator = SceneGenerator(
            seed=seed + settings.seed_offset,
            name=f"{query.task}-{query.id}",
            difficulty=settings.difficulty,
            lookalikes=settings.lookalikes,
        )
        self._lock = threading.Lock()
        self._built: tuple[tuple[Scene, ...], tuple[str, ...]] | None = None

    def __repr__(self) -> str:
        return f"Stream({self.query.id!r}, seed={self.seed}, size={self.size})"

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[ImageValue, str]:
        return self.image(index), self.labels[index]

    def __iter__(self) -> Iterator[tuple[ImageValue, str]]:
        labels = self.labels
        for index in range(self.size):
            yield self.image(index), labels[index]

    @property
    def scenes(self) -> tuple[Scene, ...]:
        """The scene graphs, in stream order."""
        return self._build()[0]

    @property
    def labels(self) -> tuple[str, ...]:
        """The label of each scene (the program's answer with perfect perception)."""
        return self._build()[1]

    @property
    def ids(self) -> tuple[str, ...]:
        """The image ids, in stream order."""
        return tuple(scene.id for scene in self.scenes)

    @property
    def positives(self) -> tuple[int, ...]:
        """The indices labelled ``yes``."""
        return tuple(i for i, label in enumerate(self.labels) if label == "yes")

    def image(self, index: int) -> ImageValue:
        """Scene ``index`` rendered (read-only pixels), carrying its scene graph."""
        scene = self.scenes[index]
        pixels = render(scene)
        pixels.flags.writeable = False
        return ImageValue(pixels, id=scene.id, scene=scene)

    def _build(self) -> tuple[tuple[Scene, ...], tuple[str, ...]]:
        with self._lock:
            if self._built is None:
                labeller = _Labeller.of(self.query)
                if self.query.task == "binary":
                    self._built = self._build_binary(labeller)
                else:
                    self._built = self._build_open(labeller)
            return self._built

    def _build_binary(self, label: _Labeller) -> tuple[tuple[Scene, ...], tuple[str, ...]]:
        settings = self.query.stream
        assert isinstance(settings, BinaryStream), settings
        plan = binary_plan(
            self.size, settings.positive_rate, settings.near_miss_rate, self.seed, self.query.id
        )
        specs_of = {POSITIVE: settings.specs(), NEAR_MISS: settings.near_miss_specs(), NEGATIVE: ()}
        is_yes, is_no = label.answers("yes"), label.answers("no")
        scenes = []
        for index, kind in enumerate(plan):
            predicate = is_yes if kind == POSITIVE else is_no
            scenes.append(self._draw(index, specs_of[kind], predicate, kind))
        labels = tuple("yes" if kind == POSITIVE else "no" for kind in plan)
        return tuple(scenes), labels

    def _build_open(self, label: _Labeller) -> tuple[tuple[Scene, ...], tuple[str, ...]]:
        settings = self.query.stream
        predicate = _has_distractor if settings.lookalikes else None
        require = settings.specs()
        scenes = tuple(self._draw(i, require, predicate, "scene") for i in range(self.size))
        return scenes, tuple(label(scene) for scene in scenes)

    def _draw(
        self,
        index: int,
        require: Sequence[ObjectSpec],
        predicate: Callable[[Scene], bool] | None,
        kind: str,
    ) -> Scene:
        try:
            return self.generator.scene(index, require, predicate, MAX_TRIES)
        except GenerationError:
            hint = {
                POSITIVE: "list objects that make the answer yes likely under stream.require",
                NEAR_MISS: "set stream.near_miss_require to objects that allow the answer no",
            }.get(kind, "check stream.require")
            raise StreamError(
                f"query {self.query.id!r}: no {kind} scene {index} found in {MAX_TRIES} "
                f"attempts; {hint}"
            ) from None


def _has_distractor(scene: Scene) -> bool:
    return any(obj.distractor for obj in scene.objects)


def streams_for(
    queries: Iterable[BenchmarkQuery], seed: int = 0, size: int | None = None
) -> tuple[Stream, ...]:
    """One ``Stream`` per query, all with ``seed`` (and ``size`` when given)."""
    return tuple(Stream(query, seed, size) for query in queries)
