"""The executor: same answers as the reference interpreter on the whole corpus, traces and cost
accounting, the execution cache, failures and fallbacks, cascades, batched calls, windows,
adaptive features, and several executors running at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from fmpc.frontend import compile_source
from fmpc.ir import parse, verify
from fmpc.ir.ops_batch import BatchCallOp  # noqa: F401 - registers fmpc.call.batch for the parser
from fmpc.policies.base import BasePolicy, PolicyError
from fmpc.policies.simple import RandomPolicy, StaticPolicy
from fmpc.runtime.backends import (
    Args,
    BackendResult,
    BackendTable,
    BackendTimeout,
)
from fmpc.runtime.cache import ExecutionCache, args_digest
from fmpc.runtime.executor import Executor, RoutingError, run_stream
from fmpc.runtime.inputs import InputItem
from fmpc.runtime.policy import CALLS_SO_FAR, EXECUTION, Episode, Feedback, SiteInfo, feature_key
from fmpc.runtime.trace import ExecutionResult
from fmpc.semantics.errors import ProgramError
from fmpc.semantics.interpreter import Interpreter
from fmpc.semantics.values import ImageValue, PatchValue
from tests.fakes import SCENES, fake_backends, scene_image
from tests.test_corpus import EXPECTED, NAMES, compiled

SMALL, LARGE = 1.0, 10.0


class Recording:
    """A backend wrapping a fake function that records the size of every batch it serves."""

    def __init__(
        self,
        name: str,
        function: str,
        fn: Callable[..., Any],
        cost: float,
        confidence: float = 1.0,
        fail_on: Callable[[Args], BackendResult | None] | None = None,
    ) -> None:
        self.name, self.function = name, function
        self._fn, self._cost, self._confidence = fn, cost, confidence
        self._fail_on = fail_on
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def cost(self, args: Args) -> float:
        return self._cost

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        with self._lock:
            self.batches.append(len(batch))
        return [self._one(args) for args in batch]

    def _one(self, args: Args) -> BackendResult:
        failure = self._fail_on(args) if self._fail_on is not None else None
        if failure is not None:
            return failure
        return BackendResult(self._fn(*args), self._confidence, self._cost)

    @property
    def items(self) -> int:
        return sum(self.batches)


def fake_table(
    fallbacks: Mapping[tuple[str, str], str] | None = None, **overrides: Recording
) -> BackendTable:
    """Two backends per function, ``small`` (cost 1) and ``large`` (cost 10), both the fake;
    ``overrides`` replace ``<function>_<name>`` entries."""
    backends = []
    for fn, f in fake_backends().items():
        for name, cost in (("small", SMALL), ("large", LARGE)):
            backends.append(overrides.get(f"{fn}_{name}") or Recording(name, fn, f, cost))
    return BackendTable.of(backends, fallbacks)


def program(source: str, name: str = "prog.py") -> Any:
    return compile_source(source, name)


RED_SEVEN = compiled("red_seven")
CAT_OR_DOG = program(
    "def execute_command(image):\n"
    "    p = ImagePatch(image)\n"
    '    if p.exists("cat"):\n'
    '        return "cat"\n'
    '    if p.exists("dog"):\n'
    '        return "dog"\n'
    '    return "none"\n'
)


def _reference(module: Any, image: ImageValue) -> tuple[Any, int, str | None]:
    try:
        result = Interpreter(module, fake_backends()).run_with_stats(image)
    except ProgramError as exc:
        return None, 0, str(exc)
    return result.answer, result.total_calls, None


def _shape(result: ExecutionResult) -> tuple[Any, ...]:
    """What must not depend on how an input was run (latencies may)."""
    calls = tuple(
        (c.site, c.backend, c.execution, c.via, c.cost, c.cached) for c in result.trace.calls
    )
    return (result.input_id, result.answer, result.cost, result.error is None, calls)


# ---------------------------------------------------------------- semantics


@pytest.mark.parametrize("name", NAMES)
def test_answers_equal_the_reference_interpreter_on_the_corpus(name: str) -> None:
    module = compiled(name)
    executor = Executor(module, fake_table(), RandomPolicy(seed=3))
    images = [scene_image(scene) for scene in EXPECTED[name]]
    for image in images:
        answer, calls, error = _reference(module, image)
        result = executor.run(image)
        if error is not None:
            assert result.error is not None and result.answer is None
            continue
        assert result.error is None, result.error
        assert result.answer == answer and type(result.answer) is type(answer)
        assert len(result.trace.decisions()) == calls
        assert result.cost == pytest.approx(result.trace.backend_cost)
    window = executor.run_window(images)
    assert [_shape(r) for r in window] == [_shape(executor.run(i)) for i in images]


def test_several_executors_with_different_policies_run_concurrently() -> None:
    policies = [StaticPolicy("smallest"), StaticPolicy("largest"), RandomPolicy(1), RandomPolicy(2)]
    cache = ExecutionCache()
    jobs = [(n, s) for n in NAMES[:30] for s in EXPECTED[n]]

    def run_all(policy: Any, shared: ExecutionCache | None) -> list[tuple[Any, ...]]:
        executors = {
            n: Executor(compiled(n), fake_table(), policy, cache=shared) for n in NAMES[:30]
        }
        return [_shape(executors[n].run(scene_image(s)))[:4] for n, s in jobs]

    sequential = [run_all(p, None) for p in policies]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(lambda p: run_all(p, cache), policies))
    assert concurrent == sequential
    assert sequential[0] != sequential[1]  # the policies really differ (costs)


# ---------------------------------------------------------------- traces and costs


def test_trace_costs_add_up_to_the_total_with_the_policy_compute() -> None:
    class Charged(BasePolicy):
        name = "charged"

        def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
            episode = StaticPolicy("largest").start(input_id, image, sites)
            episode.compute_cost = 2.5
            return episode

    result = Executor(RED_SEVEN, fake_table(), Charged()).run(scene_image("blue_sevens"))
    assert [(c.site, c.backend, c.cost) for c in result.trace.calls] == [
        (0, "large", LARGE),
        (1, "large", LARGE),
        (1, "large", LARGE),
    ]
    assert result.trace.backend_cost == 3 * LARGE
    assert result.trace.policy_cost == 2.5
    assert result.cost == result.trace.total_cost == 3 * LARGE + 2.5
    assert result.trace.cost_by_site() == {0: LARGE, 1: 2 * LARGE}
    assert [c.execution for c in result.trace.calls] == [0, 0, 1]


def test_a_program_that_exits_early_is_charged_only_for_what_ran() -> None:
    executor = Executor(CAT_OR_DOG, fake_table(), StaticPolicy("smallest"))
    early = executor.run(scene_image("pets"))  # a cat: the dog check never runs
    late = executor.run(scene_image("empty"))
    assert early.answer == "cat" and early.trace.executed_sites == {0}
    assert early.cost == SMALL
    assert late.answer == "none" and late.trace.executed_sites == {0, 1}
    assert late.cost == 2 * SMALL


def test_sites_offer_the_backends_named_by_the_route_pass() -> None:
    module = compiled("red_seven").clone()
    module.routable_calls()[1].attributes["backends"] = ("large",)
    verify(module)
    executor = Executor(module, fake_table(), StaticPolicy("smallest"))
    assert executor.sites[0].backends == ("small", "large")
    assert executor.sites[0].costs == (SMALL, LARGE)
    assert executor.sites[1].backends == ("large",)
    result = executor.run(scene_image("red_seven"))
    assert [c.backend for c in result.trace.calls] == ["small", "large"]


def test_unservable_sites_are_reported_with_their_location() -> None:
    table = BackendTable.of(b for f in ("find",) for b in fake_table()[f])
    with pytest.raises(
        RoutingError, match=r"red_seven\.py:8:12: site 1 \(verify_property\): no backends"
    ):
        Executor(RED_SEVEN, table, StaticPolicy("smallest"))
    module = compiled("red_seven").clone()
    module.routable_calls()[0].attributes["backends"] = ("medium",)
    with pytest.raises(RoutingError, match="unknown backend.*medium"):
        Executor(module, fake_table(), StaticPolicy("smallest"))


def test_a_policy_that_cannot_route_the_program_fails_when_bound() -> None:
    with pytest.raises(PolicyError, match="offers none of huge"):
        Executor(RED_SEVEN, fake_table(), StaticPolicy("huge"))


# ---------------------------------------------------------------- failures


def _fails_on(scene: str, timeout: bool = False) -> Callable[[Args], BackendResult | None]:
    def check(args: Args) -> BackendResult | None:
        if args[0].image.id != scene:
            return None
        error = BackendTimeout("no answer within 1s") if timeout else RuntimeError("boom")
        if not timeout:
            raise error  # a raising backend: call_batch turns it into a failure
        return BackendResult.failure(error)

    return check


@pytest.mark.parametrize("timeout", [False, True])
def test_a_failing_backend_gives_a_per_input_error_and_the_stream_continues(timeout: bool) -> None:
    flaky = Recording(
        "small",
        "verify_property",
        fake_backends()["verify_property"],
        SMALL,
        fail_on=_fails_on("blue_sevens", timeout),
    )
    executor = Executor(
        RED_SEVEN, fake_table(verify_property_small=flaky), StaticPolicy("smallest")
    )
    results = executor.run_window([scene_image(s) for s in ("red_seven", "blue_sevens", "empty")])
    assert [r.answer for r in results] == ["yes", None, "no"]
    failed = results[1]
    assert (
        failed.error is not None and "site 1" in failed.error and "'small' failed (" in failed.error
    )
    assert (
        ("timed out" in failed.error or "no answer" in failed.error)
        if timeout
        else "boom" in failed.error
    )
    assert [(c.site, c.ok) for c in failed.trace.calls] == [(0, True), (1, False)]  # nothing lost
    assert failed.cost == failed.trace.total_cost == SMALL


def test_a_failed_backend_falls_back_when_configured() -> None:
    flaky = Recording(
        "small",
        "verify_property",
        fake_backends()["verify_property"],
        SMALL,
        fail_on=_fails_on("blue_sevens"),
    )
    fallbacks = {("verify_property", "small"): "large"}
    table = fake_table(fallbacks, verify_property_small=flaky)
    result = Executor(RED_SEVEN, table, StaticPolicy("smallest")).run(scene_image("blue_sevens"))
    assert result.error is None and result.answer == "no"
    rows = [(c.site, c.backend, c.via, c.fell_back_from, c.ok) for c in result.trace.calls]
    assert rows == [
        (0, "small", "policy", None, True),
        (1, "small", "policy", None, False),
        (1, "large", "fallback", "small", True),
        (1, "small", "policy", None, False),
        (1, "large", "fallback", "small", True),
    ]
    assert result.cost == SMALL + 2 * LARGE
    off = Executor(RED_SEVEN, table, StaticPolicy("smallest"), fallbacks=False).run(
        scene_image("blue_sevens")
    )
    assert off.error is not None and len(off.trace.calls) == 2


def test_program_errors_become_results_with_their_location() -> None:
    module = program(
        "def execute_command(image):\n"
        "    p = ImagePatch(image)\n"
        '    return bool_to_yesno(p.find("7")[0].verify_property("7", "red"))\n',
        "first.py",
    )
    result = Executor(module, fake_table(), StaticPolicy("smallest")).run(scene_image("empty"))
    assert result.answer is None and result.error is not None
    assert "first.py:3:" in result.error and "out of range" in result.error
    assert [c.site for c in result.trace.calls] == [0]


class _Scripted(BasePolicy):
    """A policy whose decisions (or failures) come from ``choose(site, features)``."""

    name = "scripted"

    def __init__(
        self, choose: Callable[[int, Mapping[str, float]], Any], fail_start: bool = False
    ) -> None:
        self.choose, self.fail_start = choose, fail_start
        self.seen: list[dict[str, float]] = []

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        if self.fail_start:
            raise RuntimeError("no model loaded")
        policy = self

        class _Episode(Episode):
            def decide(self, site: int, features: Mapping[str, float]) -> int:
                policy.seen.append({"site": site, **features})
                return policy.choose(site, features)  # type: ignore[no-any-return]

        return _Episode()


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (_Scripted(lambda site, f: 1 / 0), "policy scripted failed to decide: ZeroDivisionError"),
        (_Scripted(lambda site, f: 7), "policy scripted chose backend 7; the site has 2"),
        (_Scripted(lambda site, f: "large"), "returned 'large', not a backend index"),
        (
            _Scripted(lambda site, f: 0, fail_start=True),
            "policy scripted failed to start: RuntimeError",
        ),
    ],
)
def test_policy_failures_are_per_input_errors(policy: _Scripted, message: str) -> None:
    result = Executor(RED_SEVEN, fake_table(), policy).run(scene_image("red_seven"))
    assert result.answer is None and result.error is not None and message in result.error
    assert result.trace.calls == ()


# ---------------------------------------------------------------- adaptive features


def test_adaptive_policies_see_what_the_run_computed_so_far() -> None:
    policy = _Scripted(lambda site, f: 1 if f.get(feature_key(0, "output"), 0) > 1 else 0)
    result = Executor(RED_SEVEN, fake_table(), policy).run(scene_image("blue_sevens"))
    first, second, third = policy.seen
    assert first["site"] == 0 and first[EXECUTION] == 0 and first[CALLS_SO_FAR] == 0
    assert feature_key(0, "confidence") not in first
    assert second[feature_key(0, "output")] == 2.0  # two sevens found
    assert second[feature_key(0, "confidence")] == 1.0 and second[feature_key(0, "backend")] == 0
    assert second[CALLS_SO_FAR] == 1 and third[EXECUTION] == 1
    assert third[feature_key(1, "output")] == 0.0  # the first seven is not red
    assert [c.backend for c in result.trace.calls] == ["small", "large", "large"]


# ---------------------------------------------------------------- the cache


def test_the_cache_runs_each_backend_call_once_across_policies() -> None:
    table = fake_table()
    cache = ExecutionCache()
    images = [scene_image(s) for s in SCENES]
    first = [
        Executor(RED_SEVEN, table, p, cache=cache).run_window(images)
        for p in (RandomPolicy(0), RandomPolicy(1))
    ]
    served = sum(b.items for group in table.values() for b in group)  # type: ignore[attr-defined]
    assert served == len(cache) == cache.misses
    again = Executor(RED_SEVEN, table, RandomPolicy(0), cache=cache).run_window(images)
    assert sum(b.items for group in table.values() for b in group) == served  # type: ignore[attr-defined]
    assert all(c.cached for r in again for c in r.trace.calls)
    assert [(r.answer, r.cost) for r in again] == [(r.answer, r.cost) for r in first[0]]
    blue = next(i for i in images if i.id == "blue_sevens")
    entries = cache.entries(blue)
    assert entries == cache.entries(scene_image("blue_sevens"))  # the same content
    assert {(e.key.site, e.key.backend) for e in entries} >= {
        (0, r.trace.calls[0].backend) for r in again if r.input_id == "blue_sevens"
    }
    assert all(e.key.input == cache.input_key(blue) and e.result.ok for e in entries)


def test_the_cache_is_bounded_and_skips_what_it_cannot_key() -> None:
    cache = ExecutionCache(max_entries=2)
    keys = [cache.key(f"in{i}", 0, "exists", "small", ("x",)) for i in range(3)]
    for key in keys:
        assert key is not None
        cache.put(key, BackendResult(True, 1.0, 1.0), 0.01)
    assert len(cache) == 2 and cache.get(keys[0]) is None and cache.get(keys[2]) is not None
    assert cache.entries("in0") == () and len(cache.entries("in2")) == 1
    assert cache.stats().evictions == 1 and cache.hits == 1 and cache.misses == 1
    assert cache.key("", 0, "exists", "small", ("x",)) is None
    assert cache.key("in", 0, "exists", "small", (object(),)) is None
    cache.put(keys[1], BackendResult.failure(BackendTimeout("late")), 0.1)
    assert cache.get(keys[1]) is not None  # a failure never replaces a good entry


def test_argument_digests_are_stable_and_tell_values_apart() -> None:
    image = ImageValue(np.zeros((10, 10, 3), np.float32), id="a")
    twin = ImageValue(np.zeros((10, 10, 3), np.float32), id="a")
    patch = PatchValue(image, 0, 0, 5, 5)
    assert args_digest((patch, "7", [1, 2.5])) == args_digest(
        (PatchValue(twin, 0, 0, 5, 5), "7", [1, 2.5])
    )
    same_id = ImageValue(np.ones((10, 10, 3), np.float32), id="a")  # a duplicate id
    other_id = ImageValue(np.zeros((10, 10, 3), np.float32), id="b")
    variants = [
        (PatchValue(same_id, 0, 0, 5, 5), "7", [1, 2.5]),
        (PatchValue(other_id, 0, 0, 5, 5), "7", [1, 2.5]),
        (PatchValue(image, 0, 0, 5, 6), "7", [1, 2.5]),
        (patch, "8", [1, 2.5]),
        (patch, "7", [1, 2.5, None]),
        (patch, "7", (1, 2.5)),
        (patch, 7, [1, 2.5]),
    ]
    digests = {args_digest(v) for v in variants} | {args_digest((patch, "7", [1, 2.5]))}
    assert len(digests) == len(variants) + 1


# ---------------------------------------------------------------- windows, batches, cascades


def test_a_window_batches_the_backend_calls_of_its_inputs() -> None:
    find = Recording("small", "find", fake_backends()["find"], SMALL)
    table = fake_table(find_small=find)
    executor = Executor(RED_SEVEN, table, StaticPolicy("smallest"))
    images = [scene_image(s) for s in ("red_seven", "blue_sevens", "empty", "digits_row")]
    results = executor.run_window(images)
    assert find.batches == [4]
    assert [_shape(r) for r in results] == [_shape(executor.run(i)) for i in images]


BATCHED = """
module "batched.fmp" {
  func @execute_command(%image: Image) -> List[Bool] {
    %p = fmpc.lib(%image) {fn = "image_patch"} : (Image) -> Patch
    %digit = fmpc.const() {value = "digit"} : () -> Str
    %red = fmpc.const() {value = "red"} : () -> Str
    %ds = fmpc.call(%p, %digit) {fn = "find", site = 0} : (Patch, Str) -> List[Patch]
    %r = fmpc.call.batch(%ds, %digit, %red) {fn = "verify_property", site = 1, batched = [0]} : (List[Patch], Str, Str) -> List[Bool]
    fmpc.return(%r) : (List[Bool]) -> ()
  }
}
"""


def test_a_batched_call_serves_its_items_in_one_request_per_backend() -> None:
    verify_small = Recording("small", "verify_property", fake_backends()["verify_property"], SMALL)
    module = parse(BATCHED)
    verify(module)
    policy = _Scripted(lambda site, f: int(f[EXECUTION]) % 2 if site == 1 else 0)
    executor = Executor(module, fake_table(verify_property_small=verify_small), policy)
    result = executor.run(scene_image("digits_row"))
    assert result.answer == [True, False, True, False, True]
    assert verify_small.batches == [3]
    calls = result.trace.calls_at(1)
    assert [(c.execution, c.backend) for c in calls] == [
        (0, "small"),
        (1, "large"),
        (2, "small"),
        (3, "large"),
        (4, "small"),
    ]
    assert executor.run(scene_image("empty")).answer == []


def test_a_cascade_site_escalates_while_the_confidence_is_low() -> None:
    module = compiled("red_seven").clone()
    module.routable_calls()[1].attributes.update(cascade=("small", "large"), thresholds=(0.9,))
    verify(module)

    def run(confidence: float) -> ExecutionResult:
        unsure = Recording(
            "small", "verify_property", fake_backends()["verify_property"], SMALL, confidence
        )
        executor = Executor(
            module, fake_table(verify_property_small=unsure), StaticPolicy("smallest")
        )
        assert list(executor.sites) == [0]  # the cascade site is not the policy's
        return executor.run(scene_image("red_seven"))

    unsure, sure = run(0.5), run(0.95)
    assert [(c.site, c.backend, c.via) for c in unsure.trace.calls] == [
        (0, "small", "policy"),
        (1, "small", "cascade"),
        (1, "large", "cascade"),
    ]
    assert unsure.answer == "yes" and unsure.cost == 2 * SMALL + LARGE
    assert [(c.site, c.backend) for c in sure.trace.calls] == [(0, "small"), (1, "small")]


PINNED = program(
    "def execute_command(image):\n"
    "    p = ImagePatch(image)\n"
    '    cats = p.find("cat", backend="large")\n'
    '    dogs = p.find("dog", routing=0)\n'
    '    return len(cats) + len(dogs) + len(p.find("bird"))\n'
)


@pytest.mark.parametrize("policy", ["smallest", "largest"])
def test_a_pinned_site_calls_its_backend_whatever_the_policy(policy: str) -> None:
    executor = Executor(PINNED, fake_table(), StaticPolicy(policy))
    assert list(executor.sites) == [2]  # only the unpinned site is the policy's
    assert sorted(executor.all_sites) == [0, 1, 2]
    result = executor.run(scene_image("pets"))
    assert result.error is None and result.answer == 3
    chosen = "small" if policy == "smallest" else "large"
    assert [(c.site, c.backend, c.via) for c in result.trace.calls] == [
        (0, "large", "pin"),
        (1, "small", "pin"),
        (2, chosen, "policy"),
    ]
    assert result.trace.decisions() == (result.trace.calls[2],)


def test_a_pin_survives_the_text_form_and_the_cascade_pass() -> None:
    from fmpc.ir import parse, print_module
    from fmpc.passes import PassManager

    text = print_module(PINNED)
    assert 'pin = "large"' in text and "pin = 0" in text
    again = parse(text)
    cascaded = PassManager("cascade{backends={find=[small,large]}}").run(again)
    calls = cascaded.routable_calls()
    assert ["cascade" in c.attributes for c in calls] == [False, False, True]
    result = Executor(cascaded, fake_table(), StaticPolicy("largest")).run(scene_image("pets"))
    assert [(c.backend, c.via) for c in result.trace.calls[:2]] == [
        ("large", "pin"),
        ("small", "pin"),
    ]


@pytest.mark.parametrize(
    ("pin", "message"),
    [("huge", "pinned to unknown backend 'huge' (configured: small, large)"),
     (5, "pinned to backend 5, but the site's choices are 0: small, 1: large")],
)  # fmt: skip
def test_a_pin_that_names_no_backend_is_a_routing_error(pin: object, message: str) -> None:
    module = PINNED.clone()
    module.routable_calls()[0].attributes["pin"] = pin
    with pytest.raises(RoutingError) as caught:
        Executor(module, fake_table(), StaticPolicy("smallest"))
    assert str(caught.value) == "prog.py:3:12: site 0 (find): " + message


# ---------------------------------------------------------------- streams


def test_run_stream_observes_labelled_inputs_in_order_window_by_window() -> None:
    class Watching(RandomPolicy):
        window = 2

        def __init__(self) -> None:
            super().__init__(0)
            self.observed: list[tuple[str, Feedback]] = []

        def observe(self, trace: Any, feedback: Feedback) -> None:
            self.observed.append((trace.input_id, feedback))

    policy = Watching()
    items = [
        InputItem("red_seven", scene_image("red_seven"), "yes", labelled=True),
        InputItem("broken.png", None, error="broken.png: cannot read the image"),
        InputItem("blue_sevens", scene_image("blue_sevens"), "yes", labelled=True),
        InputItem("empty", scene_image("empty")),
    ]
    steps = list(run_stream(Executor(RED_SEVEN, fake_table(), policy), items))
    assert [s.item.input_id for s in steps] == ["red_seven", "broken.png", "blue_sevens", "empty"]
    assert steps[1].result is None and steps[3].feedback is None
    assert [(i, f.correct) for i, f in policy.observed] == [
        ("red_seven", True),
        ("blue_sevens", False),
    ]
    assert steps[2].feedback is not None and steps[2].feedback.loss == 1.0


def test_a_policy_may_begin_a_whole_window_at_once() -> None:
    class Batched(RandomPolicy):
        def __init__(self) -> None:
            super().__init__(0)
            self.windows: list[list[str]] = []

        def start_window(self, input_ids: Any, images: Any, sites: Any) -> list[Episode]:
            self.windows.append(list(input_ids))
            return [self.start(i, image, sites) for i, image in zip(input_ids, images, strict=True)]

    policy = Batched()
    executor = Executor(RED_SEVEN, fake_table(), policy)
    images = [scene_image(s) for s in ("red_seven", "blue_sevens", "empty")]
    windowed = executor.run_window(images)
    assert policy.windows == [["red_seven", "blue_sevens", "empty"]]
    assert [_shape(r) for r in windowed] == [
        _shape(Executor(RED_SEVEN, fake_table(), RandomPolicy(0)).run(i)) for i in images
    ]


# ---------------------------------------------------------------- second runs (recheck)


class _Recheck(Episode):
    """Smallest everywhere; after the first answer, rerun with ``plan`` when it is ``when``."""

    def __init__(self, plan: Mapping[int, int], when: Any) -> None:
        self.plan, self.when = plan, when
        self.seen: list[tuple[Any, int]] = []

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        return 0

    def recheck(self, answer: Any, trace: Any) -> Mapping[int, int] | None:
        self.seen.append((answer, len(trace.calls)))
        return self.plan if answer == self.when else None


class _Rechecking(BasePolicy):
    name = "rechecking"

    def __init__(self, plan: Mapping[int, int], when: Any = "no") -> None:
        self.plan, self.when = plan, when
        self.episodes: list[_Recheck] = []

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        episode = _Recheck(self.plan, self.when)
        self.episodes.append(episode)
        return episode


def test_a_recheck_reruns_the_program_reusing_the_calls_it_already_made() -> None:
    find_large = Recording("large", "find", fake_backends()["find"], LARGE)
    table = fake_table(find_large=find_large)
    policy = _Rechecking({0: 1})  # rerun with find on the large backend
    result = Executor(RED_SEVEN, table, policy).run(scene_image("blue_sevens"))
    assert policy.episodes[0].seen == [("no", 3)]  # the first answer and its three calls
    rows = [(c.site, c.backend, c.via, c.execution) for c in result.trace.calls]
    assert rows == [
        (0, "small", "policy", 0),
        (1, "small", "policy", 0),
        (1, "small", "policy", 1),
        (0, "large", "recheck", 0),  # the same sevens: both verify calls are reused, free
    ]
    assert result.answer == "no" and result.error is None
    assert result.cost == 3 * SMALL + LARGE
    assert find_large.items == 1
    assert len(result.trace.decisions()) == 3  # the second run's calls are not decisions


def test_no_recheck_is_the_same_run_and_a_failed_second_run_keeps_the_first_answer() -> None:
    plain = Executor(RED_SEVEN, fake_table(), StaticPolicy("smallest"))
    kept = Executor(RED_SEVEN, fake_table(), _Rechecking({0: 1}, when="never"))
    for scene in ("red_seven", "blue_sevens", "empty"):
        assert _shape(kept.run(scene_image(scene))) == _shape(plain.run(scene_image(scene)))
    broken = Recording(
        "large", "find", fake_backends()["find"], LARGE, fail_on=_fails_on("blue_sevens")
    )
    executor = Executor(RED_SEVEN, fake_table(find_large=broken), _Rechecking({0: 1}))
    result = executor.run(scene_image("blue_sevens"))
    assert result.answer == "no" and result.error is None
    assert [(c.backend, c.via, c.ok) for c in result.trace.calls][-1] == ("large", "recheck", False)


def test_rechecks_in_a_window_equal_one_input_at_a_time() -> None:
    executor = Executor(RED_SEVEN, fake_table(), _Rechecking({0: 1, 1: 1}))
    images = [scene_image(s) for s in ("red_seven", "blue_sevens", "empty", "pets")]
    window = executor.run_window(images)
    assert [_shape(r) for r in window] == [_shape(executor.run(i)) for i in images]
    assert any(c.via == "recheck" for r in window for c in r.trace.calls)
