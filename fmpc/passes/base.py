"""Passes and the registry of passes by name.

A pass is a frozen dataclass: its fields are its typed options, ``name`` (a class attribute) is
how pipelines refer to it, and ``run(module, analyses)`` returns a :class:`PassResult`. A pass
never changes the module it is given (it works on ``module.clone()``) and keeps no state::

    @register_pass
    @dataclass(frozen=True)
    class DropAsserts(Pass):
        name = "drop-asserts"
        verbose: bool = False

        def run(self, module, analyses):
            work = module.clone()
            changed = apply_patterns(work, [...])
            return PassResult(work, changed) if changed else PassResult.unchanged(module)

:class:`PassRegistry` maps names to pass classes. ``DEFAULT_REGISTRY`` is the one pipelines and
the CLI use; it is the only module-level table of the package, filled by ``@register_pass`` when
a module defining passes is imported (fmpc's own passes, a user's package, or a plugin found
through the ``fmpc.passes`` entry-point group).
"""

from __future__ import annotations

import abc
import dataclasses
import difflib
import importlib
import importlib.metadata
import importlib.util
import re
import sys
import threading
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar, overload

from pydantic import TypeAdapter, ValidationError

from fmpc.ir.core import Module
from fmpc.passes.analyses.manager import Analysis, AnalysisManager

P = TypeVar("P", bound="type[Pass]")

PLUGIN_GROUP = "fmpc.passes"
"""Entry-point group through which installed packages contribute passes."""

_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


class PassError(Exception):
    """A pass or pipeline cannot do what was asked; the message says where and why."""


class PipelineError(PassError):
    """A pipeline (text or options) is malformed: unknown pass, unknown or ill-typed option."""


@dataclass(frozen=True)
class PassResult:
    """What a pass returns: the (new) module, whether it changed anything, the analyses of its
    input still valid for the output (all of them when nothing changed), and, for a pass that
    renumbers call sites, the map from old to new site ids (profile data follows it)."""

    module: Module
    changed: bool
    preserved: frozenset[type[Analysis]] = frozenset()
    site_renumbering: Mapping[int, int] | None = None

    @classmethod
    def unchanged(cls, module: Module) -> PassResult:
        """The result of a pass that left ``module`` as it was."""
        return cls(module, False)


class Pass(abc.ABC):
    """Base of all passes; subclasses are frozen dataclasses with a ``name`` class attribute."""

    name: ClassVar[str] = ""

    @abc.abstractmethod
    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        """Transform a verified ``module``; never mutate it (work on ``module.clone()``)."""

    def options(self) -> dict[str, Any]:
        """This pass's options (its dataclass fields) and their values."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}  # type: ignore[arg-type]

    def __str__(self) -> str:
        """The pipeline spelling, showing options that differ from their defaults."""
        changed = []
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.init and _default_of(f) != value:
                changed.append(f"{f.name}={format_option(value)}")
        return self.name + ("{" + ",".join(changed) + "}" if changed else "")


def _default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def format_option(value: Any) -> str:
    """An option value as written in pipeline text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ",".join(format_option(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}={format_option(v)}" for k, v in value.items()) + "}"
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z0-9_.+\-/]+", text) else '"' + text + '"'


def option_types(cls: type[Pass]) -> dict[str, Any]:
    """The options of pass class ``cls`` and their declared types."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]


def option_defaults(cls: type[Pass]) -> dict[str, Any]:
    """The options of pass class ``cls`` and their defaults (``dataclasses.MISSING`` for an
    option the pipeline text must give)."""
    return {f.name: _default_of(f) for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]


def describe_type(tp: Any) -> str:
    """A short human spelling of an option type (``float``, ``list of str``, ...)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (tuple, list) and args:
        return f"list of {describe_type(args[0])}"
    if origin in (dict, Mapping) or (origin is not None and "Mapping" in str(origin)):
        return f"mapping of {describe_type(args[0])} to {describe_type(args[1])}"
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None and type(None) in args:
        return " or ".join(describe_type(a) for a in args if a is not type(None)) + " or none"
    return getattr(tp, "__name__", str(tp))


def freeze(value: Any) -> Any:
    """An immutable copy of an option value (lists to tuples, dicts to read-only mappings)."""
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    return value


