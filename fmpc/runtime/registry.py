"""Registries: named plugins (backend types, worlds) the runtime finds without naming their
owners.

A registry is a table from names to entries: the runtime's own built-ins, then what installed
distributions declare as Python entry points of the registry's group (``importlib.metadata``),
sorted by name. fmpc's embedded world and model zoo register themselves this way in fmpc's
``pyproject.toml``; a third party does the same in its own::

    [project.entry-points."fmpc.backend_types"]
    onnx = "my_project.onnx_backend:ONNX_BACKEND_TYPE"

Names are known at once; a plugin's module is imported the first time its entry is looked up,
so a registry costs nothing for the plugins a run does not use. A plugin that cannot be
imported or is not what its group expects is a ``PluginError`` naming it, raised where it is
looked up; two plugins of one name are a ``PluginError`` when the registry is made. Lookups are
thread-safe; a registry never changes what it holds: ``extend`` gives a new one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import metadata
from types import MappingProxyType
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R", bound="Registry[Any]")

Loader = Callable[[], T]
"""Imports a plugin and returns its entry (or raises ``PluginError``)."""


class PluginError(ValueError):
    """An entry point cannot be loaded or is not what its group expects; the message says which
    and why."""


class Registry(Mapping[str, T], Generic[T]):
    """Entries by name, in registration order: ``entries`` as given, then ``plugins``, loaded
    on first lookup. ``kind`` names them in messages (``"backend type"``, ``"world"``)."""

    def __init__(
        self,
        kind: str,
        entries: Mapping[str, T] = MappingProxyType({}),
        *,
        plugins: Mapping[str, Loader[T]] = MappingProxyType({}),
    ) -> None:
        self.kind = kind
        self._names = tuple(dict.fromkeys([*entries, *plugins]))
        self._loaded: dict[str, T] = dict(entries)
        self._plugins = MappingProxyType({n: f for n, f in plugins.items() if n not in entries})
        self._lock = threading.RLock()  # a plugin may look up others while it loads

    def __getitem__(self, name: str) -> T:
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = self._plugins[name]()
            return self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind!r}: {', '.join(self) or 'empty'})"

    def loaded(self, name: str) -> bool:
        """Whether ``name``'s entry is at hand (a built-in, or a plugin looked up already)."""
        with self._lock:
            return name in self._loaded

    def extend(self: R, entries: Mapping[str, T]) -> R:
        """A new registry of the same class with ``entries`` added (replacing same-named ones)."""
        with self._lock:
            loaded = dict(self._loaded)
        plugins = {n: f for n, f in self._plugins.items() if n not in loaded}
        return type(self)(self.kind, {**loaded, **entries}, plugins=plugins)

    def unknown(self, name: str) -> str:
        """The message for a name that is not registered: ``unknown world 'mars' (known: ...)``."""
        return f"unknown {self.kind} {name!r} (known: {', '.join(self) or 'none'})"


def discover(
    group: str,
    builtins: Iterable[str],
    check: Callable[[str, Any], T],
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> dict[str, Loader[T]]:
    """A loader per entry point of ``group`` (default: the installed ones), by name, sorted.

    ``check(name, loaded)`` turns a loaded object into the entry, or raises ``ValueError``
    saying what is wrong with it. A name of ``builtins`` or of an earlier entry point is a
    ``PluginError``.
    """
    points = metadata.entry_points(group=group) if entry_points is None else entry_points
    taken = set(builtins)
    loaders: dict[str, Loader[T]] = {}
    for point in sorted(points, key=lambda p: p.name):
        if point.name in taken:
            raise PluginError(f"{_where(point, group)}: the name {point.name!r} is already taken")
        taken.add(point.name)
        loaders[point.name] = _loader(point, group, check)
    return loaders


def _loader(point: metadata.EntryPoint, group: str, check: Callable[[str, Any], T]) -> Loader[T]:
    def load() -> T:
        try:
            loaded = point.load()
        except Exception as exc:  # a broken plugin: say which one and why
            message = f"{_where(point, group)} cannot be loaded: {type(exc).__name__}: {exc}"
            raise PluginError(message) from exc
        try:
            return check(point.name, loaded)
        except ValueError as exc:
            raise PluginError(f"{_where(point, group)}: {exc}") from None

    return load


def _where(point: metadata.EntryPoint, group: str) -> str:
    return f"entry point {point.name!r} = {point.value!r} of group {group!r}"
