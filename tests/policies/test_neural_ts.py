"""Neural Thompson sampling: learning from credited decisions, window equivalence, feedback
handling, the compiled uncertainty, specs, thread safety and the adaptive mode.

Most tests drive the policy directly with a synthetic bandit (``drive``): bright images need the
large backend at site 0 to be answered right, dark ones do not; the trace records what the
policy chose and the answer is right or wrong accordingly. That keeps them fast and exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fmpc.policies.base import PolicyError, policy_from_spec
from fmpc.policies.encoder import RewardNet
from fmpc.policies.neural_ts import (
    AdaptiveTSPolicy,
    NeuralTSPolicy,
    TSConfig,
    progress_features,
    unit_costs,
)
from fmpc.policies.thompson import accumulate_u
from fmpc.runtime.policy import EXECUTION, Feedback, SiteInfo
from fmpc.runtime.trace import SiteCall, Trace
from fmpc.semantics.values import ImageValue

SITES: Mapping[int, SiteInfo] = {
    3: SiteInfo(3, "find", ("det-s", "det-l"), (1.0, 10.0)),
    7: SiteInfo(7, "verify_property", ("cls-s", "cls-m", "cls-l"), (1.0, 2.0, 4.0)),
}


def images(n: int, seed: int = 0) -> list[ImageValue]:
    """``n`` 16x16 images, alternately bright and dark, with a little noise."""
    rng = np.random.default_rng(seed)
    made = []
    for i in range(n):
        level = 0.9 if i % 2 else 0.1
        pixels = np.clip(level + 0.05 * rng.standard_normal((16, 16, 3)), 0, 1)
        made.append(ImageValue(pixels.astype(np.float32), f"img-{seed}-{i}"))
    return made


def bright(image: ImageValue) -> bool:
    return float(image.pixels.mean()) > 0.5


def trace_of(image: ImageValue, choices: Mapping[int, int], ran: Iterable[int]) -> Trace:
    calls = tuple(
        SiteCall(
            s,
            SITES[s].fn,
            SITES[s].backends[choices[s]],
            SITES[s].costs[choices[s]],
            None,
            0.9,
            0.0,
            choice=choices[s],
        )
        for s in ran
    )
    return Trace(image.id, calls)


def feedback_for(image: ImageValue, choices: Mapping[int, int]) -> Feedback:
    """Right unless the image is bright and site 3 used its small backend."""
    wrong = bright(image) and choices[3] == 0
    return Feedback("a", "b" if wrong else "a", 1.0 if wrong else 0.0)


def drive(
    policy: NeuralTSPolicy, stream: Sequence[ImageValue], window: int
) -> list[dict[int, int]]:
    """Run ``stream`` through ``policy`` ``window`` inputs at a time, observing each input after
    its window; return every input's choices."""
    policy.bind(SITES)
    chosen: list[dict[int, int]] = []
    for start in range(0, len(stream), window):
        batch = stream[start : start + window]
        episodes = policy.start_window([i.id for i in batch], batch, SITES)
        for image, episode in zip(batch, episodes, strict=True):
            choices = {s: episode.decide(s, {EXECUTION: 0.0}) for s in SITES}
            chosen.append(choices)
            policy.observe(trace_of(image, choices, SITES), feedback_for(image, choices))
    return chosen


def config(**changes: Any) -> TSConfig:
    return TSConfig(**{"update_every": 8, "lam": 0.05, "binary_rewards": None, **changes})


def test_it_learns_to_pay_for_the_large_backend_only_where_it_matters() -> None:
    stream = images(256)
    chosen = drive(NeuralTSPolicy(config(nu=0.05)), stream, window=8)
    late = list(zip(stream[192:], chosen[192:], strict=True))
    large_on_bright = np.mean([c[3] == 1 for i, c in late if bright(i)])
    large_on_dark = np.mean([c[3] == 1 for i, c in late if not bright(i)])
    assert large_on_bright > 0.8
    assert large_on_dark < 0.2
    # site 7 never matters: its cheapest backend wins
    assert np.mean([c[7] == 0 for _, c in late]) > 0.8


