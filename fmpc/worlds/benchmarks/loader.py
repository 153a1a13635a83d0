"""Loading benchmark query files: YAML -> validated specs -> compiled queries.

``load_queries(path)`` reads a query file (see docs/benchmark-files.md), validates it against
``fmpc.worlds.benchmarks.schema`` and compiles every program with the frontend. Every problem is
collected and reported at once in a ``QueryFileError``, one line per problem, each naming the
file and line, the query id and the field::

    binary.yaml:14: query 'red-7-left-of-circle': stream.positive_rate: Input should be less
    than or equal to 1

Malformed YAML is reported with its line and column; a program that does not compile gets the
compiler's diagnostics under a line naming the query, located in the YAML file itself when the
program is a literal block (``program: |``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from fmpc.frontend import CompileError, Diagnostic, compile_source_with_warnings
from fmpc.ir.core import Module
from fmpc.ir.types import Str
from fmpc.worlds.benchmarks.grammar import BenchmarkQuestion, parse_benchmark_question
from fmpc.worlds.benchmarks.schema import (
    TASKS,
    BinaryQuerySpec,
    BinaryStream,
    OpenQuerySpec,
    OpenStream,
    QueryFileSpec,
)
from fmpc.yaml_limits import YamlLimitError, check_yaml, decode_yaml

Loc = Sequence[str | int]


class QueryFileError(ValueError):
    """A query file (or query) that cannot be loaded; ``problems`` holds one message each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, eq=False)
class BenchmarkQuery:
    """A validated query with its compiled program.

    ``origin`` says where it was defined (``binary.yaml:12``); ``warnings`` holds the compiler's
    warnings and a note when the question is outside the benchmark grammar. The module must not
    be changed (clone it before running passes on it).
    """

    spec: BinaryQuerySpec | OpenQuerySpec
    module: Module
    origin: str = "<query>"
    warnings: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The query's unique id."""
        return self.spec.id

    @property
    def task(self) -> str:
        """``"binary"`` or ``"open"``."""
        return self.spec.task

    @property
    def type(self) -> str | None:
        """The reasoning type (always set for open-form queries)."""
        return self.spec.type

    @property
    def question(self) -> str:
        """The question in words."""
        return self.spec.question

    @property
    def program(self) -> str:
        """The program's source text."""
        return self.spec.program

    @property
    def stream(self) -> BinaryStream | OpenStream:
        """The stream settings."""
        return self.spec.stream

    def parsed_question(self) -> BenchmarkQuestion:
        """The question in the benchmark grammar (``QuestionSyntaxError`` when outside it)."""
        return parse_benchmark_question(self.question)


# ---------------------------------------------------------------- public entry points


def load_queries(path: str | Path) -> tuple[BenchmarkQuery, ...]:
    """The queries of the YAML file ``path``, validated and compiled (``QueryFileError``
    listing every problem otherwise)."""
    path = Path(path)
    try:
        text = decode_yaml(path.read_bytes())
    except OSError as exc:
        raise QueryFileError([f"{path}: cannot read the query file: {exc}"]) from None
    except YamlLimitError as exc:
        raise QueryFileError([_located(str(path), exc)]) from None
    return parse_queries(text, str(path))


