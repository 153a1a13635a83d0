"""Baselines: the per-query router learns which inputs all-smallest answers right; calibrated
cascades escalate only below their thresholds, which are the smallest within the target."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from fmpc.frontend.compiler import compile_source
from fmpc.policies.base import PolicyError, policy_from_spec
from fmpc.policies.baselines import (
    CascadePolicy,
    PerQueryRouter,
    calibrate_cascade,
    feature_flops,
    image_features,
)
from fmpc.runtime.backends import BackendTable, CallableBackend
from fmpc.runtime.cache import ExecutionCache
from fmpc.runtime.executor import Executor, run_stream
from fmpc.runtime.inputs import InputItem
from fmpc.runtime.policy import Feedback
from fmpc.semantics.values import ImageValue

PROGRAM = """
def execute_command(image):
    image_patch = ImagePatch(image)
    return bool_to_yesno(image_patch.exists("circle"))
"""


# ---------------------------------------------------------------- per-query router


def scene(index: int, hard: bool) -> ImageValue:
    """A flat grey image (easy) or a noisy one (hard); the circle is there when ``index`` is odd."""
    rng = np.random.default_rng(index)
    noise = 0.3 if hard else 0.01
    pixels = np.clip(0.5 + rng.normal(0.0, noise, (16, 16, 3)), 0.0, 1.0).astype(np.float32)
    return ImageValue(pixels, id=f"{'hard' if hard else 'easy'}-{index}")


def truth(image_id: str) -> bool:
    return int(image_id.split("-")[1]) % 2 == 1


def router_table() -> BackendTable:
    def small(patch: Any, name: str) -> bool:  # right on easy scenes only
        image_id = patch.image.id
        return truth(image_id) != image_id.startswith("hard")

    def large(patch: Any, name: str) -> bool:
        return truth(patch.image.id)

    return BackendTable.of(
        [
            CallableBackend("ex-s", "exists", small, 1.0),
            CallableBackend("ex-l", "exists", large, 10.0),
        ]
    )


def labelled(images: Sequence[ImageValue]) -> list[InputItem]:
    return [InputItem(im.id, im, "yes" if truth(im.id) else "no", labelled=True) for im in images]


def test_the_per_query_router_learns_to_send_hard_inputs_to_the_large_program() -> None:
    rng = np.random.default_rng(0)
    stream = [scene(i, hard=bool(rng.random() < 0.5)) for i in range(240)]
    router = PerQueryRouter(0.8, epsilon=0.3, learning_rate=0.1, seed=1, window=8)
    executor = Executor(compile_source(PROGRAM), router_table(), router)
    steps = list(run_stream(executor, labelled(stream)))
    assert router.updates > 30
    easy = [scene(1000 + i, hard=False) for i in range(20)]
    hard = [scene(2000 + i, hard=True) for i in range(20)]
    assert min(router.probability_small_right(im) for im in easy) > 0.8
    assert max(router.probability_small_right(im) for im in hard) < 0.5
    late = steps[-80:]
    routed_small = [s.result.trace.calls[0].backend == "ex-s" for s in late if s.result]
    easy_late = [s.item.input_id.startswith("easy") for s in late]
    agree = sum(r == e for r, e in zip(routed_small, easy_late, strict=True)) / len(late)
    assert agree > 0.8  # the rest: exploration of hard inputs with all-smallest
    cost = late[0].result.trace.policy_cost if late[0].result else 0.0
    assert cost == feature_flops(late[0].item.image) > 0


def test_the_router_decides_a_window_like_one_input_at_a_time_and_restores_its_state() -> None:
    stream = labelled([scene(i, hard=i % 3 == 0) for i in range(48)])
    first = PerQueryRouter(seed=2, window=16)
    executor = Executor(compile_source(PROGRAM), router_table(), first)
    batched = [s.result.trace.calls[0].backend for s in run_stream(executor, stream) if s.result]
    second = PerQueryRouter(seed=2, window=16)
    executor = Executor(compile_source(PROGRAM), router_table(), second)
    alone = []
    for start in range(0, len(stream), 16):  # the same windows, one input at a time
        window = stream[start : start + 16]
        results = [executor.run(item.image) for item in window]
        alone += [r.trace.calls[0].backend for r in results]
        for item, result in zip(window, results, strict=True):
            second.observe(result.trace, Feedback.of(result.answer, item.label))
    assert batched == alone
    copy = PerQueryRouter(seed=2)
    copy.restore(first.state())
    probe = scene(77, hard=True)
    assert copy.probability_small_right(probe) == first.probability_small_right(probe)
    assert copy.updates == first.updates > 0
    with pytest.raises(PolicyError, match="per-query"):
        copy.restore({"params": {}})


def test_image_features_are_cheap_statistics_that_separate_noise() -> None:
    easy, hard = image_features(scene(1, False)), image_features(scene(1, True))
    assert easy.shape == hard.shape == (6,)
    assert hard[2] > 10 * easy[2]  # gradient energy
    assert not image_features(None).any()


# ---------------------------------------------------------------- cascade

CONFIDENCES = (0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
"""ex-s's confidence on scene i; it is wrong below 0.6."""


