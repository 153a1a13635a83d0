"""Baselines behind the ``Policy`` protocol: a per-query router and calibrated cascades.

Specs (``policy_from_spec`` / ``fmpc run --policy``)::

    per-query                 router between all-smallest and all-largest (threshold 0.9)
    per-query:0.95            the same, routing to all-smallest when P(right) >= 0.95
    cascade                   every site a cascade, thresholds calibrated on the first 32
                              labelled inputs of the stream (accuracy target 0.01)
    cascade:64                the same, calibrated on the first 64

**per-query** (``PerQueryRouter``) makes one choice for the whole program from the input, as
routers between a small and a large model do: cheap image features (``image_features``) go to
an online logistic model of the probability that the all-smallest program answers right; the
input runs all-smallest when that probability is at least ``threshold``, else all-largest.
It learns (Optax Adam, one step per observation) only from inputs that ran all-smallest, the only
ones whose feedback says whether all-smallest was right; so that it learns at all, an input that
would run all-largest runs all-smallest with probability ``epsilon`` (a pure function of the seed
and input id). The features' compute is charged (``Episode.compute_cost``).

**cascade** (``CascadePolicy``) does no learning: ``prepare`` compiles the program with the
``cascade`` pass on every site with two or more backends, with thresholds calibrated
(``fmpc.passes.calibration``) on the first ``warmup`` labelled inputs of the stream; see
``calibrate_cascade`` for what the calibration sample holds. The calibration inputs stay in the
stream and in its metrics: they are answered with thresholds fitted on them.
"""

from __future__ import annotations

import hashlib
import struct
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import yaml

from fmpc.ir.core import Module
from fmpc.passes.calibration import CalibrationSample, Record
from fmpc.passes.cascade import Cascade
from fmpc.passes.manager import PassManager
from fmpc.policies.base import DEFAULT_WINDOW, BasePolicy, PolicyError, register_policy
from fmpc.policies.oracle import PlanRunner, shared_cache
from fmpc.policies.pending import PendingInputs
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.cache import ExecutionCache
from fmpc.runtime.policy import Episode, Feedback, SiteInfo
from fmpc.runtime.trace import ExecutionResult, Trace

FEATURES = ("brightness", "contrast", "gradient", "laplacian", "saturation", "ink")
"""The cheap image features of ``image_features``, in order."""

FEATURE_FLOPS_PER_PIXEL = 30.0
"""Approximate FLOPs ``image_features`` spends per pixel (charged to each routed input)."""

MAX_PENDING = 4096
"""Inputs the router remembers between ``start`` and ``observe`` (older ones are dropped)."""


# ---------------------------------------------------------------- features


def image_features(image: Any) -> np.ndarray:
    """Six cheap statistics of ``image.pixels`` (``FEATURES``): mean and standard deviation of
    the grey levels, mean absolute gradient and Laplacian (noise, blur), mean saturation and the
    fraction of pixels far from the median grey level (clutter). Zeros for an input without
    pixels."""
    pixels = getattr(image, "pixels", None)
    if pixels is None or np.ndim(pixels) != 3 or min(np.shape(pixels)[:2]) < 3:
        return np.zeros(len(FEATURES), np.float32)
    px = np.asarray(pixels, np.float32)
    grey = px.mean(axis=2)
    gradient = np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean()
    centre = grey[1:-1, 1:-1]
    laplacian = np.abs(
        4 * centre - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    ).mean()
    saturation = (px.max(axis=2) - px.min(axis=2)).mean()
    ink = (np.abs(grey - np.median(grey)) > 0.2).mean()
    values = (grey.mean(), grey.std(), gradient, laplacian, saturation, ink)
    return np.asarray(values, np.float32)


def feature_flops(image: Any) -> float:
    """What ``image_features`` costs on ``image`` (FLOPs), plus the logistic model's dot product."""
    pixels = getattr(image, "pixels", None)
    if pixels is None or np.ndim(pixels) != 3:
        return 2.0 * len(FEATURES)
    area = float(np.shape(pixels)[0] * np.shape(pixels)[1])
    return FEATURE_FLOPS_PER_PIXEL * area + 2.0 * len(FEATURES)


def _uniform(seed: int, input_id: str) -> float:
    """A number in [0, 1) that depends only on ``seed`` and ``input_id``."""
    digest = hashlib.blake2b(struct.pack("<q", seed) + input_id.encode("utf-8"), digest_size=8)
    return int.from_bytes(digest.digest(), "little") / 2.0**64


# ---------------------------------------------------------------- per-query router


class _LevelEpisode(Episode):
    """Every site at the smallest (level 0) or the largest backend."""

    def __init__(self, largest: bool, sites: Mapping[int, SiteInfo], cost: float) -> None:
        self._largest = largest
        self._sites = sites
        self.compute_cost = cost

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        return len(self._sites[site].backends) - 1 if self._largest else 0


