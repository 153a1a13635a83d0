"""The policy protocol: how a policy chooses a backend at every call site of every input.

The executor drives a policy in three steps per input::

    policy.bind(sites)                               # once per executor: check / size itself
    episode = policy.start(input_id, image, sites)   # per input: decide up front, or prepare
    index = episode.decide(site, features)           # per site execution: index into backends
    ...
    policy.observe(trace, feedback)                  # after the answer, when feedback arrives

``sites`` maps each call-site id the policy decides to its ``SiteInfo``: the generic function,
the backend choices (cheapest first) and their nominal costs. ``decide`` returns an index into
``SiteInfo.backends``. An up-front policy decides everything in ``start`` and looks the answer up
in ``decide``; an adaptive one decides each site when it is reached, from ``features``: what the
run has computed so far (see ``feature_key``). The executor measures the wall time spent in
``start`` and ``decide``, and charges ``Episode.compute_cost`` (the policy's own FLOPs for the
input) to the input's cost.

Streaming: a runner runs ``policy.window`` consecutive inputs as one window (decided with the
same state, their backend calls batched), then calls ``observe`` for each, in input order. A
policy learns only in ``observe``; its decisions for an input must depend only on its state, the
input and that input's own features, so that a window gives the same decisions as one input at a
time. A policy may also define ``start_window(input_ids, images, sites) -> list[Episode]`` (as
``BasePolicy`` does) to begin a whole window at once, e.g. encoding its images in one batch; the
executor then calls it instead of ``start`` for each input of a window.

State: ``state()`` returns a pytree (nested dicts/lists of arrays and numbers) that
``restore(state)`` accepts, so checkpoints can save it (Orbax).

Policies are made from text specs (``static:smallest``, ``random``, ...) through a registry;
a policy module registers its factories with ``register_policy``.
"""

from __future__ import annotations

import abc
import importlib
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from fmpc.runtime.trace import Trace

DEFAULT_WINDOW = 16
"""Inputs per window for policies that do not learn (their decisions never change)."""

EXECUTION = "execution"
"""Feature: how many times this site already ran on this input (0 on its first execution)."""

COST_SO_FAR = "cost_so_far"
"""Feature: the backend cost of the input so far."""

CALLS_SO_FAR = "calls_so_far"
"""Feature: backend calls made for the input so far."""

SITE_FEATURES = ("confidence", "output", "backend", "cost")
"""Per executed site, the features of its latest successful call: the backend's confidence, the
output as a number (bool: 0/1, int/float: itself, a list: its length, "yes"/"no": 1/0; absent for
other values), the chosen backend's index and the call's cost."""


def feature_key(site: int, kind: str) -> str:
    """The feature name of ``kind`` (one of ``SITE_FEATURES``) for ``site``: ``site3.confidence``."""
    return f"site{site}.{kind}"


@dataclass(frozen=True)
class SiteInfo:
    """What a policy needs to know about one call site.

    ``backends`` are the names of the backends it may choose from, cheapest first; ``costs`` the
    nominal cost of one call of each (``nan`` when unknown until measured).
    """

    site: int
    fn: str
    backends: tuple[str, ...]
    costs: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.backends:
            raise ValueError(f"site {self.site} ({self.fn}) has no backends")
        if len(self.costs) != len(self.backends):
            raise ValueError(
                f"site {self.site}: {len(self.costs)} costs for {len(self.backends)} backends"
            )

    def index(self, backend: str) -> int:
        """The index of the backend called ``backend``; ``KeyError`` naming the choices."""
        try:
            return self.backends.index(backend)
        except ValueError:
            choices = ", ".join(self.backends)
            raise KeyError(
                f"site {self.site} ({self.fn}) has no backend {backend!r} (choices: {choices})"
            ) from None


@dataclass(frozen=True)
class Feedback:
    """What is known after an input was answered: its ``label``, the program's ``answer`` and the
    ``loss`` (0 when correct, 1 when wrong or when the run failed)."""

    label: Any
    answer: Any
    loss: float

    @property
    def correct(self) -> bool:
        """Whether the answer matched the label."""
        return self.loss == 0.0

    @classmethod
    def of(cls, answer: Any, label: Any, *, error: str | None = None) -> Feedback:
        """Feedback with the 0/1 loss of ``answers_match`` (1 when the run failed)."""
        wrong = error is not None or not answers_match(answer, label)
        return cls(label, answer, 1.0 if wrong else 0.0)


def answers_match(answer: Any, label: Any) -> bool:
    """Whether ``answer`` equals ``label``: strings ignoring case and surrounding space, numbers
    within 1e-9, a bool against ``"yes"``/``"no"``; anything else with ``==``."""
    if isinstance(answer, bool) and isinstance(label, str):
        answer = "yes" if answer else "no"
    if isinstance(label, bool) and isinstance(answer, str):
        label = "yes" if label else "no"
    if isinstance(answer, str) and isinstance(label, str):
        return answer.strip().lower() == label.strip().lower()
    if _is_number(answer) and _is_number(label):
        return math.isclose(float(answer), float(label), rel_tol=1e-9, abs_tol=1e-9)
    return bool(answer == label) and type(answer) is type(label)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Episode(abc.ABC):
    """A policy's decisions for one input. ``compute_cost`` is the policy's own compute for the
    input (FLOPs), read by the executor when the run ends."""

    compute_cost: float = 0.0

    @abc.abstractmethod
    def decide(self, site: int, features: Mapping[str, float]) -> int:
        """The index (into ``SiteInfo.backends``) of the backend for this execution of ``site``.

        ``features`` is a read-only live view of what the run computed so far (``EXECUTION``,
        ``COST_SO_FAR``, ``CALLS_SO_FAR`` and ``feature_key(s, kind)`` of every executed site);
        copy it to keep it beyond the call.
        """


@runtime_checkable
class Policy(Protocol):
    """Chooses a backend at each call site; see the module docstring."""

    @property
    def name(self) -> str:
        """A short name for reports (``static:smallest``, ``random(seed=0)``...)."""
        ...

    @property
    def window(self) -> int:
        """How many consecutive inputs may be decided with the same state (one window)."""
        ...

    def bind(self, sites: Mapping[int, SiteInfo]) -> None:
        """Check that the policy can route ``sites`` (else ``PolicyError`` saying why); called
        once by each executor before any input. A learned policy may size itself here."""
        ...

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """Begin an input: decide up front or prepare to decide per site."""
        ...

    def observe(self, trace: Trace, feedback: Feedback) -> None:
        """Learn from a finished input (policies that do not learn ignore it)."""
        ...

    def state(self) -> Any:
        """The policy's state as a pytree."""
        ...

    def restore(self, state: Any) -> None:
        """Continue from a state returned by ``state()``."""
        ...


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
