"""``fmpc zoo train``: reproduce every zoo model from a seed, measure it and ship it.

One run generates training scenes (``train`` glyph pool, difficulty uniform in [0, 1]) and
held-out scenes (``val`` pool, easy and hard), builds the tokenizer, trains each model of
``fmpc.zoo.specs.ZOO`` with Optax (``fmpc.zoo.training.fit``) under rich progress bars, saves the
weights and writes the manifest: one row per backend with its parameters, its FLOPs (XLA cost
analysis of the compiled backend) and its held-out accuracy on easy and hard scenes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fmpc.runtime.values import ImageValue, PatchValue
from fmpc.zoo import data as zoo_data
from fmpc.zoo import evaluate
from fmpc.zoo.backends import BackendSpec, backend_specs, build_backend, module_of
from fmpc.zoo.scene_questions import VQA_ANSWERS, corpus_questions, scene_question
from fmpc.zoo.specs import ZOO, ModelSpec, spec
from fmpc.zoo.store import (
    TOKENIZER,
    WEIGHTS_DIR,
    load_params,
    read_manifest,
    save_params,
    write_manifest,
)
from fmpc.zoo.text import (
    NUMBER_ANSWERS,
    build_tokenizer,
    corpus,
    encode,
    number_questions,
    save_tokenizer,
)
from fmpc.zoo.training import fit

TRAIN_SCENES = 8000
"""Training scenes per run (all families share them)."""

EVAL_SCENES = 200
"""Held-out scenes per difficulty level."""

VQA_QUESTIONS_PER_SCENE = 6
"""Questions drawn per training scene for the monolithic model."""


@dataclass(frozen=True)
class TrainingData:
    """What one run trains and evaluates on."""

    train: Sequence[ImageValue]
    held_out: Mapping[str, Sequence[ImageValue]]
    tokenizer: Any


def make_data(
    seed: int, train_scenes: int = TRAIN_SCENES, eval_scenes: int = EVAL_SCENES
) -> TrainingData:
    """Training and held-out scenes (deterministic in ``seed``) and the tokenizer."""
    train = zoo_data.scenes(seed, train_scenes, "train", (0.0, 1.0), "zoo-train")
    held_out = {
        level: zoo_data.scenes(seed, eval_scenes, "val", level, f"zoo-{level}")
        for level in ("easy", "hard")
    }
    return TrainingData(train, held_out, build_tokenizer(corpus(corpus_questions())))


# ---------------------------------------------------------------- losses


def _detector_loss(module: Any) -> Callable[[Any, Mapping[str, jax.Array]], jax.Array]:
    def loss(params: Any, batch: Mapping[str, jax.Array]) -> jax.Array:
        out = module.apply({"params": params}, batch["pixels"])
        positive = batch["objectness"]
        count = jnp.maximum(positive.sum(), 1.0)
        weight = 1.0 + 3.0 * positive
        objectness = (optax.sigmoid_binary_cross_entropy(out[..., 0], positive) * weight).mean()
        logits = out[..., 1 : 1 + 13]
        category = optax.softmax_cross_entropy_with_integer_labels(logits, batch["category"])
        box = jnp.abs(out[..., 14:] - batch["box"]).sum(-1)
        return 10.0 * objectness + ((category + 2.0 * box) * positive).sum() / count

    return loss


def _classifier_loss(module: Any) -> Callable[[Any, Mapping[str, jax.Array]], jax.Array]:
    def loss(params: Any, batch: Mapping[str, jax.Array]) -> jax.Array:
        out = module.apply({"params": params}, batch["pixels"], batch["box"])
        total = jnp.asarray(0.0)
        for head in ("category", "color", "size"):
            ce = optax.softmax_cross_entropy_with_integer_labels(out[head], batch[head])
            total = total + ce.mean()
        return total

    return loss


def _answer_loss(module: Any, *inputs: str) -> Callable[[Any, Mapping[str, jax.Array]], jax.Array]:
    def loss(params: Any, batch: Mapping[str, jax.Array]) -> jax.Array:
        logits = module.apply({"params": params}, *(batch[k] for k in inputs))
        return optax.softmax_cross_entropy_with_integer_labels(logits, batch["answer"]).mean()

    return loss


# ---------------------------------------------------------------- per-family data


def _detector_data(data: TrainingData, model: ModelSpec) -> Any:
    targets = zoo_data.detector_targets(data.train)
    return {
        "pixels": targets.pixels,
        "objectness": targets.objectness,
        "category": targets.category,
        "box": targets.box,
    }


def _classifier_data(data: TrainingData, model: ModelSpec) -> Any:
    patches = zoo_data.object_patches(data.train, seed=len(data.train))
    crops = zoo_data.crops(patches, model.resolution)
    return {
        "pixels": crops.pixels,
        "box": crops.box,
        "category": crops.category,
        "color": crops.color,
        "size": crops.size,
    }


def _text_data(data: TrainingData, model: ModelSpec) -> Any:
    pairs = number_questions()
    return {
        "tokens": encode(data.tokenizer, [q for q, _ in pairs]),
        "answer": np.asarray([NUMBER_ANSWERS.index(a) for _, a in pairs], np.int32),
    }


def _vqa_data(data: TrainingData, model: ModelSpec) -> Any:
    rng = np.random.default_rng(len(data.train))
    owners: list[int] = []
    questions: list[str] = []
    labels: list[int] = []
    for k, image in enumerate(data.train):
        for _ in range(VQA_QUESTIONS_PER_SCENE):
            question, answer = scene_question(image, rng)
            owners.append(k)
            questions.append(question)
            labels.append(VQA_ANSWERS.index(answer))
    pixels = np.stack([image.pixels for image in data.train])
    tokens = encode(data.tokenizer, questions)
    owner, label = np.asarray(owners), np.asarray(labels, np.int32)

    def sample(rows: np.ndarray) -> dict[str, np.ndarray]:
        return {"pixels": pixels[owner[rows]], "tokens": tokens[rows], "answer": label[rows]}

    return sample, len(label)


_FAMILY: Mapping[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "detector": (_detector_data, _detector_loss),
    "classifier": (_classifier_data, _classifier_loss),
    "text": (_text_data, lambda m: _answer_loss(m, "tokens")),
    "vqa": (_vqa_data, lambda m: _answer_loss(m, "pixels", "tokens")),
}


def train_model(
    model: ModelSpec, data: TrainingData, seed: int, progress: Progress | None = None
) -> tuple[Any, float]:
    """Train ``model`` from ``seed``; returns its parameters and final training loss."""
    make_data_fn, make_loss = _FAMILY[model.family]
    arrays = make_data_fn(data, model)
    module = module_of(model, len(data.tokenizer))
    sampler, _ = arrays if isinstance(arrays, tuple) else (None, None)
    example = sampler(np.zeros(1, int)) if sampler else {k: v[:1] for k, v in arrays.items()}
    inputs = [example[k] for k in _INPUTS[model.family]]
    params = module.init(jax.random.key(seed), *inputs)["params"]
    task = None
    if progress is not None:
        task = progress.add_task(model.name, total=model.steps, model=model.name)
    return fit(
        make_loss(module),
        params,
        arrays,
        steps=model.steps,
        batch_size=model.batch_size,
        learning_rate=model.learning_rate,
        seed=seed,
        progress=progress,
        task=task,
    )


_INPUTS: Mapping[str, tuple[str, ...]] = {
    "detector": ("pixels",),
    "classifier": ("pixels", "box"),
    "text": ("tokens",),
    "vqa": ("pixels", "tokens"),
}


# ---------------------------------------------------------------- measuring


def _example_args(row: BackendSpec, image: ImageValue) -> tuple[Any, ...]:
    whole = PatchValue.whole(image)
    obj = image.scene.objects[0]
    patch = PatchValue(image, *obj.box)
    return {
        "find": (whole, "object"),
        "exists": (whole, "object"),
        "verify_property": (patch, "object", "red"),
        "best_text_match": (patch, ["red", "blue"]),
        "query": (whole, "is there a 7?") if row.monolithic else (patch, "what is this?"),
        "simple_query": (patch, "what is this?"),
        "llm_query": ("is 7 prime?",),
    }[row.function]


def _items(row: BackendSpec, data: TrainingData, level: str, seed: int) -> list[evaluate.Item]:
    if row.function == "llm_query":
        return evaluate.text_items(level)
    if row.monolithic:
        return evaluate.vqa_items(data.held_out[level], seed)
    return evaluate.scene_items(row.function, data.held_out[level], seed)


def measure(row: BackendSpec, data: TrainingData, directory: Path, seed: int) -> dict[str, Any]:
    """The manifest row of backend ``row``: size, measured FLOPs, held-out accuracies."""
    backend = build_backend(row, directory)
    params = sum(
        int(np.size(leaf))
        for m in row.models
        for leaf in jax.tree.leaves(load_params(m, directory))
    )
    flops = backend.cost(_example_args(row, data.held_out["easy"][0]))
    accuracies = {
        level: round(evaluate.accuracy(backend, _items(row, data, level, seed)), 4)
        for level in ("easy", "hard")
    }
    return {
        "function": row.function,
        "name": row.name,
        "models": list(row.models),
        "params": params,
        "flops": flops,
        "monolithic": row.monolithic,
        "easy": accuracies["easy"],
        "hard": accuracies["hard"],
    }


# ---------------------------------------------------------------- the command


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def train(
    seed: int = 0,
    only: Sequence[str] = (),
    directory: Path = WEIGHTS_DIR,
    console: Console | None = None,
    scale: float = 1.0,
) -> dict[str, Any]:
    """Train the zoo (or the models named in ``only``), save weights and manifest; returns the
    manifest. ``scale`` multiplies steps and scene counts (below 1 for quick smoke runs)."""
    console = console or Console()
    models = [spec(name) for name in only] if only else list(ZOO)
    started = time.perf_counter()
    console.print(f"[bold]fmpc zoo train[/]: seed {seed}, {len(models)} model(s)")
    data = make_data(seed, max(int(TRAIN_SCENES * scale), 50), max(int(EVAL_SCENES * scale), 20))
    save_tokenizer(data.tokenizer, _mkdir(directory) / TOKENIZER)
    manifest = read_manifest(directory)
    with _progress(console) as progress:
        for model in models:
            begin = time.perf_counter()
            scaled = _scaled(model, scale)
            params, loss = train_model(scaled, data, seed, progress)
            save_params(model.name, params, directory)
            manifest["models"][model.name] = {
                "family": model.family,
                "final_loss": round(loss, 4),
                "train_seconds": round(time.perf_counter() - begin, 1),
                "steps": scaled.steps,
            }
    names = {m.name for m in models}
    rows = [r for r in manifest["backends"] if not names & set(r.get("models", ()))]
    for row in backend_specs():
        if names & set(row.models):
            console.print(f"measuring {row.function}/{row.name}")
            rows.append(measure(row, data, directory, seed))
    manifest.update(seed=seed, backends=_ordered(rows))
    seconds = round(time.perf_counter() - started, 1)
    manifest["last_run"] = {"models": [m.name for m in models], "seconds": seconds}
    write_manifest(manifest, directory)
    return manifest


def _scaled(model: ModelSpec, scale: float) -> ModelSpec:
    return replace(model, steps=max(int(model.steps * scale), 10))


def _mkdir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {(r.function, r.name): k for k, r in enumerate(backend_specs())}
    return sorted(rows, key=lambda r: order.get((r["function"], r["name"]), len(order)))
