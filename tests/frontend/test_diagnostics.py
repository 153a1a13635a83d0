"""Diagnostics: their format, syntax errors, files, warnings, and never executing programs."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from fmpc.frontend import CompileError, Diagnostic, compile_file, compile_source
from fmpc.frontend.compiler import compile_source_with_warnings


def test_diagnostic_format_quotes_the_line_with_a_caret() -> None:
    d = Diagnostic("prog.py", 3, 5, "something is wrong", "    x = y + 1")
    assert d.format() == "prog.py:3:5: error: something is wrong\n        x = y + 1\n        ^"


def test_caret_follows_tabs_in_the_source_line() -> None:
    d = Diagnostic("prog.py", 1, 3, "bad", "\t\tx")
    assert d.format().splitlines()[-1] == "    \t\t^"


def test_diagnostic_without_source_line_is_one_line() -> None:
    assert Diagnostic("p.py", 1, 1, "no entry").format() == "p.py:1:1: error: no entry"


def test_syntax_error_is_a_located_compile_error() -> None:
    with pytest.raises(CompileError) as caught:
        compile_source("def execute_command(image):\n    return 1 +\n", "bad.py")
    (d,) = caught.value.diagnostics
    assert (d.file, d.line, d.col) == ("bad.py", 2, 15)
    assert d.message.startswith("syntax error: ")
    assert d.source_line == "    return 1 +"


def test_columns_count_characters_not_bytes() -> None:
    with pytest.raises(CompileError) as caught:
        compile_source('def execute_command(image):\n    s = "héllo"; t = s + 1\n    return t\n')
    assert caught.value.diagnostics[0].col == 22


@pytest.mark.parametrize(
    "source", ["", "\x00", "def execute_command(image):\n\treturn 1\n        return 2\n"]
)
def test_degenerate_sources_are_compile_errors(source: str) -> None:
    with pytest.raises(CompileError):
        compile_source(source)


def test_deep_nesting_is_a_compile_error() -> None:
    deep = "def execute_command(image):\n    return " + "+".join(["1"] * 5000) + "\n"
    with pytest.raises(CompileError, match="nested too deeply"):
        compile_source(deep)


def test_compile_file(tmp_path: Path) -> None:
    path = tmp_path / "prog.py"
    path.write_text('def execute_command(image):\n    return exists(image, "x")\n')
    module = compile_file(path)
    assert module.entry.regions[0].ops[-1].loc.file == str(path)  # type: ignore[union-attr]
    with pytest.raises(CompileError, match="cannot read the program"):
        compile_file(tmp_path / "missing.py")


def test_warnings_on_success() -> None:
    source = (
        "def unused(x):\n    return x\n\n"
        "def execute_command(image):\n    1 + 1\n    return 1\n    x = 2\n"
    )
    _, warnings = compile_source_with_warnings(source, "w.py")
    messages = [(w.line, w.message) for w in warnings]
    assert messages == [
        (1, "helper function 'unused' is never called, so it is not checked"),
        (5, "this expression has no effect"),
        (7, "unreachable code"),
    ]
    assert all(w.severity == "warning" and "warning:" in w.format() for w in warnings)


def test_compiling_never_executes_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the frontend executed program text")

    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "eval", forbidden)
    source = "def execute_command(image):\n    return exists(image, 'x')\n"
    compile_source(source)
    with pytest.raises(CompileError):
        compile_source("raise SystemExit(3)\n" + source)


# ---------------------------------------------------------------- every mistake, once


def messages(source: str) -> list[tuple[int, str]]:
    with pytest.raises(CompileError) as caught:
        compile_source(source, "prog.py")
    return [(d.line, d.message) for d in caught.value.diagnostics]


def test_a_wrong_keyword_does_not_hide_a_later_mistake_with_the_result() -> None:
    found = messages(
        "def execute_command(image):\n"
        "    cars = find(image, name='car')\n"
        "    cars.sort(key=lambda c: c.lft)\n"
        "    return cars + 1\n"
    )
    assert found == [
        (2, "find() has no parameter 'name'; its parameters are patch, object_name"),
        (3, "ImagePatch has no attribute 'lft'; did you mean 'left'? (attribute access is only "
            "allowed for library attributes such as patch.left)"),
        (4, "unsupported operand types for +: list[ImagePatch] and int"),
    ]  # fmt: skip


def test_a_method_lists_its_parameters_after_the_receiver() -> None:
    found = messages("def execute_command(image):\n    return ImagePatch(image).exists(nme='x')\n")
    assert found == [
        (2, "ImagePatch.exists() has no parameter 'nme'; its parameters are object_name")
    ]


def test_an_unknown_name_is_reported_once_per_function() -> None:
    found = messages(
        "def f(x):\n    return y + x\n\n"
        "def execute_command(image):\n    a = y + 1\n    b = y * 2\n    return f(a) + f(b)\n"
    )
    assert found == [(2, "name 'y' is not defined"), (5, "name 'y' is not defined")]


def test_a_wrong_call_is_one_mistake_not_one_per_argument() -> None:
    found = messages("def execute_command(image):\n    return frob([1], key=lambda x: x)\n")
    assert found == [(2, "unknown function 'frob'")]
    found = messages("def execute_command(image):\n    return len([1] + ['a'])\n")
    assert found == [(2, "cannot concatenate list[int] and list[str]")]
    found = messages("def execute_command(image):\n    return sorted([3], key=len)\n")
    assert found == [(2, "the key= of sorted() must be a lambda, e.g. key=lambda p: p.left")]


def test_the_body_of_a_rejected_statement_is_still_checked_but_not_its_header() -> None:
    found = messages(
        "def execute_command(image):\n"
        "    with open('f') as f:\n"
        "        print(1)\n"
        "    try:\n"
        "        x = eval('1')\n"
        "    except ValueError:\n"
        "        import os\n"
        "    return 1\n"
    )
    assert [line for line, _ in found] == [2, 3, 4, 5, 7]
    assert "with statements" in found[0][1] and "print" in found[1][1]


def test_a_helper_called_wrongly_is_still_checked() -> None:
    found = messages(
        "def helper(a):\n    return a.lft\n\n"
        "def execute_command(image):\n    return helper(ImagePatch(image), 2)\n"
    )
    assert [line for line, _ in found] == [2, 5]


def test_each_mistake_of_a_program_once_pinned() -> None:
    # tests/frontend/rejected/independent_mistakes.py: eleven mistakes, one message each
    program = Path(__file__).parent / "rejected" / "independent_mistakes.py"
    with pytest.raises(CompileError) as caught:
        compile_source(program.read_text(), program.name)
    lines = [d.line for d in caught.value.diagnostics]
    assert lines == [2, 2, 8, 9, 10, 11, 12, 13, 14, 15, 15]
    assert len({(d.line, d.col) for d in caught.value.diagnostics}) == len(lines)
