"""Policies' defaults and registry: ``BasePolicy`` (the defaults of the ``Policy`` protocol of
``fmpc.runtime.policy``), ``PolicyError``, and the registry that makes policies from text specs
(``static:smallest``, ``random``, ...); a policy module registers its factories with
``register_policy``.
"""

from __future__ import annotations

import abc
import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fmpc.runtime.policy import Episode, Feedback, Policy, SiteInfo

if TYPE_CHECKING:
    from fmpc.runtime.trace import Trace

DEFAULT_WINDOW = 16
"""Inputs per window for policies that do not learn (their decisions never change)."""


class BasePolicy(abc.ABC):
    """Defaults for the ``Policy`` protocol: no binding checks, no learning, no state."""

    window: int = DEFAULT_WINDOW

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """A short name for reports."""

    def bind(self, sites: Mapping[int, SiteInfo]) -> None:
        """Accept any sites."""
        return None

    @abc.abstractmethod
    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """Begin an input."""

    def start_window(
        self, input_ids: Sequence[str], images: Sequence[Any], sites: Mapping[int, SiteInfo]
    ) -> list[Episode]:
        """Begin a window of inputs at once (the executor's ``run_window`` calls this when a
        policy has it): override to encode the window's images in one batch. By default,
        ``start`` per input."""
        return [self.start(i, image, sites) for i, image in zip(input_ids, images, strict=True)]

    def observe(self, trace: Trace, feedback: Feedback) -> None:
        """Do not learn."""
        return None

    def forget(self, input_id: str) -> None:
        """The input begun as ``input_id`` will get no feedback (it has no label): drop what
        was kept for it (``run_stream`` calls this; learning policies override it)."""
        return None

    def state(self) -> Any:
        """No state: ``{}``."""
        return {}

    def restore(self, state: Any) -> None:
        """Accept the empty state only."""
        if state not in ({}, None):
            raise PolicyError(f"policy {self.name} has no state to restore, got {state!r}")

    def __repr__(self) -> str:
        return f"<policy {self.name}>"


class PolicyError(ValueError):
    """A policy cannot be made or cannot route a program; the message says why."""


class UnknownPolicy(PolicyError):
    """A policy spec names no registered policy."""


PolicyFactory = Callable[[str | None, Mapping[str, Any]], Policy]
"""``factory(argument, options) -> Policy``: ``argument`` is the spec's text after the first
``:`` (``None`` without one); ``options`` are the runner's settings (``seed``, and whatever else a
policy documents, e.g. ``lam``); a factory ignores the options it does not use and raises
``PolicyError`` for a bad argument."""


@dataclass(frozen=True)
class _Entry:
    factory: PolicyFactory
    usage: str


_BUILTIN_MODULES = (
    "fmpc.policies.simple",
    "fmpc.policies.baselines",
    "fmpc.policies.oracle",
    "fmpc.policies.neural_ts",
    "fmpc.policies.budget",
    "fmpc.policies.deferral",
)
"""Modules whose import registers fmpc's own policies (imported on the first lookup)."""


class PolicyRegistry:
    """Policy factories by name. Thread-safe.

    ::

        @register_policy("greedy", usage="greedy[:EPSILON]")
        def make_greedy(argument, options):
            return Greedy(float(argument or 0.1), seed=options.get("seed") or 0)

        policy_from_spec("greedy:0.2", seed=3)
    """

    def __init__(self, builtin_modules: tuple[str, ...] = ()) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._builtin_modules = builtin_modules
        self._loaded = not builtin_modules

    def register(
        self, name: str, factory: PolicyFactory, *, usage: str | None = None, replace: bool = False
    ) -> None:
        """Register ``factory`` for specs ``name`` / ``name:ARGUMENT``; ``usage`` shows the accepted
        forms in error messages (default: ``name``)."""
        if not name or ":" in name or name != name.strip():
            raise PolicyError(
                f"a policy name must be non-empty without ':' or spaces, got {name!r}"
            )
        with self._lock:
            if name in self._entries and self._entries[name].factory is not factory and not replace:
                raise PolicyError(f"a policy called {name!r} is already registered")
            self._entries[name] = _Entry(factory, usage or name)

    def names(self) -> tuple[str, ...]:
        """The registered names, sorted."""
        self._load_builtins()
        with self._lock:
            return tuple(sorted(self._entries))

    def usages(self) -> tuple[str, ...]:
        """The accepted spec forms, sorted by name."""
        self._load_builtins()
        with self._lock:
            return tuple(self._entries[n].usage for n in sorted(self._entries))

    def create(self, spec: str, **options: Any) -> Policy:
        """The policy of ``spec`` (``name`` or ``name:ARGUMENT``) made with ``options``."""
        self._load_builtins()
        name, sep, argument = spec.strip().partition(":")
        with self._lock:
            entry = self._entries.get(name)
        if entry is None:
            known = ", ".join(self.usages()) or "none"
            raise UnknownPolicy(f"unknown policy {spec!r} (known: {known})")
        return entry.factory(argument if sep else None, options)

    def _load_builtins(self) -> None:
        if self._loaded:
            return
        for module in self._builtin_modules:
            importlib.import_module(module)
        self._loaded = True


DEFAULT_POLICIES = PolicyRegistry(_BUILTIN_MODULES)
"""The registry ``policy_from_spec`` and ``fmpc run --policy`` use."""


def register_policy(
    name: str, *, usage: str | None = None
) -> Callable[[PolicyFactory], PolicyFactory]:
    """Decorator: register a factory in ``DEFAULT_POLICIES`` under ``name``."""

    def decorate(factory: PolicyFactory) -> PolicyFactory:
        DEFAULT_POLICIES.register(name, factory, usage=usage, replace=True)
        return factory

    return decorate


def policy_from_spec(
    spec: str, *, registry: PolicyRegistry | None = None, **options: Any
) -> Policy:
    """The policy named by ``spec`` (``static:smallest``, ``static:largest``, ``static:<backend>``,
    ``random``, ``random:SEED``, or any registered name); ``UnknownPolicy`` lists the known ones."""
    return (registry or DEFAULT_POLICIES).create(spec, **options)
