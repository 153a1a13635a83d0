"""The backend config file: which backends serve each generic function.

A YAML file maps each generic function to its backends, **cheapest first**::

    version: 1
    functions:
      exists:
        - name: small
          type: jax                      # cost measured: FLOPs from XLA's cost analysis
          target: my_models:exists_small # a factory returning a JaxBackend
        - name: qwen-7b
          type: http                     # an OpenAI-compatible server (vLLM, SGLang, TGI)
          endpoint: http://localhost:8000
          model: Qwen/Qwen2.5-VL-7B-Instruct
          cost: 1.5e13                   # declared cost per call
          timeout: 20                    # seconds per attempt, connect to last byte
          retries: 2                     # at most 10
          max_concurrency: 8
          fallback: small                # used when this backend fails on an input

Each entry has a ``name`` (unique within its function), a ``type`` and the keys that type
takes; unknown keys are errors. The types are those of a ``BackendTypes`` registry: ``jax``,
``http`` and ``callable`` are the runtime's own, others (``zoo``, ``perfect``, a third party's)
come from the entry points of group ``fmpc.backend_types`` (``fmpc.runtime.backends.build``).
Each ``BackendType`` pairs a ``Spec`` model, which validates an entry, with the factory that
builds it. ``load_config`` validates a file with pydantic and raises ``ConfigError``, whose
message points at the offending key
(``backends.yaml:12:9: functions.exists[1].endpoint: field required (...)``).
``fmpc.runtime.backends.build_backends`` turns a config into live backends.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal

import httpx
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    create_model,
)

from fmpc.library import Library
from fmpc.runtime.registry import PluginError, Registry
from fmpc.yaml_limits import YamlLimitError, decode_yaml
from fmpc.yaml_source import (
    Loc,
    YamlIssue,
    YamlSyntaxError,
    duplicate_keys,
    place,
    read_yaml,
)
from fmpc.yaml_source import dotted as _path
from fmpc.yaml_source import kind_of as _kind

BackendName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
ImportPath = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$", strip_whitespace=True)
]
Cost = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def _check_endpoint(value: str) -> str:
    try:
        url = httpx.URL(value)
    except Exception:  # httpx raises several kinds for malformed URLs
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ValueError("expected an http:// or https:// URL such as http://localhost:8000")
    return value


Endpoint = Annotated[str, AfterValidator(_check_endpoint)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Spec(_Strict):
    """The base of every backend type's entry model: a ``name`` and an optional ``fallback``.

    A subclass adds ``type: Literal["<its type>"]`` and the keys its type takes (unknown keys
    are errors). ``hints`` maps ``(key, pydantic error type)`` to what the message should add,
    e.g. ``{("cost", "extra_forbidden"): "a zoo backend's cost is measured by XLA, never
    declared"}``.
    """

    hints: ClassVar[Mapping[tuple[str, str], str]] = MappingProxyType({})

    name: BackendName
    fallback: BackendName | None = None
    type: str


class JaxSpec(Spec):
    """A JAX backend: ``target`` names a factory ``f(name=, function=, **options) -> JaxBackend``.

    Its cost is measured (FLOPs), so it takes no ``cost``. ``io`` optionally names a function
    ``io(**options) -> (preprocess, postprocess)``: the backend's input and output conversion
    without its model, which lets an artifact (``fmpc build``) serve it from its exported
    computation where ``target``'s module cannot be imported.
    """

    hints: ClassVar[Mapping[tuple[str, str], str]] = MappingProxyType(
        {
            ("target", "missing"): "a factory returning a JaxBackend, as 'package.module:function'",
            ("cost", "extra_forbidden"): "a jax backend's cost is measured by XLA, never declared",
        }
    )

    type: Literal["jax"]
    target: ImportPath
    io: ImportPath | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class CallableOptions(_Strict):
    """``batched``: the function takes the whole batch; ``with_confidence``: it returns
    ``(output, confidence)`` pairs."""

    batched: bool = False
    with_confidence: bool = False


class CallableSpec(Spec):
    """A Python function (``target``, as ``package.module:function``) with a declared cost."""

    hints: ClassVar[Mapping[tuple[str, str], str]] = MappingProxyType(
        {
            ("cost", "missing"): "a callable backend's cost per call must be declared",
            ("target", "missing"): "the function to call, as 'package.module:function'",
        }
    )

    type: Literal["callable"]
    target: ImportPath
    cost: Cost
    options: CallableOptions = Field(default_factory=CallableOptions)


class HttpOptions(_Strict):
    """Request and retry settings of an http backend (see ``HttpBackend``)."""

    backoff: Annotated[float, Field(ge=0, le=600)] = 0.5
    max_backoff: Annotated[float, Field(ge=0, le=3600)] = 8.0
    default_confidence: Annotated[float, Field(ge=0, le=1)] = 1.0
    logprobs: bool = True
    max_tokens: Annotated[int, Field(gt=0, le=1_000_000)] = 256
    temperature: Annotated[float, Field(ge=0)] = 0.0
    api_key_env: str | None = None
    extra_body: dict[str, Any] = Field(default_factory=dict)


class HttpSpec(Spec):
    """A model behind an OpenAI-compatible server, with a declared cost per call."""

    hints: ClassVar[Mapping[tuple[str, str], str]] = MappingProxyType(
        {
            ("endpoint", "missing"): "an http backend needs an endpoint URL",
            ("model", "missing"): "an http backend needs the name of the model the server serves",
            ("cost", "missing"): "an http backend's cost per call must be declared",
        }
    )

    type: Literal["http"]
    endpoint: Endpoint
    model: Annotated[str, StringConstraints(min_length=1)]
    cost: Cost
    timeout: Annotated[float, Field(gt=0, le=3600)] = 30.0
    deadline: Annotated[float, Field(gt=0, le=86400)] | None = None
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    max_concurrency: Annotated[int, Field(ge=1, le=1024)] = 4
    options: HttpOptions = Field(default_factory=HttpOptions)


class BackendConfig(_Strict):
    """A validated backend config: ``functions`` maps a generic function to its backends (each
    an instance of its type's ``Spec`` model). Made by ``load_config`` / ``parse_config``, which
    validate with the model of the backend types in use (``BackendTypes.config_model``)."""

    version: Literal[1] = 1
    functions: dict[str, list[Spec]]
    _source: str = PrivateAttr(default="<config>")

    @property
    def source(self) -> str:
        """Where the config was read from (a path, or ``<string>``)."""
        return self._source


@dataclass(frozen=True)
class BackendType:
    """A backend ``type`` a config may name: ``spec`` validates its entries (a ``Spec`` subclass
    whose ``type`` field is ``Literal[name]``); ``factory(function, spec) -> Backend`` builds one
    (see ``fmpc.runtime.backends.build``).

    ``io(function, spec) -> (preprocess, postprocess) | None``, when a type has it, gives a JAX
    backend's input and output conversion without building its model, so that an artifact can
    serve the backend from its exported computation (``fmpc.runtime.backends.export``);
    ``None`` for an entry it cannot serve that way.
    """

    name: str
    spec: type[Spec]
    factory: Callable[[str, Any], Any]
    io: Callable[[str, Any], tuple[Any, Any] | None] | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.spec, type) and issubclass(self.spec, Spec)):
            raise ValueError(f"backend type {self.name!r}: spec must be a Spec subclass")
        field = self.spec.model_fields.get("type")
        if field is None or typing.get_args(field.annotation) != (self.name,):
            raise ValueError(
                f"backend type {self.name!r}: {self.spec.__name__}.type must be "
                f"Literal[{self.name!r}]"
            )
        if not callable(self.factory):
            raise ValueError(f"backend type {self.name!r}: the factory is not callable")
        if self.io is not None and not callable(self.io):
            raise ValueError(f"backend type {self.name!r}: io is not callable")


class BackendTypes(Registry[BackendType]):
    """The backend types a config may name, by name (see ``fmpc.runtime.registry``)."""

    def __init__(
        self,
        kind: str = "backend type",
        entries: Mapping[str, BackendType] = MappingProxyType({}),
        *,
        plugins: Mapping[str, Callable[[], BackendType]] = MappingProxyType({}),
    ) -> None:
        super().__init__(kind, entries, plugins=plugins)

    def config_model(self, named: Iterable[str] = ()) -> type[BackendConfig]:
        """The ``BackendConfig`` model whose entries may be of the types at hand and of the
        ``named`` ones: a plugin's type loads only when a config names it."""
        wanted = set(named)
        names = tuple(n for n in self if n in wanted or self.loaded(n))
        return _config_model(tuple(self[n].spec for n in names))


@functools.lru_cache(maxsize=32)
def _config_model(specs: tuple[type[Spec], ...]) -> type[BackendConfig]:
    """The ``BackendConfig`` model whose entries are of these specs (a pydantic model is costly
    to build, so the few distinct ones are kept)."""
    entry: Any = (
        specs[0]
        if len(specs) == 1
        else Annotated[
            typing.Union[specs],  # noqa: UP007 - a union of a run-time tuple of models
            Field(discriminator="type"),
        ]
    )
    functions: Any = Annotated[
        dict[str, Annotated[list[entry], Field(min_length=1)]], Field(min_length=1)
    ]
    model: type[BackendConfig] = create_model(
        "BackendConfig", __base__=BackendConfig, functions=(functions, ...)
    )
    return model


ConfigIssue = YamlIssue
"""One problem of a config file (see ``fmpc.yaml_source.YamlIssue``)."""


class ConfigError(ValueError):
    """A backend config is invalid; ``issues`` lists every problem found, in file order."""

    def __init__(self, source: str, issues: Sequence[ConfigIssue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        super().__init__("\n".join(issue.format(source) for issue in self.issues))


def load_config(
    path: str | Path, *, library: Library | None = None, types: BackendTypes | None = None
) -> BackendConfig:
    """Read and validate the backend config at ``path``.

    With ``library``, every configured function must be one of its routable functions.
    ``types``: the backend types entries may name (default: ``backend_types()``, the built-ins
    and the installed plugins). Raises ``ConfigError`` (unreadable file, malformed YAML,
    invalid content). The file is UTF-8 (UTF-16 and UTF-32 with a byte order mark are read too),
    nested at most ``MAX_DEPTH`` levels and at most ``MAX_NODES`` nodes with aliases expanded
    (``fmpc.yaml_limits``).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [ConfigIssue("", f"cannot read: {exc.strerror}")]) from None
    try:
        text = decode_yaml(data)
    except YamlLimitError as exc:
        raise ConfigError(str(path), [ConfigIssue("", exc.reason, exc.line, exc.column)]) from None
    return parse_config(text, source=str(path), library=library, types=types)


def parse_config(
    text: str,
    *,
    source: str = "<string>",
    library: Library | None = None,
    types: BackendTypes | None = None,
) -> BackendConfig:
    """Validate the backend config in the YAML ``text``; ``source`` names it in errors."""
    types = types if types is not None else _installed_types()
    root, data = _read_yaml(text, source)
    issues = duplicate_keys(root)
    config = None
    try:
        config = _model(types, data, source).model_validate(data)
    except ValidationError as exc:
        issues += [_issue_of(error, types) for error in exc.errors()]
    if config is not None:
        issues += _semantic_issues(config, library)
    if issues:
        raise ConfigError(source, place(issues, root))
    assert config is not None
    config._source = source
    return config


def _model(types: BackendTypes, data: Mapping[str, Any], source: str) -> type[BackendConfig]:
    """The config model for ``data``, loading the plugin types it names; a plugin that cannot
    load is a ``ConfigError`` naming it."""
    try:
        return types.config_model(_named_types(data))
    except PluginError as exc:
        raise ConfigError(source, [ConfigIssue("", str(exc))]) from exc


def _named_types(data: Mapping[str, Any]) -> set[str]:
    """The ``type`` of every entry of the (unvalidated) config data."""
    functions = data.get("functions")
    groups = functions.values() if isinstance(functions, dict) else ()
    return {
        entry["type"]
        for group in groups
        if isinstance(group, list)
        for entry in group
        if isinstance(entry, dict) and isinstance(entry.get("type"), str)
    }


def _installed_types() -> BackendTypes:
    # build.py imports this module (the spec models), so the registry is looked up at call time
    from fmpc.runtime.backends.build import backend_types

    return backend_types()


def _read_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The composed node tree (for positions) and the loaded data (nesting and alias
    expansion bounded: ``fmpc.yaml_limits``)."""
    try:
        root, data = read_yaml(text)
    except YamlSyntaxError as exc:
        raise ConfigError(source, [exc.issue]) from None
    if not isinstance(data, dict):
        expected = "expected a mapping with a 'functions' key"
        raise ConfigError(source, [ConfigIssue("", f"{expected}, got {_kind(data)}")])
    return root, data


# ---- pydantic errors -> issues -------------------------------------------------------------


_HINTS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("name", "missing"): "every backend needs a name",
        ("name", "string_pattern_mismatch"): "a name of letters, digits, '_', '.', '-' (not first)",
        ("fallback", "string_pattern_mismatch"): "the name of another backend",
        ("target", "string_pattern_mismatch"): "an import path such as 'package.module:function'",
    }
)
"""Hints for every backend type, by ``(key, pydantic error type)``; ``Spec.hints`` adds a
type's own."""


def _issue_of(error: Any, types: BackendTypes) -> ConfigIssue:
    """A pydantic error as an issue at its key path, with what was expected."""
    loc, tag = _strip_tag(tuple(error["loc"]), types)
    kind = error["type"]
    if kind == "union_tag_invalid":
        names = ", ".join(types)
        message = f"unknown backend type {error['ctx']['tag']!r} (expected one of: {names})"
        return ConfigIssue(_path((*loc, "type")), message)
    if kind == "union_tag_not_found":
        message = f"field required (the backend's type: one of {', '.join(types)})"
        return ConfigIssue(_path((*loc, "type")), message)
    return ConfigIssue(_path(loc), _message(kind, error, loc, types[tag] if tag else None))


def _message(kind: str, error: Any, loc: Loc, backend_type: BackendType | None) -> str:
    field = str(loc[-1]) if loc else ""
    own = backend_type.spec.hints if backend_type is not None else {}
    hint = own.get((field, kind)) or _HINTS.get((field, kind))
    if kind == "missing":
        base = "field required"
    elif kind == "extra_forbidden":
        base, hint = "unknown key", hint or _allowed_keys(loc, backend_type)
    elif kind == "string_pattern_mismatch" and hint:
        base, hint = f"expected {hint}, got {error['input']!r}", None
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        base = f"expected a mapping, got {_kind(error['input'])}"
    elif kind == "list_type":
        base = f"expected a list of backends, got {_kind(error['input'])}"
    elif kind == "too_short":
        base = "expected at least one " + ("function" if loc == ("functions",) else "backend")
    else:
        msg = error["msg"].removeprefix("Value error, ")
        msg = f"{msg[0].lower()}{msg[1:]}"
        got = error["input"]
        base = f"{msg} ({got!r})" if ", got " in msg else f"{msg}, got {got!r}"
    return f"{base} ({hint})" if hint else base


def _strip_tag(loc: Loc, types: BackendTypes) -> tuple[Loc, str | None]:
    """Drop pydantic's discriminator tag (``functions.f[0].<tag>.key``) and the ``[key]`` marker."""
    loc = tuple(part for part in loc if part != "[key]")
    if len(loc) >= 2 and loc[0] == "functions":
        loc = (loc[0], str(loc[1]), *loc[2:])  # a function name, even when YAML read a number
    if len(loc) >= 4 and loc[0] == "functions" and loc[3] in types:
        return (*loc[:3], *loc[4:]), str(loc[3])
    return loc, None


def _allowed_keys(loc: Loc, backend_type: BackendType | None) -> str:
    model: type[BaseModel] = BackendConfig
    what = "the config takes"
    if backend_type is not None:
        tag = backend_type.name
        model, what = backend_type.spec, f"a {tag} backend takes"
        if len(loc) == 5 and loc[3] == "options":
            model, what = _options_model(backend_type.spec), f"{tag} options are"
    return f"{what}: {', '.join(model.model_fields)}"


def _options_model(spec: type[Spec]) -> type[BaseModel]:
    annotation = spec.model_fields["options"].annotation
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else spec
    )


# ---- checks across entries -----------------------------------------------------------------


def _semantic_issues(config: BackendConfig, library: Library | None) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for function, specs in config.functions.items():
        if library is not None:
            issues += _function_issues(function, library)
        issues += _name_issues(function, specs)
        issues += _fallback_issues(function, specs)
    return issues


def _function_issues(function: str, library: Library) -> list[ConfigIssue]:
    routable = sorted(name for name, f in library.items() if f.routable)
    if function in routable:
        return []
    if function in library:
        message = f"{function!r} is a deterministic helper, not a routable function"
    else:
        message = f"unknown generic function {function!r}"
    expected = f"expected one of: {', '.join(routable)}"
    return [ConfigIssue(_path(("functions", function)), f"{message} ({expected})")]


def _name_issues(function: str, specs: Sequence[Any]) -> list[ConfigIssue]:
    first: dict[str, int] = {}
    issues = []
    for i, spec in enumerate(specs):
        if spec.name in first:
            other = _path(("functions", function, first[spec.name]))
            message = f"duplicate backend name {spec.name!r} (also {other})"
            issues.append(ConfigIssue(_path(("functions", function, i, "name")), message))
        first.setdefault(spec.name, i)
    return issues


def _fallback_issues(function: str, specs: Sequence[Any]) -> list[ConfigIssue]:
    names = list(dict.fromkeys(spec.name for spec in specs))
    targets = {spec.name: spec.fallback for spec in specs if spec.fallback is not None}
    issues = []
    for i, spec in enumerate(specs):
        path = _path(("functions", function, i, "fallback"))
        if spec.fallback is None:
            continue
        if spec.fallback == spec.name:
            issues.append(ConfigIssue(path, "a backend cannot fall back to itself"))
        elif spec.fallback not in names:
            expected = f"expected another {function} backend: {', '.join(names)}"
            issues.append(ConfigIssue(path, f"no backend {spec.fallback!r} ({expected})"))
        elif (cycle := _cycle(targets, spec.name)) is not None and _first_of(
            cycle, [s.name for s in specs]
        ) == i:
            issues.append(ConfigIssue(path, f"fallbacks form a cycle: {' -> '.join(cycle)}"))
    return issues


def _cycle(targets: Mapping[str, str], start: str) -> list[str] | None:
    """The fallback cycle through ``start`` (``[start, ..., start]``), if there is one."""
    chain = [start]
    while (target := targets.get(chain[-1])) is not None:
        if target == start:
            return [*chain, start]
        if target in chain:
            return None  # a cycle not through ``start``: reported at its own members
        chain.append(target)
    return None


def _first_of(cycle: list[str], names: list[str]) -> int:
    """The position of the cycle's first member in the file (where it is reported, once)."""
    return min(names.index(name) for name in cycle)
