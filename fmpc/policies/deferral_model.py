"""The deferral policy's models: three small heads over standardised run features.

* ``wrong``: the probability that the cheap answer is wrong (a Flax MLP with one hidden layer;
  trained on every labelled input: full information);
* ``fix``: the probability that a re-check answers right when the cheap answer was wrong;
* ``break``: the probability that it answers wrong when the cheap answer was right.

The last two are Bayesian logistic regressions (a Gaussian posterior with diagonal precision,
Laplace's approximation) learned only from re-checked inputs, and sampled for Thompson
sampling (Chapelle and Li, 2011). A ``Head`` is immutable: ``fit_head`` returns a new one.
Training is full batch over the policy's buffer with Optax's Adam in one compiled loop,
minimising the weighted logistic loss plus an L2 pull towards the head's ``anchor`` (its warm
start, or its initial values), worth ``prior`` inputs. Deciding is a numpy forward pass.

Warm starts are JSON files (``fmpc.policies.pretrain`` writes them): models trained on the
streams of other programs, each with the benchmark queries it saw, so that a benchmark can pick
one that never saw the query it scores (``read_warm_start(path, exclude)``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

FORMAT = 1
"""Version of the warm-start file format."""

HEADS = ("wrong", "fix", "break")
"""The deferral heads, in order."""

INITIAL_RATES = {"wrong": 0.03, "fix": 0.7, "break": 0.001}
"""Each head's probability before it has learned anything (its initial bias). A re-check runs
larger backends, which rarely turn a right answer wrong: ``break`` starts at the rate measured
on seed-1 benchmark streams (3 of 3,960 right cheap "no" answers turned wrong on re-check;
docs/benchmarks.md). A pessimistic start (0.1) re-checked only inputs whose cheap answer was
wrong with probability above 7%, so lowering ``lam`` never approached all-largest quality."""


class HeadNet(nn.Module):
    """Standardised features -> one logit; ``hidden`` tanh units beside the linear term."""

    hidden: int = 0

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        if self.hidden:
            z = jnp.concatenate([z, nn.tanh(nn.Dense(self.hidden, name="hidden")(z))], -1)
        return nn.Dense(1, name="out")(z)[..., 0]


@dataclass(frozen=True)
class Standardizer:
    """Per-feature ``mean`` and ``scale``: ``z = (x - mean) / scale``."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, weight: np.ndarray) -> Standardizer:
        """The weighted mean and standard deviation of the rows ``x`` (the bias feature and
        constant features keep mean 0 / scale 1)."""
        x = np.asarray(x, np.float64)  # float32 sums leave constant columns a spread
        w = np.asarray(weight, np.float64) / max(float(weight.sum()), 1e-9)
        mean = (x * w[:, None]).sum(axis=0)
        std = np.sqrt(((x - mean) ** 2 * w[:, None]).sum(axis=0))
        scale = np.where(std > 1e-6, std, 1.0)
        mean[0], scale[0] = 0.0, 1.0  # the bias stays 1: rounding must not blow it up
        return cls(mean, scale.astype(np.float64))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, np.float64) - self.mean) / self.scale).astype(np.float32)