@dataclass(frozen=True)
class _Pending:
    features: np.ndarray
    largest: bool


class PerQueryRouter(BasePolicy):
    """One choice per input, all-smallest or all-largest, from its image; see the module
    docstring. ``threshold``: the predicted probability that all-smallest is right above which
    an input runs all-smallest; ``epsilon``: exploration rate; ``learning_rate``: Adam's."""

    _params: dict[str, Any]
    _opt_state: Any
    _w: np.ndarray
    _b: float
    _mean: np.ndarray
    _m2: np.ndarray
    _count: int
    _updates: int

    def __init__(
        self,
        threshold: float = 0.9,
        *,
        epsilon: float = 0.1,
        learning_rate: float = 0.05,
        seed: int = 0,
        window: int = DEFAULT_WINDOW,
    ) -> None:
        if not 0.0 <= threshold <= 1.0 or not 0.0 <= epsilon <= 1.0:
            raise PolicyError(f"per-query: threshold and epsilon must be in [0, 1], got "
                              f"{threshold} and {epsilon}")  # fmt: skip
        self.threshold = float(threshold)
        self.epsilon = float(epsilon)
        self.seed = int(seed)
        self.window = int(window)
        self.learning_rate = float(learning_rate)
        self._optimizer = optax.adam(self.learning_rate)
        self._lock = threading.Lock()
        self._pending: PendingInputs[_Pending] = PendingInputs(MAX_PENDING)
        self._set_state(self._initial_state())

    @property
    def name(self) -> str:
        """``per-query(threshold=T)``."""
        return f"per-query(threshold={self.threshold:g})"

    # ------------------------------------------------------------ deciding

    def probability_small_right(self, image: Any) -> float:
        """The model's probability that all-smallest answers ``image`` right."""
        return self._probability(image_features(image))

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """Route the whole input to all-smallest or all-largest."""
        features = image_features(image)
        largest = self._probability(features) < self.threshold
        if largest and _uniform(self.seed, input_id) < self.epsilon:
            largest = False
        with self._lock:
            self._pending.add(input_id, _Pending(features, largest))
        return _LevelEpisode(largest, sites, feature_flops(image))

    def _probability(self, features: np.ndarray) -> float:
        with self._lock:
            w, b, mean, std = self._w, self._b, self._mean, self._std()
        logit = float(np.dot((features - mean) / std, w) + b)
        return float(1.0 / (1.0 + np.exp(-logit)))

    # ------------------------------------------------------------ learning

    def observe(self, trace: Trace, feedback: Feedback) -> None:
        """Learn whether all-smallest was right, from inputs that ran it."""
        with self._lock:
            pending = self._pending.pop(trace.input_id)
            if pending is None:
                return
            self._track(pending.features)
            if pending.largest:
                return
            z = jnp.asarray((pending.features - self._mean) / self._std())
            y = jnp.asarray(1.0 if feedback.correct else 0.0)
            params, self._opt_state = _logistic_step(
                self._params, self._opt_state, z, y, learning_rate=self.learning_rate
            )
            self._params = params
            self._w, self._b = np.asarray(params["w"]), float(params["b"])
            self._updates += 1

    def forget(self, input_id: str) -> None:
        """Drop the oldest begun input of ``input_id``: it will get no feedback."""
        with self._lock:
            self._pending.pop(input_id)

    def _track(self, features: np.ndarray) -> None:
        """Welford's running mean and variance of the features (for standardising)."""
        self._count += 1
        delta = features - self._mean
        self._mean = self._mean + delta / self._count
        self._m2 = self._m2 + delta * (features - self._mean)

    def _std(self) -> np.ndarray:
        if self._count < 2:
            return np.ones(len(FEATURES), np.float32)
        return np.sqrt(self._m2 / (self._count - 1)).astype(np.float32) + 1e-6

    # ------------------------------------------------------------ state

    def _initial_state(self) -> dict[str, Any]:
        params = {"w": jnp.zeros(len(FEATURES)), "b": jnp.zeros(())}
        opt_state = self._optimizer.init(params)
        zeros = np.zeros(len(FEATURES), np.float32)
        return {
            "params": params,
            "opt_state": jax.tree_util.tree_leaves(opt_state),
            "mean": zeros,
            "m2": zeros,
            "count": 0,
            "updates": 0,
        }

    def state(self) -> Any:
        """``params`` (w, b), ``opt_state`` (Adam's leaves), feature statistics, ``updates``."""
        with self._lock:
            return {
                "params": {"w": np.asarray(self._params["w"]), "b": np.asarray(self._params["b"])},
                "opt_state": [np.asarray(x) for x in jax.tree_util.tree_leaves(self._opt_state)],
                "mean": self._mean.copy(),
                "m2": self._m2.copy(),
                "count": self._count,
                "updates": self._updates,
            }

    def restore(self, state: Any) -> None:
        """Continue from ``state()``; ``PolicyError`` when it does not fit."""
        try:
            self._set_state(state)
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"per-query: cannot restore this state ({exc})") from None

    def _set_state(self, state: Mapping[str, Any]) -> None:
        params = {k: jnp.asarray(state["params"][k], jnp.float32) for k in ("w", "b")}
        if params["w"].shape != (len(FEATURES),) or params["b"].shape != ():
            raise ValueError("params of the wrong shape")
        treedef = jax.tree_util.tree_structure(self._optimizer.init(params))
        leaves = [jnp.asarray(x) for x in state["opt_state"]]
        opt_state = jax.tree_util.tree_unflatten(treedef, leaves)
        with self._lock:
            self._params, self._opt_state = params, opt_state
            self._w, self._b = np.asarray(params["w"]), float(params["b"])
            self._mean = np.asarray(state["mean"], np.float32)
            self._m2 = np.asarray(state["m2"], np.float32)
            self._count = int(state["count"])
            self._updates = int(state["updates"])

    @property
    def updates(self) -> int:
        """Optimizer steps taken so far."""
        with self._lock:
            return self._updates


