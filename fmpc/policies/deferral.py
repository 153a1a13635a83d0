"""Learned deferral: answer cheaply, then re-check with the large backends the inputs whose cheap
answer is likely wrong (docs/policies.md).

Specs (``policy_from_spec`` / ``fmpc run --policy``)::

    defer                      lam from --lam, the shipped warm start
    defer:lam=0.02,warm=none   hyperparameters as KEY=VALUE items (see ``DeferralConfig``)

Every input first runs with every call site on its cheapest backend. From that run the policy
computes program-independent features (``fmpc.policies.deferral_features``) and three small
models (``fmpc.policies.deferral_model``) estimate ``p``, the probability that the cheap answer
is wrong, ``fix``, the probability that a re-check answers right when it was, and ``brk``, the
probability that a re-check answers wrong when it was right. Re-checking (running the program
again with the doubtful calls, and the sites the first run never reached, on their largest
backends: ``PLANS``, ``Episode.recheck``; the calls it repeats are free) pays when its expected
gain in errors exceeds its cost::

    gain = p * fix * w(error fixed) - (1 - p) * brk * w(error made)  >  lam * extra_cost / C

``extra_cost`` is what upgrading the calls of the cheap run costs, ``C`` the program's
reference cost (every site once on its largest backend). So **lam is the number of wrong
answers one all-largest pass is worth**: 0 re-checks whenever a re-check may help; the larger
``lam``, the surer a re-check must be to pay. For yes/no labels the weights ``w`` count a
missed yes (a false negative) ``error_weights[0]`` times and a false yes ``error_weights[1]``
times (F1 suffers more from the former).

Learning needs no exploration for ``p``: the cheap answer is computed on every input, so every
label says whether it was right (full information), and ``p`` is fitted on all of them. ``fix``
and ``brk`` are learned only from re-checked inputs, so they are Bayesian and sampled per
input (Thompson sampling): a re-check whose worth is uncertain is tried, and the exploration
fades as their posteriors narrow.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fmpc.policies.base import BasePolicy, PolicyError, register_policy
from fmpc.policies.deferral_features import (
    DOUBT,
    FEATURES,
    answer_kind,
    feature_flops,
    image_statistics,
    output_can_fall,
    output_can_rise,
    run_features,
)
from fmpc.policies.deferral_model import (
    HEADS,
    INITIAL_RATES,
    Head,
    Standardizer,
    WarmStart,
    fit_heads,
    read_warm_start,
)
from fmpc.policies.pending import PendingInputs
from fmpc.runtime.policy import Episode, Feedback, SiteInfo, answers_match

if TYPE_CHECKING:
    from fmpc.runtime.trace import Trace

WARM_START = Path(__file__).with_name("weights") / "deferral.json"
"""The shipped warm start (``fmpc.policies.pretrain``)."""

MAX_PENDING = 8192
"""Inputs begun but not yet observed that the policy remembers."""


@dataclass(frozen=True)
class DeferralConfig:
    """Hyperparameters of the deferral policy (defaults in docs/policies.md).

    ``lam``: wrong answers one all-largest pass is worth (the cost weight); ``error_weights``:
    (missed yes, false yes) weights for yes/no labels; ``update_every`` (k): inputs between
    updates, also the window; ``buffer_size``: labelled inputs kept; ``steps``,
    ``learning_rate``: Adam steps per update on the whole buffer; ``prior``: strength of the
    pull towards the warm start (L2 on the difference, worth this many inputs); ``hidden``:
    hidden units of the ``wrong`` head (0: logistic regression); ``nu``: scale of the Thompson
    samples of ``fix`` and ``brk``; ``plan``: what a re-check upgrades (``PLANS``);
    ``warm_start``: ``builtin`` (the shipped models), ``none``
    or a file; ``exclude``: benchmark queries the warm start must not have seen (a model
    trained without them is picked); ``seed``; ``fix_rate``, ``break_rate``: what the ``fix``
    and ``break`` heads believe before they have seen a re-check (their prior mean), and
    ``rate_weight``: how many re-checks that belief is worth.
    """

    lam: float = 0.003
    error_weights: tuple[float, float] = (2.0, 1.0)
    update_every: int = 32
    buffer_size: int = 4096
    steps: int = 15
    learning_rate: float = 0.05
    prior: float = 20.0
    hidden: int = 8
    nu: float = 1.0
    plan: str = "doubtful"
    warm_start: str = "none"
    exclude: tuple[str, ...] = ()
    seed: int = 0
    fix_rate: float = INITIAL_RATES["fix"]
    break_rate: float = INITIAL_RATES["break"]
    rate_weight: float = 200.0

    def __post_init__(self) -> None:
        if not (self.lam >= 0 and math.isfinite(self.lam)):
            raise PolicyError(f"lam must be a finite number >= 0, got {self.lam}")
        for name in ("update_every", "buffer_size", "steps"):
            if getattr(self, name) < 1:
                raise PolicyError(f"{name} must be >= 1, got {getattr(self, name)}")
        if (
            min(self.hidden, self.prior, self.nu, self.rate_weight) < 0
            or not self.learning_rate > 0
        ):
            raise PolicyError("hidden, prior and nu must be >= 0 and learning_rate > 0")
        if self.plan not in PLANS:
            raise PolicyError(f"plan must be one of {', '.join(PLANS)}, got {self.plan!r}")
        if not (0 < self.fix_rate < 1 and 0 < self.break_rate < 1):
            raise PolicyError(
                f"fix_rate and break_rate are probabilities strictly between 0 and 1, got "
                f"{self.fix_rate:g} and {self.break_rate:g}"
            )
        if len(self.error_weights) != 2 or min(self.error_weights) <= 0:
            raise PolicyError(f"error_weights are two numbers > 0, got {self.error_weights}")

    @classmethod
    def from_items(cls, argument: str | None, options: Mapping[str, Any]) -> DeferralConfig:
        """A config from the runner's options (``lam``, ``seed``, and ``benchmark_query``: the
        query a benchmark scores, which the warm start must not have seen) and ``KEY=VALUE``
        items of the spec (pairs written ``A/B``: ``error_weights=2/1``)."""
        values: dict[str, Any] = {}
        for key in ("lam", "seed"):
            if options.get(key) is not None:
                values[key] = type(getattr(cls, key))(options[key])
        if options.get("benchmark_query"):  # the warm start must not have seen it
            values["exclude"] = (str(options["benchmark_query"]),)
        for item in (argument or "").split(","):
            if item.strip():
                values.update(_config_item(item.strip()))
        return cls(**values)

    def to_items(self) -> str:
        """Every hyperparameter as the ``KEY=VALUE`` items ``from_items`` reads."""
        items = []
        for f in fields(self):
            if f.name == "exclude":
                continue
            value = getattr(self, f.name)
            text = "/".join(f"{v:g}" for v in value) if isinstance(value, tuple) else str(value)
            items.append(f"{_KEYS.get(f.name, f.name)}={text}")
        return ",".join(items)


_ALIASES = {"k": "update_every", "lr": "learning_rate", "warm": "warm_start"}
_KEYS = {v: k for k, v in _ALIASES.items()}
_ALIASES.update({"buffer": "buffer_size", "weights": "error_weights"})


def _config_item(item: str) -> dict[str, Any]:
    key, sep, text = (part.strip() for part in item.partition("="))
    name = _ALIASES.get(key, key)
    known = {f.name: f for f in fields(DeferralConfig)}
    if not sep or name not in known or name == "exclude":
        accepted = ", ".join(sorted((set(known) - {"exclude"}) | set(_ALIASES)))
        raise PolicyError(
            f"bad policy option {item!r}: expected KEY=VALUE with KEY one of {accepted}"
        )
    try:
        default = getattr(DeferralConfig, name)
        if isinstance(default, tuple):
            return {name: tuple(float(v) for v in text.split("/"))}
        return {name: type(default)(text)}
    except ValueError:
        raise PolicyError(f"bad policy option {item!r}: {text!r} is not a valid value") from None


# ---------------------------------------------------------------- per-input state


@dataclass
class _Pending:
    """What ``observe`` needs about one begun input."""

    features: np.ndarray | None = None
    first_answer: Any = None
    rechecked: bool = False


@dataclass
class _Learning:
    """Everything the policy learns; swapped as a whole under the lock. The buffer holds, per
    labelled input: its features, whether the cheap answer was wrong, whether it was
    re-checked and whether the re-check answered right."""

    heads: dict[str, Head]
    standardizer: Standardizer | None
    features: np.ndarray
    outcomes: np.ndarray
    rows: int = 0
    started: int = 0
    next_update: int = 0
    updates: int = 0
    observed: int = 0
    rechecks: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    fitted_rows: int = 0


WRONG, RECHECKED, SECOND_RIGHT = 0, 1, 2
"""Columns of ``_Learning.outcomes``."""


@dataclass(frozen=True)
class _Snapshot:
    heads: Mapping[str, Head]
    standardizer: Standardizer | None
    lam: float


class _DeferEpisode(Episode):
    """Cheapest everywhere; after the answer, maybe a re-check on the largest backends."""

    def __init__(
        self, policy: DeferralPolicy, snapshot: _Snapshot, input_id: str, stats: np.ndarray,
        cost: float, pending: _Pending,
    ) -> None:  # fmt: skip
        self._policy = policy
        self._snapshot = snapshot
        self._input_id = input_id
        self._stats = stats
        self._pending = pending
        self.compute_cost = cost

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        return 0

    def recheck(self, answer: Any, trace: Trace) -> Mapping[int, int] | None:
        plan, cost = self._policy.consider(
            self._snapshot, self._input_id, self._stats, answer, trace, self._pending
        )
        self.compute_cost += cost
        return plan


# ---------------------------------------------------------------- the policy


class DeferralPolicy(BasePolicy):
    """Learned deferral with answer-aware re-checking; see the module docstring.

    Streaming: the inputs ``[j*k, (j+1)*k)`` (k = ``config.update_every``, also ``window``) are
    all decided with what was learned from the inputs observed before input ``j*k`` began, so a
    window decides exactly as one input at a time. Thread-safe.
    """

    kind = "defer"

    def __init__(self, config: DeferralConfig | None = None) -> None:
        self.config = config or DeferralConfig()
        self.window = self.config.update_every
        self._lock = threading.RLock()
        self._sites: Mapping[int, SiteInfo] | None = None
        self._reference = 1.0
        self._learning: _Learning | None = None
        self._pending: PendingInputs[_Pending] = PendingInputs(MAX_PENDING)
        self._deferred = False
        self._updating = threading.Lock()  # one background refit at a time

    @property
    def name(self) -> str:
        """``defer(lam=L)``."""
        return f"{self.kind}(lam={self.config.lam:g})"

    @property
    def spec(self) -> str:
        """A spec that makes this policy again with every hyperparameter
        (``defer:lam=0.05,weights=2/1,...``), as an artifact records it."""
        return f"{self.kind}:{self.config.to_items()}"

    # ------------------------------------------------------------ binding

    def bind(self, sites: Mapping[int, SiteInfo]) -> None:
        """Learn afresh (from the warm start) for ``sites``; binding again to the same sites
        keeps what was learned."""
        with self._lock:
            if self._sites is not None:
                if _signature(self._sites) != _signature(sites):
                    raise PolicyError(
                        f"policy {self.name} already learns for other call sites; "
                        "make one policy per program"
                    )
                return
            self._sites = dict(sites)
            self._reference = reference_cost(sites)
            self._learning = self._fresh()

    def _fresh(self) -> _Learning:
        c = self.config
        n = len(FEATURES)
        heads = initial_heads(c)
        warm = load_warm_start(c.warm_start, c.exclude, heads) if c.warm_start != "none" else None
        return _Learning(
            dict(warm.heads) if warm else heads,
            warm.standardizer if warm else None,
            np.zeros((c.buffer_size, n), np.float32),
            np.zeros((c.buffer_size, 3), np.float32),
            next_update=c.update_every,
        )

    # ------------------------------------------------------------ deciding

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """Begin one input."""
        return self.start_window([input_id], [image], sites)[0]

    def start_window(
        self, input_ids: Sequence[str], images: Sequence[Any], sites: Mapping[int, SiteInfo]
    ) -> list[Episode]:
        """Begin a window (training first when an update is due)."""
        if self._sites is None:
            self.bind(sites)
        snapshot = self._begin(len(images))
        stats = image_statistics(list(images))
        episodes: list[Episode] = []
        for input_id, image, row in zip(input_ids, images, stats, strict=True):
            pending = _Pending()  # the episode's own: ids may repeat
            flops = feature_flops(image)
            episodes.append(_DeferEpisode(self, snapshot, input_id, row, flops, pending))
            with self._lock:
                self._pending.add(input_id, pending)
        return episodes

    def _begin(self, count: int) -> _Snapshot:
        with self._lock:
            learning = self._learned()
            if not self._deferred and learning.started >= learning.next_update:
                self._update(learning)
                k = self.config.update_every
                learning.next_update = (learning.started // k + 1) * k
            learning.started += count
            return _Snapshot(dict(learning.heads), learning.standardizer, self.config.lam)

    def consider(
        self,
        snapshot: _Snapshot,
        input_id: str,
        stats: np.ndarray,
        answer: Any,
        trace: Trace,
        pending: _Pending,
    ) -> tuple[dict[int, int] | None, float]:
        """The re-check plan for a cheap run (``None``: keep its answer) and the FLOPs spent;
        what observe will need is kept in the input's ``pending``."""
        sites = self._bound()
        x = run_features(answer, trace, stats, self._reference)
        z = snapshot.standardizer(x) if snapshot.standardizer is not None else x
        heads = snapshot.heads
        rng = np.random.default_rng([self.config.seed, _hash(input_id)])
        noise = rng.standard_normal((2, len(z) + 1)) * self.config.nu
        p = heads["wrong"].probability(z)
        fix = heads["fix"].probability(z, noise[0])
        brk = heads["break"].probability(z, noise[1])
        fixed, made = self._weights(answer)
        gain = p * fix * fixed - (1.0 - p) * brk * made
        plan = recheck_plan(trace, sites, self.config.plan, answer)
        extra = upgrade_cost(trace, sites, plan) / self._reference
        recheck = gain > snapshot.lam * extra and extra > 0
        with self._lock:
            pending.features, pending.first_answer, pending.rechecked = x, answer, recheck
        cost = sum(head.flops for head in heads.values())
        if not recheck:
            return None, cost
        return plan, cost

    def _weights(self, answer: Any) -> tuple[float, float]:
        """(weight of the error a re-check fixes, of the one it makes) for the cheap answer."""
        missed_yes, false_yes = self.config.error_weights
        kind = answer_kind(answer)
        if kind == "no":
            return missed_yes, false_yes
        if kind == "yes":
            return false_yes, missed_yes
        return 1.0, 1.0

    # ------------------------------------------------------------ learning

    def observe(self, trace: Trace, feedback: Feedback) -> None:
        """Learn whether the cheap answer was right and, after a re-check, whether it helped.
        Inputs with a missing or invalid label, or unknown to the policy, are counted in
        ``report()["feedback_skipped"]``."""
        with self._lock:
            learning = self._learned()
            pending = self._pending.pop(trace.input_id)
            reason = _label_problem(feedback.label)
            if reason is None and (pending is None or pending.features is None):
                reason = "unknown input"
            if reason is not None or pending is None or pending.features is None:
                learning.skipped[reason or "unknown input"] += 1
                return
            first_right = answers_match(pending.first_answer, feedback.label)
            i = learning.rows % self.config.buffer_size
            learning.features[i] = pending.features
            learning.outcomes[i] = (not first_right, pending.rechecked, feedback.correct)
            learning.rows += 1
            learning.rechecks += int(pending.rechecked)
            learning.observed += 1

    def _update(self, learning: _Learning) -> None:
        """Refit the three heads on the buffer (called under the lock)."""
        refit = self._refit(learning.heads, learning.standardizer, learning.features,
                            learning.outcomes, learning.rows)  # fmt: skip
        if refit is not None:
            learning.heads, learning.standardizer = refit
            learning.updates += 1
            learning.fitted_rows = learning.rows

    def _refit(
        self,
        heads: Mapping[str, Head],
        standardizer: Standardizer | None,
        features: np.ndarray,
        outcomes: np.ndarray,
        added: int,
    ) -> tuple[dict[str, Head], Standardizer] | None:
        """The heads (and the standardisation, fixed at the first refit) fitted on the first
        ``added`` buffer rows (all of it once the ring is full); ``None`` without rows."""
        c = self.config
        n = min(added, c.buffer_size)
        if n == 0:
            return None
        rows = min(max(256, 1 << (n - 1).bit_length()), c.buffer_size)  # few compiled shapes
        held = (np.arange(rows) < n).astype(np.float32)
        x = features[:rows]
        standardizer = standardizer or Standardizer.of(x[:n], held[:n])
        wrong, rechecked, second_right = outcomes[:rows].T
        data = {
            "wrong": (wrong, held),
            "fix": (second_right, held * rechecked * wrong),
            "break": (1.0 - second_right, held * rechecked * (1.0 - wrong)),
        }
        fitted = fit_heads(heads, standardizer(x), data, steps=c.steps,
                           learning_rate=c.learning_rate, prior=c.prior)  # fmt: skip
        return fitted, standardizer

    # ------------------------------------------------------------ background learning

    def defer_updates(self) -> None:
        """Refit only in ``update`` from now on, never when a window begins (a serving worker
        calls ``update`` off the request path; decisions use the last published heads)."""
        with self._lock:
            self._deferred = True

    def update_due(self) -> bool:
        """Whether ``update_every`` labelled inputs arrived since the last refit."""
        with self._lock:
            learning = self._learning
            return (
                learning is not None
                and learning.rows - learning.fitted_rows >= self.config.update_every
            )

    def update(self) -> bool:
        """Refit on everything observed so far, outside the lock, and publish the new heads;
        ``False`` when nothing new was observed. Decisions and ``observe`` go on meanwhile."""
        with self._updating:
            with self._lock:
                learning = self._learning
                if learning is None or learning.rows == learning.fitted_rows:
                    return False
                job = (dict(learning.heads), learning.standardizer, learning.features.copy(),
                       learning.outcomes.copy(), learning.rows)  # fmt: skip
            refit = self._refit(*job)
            with self._lock:
                if self._learning is not learning or refit is None:
                    return False  # restored meanwhile: drop the result
                learning.heads, learning.standardizer = refit
                learning.updates += 1
                learning.fitted_rows = job[-1]
            return True

    # ------------------------------------------------------------ state

    def state(self) -> dict[str, Any]:
        """The whole learning state as a pytree of arrays (for Orbax)."""
        with self._lock:
            learning = self._learned()
            counters = [
                learning.rows,
                learning.started,
                learning.next_update,
                learning.updates,
                learning.observed,
                learning.rechecks,
                *(learning.skipped[r] for r in _SKIP_REASONS),
                learning.fitted_rows,
            ]
            standard = learning.standardizer
            n = len(FEATURES)
            return {
                "heads": {name: head.state() for name, head in learning.heads.items()},
                "mean": standard.mean if standard else np.zeros(n),
                "scale": standard.scale if standard else np.zeros(n),
                "features": learning.features.copy(),
                "outcomes": learning.outcomes.copy(),
                "counters": np.asarray(counters, np.int64),
            }

    def restore(self, state: Any) -> None:
        """Continue from ``state()`` of a policy bound to the same sites."""
        with self._lock:
            current = self._learned()
            try:
                self._learning = self._restored(current, state)
            except (KeyError, ValueError, TypeError) as exc:
                raise PolicyError(
                    f"policy {self.name}: cannot restore this state ({exc})"
                ) from None
            self._pending.clear()

    def _restored(self, current: _Learning, state: Mapping[str, Any]) -> _Learning:
        counters = [int(v) for v in np.asarray(state["counters"])]
        scale = np.asarray(state["scale"], np.float64)
        standard = Standardizer(np.asarray(state["mean"], np.float64), scale)
        return _Learning(
            {n: current.heads[n].restored(state["heads"][n]) for n in HEADS},
            standard if np.all(scale > 0) else None,
            _same(state["features"], current.features),
            _same(state["outcomes"], current.outcomes),
            rows=counters[0],
            started=counters[1],
            next_update=counters[2],
            updates=counters[3],
            observed=counters[4],
            rechecks=counters[5],
            skipped=+Counter(dict(zip(_SKIP_REASONS, counters[6:9], strict=True))),
            fitted_rows=counters[9],
        )

    def checkpoint_meta(self) -> dict[str, Any]:
        """What a checkpoint records to check it fits on resume: the policy kind and sites."""
        return {"policy": self.kind, "sites": _signature(self._bound())}

    def report(self) -> dict[str, Any]:
        """Figures for a run summary: updates, re-checks, skipped feedback, ``lam``."""
        with self._lock:
            learning = self._learning
            if learning is None:
                return {"policy_updates": 0, "feedback_skipped": {}}
            return {
                "policy_updates": learning.updates,
                "rechecks": learning.rechecks,
                "feedback_skipped": dict(learning.skipped),
                "inputs_learned": learning.observed,
                "lam": self.config.lam,
            }

    # ------------------------------------------------------------ helpers

    def _bound(self) -> Mapping[int, SiteInfo]:
        if self._sites is None:
            raise PolicyError(f"policy {self.name} is not bound to a program yet")
        return self._sites

    def _learned(self) -> _Learning:
        if self._learning is None:
            raise PolicyError(f"policy {self.name} is not bound to a program yet")
        return self._learning

    def forget(self, input_id: str) -> None:
        """Drop the oldest begun input of ``input_id``: it will get no feedback."""
        with self._lock:
            self._pending.pop(input_id)


