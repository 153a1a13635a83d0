"""Literal arguments outside a backend vocabulary give located compile-time warnings."""

from __future__ import annotations

from fmpc.frontend import compile_source_with_warnings
from fmpc.worlds.perception import check_literal

PROGRAM = """\
def execute_command(image) -> str:
    p = ImagePatch(image)
    if p.exists("kangaroo") and p.verify_property("7", "red"):
        return p.best_text_match(["red", "plaid"])
    return "no"
"""


def test_unknown_literals_are_warned_about_at_their_call():
    _, warnings = compile_source_with_warnings(PROGRAM, "q.py", literal_check=check_literal)
    assert [(w.line, w.col, w.severity) for w in warnings] == [
        (3, 8, "warning"),
        (4, 16, "warning"),
    ]
    assert "unknown object name 'kangaroo'" in warnings[0].message
    assert "plaid" in warnings[1].message


def test_known_literals_and_no_checker_give_no_warnings():
    known = PROGRAM.replace("kangaroo", "circle").replace("plaid", "blue")
    assert compile_source_with_warnings(known, "q.py", literal_check=check_literal)[1] == []
    assert compile_source_with_warnings(PROGRAM, "q.py")[1] == []


REAL_WORLD = """\
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    if image_patch.exists("backpack to the right of the man"):
        return "yes"
    men = image_patch.find("man")
    return men[0].simple_query("Is the man wearing a hat?") if men else "no"
"""


def test_a_real_world_program_gets_no_vocabulary_warnings_by_default():
    assert compile_source_with_warnings(REAL_WORLD, "q.py")[1] == []


def test_compiling_for_the_embedded_world_reads_relations_as_relations():
    _, warnings = compile_source_with_warnings(REAL_WORLD, "q.py", literal_check=check_literal)
    assert [(w.line, w.col) for w in warnings] == [(3, 8), (5, 11), (6, 12)]
    relation, man, question = (w.message for w in warnings)
    assert relation.startswith(
        "exists() argument 1: 'backpack to the right of the man' relates two objects "
        "('backpack' to the right of 'man'), not one object name"
    )
    assert "unknown object name" not in relation
    assert man.startswith("find() argument 1: unknown object name 'man'")
    assert "unknown question" in question
