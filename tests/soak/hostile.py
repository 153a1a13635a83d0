"""Hostile program texts for the soak: mutated corpus programs, deep nesting, huge literals,
NUL and non-UTF-8 bytes, random text. ``hostile_programs()`` draws one as bytes (what a file
holds) with the kind of hostility it has."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

from tests.frontend.test_fuzz import VOCAB, token_spans

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
CORPUS = tuple(p.read_text(encoding="utf-8") for p in sorted(PROGRAMS.glob("*.py")))
"""The corpus programs (tests/programs), the seeds of most mutations."""

KINDS = (
    "delete tokens",
    "duplicate tokens",
    "replace tokens",
    "delete or duplicate lines",
    "deep nesting",
    "huge literal",
    "bad bytes",
    "random text",
)

_NESTINGS = (
    "({})",
    "[{}]",
    "not {}",
    "-{}",
    "({} if p else 0)",
    "(lambda q: {})(p)",
    "[{} for q in ps]",
    "len({})",
    "p.exists({})",
)

_HUGE = (
    "'x' * {n}",
    "[0] * {n}",
    "'{s}'",
    "{digits}",
    "f'{{p.left:>{n}}}'",
    "[{items}]",
    "' and '.join([{items}])",
    "({chain})",
)

_BAD_BYTES = (
    b"\x00",
    b"\xff",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xef\xbb\xbf",
    b"\r",
    b"\x0c",
)


@st.composite
def hostile_programs(draw: st.DrawFn) -> tuple[str, bytes]:
    """``(kind, file content)`` of one hostile program."""
    kind = draw(st.sampled_from(KINDS))
    seed = draw(st.sampled_from(CORPUS))
    if kind == "random text":
        return kind, draw(st.binary(max_size=300)) if draw(st.booleans()) else _text(draw)
    if kind == "bad bytes":
        return kind, _bad_bytes(draw, seed.encode("utf-8"))
    if kind == "deep nesting":
        return kind, _insert_line(draw, seed, f"x = {_deep(draw)}").encode("utf-8")
    if kind == "huge literal":
        return kind, _insert_line(draw, seed, f"x = {_huge(draw)}").encode("utf-8")
    if kind == "delete or duplicate lines":
        return kind, _lines(draw, seed).encode("utf-8")
    return kind, _tokens(draw, seed, kind).encode("utf-8")


def _text(draw: st.DrawFn) -> bytes:
    words = draw(
        st.lists(st.sampled_from([*VOCAB, "def execute_command(image):", "    "]), max_size=60)
    )
    return " ".join(words).encode("utf-8")


def _tokens(draw: st.DrawFn, source: str, kind: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        spans = token_spans(source)
        if not spans:
            break
        start, end = spans[draw(st.integers(0, len(spans) - 1))]
        if kind == "delete tokens":
            source = source[:start] + source[end:]
        elif kind == "duplicate tokens":
            source = source[:end] + " " + source[start:end] + source[end:]
        else:
            source = source[:start] + draw(st.sampled_from(VOCAB)) + source[end:]
    return source


def _lines(draw: st.DrawFn, source: str) -> str:
    lines = source.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        if not lines:
            break
        if draw(st.booleans()):
            del lines[i]
        else:
            lines.insert(i, lines[i])
    return "\n".join(lines)


def _deep(draw: st.DrawFn) -> str:
    depth = draw(st.sampled_from([10, 50, 99, 100, 101, 200, 500, 1000, 5000]))
    if draw(st.booleans()):
        expression = "p.left"
        template = draw(st.sampled_from(_NESTINGS))
        for _ in range(depth):
            expression = template.format(expression)
        return expression
    word = draw(st.sampled_from([" and ", " or ", " + ", " < ", " * "]))
    return "(" + word.join(["p.left"] * depth) + ")"


def _huge(draw: st.DrawFn) -> str:
    n = 10 ** draw(st.integers(2, 12))
    size = draw(st.sampled_from([10, 1000, 50_000, 120_000]))
    template = draw(st.sampled_from(_HUGE))
    return template.format(
        n=n,
        s="y" * size,
        digits="9" * min(size, 20_000),
        items=", ".join(["1"] * min(size, 30_000)),
        chain=" and ".join(["p.left"] * min(size, 3000)),
    )


def _insert_line(draw: st.DrawFn, source: str, line: str) -> str:
    """``line`` inside ``execute_command``, after its first statement, then its value used."""
    lines = source.splitlines()
    start = next((i for i, text in enumerate(lines) if text.startswith("def execute_command")), 0)
    where = min(start + 2, len(lines))
    prelude = ["    p = ImagePatch(image)", '    ps = p.find("object")']
    return "\n".join([*lines[:where], *prelude, f"    {line}", *lines[where:]])


def _bad_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return data.decode("utf-8").encode(
            draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"])), "replace"
        )
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(_BAD_BYTES)) + data[at:]
    return data