_SKIP_REASONS = ("missing label", "invalid label", "unknown input")


PLANS = ("all", "doubtful", "decisive")
"""What a re-check runs on the largest backends: every site (``all``); only the sites whose
cheap calls were doubtful (confidence below ``DOUBT``) and those the cheap run never reached
(``doubtful``; the other sites' calls are then reused); or, of the doubtful calls, only those
whose correction could turn the answer (``decisive``), and the unreached sites. Which can turn
it comes from the program's data and control flow (``SiteInfo.sign``): after a "no" or a
"nothing", a call whose site's answer rises with its output, if the output can still rise
(``False`` can, ``True`` cannot, a list always can), or one whose answer falls with it, if it
can still fall; after a "yes" the reverse; a site of unknown or mixed sign always; for other
answers every doubtful call."""


def recheck_plan(
    trace: Trace, sites: Mapping[int, SiteInfo], plan: str, answer: Any = None
) -> dict[int, int]:
    """The second run's backend per site for ``plan`` (see ``PLANS``) after a cheap run that
    answered ``answer``."""
    largest = {s: len(info.backends) - 1 for s, info in sites.items()}
    if plan == "all":
        return largest
    doubtful = [c for c in trace.calls if not c.ok or c.confidence < DOUBT]
    kind = answer_kind(answer) if plan == "decisive" else "other"
    if kind in ("yes", "no", "nothing"):
        wanted = "down" if kind == "yes" else "up"
        doubtful = [
            c for c in doubtful
            if not c.ok or c.site not in sites or _could_turn(sites[c.site].sign, c.output, wanted)
        ]  # fmt: skip
    upgraded = {c.site for c in doubtful}
    ran = {c.site for c in trace.calls}
    return {s: top for s, top in largest.items() if s in upgraded or s not in ran}


