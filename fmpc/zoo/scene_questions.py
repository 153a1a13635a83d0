"""Simple whole-scene questions with exact answers from the scene graph.

The monolithic model is now trained on the benchmark grammar (``fmpc.zoo.bench_questions``);
these forms remain part of the text models' tokenizer corpus (``corpus_questions``, so that
``weights/tokenizer.json`` and the ids the text models learnt stay the same) and of the
evaluation helpers (``pick_name``). The world's whole-image patch questions (``is there a
{name}?``, ``how many {name} are there?``, answered by ``fmpc.worlds.perception.query``) and:

======================================  =====================================================
question                                answer
======================================  =====================================================
is there a {color} {name}?              ``yes``/``no``
how many {color} {name} are there?      the count
what color is the {category}?           the colour of the only object of that category
what size is the {category}?            its size class
is the {category} left of the {cat2}?   ``yes``/``no`` (box centres; both unique)
======================================  =====================================================

Answers are words of ``fmpc.worlds.questions.ANSWERS``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fmpc.semantics.values import ImageValue
from fmpc.worlds import perception
from fmpc.worlds.questions import ANSWERS
from fmpc.worlds.scene import SceneObject
from fmpc.worlds.vocabulary import CATEGORIES, COLOR_NAMES, NAMES

VQA_ANSWERS: tuple[str, ...] = ANSWERS
"""The monolithic model's answer classes (every answer of the benchmark grammar)."""

Form = Callable[[ImageValue, np.random.Generator], tuple[str, str] | None]


def _plural(name: str) -> str:
    return name + ("es" if name.endswith("s") else "s")


def pick_name(image: ImageValue, rng: np.random.Generator) -> str:
    """A name: half the time one of the scene's categories or kinds, else any name."""
    objects = image.scene.objects
    if rng.random() < 0.5 and objects:
        obj = objects[int(rng.integers(len(objects)))]
        return str(rng.choice([obj.category, obj.kind]))
    return str(rng.choice(NAMES))


def _there(image: ImageValue, rng: np.random.Generator) -> tuple[str, str]:
    question = f"is there a {pick_name(image, rng)}?"
    return question, perception.query(image, question)


def _count(image: ImageValue, rng: np.random.Generator) -> tuple[str, str]:
    question = f"how many {_plural(pick_name(image, rng))} are there?"
    return question, perception.query(image, question)


def _matching(image: ImageValue, name: str, color: str) -> list[SceneObject]:
    return [o for o in image.scene.objects if perception.matches_name(o, name) and o.color == color]


def _color_name(image: ImageValue, rng: np.random.Generator) -> tuple[str, str]:
    objects = image.scene.objects
    if rng.random() < 0.5 and objects:
        obj = objects[int(rng.integers(len(objects)))]
        return str(rng.choice([obj.category, obj.kind])), obj.color
    return str(rng.choice(NAMES)), str(rng.choice(COLOR_NAMES))


def _there_color(image: ImageValue, rng: np.random.Generator) -> tuple[str, str]:
    name, color = _color_name(image, rng)
    return f"is there a {color} {name}?", "yes" if _matching(image, name, color) else "no"


def _count_color(image: ImageValue, rng: np.random.Generator) -> tuple[str, str]:
    name, color = _color_name(image, rng)
    return f"how many {color} {_plural(name)} are there?", str(len(_matching(image, name, color)))


def _unique(image: ImageValue) -> list[SceneObject]:
    categories = [o.category for o in image.scene.objects]
    return [o for o in image.scene.objects if categories.count(o.category) == 1]


def _attribute(image: ImageValue, rng: np.random.Generator) -> tuple[str, str] | None:
    unique = _unique(image)
    if not unique:
        return None
    obj = unique[int(rng.integers(len(unique)))]
    if rng.random() < 0.5:
        return f"what color is the {obj.category}?", obj.color
    return f"what size is the {obj.category}?", obj.size


def _left_of(image: ImageValue, rng: np.random.Generator) -> tuple[str, str] | None:
    unique = _unique(image)
    if len(unique) < 2:
        return None
    first, second = rng.choice(len(unique), 2, replace=False)
    a, b = unique[int(first)], unique[int(second)]
    answer = "yes" if a.center[0] < b.center[0] else "no"
    return f"is the {a.category} left of the {b.category}?", answer


FORMS: tuple[Form, ...] = (_there, _count, _there_color, _count_color, _attribute, _left_of)
"""Question generators, drawn uniformly; a generator returns ``None`` when the scene does not
allow its form (the next one is tried)."""


def scene_question(image: ImageValue, rng: np.random.Generator) -> tuple[str, str]:
    """One random ``(question, answer)`` about ``image``."""
    start = int(rng.integers(len(FORMS)))
    for k in range(len(FORMS)):
        pair = FORMS[(start + k) % len(FORMS)](image, rng)
        if pair is not None:
            return pair
    raise AssertionError("the 'is there' form always applies")


def corpus_questions() -> list[str]:
    """Questions covering every word of the forms (for the tokenizer)."""
    text = []
    for name in NAMES:
        text += [f"is there a {name}?", f"how many {_plural(name)} are there?"]
        text += [f"is there a {c} {name}?" for c in COLOR_NAMES]
        text += [f"how many {c} {_plural(name)} are there?" for c in COLOR_NAMES]
    for category in CATEGORIES:
        text += [f"what color is the {category}?", f"what size is the {category}?"]
        text += [f"is the {category} left of the {other}?" for other in CATEGORIES]
    return text
