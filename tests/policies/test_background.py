"""Learning off the request path (``BackgroundLearner``): after ``defer_updates`` a learned
policy trains only in ``update``, on a copy, while decisions go on with the last published
parameters; and its ``spec`` makes it again with every hyperparameter."""

from __future__ import annotations

import threading

import jax
import numpy as np

from fmpc.policies.base import policy_from_spec
from fmpc.policies.budget import BudgetPolicy
from fmpc.policies.neural_ts import NeuralTSPolicy
from fmpc.runtime.policy import EXECUTION, BackgroundLearner
from tests.policies.test_neural_ts import SITES, config, drive, feedback_for, images, trace_of


def _params(policy: NeuralTSPolicy) -> list[np.ndarray]:
    return [np.asarray(leaf) for leaf in jax.tree.leaves(policy.state()["params"])]


def test_deferred_policies_never_train_while_an_input_begins() -> None:
    policy = NeuralTSPolicy(config(update_every=4))
    assert isinstance(policy, BackgroundLearner)
    policy.defer_updates()
    drive(policy, images(16), window=4)
    assert policy.updates == 0
    assert policy.update_due()
    before = _params(policy)
    assert policy.update() is True
    assert policy.updates == 1 and not policy.update_due()
    assert any(not np.array_equal(a, b) for a, b in zip(before, _params(policy), strict=True))
    assert policy.update() is False  # nothing new since


def test_one_background_update_equals_the_inline_one() -> None:
    stream = images(8, seed=2)
    inline = NeuralTSPolicy(config(update_every=8))
    drive(inline, stream, window=8)
    inline.start_window(["next"], images(1, seed=9), SITES)  # the 9th input trains inline
    deferred = NeuralTSPolicy(config(update_every=8))
    deferred.defer_updates()
    drive(deferred, stream, window=8)
    deferred.update()
    for a, b in zip(_params(inline), _params(deferred), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_decisions_and_feedback_go_on_during_an_update() -> None:
    policy = NeuralTSPolicy(config(update_every=4))
    policy.defer_updates()
    drive(policy, images(8), window=4)
    training, served = threading.Event(), threading.Event()
    real_train = policy._train

    def train_while_serving(job):  # type: ignore[no-untyped-def]
        training.set()
        assert served.wait(30), "decisions waited for the update"
        return real_train(job)

    policy._train = train_while_serving  # type: ignore[method-assign]

    def serve() -> None:
        training.wait(30)
        for i, image in enumerate(images(3, seed=7)):
            [episode] = policy.start_window([f"during-{i}"], [image], SITES)
            choices = {s: episode.decide(s, {EXECUTION: 0.0}) for s in SITES}
            trace = trace_of(image, choices, SITES)
            policy.observe(type(trace)(f"during-{i}", trace.calls), feedback_for(image, choices))
        served.set()

    thread = threading.Thread(target=serve)
    thread.start()
    assert policy.update()
    thread.join()
    assert policy.report()["inputs_learned"] == 8 + 3
    assert policy.updates == 1
    assert policy.update()  # what arrived during the first update trains in the next


def test_specs_make_the_same_policy_again() -> None:
    policy = policy_from_spec("neural-ts:nu=0.2,k=8", lam=0.03, seed=5)
    again = policy_from_spec(policy.spec)
    assert again.config == policy.config
    budget = policy_from_spec("budget:step=0.5", budget=2e6, lam=0.02)
    assert isinstance(budget, BudgetPolicy)
    rebuilt = policy_from_spec(budget.spec)
    assert (rebuilt.target, rebuilt.step, rebuilt.config) == (2e6, 0.5, budget.config)
    exact = policy_from_spec("neural-ts:rewards=exact")
    assert policy_from_spec(exact.spec).config.binary_rewards is None
