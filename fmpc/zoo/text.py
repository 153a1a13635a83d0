"""Question text for the zoo's text-reading models: the tokenizer and the number-fact data.

The tokenizer is a word-level ``tokenizers`` model trained on the question grammars the zoo
reads (the world's number-fact questions, patch questions and the monolithic model's scene
questions) and wrapped in ``transformers.PreTrainedTokenizerFast``; it is saved as JSON next to
the weights. Nothing is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from fmpc.worlds.numbers import (
    NUMBER_QUESTION_TEMPLATES,
    NUMBER_WORDS,
    answer_number_question,
    parse_number_question,
)
from fmpc.worlds.questions import QUESTION_TEMPLATES
from fmpc.worlds.vocabulary import COLOR_NAMES, DIGIT_WORDS, NAMES, PROPERTIES

MAX_TOKENS = 24
"""Questions are padded or truncated to this many tokens."""

PAD, UNK = "[PAD]", "[UNK]"

NUMBER_RANGE = range(0, 13)
"""Operands of the number-fact questions the text models are trained on."""

NUMBER_ANSWERS: tuple[str, ...] = ("yes", "no") + tuple(
    str(n) for n in range(-max(NUMBER_RANGE), max(NUMBER_RANGE) ** 2 + 1)
)
"""Every answer a text model can give (an operand range's sums, differences, products)."""


def build_tokenizer(corpus: Iterable[str]):  # type: ignore[no-untyped-def]
    """A word-level ``PreTrainedTokenizerFast`` trained on ``corpus`` (lower-cased, split on
    whitespace and punctuation; ``[PAD]`` is id 0, ``[UNK]`` id 1)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=[PAD, UNK]))
    return _wrap(tokenizer)


def load_tokenizer(path: Path):  # type: ignore[no-untyped-def]
    """The tokenizer saved (``save_tokenizer``) at ``path``."""
    from tokenizers import Tokenizer

    return _wrap(Tokenizer.from_file(str(path)))


def save_tokenizer(tokenizer, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Write ``tokenizer`` as one ``tokenizers`` JSON file."""
    tokenizer.backend_tokenizer.save(str(path))


def _wrap(tokenizer):  # type: ignore[no-untyped-def]
    # transformers advises at import that PyTorch is missing; the zoo only needs its tokenizers.
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token=UNK, pad_token=PAD)


def encode(tokenizer, questions: Sequence[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Token ids ``(len(questions), MAX_TOKENS)`` int32, padded with 0."""
    ids = tokenizer(list(questions), padding="max_length", max_length=MAX_TOKENS, truncation=True)[
        "input_ids"
    ]
    return np.asarray(ids, dtype=np.int32)


def number_questions(numbers: Iterable[int] = NUMBER_RANGE) -> list[tuple[str, str]]:
    """Every ``(question, answer)`` of the number-fact grammar over ``numbers`` (both operands),
    each template once per operand pair with its operands in digits — how programs write them
    (``f"is {n} a prime number?"``) — and once more with operands up to ten written as words
    on a deterministic third of the pairs."""
    values = list(numbers)
    pairs: list[tuple[str, str]] = []
    for _, template in NUMBER_QUESTION_TEMPLATES:
        two = "{b}" in template
        for a in values:
            for b in values if two else [0]:
                questions = {
                    template.format(a=a, b=b),
                    template.format(a=_spell(a, b), b=_spell(b, a)),
                }
                pairs += [(q, answer_number_question(q)) for q in sorted(questions)]
    return pairs


def _spell(n: int, other: int) -> str:
    """The number word for ``n <= 10`` on a deterministic third of operand pairs, else digits."""
    if n < len(NUMBER_WORDS) and (7 * n + 3 * other) % 3 == 0:
        return NUMBER_WORDS[n]
    return str(n)


ONE_OPERAND: frozenset[str] = frozenset(
    op for op, template in NUMBER_QUESTION_TEMPLATES if "{b}" not in template
)
"""Number-fact operations with a single operand (parity, primality, successor, ...)."""


def one_operand(question: str) -> bool:
    """Whether a number-fact question has a single operand (the text models' "easy" split)."""
    return parse_number_question(question).op in ONE_OPERAND


def corpus(extra: Iterable[str] = ()) -> list[str]:
    """Text the tokenizer is trained on: the number questions, every patch question form with
    every name and property, spelled-out words, and ``extra`` (the monolithic questions)."""
    text = [question for question, _ in number_questions()]
    text += [t.format(a=w, b=w) for _, t in NUMBER_QUESTION_TEMPLATES for w in NUMBER_WORDS]
    for _, template in QUESTION_TEMPLATES:
        for word in PROPERTIES:
            text.append(template.format(name=word, property=word))
    text += list(DIGIT_WORDS) + list(COLOR_NAMES) + list(NAMES) + ["colour", "color"]
    text += list(extra)
    return text
