"""A tiny deterministic fake world for running programs: fixed symbolic scenes and fake backends.

Each scene is an ``ImageValue`` (100x100 black pixels) whose ``scene`` is a ``FakeScene``: a
tuple of ``FakeObject`` s with a name (``"7"``, ``"circle"``, ``"cat"``), a colour, a size, a box
``(left, lower, right, upper)`` (origin bottom-left, y up, as in ``fmpc.semantics.values``), a depth
(larger is farther) and tags (``"striped"``, ``"sleeping"``, ...).

The fake backends (``fake_backends()``, keyed by routable function name) read those objects with
fixed rules, so every answer can be worked out by hand:

* a patch **contains** the objects whose box centre lies in it (closed box); ``find`` returns
  their patches (box = the object's box) sorted left to right (then bottom to top);
* a patch's **focus** is the object whose box *is* the patch's box, if there is one, else the
  objects it contains; ``verify_property``, ``best_text_match``, ``simple_query`` / ``query``,
  ``compute_depth`` and ``best_image_match`` look at the focus;
* an object **has** a word if it is its name, kind (``digit``/``shape``/``animal``), colour,
  size or one of its tags; the name ``object`` matches every object.

Unknown object names, properties, questions and prompts raise ``FakeWorldError``, so a typo in a
program fails loudly instead of quietly answering ``no``.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from fmpc.semantics.values import ImageValue, PatchValue

IMAGE_SIZE = 100
BACKGROUND_DEPTH = 100.0

DIGITS = frozenset("0123456789")
SHAPES = frozenset({"circle", "square", "triangle", "star"})
ANIMALS = frozenset({"cat", "dog", "bird"})
KINDS = frozenset({"digit", "shape", "animal"})
COLOURS = frozenset({"red", "green", "blue", "yellow", "black", "white", "orange", "purple"})
SIZES = frozenset({"small", "medium", "large"})
TAGS = frozenset({"striped", "dotted", "sleeping", "running", "faded"})
ACTIVITIES = frozenset({"sleeping", "running"})
NAMES = DIGITS | SHAPES | ANIMALS
OBJECT_WORDS = NAMES | KINDS | {"object"}
PROPERTIES = COLOURS | SIZES | TAGS


class FakeWorldError(ValueError):
    """A fake backend was asked something the fake world does not know."""


@dataclass(frozen=True)
class FakeObject:
    """One object of a fake scene."""

    name: str
    colour: str
    size: str
    box: tuple[int, int, int, int]
    depth: float
    tags: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``digit``, ``shape`` or ``animal``."""
        if self.name in DIGITS:
            return "digit"
        return "shape" if self.name in SHAPES else "animal"

    @property
    def centre(self) -> tuple[float, float]:
        """The box's centre ``(x, y)``."""
        left, lower, right, upper = self.box
        return ((left + right) / 2, (lower + upper) / 2)

    def is_a(self, object_name: str) -> bool:
        """Whether ``find(..., object_name)`` matches this object."""
        return object_name in (self.name, self.kind, "object")

    def words(self) -> frozenset[str]:
        """Everything this object can be described as."""
        return frozenset({self.name, self.kind, self.colour, self.size, *self.tags})


@dataclass(frozen=True)
class FakeScene:
    """The ground truth of one fake image."""

    name: str
    objects: tuple[FakeObject, ...]


def _obj(name: str, colour: str, size: str, box: tuple[int, int, int, int], depth: float,
         *tags: str) -> FakeObject:  # fmt: skip
    return FakeObject(name, colour, size, box, depth, tags)


SCENES: Mapping[str, tuple[FakeObject, ...]] = MappingProxyType(
    {
        "red_seven": (
            _obj("7", "red", "large", (10, 10, 30, 40), 3.0),
            _obj("3", "blue", "small", (50, 60, 60, 75), 5.0),
            _obj("circle", "green", "medium", (70, 20, 90, 40), 4.0),
        ),
        "blue_sevens": (
            _obj("7", "blue", "medium", (10, 50, 25, 70), 2.0),
            _obj("1", "red", "small", (35, 40, 45, 55), 7.0),
            _obj("7", "green", "large", (60, 10, 80, 35), 6.0),
            _obj("square", "yellow", "medium", (80, 70, 95, 90), 3.0, "striped"),
        ),
        "empty": (),
        "pets": (
            _obj("cat", "orange", "large", (5, 5, 45, 40), 2.0, "sleeping"),
            _obj("bird", "yellow", "small", (40, 70, 50, 80), 9.0),
            _obj("dog", "black", "large", (55, 5, 95, 50), 4.0, "running"),
        ),
        "digits_row": (
            _obj("2", "red", "small", (5, 40, 15, 55), 5.0),
            _obj("4", "blue", "small", (25, 40, 35, 55), 4.0),
            _obj("6", "red", "medium", (45, 40, 55, 55), 3.0),
            _obj("8", "green", "medium", (65, 40, 75, 55), 2.0),
            _obj("9", "red", "large", (85, 40, 95, 55), 1.0),
        ),
        "shapes": (
            _obj("circle", "red", "small", (10, 70, 20, 80), 8.0),
            _obj("circle", "blue", "large", (30, 10, 60, 40), 2.0),
            _obj("square", "green", "medium", (65, 10, 90, 30), 5.0),
            _obj("triangle", "red", "medium", (70, 60, 85, 80), 6.0, "striped"),
        ),
        "mixed": (
            _obj("cat", "white", "small", (10, 10, 30, 25), 3.0),
            _obj("5", "yellow", "medium", (40, 40, 55, 60), 5.0, "striped"),
            _obj("triangle", "blue", "medium", (70, 70, 90, 95), 7.0, "dotted"),
            _obj("3", "red", "small", (75, 15, 85, 30), 2.0),
        ),
        "lookalikes": (
            _obj("1", "black", "small", (20, 20, 30, 40), 4.0),
            _obj("7", "black", "small", (32, 20, 42, 40), 4.0),
            _obj("0", "white", "medium", (60, 50, 75, 70), 6.0),
            _obj("circle", "white", "medium", (74, 52, 90, 68), 6.0, "faded"),
        ),
    }
)
"""The fixed scenes by name: their objects (listed left to right)."""


