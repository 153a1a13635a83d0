"""The question grammar of the benchmark files: a small fixed set of question forms.

Every benchmark question is one of ``FORMS``: a template such as ``is there a {np} {rel} a
{np2}?`` whose slots hold a noun phrase, a relation, a number fact, ... ``parse_benchmark_question``
turns a question's text into a ``BenchmarkQuestion`` (its form and slot values) and
``render_benchmark_question`` writes it back; ``fmpc.worlds.benchmarks.semantics`` answers it from
a scene graph, and ``sample_benchmark_question`` draws random questions (to train the monolithic
model, which answers from the image and this text alone).

Slots (a trailing ``2`` names a second slot of the same kind, e.g. ``{np2}``):

=========  =================================================================================
``np``     a noun phrase: ``[small|large] [colour] [even|odd] noun`` with noun a digit
           (``7``), ``digit``, a shape, ``shape`` or ``object``; parity only with ``digit``
``nps``    the same in the plural (``7s``, ``red digits``, ``large circles``)
``dnp``    a noun phrase naming digits only (noun ``digit`` or ``0``..``9``); ``dnps`` plural
``rel``    ``to the left of`` | ``to the right of`` | ``above`` | ``below``
``pos``    ``leftmost`` | ``rightmost`` | ``topmost`` | ``bottommost``
``kind``   ``digit`` | ``shape`` | ``object``
``prop``   a colour, ``small``/``large`` or ``even``/``odd``
``name``   an object name (``7``, ``digit``, ``circle``, ``shape``, ``object``)
``n``      ``two`` .. ``five``
``k``      a whole number (``10``)
``fact``   ``a prime number`` | ``even`` | ``odd`` | ``greater than {k}`` | ``less than {k}`` |
           ``divisible by {k}``; ``facts``: the plural (``prime numbers``, ...)
=========  =================================================================================

Text is matched case-insensitively with runs of spaces collapsed, a trailing ``?``/``.``
optional, ``colour`` read as ``color`` and ``an`` as ``a``; digits may be written as words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from fmpc.worlds.numbers import NUMBER_WORDS, NumberQuestion
from fmpc.worlds.scene import Scene, SceneObject
from fmpc.worlds.vocabulary import (
    COLOR_NAMES,
    DIGIT_WORDS,
    DIGITS,
    NAMES,
    PARITIES,
    SIZES,
    canonical_name,
    canonical_property,
)

RELATIONS: tuple[str, ...] = ("to the left of", "to the right of", "above", "below")
"""Spatial relations between box centres (``above``: higher centre; y grows upwards)."""

POSITIONS: tuple[str, ...] = ("leftmost", "rightmost", "topmost", "bottommost")
"""Extreme positions of an object among those a noun phrase names (box centres)."""

KINDS: tuple[str, ...] = ("digit", "shape", "object")
"""Nouns of ``what {kind} is {rel} the {np}?``."""

COUNT_WORDS: tuple[str, ...] = ("two", "three", "four", "five")
"""The counts of ``are there at least {n} {nps}?`` (2 to 5)."""

FACT_OPS: tuple[str, ...] = ("prime", "even", "odd", "greater", "less", "divisible")
"""Number facts (the operations of ``fmpc.worlds.numbers`` that ``llm_query`` answers)."""

DIGIT_NOUNS: tuple[str, ...] = ("digit",) + DIGITS
"""The nouns of a digit noun phrase (``dnp``)."""


class QuestionSyntaxError(ValueError):
    """A question outside the benchmark grammar, saying what is wrong."""


@dataclass(frozen=True)
class NounPhrase:
    """``[size] [color] [parity] noun``: the objects called ``noun`` with every given property."""

    noun: str
    color: str | None = None
    size: str | None = None
    parity: str | None = None

    @property
    def modifiers(self) -> tuple[str, ...]:
        """The given properties, in the order they are written."""
        return tuple(m for m in (self.size, self.color, self.parity) if m is not None)

    @property
    def digits_only(self) -> bool:
        """Whether the phrase names digits only."""
        return self.noun in DIGIT_NOUNS

    def text(self, plural: bool = False) -> str:
        """``"large red 7"``, or ``"large red 7s"`` in the plural."""
        noun = self.noun + "s" if plural else self.noun
        return " ".join((*self.modifiers, noun))


@dataclass(frozen=True)
class NumberFact:
    """A fact about a whole number: ``op`` in ``FACT_OPS``; ``k`` for greater/less/divisible."""

    op: str
    k: int = 0

    def holds(self, value: int) -> bool:
        """Whether ``value`` has the fact (as ``llm_query`` answers it)."""
        return NumberQuestion(self.op, value, self.k).answer() == "yes"

    def text(self, plural: bool = False) -> str:
        """``"a prime number"`` / ``"prime numbers"``, ``"greater than 5"``, ..."""
        if self.op == "prime":
            return "prime numbers" if plural else "a prime number"
        if self.op in ("greater", "less"):
            return f"{self.op} than {self.k}"
        if self.op == "divisible":
            return f"divisible by {self.k}"
        return self.op


SlotValue = NounPhrase | NumberFact | str | int
"""What a slot holds: a noun phrase, a number fact, a word or a whole number."""


@dataclass(frozen=True)
class BenchmarkQuestion:
    """A parsed question: its ``form`` (a key of ``FORMS``) and its slot values, in template
    order. Build one with ``BenchmarkQuestion.of("exists", np=NounPhrase("7", color="red"))``."""

    form: str
    slots: tuple[tuple[str, SlotValue], ...]

    @classmethod
    def of(cls, form: str, **slots: SlotValue) -> BenchmarkQuestion:
        """The question of ``form`` with these slot values (checked against the template)."""
        names = form_named(form).slot_names
        if set(slots) != set(names):
            raise QuestionSyntaxError(
                f"form {form!r} has the slots {', '.join(names)}, not {', '.join(sorted(slots))}"
            )
        return cls(form, tuple((name, slots[name]) for name in names))

    def slot(self, name: str) -> SlotValue:
        """The value of slot ``name``."""
        for key, value in self.slots:
            if key == name:
                return value
        raise KeyError(f"form {self.form!r} has no slot {name!r}")

    def np(self, name: str) -> NounPhrase:
        """Slot ``name`` as a noun phrase."""
        value = self.slot(name)
        assert isinstance(value, NounPhrase), (name, value)
        return value

    def fact(self, name: str) -> NumberFact:
        """Slot ``name`` as a number fact."""
        value = self.slot(name)
        assert isinstance(value, NumberFact), (name, value)
        return value

    def word(self, name: str) -> str:
        """Slot ``name`` as a word."""
        value = self.slot(name)
        assert isinstance(value, str), (name, value)
        return value

    def number(self, name: str) -> int:
        """Slot ``name`` as a whole number."""
        value = self.slot(name)
        assert isinstance(value, int), (name, value)
        return value

    def text(self) -> str:
        """The question in words (``render_benchmark_question``)."""
        return render_benchmark_question(self)


_SLOT_MARK = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class QuestionForm:
    """One question form: its ``key``, its ``template`` and what its ``answer`` is."""

    key: str
    template: str
    answer: str

    @property
    def slot_names(self) -> tuple[str, ...]:
        """The template's slot names, in order."""
        return tuple(_SLOT_MARK.findall(self.template))