def test_a_window_decides_exactly_as_one_input_at_a_time() -> None:
    stream = images(48, seed=1)
    windowed = drive(NeuralTSPolicy(config(seed=3)), stream, window=8)
    single = drive(NeuralTSPolicy(config(seed=3)), stream, window=1)
    halves = drive(NeuralTSPolicy(config(seed=3)), stream, window=4)
    assert windowed == single == halves
    other_seed = drive(NeuralTSPolicy(config(seed=4)), stream, window=8)
    assert other_seed != windowed


def test_only_sites_that_ran_are_credited_by_site_id() -> None:
    policy = NeuralTSPolicy(config())
    policy.bind(SITES)
    [image] = images(1)
    [episode] = policy.start_window([image.id], [image], SITES)
    choices = {s: episode.decide(s, {}) for s in SITES}
    policy.observe(trace_of(image, choices, ran=[7]), Feedback("a", "a", 0.0))
    replay = policy.state()["replay"]
    assert int(replay["added"][0]) == 1
    assert int(replay["site"][0]) == 1  # site 7 is the second site
    assert int(replay["action"][0]) == choices[7]


def test_missing_or_invalid_labels_are_counted_and_not_learned() -> None:
    policy = NeuralTSPolicy(config())
    policy.bind(SITES)
    stream = images(4)
    episodes = policy.start_window([i.id for i in stream], stream, SITES)
    labels = [None, float("nan"), object(), "a"]
    for image, episode, label in zip(stream, episodes, labels, strict=True):
        choices = {s: episode.decide(s, {}) for s in SITES}
        policy.observe(trace_of(image, choices, SITES), Feedback(label, "a", 1.0))
    policy.observe(Trace("never-begun"), Feedback("a", "a", 0.0))
    report = policy.report()
    assert report["feedback_skipped"] == {
        "missing label": 1,
        "invalid label": 2,
        "unknown input": 1,
    }
    assert report["inputs_learned"] == 1
    assert int(policy.state()["replay"]["added"][0]) == len(SITES)


def test_inputs_sharing_an_id_in_a_window_each_get_their_own_feedback() -> None:
    policy = NeuralTSPolicy(config())
    policy.bind(SITES)
    dark, light = images(2)
    stream = [dark, light, light, dark]
    episodes = policy.start_window(["same"] * 4, stream, SITES)
    for episode in episodes:
        choices = {s: episode.decide(s, {}) for s in SITES}
        policy.observe(Trace("same", trace_of(dark, choices, SITES).calls), Feedback("a", "a", 0.0))
    assert policy.report()["feedback_skipped"] == {}  # was {"unknown input": 3}
    assert policy.report()["inputs_learned"] == 4
    features = policy.state()["replay"]["features"][: 4 * len(SITES) : len(SITES)]
    brightness = [float(f[0]) for f in np.asarray(features)]
    # each row learned from its own image, in stream order: dark, light, light, dark
    assert brightness[0] == brightness[3] != brightness[1] == brightness[2]


def test_an_unlabelled_input_is_forgotten_so_a_later_one_of_its_id_is_not_misread() -> None:
    dark, light = images(2)

    def learned(before: list[ImageValue]) -> np.ndarray:
        policy = NeuralTSPolicy(config())
        policy.bind(SITES)
        for image in before:  # begun, answered without a label
            policy.start_window(["same"], [image], SITES)
            policy.forget("same")  # what run_stream does for an input without a label
        [episode] = policy.start_window(["same"], [light], SITES)
        choices = {s: episode.decide(s, {}) for s in SITES}
        policy.observe(
            Trace("same", trace_of(light, choices, SITES).calls), Feedback("a", "a", 0.0)
        )
        assert policy.report()["inputs_learned"] == 1
        return np.asarray(policy.state()["replay"]["features"][0])

    assert np.array_equal(learned([dark, dark]), learned([]))