def builtin_queries(task: str) -> tuple[BenchmarkQuery, ...]:
    """The queries shipped with fmpc for ``task`` (``"binary"`` or ``"open"``)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    source = resources.files("fmpc.worlds.benchmarks").joinpath(f"{task}.yaml")
    return parse_queries(source.read_text(encoding="utf-8"), f"{task}.yaml")


def parse_queries(text: str, filename: str = "<queries>") -> tuple[BenchmarkQuery, ...]:
    """The queries of a query file's ``text``; ``filename`` names it in messages."""
    node, data = _read_yaml(text, filename)
    problems = [f"{filename}:{line}: duplicate key {key!r}" for line, key in _duplicates(node)]
    if data is None:
        problems.append(f"{filename}:1: the file is empty; expected a mapping with 'queries'")
        raise QueryFileError(problems)
    try:
        spec = QueryFileSpec.model_validate(data)
    except ValidationError as exc:
        found = [_validation_problem(e, node, data, filename) for e in exc.errors()]
        problems += [text for _, text in sorted(found, key=lambda item: item[0])]
        raise QueryFileError(problems) from None
    problems += _duplicate_ids(spec, node, filename)
    queries = []
    for index, query_spec in enumerate(spec.queries):
        where = _Where(filename, node, text, index)
        try:
            queries.append(_compile(query_spec, where))
        except QueryFileError as exc:
            problems += exc.problems
    if problems:
        raise QueryFileError(problems)
    return tuple(queries)


def compile_query(spec: BinaryQuerySpec | OpenQuerySpec, origin: str = "<query>") -> BenchmarkQuery:
    """Compile one validated query spec (``QueryFileError`` if its program is rejected)."""
    return _compile(spec, _Where(origin, None, spec.program, 0))


# ---------------------------------------------------------------- YAML


def _located(filename: str, exc: YamlLimitError) -> str:
    where = f"{filename}:{exc.line}:{exc.column}" if exc.line is not None else filename
    return f"{where}: {exc.reason}"


def _read_yaml(text: str, filename: str) -> tuple[yaml.Node | None, Any]:
    try:
        check_yaml(text)  # nesting and alias expansion bounded before composing
    except YamlLimitError as exc:
        raise QueryFileError([_located(filename, exc)]) from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise QueryFileError([f"{where}: malformed YAML: {problem}"]) from None


def _walk(node: yaml.Node | None) -> Iterator[yaml.Node]:
    if node is None:
        return
    yield node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _walk(key)
            yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)


def _duplicates(root: yaml.Node | None) -> list[tuple[int, str]]:
    """``(line, key)`` of every mapping key given twice (YAML would keep the last silently)."""
    found = []
    for node in _walk(root):
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key, _ in node.value:
                if key.value in seen:
                    found.append((key.start_mark.line + 1, str(key.value)))
                seen.add(key.value)
    return found


def _node_at(root: yaml.Node | None, loc: Loc) -> yaml.Node | None:
    """The deepest node along ``loc`` (mapping keys and sequence indices)."""
    node = root
    for step in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            child = node.value[step] if 0 <= step < len(node.value) else None
        if child is None:
            break
        node = child
    return node


def _line(root: yaml.Node | None, loc: Loc) -> int:
    node = _node_at(root, loc)
    return 1 if node is None else node.start_mark.line + 1


# ---------------------------------------------------------------- validation problems


def _query_label(data: Any, index: int) -> str:
    queries = data.get("queries") if isinstance(data, dict) else None
    item = queries[index] if isinstance(queries, list) and index < len(queries) else None
    query_id = item.get("id") if isinstance(item, dict) else None
    return f"query {query_id!r}" if isinstance(query_id, str) else f"queries[{index}]"


def _field_path(loc: Loc) -> str:
    text = ""
    for step in loc:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else str(step)
    return text


def _message(error: Any) -> tuple[list[str | int], str]:
    """The field path (without the task tag) and the message of one pydantic error."""
    loc = list(error["loc"])
    kind = error["type"]
    if kind == "union_tag_not_found":
        return loc + ["task"], f"required; one of {', '.join(TASKS)}"
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        return loc + ["task"], f"must be one of {', '.join(TASKS)}, not {tag!r}"
    if len(loc) > 2 and loc[0] == "queries" and loc[2] in TASKS:
        del loc[2]
    if kind == "extra_forbidden":
        return loc, "unknown field"
    return loc, str(error["msg"]).removeprefix("Value error, ")


