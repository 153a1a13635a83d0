"""Vocabulary spellings, question parsing and the number-fact grammar."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmpc.worlds import (
    ANSWERS,
    NAMES,
    NUMBER_QUESTION_TEMPLATES,
    PROPERTIES,
    QUESTION_TEMPLATES,
    PatchQuestion,
    RelationPhrase,
    UnknownVocabulary,
    canonical_name,
    canonical_property,
    parse_number_question,
    parse_question,
)
from fmpc.worlds.numbers import answer_number_question
from fmpc.worlds.vocabulary import relation_phrase


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("7", "7"),
        (" Seven ", "7"),
        ("7s", "7"),
        ("sixes", "6"),
        ("CIRCLES", "circle"),
        ("digits", "digit"),
        ("object", "object"),
        ("shapes", "shape"),
    ],
)
def test_canonical_name(spelling: str, name: str) -> None:
    assert canonical_name(spelling) == name


def test_canonical_property() -> None:
    assert canonical_property(" Red") == "red"
    assert canonical_property("nine") == "9"
    assert canonical_property("Large") == "large"
    assert canonical_property("odd") == "odd"
    for prop in PROPERTIES:
        assert canonical_property(prop) == prop
    for name in NAMES:
        assert canonical_name(name) == name


@pytest.mark.parametrize("word", ["car", "reds", "", "seventh", "7 7"])
def test_unknown_names(word: str) -> None:
    with pytest.raises(UnknownVocabulary) as caught:
        canonical_name(word)
    assert caught.value.known == NAMES
    assert isinstance(caught.value, ValueError)


def test_question_forms() -> None:
    assert parse_question("What  Colour is this?") == PatchQuestion("color")
    assert parse_question("is this an eight") == PatchQuestion("is_a", "8")
    assert parse_question("is this Orange?") == PatchQuestion("is", "orange")
    assert parse_question("how many circles are there?") == PatchQuestion("count", "circle")
    for form, template in QUESTION_TEMPLATES:
        filled = template.format(name="digit", property="red")
        assert parse_question(filled).form == form


def test_answers_cover_the_vocabulary() -> None:
    assert {"yes", "no", "none", "red", "7", "circle", "small"} <= set(ANSWERS)
    assert len(set(ANSWERS)) == len(ANSWERS)


def test_every_number_template_parses() -> None:
    for op, template in NUMBER_QUESTION_TEMPLATES:
        parsed = parse_number_question(template.format(a=12, b="three"))
        assert parsed.op == op and parsed.a == 12
        if "{b}" in template:
            assert parsed.b == 3


@given(st.integers(-50, 50), st.integers(-50, 50))
def test_number_answers_are_exact(a: int, b: int) -> None:
    yes = {True: "yes", False: "no"}
    assert answer_number_question(f"is {a} odd?") == yes[a % 2 == 1]
    assert answer_number_question(f"is {a} even?") == yes[a % 2 == 0]
    assert answer_number_question(f"what is {a} plus {b}?") == str(a + b)
    assert answer_number_question(f"what is {a} times {b}?") == str(a * b)
    assert answer_number_question(f"what is {a} minus {b}?") == str(a - b)
    assert answer_number_question(f"is {a} less than {b}?") == yes[a < b]
    assert answer_number_question(f"which is larger, {a} or {b}?") == str(max(a, b))


@pytest.mark.parametrize(
    ("number", "prime"), [(-7, False), (0, False), (1, False), (2, True), (9, False), (97, True)]
)
def test_primality(number: int, prime: bool) -> None:
    assert answer_number_question(f"is {number} prime?") == ("yes" if prime else "no")


def test_division_by_zero_is_not_divisible() -> None:
    assert answer_number_question("is 4 divisible by 0?") == "no"
    assert answer_number_question("is 12 divisible by three?") == "yes"


@pytest.mark.parametrize(
    ("phrase", "parts"),
    [
        ("backpack to the right of the man", ("backpack", "to the right of", "man")),
        ("The cup on top of a table", ("cup", "on top of", "table")),
        ("7 above the circle", ("7", "above", "circle")),
        ("dog next to the cat", ("dog", "next to", "cat")),
        ("man", None),
        ("red car", None),
        ("on", None),
    ],
)
def test_relation_phrase(phrase: str, parts: tuple[str, str, str] | None) -> None:
    assert relation_phrase(phrase) == parts


def test_a_relation_is_not_read_as_an_object_name() -> None:
    with pytest.raises(RelationPhrase) as caught:
        canonical_name("backpack to the right of the man")
    error = caught.value
    assert isinstance(error, UnknownVocabulary)
    assert (error.subject, error.relation, error.other) == ("backpack", "to the right of", "man")
    assert "relates two objects ('backpack' to the right of 'man'), not one object name" in str(
        error
    )
    with pytest.raises(UnknownVocabulary, match="unknown object name 'backpack'"):
        canonical_name("backpack")
