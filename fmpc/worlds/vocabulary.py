"""The embedded world's vocabulary: categories, colours, sizes, object names and properties.

Every word a program may pass to a perception function is listed here, as immutable constants,
with one canonical spelling each. ``canonical_name`` and ``canonical_property`` map an accepted
spelling (any case, surrounding spaces ignored, digits also as words, regular plurals) to the
canonical one, and raise ``UnknownVocabulary`` for anything else — never a guess.

==============  =========================================================================
names           ``"0"``..``"9"`` (also ``"zero"``..``"nine"``), ``"digit"``, ``"circle"``,
                ``"square"``, ``"triangle"``, ``"shape"``, ``"object"``; plurals accepted
                (``"7s"``, ``"sevens"``, ``"circles"``, ``"digits"``, ``"objects"``)
properties      every name, every colour, ``"small"``, ``"large"``, ``"even"``, ``"odd"``
==============  =========================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import MappingProxyType

DIGITS: tuple[str, ...] = tuple(str(d) for d in range(10))
"""Digit categories, canonical spelling."""

DIGIT_WORDS: tuple[str, ...] = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
)
"""English words for the digits, accepted wherever a digit name is."""

SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
"""Shape categories."""

CATEGORIES: tuple[str, ...] = DIGITS + SHAPES
"""Every object category: the ten digits and the three shapes."""

KINDS: tuple[str, ...] = ("digit", "shape")
"""Object kinds: a digit's category is in ``DIGITS``, a shape's in ``SHAPES``."""

COLORS: MappingProxyType[str, tuple[float, float, float]] = MappingProxyType(
    {
        "red": (0.90, 0.10, 0.10),
        "green": (0.10, 0.75, 0.15),
        "blue": (0.15, 0.35, 1.00),
        "yellow": (0.95, 0.90, 0.10),
        "magenta": (0.90, 0.15, 0.85),
        "cyan": (0.10, 0.85, 0.90),
        "white": (0.95, 0.95, 0.95),
        "orange": (1.00, 0.55, 0.05),
    }
)
"""Object colours by name, as RGB in [0, 1]."""

COLOR_NAMES: tuple[str, ...] = tuple(COLORS)
"""The colour names, in a fixed order."""

SIZE_RANGES: MappingProxyType[str, tuple[int, int]] = MappingProxyType(
    {"small": (10, 13), "large": (17, 22)}
)
"""Object side length in pixels by size class, inclusive ranges (at the 64x64 default)."""

SIZES: tuple[str, ...] = tuple(SIZE_RANGES)
"""The size classes."""

PARITIES: tuple[str, ...] = ("even", "odd")
"""Parity properties (true only of digits)."""

LOOKALIKES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "0": ("6", "8"),
        "1": ("7",),
        "2": ("7",),
        "3": ("8", "5"),
        "4": ("9",),
        "5": ("6", "3"),
        "6": ("5", "0"),
        "7": ("1", "2"),
        "8": ("3", "0"),
        "9": ("4", "7"),
    }
)
"""For each digit, the digits easily mistaken for it (used for look-alike distractors)."""

NAMES: tuple[str, ...] = DIGITS + ("digit",) + SHAPES + ("shape", "object")
"""Canonical object names ``find``/``exists``/``verify_property`` know."""

PROPERTIES: tuple[str, ...] = NAMES + COLOR_NAMES + SIZES + PARITIES
"""Canonical properties ``verify_property``/``best_text_match``/``best_image_match`` know."""

_NAME_SPELLINGS: MappingProxyType[str, str] = MappingProxyType(
    {**{n: n for n in NAMES}, **dict(zip(DIGIT_WORDS, DIGITS, strict=True))}
)


class UnknownVocabulary(ValueError):
    """A name, property or question outside the embedded world's documented vocabulary."""

    def __init__(self, what: str, value: object, known: Iterable[str]) -> None:
        self.what = what
        self.value = value
        self.known = tuple(known)
        super().__init__(f"unknown {what} {value!r}; known: {', '.join(self.known)}")


def _normalize(text: str) -> str:
    return " ".join(str(text).lower().split())


def _singular(word: str) -> str | None:
    if word in _NAME_SPELLINGS:
        return _NAME_SPELLINGS[word]
    for suffix in ("es", "s"):
        stem = word.removesuffix(suffix)
        if stem != word and stem in _NAME_SPELLINGS:
            return _NAME_SPELLINGS[stem]
    return None


class RelationPhrase(UnknownVocabulary):
    """A phrase relating two objects (``"backpack to the right of the man"``) where one object
    name is expected: the world's functions take one name; find both and compare positions."""

    def __init__(self, phrase: str, subject: str, relation: str, other: str) -> None:
        self.subject, self.relation, self.other = subject, relation, other
        super().__init__("object name", phrase, NAMES)
        self.args = (
            f"{phrase!r} relates two objects ({subject!r} {relation} {other!r}), not one object "
            f"name; find each (names known: {', '.join(NAMES)}) and compare their positions, "
            "e.g. .horizontal_center",
        )

    def __str__(self) -> str:
        return str(self.args[0])


RELATIONS: tuple[str, ...] = (
    "to the left of",
    "to the right of",
    "on the left of",
    "on the right of",
    "in front of",
    "on top of",
    "left of",
    "right of",
    "next to",
    "close to",
    "closest to",
    "nearest to",
    "far from",
    "farthest from",
    "across from",
    "above",
    "below",
    "under",
    "underneath",
    "beneath",
    "over",
    "behind",
    "beside",
    "near",
    "inside",
    "between",
    "holding",
    "wearing",
    "with",
    "on",
    "in",
)
"""Spatial and other relations recognised in phrases (longest first where one contains another)."""

_RELATION = re.compile(
    r"(?P<subject>.+?)\s+(?P<relation>"
    + "|".join(re.escape(r) for r in sorted(RELATIONS, key=len, reverse=True))
    + r")\s+(?P<other>.+)"
)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")


def relation_phrase(text: str) -> tuple[str, str, str] | None:
    """``(subject, relation, other)`` when ``text`` relates two objects, articles dropped:
    ``"the backpack to the right of the man"`` -> ``("backpack", "to the right of", "man")``."""
    match = _RELATION.fullmatch(_normalize(text))
    if match is None:
        return None
    subject = _ARTICLE.sub("", match["subject"])
    other = _ARTICLE.sub("", match["other"])
    return (subject, match["relation"], other) if subject and other else None


def canonical_name(name: str) -> str:
    """The canonical object name for ``name`` (``"Sevens"`` -> ``"7"``), or ``UnknownVocabulary``
    (``RelationPhrase`` for a phrase relating two objects)."""
    canonical = _singular(_normalize(name))
    if canonical is None:
        relation = relation_phrase(name)
        if relation is not None:
            raise RelationPhrase(name, *relation)
        raise UnknownVocabulary("object name", name, NAMES)
    return canonical


def canonical_property(prop: str) -> str:
    """The canonical property for ``prop`` (``" Red"`` -> ``"red"``), or ``UnknownVocabulary``."""
    word = _normalize(prop)
    if word in PROPERTIES and word not in NAMES:
        return word
    canonical = _singular(word)
    if canonical is None:
        raise UnknownVocabulary("property", prop, PROPERTIES)
    return canonical


def kind_of(category: str) -> str:
    """``"digit"`` or ``"shape"`` for a category in ``CATEGORIES``."""
    if category in DIGITS:
        return "digit"
    if category in SHAPES:
        return "shape"
    raise UnknownVocabulary("category", category, CATEGORIES)
