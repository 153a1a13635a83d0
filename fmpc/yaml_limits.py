"""Reading YAML a hostile user wrote: encodings, nesting and alias expansion bounded first.

PyYAML composes nodes recursively (a few hundred nested ``[`` exhaust Python's stack) and
expands aliases by sharing, so a *billion laughs* file (each anchor a list of nine aliases of
the previous one) is a few lines whose tree has billions of nodes for any walk over it.
``check_yaml`` reads the text's event stream (PyYAML's parser is iterative) before anything is
composed and raises ``YamlLimitError``, with the line and column, when the nesting is deeper than
``MAX_DEPTH`` or the document, aliases expanded, has more than ``MAX_NODES`` nodes.
``decode_yaml`` turns a file's bytes into text: UTF-8 (a byte order mark allowed), or UTF-16 and
UTF-32 with their byte order mark, as the YAML specification allows; other bytes are an error
naming the first bad one's place. ``fmpc.yaml_source.read_yaml`` runs ``check_yaml`` first::

    text = decode_yaml(path.read_bytes())      # YamlLimitError: line 3, column 12: not UTF-8 ...
    check_yaml(text)                           # YamlLimitError: nested deeper than 64 levels
    data = yaml.safe_load(text)                # now bounded
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import yaml

MAX_DEPTH = 64
"""The deepest nesting of mappings and sequences a YAML file may have."""

MAX_NODES = 100_000
"""The most nodes (scalars, mappings, sequences) a YAML document may have, counting every node
an alias stands for as many times as it is used."""

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class YamlLimitError(Exception):
    """YAML text that cannot be read safely: ``reason`` at 1-based ``line`` and ``column``."""

    reason: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        return f"{where}{self.reason}"


def decode_yaml(data: bytes) -> str:
    """The text of a YAML file's bytes (see the module docstring)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise YamlLimitError(f"not valid {encoding.upper()} text ({exc.reason})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start]
        reason = f"not UTF-8 text (byte 0x{bad:02x}); save the file as UTF-8"
        raise YamlLimitError(reason, line, column) from None


def check_yaml(text: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Raise ``YamlLimitError`` when ``text`` is nested deeper than ``max_depth`` or expands to
    more than ``max_nodes`` nodes. Syntax errors and forbidden characters (NUL...) are left to
    the loader, which reports them with their place."""
    counter = _Counter(max_depth, max_nodes)
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            counter.add(event)
    except yaml.YAMLError:
        return  # malformed, or a character YAML forbids: the loader says where


class _Counter:
    """Nesting depth and expanded size of the events seen so far."""

    def __init__(self, max_depth: int, max_nodes: int) -> None:
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.total = 0
        self.open: list[tuple[str | None, int]] = []  # (anchor, total when it opened)
        self.sizes: dict[str, int] = {}

    def add(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.CollectionStartEvent):
            self._grow(1, event)
            self.open.append((event.anchor, self.total - 1))
            if len(self.open) > self.max_depth:
                self._fail(f"nested deeper than {self.max_depth} levels", event)
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, opened = self.open.pop()
            if anchor is not None:
                self.sizes[anchor] = self.total - opened
        elif isinstance(event, yaml.ScalarEvent):
            self._grow(1, event)
            if event.anchor is not None:
                self.sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            self._grow(self.sizes.get(str(event.anchor), 1), event)

    def _grow(self, nodes: int, event: yaml.Event) -> None:
        self.total += nodes
        if self.total > self.max_nodes:
            what = "aliases expanded" if isinstance(event, yaml.AliasEvent) else "in all"
            self._fail(f"more than {self.max_nodes} nodes ({what})", event)

    @staticmethod
    def _fail(reason: str, event: yaml.Event) -> None:
        mark = event.start_mark
        if mark is None:
            raise YamlLimitError(reason)
        raise YamlLimitError(reason, mark.line + 1, mark.column + 1)
