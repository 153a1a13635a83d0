"""The program a command is given, and the options that say how to read it.

A Python program is compiled with the default library extended by ``--library FILE`` and, with
``--world NAME``, warned about literals outside that world's vocabulary; a compiled one (IR
text, or the JSON of ``fmpc compile --emit json``) is parsed, verified and its routable calls
checked against the same library. Nothing here imports JAX, a world (unless ``--world`` names
one) or the passes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fmpc.cli.common import UsageError, display_name, is_stdin, read_text

if TYPE_CHECKING:  # the frontend and the IR load when a program is read
    from fmpc.frontend import CompileError, Diagnostic, Library
    from fmpc.frontend.literals import LiteralCheck
    from fmpc.ir.core import Module, VerifyError

UNKNOWN_CALLABLES = ("unknown function ", "ImagePatch has no method ")
"""How the frontend's messages about a call of an undeclared function or method start."""

LIBRARY_NOTE = (
    "functions and methods beyond the library are declared in a library file: "
    '--library FILE.yaml (docs/frontend.md, "Library files")'
)

IR_SUFFIXES = (".fmp", ".json")
"""Files read as compiled programs (IR text, IR JSON) by ``check`` and ``run``."""


class ModuleErrors(Exception):
    """Every problem found in a compiled program (``errors``, each located at its op)."""

    def __init__(self, errors: Sequence[VerifyError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def add_library_argument(parser: argparse.ArgumentParser) -> None:
    """``--library FILE``: extra library functions and methods, declared in a library file."""
    parser.add_argument(
        "--library",
        metavar="FILE.yaml",
        help="extra library functions and methods, declared with typed signatures "
        "(a library file, see docs/frontend.md)",
    )


def add_vocabulary_argument(parser: argparse.ArgumentParser) -> None:
    """``--world NAME``: compile for a world, warning about literals outside its vocabulary."""
    parser.add_argument(
        "--world",
        metavar="WORLD",
        help="compile for this world: warn about literal arguments outside its vocabulary "
        "(digits: the embedded world; default: no vocabulary is assumed)",
    )


def print_warning(warning: Diagnostic) -> None:
    """Print a compiler warning to stderr."""
    print(warning.format(), file=sys.stderr)


def _program_text(path: str | None) -> str:
    """The text of a program file, with a ``CompileError`` located at the first byte that is
    not UTF-8 (standard input, a missing file or a directory: ``read_text``'s messages)."""
    if is_stdin(path) or not Path(str(path)).is_file():
        return read_text(path)
    from fmpc.frontend.compiler import read_source

    return read_source(str(path), display_name(path))


@dataclass(frozen=True)
class ProgramReader:
    """How a command reads its program: the library, the world's vocabulary check (if any)
    and where warnings go."""

    library: Library
    literal_check: LiteralCheck | None = None
    warn: Callable[[Diagnostic], None] = field(default=print_warning)
    library_file: str | None = None

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, warn: Callable[[Diagnostic], None] = print_warning
    ) -> ProgramReader:
        """The reader ``--library`` and ``--world`` describe (either may be absent)."""
        path = getattr(args, "library", None)
        library = load_library_option(path)
        return cls(library, world_check(getattr(args, "world", None)), warn, path)

    def python(self, path: str | None) -> Module:
        """The verified module of the Python program at ``path`` (``-``/``None``: stdin)."""
        from fmpc.frontend import CompileError, compile_source_with_warnings

        try:
            module, warnings = compile_source_with_warnings(
                _program_text(path), display_name(path), self.library, self.literal_check
            )
        except CompileError as exc:
            raise self._with_library_note(exc) from None
        for warning in warnings:
            self.warn(warning)
        return module

    def _with_library_note(self, error: CompileError) -> CompileError:
        """``error``, with a note on ``--library`` when it rejects unknown functions or methods
        and no library file was given."""
        from fmpc.frontend import CompileError, Diagnostic

        unknown = [
            d
            for d in error.diagnostics
            if d.message.startswith(UNKNOWN_CALLABLES)
            and "modules are not available" not in d.message
        ]
        if self.library_file is not None or not unknown:
            return error
        first = min(unknown, key=lambda d: (d.line, d.col))
        note = Diagnostic(first.file, first.line, first.col, LIBRARY_NOTE, severity="note")
        return CompileError([*error.diagnostics, note])

    def compiled(self, path: str | None) -> Module:
        """The verified module of IR text or IR JSON at ``path`` (told apart by content)."""
        if not is_stdin(path) and Path(str(path)).suffix == ".py":
            raise UsageError(
                f"{path}: a Python program; compile it with `fmpc compile` "
                "(this command reads IR text or JSON)"
            )
        name = display_name(path)
        module = parse_ir(read_text(path), name)
        errors = _verify_errors(module)
        if not errors:
            from fmpc.library.check import call_errors

            errors = call_errors(module, self.library)
        if errors:
            raise ModuleErrors(errors)
        self._literal_warnings(module, name)
        return module

    def any(self, path: str | None) -> Module:
        """``compiled`` for ``.fmp`` and ``.json`` files, else ``python``."""
        if not is_stdin(path) and Path(str(path)).suffix in IR_SUFFIXES:
            return self.compiled(path)
        return self.python(path)

    def _literal_warnings(self, module: Module, name: str) -> None:
        if self.literal_check is None:
            return
        from fmpc.frontend.diagnostics import SourceText
        from fmpc.frontend.literals import literal_warnings

        # the ops are located in the program they were compiled from
        source_file = next((op.loc.file for op in module.walk() if op.loc is not None), name)
        text = SourceText(module.source or "", source_file)
        for warning in literal_warnings(module, text, self.literal_check):
            self.warn(warning)


def load_library_option(path: str | None) -> Library:
    """The default library, extended by the library file at ``path`` when given
    (``LibraryFileError`` lists every problem of the file)."""
    from fmpc.library import DEFAULT_LIBRARY

    if path is None:
        return DEFAULT_LIBRARY
    from fmpc.frontend.library_file import load_library

    return load_library(path)


def world_check(world: str | None) -> LiteralCheck | None:
    """The vocabulary check of ``world`` (``None`` for no world, or a world without one);
    an unknown world is an ``InputError`` listing the known ones."""
    if world is None:
        return None
    from fmpc.runtime.inputs import world_literal_check

    return world_literal_check(world)


def parse_ir(text: str, name: str) -> Module:
    """A module from IR text, or from IR JSON when the text starts with ``{`` (or ``[``);
    ``ParseError`` or a located ``UsageError`` when it is neither."""
    from fmpc.ir import parse

    if not text.lstrip().startswith(("{", "[")):
        return parse(text, file=name)
    from fmpc.ir import from_json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{name}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise UsageError(f"{name}: not an fmpc IR JSON document (nested too deeply)") from None
    if not isinstance(data, dict):
        raise UsageError(f"{name}: not an fmpc IR JSON document (expected an object)")
    try:
        return from_json(data)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"{name}: {exc}") from None


def _verify_errors(module: Module) -> list[VerifyError]:
    from fmpc.ir.verifier import verify_errors

    return verify_errors(module)
