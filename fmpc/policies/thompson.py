"""The compiled parts of neural Thompson sampling: choosing backends, accumulating the diagonal
``U`` and training from the replay buffer. Every function here is ``jax.jit``-compiled; the
network's shape (``n_sites``, ``n_backends``, ``hidden``) and the optimizer's settings are static
arguments, so policies of the same shape share compiled code.

Uncertainty (NeuralTS with a diagonal approximation): for backend ``b`` at a site, with ``g_b``
the gradient of its predicted reward with respect to every network parameter,
``sigma_b^2 = lambda_reg * sum(g_b^2 / U)``; ``U`` starts at ``lambda_reg`` and accumulates
``g^2`` of the chosen arms. The per-backend gradients come from one ``jax.jacrev`` (vectorised
over sites and inputs with ``jax.vmap``), never a loop of backward passes. A sample
``mu_b + nu * sigma_b * eps_b`` (``eps ~ N(0, 1)``) minus ``lam * cost_b`` is scored and the best
backend chosen.

Randomness: the noise of one decision comes from
``fold_in(fold_in(fold_in(key(seed), input), site), execution)``, so it depends on nothing else
(not on the window, the thread or the order of inputs).
"""

from __future__ import annotations

from functools import partial
from typing import Any, cast

import jax
import jax.numpy as jnp
import optax

from fmpc.policies.encoder import FEATURES, RewardNet, image_features

UNAVAILABLE = 1e9
"""The cost given to padding backends a site does not have, so they are never chosen."""


def optimizer(learning_rate: float, weight_decay: float) -> optax.GradientTransformation:
    """The policies' optimizer: AdamW."""
    return optax.adamw(learning_rate, weight_decay=weight_decay)


def init_params(n_sites: int, n_backends: int, hidden: int, extra: int, seed: int) -> Any:
    """Fresh network parameters (from ``seed``), initialised in one compiled call (an eager
    init compiles every initializer's operations one by one, seconds on a busy CPU)."""
    return _init_params(
        jnp.int32(seed), n_sites=n_sites, n_backends=n_backends, hidden=hidden, extra=extra
    )


@partial(jax.jit, static_argnames=("n_sites", "n_backends", "hidden", "extra"))
def _init_params(seed: jax.Array, *, n_sites: int, n_backends: int, hidden: int, extra: int) -> Any:
    # Compiled once per network shape, whatever the seed: a new policy compiles nothing.
    model = RewardNet(n_sites, n_backends, hidden)
    features = jnp.zeros(FEATURES)
    return model.init(jax.random.key(seed), features, jnp.zeros(extra), jnp.int32(0))


@partial(jax.jit, static_argnames=("learning_rate", "weight_decay", "lambda_reg"))
def fresh_training(
    params: Any, *, learning_rate: float, weight_decay: float, lambda_reg: float
) -> tuple[Any, Any]:
    """The optimizer's initial state for ``params`` and the diagonal ``U`` filled with
    ``lambda_reg``, compiled once per shape and settings."""
    opt_state = optimizer(learning_rate, weight_decay).init(params)
    u = jax.tree.map(lambda p: jnp.full(p.shape, lambda_reg, jnp.float32), params)
    return opt_state, u


def _noise_key(
    seed: jax.Array, input_hash: jax.Array, site_id: jax.Array, execution: jax.Array
) -> jax.Array:
    key = jax.random.fold_in(jax.random.key(seed), input_hash)
    return jax.random.fold_in(jax.random.fold_in(key, site_id), execution)


def _thompson(
    model: RewardNet,
    params: Any,
    u: Any,
    features: jax.Array,
    extra: jax.Array,
    site: jax.Array,
    key: jax.Array,
    lam_cost: jax.Array,
    nu: jax.Array,
    lambda_reg: jax.Array,
) -> jax.Array:
    """The chosen backend at one site: argmax of a Thompson sample minus ``lam * cost``."""

    def predict(p: Any) -> jax.Array:
        return cast(jax.Array, model.apply(p, features, extra, site))

    mu = predict(params)
    jacobian = jax.jacrev(predict)(params)
    parts = [
        jnp.sum((g**2 / d).reshape(g.shape[0], -1), axis=1)
        for g, d in zip(jax.tree.leaves(jacobian), jax.tree.leaves(u), strict=True)
    ]
    sigma = jnp.sqrt(lambda_reg * sum(parts))
    sample = mu + nu * sigma * jax.random.normal(key, mu.shape)
    return jnp.argmax(sample - lam_cost).astype(jnp.int32)