FORMS: tuple[QuestionForm, ...] = (
    QuestionForm("exists", "is there a {np}?", "yes/no"),
    QuestionForm("exists_rel", "is there a {np} {rel} a {np2}?", "yes/no"),
    QuestionForm("at_least", "are there at least {n} {nps}?", "yes/no"),
    QuestionForm("exists_fact", "is there a {dnp} that is {fact}?", "yes/no"),
    QuestionForm("exists_not", "is there a {np} that is not {prop}?", "yes/no"),
    QuestionForm("and", "is there a {np} and a {np2}?", "yes/no"),
    QuestionForm("or", "is there a {np} or a {np2}?", "yes/no"),
    QuestionForm("but_no", "is there a {np} but no {np2}?", "yes/no"),
    QuestionForm("all", "are all {nps} {prop}?", "yes/no"),
    QuestionForm("more", "are there more {nps} than {nps2}?", "yes/no"),
    QuestionForm("same_color", "is the {np} the same color as the {np2}?", "yes/no"),
    QuestionForm("same_size", "is the {np} the same size as the {np2}?", "yes/no"),
    QuestionForm("closer", "is the {np} closer than the {np2}?", "yes/no"),
    QuestionForm("rel_yn", "is the {np} {rel} the {np2}?", "yes/no"),
    QuestionForm("fact_of", "is the {dnp} {fact}?", "yes/no"),
    QuestionForm("rel_fact", "is the {dnp} {rel} the {np2} {fact}?", "yes/no"),
    QuestionForm("sum_is", "do the {dnp} and the {dnp2} add up to {k}?", "yes/no"),
    QuestionForm("count_fact_yn", "is the number of {nps} {fact}?", "yes/no"),
    QuestionForm("pos_is", "is the {pos} {np} a {name}?", "yes/no"),
    QuestionForm("color_of", "what color is the {np}?", "color"),
    QuestionForm("color_rel", "what color is the {np} {rel} the {np2}?", "color"),
    QuestionForm("color_pos", "what color is the {pos} {np}?", "color"),
    QuestionForm("what_pos", "what is the {pos} {np}?", "category"),
    QuestionForm("kind_rel", "what {kind} is {rel} the {np}?", "category"),
    QuestionForm("count", "how many {nps} are there?", "count"),
    QuestionForm("count_rel", "how many {nps} are {rel} the {np2}?", "count"),
    QuestionForm("count_fact", "how many {dnps} are {facts}?", "count"),
    QuestionForm("greatest", "which {dnp} has the greatest value?", "digit"),
    QuestionForm("least", "which {dnp} has the least value?", "digit"),
    QuestionForm("which_closer", "which is closer, the {np} or the {np2}?", "category"),
    QuestionForm("which_greater", "which has the greater value, the {dnp} or the {dnp2}?", "digit"),
    QuestionForm("which_smaller", "which has the smaller value, the {dnp} or the {dnp2}?", "digit"),
)
"""Every question form. ``answer``: ``yes/no``; ``color``; ``category`` (a digit or a shape);
``count`` (``0``..``6``); ``digit`` (a digit's value). Without the object a definite noun phrase
(``the {np}``) names, yes/no forms answer ``no`` and the others ``none``."""

