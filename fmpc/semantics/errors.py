"""Errors a program raises while it runs.

A running program never lets a bare Python exception escape: every failure becomes a
``ProgramError`` that names the op, its location (``file:line:col``) and the cause, quoting the
source line when the module kept its source. The original exception, if any, is ``__cause__``.
"""

from __future__ import annotations

from fmpc.ir.core import Op


class ProgramError(Exception):
    """A program failed at run time (index out of range, division by zero, a backend failing...).

    ``op`` is the failing op (``None`` when the failure is not tied to one), ``loc`` its location
    and ``reason`` the cause in words.
    """

    def __init__(self, reason: str, op: Op | None = None, source: str | None = None) -> None:
        self.reason = reason
        self.op = op
        self.loc = op.loc if op is not None else None
        super().__init__(_format(reason, op, source))


class BackendError(ProgramError):
    """A routable call failed: no backend, the backend raised, or it returned a value of the
    wrong type. ``fn`` is the generic function, ``site`` the call-site id."""

    def __init__(self, reason: str, op: Op, fn: str, site: int, source: str | None = None) -> None:
        self.fn = fn
        self.site = site
        super().__init__(reason, op, source)


def _format(reason: str, op: Op | None, source: str | None) -> str:
    if op is None:
        return reason
    where = f"{op.loc}: " if op.loc is not None else ""
    text = f"{where}'{op.name}'{_describe(op)} failed: {reason}"
    line = _source_line(op, source)
    return f"{text}\n    {line}" if line else text


def _describe(op: Op) -> str:
    fn = op.attributes.get("fn")
    site = op.attributes.get("site")
    if fn is not None and site is not None:
        return f" ({fn}, site {site})"
    return f" ({fn})" if fn is not None else ""


def _source_line(op: Op, source: str | None) -> str:
    if op.loc is None or not source:
        return ""
    lines = source.splitlines()
    if 1 <= op.loc.line <= len(lines):
        return lines[op.loc.line - 1].strip()
    return ""
