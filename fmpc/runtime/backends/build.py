"""Turn a validated ``BackendConfig`` into live backends (a ``BackendTable``).

Each backend ``type`` is a ``BackendType``: the ``Spec`` model that validates its entries and the
**factory** ``factory(function, spec) -> Backend`` that builds one. ``jax``, ``http`` and
``callable`` are built in; every other type comes from a Python entry point of group
``fmpc.backend_types`` naming a ``BackendType`` (fmpc's model zoo registers ``zoo``, its embedded
world ``perfect``), so the runtime finds them without naming them. ``backend_types()`` is the
registry of the built-ins and the installed plugins; a caller may pass its own, or replace the
factory of any type::

    table = load_backends("backends.yaml")                # every installed type
    table = build_backends(config, factories={"zoo": my_zoo_factory})
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from fmpc.library import Library
from fmpc.runtime.backends.base import Backend, NamedBackend
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.config import (
    BackendConfig,
    BackendType,
    BackendTypes,
    CallableSpec,
    ConfigError,
    ConfigIssue,
    HttpSpec,
    JaxSpec,
    load_config,
)
from fmpc.runtime.registry import discover

BACKEND_TYPES_GROUP = "fmpc.backend_types"
"""The entry-point group of backend types: ``name = "package.module:BACKEND_TYPE"``."""

BackendFactory = Callable[[str, Any], Backend]
"""``factory(function, spec) -> Backend``; ``spec`` is the entry's validated spec model.

A factory raises ``ValueError`` (or any exception) with a readable message when it cannot build
the backend; the message is reported at the entry's key path."""


class FactoryError(ValueError):
    """A factory's problem with one key of the entry: reported at the entry's path plus
    ``key`` (``functions.exists[0].options.model: ...``)."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


def import_target(target: str) -> Any:
    """The object at ``package.module:attribute`` (the attribute may be dotted)."""
    module_name, _, attribute = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise FactoryError("target", f"cannot import module {module_name!r} ({exc})") from None
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise FactoryError("target", f"module {module_name!r} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise FactoryError("target", f"{target!r} is not callable")
    return obj


def jax_factory(function: str, spec: JaxSpec) -> Backend:
    """Call ``spec.target(name=, function=, **options)``; it must return a ``JaxBackend``."""
    from fmpc.runtime.backends.jax import JaxBackend  # JAX loads when a jax backend is built

    backend = import_target(spec.target)(name=spec.name, function=function, **spec.options)
    if not isinstance(backend, JaxBackend):
        message = f"{spec.target!r} returned {type(backend).__name__}, expected a JaxBackend"
        raise FactoryError("target", message)
    return backend


def jax_io(function: str, spec: JaxSpec) -> tuple[Any, Any] | None:
    """The ``(preprocess, postprocess)`` of ``spec.io(**options)``, or ``None`` without ``io``."""
    if spec.io is None:
        return None
    try:
        io = import_target(spec.io)
    except FactoryError as exc:
        raise FactoryError("io", str(exc)) from None
    parts = io(**spec.options)
    if not (isinstance(parts, tuple) and len(parts) == 2):
        raise FactoryError("io", f"{spec.io!r} must return (preprocess, postprocess)")
    return parts


def callable_factory(function: str, spec: CallableSpec) -> Backend:
    """A ``CallableBackend`` of the function at ``spec.target``."""
    from fmpc.runtime.backends.callable import CallableBackend

    fn = import_target(spec.target)
    options = spec.options
    return CallableBackend(
        spec.name,
        function,
        fn,
        spec.cost,
        batched=options.batched,
        with_confidence=options.with_confidence,
    )


def http_factory(function: str, spec: HttpSpec) -> Backend:
    """An ``HttpBackend`` for the server and model of ``spec``."""
    from fmpc.runtime.backends.http import HttpBackend

    options = spec.options
    api_key = None
    if options.api_key_env is not None:
        api_key = os.environ.get(options.api_key_env)
        if api_key is None:
            message = f"environment variable {options.api_key_env!r} is not set"
            raise FactoryError("options.api_key_env", message)
    return HttpBackend(
        spec.name,
        function,
        spec.endpoint,
        spec.model,
        spec.cost,
        timeout=spec.timeout,
        deadline=spec.deadline,
        retries=spec.retries,
        max_concurrency=spec.max_concurrency,
        backoff=options.backoff,
        max_backoff=options.max_backoff,
        default_confidence=options.default_confidence,
        logprobs=options.logprobs,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
        api_key=api_key,
        extra_body=options.extra_body,
    )


BUILTIN_BACKEND_TYPES = BackendTypes(
    entries={
        "jax": BackendType("jax", JaxSpec, jax_factory, io=jax_io),
        "http": BackendType("http", HttpSpec, http_factory),
        "callable": BackendType("callable", CallableSpec, callable_factory),
    }
)
"""The runtime's own backend types."""