@dataclass(frozen=True, eq=False)
class Head:
    """One head: ``params`` (numpy pytree), the ``anchor`` it is pulled towards, and, for a
    Thompson-sampled head (``hidden == 0``), the diagonal ``precision`` of its output layer and
    its ``strength``: the prior precision of each output weight (the pull towards the anchor;
    weights, then bias)."""

    params: Any
    anchor: Any
    hidden: int = 0
    precision: np.ndarray | None = None
    strength: np.ndarray | None = None

    @classmethod
    def initial(
        cls,
        name: str,
        n_features: int,
        hidden: int,
        seed: int,
        precision: float | None = None,
        rate: float | None = None,
        rate_weight: float | None = None,
    ) -> Head:
        """A head that knows nothing: random hidden weights, zero output weights, its bias at
        ``rate`` (default ``INITIAL_RATES[name]``); with ``precision``, a sampled head with that
        prior precision on every output weight but its two bias terms (the weight of the
        constant feature and the bias), whose prior is worth ``rate_weight`` inputs at
        ``rate`` (a logit's information per input is ``rate * (1 - rate)``: a rare rate's
        prior must be loose in logits to be worth as many inputs as a common one's)."""
        params = HeadNet(hidden).init(jax.random.key(seed), jnp.zeros((n_features,)))
        params = jax.tree.map(np.asarray, params)
        out = params["params"]["out"]
        out["kernel"] = np.zeros_like(out["kernel"])
        rate = INITIAL_RATES[name] if rate is None else rate
        out["bias"] = np.full((1,), np.log(rate / (1 - rate)), np.float32)
        if precision is None:
            return cls(params, params, hidden)
        strength = np.full(n_features + 1, precision, np.float64)
        if rate_weight is not None:
            strength[[0, -1]] = 2.0 * rate_weight * rate * (1.0 - rate)  # two terms share it
        return cls(params, params, hidden, strength.copy(), strength)

    @property
    def flops(self) -> float:
        """FLOPs of one forward pass."""
        return 2.0 * float(sum(np.size(leaf) for leaf in jax.tree.leaves(self.params)))

    def logit(self, z: np.ndarray, noise: np.ndarray | None = None) -> float:
        """The logit for standardised features ``z``; ``noise`` (standard normal, one per
        output weight and the bias) draws the output layer from its posterior instead."""
        p = self.params["params"]
        if self.hidden:
            z = np.concatenate([z, np.tanh(z @ p["hidden"]["kernel"] + p["hidden"]["bias"])])
        kernel, bias = p["out"]["kernel"][:, 0], float(p["out"]["bias"][0])
        if noise is not None and self.precision is not None:
            spread = noise / np.sqrt(self.precision)
            kernel, bias = kernel + spread[:-1], bias + float(spread[-1])
        return float(z @ kernel + bias)

    def probability(self, z: np.ndarray, noise: np.ndarray | None = None) -> float:
        """``sigmoid(logit)``."""
        return float(1.0 / (1.0 + np.exp(-np.clip(self.logit(z, noise), -40.0, 40.0))))

    def state(self) -> dict[str, Any]:
        """The head as a pytree of arrays (checkpoints; no ``precision`` until it has one)."""
        state = {"params": self.params, "anchor": self.anchor}
        return state if self.precision is None else {**state, "precision": self.precision}

    def restored(self, state: Mapping[str, Any]) -> Head:
        """This head with the arrays of ``state()`` (same shapes)."""
        precision = state.get("precision")
        return Head(
            _like(self.params, state["params"]),
            _like(self.anchor, state["anchor"]),
            self.hidden,
            None if precision is None else np.asarray(precision, np.float64),
            self.strength,
        )

    def to_json(self) -> dict[str, Any]:
        """The head as JSON (warm-start files)."""
        leaves = jax.tree.leaves(self.params)
        data: dict[str, Any] = {"hidden": self.hidden, "params": [a.tolist() for a in leaves]}
        if self.precision is not None:
            data["precision"] = self.precision.tolist()
        return data

    def with_json(self, data: Mapping[str, Any]) -> Head:
        """This head's structure with the values of ``to_json()``, which become its anchor."""
        leaves, treedef = jax.tree.flatten(self.params)
        given = [np.asarray(v, np.float32) for v in data["params"]]
        if data.get("hidden") != self.hidden or [g.shape for g in given] != [
            np.shape(leaf) for leaf in leaves
        ]:
            raise ValueError("the warm start's shapes do not fit this head")
        params = jax.tree.unflatten(treedef, given)
        precision = data.get("precision")
        return Head(
            params,
            params,
            self.hidden,
            None if precision is None else np.asarray(precision, np.float64),
            self.strength,
        )


def _like(template: Any, given: Any) -> Any:
    leaves, treedef = jax.tree.flatten(template)
    values = [np.asarray(v) for v in jax.tree.leaves(given)]
    if [v.shape for v in values] != [np.shape(leaf) for leaf in leaves]:
        raise ValueError("saved parameters have other shapes")
    return jax.tree.unflatten(treedef, values)


def fit_heads(
    heads: Mapping[str, Head],
    z: np.ndarray,
    data: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    steps: int,
    learning_rate: float,
    prior: float,
) -> dict[str, Head]:
    """Every head of ``data`` (name -> (target, weight) per row of ``z``, the standardised
    features) trained on its rows with ``weight > 0``, all in one compiled call; the heads
    without hidden units (the sampled ones) also get their posterior precision (their prior
    ``strength`` plus each row's ``p (1 - p) z^2``)."""
    names = tuple(data)
    strengths = {n: _strength(heads[n], z.shape[1], prior) for n in names}
    trained = _train(
        tuple(heads[n].params for n in names),
        tuple(heads[n].anchor for n in names),
        z.astype(np.float32),
        np.stack([data[n][0] for n in names]).astype(np.float32),
        np.stack([data[n][1] for n in names]).astype(np.float32),
        np.int32(steps),
        np.float32(prior),
        tuple(strengths[n] for n in names),
        hidden=tuple(heads[n].hidden for n in names),
        learning_rate=learning_rate,
    )
    out = dict(heads)
    for name, params in zip(names, trained, strict=True):
        params = jax.tree.map(np.asarray, params)
        head = heads[name]
        weight = data[name][1]
        strength = strengths[name]
        precision = None if strength is None else _precision(params, z, weight, strength)
        out[name] = Head(params, head.anchor, head.hidden, precision, head.strength)
    return out