def test_binary_rewards_are_the_papers_asymmetric_ones_by_default() -> None:
    policy = NeuralTSPolicy()
    loss = policy._loss
    assert loss(Feedback("yes", "yes", 0.0)) == pytest.approx(-1.0)  # TP +1000
    assert loss(Feedback("yes", "no", 1.0)) == pytest.approx(0.1)  # FN -100
    assert loss(Feedback("no", "no", 0.0)) == pytest.approx(-0.001)  # TN +1
    assert loss(Feedback("no", "yes", 1.0)) == pytest.approx(0.1)  # FP -100
    assert loss(Feedback("no", None, 1.0)) == pytest.approx(0.1)  # no answer: wrong
    assert loss(Feedback("7", "7", 0.0)) == 0.0  # open answers: exact match
    exact = NeuralTSPolicy(TSConfig(binary_rewards=None))
    assert exact._loss(Feedback("yes", "no", 1.0)) == 1.0


def test_costs_are_normalised_by_the_largest_backend_of_each_site() -> None:
    assert unit_costs(SITES[3]).tolist() == [0.1, 1.0]
    assert unit_costs(SiteInfo(0, "f", ("a", "b"), (0.0, 0.0))).tolist() == [0.0, 0.0]
    unknown = SiteInfo(0, "f", ("a", "b"), (1.0, float("nan")))
    assert unit_costs(unknown).tolist() == [0.5, 1.0]


def test_u_accumulates_the_squared_gradient_of_the_chosen_arm_only() -> None:
    policy = NeuralTSPolicy(config())
    policy.bind(SITES)  # 2 sites, 3 backends at most: the shapes drive() compiles
    params = policy.state()["params"]
    u = jax.tree.map(jnp.ones_like, params)
    rows = 16
    x = jnp.tile(jnp.linspace(-1, 1, 200), (rows, 1))
    extra = jnp.zeros((rows, 0))
    mask = jnp.zeros(rows).at[0].set(1.0)  # one real row, 15 padding rows
    site, action = jnp.ones(rows, jnp.int32), jnp.full(rows, 2, jnp.int32)
    new_u = accumulate_u(params, u, x, extra, site, action, mask, **policy._static())
    model = RewardNet(2, 3, policy.config.hidden)

    def chosen_arm(p: Any) -> jax.Array:
        return cast(jax.Array, model.apply(p, x[0], extra[0], jnp.int32(1)))[2]

    grad = jax.grad(chosen_arm)(params)
    expected = jax.tree.map(lambda one, g: one + g**2, u, grad)
    for got, want in zip(jax.tree.leaves(new_u), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_the_policy_charges_its_own_flops() -> None:
    policy = NeuralTSPolicy(config())
    policy.bind(SITES)
    [image] = images(1)
    episode = policy.start(image.id, image, SITES)
    assert 1e3 < episode.compute_cost < 1e8


def test_specs_set_hyperparameters_and_reject_bad_ones() -> None:
    policy = policy_from_spec("neural-ts:nu=0.2,k=16,lr=0.01,rewards=exact", lam=0.3, seed=5)
    assert isinstance(policy, NeuralTSPolicy)
    assert policy.config == TSConfig(
        lam=0.3, nu=0.2, update_every=16, learning_rate=0.01, binary_rewards=None, seed=5
    )
    assert policy.window == 16
    assert policy.name == "neural-ts(lam=0.3)"
    assert isinstance(policy_from_spec("adaptive-ts"), AdaptiveTSPolicy)
    with pytest.raises(PolicyError, match="KEY one of"):
        policy_from_spec("neural-ts:temperature=2")
    with pytest.raises(PolicyError, match="not a valid value"):
        policy_from_spec("neural-ts:k=many")
    with pytest.raises(PolicyError, match="nu must be > 0"):
        policy_from_spec("neural-ts:nu=0")


def test_a_policy_learns_for_one_program_only() -> None:
    policy = NeuralTSPolicy(config())
    policy.bind(SITES)
    policy.bind(dict(SITES))  # the same sites again: fine
    with pytest.raises(PolicyError, match="other call sites"):
        policy.bind({0: SiteInfo(0, "exists", ("a", "b"), (1.0, 2.0))})


def test_windows_and_feedback_from_many_threads_stay_consistent() -> None:
    policy = NeuralTSPolicy(config())
    policy.bind(SITES)
    stream = images(64, seed=2)

    def work(part: int) -> int:
        batch = stream[part * 8 : part * 8 + 8]
        episodes = policy.start_window([i.id for i in batch], batch, SITES)
        for image, episode in zip(batch, episodes, strict=True):
            choices = {s: episode.decide(s, {}) for s in SITES}
            policy.observe(trace_of(image, choices, SITES), feedback_for(image, choices))
        return len(episodes)

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(work, range(8))) == 64
    assert policy.report()["inputs_learned"] == 64
    assert int(policy.state()["replay"]["added"][0]) == 64 * len(SITES)


