"""Turn a validated ``BackendConfig`` into live backends (a ``BackendTable``).

Each backend ``type`` is built by a **factory** ``factory(function, spec) -> Backend``. ``jax``,
``http`` and ``callable`` have default factories; ``zoo`` and ``perfect`` are supplied by whoever
owns them (the model zoo, the embedded world), and users may add or replace any::

    table = build_backends(load_config("backends.yaml"), factories={"zoo": zoo_factory})
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fmpc.library import Library
from fmpc.runtime.backends.base import Backend
from fmpc.runtime.backends.callable import CallableBackend
from fmpc.runtime.backends.http import HttpBackend
from fmpc.runtime.backends.jax import JaxBackend
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.config import (
    BackendConfig,
    CallableSpec,
    ConfigError,
    ConfigIssue,
    HttpSpec,
    JaxSpec,
    load_config,
)

BackendFactory = Callable[[str, Any], Backend]
"""``factory(function, spec) -> Backend``; ``spec`` is the entry's validated spec model.

A factory raises ``ValueError`` (or any exception) with a readable message when it cannot build
the backend; the message is reported at the entry's key path."""


class _BuildError(ValueError):
    """A factory's problem with one key of the entry (``key`` is appended to its path)."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


def import_target(target: str) -> Any:
    """The object at ``package.module:attribute`` (the attribute may be dotted)."""
    module_name, _, attribute = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise _BuildError("target", f"cannot import module {module_name!r} ({exc})") from None
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise _BuildError("target", f"module {module_name!r} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise _BuildError("target", f"{target!r} is not callable")
    return obj


def jax_factory(function: str, spec: JaxSpec) -> Backend:
    """Call ``spec.target(name=, function=, **options)``; it must return a ``JaxBackend``."""
    backend = import_target(spec.target)(name=spec.name, function=function, **spec.options)
    if not isinstance(backend, JaxBackend):
        message = f"{spec.target!r} returned {type(backend).__name__}, expected a JaxBackend"
        raise _BuildError("target", message)
    return backend


def callable_factory(function: str, spec: CallableSpec) -> Backend:
    """A ``CallableBackend`` of the function at ``spec.target``."""
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
    options = spec.options
    api_key = None
    if options.api_key_env is not None:
        api_key = os.environ.get(options.api_key_env)
        if api_key is None:
            message = f"environment variable {options.api_key_env!r} is not set"
            raise _BuildError("options.api_key_env", message)
    return HttpBackend(
        spec.name,
        function,
        spec.endpoint,
        spec.model,
        spec.cost,
        timeout=spec.timeout,
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


DEFAULT_FACTORIES: Mapping[str, BackendFactory] = MappingProxyType(
    {"jax": jax_factory, "http": http_factory, "callable": callable_factory}
)
"""The factories ``build_backends`` uses unless given others."""


def build_backends(
    config: BackendConfig, factories: Mapping[str, BackendFactory] | None = None
) -> BackendTable:
    """Build every backend of ``config`` (``factories`` add to / replace the defaults).

    Raises ``ConfigError`` listing every entry that could not be built, by key path.
    """
    table = {**DEFAULT_FACTORIES, **(factories or {})}
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


def load_backends(
    path: str | Path,
    factories: Mapping[str, BackendFactory] | None = None,
    *,
    library: Library | None = None,
) -> BackendTable:
    """``build_backends(load_config(path, library=library), factories)``."""
    return build_backends(load_config(path, library=library), factories)


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
    except _BuildError as exc:
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
