"""The paper's learned policy, done properly: per-site neural Thompson sampling over a shared
context encoder, trained online with AdamW from a replay buffer (docs/policies.md).

Specs (``policy_from_spec`` / ``fmpc run --policy``)::

    neural-ts                     decide every site up front from the input image
    adaptive-ts                   decide each site when reached, also from what ran before it
    neural-ts:nu=0.2,k=64         hyperparameters as KEY=VALUE items (see ``TSConfig.from_items``)

The runner's options ``lam`` (``--lam``) and ``seed`` (``--seed``) set ``TSConfig.lam`` and
``TSConfig.seed``.

Rewards: for site ``i`` of an input, ``r_i = -lam * c_i - L / N``: ``c_i`` the chosen backend's
cost divided by the most expensive backend's cost at that site, ``L`` the input's loss and ``N``
the number of sites. The network predicts ``-L / N`` for each backend (the cost is known), and the
policy picks the argmax of a Thompson sample of it minus ``lam * c``. Only sites that executed are
credited, by site id (``Trace.decisions()``).
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from fmpc.policies import thompson
from fmpc.policies.base import BasePolicy, PolicyError, register_policy
from fmpc.policies.encoder import FEATURES
from fmpc.policies.pending import PendingInputs
from fmpc.policies.replay import ReplayBuffer, Row
from fmpc.runtime.policy import (
    CALLS_SO_FAR,
    COST_SO_FAR,
    EXECUTION,
    Episode,
    Feedback,
    SiteInfo,
    feature_key,
)

if TYPE_CHECKING:
    from fmpc.runtime.trace import Trace

PAPER_REWARDS = (1000.0, -100.0, 1.0, -100.0)
"""The paper's rewards for yes/no answers: true positive, false negative, true negative, false
positive (for streams with about 1 positive in 100)."""

DECIDE_BATCH = 8
"""Images begun per compiled call by ``neural-ts``: a window's images go in chunks of this
many, padded (``adaptive-ts``, whose window is one input, begins them one at a time)."""

MAX_PENDING = 8192
"""Inputs begun but not yet observed that a policy remembers (the oldest are forgotten)."""

_SKIP_REASONS = ("missing label", "invalid label", "unknown input")


@dataclass(frozen=True)
class TSConfig:
    """Hyperparameters of the neural Thompson sampling policies (defaults in docs/policies.md).

    ``lam``: cost weight (the user's accuracy/cost knob; costs are normalised per site);
    ``nu``: exploration scale; ``lambda_reg``: prior of the diagonal ``U``; ``learning_rate``,
    ``weight_decay``: AdamW; ``update_every`` (k): inputs between updates, also the window;
    ``buffer_size``: replay rows (one per credited decision); ``epochs``, ``batch_size``: each
    update makes ``ceil(epochs * new_rows / batch_size)`` steps on minibatches drawn from the whole
    buffer; ``hidden``: network width; ``binary_rewards``: (TP, FN, TN, FP) rewards for yes/no
    labels, divided by their largest magnitude (``None``: 0/1 exact match for every label);
    ``seed``: initial parameters and every random draw.
    """

    lam: float = 0.05
    nu: float = 0.1
    lambda_reg: float = 1e-4
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    update_every: int = 32
    buffer_size: int = 4096
    epochs: int = 5
    batch_size: int = 16
    hidden: int = 16
    binary_rewards: tuple[float, float, float, float] | None = PAPER_REWARDS
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("nu", "lambda_reg", "learning_rate"):
            if not getattr(self, name) > 0:
                raise PolicyError(f"{name} must be > 0, got {getattr(self, name)}")
        if not (self.lam >= 0 and math.isfinite(self.lam)):
            raise PolicyError(f"lam must be a finite number >= 0, got {self.lam}")
        for name in ("update_every", "buffer_size", "epochs", "batch_size", "hidden"):
            if getattr(self, name) < 1:
                raise PolicyError(f"{name} must be >= 1, got {getattr(self, name)}")
        rewards = self.binary_rewards
        if rewards is not None and (len(rewards) != 4 or not any(rewards)):
            raise PolicyError(f"binary_rewards must be 4 numbers (TP/FN/TN/FP), got {rewards}")

    @classmethod
    def from_items(cls, argument: str | None, options: Mapping[str, Any]) -> TSConfig:
        """A config from the runner's options (``lam``, ``seed``) and a spec argument of
        ``KEY=VALUE`` items: ``lam``, ``nu``, ``lambda_reg``, ``lr``, ``weight_decay``, ``k``,
        ``buffer``, ``epochs``, ``batch``, ``hidden``, ``seed`` and ``rewards`` (``exact`` or
        ``TP/FN/TN/FP``, e.g. ``rewards=1000/-100/1/-100``)."""
        values: dict[str, Any] = {}
        if options.get("lam") is not None:
            values["lam"] = float(options["lam"])
        if options.get("seed") is not None:
            values["seed"] = int(options["seed"])
        for item in (argument or "").split(","):
            if item.strip():
                values.update(_config_item(item.strip()))
        return cls(**values)

    def to_items(self) -> str:
        """Every field as the ``KEY=VALUE`` items ``from_items`` reads back to this config."""
        items = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "binary_rewards":
                text = "exact" if value is None else "/".join(repr(float(v)) for v in value)
            else:
                text = repr(value)
            items.append(f"{f.name}={text}")
        return ",".join(items)


_ALIASES = {"lr": "learning_rate", "k": "update_every", "buffer": "buffer_size"}
_ALIASES.update({"batch": "batch_size", "rewards": "binary_rewards"})


def _config_item(item: str) -> dict[str, Any]:
    key, sep, text = (part.strip() for part in item.partition("="))
    name = _ALIASES.get(key, key)
    known = {f.name: f for f in fields(TSConfig)}
    if not sep or name not in known:
        accepted = ", ".join(sorted(set(known) - set(_ALIASES.values()) | set(_ALIASES)))
        raise PolicyError(
            f"bad policy option {item!r}: expected KEY=VALUE with KEY one of {accepted}"
        )
    try:
        if name == "binary_rewards":
            return {name: None if text == "exact" else tuple(float(v) for v in text.split("/"))}
        kind = int if known[name].type in ("int", int) else float
        return {name: kind(text)}
    except ValueError:
        raise PolicyError(f"bad policy option {item!r}: {text!r} is not a valid value") from None


# ---------------------------------------------------------------- binding


@dataclass(frozen=True)
class _Binding:
    """What a policy derives from the sites it routes."""

    sites: Mapping[int, SiteInfo]
    order: tuple[int, ...]
    n_backends: int
    unit_costs: np.ndarray
    cost_scale: float
    extra: int

    @property
    def signature(self) -> list[list[Any]]:
        """The sites as ``[[id, fn, [backends...]], ...]``: what a checkpoint must match."""
        return [[s, self.sites[s].fn, list(self.sites[s].backends)] for s in self.order]

    def index(self, site: int) -> int:
        """The position of ``site`` among the sites."""
        return self.order.index(site)


def unit_costs(info: SiteInfo) -> np.ndarray:
    """The costs of a site's backends divided by the largest (zeros when all cost 0; when a
    cost is unknown, ``nan``, the rank instead: ``(i + 1) / n``)."""
    costs = np.asarray(info.costs, np.float64)
    if not np.all(np.isfinite(costs)):
        return np.arange(1, len(costs) + 1) / len(costs)
    largest = costs.max()
    return costs / largest if largest > 0 else np.zeros_like(costs)


def _bind(sites: Mapping[int, SiteInfo], adaptive: bool) -> _Binding:
    order = tuple(sorted(sites))
    width = max((len(sites[s].backends) for s in order), default=1)
    table = np.full((len(order), width), thompson.UNAVAILABLE)
    scale = 0.0
    for row, site in enumerate(order):
        costs = unit_costs(sites[site])
        table[row, : len(costs)] = costs
        finite = [c for c in sites[site].costs if math.isfinite(c)]
        scale += max(finite, default=0.0)
    extra = 3 + 4 * len(order) if adaptive else 0
    return _Binding(dict(sites), order, width, table, scale or 1.0, extra)


# ---------------------------------------------------------------- learning state


@dataclass
class _Learning:
    """Everything a policy learns: swapped as a whole under the policy's lock."""

    params: Any
    opt_state: Any
    u: Any
    buffer: ReplayBuffer
    lam: float
    started: int = 0
    next_update: int = 0
    updates: int = 0
    observed: int = 0
    new_rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    cost_total: float = 0.0
    cost_inputs: int = 0
    window_cost: float = 0.0
    window_inputs: int = 0


