"""Pipeline text: ``canonicalize,cse,dce,early-exit,cascade{threshold=0.9},batch,route``.

Grammar::

    pipeline := [pass (',' pass)*]
    pass     := NAME ['{' [option ((',' | ' ') option)*] '}']
    option   := KEY '=' value
    value    := WORD | "quoted string" | '[' [value (',' value)*] ']'
              | '{' [KEY '=' value (',' KEY '=' value)*] '}'

Option values are converted to the types the pass declares (``threshold=0.9`` becomes a float,
``functions=[find,exists]`` a tuple of strings, ``site_thresholds={3=0.8}`` a mapping). Errors
name the column, the pass and the option, and say what is allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fmpc.passes.base import DEFAULT_REGISTRY, Pass, PassRegistry, PipelineError

DEFAULT_PIPELINE = "canonicalize,cse,dce,early-exit,cascade,batch,route"
"""The pipeline ``fmpc compile`` runs when ``-p`` is absent; docs/passes.md explains the order."""

_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<string>"(?:[^"\\]|\\.)*")|(?P<punct>[,{}\[\]=])|(?P<word>[^\s,{}\[\]="]+)""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    col: int


def _tokenize(text: str) -> list[_Tok]:
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # an unterminated string
            raise _error(text, pos + 1, "unterminated string")
        if m.lastgroup != "ws":
            tokens.append(_Tok(m.lastgroup or "", m.group(), pos + 1))
        pos = m.end()
    tokens.append(_Tok("eof", "", len(text) + 1))
    return tokens


def _error(text: str, col: int, message: str) -> PipelineError:
    return PipelineError(f"pipeline:{col}: {message}\n    {text}\n    {' ' * (col - 1)}^")


@dataclass(frozen=True)
class PassSpec:
    """One pass of a parsed pipeline: its name and raw (unconverted) options."""

    name: str
    options: dict[str, Any]
    col: int


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.pos]

    def error(self, message: str) -> PipelineError:
        found = f"'{self.tok.text}'" if self.tok.text else "the end"
        return _error(self.text, self.tok.col, f"{message}, found {found}")

    def accept(self, text: str) -> bool:
        if self.tok.kind == "punct" and self.tok.text == text:
            self.pos += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise self.error(f"expected '{text}'")

    def word(self, what: str) -> _Tok:
        if self.tok.kind != "word":
            raise self.error(f"expected {what}")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def pipeline(self) -> list[PassSpec]:
        specs: list[PassSpec] = []
        if self.tok.kind == "eof":
            return specs
        specs.append(self.pass_spec())
        while self.accept(","):
            specs.append(self.pass_spec())
        if self.tok.kind != "eof":
            raise self.error("expected ',' between passes")
        return specs

    def pass_spec(self) -> PassSpec:
        name = self.word("a pass name")
        options: dict[str, Any] = {}
        if self.accept("{"):
            while not self.accept("}"):
                key = self.word("an option name")
                if key.text in options:
                    raise _error(self.text, key.col, f"option '{key.text}' given twice")
                self.expect("=")
                options[key.text] = self.value()
                self.accept(",")
        return PassSpec(name.text, options, name.col)

    def value(self) -> Any:
        if self.accept("["):
            items: list[Any] = []
            while not self.accept("]"):
                items.append(self.value())
                if not self.accept(","):
                    self.expect("]")
                    break
            return items
        if self.accept("{"):
            mapping: dict[str, Any] = {}
            while not self.accept("}"):
                key = self.word("a key")
                self.expect("=")
                mapping[key.text] = self.value()
                if not self.accept(","):
                    self.expect("}")
                    break
            return mapping
        if self.tok.kind == "string":
            self.pos += 1
            return json.loads(self.tokens[self.pos - 1].text)
        return self.word("an option value").text


def parse_pipeline_specs(text: str) -> list[PassSpec]:
    """Parse pipeline text into pass names and raw options (no registry lookup)."""
    return _Parser(text).pipeline()


def parse_pipeline(text: str, registry: PassRegistry = DEFAULT_REGISTRY) -> list[Pass]:
    """Parse pipeline text into pass instances; ``PipelineError`` explains any mistake."""
    passes = []
    for spec in parse_pipeline_specs(text):
        try:
            passes.append(registry.create(spec.name, spec.options))
        except PipelineError as exc:
            raise _error(text, spec.col, str(exc)) from None
    return passes


def format_pipeline(passes: Sequence[Pass]) -> str:
    """The pipeline text of ``passes`` (options shown where they differ from the defaults)."""
    return ",".join(str(p) for p in passes)
