"""``Program``: a compiled program embedded in a service.

::

    program = fmpc.load("prog.fmpa")                  # or fmpc.compile("prog.py", backends=...)
    answer = program.answer(image, input_id="req-17") # Answer: value, cost, sites, trace id
    program.feedback("req-17", "yes")                 # the label, whenever it arrives
    program.save()                                    # the learned state back into the artifact
    program.close()                                   # stop the learner (and save, by default)

A ``Program`` is thread-safe and re-entrant: call ``answer`` and ``feedback`` from as many threads
as you like. Concurrent answers' calls to one backend are merged into batches
(``fmpc.deploy.batching``: at most ``max_batch`` items, waiting at most ``max_wait_ms``).
Feedback only records the label; a background learner trains the policy off the request path
and answers keep using the last published parameters (``fmpc.deploy.learner``). Answers await
their feedback in a bounded store (``fmpc.deploy.feedback``); unknown, duplicate and expired ids
are refused with a ``FeedbackError`` and counted in ``stats()``. ``load`` warms up every
exported computation and the policy before returning, so the first request is not the slow one.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmpc.deploy.artifact import Artifact, ArtifactError, open_artifact, save_state
from fmpc.deploy.batching import MicroBatcher, batched_table
from fmpc.deploy.build import IMAGE_SHAPE, SERVING_BUCKETS, Parts, compile_parts, write_artifact
from fmpc.deploy.feedback import PendingAnswers
from fmpc.deploy.images import MAX_PIXELS, to_image
from fmpc.deploy.labels import check_label
from fmpc.deploy.learner import Learner
from fmpc.ir.types import Type
from fmpc.runtime.policy import Feedback
from fmpc.runtime.trace import ExecutionResult, Trace

WARMUP_ID = "fmpc-warmup"
"""The input id of the blank image answered at warm-up (never learned from)."""


@dataclass(frozen=True)
class ServeOptions:
    """How a ``Program`` serves: micro-batching (``max_batch`` items, ``max_wait_ms``), the
    pending-feedback store (``pending``, ``feedback_ttl_s``), the largest image accepted
    (``max_image_pixels``), periodic checkpoints (``checkpoint_every`` feedbacks, 0: only on
    ``save``/``close``), whether ``load`` warms up, whether the policy learns from feedback at
    all (``learn``), and whether ``load`` uses the executables compiled at build time when they
    fit this machine (``use_compiled``; else it compiles the exported StableHLO)."""

    max_batch: int = 16
    max_wait_ms: float = 2.0
    pending: int = 4096
    feedback_ttl_s: float = 3600.0
    max_image_pixels: int = MAX_PIXELS
    checkpoint_every: int = 0
    warm_up: bool = True
    learn: bool = True
    use_compiled: bool = True


@dataclass(frozen=True)
class SiteUse:
    """One backend call made for an answer."""

    site: int
    fn: str
    backend: str
    cost: float
    via: str
    ok: bool
    fell_back_from: str | None = None


@dataclass(frozen=True)
class Answer:
    """The program's answer to one input: ``value`` (``None`` when ``error`` says why there is
    none), its total ``cost``, the backend calls it made (``sites``), its ``input_id`` (the id
    feedback refers to) and ``trace_id`` (unique per answer), and ``latency_s``."""

    value: Any
    cost: float
    sites: tuple[SiteUse, ...]
    input_id: str
    trace_id: str
    latency_s: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the program produced an answer."""
        return self.error is None

    @property
    def fallbacks(self) -> int:
        """How many calls replaced a failed backend."""
        return sum(1 for use in self.sites if use.via == "fallback")

    def to_json(self) -> dict[str, Any]:
        """The answer as JSON data (what ``fmpc serve`` returns)."""
        return {
            "input_id": self.input_id,
            "trace_id": self.trace_id,
            "answer": jsonable(self.value),
            "cost": self.cost,
            "latency_ms": round(1000 * self.latency_s, 3),
            "error": self.error,
            "sites": [use.__dict__ for use in self.sites],
        }