class PassRegistry:
    """Pass classes by name. Thread-safe; see the module docstring for ``DEFAULT_REGISTRY``."""

    def __init__(self) -> None:
        self._passes: dict[str, type[Pass]] = {}
        self._lock = threading.Lock()
        self._plugins_loaded = False

    @overload
    def register(self, cls: P, *, replace: bool = False) -> P: ...
    @overload
    def register(self, cls: None = None, *, replace: bool = False) -> Callable[[P], P]: ...

    def register(self, cls: P | None = None, *, replace: bool = False) -> P | Callable[[P], P]:
        """Register a pass class under its ``name``; usable as ``@registry.register``.

        Raises ``PassError`` for a malformed pass class or a name already taken (unless
        ``replace``).
        """
        if cls is None:
            return lambda c: self.register(c, replace=replace)
        _check_pass_class(cls)
        with self._lock:
            existing = self._passes.get(cls.name)
            if existing is not None and existing is not cls and not replace:
                raise PassError(
                    f"a pass named '{cls.name}' is already registered "
                    f"({existing.__module__}.{existing.__qualname__}); pick another name"
                )
            self._passes[cls.name] = cls
        return cls

    def unregister(self, name: str) -> None:
        """Remove the pass called ``name`` (if registered)."""
        with self._lock:
            self._passes.pop(name, None)

    def names(self) -> list[str]:
        """Registered pass names, sorted."""
        self.load_plugins()
        with self._lock:
            return sorted(self._passes)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def get(self, name: str) -> type[Pass]:
        """The pass class called ``name``; ``PipelineError`` naming close matches if unknown."""
        names = self.names()
        with self._lock:
            found = self._passes.get(name)
        if found is not None:
            return found
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise PipelineError(f"unknown pass '{name}'{hint} (known passes: {', '.join(names)})")

    def create(self, name: str, options: Mapping[str, Any] | None = None) -> Pass:
        """An instance of pass ``name`` with ``options`` converted to the declared types."""
        cls = self.get(name)
        types = option_types(cls)
        values = {}
        for key, raw in (options or {}).items():
            if key not in types:
                raise PipelineError(_unknown_option(cls, key, types))
            values[key] = _convert(cls, key, types[key], raw)
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise PipelineError(f"pass '{name}': {exc}") from None

    def load_plugins(self) -> None:
        """Import the modules named in the ``fmpc.passes`` entry-point group (once)."""
        with self._lock:
            if self._plugins_loaded:
                return
            self._plugins_loaded = True
        for entry in importlib.metadata.entry_points(group=PLUGIN_GROUP):
            try:
                entry.load()
            except Exception as exc:  # a broken plugin must not break the compiler
                raise PassError(
                    f"pass plugin '{entry.name}' ({entry.value}) failed: {exc}"
                ) from exc


def _check_pass_class(cls: type) -> None:
    where = f"{cls.__module__}.{cls.__qualname__}"
    if not (isinstance(cls, type) and issubclass(cls, Pass)):
        raise PassError(f"{where} is not a subclass of fmpc.passes.Pass")
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise PassError(f"{where} must be a frozen dataclass: @dataclass(frozen=True)")
    if not isinstance(cls.name, str) or not _NAME.fullmatch(cls.name):
        raise PassError(
            f"{where} needs a class attribute name = 'kebab-case-name', got {cls.name!r}"
        )


def _unknown_option(cls: type[Pass], key: str, types: Mapping[str, Any]) -> str:
    if not types:
        return f"pass '{cls.name}' takes no options, got '{key}'"
    allowed = ", ".join(f"{k} ({describe_type(t)})" for k, t in types.items())
    close = difflib.get_close_matches(key, list(types), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"pass '{cls.name}' has no option '{key}'{hint} (options: {allowed})"


def _convert(cls: type[Pass], key: str, tp: Any, raw: Any) -> Any:
    try:
        value = TypeAdapter(tp).validate_python(raw)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise PipelineError(
            f"pass '{cls.name}', option '{key}': expected {describe_type(tp)}, "
            f"got {format_option(raw)} ({reason})"
        ) from None
    return freeze(value)


DEFAULT_REGISTRY = PassRegistry()
"""The registry used by pipelines and the CLI unless another is given."""


def register_pass(cls: P) -> P:
    """Class decorator: register a pass in ``DEFAULT_REGISTRY`` under its ``name``."""
    return DEFAULT_REGISTRY.register(cls)


def import_pass_module(spec: str) -> None:
    """Import a module that registers passes: a dotted module name, or a path to a ``.py`` file.

    ``PassError`` if it cannot be imported.
    """
    try:
        if spec.endswith(".py"):
            path = Path(spec).resolve()
            name = f"fmpc_user_passes_{path.stem}"
            if name in sys.modules:
                return
            module_spec = importlib.util.spec_from_file_location(name, path)
            if module_spec is None or module_spec.loader is None or not path.is_file():
                raise PassError(f"{spec}: no such Python file")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
        else:
            importlib.import_module(spec)
    except PassError:
        raise
    except Exception as exc:
        raise PassError(f"cannot load passes from '{spec}': {type(exc).__name__}: {exc}") from exc