def cascade_table(calls: list[tuple[str, str]]) -> BackendTable:
    def small(patch: Any, name: str) -> tuple[bool, float]:
        index = int(patch.image.id.split("-")[1])
        confidence = CONFIDENCES[index % len(CONFIDENCES)]
        calls.append(("ex-s", patch.image.id))
        return (truth(patch.image.id) == (confidence >= 0.6), confidence)

    def large(patch: Any, name: str) -> tuple[bool, float]:
        calls.append(("ex-l", patch.image.id))
        return (truth(patch.image.id), 1.0)

    return BackendTable.of(
        [
            CallableBackend("ex-s", "exists", small, 1.0, with_confidence=True),
            CallableBackend("ex-l", "exists", large, 10.0, with_confidence=True),
        ]
    )


def flat(index: int) -> ImageValue:
    return ImageValue(np.zeros((4, 4, 3), np.float32), id=f"scene-{index}")


@pytest.mark.parametrize(("target", "threshold"), [(0.0, 0.6), (0.2, 0.5)])
def test_cascade_calibration_picks_the_smallest_threshold_within_the_target(
    target: float, threshold: float
) -> None:
    items = [InputItem("unlabelled", flat(99))] + labelled([flat(i) for i in range(12)])
    found = calibrate_cascade(
        compile_source(PROGRAM), cascade_table([]), items, warmup=10, target=target
    )
    assert found.thresholds == {0: (threshold,)}
    assert found.inputs == tuple(f"scene-{i}" for i in range(10))
    assert len(found.sample.sites[0]) == 10


def test_the_cascade_policy_escalates_only_below_its_threshold() -> None:
    calls: list[tuple[str, str]] = []
    table = cascade_table(calls)
    module = compile_source(PROGRAM)
    policy = policy_from_spec("cascade:10")
    assert isinstance(policy, CascadePolicy)
    with pytest.raises(PolicyError, match="prepare"):
        Executor(module, table, policy)
    items = labelled([flat(i) for i in range(20)])
    cache = ExecutionCache()
    cascaded = policy.prepare(module, table, items, cache=cache)
    assert policy.calibration is not None and policy.calibration.thresholds == {0: (0.6,)}
    executor = Executor(cascaded, table, policy, cache=cache)
    for step in run_stream(executor, items[10:]):
        assert step.result is not None and step.feedback is not None
        index = int(step.item.input_id.split("-")[1])
        backends = [c.backend for c in step.result.trace.calls]
        escalated = CONFIDENCES[index % 10] < 0.6
        assert backends == (["ex-s", "ex-l"] if escalated else ["ex-s"])
        assert step.feedback.correct
        assert step.result.cost == (11.0 if escalated else 1.0)


def test_baseline_specs() -> None:
    assert policy_from_spec("per-query:0.7", seed=4).name == "per-query(threshold=0.7)"
    assert policy_from_spec("cascade").name == "cascade(warmup=32,target=0.01)"
    with pytest.raises(PolicyError, match="THRESHOLD"):
        policy_from_spec("per-query:high")
    with pytest.raises(PolicyError, match="WARMUP"):
        policy_from_spec("cascade:-3")