FORM_KEYS: tuple[str, ...] = tuple(form.key for form in FORMS)
"""The keys of ``FORMS``, in order."""


def form_named(key: str) -> QuestionForm:
    """The form ``key``, or ``QuestionSyntaxError`` listing the forms."""
    for form in FORMS:
        if form.key == key:
            return form
    raise QuestionSyntaxError(f"unknown question form {key!r}; known: {', '.join(FORM_KEYS)}")


# ---------------------------------------------------------------- slots


def _alternatives(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_NOUN_SPELLINGS = tuple(w + end for w in NAMES + DIGIT_WORDS for end in ("", "s", "es"))
_NUMBER = rf"\d+|{_alternatives(NUMBER_WORDS)}"
_NP_PATTERN = rf"(?:(?:{_alternatives(SIZES + COLOR_NAMES + PARITIES)}) )*(?:{_alternatives(_NOUN_SPELLINGS)})"
_FACT_PATTERN = (
    rf"a prime number|prime numbers|even|odd|(?:greater|less) than (?:{_NUMBER})"
    rf"|divisible by (?:{_NUMBER})"
)


def _number(text: str) -> int:
    return NUMBER_WORDS.index(text) if text in NUMBER_WORDS else int(text)


def _noun_phrase(text: str, digits_only: bool = False) -> NounPhrase:
    *modifiers, noun_word = text.split()
    noun = canonical_name(noun_word)
    found: dict[str, str] = {}
    for word in modifiers:
        prop = canonical_property(word)
        group = "size" if prop in SIZES else "color" if prop in COLOR_NAMES else "parity"
        if group in found:
            raise QuestionSyntaxError(f"noun phrase {text!r} has two {group} words")
        found[group] = prop
    if "parity" in found and noun != "digit":
        raise QuestionSyntaxError(f"noun phrase {text!r}: even/odd only go with 'digit'")
    if digits_only and noun not in DIGIT_NOUNS:
        raise QuestionSyntaxError(
            f"noun phrase {text!r} must name digits (noun 'digit' or '0'..'9'), not {noun!r}"
        )
    return NounPhrase(noun, found.get("color"), found.get("size"), found.get("parity"))


def _fact(text: str) -> NumberFact:
    words = text.split()
    if words[-1] in ("number", "numbers"):
        return NumberFact("prime")
    if words[0] in ("even", "odd"):
        return NumberFact(words[0])
    return NumberFact(words[0], _number(words[-1]))


def _word_of(words: tuple[str, ...], what: str) -> Callable[[str], SlotValue]:
    def parse(text: str) -> SlotValue:
        if text not in words:
            raise QuestionSyntaxError(f"unknown {what} {text!r}; known: {', '.join(words)}")
        return text

    return parse


def _np_text(value: SlotValue) -> str:
    assert isinstance(value, NounPhrase)
    return value.text()


def _nps_text(value: SlotValue) -> str:
    assert isinstance(value, NounPhrase)
    return value.text(plural=True)


def _fact_text(value: SlotValue) -> str:
    assert isinstance(value, NumberFact)
    return value.text()


def _facts_text(value: SlotValue) -> str:
    assert isinstance(value, NumberFact)
    return value.text(plural=True)


def _count_word(value: SlotValue) -> str:
    assert isinstance(value, int)
    return COUNT_WORDS[value - 2]


def _count(text: str) -> int:
    value = COUNT_WORDS.index(text) + 2 if text in COUNT_WORDS else _number(text)
    if not 2 <= value <= 5:
        raise QuestionSyntaxError(f"count {text!r} must be two to five")
    return value


def _name(text: str) -> SlotValue:
    return canonical_name(text)


@dataclass(frozen=True)
class _Slot:
    pattern: str
    parse: Callable[[str], SlotValue]
    render: Callable[[SlotValue], str] = str


_SLOTS: Mapping[str, _Slot] = MappingProxyType(
    {
        "np": _Slot(_NP_PATTERN, _noun_phrase, _np_text),
        "nps": _Slot(_NP_PATTERN, _noun_phrase, _nps_text),
        "dnp": _Slot(_NP_PATTERN, lambda t: _noun_phrase(t, digits_only=True), _np_text),
        "dnps": _Slot(_NP_PATTERN, lambda t: _noun_phrase(t, digits_only=True), _nps_text),
        "rel": _Slot(_alternatives(RELATIONS), _word_of(RELATIONS, "relation")),
        "pos": _Slot(_alternatives(POSITIONS), _word_of(POSITIONS, "position")),
        "kind": _Slot(_alternatives(KINDS), _word_of(KINDS, "kind")),
        "prop": _Slot(_alternatives(SIZES + COLOR_NAMES + PARITIES), canonical_property),
        "name": _Slot(_alternatives(_NOUN_SPELLINGS), _name),
        "n": _Slot(rf"{_alternatives(COUNT_WORDS)}|\d", _count, _count_word),
        "k": _Slot(_NUMBER, _number),
        "fact": _Slot(_FACT_PATTERN, _fact, _fact_text),
        "facts": _Slot(_FACT_PATTERN, _fact, _facts_text),
    }
)


def _slot_kind(name: str) -> _Slot:
    return _SLOTS[name.removesuffix("2")]


# ---------------------------------------------------------------- text


def normalize_benchmark_question(text: str) -> str:
    """Lower case, single spaces, no trailing ``?``/``.``, ``colour`` -> ``color``, ``an`` ->
    ``a``."""
    text = " ".join(str(text).lower().split()).rstrip("?. ")
    text = re.sub(r"\bcolour\b", "color", text)
    return re.sub(r"\ban\b", "a", text)


def _form_pattern(form: QuestionForm) -> re.Pattern[str]:
    parts = _SLOT_MARK.split(form.template.rstrip("?"))
    pattern = ""
    for index, part in enumerate(parts):
        is_slot = index % 2 == 1
        pattern += f"(?P<{part}>{_slot_kind(part).pattern})" if is_slot else re.escape(part)
    return re.compile(pattern)


_PATTERNS: tuple[tuple[QuestionForm, re.Pattern[str]], ...] = tuple(
    (form, _form_pattern(form)) for form in FORMS
)


def parse_benchmark_question(text: str) -> BenchmarkQuestion:
    """The ``BenchmarkQuestion`` ``text`` asks, or ``QuestionSyntaxError`` (a ``ValueError``)
    saying what is outside the grammar."""
    normalized = normalize_benchmark_question(text)
    for form, pattern in _PATTERNS:
        match = pattern.fullmatch(normalized)
        if match is not None:
            slots = tuple((n, _slot_kind(n).parse(match[n])) for n in form.slot_names)
            return BenchmarkQuestion(form.key, slots)
    templates = "; ".join(f.template for f in FORMS)
    raise QuestionSyntaxError(f"{text!r} is not a benchmark question; the forms are: {templates}")


_ARTICLE = re.compile(r"\ba (?=[aeiou8]|11\b|18\b)")


def render_benchmark_question(question: BenchmarkQuestion) -> str:
    """The question's text: its form's template with the slots filled (``a`` before a vowel
    sound becomes ``an``)."""
    template = form_named(question.form).template
    values = dict(question.slots)

    def fill(match: re.Match[str]) -> str:
        name = match[1]
        return _slot_kind(name).render(values[name])

    return _ARTICLE.sub("an ", _SLOT_MARK.sub(fill, template))


def grammar_words() -> tuple[str, ...]:
    """Every word a rendered benchmark question can contain, sorted (for tokenizers)."""
    words: set[str] = set()
    for form in FORMS:
        words.update(_SLOT_MARK.sub(" ", form.template).replace("?", " ").replace(",", " ").split())
    for group in (RELATIONS, POSITIONS, KINDS, COUNT_WORDS, SIZES, COLOR_NAMES, PARITIES):
        for phrase in group:
            words.update(phrase.split())
    nouns = NAMES + tuple(name + "s" for name in NAMES)
    words.update(nouns + ("an", "prime", "number", "numbers", "greater", "less", "than"))
    words.update(("divisible", "by", "?", ","))
    words.update(str(k) for k in range(19))
    return tuple(sorted(words))


# ---------------------------------------------------------------- sampling


def _pick(rng: np.random.Generator, items: Sequence[str]) -> str:
    return str(items[int(rng.integers(len(items)))])


def _scene_digits(scene: Scene | None) -> list[SceneObject]:
    return [] if scene is None else [o for o in scene.objects if o.kind == "digit"]


def _sample_np(
    rng: np.random.Generator, scene: Scene | None, digits_only: bool = False
) -> NounPhrase:
    pool = _scene_digits(scene) if digits_only else list(scene.objects if scene else ())
    if pool and rng.random() < 0.6:
        obj = pool[int(rng.integers(len(pool)))]
        noun = obj.category if rng.random() < 0.5 else obj.kind
        color, size = obj.color, obj.size
        parity = "odd" if obj.kind == "digit" and int(obj.category) % 2 else "even"
    else:
        noun = _pick(rng, DIGIT_NOUNS if digits_only else NAMES)
        color, size, parity = _pick(rng, COLOR_NAMES), _pick(rng, SIZES), _pick(rng, PARITIES)
    return NounPhrase(
        noun,
        color if rng.random() < 0.4 else None,
        size if rng.random() < 0.25 else None,
        parity if noun == "digit" and rng.random() < 0.2 else None,
    )


def _sample_fact(rng: np.random.Generator) -> NumberFact:
    op = _pick(rng, FACT_OPS)
    if op in ("greater", "less"):
        return NumberFact(op, int(rng.integers(0, 10)))
    if op == "divisible":
        return NumberFact(op, int(rng.integers(2, 6)))
    return NumberFact(op)


def _sample_slot(name: str, rng: np.random.Generator, scene: Scene | None) -> SlotValue:
    kind = name.removesuffix("2")
    if kind in ("np", "nps", "dnp", "dnps"):
        return _sample_np(rng, scene, digits_only=kind.startswith("d"))
    if kind in ("fact", "facts"):
        return _sample_fact(rng)
    words = {"rel": RELATIONS, "pos": POSITIONS, "kind": KINDS, "name": NAMES}
    if kind in words:
        return _pick(rng, words[kind])
    if kind == "prop":
        return _pick(rng, SIZES + COLOR_NAMES + PARITIES)
    if kind == "n":
        return int(rng.integers(2, 6))
    return int(rng.integers(2, 17))


def sample_benchmark_question(
    rng: np.random.Generator, scene: Scene | None = None, forms: Sequence[str] = FORM_KEYS
) -> BenchmarkQuestion:
    """A random question of one of ``forms`` (uniformly); with ``scene``, noun phrases describe
    one of its objects 60% of the time, so that answers are not mostly ``no``/``none``."""
    form = form_named(_pick(rng, forms))
    slots = tuple((name, _sample_slot(name, rng, scene)) for name in form.slot_names)
    return BenchmarkQuestion(form.key, slots)
