"""``fmpc zoo train``: reproduce every zoo model from a seed, measure it and ship it.

One run generates training scenes (``train`` glyph pool, difficulty uniform in [0, 1]) and
held-out scenes (``val`` pool, easy and hard), builds the tokenizer, trains each model of
``fmpc.zoo.specs.ZOO`` with Optax (``fmpc.zoo.training.fit``) under rich progress bars, saves the
weights and writes the manifest: one row per backend with its parameters, its FLOPs (XLA cost
analysis of the compiled backend) and its held-out accuracy on easy and hard scenes.

The monolithic model (``vqa-xl``) learns the benchmark's question grammar from scene groups
(``fmpc.zoo.bench_questions``) with the largest detector's weights as its frozen vision tower
(read from the weights directory, so ``det-l`` is trained first); its held-out accuracy per
question form and per task is stored under ``models.vqa-xl.bench`` in the manifest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fmpc.semantics.values import ImageValue, PatchValue
from fmpc.zoo import data as zoo_data
from fmpc.zoo import evaluate
from fmpc.zoo.backends import BackendSpec, backend_specs, build_backend, module_of
from fmpc.zoo.bench_questions import (
    QUESTIONS_PER_SCENE,
    SceneGroup,
    grammar_groups,
    query_groups,
    question_text,
    report,
    vqa_corpus,
)
from fmpc.zoo.models import Detector
from fmpc.zoo.scene_questions import VQA_ANSWERS, corpus_questions
from fmpc.zoo.specs import ZOO, ModelSpec, family, spec
from fmpc.zoo.store import (
    TOKENIZER,
    VQA_TOKENIZER,
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

TRAIN_SCENES = 48000
"""Training scenes per run (all families share them)."""

GLYPH_WARP = 1.0
"""Strength of the random glyph distortion of training scenes (``SceneGenerator.glyph_warp``):
without it the large models memorise the training pool's 1078 glyphs."""

EVAL_SCENES = 200
"""Held-out scenes per difficulty level."""

VQA_GRAMMAR_SCENES = 9000
"""Training scenes with random benchmark-grammar questions for the monolithic model."""

VQA_QUERY_SCENES = 96
"""Training scenes per shipped benchmark query (drawn like its stream) for the monolithic model."""


@dataclass(frozen=True)
class TrainingData:
    """What one run trains and evaluates on."""

    train: Sequence[ImageValue]
    """The training scenes (a ``zoo_data.SceneSet``, or any sequence of images)."""
    held_out: Mapping[str, Sequence[ImageValue]]
    tokenizer: Any
    vqa_tokenizer: Any = None
    seed: int = 0
    scale: float = 1.0
    weights: Path = field(default=WEIGHTS_DIR)
    """Where already trained models are read (the monolithic model's frozen vision tower)."""


def make_data(
    seed: int, train_scenes: int = TRAIN_SCENES, eval_scenes: int = EVAL_SCENES
) -> TrainingData:
    """Training and held-out scenes (deterministic in ``seed``) and the tokenizer."""
    train = zoo_data.training_scenes(seed, train_scenes, "zoo-train", GLYPH_WARP)
    held_out = {
        level: zoo_data.scenes(seed, eval_scenes, "val", level, f"zoo-{level}")
        for level in ("easy", "hard")
    }
    return TrainingData(
        train,
        held_out,
        build_tokenizer(corpus(corpus_questions())),
        build_tokenizer(vqa_corpus()),
        seed,
    )


# ---------------------------------------------------------------- losses


def _detector_loss(module: Any) -> Callable[[Any, Mapping[str, jax.Array]], jax.Array]:
    def loss(params: Any, batch: Mapping[str, jax.Array]) -> jax.Array:
        out = module.apply({"params": params}, _as_float(batch["pixels"]))
        positive = batch["objectness"]
        count = jnp.maximum(positive.sum(), 1.0)
        weight = 1.0 + 3.0 * positive
        objectness = (optax.sigmoid_binary_cross_entropy(out[..., 0], positive) * weight).mean()
        logits = out[..., 1 : 1 + 13]
        category = optax.softmax_cross_entropy_with_integer_labels(logits, batch["category"])
        box = jnp.abs(out[..., 14:] - batch["box"]).sum(-1)
        return 10.0 * objectness + ((category + 2.0 * box) * positive).sum() / count

    return loss


def _as_float(pixels: jax.Array) -> jax.Array:
    """Pixels in [0, 1] as float32 (``uint8`` pixels of a ``SceneSet`` are divided by 255)."""
    if pixels.dtype == jnp.uint8:
        return pixels.astype(jnp.float32) / 255.0
    return pixels.astype(jnp.float32)


