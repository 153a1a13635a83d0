"""The budgeted policy: the dual update moves ``lam`` toward the target mean cost, and the
report states the target and what was achieved."""

from __future__ import annotations

import pytest

from fmpc.policies.base import PolicyError, policy_from_spec
from fmpc.policies.budget import LAM_MIN, BudgetPolicy
from tests.policies.test_neural_ts import SITES, config, drive, images


def test_spending_above_the_target_raises_lam_and_below_lowers_it() -> None:
    stream = images(48, seed=6)
    # site 3 costs 1 or 10, site 7 1, 2 or 4: a mean of 2 per input is far below the start
    tight = BudgetPolicy(2.0, config(lam=0.05))
    drive(tight, stream, window=8)
    assert tight.lam > 0.05
    loose = BudgetPolicy(1000.0, config(lam=0.05))
    drive(loose, stream, window=8)
    assert LAM_MIN <= loose.lam < 0.05
    report = tight.report()
    assert report["budget"]["target"] == 2.0
    assert report["budget"]["achieved"] > 2.0
    assert report["lam"] == tight.lam


def test_the_achieved_cost_approaches_a_reachable_target() -> None:
    stream = images(160, seed=7)
    policy = BudgetPolicy(7.0, config(lam=0.01, nu=0.05))
    chosen = drive(policy, stream, window=8)
    costs = [SITES[3].costs[c[3]] + SITES[7].costs[c[7]] for c in chosen[-64:]]
    assert 4.0 < sum(costs) / len(costs) < 10.0  # between all-small (2) and all-large (14)


def test_budget_specs_need_a_target() -> None:
    with pytest.raises(PolicyError, match="--budget C"):
        policy_from_spec("budget")
    policy = policy_from_spec("budget:step=0.25,k=16", budget=3e6, lam=0.1)
    assert isinstance(policy, BudgetPolicy)
    assert (policy.target, policy.step, policy.window) == (3e6, 0.25, 16)
    assert policy.name == "budget(target=3e+06)"
    with pytest.raises(PolicyError, match="> 0"):
        BudgetPolicy(0.0)
