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
