"""The frontend driver: parse, check, lower (repeating while types are being learned), finish.

The program text is only ever read with :func:`ast.parse`; it is never executed or imported.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

from fmpc.frontend.bounds import check_bounds, source_too_long
from fmpc.frontend.checks import check_program
from fmpc.frontend.diagnostics import WARNING, CompileError, Diagnostic, Reporter, SourceText
from fmpc.frontend.functions import FunctionMixin
from fmpc.frontend.literals import LiteralCheck, literal_warnings
from fmpc.frontend.typesys import HintKey, pending_key
from fmpc.ir.core import Module
from fmpc.ir.ops import FuncOp
from fmpc.ir.types import Type
from fmpc.ir.verifier import verify_errors
from fmpc.library import DEFAULT_LIBRARY, Library

MAX_ATTEMPTS = 12


class Lowerer(FunctionMixin):
    """Lowers one checked program once (see ``fmpc.frontend.builder``)."""


def compile_source(
    source: str,
    filename: str = "<program>",
    library: Library = DEFAULT_LIBRARY,
) -> Module:
    """Compile a program's text to a verified IR module; raise ``CompileError`` if it is rejected."""
    module, _ = compile_source_with_warnings(source, filename, library)
    return module


def compile_file(path: str | Path, library: Library = DEFAULT_LIBRARY) -> Module:
    """Compile the program in the file ``path`` (see :func:`compile_source`)."""
    return compile_source(read_source(path), str(path), library)


def read_source(path: str | Path, filename: str | None = None) -> str:
    """The text of the program file ``path``; ``CompileError`` when it cannot be read, located
    at the first byte that is not UTF-8 when that is why (``filename`` names it in messages)."""
    name = filename or str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = f"cannot read the program: {exc.strerror or exc}"
        raise CompileError([Diagnostic(name, 1, 1, reason)]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = (
            len(data[data.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8", "replace"))
            + 1
        )
        reason = f"the program is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        raise CompileError([Diagnostic(name, line, col, reason)]) from None


def compile_source_with_warnings(
    source: str,
    filename: str = "<program>",
    library: Library = DEFAULT_LIBRARY,
    literal_check: LiteralCheck | None = None,
) -> tuple[Module, list[Diagnostic]]:
    """Like :func:`compile_source`, also returning the warnings: unreachable code, unused
    helpers, expressions without effect, functions that can end without a return, and — only
    when ``literal_check`` is given, i.e. when compiling for a particular world — literal
    arguments outside its vocabulary (``fmpc.worlds.check_literal`` for the embedded world's
    digits and shapes). Without it no vocabulary is assumed: a program about a "man" or a
    "backpack" gets no such warning."""
    text = SourceText(source, filename)
    try:
        module, report = _lower(source, text, library)
    except RecursionError:
        raise CompileError([text.diagnostic(1, 1, "the program is nested too deeply")]) from None
    errors = report.errors()
    if errors:
        raise CompileError(errors)
    for site, op in enumerate(module.routable_calls()):
        op.attributes["site"] = site
    module.source = source
    _check_verified(module, text)
    found = report.warnings()
    if literal_check is not None:
        found += literal_warnings(module, text, literal_check)
    return module, found


def _lower(source: str, text: SourceText, library: Library) -> tuple[Module, Reporter]:
    checked = Reporter(text)
    too_long = source_too_long(source)
    if too_long is not None:
        raise CompileError([text.diagnostic(1, 1, too_long)])
    tree = _parse(source, text, checked)
    program = check_program(tree, library, checked)
    if not check_bounds(tree, program, checked):  # too large to lower in bounded time
        return Module([]), checked
    hints: dict[HintKey, Type] = {}
    for _ in range(MAX_ATTEMPTS):
        report = Reporter(text)
        for diagnostic in checked.items:
            report.add(diagnostic)
        lowerer = Lowerer(text, report, library, program, hints)
        module = lowerer.lower_program()
        if not lowerer.retry:
            break
    _report_pending(module, lowerer.silenced, report)
    return module, report


def _parse(source: str, text: SourceText, report: Reporter) -> ast.Module:
    """``ast.parse`` (nothing else ever reads the program); its warnings become diagnostics."""
    try:
        # Python's SyntaxWarnings (e.g. `1if x else y`) become warning diagnostics instead of
        # printing to stderr. catch_warnings swaps the process-wide filters for the parse only.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tree = ast.parse(source, filename=text.filename)
        for warning in caught:
            line = int(getattr(warning.message, "lineno", 0) or warning.lineno or 1)
            report.add(text.diagnostic(line, 1, str(warning.message), WARNING))
        return tree
    except SyntaxError as exc:
        line, col = _nul_position(source) if exc.lineno is None else (exc.lineno, exc.offset or 1)
        if exc.text is not None and 1 <= line <= len(text.lines):
            col = max(1, min(col, len(text.line(line)) + 1))
        raise CompileError([text.diagnostic(line, col, f"syntax error: {exc.msg}")]) from None
    except ValueError as exc:  # a NUL character, an integer literal too long to read
        line, col = _nul_position(source)
        raise CompileError([text.diagnostic(line, col, f"syntax error: {exc}")]) from None
    except (MemoryError, RecursionError):  # Python's own parser gave up on the nesting
        line = _most_nested_line(text)
        message = "the program is nested too deeply for Python's parser"
        raise CompileError([text.diagnostic(line, 1, message)]) from None


def _most_nested_line(text: SourceText) -> int:
    """The line opening the most brackets (where deep nesting most likely is)."""
    counts = [sum(line.count(c) for c in "([{") for line in text.lines] or [0]
    return counts.index(max(counts)) + 1


def _nul_position(source: str) -> tuple[int, int]:
    """The line and column of the first NUL character (1, 1 without one)."""
    if "\0" not in source:
        return 1, 1
    before = source[: source.index("\0")]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def _check_verified(module: Module, text: SourceText) -> None:
    """A frontend bug must not pass silently: unverifiable output is an (internal) error."""
    problems = verify_errors(module)
    if problems:
        diagnostics = []
        for problem in problems:
            loc = problem.op.loc if problem.op is not None else None
            line, col = (loc.line, loc.col) if loc is not None else (1, 1)
            message = f"internal compiler error, please report it: {problem.message}"
            diagnostics.append(text.diagnostic(line, col, message.splitlines()[0]))
        raise CompileError(diagnostics)


def _report_pending(module: Module, silenced: set[HintKey], report: Reporter) -> None:
    """Report every empty list (or helper result) whose type was never learned."""
    keys: dict[HintKey, None] = dict.fromkeys(sorted(silenced, key=repr))
    for op in module.walk():
        types = [v.type for v in op.results] + [a.type for r in op.regions for a in r.args]
        result = op.attributes.get("result_type")
        if isinstance(op, FuncOp) and isinstance(result, Type):
            types.append(result)
        for t in types:
            key = pending_key(t)
            if key is not None:
                keys[key] = None
    for key in keys:
        kind, position = key[0], key[2]
        line, col_offset = position if isinstance(position, tuple) else (1, 0)
        if kind == "ret":
            message = "cannot infer the result type of this helper call; annotate the helper, e.g. `-> str`"
        else:
            message = (
                "cannot infer the element type of this empty list; use a non-empty list or an "
                "annotation, e.g. `xs: list[str] = []`"
            )
        report.at(line, col_offset, message)
