"""Library files: extra library functions and methods, declared in YAML with typed signatures.

A program may call functions beyond the default library (a routine of the user's such as
``process_guesses``, a domain method such as ``verify_property_geospatial``) once their signatures
are declared; serve a routable one with a backend of your own. A library file::

    version: 1
    functions:
      process_guesses:                  # a routable function: served by a backend
        params: {question: str, guesses: list[str]}
        returns: str
        doc: Merge several answers into one.
      verify_property_geospatial:       # first parameter an ImagePatch: also a method
        params: {patch: ImagePatch, object_name: str, property: str}
        returns: bool
        style: method                   # only patch.verify_property_geospatial(...)
        aliases: {visual_property: property}
      caption:
        params:
          patch: ImagePatch
          question: {type: str, default: "Describe the image."}
        options: {temperature: float}   # a literal recorded on the call, not passed
        returns: str
      area:
        params: {patch: ImagePatch}
        returns: float
        routable: false                 # a deterministic helper (fmpc.lib)
        style: attribute                # read as patch.area

``params`` maps each parameter, in order, to its type (``int``, ``float``, ``str``, ``bool``,
``None``, ``ImagePatch``, ``Image``, ``list[T]``, ``T | None``), or to ``{type, default}``.
``style`` is ``function``, ``method``, ``both`` (the default when the first parameter is an
``ImagePatch``; else ``function``) or ``attribute``. A name already in the library is an error
unless the entry says ``replace: true``. ``load_library`` returns the default library extended
with the file's functions, or raises ``LibraryFileError`` listing every problem at its
``file:line:col``.
"""

from __future__ import annotations

import ast
import builtins
import keyword
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from fmpc.frontend.checks import ENTRY, FORBIDDEN_NAMES, SUPPORTED_BUILTINS
from fmpc.frontend.options import PIN_KEYWORDS, fits_literal
from fmpc.frontend.typesys import annotation_type
from fmpc.ir.types import NoneT, OptionalType, Patch, Type
from fmpc.library import DEFAULT_LIBRARY, CallOption, Constant, Library, LibraryFunction
from fmpc.yaml_source import (
    Loc,
    YamlIssue,
    YamlSyntaxError,
    dotted,
    duplicate_keys,
    kind_of,
    place,
    read_yaml,
)

STYLES = ("function", "method", "both", "attribute")
"""How a function of a library file is called."""