@dataclass(frozen=True)
class FeedbackResult:
    """What one feedback did: whether the answer was ``correct`` and its ``loss``."""

    input_id: str
    correct: bool
    loss: float
    learned: bool


class Program:
    """A compiled program serving answers and learning from feedback; see the module
    docstring. Made by ``load`` or ``compile``."""

    def __init__(
        self, parts: Parts, options: ServeOptions, artifact: Artifact | None = None
    ) -> None:
        from fmpc.runtime.executor import Executor

        self.parts = parts
        self.options = options
        self.artifact = artifact
        self.batcher = MicroBatcher(options.max_batch, options.max_wait_ms / 1000)
        self._table = batched_table(parts.table, self.batcher)
        self.executor = Executor(parts.module, self._table, parts.policy, costs=parts.costs)
        self.pending = PendingAnswers(options.pending, options.feedback_ttl_s)
        self.learner = Learner(
            parts.policy,
            checkpoint=self._checkpoint if artifact is not None else None,
            checkpoint_every=options.checkpoint_every,
        )
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._cost = 0.0
        self._calls: Counter[tuple[int, str, str, str]] = Counter()
        self._costs: defaultdict[tuple[int, str, str], float] = defaultdict(float)
        self._failures: Counter[tuple[str, str]] = Counter()
        self._fallbacks: Counter[tuple[str, str, str]] = Counter()
        self._step = parts.state_step
        self._saved_feedbacks = 0
        self._ready = False
        self._closed = False
        self.warmup_s = 0.0
        self.learner.start()

    # ------------------------------------------------------------ serving

    @property
    def name(self) -> str:
        """The program's file name."""
        return self.parts.name

    @property
    def ready(self) -> bool:
        """Whether warm-up is done (``load`` returns a ready program)."""
        return self._ready

    def answer(self, image: Any, input_id: str | None = None) -> Answer:
        """Answer one input (an array, PIL image, path or encoded bytes); its feedback is then
        expected under ``input_id`` (default: a fresh id, in ``Answer.input_id``).

        Raises ``ImageError`` for an unusable image and ``DuplicateInputError`` when
        ``input_id`` still awaits the feedback of an earlier answer."""
        self._check_open()
        input_id = input_id if input_id is not None else uuid.uuid4().hex
        value = to_image(image, input_id, max_pixels=self.options.max_image_pixels)
        self.pending.reserve(input_id)
        start = time.perf_counter()
        try:
            with self.batcher.answering():
                result = self.executor.run(value)
        except BaseException:
            self.pending.release(input_id)
            raise
        latency = time.perf_counter() - start
        self.pending.put(input_id, result.answer, result.trace, result.error)
        self._count(result)
        return _answer(result, latency)

    def feedback(self, input_id: str, label: Any) -> FeedbackResult:
        """Give the label of the input answered under ``input_id``.

        Raises ``LabelError`` for a label that does not fit the program's answers and
        ``FeedbackError`` (``reason``: unknown, duplicate, expired) for an id that cannot take
        feedback; both are counted."""
        self._check_open()
        result_type = self.parts.module.entry.attributes.get("result_type")
        try:
            check_label(label, result_type if isinstance(result_type, Type) else None)
        except ValueError:
            with self._lock:
                self._counts["feedback_malformed"] += 1
            raise
        entry = self.pending.take(input_id)
        outcome = Feedback.of(entry.answer, label, error=entry.error)
        if self.options.learn:
            self.parts.policy.observe(entry.trace, outcome)
        with self._lock:
            self._counts["feedback"] += 1
        self.learner.notify()
        return FeedbackResult(input_id, outcome.correct, outcome.loss, self.options.learn)

    # ------------------------------------------------------------ state

    def save(self, path: str | Path | None = None) -> Path:
        """Save the learned state into the program's artifact (or write a whole artifact at
        ``path``, exporting the backends, e.g. for a program made by ``compile``)."""
        with self._save_lock:
            if path is None or (
                self.artifact is not None and Path(path).absolute() == self.artifact.path.absolute()
            ):
                if self.artifact is None:
                    raise ArtifactError("this program has no artifact yet: save(path) writes one")
                self._save_state()
                return self.artifact.path
            self.parts.state_step = self._next_step()
            written = write_artifact(self.parts, path, buckets=self._buckets())
            self.artifact = open_artifact(written)
            return written

    def _checkpoint(self) -> None:
        with self._save_lock:
            self._save_state()

    def _save_state(self) -> None:
        import jax

        assert self.artifact is not None
        if not jax.tree.leaves(self.parts.policy.state()):
            return
        with self._lock:
            feedbacks = self._counts["feedback"]
        if feedbacks == self._saved_feedbacks and self.artifact.state_step is not None:
            return  # nothing learned since the last save
        self._step = self._next_step()
        self.artifact = save_state(self.artifact, self.parts.policy, self._step)
        self._saved_feedbacks = feedbacks

    def _next_step(self) -> int:
        with self._lock:
            return max(
                self._step + 1, self._step + self._counts["feedback"] - self._saved_feedbacks
            )

    def _buckets(self) -> Sequence[int]:
        buckets = [e.buckets for e in self.artifact.exported] if self.artifact is not None else []
        return buckets[0] if buckets else SERVING_BUCKETS

    def close(self, *, save: bool = True) -> None:
        """Stop the learner (after the update in progress), save the learned state into the
        artifact when ``save`` and there is one, and release the backends."""
        if self._closed:
            return
        self._closed = True
        self.learner.stop()
        try:
            if save and self.artifact is not None:
                with self._save_lock:
                    self._save_state()
        finally:
            self.parts.table.close()

    def __enter__(self) -> Program:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"program {self.name} is closed")

    # ------------------------------------------------------------ warm-up

    def warm_up(self) -> float:
        """Compile every exported computation and answer a blank image (compiling the policy's
        decisions and the other backends' first calls), all at once in a thread pool; returns
        the seconds taken."""
        import os

        start = time.perf_counter()
        warmers = [getattr(b, "warm_all", None) for bs in self.parts.table.values() for b in bs]
        jobs = [w for w in warmers if callable(w)]
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
            futures = [pool.submit(job) for job in [self._answer_blank, *jobs]]
            for future in futures:
                future.result()
        self.warmup_s = time.perf_counter() - start
        self._ready = True
        return self.warmup_s

    def _answer_blank(self) -> None:
        height, width = self.parts.image_shape
        blank = np.full((height, width, 3), 0.5, np.float32)
        with self.batcher.answering():
            self.executor.run(to_image(blank, WARMUP_ID, max_pixels=self.options.max_image_pixels))

    # ------------------------------------------------------------ figures

    def _count(self, result: ExecutionResult) -> None:
        with self._lock:
            self._counts["answers"] += 1
            if result.error is not None:
                self._counts["errors"] += 1
            self._cost += result.cost
            for call in result.trace.calls:
                self._calls[(call.site, call.fn, call.backend, call.via)] += 1
                self._costs[(call.site, call.fn, call.backend)] += call.cost
                if call.error is not None:
                    self._failures[(call.fn, call.backend)] += 1
                if call.via == "fallback" and call.fell_back_from is not None:
                    self._fallbacks[(call.fn, call.fell_back_from, call.backend)] += 1

    def stats(self) -> dict[str, Any]:
        """What the program did so far: answers, errors, cost, backend calls and cost by site
        and backend, backend failures, fallbacks, feedback (given, pending, dropped, refused by
        reason, malformed), the policy's report and the learner's and batcher's figures."""
        with self._lock:
            counts = dict(self._counts)
            cost = self._cost
            calls = [
                {"site": s, "fn": f, "backend": b, "via": v, "calls": n}
                for (s, f, b, v), n in sorted(self._calls.items())
            ]
            costs = [
                {"site": s, "fn": f, "backend": b, "cost": c}
                for (s, f, b), c in sorted(self._costs.items())
            ]
            failures = [
                {"fn": f, "backend": b, "failures": n}
                for (f, b), n in sorted(self._failures.items())
            ]
            fallbacks = [
                {"fn": f, "from": a, "to": b, "count": n}
                for (f, a, b), n in sorted(self._fallbacks.items())
            ]
        report = getattr(self.parts.policy, "report", None)
        return {
            "answers": counts.get("answers", 0),
            "errors": counts.get("errors", 0),
            "cost": cost,
            "calls": calls,
            "costs": costs,
            "backend_failures": failures,
            "fallbacks": fallbacks,
            "feedback": {
                "given": counts.get("feedback", 0),
                "malformed": counts.get("feedback_malformed", 0),
                **self.pending.stats(),
            },
            "policy": {"name": self.parts.policy.name, **(report() if report else {})},
            "learner": self.learner.stats(),
            "batches": self.batcher.stats(),
            "state_step": self._step,
        }


