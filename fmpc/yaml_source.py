"""YAML input files with positions: problems reported at ``file:line:col`` of the key at fault.

Shared by the files users write (backend configs, library files). A problem is a ``YamlIssue``
naming the key path (``functions.find[1].endpoint``); ``place`` fills in the line and column of
that key from the composed node tree, so validation code (pydantic) only deals in paths::

    root, data = read_yaml(text)            # YamlIssue (with its position) on malformed YAML
    issues = duplicate_keys(root) + validate(data)
    issues = place(issues, root)            # sorted by position
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from fmpc.yaml_limits import YamlLimitError, check_yaml

Loc = tuple[str | int, ...]
"""A key path as pydantic reports it: ``("functions", "find", 1, "endpoint")``."""


@dataclass(frozen=True)
class YamlIssue:
    """One problem: ``path`` is the key path (``functions.find[1].endpoint``), ``line`` and
    ``column`` (1-based) its place in the file when known."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def format(self, source: str) -> str:
        """``source:line:col: path: message``."""
        where = f"{source}:{self.line}:{self.column}" if self.line is not None else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``issue`` says where reading stopped."""

    def __init__(self, issue: YamlIssue) -> None:
        self.issue = issue
        super().__init__(issue.message)


def read_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The composed node tree (for positions) and the loaded data of one YAML document.

    Raises ``YamlSyntaxError`` on malformed YAML (never executes tags: the safe loader), and
    on YAML nested too deeply or expanding to too many nodes through aliases, checked before
    anything is composed (``fmpc.yaml_limits``).
    """
    try:
        check_yaml(text)
    except YamlLimitError as exc:
        raise YamlSyntaxError(YamlIssue("", exc.reason, exc.line, exc.column)) from None
    try:
        loader = yaml.SafeLoader(text)  # reads the whole text: may reject a character
    except yaml.reader.ReaderError as exc:
        raise YamlSyntaxError(_reader_issue(text, exc)) from None
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise YamlSyntaxError(YamlIssue("", f"invalid YAML: {problem}", line, column)) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(YamlIssue("", f"invalid YAML: {exc}")) from None
    except RecursionError:
        raise YamlSyntaxError(YamlIssue("", "invalid YAML: nested too deeply")) from None
    finally:
        loader.dispose()
    return root, data


def _reader_issue(text: str, exc: yaml.reader.ReaderError) -> YamlIssue:
    """A character YAML does not allow, at its line and column."""
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - text.rfind("\n", 0, exc.position)
    char = exc.character
    shown = f"#x{char:04x}" if isinstance(char, int) else repr(char)
    return YamlIssue(
        "", f"invalid YAML: character {shown} is not allowed ({exc.reason})", line, column
    )


def dotted(loc: Loc) -> str:
    """``('functions', 'find', 1, 'endpoint')`` -> ``functions.find[1].endpoint``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def kind_of(value: Any) -> str:
    """How a wrongly typed YAML value is described: ``a mapping``, ``a list``, ``nothing``, ``3``."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def place(issues: Sequence[YamlIssue], root: yaml.Node | None) -> list[YamlIssue]:
    """Issues with the line and column of their key in the file, sorted by position."""
    placed = []
    for issue in issues:
        mark = mark_of(root, issue.path) if issue.line is None else None
        if mark is not None:
            issue = YamlIssue(issue.path, issue.message, mark.line + 1, mark.column + 1)
        placed.append(issue)
    return sorted(placed, key=lambda i: (i.line or 0, i.column or 0))


def mark_of(root: yaml.Node | None, path: str, *, value: bool = False) -> Any:
    """The start mark of the key (or item) at ``path`` (of its value with ``value``); its
    nearest existing ancestor's if absent."""
    node, mark = root, root.start_mark if root is not None else None
    for part in _path_parts(path):
        child = _child(node, part)
        if child is None:
            break
        key, node = child
        mark = key.start_mark
    if value and node is not None and node is not root:
        mark = node.start_mark
    return mark


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def _path_parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for match in re.finditer(r"\[(\d+)\]|([^.\[\]]+)", path):
        parts.append(int(match.group(1)) if match.group(1) is not None else match.group(2))
    return parts


def duplicate_keys(root: yaml.Node | None, prefix: Loc = ()) -> list[YamlIssue]:
    """Keys given twice in one mapping (YAML loaders silently keep the last)."""
    issues = []
    if isinstance(root, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in root.value:
            loc = (*prefix, str(key.value))
            if str(key.value) in seen:
                mark = key.start_mark
                message = "duplicate key (each key may appear once in a mapping)"
                issues.append(YamlIssue(dotted(loc), message, mark.line + 1, mark.column + 1))
            seen.add(str(key.value))
            issues += duplicate_keys(value, loc)
    elif isinstance(root, yaml.SequenceNode):
        for i, item in enumerate(root.value):
            issues += duplicate_keys(item, (*prefix, i))
    return issues