def _classifier_loss(module: Any) -> Callable[[Any, Mapping[str, jax.Array]], jax.Array]:
    def loss(params: Any, batch: Mapping[str, jax.Array]) -> jax.Array:
        out = module.apply({"params": params}, batch["pixels"], batch["box"])
        total = jnp.asarray(0.0)
        for head in ("category", "color", "size"):
            ce = optax.softmax_cross_entropy_with_integer_labels(out[head], batch[head])
            total = total + ce.mean()
        mean, log_std = out["side"][..., 0], jnp.clip(out["side"][..., 1], -6.0, 2.0)
        nll = 0.5 * ((batch["side"] - mean) * jnp.exp(-log_std)) ** 2 + log_std
        return total + 0.5 * nll.mean()

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
    crops = zoo_data.scene_crops(data.train, model.resolution, seed=len(data.train))
    return {
        "pixels": crops.pixels,
        "box": crops.box,
        "category": crops.category,
        "color": crops.color,
        "size": crops.size,
        "side": crops.side,
    }


def _text_data(data: TrainingData, model: ModelSpec) -> Any:
    pairs = number_questions()
    return {
        "tokens": encode(data.tokenizer, [q for q, _ in pairs]),
        "answer": np.asarray([NUMBER_ANSWERS.index(a) for _, a in pairs], np.int32),
    }


def vqa_groups(data: TrainingData) -> list[SceneGroup]:
    """The monolithic model's training scene groups (``train`` pool)."""
    grammar = grammar_groups(
        data.seed, max(int(VQA_GRAMMAR_SCENES * data.scale), 20), "train", name="vqa-train"
    )
    return grammar + query_groups(data.seed, max(int(VQA_QUERY_SCENES * data.scale), 2), "train")


def tower_params(directory: Path) -> Any:
    """The frozen vision tower's weights: the largest detector's."""
    return load_params(family("detector")[-1].name, directory)


def tower_outputs(pixels: np.ndarray, params: Any, batch: int = 64) -> np.ndarray:
    """The vision tower's per-cell outputs for ``pixels`` ``(N, 64, 64, 3)`` (float16)."""
    module = Detector(**family("detector")[-1].config, features=True)
    run = jax.jit(lambda p, x: module.apply({"params": p}, x))
    chunks = [np.asarray(run(params, pixels[k : k + batch])) for k in range(0, len(pixels), batch)]
    return np.concatenate(chunks).astype(np.float16)


def _vqa_data(data: TrainingData, model: ModelSpec) -> Any:
    groups = vqa_groups(data)
    pixels = np.stack([g.image.pixels for g in groups]).astype(np.float32)
    tower = tower_outputs(pixels, tower_params(data.weights))
    questions = [question_text(q) for g in groups for q in g.questions]
    tokens = encode(data.vqa_tokenizer, questions).reshape(len(groups), QUESTIONS_PER_SCENE, -1)
    label = np.asarray([[VQA_ANSWERS.index(a) for a in g.answers] for g in groups], np.int32)

    def sample(rows: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "pixels": pixels[rows],
            "tower": tower[rows].astype(np.float32),
            "tokens": tokens[rows].reshape(-1, tokens.shape[-1]),
            "answer": label[rows].reshape(-1),
        }

    return sample, len(groups)


def _vqa_loss(module: Any) -> Callable[[Any, Mapping[str, jax.Array]], jax.Array]:
    def loss(params: Any, batch: Mapping[str, jax.Array]) -> jax.Array:
        logits = module.apply(
            {"params": params},
            batch["pixels"],
            batch["tokens"],
            QUESTIONS_PER_SCENE,
            batch["tower"],
        )
        return optax.softmax_cross_entropy_with_integer_labels(logits, batch["answer"]).mean()

    return loss


_FAMILY: Mapping[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "detector": (_detector_data, _detector_loss),
    "classifier": (_classifier_data, _classifier_loss),
    "text": (_text_data, lambda m: _answer_loss(m, "tokens")),
    "vqa": (_vqa_data, _vqa_loss),
}


CURVE_POINTS = 4
"""Held-out measurements along the monolithic model's training (its learning curve)."""