@functools.cache
def backend_types() -> BackendTypes:
    """The built-in backend types and those installed plugins declare (entry points of group
    ``fmpc.backend_types``), discovered once per process; a plugin loads when a config names
    its type, and ``PluginError`` names a broken one."""
    return discover_backend_types()


def discover_backend_types(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> BackendTypes:
    """The built-in backend types and those of ``entry_points`` (default: the installed ones)."""
    plugins = discover(BACKEND_TYPES_GROUP, BUILTIN_BACKEND_TYPES, _check_type, entry_points)
    return BackendTypes(entries=BUILTIN_BACKEND_TYPES, plugins=plugins)


def _check_type(name: str, loaded: Any) -> BackendType:
    if not isinstance(loaded, BackendType):
        raise ValueError(f"expected a BackendType, got {type(loaded).__name__}")
    if loaded.name != name:
        raise ValueError(f"the entry point is named {name!r}, its BackendType {loaded.name!r}")
    return loaded


def build_backends(
    config: BackendConfig,
    factories: Mapping[str, BackendFactory] | None = None,
    *,
    types: BackendTypes | None = None,
) -> BackendTable:
    """Build every backend of ``config`` with the factories of ``types`` (default:
    ``backend_types()``); ``factories`` add to / replace them by type name.

    Raises ``ConfigError`` listing every entry that could not be built, by key path.
    """
    known = backend_types() if types is None else types
    named = {spec.type for specs in config.functions.values() for spec in specs}
    table = {name: known[name].factory for name in named if name in known}  # loads only these
    table.update(factories or {})
    backends: dict[str, tuple[Backend, ...]] = {}
    issues: list[ConfigIssue] = []
    for function, specs in config.functions.items():
        built = [_build_one(table, function, i, spec, issues) for i, spec in enumerate(specs)]
        backends[function] = tuple(b for b in built if b is not None)
    if issues:
        for group in backends.values():
            BackendTable.of(group).close()
        raise ConfigError(config.source, issues)
    fallbacks = {
        (function, spec.name): spec.fallback
        for function, specs in config.functions.items()
        for spec in specs
        if spec.fallback is not None
    }
    return BackendTable(backends, fallbacks)


def check_backends(config: BackendConfig, *, types: BackendTypes | None = None) -> None:
    """Resolve every entry of ``config`` as far as it can be without loading a model: a
    ``jax`` entry's ``target`` (and ``io``) must import as callables; every other entry is
    built by its type's factory and closed at once (a ``callable`` target imports, an ``http``
    entry's API key variable is set, a zoo model exists; nothing is called or connected).
    Raises ``ConfigError`` listing each entry that does not resolve, by key path."""
    known = backend_types() if types is None else types
    build_backends(config, {"jax": _resolve_jax}, types=known).close()


class _Resolved(NamedBackend):
    """What ``check_backends`` puts in place of a jax backend whose target resolved."""

    def cost(self, args: Any) -> float:
        return 0.0

    def __call__(self, batch: Any) -> list[Any]:
        raise NotImplementedError("a resolved entry is not a backend")


def _resolve_jax(function: str, spec: JaxSpec) -> Backend:
    import_target(spec.target)
    if spec.io is not None:
        try:
            import_target(spec.io)
        except FactoryError as exc:
            raise FactoryError("io", str(exc)) from None
    return _Resolved(spec.name, function)


def load_backends(
    path: str | Path,
    factories: Mapping[str, BackendFactory] | None = None,
    *,
    library: Library | None = None,
    types: BackendTypes | None = None,
) -> BackendTable:
    """``build_backends(load_config(path, library=, types=), factories, types=)``."""
    config = load_config(path, library=library, types=types)
    return build_backends(config, factories, types=types)


def _build_one(
    factories: Mapping[str, BackendFactory],
    function: str,
    index: int,
    spec: Any,
    issues: list[ConfigIssue],
) -> Backend | None:
    path = f"functions.{function}[{index}]"
    factory = factories.get(spec.type)
    if factory is None:
        message = (
            f"no factory for backend type {spec.type!r} (pass factories={{{spec.type!r}: ...}})"
        )
        issues.append(ConfigIssue(f"{path}.type", message))
        return None
    try:
        backend = factory(function, spec)
    except FactoryError as exc:
        issues.append(ConfigIssue(f"{path}.{exc.key}", str(exc)))
        return None
    except Exception as exc:  # a factory's failure is reported at its entry
        message = f"cannot build backend {spec.name!r}: {type(exc).__name__}: {exc}"
        issues.append(ConfigIssue(path, message))
        return None
    if backend.name != spec.name or backend.function != function:
        message = (
            f"the {spec.type} factory built backend {backend.name!r} ({backend.function}), "
            f"expected {spec.name!r} ({function})"
        )
        issues.append(ConfigIssue(path, message))
        return None
    return backend