def _could_turn(sign: str, output: Any, wanted: str) -> bool:
    """Whether correcting ``output`` of a site of ``sign`` could move the answer ``wanted``
    (``up`` / ``down``)."""
    if sign == "0":
        return False
    if sign not in ("+", "-"):
        return True
    rising = (sign == "+") == (wanted == "up")
    return output_can_rise(output) if rising else output_can_fall(output)


def initial_heads(config: DeferralConfig) -> dict[str, Head]:
    """The heads of ``config`` before they have learned anything."""
    n = len(FEATURES)
    c = config
    sampled = {
        name: Head.initial(name, n, 0, c.seed, c.prior, rate, c.rate_weight)
        for name, rate in (("fix", c.fix_rate), ("break", c.break_rate))
    }
    return {"wrong": Head.initial("wrong", n, c.hidden, c.seed), **sampled}


def reference_cost(sites: Mapping[int, SiteInfo]) -> float:
    """The program's reference cost: every site once on its most expensive backend (nominal
    costs; a site whose costs are unknown counts 1)."""
    total = 0.0
    for info in sites.values():
        finite = [c for c in info.costs if math.isfinite(c)]
        total += max(finite) if len(finite) == len(info.costs) and finite else 1.0
    return total if total > 0 else 1.0


def upgrade_cost(
    trace: Trace, sites: Mapping[int, SiteInfo], plan: Mapping[int, int] | None = None
) -> float:
    """What running the first run's calls at the sites of ``plan`` (default: every site) on
    their largest backends adds (nominal costs)."""
    extra = 0.0
    for call in trace.decisions():
        info = sites.get(call.site)
        if info is None or call.choice is None or (plan is not None and call.site not in plan):
            continue
        costs = info.costs
        if all(math.isfinite(c) for c in costs):
            extra += max(costs[-1] - costs[call.choice], 0.0)
        else:
            extra += float(call.choice < len(costs) - 1)
    return extra