class LibraryFileError(ValueError):
    """A library file is invalid; ``issues`` lists every problem found, in file order."""

    def __init__(self, source: str, issues: Sequence[YamlIssue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        super().__init__("\n".join(issue.format(source) for issue in self.issues))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FunctionSpec(_Strict):
    """One function of a library file, as written (see the module docstring)."""

    params: dict[str, Any] = Field(default_factory=dict)
    returns: str
    routable: StrictBool = True
    style: Literal["function", "method", "both", "attribute"] | None = None
    aliases: dict[str, str] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    doc: str = ""
    replace: StrictBool = False


class LibraryFileSpec(_Strict):
    """A whole library file, as written."""

    version: Literal[1] = 1
    functions: dict[str, Any] = Field(min_length=1)


def load_library(path: str | Path, base: Library = DEFAULT_LIBRARY) -> Library:
    """``base`` extended with the functions of the library file at ``path``.

    Raises ``LibraryFileError`` (unreadable file, malformed YAML, invalid declarations).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise LibraryFileError(str(path), [YamlIssue("", f"cannot read: {reason}")]) from None
    return parse_library(text, source=str(path), base=base)


def parse_library(
    text: str, *, source: str = "<string>", base: Library = DEFAULT_LIBRARY
) -> Library:
    """``base`` extended with the functions declared in the YAML ``text`` (``source`` names it
    in errors); see :func:`load_library`."""
    try:
        root, data = read_yaml(text)
    except YamlSyntaxError as exc:
        issue = exc.issue
        if "'['" in issue.message:
            hint = ' (in a {...} mapping, quote a type with brackets: "list[str]")'
            issue = YamlIssue(issue.path, issue.message + hint, issue.line, issue.column)
        raise LibraryFileError(source, [issue]) from None
    if not isinstance(data, dict):
        issue = YamlIssue("", f"expected a mapping with a 'functions' key, got {kind_of(data)}")
        raise LibraryFileError(source, [issue])
    issues = duplicate_keys(root)
    functions: list[LibraryFunction] = []
    try:
        spec = LibraryFileSpec.model_validate(data)
    except ValidationError as exc:
        raise LibraryFileError(
            source, place([_issue_of(e, ()) for e in exc.errors()], root)
        ) from None
    for name, entry in spec.functions.items():
        at = ("functions", str(name))
        try:
            function = FunctionSpec.model_validate(entry)
        except ValidationError as exc:
            issues += [_issue_of(error, at) for error in exc.errors()]
            continue
        built, found = _build(str(name), function, base)
        issues += found
        if built is not None:
            functions.append(built)
    if issues:
        raise LibraryFileError(source, place(issues, root))
    return base.extend(*functions)


def _issue_of(error: Any, at: Loc) -> YamlIssue:
    """A pydantic error as an issue at its key path (below ``at``)."""
    loc: Loc = (*at, *(part for part in error["loc"] if part != "[key]"))
    kind = error["type"]
    if kind == "missing":
        message = "field required" + (
            " (the result type, e.g. `returns: str`)" if loc[-1:] == ("returns",) else ""
        )
    elif kind == "extra_forbidden":
        model = FunctionSpec if len(loc) == 3 else LibraryFileSpec
        message = f"unknown key (allowed: {', '.join(model.model_fields)})"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        message = f"expected a mapping, got {kind_of(error['input'])}"
    elif kind == "too_short":
        message = "declare at least one function"
    else:
        text = error["msg"].removeprefix("Value error, ")
        message = f"{text[0].lower()}{text[1:]}, got {error['input']!r}"
    return YamlIssue(dotted(loc), message)


# ---------------------------------------------------------------- building one function


def _build(
    name: str, spec: FunctionSpec, base: Library
) -> tuple[LibraryFunction | None, list[YamlIssue]]:
    """The ``LibraryFunction`` for one entry, or the problems that keep it from being one."""
    at = ("functions", name)
    issues = _name_issues(name, spec, base, at)
    params, defaults, found = _params(spec.params, (*at, "params"))
    issues += found
    options, found = _options(spec, [p for p, _ in params], (*at, "options"))
    issues += found
    result = _type(spec.returns, (*at, "returns"), issues)
    issues += _alias_issues(spec, [p for p, _ in params], [o.name for o in options], at)
    if issues or result is None:
        return None, issues
    style = spec.style or ("both" if params and params[0][1] == Patch else "function")
    issues += _style_issues(style, spec, params, at)
    if issues:
        return None, issues
    function = LibraryFunction(
        name,
        tuple(params),
        result,
        routable=spec.routable,
        method=style in ("method", "both"),
        function=style in ("function", "both"),
        attribute=style == "attribute",
        doc=spec.doc,
        defaults=tuple(defaults),
        aliases=tuple(spec.aliases.items()),
        options=tuple(options),
    )
    return function, []


_RESERVED = frozenset({*SUPPORTED_BUILTINS, *FORBIDDEN_NAMES, "ImagePatch", ENTRY})


def _name_issues(name: str, spec: FunctionSpec, base: Library, at: Loc) -> list[YamlIssue]:
    if not name.isidentifier() or keyword.iskeyword(name):
        return [YamlIssue(dotted(at), f"{name!r} is not a Python identifier")]
    if name.startswith("__"):
        return [YamlIssue(dotted(at), "dunder names are not allowed")]
    if name in _RESERVED or (name in dir(builtins) and name not in base):
        return [
            YamlIssue(dotted(at), f"{name!r} is a Python built-in or reserved name; choose another")
        ]
    if name in base and not spec.replace:
        message = f"{name!r} is already a library function; add `replace: true` to redefine it"
        return [YamlIssue(dotted(at), message)]
    return []


def _params(
    declared: Mapping[str, Any], at: Loc
) -> tuple[list[tuple[str, Type]], list[tuple[str, Constant]], list[YamlIssue]]:
    params: list[tuple[str, Type]] = []
    defaults: list[tuple[str, Constant]] = []
    issues: list[YamlIssue] = []
    for pname, entry in declared.items():
        where = (*at, str(pname))
        t, default, found = _typed_entry(str(pname), entry, where)
        issues += found
        if t is None:
            continue
        if defaults and default is _NO_DEFAULT:
            message = f"parameter {pname!r} has no default but comes after one that has"
            issues.append(YamlIssue(dotted(where), message))
        if default is not _NO_DEFAULT:
            defaults.append((str(pname), default))
        params.append((str(pname), t))
    return params, defaults, issues


_NO_DEFAULT: Any = object()


def _typed_entry(name: str, entry: Any, at: Loc) -> tuple[Type | None, Any, list[YamlIssue]]:
    """A parameter or option: ``type`` or ``{type: ..., default: ...}``."""
    issues: list[YamlIssue] = []
    if not name.isidentifier() or keyword.iskeyword(name):
        return None, _NO_DEFAULT, [YamlIssue(dotted(at), f"{name!r} is not a Python identifier")]
    default = _NO_DEFAULT
    if isinstance(entry, dict):
        unknown = sorted(set(entry) - {"type", "default"})
        if unknown or "type" not in entry:
            what = f"unknown key(s) {', '.join(map(str, unknown))}" if unknown else "no type"
            message = f"{what}: write `{name}: str` or `{name}: {{type: str, default: ...}}`"
            return None, default, [YamlIssue(dotted(at), message)]
        default = entry.get("default", _NO_DEFAULT)
        entry = entry["type"]
    t = _type(entry, at, issues)
    if t is not None and default is not _NO_DEFAULT and not _default_fits(default, t):
        message = f"the default {default!r} is not of type {entry}"
        issues.append(YamlIssue(dotted((*at, "default")), message))
    return t, default, issues


def _default_fits(value: Any, t: Type) -> bool:
    if isinstance(t, OptionalType):
        return value is None or fits_literal(value, t.inner)
    return value is None if t == NoneT else fits_literal(value, t)


def _type(text: Any, at: Loc, issues: list[YamlIssue]) -> Type | None:
    """The IR type a type text names, or ``None`` after recording why it names none."""
    if not isinstance(text, str):
        issues.append(
            YamlIssue(dotted(at), f"expected a type such as str or list[str], got {kind_of(text)}")
        )
        return None
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        issues.append(YamlIssue(dotted(at), f"cannot read the type {text!r}"))
        return None
    found = annotation_type(node)
    if isinstance(found, str):
        issues.append(YamlIssue(dotted(at), f"{text!r}: {found}"))
        return None
    return found


def _options(
    spec: FunctionSpec, params: list[str], at: Loc
) -> tuple[list[CallOption], list[YamlIssue]]:
    options: list[CallOption] = []
    issues: list[YamlIssue] = []
    for oname, entry in spec.options.items():
        where = (*at, str(oname))
        t, default, found = _typed_entry(str(oname), entry, where)
        issues += found
        if str(oname) in params or str(oname) in PIN_KEYWORDS:
            issues.append(
                YamlIssue(dotted(where), f"{oname!r} is already a parameter or a pin keyword")
            )
        elif t is not None and not spec.routable:
            issues.append(YamlIssue(dotted(where), "only routable functions take call options"))
        elif t is not None:
            options.append(CallOption(str(oname), t, None if default is _NO_DEFAULT else default))
    return options, issues


def _alias_issues(
    spec: FunctionSpec, params: list[str], options: list[str], at: Loc
) -> list[YamlIssue]:
    issues = []
    for alias, target in spec.aliases.items():
        where = dotted((*at, "aliases", str(alias)))
        if target not in params and target not in options:
            issues.append(
                YamlIssue(
                    where,
                    f"{target!r} is not a parameter (parameters: {', '.join(params) or 'none'})",
                )
            )
        elif alias in params or alias in options or not alias.isidentifier():
            issues.append(YamlIssue(where, f"{alias!r} cannot be another name of a parameter"))
    return issues


def _style_issues(
    style: str, spec: FunctionSpec, params: list[tuple[str, Type]], at: Loc
) -> list[YamlIssue]:
    where = dotted((*at, "style"))
    first = params[0][1] if params else None
    if style in ("method", "both") and first != Patch:
        return [
            YamlIssue(
                where,
                f"a {style} takes the patch first: declare `patch: ImagePatch` as the first parameter",
            )
        ]
    if style == "attribute" and (len(params) != 1 or first != Patch or spec.routable):
        message = "an attribute is a deterministic helper (routable: false) of exactly one ImagePatch parameter"
        return [YamlIssue(where, message)]
    return []