def scene_image(name: str) -> ImageValue:
    """A fresh ``ImageValue`` of the scene ``name`` (black pixels, ground truth in ``scene``)."""
    if name not in SCENES:
        raise KeyError(f"no fake scene {name!r}; scenes: {', '.join(SCENES)}")
    pixels = np.zeros((IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.float32)
    return ImageValue(pixels, id=name, scene=FakeScene(name, SCENES[name]))


# ---------------------------------------------------------------- reading the scene


def _scene(patch: PatchValue) -> FakeScene:
    scene = patch.image.scene
    if not isinstance(scene, FakeScene):
        raise FakeWorldError("the image carries no fake scene")
    return scene


def contained(patch: PatchValue) -> list[FakeObject]:
    """Objects whose box centre lies in the patch, left to right (then bottom to top)."""
    inside = [
        obj
        for obj in _scene(patch).objects
        if patch.left <= obj.centre[0] <= patch.right
        and patch.lower <= obj.centre[1] <= patch.upper
    ]
    return sorted(inside, key=lambda obj: (obj.box[0], obj.box[1]))


def focus(patch: PatchValue) -> list[FakeObject]:
    """The object whose box is the patch's box, else the objects the patch contains."""
    exact = [obj for obj in _scene(patch).objects if obj.box == patch.box()]
    return exact[:1] or contained(patch)


def subject(patch: PatchValue) -> FakeObject:
    """The single object a question about the patch is about."""
    objects = focus(patch)
    if len(objects) != 1:
        raise FakeWorldError(
            f"the patch {patch.box()} shows {len(objects)} objects; ask about one object"
        )
    return objects[0]


def _check_name(object_name: str) -> None:
    if object_name not in OBJECT_WORDS:
        raise FakeWorldError(f"unknown object name {object_name!r}")


def _patch_of(patch: PatchValue, obj: FakeObject) -> PatchValue:
    return PatchValue(patch.image, *obj.box)


# ---------------------------------------------------------------- the routable functions


def find(patch: PatchValue, object_name: str) -> list[PatchValue]:
    """Patches of the contained objects called ``object_name``, left to right."""
    _check_name(object_name)
    return [_patch_of(patch, obj) for obj in contained(patch) if obj.is_a(object_name)]


def exists(patch: PatchValue, object_name: str) -> bool:
    """Whether the patch contains an object called ``object_name``."""
    return bool(find(patch, object_name))


def verify_property(patch: PatchValue, object_name: str, prop: str) -> bool:
    """Whether an object of the focus called ``object_name`` has the property ``prop``."""
    _check_name(object_name)
    if prop not in PROPERTIES:
        raise FakeWorldError(f"unknown property {prop!r}")
    return any(obj.is_a(object_name) and prop in obj.words() for obj in focus(patch))


def best_text_match(patch: PatchValue, options: list[str]) -> str:
    """The first option that an object of the focus has."""
    for option in options:
        if any(option in obj.words() for obj in focus(patch)):
            return option
    raise FakeWorldError(f"none of {options} describes the patch {patch.box()}")


def best_image_match(patches: list[PatchValue], content: list[str]) -> PatchValue:
    """The first patch whose focus has the first content word that any patch has."""
    if not patches:
        raise FakeWorldError("best_image_match of no patches")
    for word in content:
        for patch in patches:
            if any(word in obj.words() for obj in focus(patch)):
                return patch
    raise FakeWorldError(f"no patch matches {content}")


def compute_depth(patch: PatchValue) -> float:
    """Median depth of the focus (``BACKGROUND_DEPTH`` if the patch shows nothing)."""
    objects = focus(patch)
    if not objects:
        return BACKGROUND_DEPTH
    return float(statistics.median(obj.depth for obj in objects))


def _normalise(text: str) -> str:
    return " ".join(text.lower().strip().rstrip("?").split())


def _singular(word: str) -> str:
    if word in OBJECT_WORDS:
        return word
    if word.endswith("s") and word[:-1] in OBJECT_WORDS:
        return word[:-1]
    raise FakeWorldError(f"unknown object name {word!r}")


def _first(patch: PatchValue, object_name: str) -> FakeObject:
    found = [obj for obj in contained(patch) if obj.is_a(_singular(object_name))]
    if not found:
        raise FakeWorldError(f"there is no {object_name} in the patch {patch.box()}")
    return found[0]


def _known(word: str) -> str:
    if word not in OBJECT_WORDS | PROPERTIES:
        raise FakeWorldError(f"unknown word {word!r}")
    return word


def _ask_kind(patch: PatchValue, kind: str) -> str:
    obj = subject(patch)
    if obj.kind != kind:
        raise FakeWorldError(f"the patch shows a {obj.kind}, not a {kind}")
    return obj.name


def _activity(obj: FakeObject) -> str:
    return next((tag for tag in obj.tags if tag in ACTIVITIES), "nothing")


_QUESTIONS: tuple[tuple[str, Callable[[PatchValue, re.Match[str]], str]], ...] = (
    (r"what colou?r is (?:this|it)", lambda p, m: subject(p).colour),
    (r"what colou?r is the (\w+)", lambda p, m: _first(p, m[1]).colour),
    (r"what size is (?:this|it)", lambda p, m: subject(p).size),
    (r"what (?:digit|number) is (?:this|it)", lambda p, m: _ask_kind(p, "digit")),
    (r"what shape is (?:this|it)", lambda p, m: _ask_kind(p, "shape")),
    (r"what animal is (?:this|it)", lambda p, m: _ask_kind(p, "animal")),
    (r"what is (?:this|it)", lambda p, m: subject(p).name),
    (r"what is the (\w+) doing", lambda p, m: _activity(_first(p, m[1]))),
    (r"how many (\w+) are there", lambda p, m: str(len(find(p, _singular(m[1]))))),
    (r"is (?:this|it) (?:an? )?(\w+)", lambda p, m: _yes(_known(m[1]) in subject(p).words())),
)


def simple_query(patch: PatchValue, question: str) -> str:
    """Answer one of a few fixed question forms about the patch (see ``_QUESTIONS``)."""
    text = _normalise(question)
    for pattern, answer in _QUESTIONS:
        match = re.fullmatch(pattern, text)
        if match is not None:
            return answer(patch, match)
    raise FakeWorldError(f"the fake world cannot answer {question!r}")


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


_ARITHMETIC: Mapping[str, Callable[[int, int], int]] = MappingProxyType(
    {"plus": lambda a, b: a + b, "minus": lambda a, b: a - b, "times": lambda a, b: a * b}
)
_OPPOSITES: Mapping[str, str] = MappingProxyType(
    {
        "left": "right",
        "right": "left",
        "up": "down",
        "down": "up",
        "large": "small",
        "small": "large",
        "black": "white",
        "white": "black",
    }  # fmt: skip
)
_SOUNDS: Mapping[str, str] = MappingProxyType({"cat": "meow", "dog": "woof", "bird": "tweet"})
_SIDES: Mapping[str, int] = MappingProxyType({"circle": 0, "triangle": 3, "square": 4, "star": 10})

_PROMPTS: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
    (r"is (-?\d+) (?:an )?odd(?: number)?", lambda m: _yes(int(m[1]) % 2 == 1)),
    (r"is (-?\d+) (?:an )?even(?: number)?", lambda m: _yes(int(m[1]) % 2 == 0)),
    (r"is (-?\d+) a prime(?: number)?", lambda m: _yes(_is_prime(int(m[1])))),
    (r"what is (-?\d+) (plus|minus|times) (-?\d+)", lambda m: str(_ARITHMETIC[m[2]](int(m[1]), int(m[3])))),
    (r"what is the opposite of (\w+)", lambda m: _OPPOSITES[m[1]]),
    (r"what sound does a (\w+) make", lambda m: _SOUNDS[m[1]]),
    (r"is a (\w+) an animal", lambda m: _yes(m[1] in ANIMALS)),
    (r"how many sides does a (\w+) have", lambda m: str(_SIDES[m[1]])),
)  # fmt: skip


def llm_query(question: str) -> str:
    """Answer one of a few fixed text-only prompts (see ``_PROMPTS``)."""
    text = _normalise(question)
    for pattern, answer in _PROMPTS:
        match = re.fullmatch(pattern, text)
        if match is not None:
            try:
                return answer(match)
            except KeyError as missing:
                raise FakeWorldError(f"the fake language model does not know {missing}") from None
    raise FakeWorldError(f"the fake language model cannot answer {question!r}")


def fake_backends() -> Mapping[str, Callable[..., Any]]:
    """The fake backend of every routable function of ``DEFAULT_LIBRARY``, by name."""
    return MappingProxyType(
        {
            "find": find,
            "exists": exists,
            "verify_property": verify_property,
            "best_text_match": best_text_match,
            "simple_query": simple_query,
            "query": simple_query,
            "compute_depth": compute_depth,
            "llm_query": llm_query,
            "best_image_match": best_image_match,
        }
    )