def load_warm_start(
    source: str, exclude: Sequence[str], initial: Mapping[str, Head]
) -> WarmStart | None:
    """The warm start of ``source`` (``builtin``: the shipped file, else a path) trained on
    none of the benchmark queries ``exclude``; ``None`` when there is none."""
    path = WARM_START if source == "builtin" else Path(source)
    if source != "builtin" and not path.is_file():
        raise PolicyError(f"warm start {source!r}: no such file")
    try:
        return read_warm_start(path, exclude, initial)
    except (ValueError, KeyError, TypeError) as exc:
        raise PolicyError(f"warm start {path}: unreadable ({exc})") from None


def _signature(sites: Mapping[int, SiteInfo]) -> list[list[Any]]:
    return [[s, sites[s].fn, list(sites[s].backends)] for s in sorted(sites)]


def _hash(input_id: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(input_id.encode("utf-8"), digest_size=4).digest(), "little"
    )


def _label_problem(label: Any) -> str | None:
    if label is None:
        return "missing label"
    if isinstance(label, bool | str | int):
        return None
    if isinstance(label, float) and math.isfinite(label):
        return None
    return "invalid label"


def _same(given: Any, current: np.ndarray) -> np.ndarray:
    array = np.asarray(given)
    if array.shape != current.shape:
        raise ValueError(f"an array of shape {array.shape}, expected {current.shape}")
    return array.astype(current.dtype, copy=True)


@register_policy("defer", usage="defer[:KEY=VALUE,...]")
def defer_from_spec(argument: str | None, options: Mapping[str, Any]) -> DeferralPolicy:
    """``defer[:KEY=VALUE,...]`` with ``lam``, ``seed`` and ``benchmark_query`` from the
    runner."""
    return DeferralPolicy(DeferralConfig.from_items(argument, options))
