"""The template language of ``fmpc.format``: literal text, ``{}`` holes, ``{:spec}`` holes."""

from __future__ import annotations

import string


def split_template(template: str) -> list[tuple[str, str | None]]:
    """Split into ``(literal, spec)`` pairs; ``spec`` is ``None`` after the last hole.

    Raises ``ValueError`` for named or positional fields, conversions, or unbalanced braces.
    """
    parts: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            parts.append((literal, None))
            continue
        if field != "" or conversion is not None:
            raise ValueError(f"template holes must be '{{}}' or '{{:spec}}', got {{{field}}}")
        parts.append((literal, spec or ""))
    return parts


def count_holes(template: str) -> int:
    """Number of holes in ``template``."""
    return sum(1 for _, spec in split_template(template) if spec is not None)


def render(template: str, values: list[object]) -> str:
    """Fill the holes of ``template`` with ``values`` as Python's f-strings would."""
    out: list[str] = []
    items = iter(values)
    for literal, spec in split_template(template):
        out.append(literal)
        if spec is not None:
            out.append(format(next(items), spec))
    return "".join(out)