# ---------------------------------------------------------------- making programs


def load(path: str | Path, options: ServeOptions | None = None, *, types: Any = None) -> Program:
    """The program of the artifact at ``path`` (made by ``fmpc build`` or ``Program.save``),
    checked against its manifest, with its learned state restored and (unless
    ``options.warm_up`` is off) warmed up. ``ArtifactError`` says what does not match."""
    from fmpc.deploy.loading import load_parts

    options = options or ServeOptions()
    artifact = open_artifact(path)
    parts = load_parts(artifact, types=types, use_compiled=options.use_compiled)
    program = Program(parts, options, artifact)
    if options.warm_up:
        try:
            program.warm_up()
        except BaseException:
            program.close(save=False)
            raise
    else:
        program._ready = True
    return program


def compile(
    source: str | Path,
    *,
    backends: str | Path | None = None,
    pipeline: str | None = None,
    policy: str = "static:smallest",
    lam: float | None = None,
    seed: int = 0,
    budget: float | None = None,
    from_checkpoint: str | Path | None = None,
    image_shape: tuple[int, int] = IMAGE_SHAPE,
    options: ServeOptions | None = None,
    types: Any = None,
) -> Program:
    """A program compiled from the Python file ``source`` (``pipeline``: default the default
    one) with the backends of the config file ``backends`` (default: the model zoo) and
    ``policy``; ``Program.save(path)`` writes it as an artifact. Nothing is warmed up: the
    first calls compile what they use."""
    parts = compile_parts(
        source,
        backends=backends,
        pipeline=pipeline,
        policy=policy,
        lam=lam,
        seed=seed,
        budget=budget,
        from_checkpoint=from_checkpoint,
        image_shape=image_shape,
        types=types,
    )
    program = Program(parts, options or ServeOptions())
    program._ready = True
    return program


def _answer(result: ExecutionResult, latency: float) -> Answer:
    return Answer(
        result.answer,
        result.cost,
        _uses(result.trace),
        result.input_id,
        uuid.uuid4().hex,
        latency,
        result.error,
    )


def _uses(trace: Trace) -> tuple[SiteUse, ...]:
    return tuple(
        SiteUse(c.site, c.fn, c.backend, c.cost, c.via, c.ok, c.fell_back_from) for c in trace.calls
    )


def jsonable(value: Any) -> Any:
    """An answer as JSON data: patches as ``{"box": [left, lower, right, upper]}``, images as
    their id, lists item by item, numpy scalars as numbers."""
    from fmpc.semantics.values import ImageValue, PatchValue

    if isinstance(value, PatchValue):
        return {"box": [value.left, value.lower, value.right, value.upper]}
    if isinstance(value, ImageValue):
        return {"image": value.id}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
