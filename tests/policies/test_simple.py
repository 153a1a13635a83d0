"""The policy protocol's pieces and the policies that do not learn: static and random, their
specs and the registry, feedback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from fmpc.policies.base import (
    BasePolicy,
    PolicyError,
    PolicyRegistry,
    UnknownPolicy,
    policy_from_spec,
)
from fmpc.policies.simple import RandomPolicy, StaticPolicy
from fmpc.runtime.policy import EXECUTION, Episode, Feedback, Policy, SiteInfo, answers_match

SITES: Mapping[int, SiteInfo] = {
    0: SiteInfo(0, "find", ("det-s", "det-m", "det-l"), (1.0, 4.0, 16.0)),
    1: SiteInfo(1, "verify_property", ("cls-s", "cls-l"), (2.0, 8.0)),
    4: SiteInfo(4, "exists", ("det-s", "det-l"), (1.0, 16.0)),
}


def decisions(policy: Policy, input_id: str = "in", execution: int = 0) -> dict[int, int]:
    policy.bind(SITES)
    episode = policy.start(input_id, None, SITES)
    return {site: episode.decide(site, {EXECUTION: float(execution)}) for site in SITES}


# ---------------------------------------------------------------- static


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("smallest", {0: 0, 1: 0, 4: 0}),
        ("largest", {0: 2, 1: 1, 4: 1}),
        (("det-m", "det-l", "cls-l"), {0: 1, 1: 1, 4: 1}),
        ({0: "det-l", 1: 0, 4: 1}, {0: 2, 1: 0, 4: 1}),
    ],
)
def test_static_policies_choose_the_same_backends_for_every_input(
    assignment: Any, expected: dict[int, int]
) -> None:
    policy = StaticPolicy(assignment)
    assert decisions(policy, "a") == expected
    assert decisions(policy, "b", execution=3) == expected
    assert isinstance(policy, Policy)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        (
            "det-l",
            r"site 1 \(verify_property\) offers none of det-l \(its backends: cls-s, cls-l\)",
        ),
        ({0: "det-l"}, r"no backend given for site 1"),
        ({0: 3, 1: 0, 4: 0}, r"site 0 \(find\) has 3 backends, no index 3"),
        ({0: "cls-s", 1: 0, 4: 0}, r"site 0 \(find\) has no backend 'cls-s'"),
    ],
)
def test_static_assignments_that_do_not_fit_fail_when_bound(assignment: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        StaticPolicy(assignment).bind(SITES)


def test_a_partial_static_mapping_can_default_to_an_end() -> None:
    assert decisions(StaticPolicy({0: "det-m"}, default="largest")) == {0: 1, 1: 1, 4: 1}


# ---------------------------------------------------------------- random


def test_random_choices_are_a_function_of_seed_input_site_and_execution() -> None:
    policy = RandomPolicy(seed=5)
    first = [decisions(policy, f"in{i}", e) for i in range(50) for e in range(2)]
    again = [decisions(RandomPolicy(seed=5), f"in{i}", e) for i in range(50) for e in range(2)]
    other = [decisions(RandomPolicy(seed=6), f"in{i}", e) for i in range(50) for e in range(2)]
    assert first == again and first != other
    assert [d[0] for d in first[0::2]] != [d[0] for d in first[1::2]]  # executions differ


def test_random_choices_are_uniform_and_in_range() -> None:
    counts: Counter[int] = Counter()
    for i in range(3000):
        counts[decisions(RandomPolicy(1), f"x{i}")[0]] += 1
    assert set(counts) == {0, 1, 2}
    assert all(900 < n < 1100 for n in counts.values())


def test_random_policy_is_thread_safe() -> None:
    policy = RandomPolicy(2)
    ids = [f"in{i}" for i in range(400)]
    alone = [decisions(policy, i) for i in ids]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda i: decisions(policy, i), ids))
    assert together == alone


def test_policy_state_round_trips() -> None:
    policy = RandomPolicy(9)
    state = policy.state()
    fresh = RandomPolicy(0)
    fresh.restore(state)
    assert decisions(fresh) == decisions(policy) and fresh.state() == {"seed": 9}
    assert StaticPolicy("smallest").state() == {}
    with pytest.raises(PolicyError):
        StaticPolicy("smallest").restore({"weights": [1.0]})
    with pytest.raises(PolicyError):
        RandomPolicy().restore([])


# ---------------------------------------------------------------- specs and the registry


@pytest.mark.parametrize(
    ("spec", "name", "expected"),
    [
        ("static:smallest", "static:smallest", {0: 0, 1: 0, 4: 0}),
        ("static:largest", "static:largest", {0: 2, 1: 1, 4: 1}),
        ("static:det-m,cls-l", "static:det-m,cls-l", None),
        ("static:0=det-l, 1=1 ,4=0", "static:0=det-l,1=1,4=0", {0: 2, 1: 1, 4: 0}),
        ("random:7", "random(seed=7)", None),
    ],
)
def test_policies_from_specs(spec: str, name: str, expected: dict[int, int] | None) -> None:
    policy = policy_from_spec(spec)
    assert policy.name == name
    if expected is not None:
        assert decisions(policy) == expected


def test_the_random_seed_comes_from_the_options_unless_the_spec_gives_one() -> None:
    assert policy_from_spec("random", seed=4).name == "random(seed=4)"
    assert policy_from_spec("random").name == "random(seed=0)"
    assert policy_from_spec("random:2", seed=4).name == "random(seed=2)"


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        (
            "greedy",
            UnknownPolicy,
            r"unknown policy 'greedy' \(known: .*random\[:SEED\], static:smallest\|largest",
        ),
        ("static", PolicyError, "static needs an assignment"),
        ("static:a,,b", PolicyError, "empty item"),
        ("static:0=a,x=b", PolicyError, "expected SITE=BACKEND items, got 'x=b'"),
        ("random:abc", PolicyError, "the seed must be an integer"),
    ],
)
def test_bad_specs_say_what_is_accepted(spec: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        policy_from_spec(spec)


def test_a_registry_takes_new_policies_and_lists_them_in_errors() -> None:
    class Always(BasePolicy):
        def __init__(self, index: int) -> None:
            self.index = index

        @property
        def name(self) -> str:
            return f"always:{self.index}"

        def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
            return StaticPolicy({s: self.index for s in sites}).start(input_id, image, sites)

    registry = PolicyRegistry()
    registry.register("always", lambda arg, options: Always(int(arg or 0)), usage="always[:INDEX]")
    assert decisions(policy_from_spec("always:1", registry=registry)) == {0: 1, 1: 1, 4: 1}
    with pytest.raises(UnknownPolicy, match=r"known: always\[:INDEX\]\)"):
        policy_from_spec("static:smallest", registry=registry)
    with pytest.raises(PolicyError, match="already registered"):
        registry.register("always", lambda arg, options: Always(0))
    with pytest.raises(PolicyError, match="without ':'"):
        registry.register("a:b", lambda arg, options: Always(0))


# ---------------------------------------------------------------- feedback and sites


@pytest.mark.parametrize(
    ("answer", "label", "match"),
    [
        ("Yes ", "yes", True),
        (True, "yes", True),
        ("no", False, True),
        (3, 3.0, True),
        (0.1 + 0.2, 0.3, True),
        (3, "3", False),
        ("cat", "dog", False),
        ([1, 2], [1, 2], True),
        (None, "yes", False),
    ],
)
def test_answers_match(answer: Any, label: Any, match: bool) -> None:
    assert answers_match(answer, label) is match
    assert Feedback.of(answer, label).correct is match


def test_a_failed_run_is_wrong_whatever_its_answer() -> None:
    assert Feedback.of("yes", "yes", error="boom").loss == 1.0


def test_site_info_checks_itself_and_finds_backends() -> None:
    assert SITES[0].index("det-l") == 2
    with pytest.raises(KeyError, match="choices: det-s, det-m, det-l"):
        SITES[0].index("cls-s")
    with pytest.raises(ValueError, match="2 costs for 1 backends"):
        SiteInfo(0, "find", ("a",), (1.0, 2.0))