def train_model(
    model: ModelSpec,
    data: TrainingData,
    seed: int,
    progress: Progress | None = None,
    curve: list[dict[str, Any]] | None = None,
) -> tuple[Any, float]:
    """Train ``model`` from ``seed``; returns its parameters and final training loss. For the
    monolithic model, ``curve`` receives ``CURVE_POINTS`` held-out measurements along the way
    (``learning_curve_point``)."""
    make_data_fn, make_loss = _FAMILY[model.family]
    arrays = make_data_fn(data, model)
    vqa = model.family == "vqa"
    module = module_of(model, len(data.vqa_tokenizer if vqa else data.tokenizer))
    sampler, _ = arrays if isinstance(arrays, tuple) else (None, None)
    example = sampler(np.zeros(1, int)) if sampler else {k: v[:1] for k, v in arrays.items()}
    inputs: list[Any] = [_as_float(jnp.asarray(example[k])) if k == "pixels" else example[k]
                         for k in _INPUTS[model.family]]  # fmt: skip
    if vqa:
        inputs += [QUESTIONS_PER_SCENE, example["tower"]]
    params = module.init(jax.random.key(seed), *inputs)["params"]
    task = None
    if progress is not None:
        task = progress.add_task(model.name, total=model.steps, model=model.name)
    callback = None
    if vqa and curve is not None:

        def callback(step: int, trained: Any) -> None:
            curve.append(learning_curve_point(model, data, seed, step, trained))

    params, loss = fit(
        make_loss(module),
        params,
        arrays,
        steps=model.steps,
        batch_size=model.batch_size,
        learning_rate=model.learning_rate,
        seed=seed,
        progress=progress,
        task=task,
        every=max(model.steps // CURVE_POINTS, 1),
        callback=callback,
    )
    if vqa:
        params = {**params, "tower": tower_params(data.weights)}
    return params, loss


def learning_curve_point(
    model: ModelSpec, data: TrainingData, seed: int, step: int, params: Any
) -> dict[str, Any]:
    """The monolithic model after ``step`` training steps on a small held-out report, with an
    estimate of the training compute spent so far: 3 x (forward and backward) the FLOPs of its
    trained part per question (the frozen tower's are left out: its outputs are computed once
    per scene), times the questions seen."""
    row = next(r for r in backend_specs() if r.monolithic)
    weights = {model.name: {**params, "tower": tower_params(data.weights)}}
    backend = build_backend(row, data.weights, params=weights)

    answer = _answerer(backend)
    example = data.held_out["easy"][0]
    per_question = backend.cost((example, "is there a 7?")) - tower_flops(data.weights)
    flops = 3.0 * step * model.batch_size * QUESTIONS_PER_SCENE * per_question
    figures = report(answer, seed, 100, 4)
    return {
        "steps": step,
        "train_flops": flops,
        "grammar": figures["overall"],
        **{task: figures["per_task"][task] for task in ("binary", "open")},
    }


def tower_flops(directory: Path) -> float:
    """Forward FLOPs of the frozen vision tower on one image (precomputed, not trained)."""
    module = Detector(**family("detector")[-1].config, features=True)
    params = tower_params(directory)
    compiled = jax.jit(lambda p, x: module.apply({"params": p}, x))
    analysis = compiled.lower(params, np.zeros((1, 64, 64, 3), np.float32)).cost_analysis()
    return float((analysis or {}).get("flops", 0.0))


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
        "compute_depth": (patch,),
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
    figures = {
        level: evaluate.measure(backend, _items(row, data, level, seed))
        for level in ("easy", "hard")
    }
    both = {key: (figures["easy"][key] + figures["hard"][key]) / 2 for key in figures["easy"]}
    return {
        "function": row.function,
        "name": row.name,
        "models": list(row.models),
        "params": params,
        "flops": flops,
        "monolithic": row.monolithic,
        "easy": round(figures["easy"]["accuracy"], 4),
        "hard": round(figures["hard"]["accuracy"], 4),
        "ece": round(both["ece"], 4),
        "false_positive": _rounded(both["false_positive"]),
    }


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _answerer(backend: Any) -> Callable[[Sequence[tuple[ImageValue, str]]], list[str | None]]:
    """The monolithic ``backend`` as a function from (image, question) items to answers."""

    def answer(items: Sequence[tuple[ImageValue, str]]) -> list[str | None]:
        out: list[str | None] = []
        for start in range(0, len(items), evaluate.BATCH):
            results = backend(list(items[start : start + evaluate.BATCH]))
            out += [r.output if r.ok else None for r in results]
        return out

    return answer


def bench_report(row: BackendSpec, directory: Path, seed: int, scale: float = 1.0) -> dict:
    """The monolithic backend's held-out accuracy per question form and per task
    (``fmpc.zoo.bench_questions.report``)."""
    backend = build_backend(row, directory)

    answer = _answerer(backend)
    return report(answer, seed, max(int(400 * scale), 20), max(int(16 * scale), 2))


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
    data = replace(data, scale=scale, weights=directory)
    save_tokenizer(data.tokenizer, _mkdir(directory) / TOKENIZER)
    save_tokenizer(data.vqa_tokenizer, directory / VQA_TOKENIZER)
    manifest = read_manifest(directory)
    with _progress(console) as progress:
        for model in models:
            begin = time.perf_counter()
            scaled = _scaled(model, scale)
            curve: list[dict[str, Any]] = []
            params, loss = train_model(scaled, data, seed, progress, curve)
            save_params(model.name, params, directory)
            manifest["models"][model.name] = {
                "family": model.family,
                "final_loss": round(loss, 4),
                "train_seconds": round(time.perf_counter() - begin, 1),
                "steps": scaled.steps,
                **({"curve": curve} if curve else {}),
            }
    names = {m.name for m in models}
    rows = [r for r in manifest["backends"] if not names & set(r.get("models", ()))]
    for row in backend_specs():
        if names & set(row.models):
            console.print(f"measuring {row.function}/{row.name}")
            rows.append(measure(row, data, directory, seed))
        if row.monolithic and names & set(row.models):
            console.print(f"measuring {row.name} on held-out benchmark questions")
            manifest["models"][row.name]["bench"] = bench_report(row, directory, seed, scale)
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