# ---------------------------------------------------------------- cascade


@dataclass(frozen=True)
class CascadeCalibration:
    """What ``calibrate_cascade`` made: the cascaded ``module``, the ``sample`` its thresholds
    were calibrated on, the ``thresholds`` per site and the ids of the calibration ``inputs``."""

    module: Module
    sample: CalibrationSample
    thresholds: Mapping[int, tuple[float, ...]]
    inputs: tuple[str, ...]


def calibrate_cascade(
    module: Module,
    backends: BackendTable,
    items: Iterable[Any],
    *,
    warmup: int = 32,
    target: float = 0.01,
    default_threshold: float = 0.9,
    costs: Mapping[tuple[str, str], float] | None = None,
    cache: ExecutionCache | None = None,
) -> CascadeCalibration:
    """Compile ``module`` with the ``cascade`` pass on every site with two or more backends,
    thresholds calibrated on the first ``warmup`` labelled ``items`` (``InputItem``s).

    The sample: for each calibration input, run the program all-largest; for every execution of
    every site, record each backend's confidence on that call's arguments and whether the
    program's answer is right (against the label) when that one call uses that backend and every
    other call the largest. A site with no record uses its function's records; a function with
    none, ``default_threshold``.
    """
    runner = PlanRunner(module, backends, shared_cache(cache), dict(costs or {}))
    sites = runner.sites
    records: dict[int, list[Record]] = {}
    used: list[str] = []
    for item in items:
        if len(used) >= warmup:
            break
        if item.image is None or not item.labelled:
            continue
        used.append(item.input_id)
        for site, record in _records(runner, sites, item.image, item.label):
            records.setdefault(site, []).append(record)
    sample = _sample(sites, records)
    cascaded = _cascade(module, backends, sample, target, default_threshold)
    thresholds = {
        op.site: tuple(op.attributes["thresholds"])  # type: ignore[arg-type]
        for op in _calls(cascaded)
        if "cascade" in op.attributes
    }
    return CascadeCalibration(cascaded, sample, thresholds, tuple(used))


def _records(
    runner: PlanRunner, sites: Mapping[int, SiteInfo], image: Any, label: Any
) -> Iterable[tuple[int, Record]]:
    def largest(site: int, execution: int) -> int:
        return len(sites[site].backends) - 1

    base, _ = runner.run(image, largest)
    for call in base.trace.decisions():
        info = sites[call.site]
        if len(info.backends) < 2 or not call.ok:
            continue
        record: Record = {info.backends[-1]: (call.confidence, _right(base, label))}
        for index in range(len(info.backends) - 1):
            record[info.backends[index]] = _swapped(runner, image, label, largest, call, index)
        yield call.site, record


def _swapped(runner: PlanRunner, image: Any, label: Any, base: Any, call: Any, index: int) -> Any:
    """(confidence, right) when one call of the all-largest run uses backend ``index``."""
    target = (call.site, call.execution)

    def plan(site: int, execution: int) -> int:
        return index if (site, execution) == target else int(base(site, execution))

    result, _ = runner.run(image, plan)
    for other in result.trace.decisions():
        if (other.site, other.execution) == target:
            return (other.confidence if other.ok else 0.0, _right(result, label))
    return (0.0, False)


def _right(result: ExecutionResult, label: Any) -> bool:
    return Feedback.of(result.answer, label, error=result.error).correct


