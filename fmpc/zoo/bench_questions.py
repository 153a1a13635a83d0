"""Benchmark-style questions for the monolithic model: training groups and held-out reports.

The monolithic model answers the benchmark's own questions (``fmpc.worlds.benchmarks.grammar``)
from the image alone. Its data are **scene groups**: one rendered scene and
``QUESTIONS_PER_SCENE`` questions about it, answered exactly by
``fmpc.worlds.benchmarks.semantics.answer_benchmark_question``. Two kinds of group:

* *grammar* scenes (mixed difficulty, half with look-alike distractors, like the open-form
  streams) with random questions of every form (``sample_benchmark_question``), balanced so
  that yes/no questions answer ``yes`` half the time (``sample_question``);
* *query* scenes, drawn like each shipped query's stream (its ``require`` objects, difficulty
  and look-alike settings), whose first question is the query's own; for binary queries half
  the scenes answer ``yes`` (the streams' rare positives), the other half ``no``.

Training uses the ``train`` glyph pool, held-out reports the ``val`` pool (never ``bench``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fmpc.semantics.values import ImageValue
from fmpc.worlds.benchmarks import (
    BenchmarkQuery,
    BenchmarkQuestion,
    builtin_queries,
    grammar_words,
    parse_benchmark_question,
    sample_benchmark_question,
)
from fmpc.worlds.benchmarks.grammar import normalize_benchmark_question
from fmpc.worlds.benchmarks.schema import BinaryStream
from fmpc.worlds.benchmarks.semantics import answer_benchmark_question
from fmpc.worlds.generator import Difficulty, SceneGenerator
from fmpc.worlds.numbers import NUMBER_WORDS
from fmpc.worlds.render import render
from fmpc.worlds.scene import Scene
from fmpc.worlds.vocabulary import DIGIT_WORDS

QUESTIONS_PER_SCENE = 8
"""Questions asked about each scene of a group (the scene is encoded once for all of them)."""

BALANCE_TRIES = 8
"""Draws per question to find one with the wanted kind of answer (``sample_question``)."""

MAX_TRIES = 400
"""Attempts per constrained query scene before it is skipped."""


@dataclass(frozen=True)
class SceneGroup:
    """One scene and questions about it, with their exact answers; ``query``: the shipped
    query whose stream the scene imitates (``""`` for a grammar scene)."""

    image: ImageValue
    questions: tuple[str, ...]
    answers: tuple[str, ...]
    query: str = ""


def question_text(question: str) -> str:
    """A question as the monolithic model reads it (the grammar's normal form, ``?`` kept)."""
    return normalize_benchmark_question(question) + " ?"


def vqa_corpus() -> list[str]:
    """Text the monolithic model's word-level tokenizer is trained on: every word of the
    benchmark grammar, spelled-out numbers and the shipped queries' questions."""
    text = list(grammar_words()) + list(DIGIT_WORDS) + list(NUMBER_WORDS)
    for task in ("binary", "open"):
        text += [question_text(q.question) for q in builtin_queries(task)]
    return text


def _image(scene: Scene) -> ImageValue:
    pixels = render(scene)
    pixels.flags.writeable = False
    return ImageValue(pixels, id=scene.id, scene=scene)


def sample_question(rng: np.random.Generator, scene: Scene) -> tuple[BenchmarkQuestion, str]:
    """A random question of any form about ``scene`` and its answer, **balanced**: a yes/no
    question answers ``yes`` half the time and other forms rarely answer ``none`` / ``0``
    (up to ``BALANCE_TRIES`` draws), so that answers are read from the image, not guessed from
    the form."""
    want_yes = rng.random() < 0.5
    for _ in range(BALANCE_TRIES):
        question = sample_benchmark_question(rng, scene)
        answer = answer_benchmark_question(question, scene)
        if answer in ("yes", "no"):
            if (answer == "yes") == want_yes:
                break
        elif answer not in ("none", "0") or rng.random() < 0.3:
            break
    return question, answer


def _random_questions(
    scene: Scene, rng: np.random.Generator, count: int
) -> tuple[list[str], list[str]]:
    pairs = [sample_question(rng, scene) for _ in range(count)]
    return [q.text() for q, _ in pairs], [a for _, a in pairs]


def grammar_groups(
    seed: int, n: int, pool: str, difficulty: Difficulty = None, name: str = "vqa"
) -> list[SceneGroup]:
    """``n`` grammar scenes (odd ones with look-alikes) with random questions of every form."""
    rng = np.random.default_rng([seed, n, len(pool)])
    generators = [
        SceneGenerator(seed, pool=pool, difficulty=difficulty, name=f"{name}-{k}", lookalikes=k)
        for k in (False, True)
    ]
    groups = []
    for i in range(n):
        scene = generators[i % 2].scene(i)
        questions, answers = _random_questions(scene, rng, QUESTIONS_PER_SCENE)
        groups.append(SceneGroup(_image(scene), tuple(questions), tuple(answers)))
    return groups


def _query_scene(
    query: BenchmarkQuery, generator: SceneGenerator, i: int
) -> tuple[Scene, str] | None:
    """Scene ``i`` for ``query``: binary ones alternate yes / no answers (``None`` when no
    such scene is found)."""
    question = parse_benchmark_question(query.question)
    settings = query.stream
    wanted = None
    require = settings.specs()
    if isinstance(settings, BinaryStream):
        wanted = "yes" if i % 2 == 0 else "no"
        require = require if wanted == "yes" else settings.near_miss_specs()
    distractor = bool(getattr(settings, "lookalikes", False))

    def predicate(scene: Scene) -> bool:
        if distractor and not any(o.distractor for o in scene.objects):
            return False
        return wanted is None or answer_benchmark_question(question, scene) == wanted

    try:
        scene = generator.scene(i, require, predicate, MAX_TRIES)
    except Exception:  # a rare constrained draw that fails is skipped, not fatal
        return None
    return scene, answer_benchmark_question(question, scene)


def query_groups(
    seed: int, per_query: int, pool: str, queries: Sequence[BenchmarkQuery] | None = None
) -> list[SceneGroup]:
    """``per_query`` scenes drawn like each query's stream (from ``pool``); the first question
    of each group is the query's own, the others random grammar questions."""
    if queries is None:
        queries = builtin_queries("binary") + builtin_queries("open")
    rng = np.random.default_rng([seed, per_query, len(pool), 1])
    groups = []
    for query in queries:
        settings = query.stream
        generator = SceneGenerator(
            seed + settings.seed_offset,
            pool=pool,
            difficulty=settings.difficulty,
            name=f"vqa-{query.task}-{query.id}",
            lookalikes=bool(getattr(settings, "lookalikes", False)),
        )
        for i in range(per_query):
            drawn = _query_scene(query, generator, i)
            if drawn is None:
                continue
            scene, answer = drawn
            questions, answers = _random_questions(scene, rng, QUESTIONS_PER_SCENE - 1)
            groups.append(
                SceneGroup(
                    _image(scene),
                    (query.question, *questions),
                    (answer, *answers),
                    f"{query.task}/{query.id}",
                )
            )
    return groups


# ---------------------------------------------------------------- held-out report

Answerer = Callable[[Sequence[tuple[ImageValue, str]]], list[str | None]]
"""Answers a batch of ``(image, question)`` (``None`` for a failed item)."""


def _ratio(right: Sequence[bool]) -> float:
    return round(float(np.mean(right)), 4) if right else float("nan")


def report(answer: Answerer, seed: int, scenes: int = 400, per_query: int = 16) -> dict:
    """Exact-match accuracy of ``answer`` on held-out (``val``) bench-style questions:
    ``overall`` and ``per_form`` on grammar scenes (two questions each), ``per_task``
    (``binary``: the shipped binary queries on scenes half yes / half no; ``open``: the
    shipped open-form queries on scenes drawn like their streams) and ``per_query``."""
    grammar = grammar_groups(seed, scenes, "val", name="vqa-report")
    items = [
        (g.image, q, a)
        for g in grammar
        for q, a in zip(g.questions[:2], g.answers[:2], strict=True)
    ]
    right = _judge(answer, items)
    per_form: dict[str, list[bool]] = defaultdict(list)
    for (_, q, _), ok in zip(items, right, strict=True):
        per_form[parse_benchmark_question(q).form].append(ok)
    queries = query_groups(seed, per_query, "val")
    query_items = [(g.image, g.questions[0], g.answers[0]) for g in queries]
    query_right = _judge(answer, query_items)
    by_query: dict[str, list[bool]] = defaultdict(list)
    for group, ok in zip(queries, query_right, strict=True):
        by_query[group.query].append(ok)
    per_task = {
        task: _ratio([ok for key, oks in by_query.items() if key.startswith(task) for ok in oks])
        for task in ("binary", "open")
    }
    return {
        "overall": _ratio(right),
        "per_form": {form: _ratio(oks) for form, oks in sorted(per_form.items())},
        "per_task": per_task,
        "per_query": {key: _ratio(oks) for key, oks in sorted(by_query.items())},
        "questions": len(items) + len(query_items),
    }


def _judge(answer: Answerer, items: Sequence[tuple[ImageValue, str, str]]) -> list[bool]:
    outputs = answer([(image, question) for image, question, _ in items])
    return [out == truth for out, (_, _, truth) in zip(outputs, items, strict=True)]
