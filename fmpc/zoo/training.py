"""One Optax training loop for every zoo model, with a rich progress bar.

``fit`` minimises ``loss_fn(params, batch)`` with AdamW and a warm-up + cosine learning-rate
schedule on minibatches drawn (with a seeded generator) from in-memory arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np
import optax
from rich.progress import Progress, TaskID

LossFn = Callable[[Any, Mapping[str, jax.Array]], jax.Array]
"""``loss_fn(params, batch) -> scalar``: ``batch`` holds one minibatch of each data array."""


def optimizer(learning_rate: float, steps: int) -> optax.GradientTransformation:
    """AdamW with a linear warm-up over 5% of ``steps`` then cosine decay, gradients clipped."""
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, learning_rate, max(steps // 20, 1), max(steps, 2), learning_rate * 0.02
    )
    return optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=1e-4))


Sampler = Callable[[np.ndarray], Mapping[str, np.ndarray]]
"""``sample(rows) -> batch``: the minibatch of the given example indices."""


def rows_of(data: Mapping[str, np.ndarray]) -> tuple[Sampler, int]:
    """A sampler over equally long arrays, and their length."""
    return (lambda rows: {key: value[rows] for key, value in data.items()}), len(
        next(iter(data.values()))
    )


def fit(
    loss_fn: LossFn,
    params: Any,
    data: Mapping[str, np.ndarray] | tuple[Sampler, int],
    *,
    steps: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    progress: Progress | None = None,
    task: TaskID | None = None,
    every: int = 0,
    callback: Callable[[int, Any], None] | None = None,
) -> tuple[Any, float]:
    """Train ``params`` for ``steps`` minibatches of ``data`` (arrays, or a sampler and the
    number of examples); returns them and the final loss (mean of the last 20 steps).
    ``progress``/``task`` show a bar when given; ``callback(step, params)`` runs every
    ``every`` steps (a learning curve)."""
    tx = optimizer(learning_rate, steps)
    state = tx.init(params)

    @jax.jit
    def step(params: Any, state: Any, batch: Mapping[str, jax.Array]) -> tuple[Any, Any, jax.Array]:
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    sample, size = data if isinstance(data, tuple) else rows_of(data)
    rng = np.random.default_rng(seed)
    losses: list[float] = []
    for k in range(steps):
        rows = rng.integers(0, size, batch_size)
        params, state, loss = step(params, state, dict(sample(rows)))
        if k >= steps - 20 or k % 25 == 0:
            losses.append(float(loss))
        if progress is not None and task is not None:
            progress.update(task, advance=1, description=_describe(progress, task, losses[-1]))
        if callback is not None and every and (k + 1) % every == 0:
            callback(k + 1, params)
    return params, float(np.mean(losses[-20:]))


def _describe(progress: Progress, task: TaskID, loss: float) -> str:
    name = str(progress.tasks[task].fields.get("model", ""))
    return f"{name:<8} loss {loss:7.4f}"
