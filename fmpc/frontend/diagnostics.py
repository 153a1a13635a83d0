"""Compile diagnostics: located messages that quote the source line, and the error that carries them.

A diagnostic prints as::

    prog.py:3:5: error: while loops are not supported; iterate over a list with `for`
        while n > 0:
        ^
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One message about a program: ``file:line:col`` (1-based), severity, text, quoted line."""

    file: str
    line: int
    col: int
    message: str
    source_line: str = ""
    severity: str = ERROR

    def format(self) -> str:
        """The message, the source line and a caret under the column."""
        head = f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"
        if not self.source_line.strip():
            return head
        line = self.source_line.rstrip()
        pad = "".join(c if c == "\t" else " " for c in line[: max(self.col - 1, 0)])
        return f"{head}\n    {line}\n    {pad}^"

    def __str__(self) -> str:
        return self.format()


class CompileError(Exception):
    """A program was rejected; ``diagnostics`` holds every error found (at least one)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(self.format())

    def format(self) -> str:
        """All diagnostics, one block each, in source order."""
        return "\n".join(d.format() for d in self.diagnostics)


class SourceText:
    """The program text, for quoting lines and turning AST byte offsets into columns."""

    def __init__(self, source: str, filename: str) -> None:
        self.filename = filename
        self.lines = source.splitlines()

    def line(self, lineno: int) -> str:
        """The text of 1-based line ``lineno`` (empty when out of range)."""
        if 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1]
        return ""

    def column(self, lineno: int, col_offset: int) -> int:
        """The 1-based character column of an AST ``col_offset`` (a UTF-8 byte offset)."""
        raw = self.line(lineno).encode("utf-8")[: max(col_offset, 0)]
        return len(raw.decode("utf-8", errors="ignore")) + 1

    def diagnostic(self, lineno: int, col: int, message: str, severity: str = ERROR) -> Diagnostic:
        """A diagnostic at 1-based ``lineno`` and character column ``col``."""
        return Diagnostic(self.filename, lineno, col, message, self.line(lineno), severity)


class Reporter:
    """Collects diagnostics for one compilation, dropping exact duplicates (inlined helpers)."""

    def __init__(self, text: SourceText) -> None:
        self.text = text
        self._seen: set[tuple[int, int, str, str]] = set()
        self.items: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        """Record ``diagnostic`` unless the same one is already recorded."""
        key = (diagnostic.line, diagnostic.col, diagnostic.severity, diagnostic.message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(diagnostic)

    def at(self, lineno: int, col_offset: int, message: str, severity: str = ERROR) -> None:
        """Record a message at an AST position (``col_offset`` in UTF-8 bytes, 0-based)."""
        col = self.text.column(lineno, col_offset)
        self.add(self.text.diagnostic(lineno, col, message, severity))

    def errors(self) -> list[Diagnostic]:
        """Errors in source order."""
        return _ordered([d for d in self.items if d.severity == ERROR])

    def warnings(self) -> list[Diagnostic]:
        """Warnings in source order."""
        return _ordered([d for d in self.items if d.severity == WARNING])


def _ordered(items: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(items, key=lambda d: (d.line, d.col))
