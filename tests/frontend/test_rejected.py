"""Rejected programs: each fixture ``rejected/NAME.py`` has its exact diagnostics pinned in
``rejected/NAME.expected`` (the formatted output of ``CompileError``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmpc.frontend import CompileError, compile_source

FIXTURES = Path(__file__).parent / "rejected"
PROGRAMS = sorted(FIXTURES.glob("*.py"))


def test_there_are_enough_fixtures() -> None:
    assert len(PROGRAMS) >= 25
    for program in PROGRAMS:
        assert program.with_suffix(".expected").exists(), program.name


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_rejected_program_reports_pinned_diagnostics(program: Path) -> None:
    with pytest.raises(CompileError) as caught:
        compile_source(program.read_text(), program.name)
    expected = program.with_suffix(".expected").read_text()
    assert caught.value.format() + "\n" == expected
    assert str(caught.value) == caught.value.format()


def test_a_program_with_several_errors_reports_all_of_them() -> None:
    program = FIXTURES / "many_errors.py"
    with pytest.raises(CompileError) as caught:
        compile_source(program.read_text(), program.name)
    lines = [d.line for d in caught.value.diagnostics]
    assert len(lines) >= 7
    assert lines == sorted(lines)
    assert {1, 4, 5, 12, 13, 16, 17} <= set(lines)