def _validation_problem(
    error: Any, root: yaml.Node | None, data: Any, filename: str
) -> tuple[int, str]:
    """``(line, message)`` for one pydantic error."""
    loc, message = _message(error)
    line = _line(root, loc)
    if len(loc) >= 2 and loc[0] == "queries" and isinstance(loc[1], int):
        field = _field_path(loc[2:]) or "query"
        return line, f"{filename}:{line}: {_query_label(data, loc[1])}: {field}: {message}"
    if not loc:
        return line, f"{filename}:{line}: {message} (expected a mapping with a 'queries' list)"
    return line, f"{filename}:{line}: {_field_path(loc)}: {message}"


def _duplicate_ids(spec: QueryFileSpec, root: yaml.Node | None, filename: str) -> list[str]:
    first: dict[str, int] = {}
    problems = []
    for index, query in enumerate(spec.queries):
        line = _line(root, ["queries", index, "id"])
        if query.id in first:
            problems.append(
                f"{filename}:{line}: query {query.id!r}: id: duplicate id "
                f"(first used at line {first[query.id]})"
            )
        else:
            first[query.id] = line
    return problems


# ---------------------------------------------------------------- compiling


@dataclass(frozen=True)
class _Where:
    """Where query ``index`` of a file is: for messages and for placing diagnostics."""

    filename: str
    root: yaml.Node | None
    text: str
    index: int

    def line(self, *loc: str | int) -> int:
        return _line(self.root, ["queries", self.index, *loc])

    def program_block(self) -> tuple[int, int] | None:
        """``(line offset, indent)`` mapping program lines into the file, for a ``|`` block."""
        node = _node_at(self.root, ["queries", self.index, "program"])
        if node is None or getattr(node, "style", None) != "|":
            return None
        lines = self.text.splitlines()
        start = node.start_mark.line + 1
        content = next((ln for ln in lines[start:] if ln.strip()), "")
        return start, len(content) - len(content.lstrip(" "))


def _relocate(diagnostics: Sequence[Diagnostic], where: _Where) -> list[Diagnostic]:
    block = where.program_block()
    if block is None or where.root is None:
        return list(diagnostics)
    offset, indent = block
    lines = where.text.splitlines()
    moved = []
    for d in diagnostics:
        line = d.line + offset
        source_line = lines[line - 1] if 0 < line <= len(lines) else d.source_line
        moved.append(
            dataclasses.replace(
                d, file=where.filename, line=line, col=d.col + indent, source_line=source_line
            )
        )
    return moved


def _compile(spec: BinaryQuerySpec | OpenQuerySpec, where: _Where) -> BenchmarkQuery:
    head = f"{where.filename}:{where.line('program')}: query {spec.id!r}"
    program_name = f"{where.filename}#{spec.id}"
    try:
        module, warnings = compile_source_with_warnings(spec.program, program_name)
    except CompileError as exc:
        diagnostics = "\n".join(d.format() for d in _relocate(exc.diagnostics, where))
        raise QueryFileError([f"{head}: the program does not compile:\n{diagnostics}"]) from None
    result = module.entry.attributes.get("result_type")
    if result != Str:
        answers = "'yes' or 'no'" if spec.task == "binary" else "a short answer string"
        raise QueryFileError(
            [f"{head}: program: execute_command must return a str ({answers}), not {result}"]
        )
    notes = [d.format() for d in _relocate(warnings, where)]
    notes += _grammar_note(spec, where)
    origin = f"{where.filename}:{where.line()}"
    return BenchmarkQuery(spec, module, origin, tuple(notes))


def _grammar_note(spec: BinaryQuerySpec | OpenQuerySpec, where: _Where) -> list[str]:
    try:
        parse_benchmark_question(spec.question)
    except ValueError as exc:  # QuestionSyntaxError, or a word outside the vocabulary
        line = where.line("question")
        return [
            f"{where.filename}:{line}: query {spec.id!r}: question: outside the benchmark "
            f"grammar, so the monolithic model cannot answer it: {exc}"
        ]
    return []
