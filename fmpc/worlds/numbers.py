"""The number-fact questions ``llm_query`` understands, parsed and answered exactly.

Questions are matched case-insensitively, with runs of spaces collapsed and a trailing ``?`` or
``.`` optional. ``{a}``/``{b}`` are integers written with digits (``-3``, ``12``) or the words
``zero``..``ten``. Yes/no questions answer ``"yes"``/``"no"``; the others answer the integer in
decimal digits (``"7"``, ``"-1"``). ``NUMBER_QUESTION_TEMPLATES`` lists every form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from fmpc.worlds.vocabulary import DIGIT_WORDS, UnknownVocabulary

NUMBER_WORDS: tuple[str, ...] = (*DIGIT_WORDS, "ten")
"""Number words accepted in place of ``0``..``10``."""

NUMBER_QUESTION_TEMPLATES: tuple[tuple[str, str], ...] = (
    ("even", "is {a} even?"),
    ("odd", "is {a} odd?"),
    ("prime", "is {a} prime?"),
    ("prime", "is {a} a prime number?"),
    ("greater", "is {a} greater than {b}?"),
    ("greater", "is {a} larger than {b}?"),
    ("greater", "is {a} bigger than {b}?"),
    ("greater", "is {a} more than {b}?"),
    ("less", "is {a} less than {b}?"),
    ("less", "is {a} smaller than {b}?"),
    ("equal", "is {a} equal to {b}?"),
    ("divisible", "is {a} divisible by {b}?"),
    ("plus", "what is {a} plus {b}?"),
    ("plus", "what is the sum of {a} and {b}?"),
    ("minus", "what is {a} minus {b}?"),
    ("minus", "what is the difference between {a} and {b}?"),
    ("times", "what is {a} times {b}?"),
    ("times", "what is the product of {a} and {b}?"),
    ("after", "what number comes after {a}?"),
    ("after", "what is the successor of {a}?"),
    ("before", "what number comes before {a}?"),
    ("before", "what is the predecessor of {a}?"),
    ("max", "which is larger, {a} or {b}?"),
    ("max", "which is bigger, {a} or {b}?"),
    ("max", "which is greater, {a} or {b}?"),
    ("min", "which is smaller, {a} or {b}?"),
)
"""``(operation, template)`` for every question form ``llm_query`` answers."""

_NUMBER = r"-?\d+|" + "|".join(NUMBER_WORDS)


def _compile(template: str) -> re.Pattern[str]:
    text = re.escape(template.rstrip("?"))
    text = text.replace(r"\{a\}", f"(?P<a>{_NUMBER})").replace(r"\{b\}", f"(?P<b>{_NUMBER})")
    return re.compile(text.replace(r"\ ", " "))


_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (_compile(template), op) for op, template in NUMBER_QUESTION_TEMPLATES
)


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % k for k in range(2, math.isqrt(n) + 1))


def _yes(value: bool) -> str:
    return "yes" if value else "no"


_ANSWERS: MappingProxyType[str, Callable[[int, int], str]] = MappingProxyType(
    {
        "even": lambda a, _: _yes(a % 2 == 0),
        "odd": lambda a, _: _yes(a % 2 == 1),
        "prime": lambda a, _: _yes(_is_prime(a)),
        "greater": lambda a, b: _yes(a > b),
        "less": lambda a, b: _yes(a < b),
        "equal": lambda a, b: _yes(a == b),
        "divisible": lambda a, b: _yes(b != 0 and a % b == 0),
        "plus": lambda a, b: str(a + b),
        "minus": lambda a, b: str(a - b),
        "times": lambda a, b: str(a * b),
        "after": lambda a, _: str(a + 1),
        "before": lambda a, _: str(a - 1),
        "max": lambda a, b: str(max(a, b)),
        "min": lambda a, b: str(min(a, b)),
    }
)


@dataclass(frozen=True)
class NumberQuestion:
    """A parsed number question: the operation and its operands (``b`` unused by one-operand
    operations, then 0)."""

    op: str
    a: int
    b: int = 0

    def answer(self) -> str:
        """The exact answer: ``"yes"``/``"no"`` or an integer in decimal digits."""
        return _ANSWERS[self.op](self.a, self.b)


def _number(token: str) -> int:
    return NUMBER_WORDS.index(token) if token in NUMBER_WORDS else int(token)


def parse_number_question(question: str) -> NumberQuestion:
    """The ``NumberQuestion`` for ``question``, or ``UnknownVocabulary`` listing the forms."""
    text = " ".join(str(question).lower().split()).rstrip("?. ")
    for pattern, op in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is not None:
            b = match.groupdict().get("b")
            return NumberQuestion(op, _number(match["a"]), 0 if b is None else _number(b))
    templates = (t for _, t in NUMBER_QUESTION_TEMPLATES)
    raise UnknownVocabulary("number question", question, templates)


def answer_number_question(question: str) -> str:
    """The exact answer to ``question`` (what ``llm_query`` answers with perfect knowledge)."""
    return parse_number_question(question).answer()