@dataclass(frozen=True)
class _Job:
    """What one update trains on: the state it starts from and copies of the buffer's rows."""

    learning: _Learning
    params: Any
    opt_state: Any
    u: Any
    new: dict[str, np.ndarray]
    arrays: dict[str, np.ndarray]
    rows: int
    new_rows: int
    updates: int


@dataclass(frozen=True)
class _Snapshot:
    """The state one window is decided with."""

    params: Any
    u: Any
    lam: float
    first_index: int


@dataclass
class _Context:
    """What observe needs about one begun input: its image features and, for adaptive
    decisions, the extra context of each (site, execution)."""

    features: np.ndarray
    extras: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)


def input_hash(input_id: str, index: int) -> int:
    """A 32-bit number naming an input for its random draws: from its id, else its index."""
    text = input_id if input_id else f"#{index}"
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest(), "little")


# ---------------------------------------------------------------- episodes


class _UpfrontEpisode(Episode):
    """All sites decided in ``start``."""

    def __init__(self, choices: Mapping[int, int], compute_cost: float) -> None:
        self._choices = choices
        self.compute_cost = compute_cost

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        return self._choices[site]


class _AdaptiveEpisode(Episode):
    """Each site decided when reached, from the image and what the run computed so far."""

    def __init__(
        self,
        policy: NeuralTSPolicy,
        snapshot: _Snapshot,
        context: _Context,
        input_number: int,
        encode_cost: float,
    ) -> None:
        self._policy = policy
        self._snapshot = snapshot
        self._context = context
        self._hash = input_number
        self.compute_cost = encode_cost

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        binding = self._policy.binding
        execution = int(features.get(EXECUTION, 0))
        extra = progress_features(binding, features)
        self._context.extras[(site, execution)] = extra
        choice, flops = self._policy.decide_adaptive(
            self._snapshot, self._context.features, extra, site, execution, self._hash
        )
        self.compute_cost += flops
        return choice