def _sample(
    sites: Mapping[int, SiteInfo], records: Mapping[int, list[Record]]
) -> CalibrationSample:
    functions: dict[str, list[Record]] = {}
    for site, site_records in records.items():
        functions.setdefault(sites[site].fn, []).extend(site_records)
    return CalibrationSample(sites=dict(records), functions=functions)


def _cascade(
    module: Module,
    backends: BackendTable,
    sample: CalibrationSample,
    target: float,
    default_threshold: float,
) -> Module:
    chains = {fn: tuple(b.name for b in group) for fn, group in backends.items()}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "calibration.yaml"
        path.write_text(yaml.safe_dump(sample.model_dump(mode="json")), encoding="utf-8")
        cascade = Cascade(
            threshold=default_threshold, backends=chains, calibration=str(path), target=target
        )
        return PassManager([cascade]).run(module)


def _calls(module: Module) -> Iterable[Any]:
    from fmpc.ir.ops import CallOp

    return (op for op in module.walk() if isinstance(op, CallOp))


class _SmallestEpisode(Episode):
    def decide(self, site: int, features: Mapping[str, float]) -> int:
        return 0


class CascadePolicy(BasePolicy):
    """Calibrated cascades at every site, no learning (see the module docstring).

    ``prepare(module, backends, items, costs=, cache=)`` must be called before the executor is
    built (``fmpc run`` does it); it returns the cascaded module to run and keeps the
    calibration (``calibration``). Sites left without a cascade (one backend) use it.
    """

    def __init__(
        self, warmup: int = 32, *, target: float = 0.01, default_threshold: float = 0.9
    ) -> None:
        if warmup < 1:
            raise PolicyError(f"cascade: the warm-up needs at least 1 input, got {warmup}")
        self.warmup = warmup
        self.target = target
        self.default_threshold = default_threshold
        self.calibration: CascadeCalibration | None = None

    @property
    def name(self) -> str:
        """``cascade(warmup=W,target=T)``."""
        return f"cascade(warmup={self.warmup},target={self.target:g})"

    def prepare(
        self,
        module: Module,
        backends: BackendTable,
        items: Iterable[Any],
        *,
        costs: Mapping[tuple[str, str], float] | None = None,
        cache: ExecutionCache | None = None,
    ) -> Module:
        """Calibrate on the first ``warmup`` labelled items; the cascaded module to run."""
        self.calibration = calibrate_cascade(
            module,
            backends,
            items,
            warmup=self.warmup,
            target=self.target,
            default_threshold=self.default_threshold,
            costs=costs,
            cache=cache,
        )
        return self.calibration.module

    def bind(self, sites: Mapping[int, SiteInfo]) -> None:
        """``PolicyError`` unless ``prepare`` made the program's cascades."""
        if self.calibration is None:
            raise PolicyError(
                "the cascade policy runs a cascaded program: call policy.prepare(module, "
                "backends, items) and build the executor with the module it returns"
            )

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        """The smallest backend at the sites left without a cascade."""
        return _SmallestEpisode()


# ---------------------------------------------------------------- specs


@register_policy("per-query", usage="per-query[:THRESHOLD]")
def per_query_from_spec(argument: str | None, options: Mapping[str, Any]) -> PerQueryRouter:
    """``per-query`` or ``per-query:THRESHOLD``; seed from the ``seed`` option."""
    seed = int(options.get("seed") or 0)
    if argument is None:
        return PerQueryRouter(seed=seed)
    try:
        threshold = float(argument)
    except ValueError:
        raise PolicyError(f"per-query:{argument}: THRESHOLD must be a number in [0, 1]") from None
    return PerQueryRouter(threshold, seed=seed)


@register_policy("cascade", usage="cascade[:WARMUP]")
def cascade_from_spec(argument: str | None, options: Mapping[str, Any]) -> CascadePolicy:
    """``cascade`` or ``cascade:WARMUP`` (labelled inputs to calibrate on)."""
    if argument is None:
        return CascadePolicy()
    if not argument.strip().isdigit():
        raise PolicyError(f"cascade:{argument}: WARMUP must be a positive integer")
    return CascadePolicy(int(argument))


@partial(jax.jit, static_argnames=("learning_rate",))
def _logistic_step(
    params: Any, opt_state: Any, z: Any, y: Any, *, learning_rate: float
) -> tuple[Any, Any]:
    """One Adam step of the logistic model on ``(z, y)``, compiled once for every policy with
    the same learning rate."""

    def loss(p: Any) -> Any:
        return optax.sigmoid_binary_cross_entropy(jnp.dot(z, p["w"]) + p["b"], y)

    grads = jax.grad(loss)(params)
    updates, opt_state = optax.adam(learning_rate).update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state
