"""The synthetic world: its backends are right as often as configured, its labels follow the
program, and its Bayes-optimal decision values behave as the objective says."""

from __future__ import annotations

import numpy as np
import pytest

from fmpc.frontend import compile_source
from fmpc.semantics.interpreter import Interpreter
from fmpc.semantics.values import PatchValue
from fmpc.worlds.synthetic import SyntheticWorld

WORLD = SyntheticWorld(seed=5)


def test_backends_are_right_as_often_as_their_accuracy_says() -> None:
    table = WORLD.backends()
    small, large = (table["verify_property"][i] for i in (0, 1))
    assert (small.name, large.name) == ("small", "large")
    for backend in (small, large):
        right, expected = [], []
        for i in range(600):
            image = WORLD.image(i)
            [result] = backend([(PatchValue.whole(image), "thing", "fact0")])
            right.append(result.output == image.scene.truths[0])
            expected.append(WORLD.accuracy(backend.name, image.scene.difficulty))
            assert 0.0 <= result.confidence <= 1.0
        assert np.mean(right) == pytest.approx(np.mean(expected), abs=0.04)


def test_wrong_calls_are_less_confident_and_calls_are_deterministic() -> None:
    image = WORLD.image(3)
    assert WORLD.call("small", image, 1) == WORLD.call("small", image, 1)
    right, wrong = [], []
    for i in range(800):
        image = WORLD.image(i)
        output, confidence = WORLD.call("small", image, 0)
        (right if output == image.scene.truths[0] else wrong).append(confidence)
    assert wrong and np.mean(wrong) < np.mean(right) - 0.2


def test_labels_are_the_program_on_the_true_facts() -> None:
    module = compile_source(WORLD.program, "synthetic.py")
    truth = {"verify_property": lambda patch, name, prop: patch.image.scene.truths[int(prop[4:])]}
    interpreter = Interpreter(module, truth)
    for item in WORLD.items(40):
        assert interpreter.run(item.image) == item.label
    share = np.mean([item.label == "yes" for item in WORLD.items(400)])
    assert share == pytest.approx(WORLD.truth_rate**WORLD.sites, abs=0.07)


def test_the_optimum_rechecks_doubtful_answers_only_when_cheap_enough() -> None:
    confident = [(True, 0.99)] * 3
    doubtful = [(True, 0.99), (False, 0.2)]
    keep, recheck = WORLD.decision_values(0.5, confident, lam=0.05)
    assert keep < recheck  # a confident "yes" is kept
    keep, recheck = WORLD.decision_values(0.5, doubtful, lam=0.05)
    assert recheck < keep  # a doubtful "no" is worth re-checking
    keep, recheck = WORLD.decision_values(0.5, doubtful, lam=50.0)
    assert keep < recheck  # ... unless compute is dear


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="sites"):
        SyntheticWorld(sites=0)
    with pytest.raises(ValueError, match="accuracy"):
        SyntheticWorld(small=(0.9, 0.6))
