"""Parser of the IR's text form (see :mod:`fmpc.ir.printer` and ``docs/ir.md``).

``parse(text)`` rebuilds a :class:`Module`; malformed text raises :class:`ParseError` with the
line and column where reading failed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from fmpc.ir.core import Attr, Location, Module, Op, Region, Value
from fmpc.ir.ops import FuncOp, all_op_classes
from fmpc.ir.types import Type, parse_type

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<value>%[A-Za-z0-9_]+)
  | (?P<symbol>@[A-Za-z_][A-Za-z0-9_]*)
  | (?P<arrow>->)
  | (?P<number>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
  | (?P<ident>-?[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<punct>[(){}\[\],:=^!])
    """,
    re.VERBOSE,
)


class ParseError(ValueError):
    """Malformed IR text; ``line``/``col`` locate the problem (1-based)."""

    def __init__(self, message: str, line: int, col: int, file: str = "<ir>") -> None:
        self.line, self.col, self.file = line, col, file
        super().__init__(f"{file}:{line}:{col}: error: {message}")


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    line: int
    col: int


def _tokenize(text: str, file: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(
                f"unexpected character {text[pos]!r}", line, pos - line_start + 1, file
            )
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(_Tok(kind, m.group(), line, pos - line_start + 1))
        newlines = m.group().count("\n")
        if newlines:
            line += newlines
            line_start = m.start() + m.group().rindex("\n") + 1
        pos = m.end()
    tokens.append(_Tok("eof", "", line, pos - line_start + 1))
    return tokens


def parse(text: str, file: str = "<ir>") -> Module:
    """Parse the text form of a module. Does not verify it: call ``verify`` on the result."""
    return _Parser(_tokenize(text, file), file).module()


class _Parser:
    def __init__(self, tokens: list[_Tok], file: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.file = file
        self.source_file: str = "<unknown>"
        self.values: dict[str, Value] = {}
        self.ops = all_op_classes()

    # ------------------------------------------------------------ token helpers
    @property
    def tok(self) -> _Tok:
        return self.tokens[self.pos]

    def error(self, message: str, tok: _Tok | None = None) -> ParseError:
        tok = tok or self.tok
        found = f"'{tok.text}'" if tok.text else "end of input"
        return ParseError(f"{message} (found {found})", tok.line, tok.col, self.file)

    def at(self, text: str) -> bool:
        return self.tok.text == text and self.tok.kind != "string"

    def accept(self, text: str) -> bool:
        if self.at(text):
            self.pos += 1
            return True
        return False

    def expect(self, text: str) -> _Tok:
        if not self.at(text):
            raise self.error(f"expected '{text}'")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def take(self, kind: str, what: str) -> _Tok:
        if self.tok.kind != kind:
            raise self.error(f"expected {what}")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def string(self, tok: _Tok) -> str:
        """The text of a string token (JSON escapes)."""
        try:
            return str(json.loads(tok.text))
        except json.JSONDecodeError as exc:
            raise self.error(f"malformed string: {exc.msg}", tok) from None

    def comma_list(self, close: str, item):  # type: ignore[no-untyped-def]
        items = []
        if not self.at(close):
            items.append(item())
            while self.accept(","):
                items.append(item())
        self.expect(close)
        return items

    # ------------------------------------------------------------ grammar
    def module(self) -> Module:
        self.expect("module")
        if self.tok.kind == "string":
            self.source_file = self.string(self.take("string", "a file name"))
        attributes = self.attr_dict() if self.accept("attributes") else {}
        self.expect("{")
        funcs = []
        while not self.at("}"):
            funcs.append(self.func())
        self.expect("}")
        self.take("eof", "end of input")
        return Module(funcs, attributes)

    def func(self) -> Op:
        start = self.expect("func")
        name = self.take("symbol", "a function name like @execute_command").text[1:]
        self.expect("(")
        params = self.comma_list(")", self.typed_arg)
        self.expect("->")
        result = self.type()
        attributes: dict[str, Attr] = {"sym_name": name, "result_type": result}
        if self.accept("attributes"):
            attributes.update(self.attr_dict())
        loc = self.loc()
        if not self.at("{"):
            raise self.error("expected '{' to open the function body", start)
        self.expect("{")
        body = self.region_body(params)
        self.expect("}")
        return FuncOp(attributes=attributes, regions=[body], loc=loc)

    def typed_arg(self) -> tuple[str, Type]:
        name = self.take("value", "a value name like %x").text
        self.expect(":")
        return name, self.type()

    def region_body(self, args: list[tuple[str, Type]]) -> Region:
        region = Region([t for _, t in args], arg_names=[_hint(n) for n, _ in args])
        for (name, _), value in zip(args, region.args, strict=True):
            self.define(name, value)
        while not self.at("}"):
            region.append(self.op())
        return region

    def region(self) -> Region:
        args: list[tuple[str, Type]] = []
        if self.accept("^"):
            self.expect("(")
            args = self.comma_list(")", self.typed_arg)
            self.expect(":")
        return self.region_body(args)

    def op(self) -> Op:
        start = self.tok
        result_names: list[str] = []
        if self.tok.kind == "value":
            result_names.append(self.take("value", "a value").text)
            while self.accept(","):
                result_names.append(self.take("value", "a value").text)
            self.expect("=")
        name_tok = self.take("ident", "an op name like fmpc.add")
        cls = self.ops.get(name_tok.text)
        if cls is None:
            raise self.error(f"unknown op '{name_tok.text}'", name_tok)
        self.expect("(")
        operands = self.comma_list(")", self.use)
        attributes = self.attr_dict() if self.at("{") else {}
        self.expect(":")
        self.expect("(")
        operand_types = self.comma_list(")", self.type)
        self.expect("->")
        result_types = self.result_types()
        self.check_operand_types(operands, operand_types, start)
        if len(result_names) != len(result_types):
            raise self.error(
                f"{len(result_names)} result names for {len(result_types)} result types", start
            )
        regions = []
        if self.accept("{"):
            regions.append(self.region())
            while self.accept("}"):
                if not self.accept("{"):
                    break
                regions.append(self.region())
            else:
                raise self.error("expected '}' to close a region")
        op = cls(operands, result_types, attributes, regions, self.loc())
        for rname, value in zip(result_names, op.results, strict=True):
            value.name_hint = _hint(rname)
            self.define(rname, value)
        return op

    def check_operand_types(self, operands: list[Value], types: list[Type], tok: _Tok) -> None:
        if len(operands) != len(types):
            raise self.error(f"{len(operands)} operands but {len(types)} operand types", tok)
        for i, (v, t) in enumerate(zip(operands, types, strict=True)):
            if v.type != t:
                raise self.error(f"operand {i} has type {v.type}, but the op says {t}", tok)

    def result_types(self) -> list[Type]:
        if self.accept("("):
            return self.comma_list(")", self.type)
        return [self.type()]

    def use(self) -> Value:
        tok = self.take("value", "a value name like %x")
        if tok.text not in self.values:
            raise self.error(f"use of undefined value {tok.text}", tok)
        return self.values[tok.text]

    def define(self, name: str, value: Value) -> None:
        self.values[name] = value

    def type(self) -> Type:
        tok = self.take("ident", "a type")
        text = tok.text
        if self.accept("["):
            inner = self.type()
            self.expect("]")
            text = f"{text}[{inner}]"
        try:
            return parse_type(text)
        except ValueError:
            raise self.error(f"unknown type '{text}'", tok) from None

    def attr_dict(self) -> dict[str, Attr]:
        self.expect("{")

        def entry() -> tuple[str, Attr]:
            key = self.take("ident", "an attribute name").text
            self.expect("=")
            return key, self.attr()

        return dict(self.comma_list("}", entry))

    def attr(self) -> Attr:
        tok = self.tok
        if tok.kind == "string":
            self.pos += 1
            return self.string(tok)
        if tok.kind == "number":
            self.pos += 1
            is_float = any(c in tok.text for c in ".eE")
            return float(tok.text) if is_float else int(tok.text)
        if self.accept("!"):
            return self.type()
        if self.accept("["):
            return tuple(self.comma_list("]", self.attr))
        words: dict[str, Attr] = {
            "true": True,
            "false": False,
            "none": None,
            "inf": float("inf"),
            "-inf": float("-inf"),
            "nan": float("nan"),
        }
        if tok.kind == "ident" and tok.text in words:
            self.pos += 1
            return words[tok.text]
        raise self.error("expected an attribute value")

    def loc(self) -> Location | None:
        if not self.accept("loc"):
            return None
        self.expect("(")
        file = self.source_file
        if self.tok.kind == "string":
            file = self.string(self.take("string", "a file name"))
            self.expect(":")
        line = self.count("a line number")
        self.expect(":")
        col = self.count("a column number")
        self.expect(")")
        return Location(file, line, col)

    def count(self, what: str) -> int:
        """A whole number >= 0 (a location's line or column); located error otherwise."""
        tok = self.take("number", what)
        if not tok.text.isdigit():
            raise self.error(f"expected {what}", tok)
        return int(tok.text)


def _hint(name: str) -> str | None:
    bare = name[1:]
    return None if bare.isdigit() else bare
