"""The zoo as backends: ``zoo_backends()`` maps each generic function to its JAX backends,
cheapest first.

Backends are **lazy**: building one reads nothing; its weights (and the tokenizer) are loaded
and its ``JaxBackend`` created on first use, once, under a lock. Nothing is ever trained at run
time: missing weights are a ``MissingWeights`` error telling how to train them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fmpc.runtime.backends.base import Args, BackendResult
from fmpc.runtime.backends.jax import JaxBackend, StageTimes
from fmpc.zoo import serving
from fmpc.zoo.models import CropClassifier, Detector, MonolithicVQA, TextModel
from fmpc.zoo.scene_questions import VQA_ANSWERS
from fmpc.zoo.specs import ModelSpec, family, spec
from fmpc.zoo.store import TOKENIZER, VQA_TOKENIZER, WEIGHTS_DIR, load_params
from fmpc.zoo.text import NUMBER_ANSWERS, load_tokenizer


@dataclass(frozen=True)
class BackendSpec:
    """One zoo backend: the ``function`` it serves, its ``name``, the zoo ``models`` whose
    weights it runs (query backends run a classifier and a detector) and whether it is the
    monolithic model."""

    function: str
    name: str
    models: tuple[str, ...]
    monolithic: bool = False


def backend_specs() -> tuple[BackendSpec, ...]:
    """Every zoo backend, grouped by function, cheapest first within a function."""
    detectors, classifiers = family("detector"), family("classifier")
    rows: list[BackendSpec] = []
    for function in ("find", "exists"):
        rows += [BackendSpec(function, d.name, (d.name,)) for d in detectors]
    for function in ("verify_property", "best_text_match", "compute_depth"):
        rows += [BackendSpec(function, c.name, (c.name,)) for c in classifiers]
    for function in ("query", "simple_query"):
        for c, d in zip(classifiers, detectors, strict=True):
            rows.append(BackendSpec(function, "qa-" + c.name.split("-")[1], (c.name, d.name)))
    rows += [BackendSpec("llm_query", t.name, (t.name,)) for t in family("text")]
    rows += [BackendSpec("query", v.name, (v.name,), monolithic=True) for v in family("vqa")]
    return tuple(rows)


def module_of(model: ModelSpec, vocab: int = 0) -> Any:
    """The Flax module of ``model`` (``vocab``: the tokenizer's size, for text-reading models)."""
    if model.family == "detector":
        return Detector(**model.config)
    if model.family == "classifier":
        return CropClassifier(**model.config)
    if model.family == "text":
        return TextModel(vocab=vocab, n_answers=len(NUMBER_ANSWERS), **model.config)
    tower = family("detector")[-1].config  # the frozen vision tower is the largest detector
    return MonolithicVQA(vocab=vocab, n_answers=len(VQA_ANSWERS), **tower, **model.config)


def build_backend(
    row: BackendSpec, directory: Path = WEIGHTS_DIR, params: dict[str, Any] | None = None
) -> JaxBackend:
    """The ``JaxBackend`` of ``row`` with weights from ``directory`` (or the given ``params``
    by model name, e.g. right after training)."""
    loaded = {m: (params or {}).get(m) or load_params(m, directory) for m in row.models}
    models = [spec(m) for m in row.models]
    tokenizer = _tokenizer(models[0], directory)
    first = module_of(models[0], len(tokenizer) if tokenizer is not None else 0)
    apply, weights, pre, post = _parts(row, first, models, loaded, tokenizer)
    return JaxBackend(row.name, row.function, apply, weights, preprocess=pre, postprocess=post)


def _tokenizer(model: ModelSpec, directory: Path) -> Any:
    """The tokenizer a text or monolithic model reads its questions with (``None`` for the
    others)."""
    if model.family not in ("text", "vqa"):
        return None
    return load_tokenizer(directory / (VQA_TOKENIZER if model.family == "vqa" else TOKENIZER))


def serving_io(row: BackendSpec, directory: Path = WEIGHTS_DIR) -> tuple[Any, Any]:
    """The ``(preprocess, postprocess)`` of ``row``'s backend, without loading its weights
    (what an artifact pairs with the backend's exported computation)."""
    models = [spec(m) for m in row.models]
    tokenizer = _tokenizer(models[0], directory)
    first = module_of(models[0], len(tokenizer) if tokenizer is not None else 0)
    _, _, pre, post = _parts(row, first, models, dict.fromkeys(row.models), tokenizer)
    return pre, post


def _parts(
    row: BackendSpec, first: Any, models: list[ModelSpec], loaded: dict[str, Any], tokenizer: Any
) -> tuple[Any, Any, Any, Any]:
    weights = loaded[models[0].name]
    if row.function in ("find", "exists"):
        post = serving.find_post if row.function == "find" else serving.exists_post
        return serving.detector_apply(first), weights, serving.detector_pre, post
    resolution = models[0].resolution
    if row.function == "verify_property":
        return (
            serving.classifier_apply(first),
            weights,
            serving.verify_pre(resolution),
            serving.verify_post,
        )
    if row.function == "compute_depth":
        return (
            serving.classifier_apply(first),
            weights,
            serving.depth_pre(resolution),
            serving.depth_post,
        )
    if row.function == "best_text_match":
        return (
            serving.classifier_apply(first),
            weights,
            serving.match_pre(resolution),
            serving.match_post,
        )
    if row.function == "llm_query":
        text_post = serving.answers_post(NUMBER_ANSWERS)
        return serving.softmax_apply(first), weights, serving.text_pre(tokenizer), text_post
    if row.monolithic:
        vqa_post = serving.answers_post(VQA_ANSWERS)
        return serving.softmax_apply(first), weights, serving.vqa_pre(tokenizer), vqa_post
    detector = module_of(models[1])
    both = {"classifier": weights, "detector": loaded[models[1].name]}
    return (
        serving.query_apply(first, detector),
        both,
        serving.query_pre(resolution),
        serving.query_post,
    )


class LazyBackend:
    """A zoo backend that loads its weights and compiles on first use (thread-safe).

    ``nominal_cost``: its FLOPs per call when known without running it (the manifest's), which
    the executor gives policies before the backend has run.
    """

    def __init__(
        self, row: BackendSpec, directory: Path = WEIGHTS_DIR, nominal_cost: float | None = None
    ) -> None:
        self._row = row
        self._directory = directory
        self.nominal_cost = nominal_cost
        self._backend: JaxBackend | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The backend's name (``det-s``, ``qa-l``, ...)."""
        return self._row.name

    @property
    def function(self) -> str:
        """The generic function served."""
        return self._row.function

    @property
    def monolithic(self) -> bool:
        """Whether this is the monolithic whole-image question-answering model."""
        return self._row.monolithic

    def loaded(self) -> JaxBackend:
        """The underlying ``JaxBackend``, built on first call."""
        with self._lock:
            if self._backend is None:
                self._backend = build_backend(self._row, self._directory)
            return self._backend

    def cost(self, args: Args) -> float:
        """Measured FLOPs of serving ``args`` alone (XLA cost analysis)."""
        return self.loaded().cost(args)

    def timings(self) -> StageTimes:
        """The loaded backend's ``timings()`` (all zero before it is loaded)."""
        with self._lock:
            backend = self._backend
        return backend.timings() if backend is not None else StageTimes()

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        """Serve ``batch`` (see ``fmpc.runtime.backends.base.Backend``)."""
        return self.loaded()(batch)

    def __repr__(self) -> str:
        return f"LazyBackend({self.name!r}, {self.function!r})"


def zoo_backends(
    directory: Path = WEIGHTS_DIR, *, monolithic: bool = False
) -> dict[str, list[LazyBackend]]:
    """Each generic function's zoo backends, cheapest first. The monolithic model (a ``query``
    backend reading the whole image and any scene question) is left out unless ``monolithic``."""
    out: dict[str, list[LazyBackend]] = {}
    for row in backend_specs():
        if row.monolithic and not monolithic:
            continue
        out.setdefault(row.function, []).append(LazyBackend(row, directory))
    return out


def monolithic_backend(directory: Path = WEIGHTS_DIR) -> LazyBackend:
    """The monolithic model as a ``query`` backend: ``backend([(image, question)])``."""
    row = next(r for r in backend_specs() if r.monolithic)
    return LazyBackend(row, directory)
