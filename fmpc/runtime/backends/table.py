"""``BackendTable``: the backends of every generic function, in order, with their fallbacks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from fmpc.runtime.backends.base import Backend


class BackendTable(Mapping[str, tuple[Backend, ...]]):
    """Maps each generic function to its backends, cheapest first (a policy's choices at a site
    are indices into this tuple), and knows each backend's fallback.

    Immutable; build one from a config file (``fmpc.runtime.backends.build_backends``) or in
    code::

        table = BackendTable.of([small, large], fallbacks={("exists", "small"): "large"})
        table["exists"]              # (small, large)
        table.fallback("exists", "small")  # large
    """

    def __init__(
        self,
        backends: Mapping[str, tuple[Backend, ...]],
        fallbacks: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self._backends = MappingProxyType({f: tuple(bs) for f, bs in backends.items()})
        self._fallbacks = MappingProxyType(dict(fallbacks or {}))
        for function, group in self._backends.items():
            _check_group(function, group)
        for (function, name), target in self._fallbacks.items():
            self.backend(function, name)
            if target == name:
                raise ValueError(f"backend {name!r} ({function}) cannot fall back to itself")
            self.backend(function, target)
        for function, name in self._fallbacks:
            _check_acyclic(self._fallbacks, function, name)

    @classmethod
    def of(
        cls,
        backends: Iterable[Backend],
        fallbacks: Mapping[tuple[str, str], str] | None = None,
    ) -> BackendTable:
        """A table of ``backends`` grouped by their function, keeping their order."""
        groups: dict[str, list[Backend]] = {}
        for backend in backends:
            groups.setdefault(backend.function, []).append(backend)
        return cls({f: tuple(bs) for f, bs in groups.items()}, fallbacks)

    def __getitem__(self, function: str) -> tuple[Backend, ...]:
        try:
            return self._backends[function]
        except KeyError:
            known = ", ".join(sorted(self._backends)) or "none"
            raise KeyError(f"no backends for function {function!r} (configured: {known})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._backends)

    def __len__(self) -> int:
        return len(self._backends)

    def backend(self, function: str, name: str) -> Backend:
        """The backend called ``name`` serving ``function``."""
        for backend in self[function]:
            if backend.name == name:
                return backend
        names = ", ".join(b.name for b in self[function])
        raise KeyError(f"no backend {name!r} for function {function!r} (it has: {names})")

    def fallback(self, function: str, name: str) -> Backend | None:
        """The backend to use when backend ``name`` of ``function`` fails, if one is set.

        Fallback chains never cycle, so following them always ends.
        """
        target = self._fallbacks.get((function, name))
        return None if target is None else self.backend(function, target)

    @property
    def fallbacks(self) -> Mapping[tuple[str, str], str]:
        """``(function, backend name) -> fallback backend name``."""
        return self._fallbacks

    def close(self) -> None:
        """Release what the backends hold (HTTP connections...): calls each one's ``close()``."""
        for group in self._backends.values():
            for backend in group:
                close = getattr(backend, "close", None)
                if callable(close):
                    close()

    def __repr__(self) -> str:
        rows = ", ".join(f"{f}: [{', '.join(b.name for b in bs)}]" for f, bs in self.items())
        return f"BackendTable({rows})"


def _check_group(function: str, group: tuple[Backend, ...]) -> None:
    if not group:
        raise ValueError(f"function {function!r} has no backends")
    seen: set[str] = set()
    for backend in group:
        if backend.function != function:
            raise ValueError(
                f"backend {backend.name!r} serves {backend.function!r}, listed under {function!r}"
            )
        if backend.name in seen:
            raise ValueError(f"two backends of {function!r} are called {backend.name!r}")
        seen.add(backend.name)


def _check_acyclic(fallbacks: Mapping[tuple[str, str], str], function: str, start: str) -> None:
    chain = [start]
    while (target := fallbacks.get((function, chain[-1]))) is not None:
        if target in chain:
            cycle = " -> ".join([*chain[chain.index(target) :], target])
            raise ValueError(f"fallbacks of {function!r} form a cycle: {cycle}")
        chain.append(target)
