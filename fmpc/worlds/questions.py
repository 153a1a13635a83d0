"""The patch-level questions ``query``/``simple_query`` understand, parsed into a ``PatchQuestion``.

A question is matched case-insensitively, with runs of spaces collapsed, a trailing ``?`` or
``.`` optional and ``colour`` read as ``color``. The forms (``{name}``: an object name,
``{property}``: a property, see ``fmpc.worlds.vocabulary``):

=====================================  ==========  =============================================
question                               form        answer
=====================================  ==========  =============================================
what digit is this? / what number ...  ``digit``   ``"0"``..``"9"``, ``"none"`` if not a digit
what shape is this?                    ``shape``   a shape, ``"none"`` if not a shape
what color is this?                    ``color``   a colour, ``"none"`` if no object
what size is this?                     ``size``    ``"small"``/``"large"``, ``"none"`` if no object
what is this?                          ``what``    the category (``"7"``, ``"circle"``) or ``"none"``
is this a {name}? / is this an {name}? ``is_a``    ``"yes"``/``"no"``
is this {property}?                    ``is``      ``"yes"``/``"no"``
is there a {name}? / ... an {name}?    ``there``   ``"yes"``/``"no"`` (any object in the patch)
how many {name} are there?             ``count``   the count, ``"0"``..``"6"``
=====================================  ==========  =============================================

"This" is the patch's main object (see ``fmpc.worlds.perception``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fmpc.worlds.vocabulary import (
    COLOR_NAMES,
    DIGITS,
    SHAPES,
    SIZES,
    UnknownVocabulary,
    canonical_name,
    canonical_property,
)

ANSWERS: tuple[str, ...] = DIGITS + SHAPES + COLOR_NAMES + SIZES + ("yes", "no", "none")
"""Every answer ``query`` can give (counts are digits)."""

QUESTION_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("digit", "what digit is this?"),
    ("digit", "what number is this?"),
    ("shape", "what shape is this?"),
    ("color", "what color is this?"),
    ("size", "what size is this?"),
    ("what", "what is this?"),
    ("is_a", "is this a {name}?"),
    ("is", "is this {property}?"),
    ("there", "is there a {name}?"),
    ("count", "how many {name} are there?"),
)
"""``(form, template)`` for every question form; ``{name}``/``{property}`` are slots."""

_FIXED = {
    "what digit is this": "digit",
    "what number is this": "digit",
    "what shape is this": "shape",
    "what color is this": "color",
    "what size is this": "size",
    "what is this": "what",
}
_SLOTTED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"is this an? (?P<subject>.+)"), "is_a"),
    (re.compile(r"is this (?P<subject>.+)"), "is"),
    (re.compile(r"is there an? (?P<subject>.+)"), "there"),
    (re.compile(r"how many (?P<subject>.+) are there"), "count"),
)
_SUBJECT_IS_NAME = frozenset({"is_a", "there", "count"})


@dataclass(frozen=True)
class PatchQuestion:
    """A parsed question: its ``form`` and, for slotted forms, its canonical ``subject``."""

    form: str
    subject: str | None = None


def normalize_question(question: str) -> str:
    """Lower case, single spaces, no trailing ``?``/``.``, ``colour`` spelled ``color``."""
    text = " ".join(str(question).lower().split()).rstrip("?. ")
    return re.sub(r"\bcolour\b", "color", text)


def parse_question(question: str) -> PatchQuestion:
    """The ``PatchQuestion`` for ``question``, or ``UnknownVocabulary`` naming the known forms."""
    text = normalize_question(question)
    if text in _FIXED:
        return PatchQuestion(_FIXED[text])
    for pattern, form in _SLOTTED:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        subject = match["subject"]
        if form in _SUBJECT_IS_NAME:
            return PatchQuestion(form, canonical_name(subject))
        return PatchQuestion(form, canonical_property(subject))
    raise UnknownVocabulary("question", question, (t for _, t in QUESTION_TEMPLATES))