def progress_features(binding: _Binding, features: Mapping[str, float]) -> np.ndarray:
    """The adaptive context: this site's execution count, calls and cost so far, then per site
    whether it ran, its confidence, its output (squashed) and the backend used (scaled)."""
    n = max(len(binding.order), 1)
    values = [
        math.tanh(features.get(EXECUTION, 0.0) / 4.0),
        math.tanh(features.get(CALLS_SO_FAR, 0.0) / n),
        math.tanh(features.get(COST_SO_FAR, 0.0) / binding.cost_scale),
    ]
    for site in binding.order:
        backend = features.get(feature_key(site, "backend"))
        ran = backend is not None
        width = max(len(binding.sites[site].backends) - 1, 1)
        values += [
            float(ran),
            features.get(feature_key(site, "confidence"), 0.0) if ran else 0.0,
            math.tanh(features.get(feature_key(site, "output"), 0.0) / 5.0) if ran else 0.0,
            float(backend) / width if backend is not None else 0.0,
        ]
    return np.asarray(values, np.float32)


# ---------------------------------------------------------------- the policy


class NeuralTSPolicy(BasePolicy):
    """Per-site neural Thompson sampling (the paper's method); see the module docstring.

    Streaming: the inputs ``[j*k, (j+1)*k)`` (k = ``config.update_every``, also ``window``) are
    all decided with the parameters trained on the inputs observed before input ``j*k`` began;
    the update runs when that input begins. So a window of k inputs (or of any divisor of k)
    decides exactly as one input at a time. Thread-safe: learning happens under a lock, and each
    window is decided from a consistent snapshot.
    """

    adaptive = False
    kind = "neural-ts"
    decide_batch = DECIDE_BATCH

    def __init__(self, config: TSConfig | None = None) -> None:
        self.config = config or TSConfig()
        self.window = self.config.update_every
        self._lock = threading.RLock()
        self._binding: _Binding | None = None
        self._learning: _Learning | None = None
        self._pending: PendingInputs[_Context] = PendingInputs(MAX_PENDING)
        self._flops: dict[tuple[Any, ...], float] = {}
        self._deferred = False
        self._updating = threading.Lock()  # one background update at a time

    @property
    def name(self) -> str:
        """``neural-ts(lam=L)`` (``adaptive-ts(...)`` for the adaptive policy)."""
        return f"{self.kind}(lam={self.config.lam:g})"

    @property
    def spec(self) -> str:
        """A spec that makes this policy again with every hyperparameter
        (``neural-ts:lam=0.05,nu=0.1,...``), as an artifact records it."""
        return f"{self.kind}:{self.config.to_items()}"

    @property
    def binding(self) -> _Binding:
        """The bound sites; ``PolicyError`` before ``bind``."""
        if self._binding is None:
            raise PolicyError(f"policy {self.name} is not bound to a program yet")
        return self._binding

    @property
    def lam(self) -> float:
        """The cost weight in use now."""
        with self._lock:
            return self._learning.lam if self._learning is not None else self.config.lam

    @property
    def updates(self) -> int:
        """Training updates made so far (across resumed runs)."""
        with self._lock:
            return self._learning.updates if self._learning is not None else 0

    # ------------------------------------------------------------ binding

    def bind(self, sites: Mapping[int, SiteInfo]) -> None:
        """Size the network for ``sites``; binding again to the same sites keeps what was
        learned, to other sites is a ``PolicyError``."""
        binding = _bind(sites, self.adaptive)
        with self._lock:
            if self._binding is not None:
                if self._binding.signature != binding.signature:
                    raise PolicyError(
                        f"policy {self.name} already learns for other call sites; "
                        "make one policy per program"
                    )
                return
            self._binding = binding
            self._learning = self._fresh(binding)

    def _fresh(self, binding: _Binding) -> _Learning:
        c = self.config
        n_sites = max(len(binding.order), 1)
        params = thompson.init_params(n_sites, binding.n_backends, c.hidden, binding.extra, c.seed)
        opt_state, u = thompson.fresh_training(
            params,
            learning_rate=c.learning_rate,
            weight_decay=c.weight_decay,
            lambda_reg=c.lambda_reg,
        )
        buffer = ReplayBuffer(c.buffer_size, FEATURES, binding.extra)
        return _Learning(params, opt_state, u, buffer, c.lam, next_update=c.update_every)

    def _static(self) -> dict[str, int]:
        binding = self.binding
        return {
            "n_sites": max(len(binding.order), 1),
            "n_backends": binding.n_backends,
            "hidden": self.config.hidden,
        }

    # ------------------------------------------------------------ deciding

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """Begin one input (a window of one)."""
        return self.start_window([input_id], [image], sites)[0]

    def start_window(
        self, input_ids: Sequence[str], images: Sequence[Any], sites: Mapping[int, SiteInfo]
    ) -> list[Episode]:
        """Begin a window: train first if an update is due, then decide (up front) or encode
        (adaptive) all its images in one compiled call per image shape."""
        if self._binding is None:
            self.bind(sites)
        snapshot = self._begin(len(images))
        pixels = [np.asarray(getattr(image, "pixels", image), np.float32) for image in images]
        hashes = [input_hash(i, snapshot.first_index + n) for n, i in enumerate(input_ids)]
        episodes: list[Episode | None] = [None] * len(images)
        for shape, members in _by_shape(pixels).items():
            batch = np.stack([pixels[m] for m in members])
            made = self._start_batch(snapshot, batch, [hashes[m] for m in members], shape)
            for member, (episode, context) in zip(members, made, strict=True):
                episodes[member] = episode
                self._remember(input_ids[member], context)
        return [e for e in episodes if e is not None]

    def _begin(self, count: int) -> _Snapshot:
        with self._lock:
            learning = self._learning
            assert learning is not None
            if not self._deferred and learning.started >= learning.next_update:
                self._update(learning)
                k = self.config.update_every
                learning.next_update = (learning.started // k + 1) * k
            first = learning.started
            learning.started += count
            return _Snapshot(learning.params, learning.u, learning.lam, first)

    def _start_batch(
        self, snapshot: _Snapshot, pixels: np.ndarray, hashes: list[int], shape: tuple[int, ...]
    ) -> list[tuple[Episode, _Context]]:
        """Begin images of one shape, ``decide_batch`` at a time (the last chunk padded), so
        that every image is computed in a batch of the same size: XLA's numerics depend on the
        batch size, and a window's size must not change what is decided or learned (a resumed
        run's first window is shorter than the uninterrupted run's)."""
        size = self.decide_batch
        made: list[tuple[Episode, _Context]] = []
        for first in range(0, len(pixels), size):
            chunk = pixels[first : first + size]
            padded = np.concatenate([chunk, np.zeros((size - len(chunk), *shape), chunk.dtype)])
            chunk_hashes = hashes[first : first + size]
            padded_hashes = chunk_hashes + [0] * (size - len(chunk))
            made += self._start_chunk(snapshot, padded, padded_hashes, shape)[: len(chunk)]
        return made

    def _start_chunk(
        self, snapshot: _Snapshot, pixels: np.ndarray, hashes: list[int], shape: tuple[int, ...]
    ) -> list[tuple[Episode, _Context]]:
        if self.adaptive:
            features = np.asarray(thompson.encode(pixels))
            cost = self._cost(("encode", shape), thompson.encode, pixels[:1])
            return [
                (_AdaptiveEpisode(self, snapshot, context, h, cost), context)
                for h, context in ((h, _Context(f)) for h, f in zip(hashes, features, strict=True))
            ]
        args = self._upfront_args(snapshot, pixels, hashes)
        choices, features = thompson.decide_upfront(*args, **self._static())
        cost = self._upfront_cost(snapshot, pixels, shape)
        order = self.binding.order
        made: list[tuple[Episode, _Context]] = []
        for row, f in zip(np.asarray(choices), np.asarray(features), strict=True):
            episode = _UpfrontEpisode(dict(zip(order, row.tolist(), strict=False)), cost)
            made.append((episode, _Context(f)))
        return made

    def _upfront_args(self, snapshot: _Snapshot, pixels: np.ndarray, hashes: list[int]) -> tuple:
        binding = self.binding
        site_ids = np.asarray(binding.order or (0,), np.int32)
        return (
            snapshot.params,
            snapshot.u,
            pixels,
            np.asarray(hashes, np.uint32),
            site_ids,
            self._lam_costs(snapshot.lam),
            np.int32(self.config.seed),
            np.float32(self.config.nu),
            np.float32(self.config.lambda_reg),
        )

    def _upfront_cost(self, snapshot: _Snapshot, pixels: np.ndarray, shape: tuple) -> float:
        args = self._upfront_args(snapshot, pixels[:1], [0])
        return self._cost(("upfront", shape), thompson.decide_upfront, *args, **self._static())

    def _lam_costs(self, lam: float) -> np.ndarray:
        table = self.binding.unit_costs
        return np.where(table >= thompson.UNAVAILABLE, table, lam * table).astype(np.float32)

    def decide_adaptive(
        self,
        snapshot: _Snapshot,
        features: np.ndarray,
        extra: np.ndarray,
        site: int,
        execution: int,
        hash_: int,
    ) -> tuple[int, float]:
        """One adaptive decision with ``snapshot``: the backend index and its FLOPs."""
        index = self.binding.index(site)
        args = (
            snapshot.params,
            snapshot.u,
            features,
            extra,
            np.int32(index),
            np.int32(site),
            np.int32(execution),
            np.uint32(hash_),
            self._lam_costs(snapshot.lam)[index],
            np.int32(self.config.seed),
            np.float32(self.config.nu),
            np.float32(self.config.lambda_reg),
        )
        choice = int(thompson.decide_one(*args, **self._static()))
        return choice, self._cost(("one",), thompson.decide_one, *args, **self._static())

    def _cost(self, key: tuple[Any, ...], jitted: Any, *args: Any, **kwargs: Any) -> float:
        from fmpc.policies.encoder import flops_of

        with self._lock:
            known = self._flops.get(key)
        if known is None:
            known = flops_of(jitted, *args, **kwargs)
            with self._lock:
                self._flops[key] = known
        return known

    def _remember(self, input_id: str, context: _Context) -> None:
        with self._lock:
            self._pending.add(input_id, context)

    # ------------------------------------------------------------ learning

    def observe(self, trace: Trace, feedback: Feedback) -> None:
        """Store the credited decisions of a finished input in the replay buffer (training runs
        when the next window begins). An input with a missing or invalid label, or one this
        policy did not begin, is counted in ``report()["feedback_skipped"]`` and not learned."""
        with self._lock:
            learning = self._learning
            if learning is None:
                raise PolicyError(f"policy {self.name} observed an input before any was begun")
            context = self._pending.pop(trace.input_id)
            reason = _label_problem(feedback.label) or (None if context else "unknown input")
            if reason is not None or context is None:
                learning.skipped[reason or "unknown input"] += 1
                return
            target = -self._loss(feedback) / max(len(self.binding.order), 1)
            for row in self._rows(trace, context, target):
                learning.buffer.add(row)
                learning.new_rows += 1
            learning.observed += 1
            learning.cost_total += trace.total_cost
            learning.cost_inputs += 1
            learning.window_cost += trace.total_cost
            learning.window_inputs += 1

    def forget(self, input_id: str) -> None:
        """Drop the oldest begun input of ``input_id``: it will get no feedback."""
        with self._lock:
            self._pending.pop(input_id)

    def _loss(self, feedback: Feedback) -> float:
        weights = self.config.binary_rewards
        actual = polarity(feedback.label)
        if weights is None or actual is None:
            return feedback.loss
        predicted = polarity(feedback.answer)
        tp, fn, tn, fp = weights
        by_outcome = {(True, True): tp, (True, False): fn, (False, True): tn, (False, False): fp}
        return -by_outcome[(actual, predicted is actual)] / max(abs(w) for w in weights)

    def _rows(self, trace: Trace, context: _Context, target: float) -> list[Row]:
        binding = self.binding
        rows: list[Row] = []
        credited: set[tuple[int, int]] = set()
        empty = np.zeros(binding.extra, np.float32)
        for call in trace.decisions():
            if call.choice is None or call.site not in binding.sites:
                continue
            key = (call.site, call.execution if self.adaptive else 0)
            if key in credited:
                continue
            credited.add(key)
            extra = context.extras.get(key, empty)
            rows.append(Row(context.features, extra, binding.index(call.site), call.choice, target))
        return rows

    def _update(self, learning: _Learning) -> None:
        """Accumulate ``U`` over the new rows, then train (called under the lock)."""
        self._adapt(learning)
        if learning.new_rows == 0:
            return
        job = self._job(learning)
        learning.params, learning.opt_state, learning.u = self._train(job)
        learning.updates += 1
        learning.new_rows = 0

    def _job(self, learning: _Learning) -> _Job:
        """What one update trains on, copied (called under the lock)."""
        return _Job(
            learning,
            learning.params,
            learning.opt_state,
            learning.u,
            learning.buffer.latest(learning.new_rows),
            {k: v.copy() for k, v in learning.buffer.arrays().items()},
            len(learning.buffer),
            learning.new_rows,
            learning.updates,
        )

    def _train(self, job: _Job) -> tuple[Any, Any, Any]:
        """The parameters, optimizer state and ``U`` after training on ``job``."""
        c = self.config
        static = self._static()
        padded, mask = _padded(job.new)
        u = thompson.accumulate_u(
            job.params,
            job.u,
            padded["features"],
            padded["extra"],
            padded["site"],
            padded["action"],
            mask,
            **static,
        )
        steps = math.ceil(c.epochs * job.new_rows / c.batch_size)
        key = jax.random.fold_in(jax.random.key(c.seed + 1), job.updates)
        params, opt_state, _ = thompson.train(
            job.params,
            job.opt_state,
            job.arrays,
            np.int32(job.rows),
            np.int32(steps),
            key,
            learning_rate=c.learning_rate,
            weight_decay=c.weight_decay,
            batch_size=c.batch_size,
            **static,
        )
        return params, opt_state, u

    # ------------------------------------------------------------ background learning

    def defer_updates(self) -> None:
        """Train only in ``update`` from now on, never when a window begins (a serving worker
        calls ``update`` off the request path; decisions use the last published parameters)."""
        with self._lock:
            self._deferred = True

    def update_due(self) -> bool:
        """Whether ``update_every`` inputs were observed since the last update."""
        with self._lock:
            learning = self._learning
            return (
                learning is not None
                and learning.new_rows > 0
                and learning.window_inputs >= self.config.update_every
            )

    def update(self) -> bool:
        """Train on the rows observed since the last update, outside the lock, and publish the
        result; ``False`` when there was nothing new. Decisions and ``observe`` go on meanwhile
        (rows observed during training wait for the next update)."""
        with self._updating:
            with self._lock:
                learning = self._learning
                if learning is None or learning.new_rows == 0:
                    return False
                self._adapt(learning)
                job = self._job(learning)
            trained = self._train(job)
            with self._lock:
                if self._learning is not learning:  # restored meanwhile: drop the result
                    return False
                learning.params, learning.opt_state, learning.u = trained
                learning.updates += 1
                learning.new_rows -= job.new_rows
            return True

    def _adapt(self, learning: _Learning) -> None:
        """Change ``lam`` at an update (the budgeted policy does); here nothing."""
        learning.window_cost = 0.0
        learning.window_inputs = 0

    # ------------------------------------------------------------ state

    def state(self) -> dict[str, Any]:
        """The whole learning state as a pytree of arrays (for Orbax)."""
        with self._lock:
            learning = self._learning
            if learning is None:
                raise PolicyError(f"policy {self.name} has no state before it is bound")
            counters = [
                learning.started,
                learning.next_update,
                learning.updates,
                learning.observed,
                learning.new_rows,
                learning.cost_inputs,
                learning.window_inputs,
                *(learning.skipped[r] for r in _SKIP_REASONS),
            ]
            return {
                "params": learning.params,
                "opt_state": list(jax.tree.leaves(learning.opt_state)),
                "u": learning.u,
                "replay": learning.buffer.state(),
                "counters": np.asarray(counters, np.int64),
                "reals": np.asarray(
                    [learning.lam, learning.cost_total, learning.window_cost], np.float64
                ),
                "seed": np.asarray([self.config.seed], np.int64),
            }

    def restore(self, state: Any) -> None:
        """Continue from ``state()`` of a policy bound to the same sites."""
        with self._lock:
            current = self._learning
            if current is None:
                raise PolicyError(f"policy {self.name}: bind it to a program before restoring")
            try:
                self._learning = self._restored(current, state)
            except (KeyError, ValueError, TypeError) as exc:
                raise PolicyError(
                    f"policy {self.name}: cannot restore this state ({exc})"
                ) from None
            self.config = replace(self.config, seed=int(np.asarray(state["seed"]).reshape(-1)[0]))
            self._pending.clear()

    def _restored(self, current: _Learning, state: Mapping[str, Any]) -> _Learning:
        params = _same_shapes("params", current.params, state["params"])
        u = _same_shapes("u", current.u, state["u"])
        treedef = jax.tree.structure(current.opt_state)
        leaves = [jnp.asarray(leaf) for leaf in state["opt_state"]]
        opt_state = jax.tree.unflatten(treedef, leaves)
        _same_shapes("opt_state", current.opt_state, opt_state)
        buffer = ReplayBuffer(self.config.buffer_size, FEATURES, self.binding.extra)
        buffer.restore(state["replay"])
        counters = [int(v) for v in np.asarray(state["counters"])]
        reals = [float(v) for v in np.asarray(state["reals"])]
        skipped = Counter(dict(zip(_SKIP_REASONS, counters[7:], strict=True)))
        started, next_update, updates, observed, new_rows = counters[:5]
        return _Learning(
            params,
            opt_state,
            u,
            buffer,
            reals[0],
            started=started,
            next_update=next_update,
            updates=updates,
            observed=observed,
            new_rows=new_rows,
            skipped=+skipped,
            cost_total=reals[1],
            cost_inputs=counters[5],
            window_cost=reals[2],
            window_inputs=counters[6],
        )

    def checkpoint_meta(self) -> dict[str, Any]:
        """What a checkpoint records to check it fits on resume: the policy kind and sites."""
        return {"policy": self.kind, "sites": self.binding.signature}

    def report(self) -> dict[str, Any]:
        """Figures for a run summary: ``policy_updates``, ``feedback_skipped`` (by reason),
        ``lam`` (now) and ``inputs_learned``."""
        with self._lock:
            learning = self._learning
            if learning is None:
                return {"policy_updates": 0, "feedback_skipped": {}}
            return {
                "policy_updates": learning.updates,
                "feedback_skipped": dict(learning.skipped),
                "inputs_learned": learning.observed,
                "lam": learning.lam,
            }


class AdaptiveTSPolicy(NeuralTSPolicy):
    """Neural Thompson sampling deciding each site when the run reaches it, with the features
    of what ran before (``progress_features``) appended to the context."""

    adaptive = True
    kind = "adaptive-ts"
    decide_batch = 1

    def __init__(self, config: TSConfig | None = None) -> None:
        super().__init__(config)
        # Each decision is its own compiled call, taken when the run reaches the site; windows of
        # concurrent runs would only contend for it. A window of one decides exactly as a window
        # of k (1 divides k), so the executor runs inputs one at a time.
        self.window = 1


# ---------------------------------------------------------------- helpers


def polarity(value: Any) -> bool | None:
    """``True``/``False`` for a bool or ``"yes"``/``"no"`` (any case), else ``None``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    return None


def _label_problem(label: Any) -> str | None:
    if label is None:
        return "missing label"
    if isinstance(label, bool | str | int):
        return None
    if isinstance(label, float) and math.isfinite(label):
        return None
    return "invalid label"


def _by_shape(pixels: list[np.ndarray]) -> dict[tuple[int, ...], list[int]]:
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, p in enumerate(pixels):
        if p.ndim != 3 or p.shape[-1] != 3:
            raise PolicyError(f"expected an (H, W, 3) image, got an array of shape {p.shape}")
        groups.setdefault(p.shape, []).append(i)
    return groups


def _padded(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Rows padded to a power of two (fewer compiled shapes) and the mask of real rows."""
    n = len(columns["site"])
    size = 1 << max(n - 1, 0).bit_length()
    mask = np.zeros(size, np.float32)
    mask[:n] = 1.0
    padded = {
        k: np.concatenate([v, np.zeros((size - n, *v.shape[1:]), v.dtype)])
        for k, v in columns.items()
    }
    return padded, mask


def _same_shapes(name: str, expected: Any, given: Any) -> Any:
    given_leaves = jax.tree.leaves(given)
    expected_leaves, treedef = jax.tree.flatten(expected)
    if len(given_leaves) != len(expected_leaves):
        raise ValueError(f"{name}: {len(given_leaves)} arrays, expected {len(expected_leaves)}")
    for g, e in zip(given_leaves, expected_leaves, strict=True):
        if np.shape(g) != np.shape(e):
            raise ValueError(f"{name}: an array of shape {np.shape(g)}, expected {np.shape(e)}")
    return jax.tree.unflatten(treedef, [jnp.asarray(g) for g in given_leaves])


# ---------------------------------------------------------------- specs


@register_policy("neural-ts", usage="neural-ts[:KEY=VALUE,...]")
def neural_ts_from_spec(argument: str | None, options: Mapping[str, Any]) -> NeuralTSPolicy:
    """``neural-ts[:KEY=VALUE,...]`` with ``lam`` and ``seed`` from the runner's options."""
    return NeuralTSPolicy(TSConfig.from_items(argument, options))


@register_policy("adaptive-ts", usage="adaptive-ts[:KEY=VALUE,...]")
def adaptive_ts_from_spec(argument: str | None, options: Mapping[str, Any]) -> AdaptiveTSPolicy:
    """``adaptive-ts[:KEY=VALUE,...]`` with ``lam`` and ``seed`` from the runner's options."""
    return AdaptiveTSPolicy(TSConfig.from_items(argument, options))