# ---------------------------------------------------------------- adaptive


def drive_adaptive(policy: AdaptiveTSPolicy, stream: Sequence[ImageValue], window: int) -> list:
    """Like ``drive``, site 7 reached only when site 3 said something (its confidence and output
    are in the features)."""
    policy.bind(SITES)
    chosen = []
    for start in range(0, len(stream), window):
        batch = stream[start : start + window]
        for image, episode in zip(
            batch, policy.start_window([i.id for i in batch], batch, SITES), strict=True
        ):
            features = {EXECUTION: 0.0}
            choices = {3: episode.decide(3, features)}
            features.update(
                {"site3.confidence": 0.6, "site3.output": 1.0, "site3.backend": float(choices[3])}
            )
            choices[7] = episode.decide(7, features)
            chosen.append(choices)
            policy.observe(trace_of(image, choices, SITES), feedback_for(image, choices))
    return chosen


def test_adaptive_decisions_see_what_ran_and_are_window_independent() -> None:
    stream = images(24, seed=4)
    windowed = drive_adaptive(AdaptiveTSPolicy(config()), stream, window=8)
    single = drive_adaptive(AdaptiveTSPolicy(config()), stream, window=1)
    assert windowed == single
    binding = AdaptiveTSPolicy(config())
    binding.bind(SITES)
    context = progress_features(binding.binding, {"site3.confidence": 0.6, "site3.backend": 1.0})
    assert context.shape == (3 + 4 * len(SITES),)
    assert context[3:7].tolist() == pytest.approx([1.0, 0.6, 0.0, 1.0])  # site 3 ran
    assert context[7:].tolist() == [0.0] * 4  # site 7 did not


def test_flops_are_analysed_once_per_signature_and_equal_a_fresh_analysis() -> None:
    from fmpc.policies import encoder

    @jax.jit
    def affine(x: jax.Array, w: jax.Array) -> jax.Array:
        return x @ w + 1.0

    x, w = np.ones((3, 4), np.float32), np.ones((4, 5), np.float32)
    direct = affine.lower(x, w).cost_analysis()
    direct = direct[0] if isinstance(direct, list | tuple) else direct
    assert encoder.flops_of(affine, x, w) == float(direct["flops"]) > 0
    before = encoder._analysed.cache_info().hits
    assert encoder.flops_of(affine, 2 * x, 3 * w) == float(direct["flops"])  # same signature
    assert encoder._analysed.cache_info().hits == before + 1
    assert encoder.flops_of(affine, np.ones((6, 4), np.float32), w) > direct["flops"]


def test_fresh_policies_start_from_identical_parameters() -> None:
    from fmpc.policies import thompson

    first = thompson.init_params(2, 3, 16, 4, seed=5)
    again = thompson.init_params(2, 3, 16, 4, seed=5)
    other = thompson.init_params(2, 3, 16, 4, seed=6)
    same = jax.tree.map(lambda a, b: bool(np.array_equal(a, b)), first, again)
    assert all(jax.tree.leaves(same))
    assert not all(jax.tree.leaves(jax.tree.map(np.array_equal, first, other)))
