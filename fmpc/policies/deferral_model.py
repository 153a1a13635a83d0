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

INITIAL_RATES = {"wrong": 0.03, "fix": 0.7, "break": 0.1}
"""Each head's probability before it has learned anything (its initial bias)."""


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
        w = weight / max(float(weight.sum()), 1e-9)
        mean = (x * w[:, None]).sum(axis=0).astype(np.float64)
        std = np.sqrt(((x - mean) ** 2 * w[:, None]).sum(axis=0))
        mean[0] = 0.0
        return cls(mean, np.where(std > 1e-6, std, 1.0).astype(np.float64))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, np.float64) - self.mean) / self.scale).astype(np.float32)


@dataclass(frozen=True, eq=False)
class Head:
    """One head: ``params`` (numpy pytree), the ``anchor`` it is pulled towards, and, for a
    Thompson-sampled head (``hidden == 0``), the diagonal ``precision`` of its output layer."""

    params: Any
    anchor: Any
    hidden: int = 0
    precision: np.ndarray | None = None

    @classmethod
    def initial(
        cls, name: str, n_features: int, hidden: int, seed: int, precision: float | None = None
    ) -> Head:
        """A head that knows nothing: random hidden weights, zero output weights, its bias at
        ``INITIAL_RATES[name]``; with ``precision``, a sampled head with that prior precision
        on every output weight."""
        params = HeadNet(hidden).init(jax.random.key(seed), jnp.zeros((n_features,)))
        params = jax.tree.map(np.asarray, params)
        out = params["params"]["out"]
        out["kernel"] = np.zeros_like(out["kernel"])
        rate = INITIAL_RATES[name]
        out["bias"] = np.full((1,), np.log(rate / (1 - rate)), np.float32)
        prior = None if precision is None else np.full(n_features + 1, precision, np.float64)
        return cls(params, params, hidden, prior)

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
    without hidden units (the sampled ones) also get their posterior precision (``prior`` plus
    each row's ``p (1 - p) z^2``)."""
    names = tuple(data)
    trained = _train(
        tuple(heads[n].params for n in names),
        tuple(heads[n].anchor for n in names),
        z.astype(np.float32),
        np.stack([data[n][0] for n in names]).astype(np.float32),
        np.stack([data[n][1] for n in names]).astype(np.float32),
        np.int32(steps),
        np.float32(prior),
        hidden=tuple(heads[n].hidden for n in names),
        learning_rate=learning_rate,
    )
    out = dict(heads)
    for name, params in zip(names, trained, strict=True):
        params = jax.tree.map(np.asarray, params)
        head = heads[name]
        weight = data[name][1]
        precision = None if head.hidden else _precision(params, z, weight, prior)
        out[name] = Head(params, head.anchor, head.hidden, precision)
    return out


def _precision(params: Any, z: np.ndarray, weight: np.ndarray, prior: float) -> np.ndarray:
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
            pull = sum(
                jnp.sum((a - b) ** 2)
                for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(anchor), strict=True)
            )
            total = total + ((data * weights[k]).sum() + prior * pull) / totals[k]
        return total

    def step(_: jax.Array, carry: tuple[Any, Any]) -> tuple[Any, Any]:
        ps, state = carry
        updates, state = tx.update(jax.grad(loss)(ps), state, ps)
        return optax.apply_updates(ps, updates), state

    trained, _ = jax.lax.fori_loop(0, steps, step, (params, tx.init(params)))
    return tuple(trained)


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
