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

Serving: a policy that also implements ``BackgroundLearner`` can learn off the request path. After
``defer_updates()`` it never trains while an input begins; a worker thread calls ``update()``
whenever ``update_due()``, and decisions keep using the last parameters ``update`` published.

The protocol lives in the runtime because the executor calls it; the implementations (and
``BasePolicy``, their defaults) live in ``fmpc.policies``.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from fmpc.runtime.trace import Trace

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
    nominal cost of one call of each (``nan`` when unknown until measured). ``sign``: which way
    the program's answer moves when one of the site's outputs rises (``"+"``, ``"-"``, ``"+-"``
    for either or unknown, ``"0"`` for never; ``fmpc.passes.analyses.signs``).
    """

    site: int
    fn: str
    backends: tuple[str, ...]
    costs: tuple[float, ...]
    sign: str = "+-"

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

    def recheck(self, answer: Any, trace: Trace) -> Mapping[int, int] | None:
        """After the program answered ``answer`` (``trace``: every call it made), whether to
        run it again: a backend index per site for the second run (sites left out are decided
        by ``decide`` again), or ``None`` (the default) to keep the answer.

        The executor runs the program once more with that plan and the second answer is the
        input's. A call the first run already made (same site, backend and arguments) is
        reused at no cost; the new calls are in the trace with ``via="recheck"``. If the
        second run fails, the first answer stands.
        """
        return None


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


@runtime_checkable
class BackgroundLearner(Protocol):
    """A policy whose training can run in a background thread (see the module docstring)."""

    def defer_updates(self) -> None:
        """From now on, train only in ``update``, never while an input begins."""
        ...

    def update_due(self) -> bool:
        """Whether enough feedback arrived since the last update to train again."""
        ...

    def update(self) -> bool:
        """Train on the feedback observed since the last update and publish the result; whether
        anything was trained. Decisions and ``observe`` may run in other threads meanwhile."""
        ...