@partial(jax.jit, static_argnames=("n_sites", "n_backends", "hidden"))
def decide_upfront(
    params: Any,
    u: Any,
    pixels: jax.Array,
    input_hashes: jax.Array,
    site_ids: jax.Array,
    lam_costs: jax.Array,
    seed: jax.Array,
    nu: jax.Array,
    lambda_reg: jax.Array,
    *,
    n_sites: int,
    n_backends: int,
    hidden: int,
) -> tuple[jax.Array, jax.Array]:
    """Every site's backend for a batch of images: ``(choices [W, S], features [W, F])``.

    ``pixels`` is ``[W, H, W', 3]``; ``lam_costs`` ``[S, B]`` (``lam`` times the normalised
    cost, ``UNAVAILABLE`` for padding).
    """
    model = RewardNet(n_sites, n_backends, hidden)
    features = jax.vmap(image_features)(pixels)
    extra = jnp.zeros(0)
    sites = jnp.arange(n_sites)

    def one_site(x: jax.Array, h: jax.Array, s: jax.Array) -> jax.Array:
        key = _noise_key(seed, h, site_ids[s], jnp.int32(0))
        return _thompson(model, params, u, x, extra, s, key, lam_costs[s], nu, lambda_reg)

    def one_input(x: jax.Array, h: jax.Array) -> jax.Array:
        return jax.vmap(lambda s: one_site(x, h, s))(sites)

    return jax.vmap(one_input)(features, input_hashes), features


@jax.jit
def encode(pixels: jax.Array) -> jax.Array:
    """The image features of a batch ``[W, H, W', 3]`` of images."""
    return jax.vmap(image_features)(pixels)


@partial(jax.jit, static_argnames=("n_sites", "n_backends", "hidden"))
def decide_one(
    params: Any,
    u: Any,
    features: jax.Array,
    extra: jax.Array,
    site: jax.Array,
    site_id: jax.Array,
    execution: jax.Array,
    input_hash: jax.Array,
    lam_cost: jax.Array,
    seed: jax.Array,
    nu: jax.Array,
    lambda_reg: jax.Array,
    *,
    n_sites: int,
    n_backends: int,
    hidden: int,
) -> jax.Array:
    """The backend for one execution of one site, from the image ``features`` and the ``extra``
    context of what the run computed so far (the adaptive policy)."""
    model = RewardNet(n_sites, n_backends, hidden)
    key = _noise_key(seed, input_hash, site_id, execution)
    return _thompson(model, params, u, features, extra, site, key, lam_cost, nu, lambda_reg)


@partial(jax.jit, static_argnames=("n_sites", "n_backends", "hidden"))
def accumulate_u(
    params: Any,
    u: Any,
    features: jax.Array,
    extra: jax.Array,
    site: jax.Array,
    action: jax.Array,
    mask: jax.Array,
    *,
    n_sites: int,
    n_backends: int,
    hidden: int,
) -> Any:
    """``U + sum(mask * g^2)`` over rows, ``g`` the gradient of the chosen arm's prediction."""
    model = RewardNet(n_sites, n_backends, hidden)

    def squared(x: jax.Array, e: jax.Array, s: jax.Array, a: jax.Array) -> Any:
        grads = jax.grad(lambda p: model.apply(p, x, e, s)[a])(params)
        return jax.tree.map(jnp.square, grads)

    squares = jax.vmap(squared)(features, extra, site, action)
    return jax.tree.map(lambda d, s: d + jnp.tensordot(mask, s, axes=1), u, squares)


@partial(
    jax.jit,
    static_argnames=(
        "n_sites",
        "n_backends",
        "hidden",
        "learning_rate",
        "weight_decay",
        "batch_size",
    ),
)
def train(
    params: Any,
    opt_state: Any,
    columns: dict[str, jax.Array],
    count: jax.Array,
    steps: jax.Array,
    key: jax.Array,
    *,
    n_sites: int,
    n_backends: int,
    hidden: int,
    learning_rate: float,
    weight_decay: float,
    batch_size: int,
) -> tuple[Any, Any, jax.Array]:
    """``steps`` AdamW steps on minibatches drawn uniformly from the first ``count`` rows:
    squared error between the chosen backend's predicted reward and its target. Returns the new
    parameters, optimizer state and the last minibatch's loss."""
    model = RewardNet(n_sites, n_backends, hidden)
    transform = optimizer(learning_rate, weight_decay)

    def loss_of(p: Any, rows: jax.Array) -> jax.Array:
        predict = jax.vmap(lambda x, e, s: model.apply(p, x, e, s))
        predicted = cast(
            jax.Array,
            predict(columns["features"][rows], columns["extra"][rows], columns["site"][rows]),
        )
        chosen = jnp.take_along_axis(predicted, columns["action"][rows][:, None], axis=1)[:, 0]
        return jnp.mean((chosen - columns["target"][rows]) ** 2)

    def step(i: jax.Array, carry: tuple[Any, Any, jax.Array]) -> tuple[Any, Any, jax.Array]:
        p, state, _ = carry
        rows = jax.random.randint(jax.random.fold_in(key, i), (batch_size,), 0, count)
        loss, grads = jax.value_and_grad(loss_of)(p, rows)
        updates, state = transform.update(grads, state, p)
        return optax.apply_updates(p, updates), state, loss

    return jax.lax.fori_loop(0, steps, step, (params, opt_state, jnp.float32(0.0)))