def _strength(head: Head, n_features: int, prior: float) -> np.ndarray | None:
    """A sampled head's prior precision per output weight (``None`` for an MLP head, pulled
    by ``prior`` everywhere)."""
    if head.hidden:
        return None
    if head.strength is not None:
        return np.asarray(head.strength, np.float32)
    return np.full(n_features + 1, prior, np.float32)


def _precision(params: Any, z: np.ndarray, weight: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The diagonal of a logistic head's Laplace posterior precision."""
    out = params["params"]["out"]
    rows = np.concatenate([z, np.ones((len(z), 1), np.float32)], axis=1)
    weights = np.concatenate([out["kernel"][:, 0], out["bias"]])
    p = 1.0 / (1.0 + np.exp(-np.clip(rows @ weights, -40.0, 40.0)))
    return prior + ((weight * p * (1 - p))[:, None] * rows**2).sum(axis=0)


@partial(jax.jit, static_argnames=("hidden", "learning_rate"))
def _train(
    params: tuple[Any, ...],
    anchors: tuple[Any, ...],
    z: jax.Array,
    targets: jax.Array,
    weights: jax.Array,
    steps: jax.Array,
    prior: jax.Array,
    strengths: tuple[jax.Array | None, ...],
    *,
    hidden: tuple[int, ...],
    learning_rate: float,
) -> tuple[Any, ...]:
    nets = [HeadNet(h) for h in hidden]
    tx = optax.adam(learning_rate)
    totals = jnp.maximum(weights.sum(axis=1), 1.0) + prior

    def loss(ps: tuple[Any, ...]) -> jax.Array:
        total = jnp.asarray(0.0)
        for k, (net, p, anchor) in enumerate(zip(nets, ps, anchors, strict=True)):
            data = optax.sigmoid_binary_cross_entropy(net.apply(p, z), targets[k])
            total = (
                total
                + ((data * weights[k]).sum() + _pull(p, anchor, prior, strengths[k])) / totals[k]
            )
        return total

    def step(_: jax.Array, carry: tuple[Any, Any]) -> tuple[Any, Any]:
        ps, state = carry
        updates, state = tx.update(jax.grad(loss)(ps), state, ps)
        return optax.apply_updates(ps, updates), state

    trained, _ = jax.lax.fori_loop(0, steps, step, (params, tx.init(params)))
    return tuple(trained)


def _pull(p: Any, anchor: Any, prior: jax.Array, strength: jax.Array | None) -> jax.Array:
    """The L2 pull of ``p`` towards ``anchor``: ``prior`` on every parameter, or ``strength``
    per output weight of a sampled head."""
    if strength is None:
        return prior * sum(
            jnp.sum((a - b) ** 2)
            for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(anchor), strict=True)
        )
    out, start = p["params"]["out"], anchor["params"]["out"]
    delta = jnp.concatenate([(out["kernel"] - start["kernel"])[:, 0], out["bias"] - start["bias"]])
    return jnp.sum(strength * delta**2)


# ---------------------------------------------------------------- warm starts


@dataclass(frozen=True)
class WarmStart:
    """A trained standardiser and heads, and the benchmark queries whose streams trained them."""

    queries: tuple[str, ...]
    standardizer: Standardizer
    heads: Mapping[str, Head]


def write_warm_start(path: Path, starts: Sequence[WarmStart], about: Mapping[str, Any]) -> None:
    """Write ``starts`` to ``path`` (JSON), with ``about`` describing how they were made."""
    models = [
        {
            "queries": sorted(s.queries),
            "mean": s.standardizer.mean.tolist(),
            "scale": s.standardizer.scale.tolist(),
            "heads": {name: head.to_json() for name, head in s.heads.items()},
        }
        for s in starts
    ]
    data = {"format": FORMAT, "about": dict(about), "models": models}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")


def read_warm_start(
    path: Path, exclude: Sequence[str], initial: Mapping[str, Head]
) -> WarmStart | None:
    """The warm start of ``path`` trained on the most queries but none of ``exclude``, shaped
    like the ``initial`` heads; ``None`` when the file is missing or none fits."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: warm-start format {data.get('format')!r}, expected {FORMAT}")
    banned = set(exclude)
    fitting = [m for m in data["models"] if not banned & set(m["queries"])]
    if not fitting:
        return None
    best = max(fitting, key=lambda m: len(m["queries"]))
    heads = {name: initial[name].with_json(best["heads"][name]) for name in HEADS}
    standardizer = Standardizer(np.asarray(best["mean"]), np.asarray(best["scale"]))
    return WarmStart(tuple(best["queries"]), standardizer, heads)
