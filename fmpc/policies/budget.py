"""A budgeted policy: neural Thompson sampling that holds a target mean cost per input by
adapting its cost weight ``lam`` online (a dual, Lagrangian update).

At every update (every k inputs, when the next window begins) the mean cost per input of the
inputs observed since the last update is compared with the target, and

    lam <- clip(lam * exp(step * (mean_cost / target - 1)), LAM_MIN, LAM_MAX)

(a multiplicative dual step on ``log lam``, the ratio clipped to [0, 4] so one expensive window
cannot blow ``lam`` up). Spending above the target raises ``lam``, below it lowers ``lam``. Costs
are each input's total cost (backends plus the policy's own), in the backends' unit (FLOPs for the
zoo). Spec: ``budget[:KEY=VALUE,...]`` with the target from the runner's ``budget`` option
(``fmpc run --budget C``), the starting ``lam`` from ``lam``, and the dual step as ``step=``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fmpc.policies.base import PolicyError, register_policy
from fmpc.policies.neural_ts import NeuralTSPolicy, TSConfig, _Learning

DUAL_STEP = 1.0
"""Default dual step size (on ``log lam``)."""

LAM_MIN = 1e-4
LAM_MAX = 10.0
"""The range ``lam`` is kept in."""


class BudgetPolicy(NeuralTSPolicy):
    """``NeuralTSPolicy`` whose ``lam`` follows a target mean cost per input (``target``)."""

    kind = "budget"

    def __init__(
        self, target: float, config: TSConfig | None = None, *, step: float = DUAL_STEP
    ) -> None:
        if not (math.isfinite(target) and target > 0):
            raise PolicyError(f"budget: the target mean cost must be a number > 0, got {target}")
        if not step > 0:
            raise PolicyError(f"budget: the dual step must be > 0, got {step}")
        config = config or TSConfig()
        if config.lam < LAM_MIN:
            config = replace(config, lam=LAM_MIN)
        super().__init__(config)
        self.target = float(target)
        self.step = float(step)

    @property
    def name(self) -> str:
        """``budget(target=C)``."""
        return f"budget(target={self.target:g})"

    @property
    def spec(self) -> str:
        """A spec that makes this policy again, target and every hyperparameter included."""
        return f"budget:target={self.target!r},step={self.step!r},{self.config.to_items()}"

    def _adapt(self, learning: _Learning) -> None:
        """The dual step on the window's mean cost (called under the lock at an update)."""
        if learning.window_inputs:
            ratio = learning.window_cost / learning.window_inputs / self.target
            change = self.step * (min(max(ratio, 0.0), 4.0) - 1.0)
            learning.lam = min(max(learning.lam * math.exp(change), LAM_MIN), LAM_MAX)
        super()._adapt(learning)

    def report(self) -> dict[str, Any]:
        """``NeuralTSPolicy.report()`` plus ``budget``: the target and the achieved mean cost
        per observed input."""
        report = super().report()
        with self._lock:
            learning = self._learning
            achieved = (
                learning.cost_total / learning.cost_inputs
                if learning is not None and learning.cost_inputs
                else None
            )
        report["budget"] = {"target": self.target, "achieved": achieved}
        return report


@register_policy("budget", usage="budget[:KEY=VALUE,...] (with --budget C)")
def budget_from_spec(argument: str | None, options: Mapping[str, Any]) -> BudgetPolicy:
    """``budget[:target=C,step=S,KEY=VALUE,...]``: the target from the ``budget`` option unless
    the spec gives it."""
    items = [i.strip() for i in (argument or "").split(",") if i.strip()]
    own = {key: _item(items, key) for key in ("target", "step")}
    rest = ",".join(i for i in items if i.partition("=")[0].strip() not in own)
    target = own["target"] if own["target"] is not None else options.get("budget")
    if target is None:
        raise PolicyError("budget needs a target mean cost per input: --budget C")
    step = own["step"] if own["step"] is not None else DUAL_STEP
    return BudgetPolicy(float(target), TSConfig.from_items(rest, options), step=step)


def _item(items: list[str], key: str) -> float | None:
    """The number of the last ``key=VALUE`` item, if any."""
    given = [i.partition("=")[2].strip() for i in items if i.partition("=")[0].strip() == key]
    if not given:
        return None
    try:
        return float(given[-1])
    except ValueError:
        raise PolicyError(f"budget: bad {key} {given[-1]!r}") from None
