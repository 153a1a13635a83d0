"""Differential tests: generated programs, generated deterministic backends, the reference
interpreter before and after optimization. Same answers (or the same failure), and never more
routable calls executed than before. 2000 generated cases in all."""

from __future__ import annotations

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from fmpc.ir import print_module, verify
from fmpc.passes import DEFAULT_PIPELINE, AnalysisInputs, PassManager, Profile
from fmpc.passes.analyses.profile import SiteProfile
from tests.passes.gen import programs
from tests.passes.support import assert_equivalent, hash_backends, images

INPUTS = images(3)
BACKENDS = {
    "exists": ("cls-s", "cls-l"),
    "find": ("det-s", "det-m", "det-l"),
    "verify_property": ("vp-s", "vp-l"),
    "simple_query": ("vlm-s", "vlm-l"),
}
CONFIG = "{" + ",".join(f"{fn}=[{','.join(names)}]" for fn, names in BACKENDS.items()) + "}"
SINGLE_PASSES = (
    "canonicalize",
    "cse",
    "dce",
    "early-exit",
    "batch",
    "route",
    f"cascade{{threshold=0.7,backends={CONFIG}}}",
    f"route{{backends={CONFIG}}}",
    "cse{exists_via_find=false}",
)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@_settings(1100)
@given(programs(), st.integers(0, 10_000))
def test_default_pipeline_keeps_answers_and_never_adds_calls(module, seed):
    note(print_module(module))
    verify(module)
    optimized = PassManager(DEFAULT_PIPELINE).run(module)
    assert_equivalent(module, optimized, hash_backends(seed), INPUTS)


@_settings(500)
@given(programs(), st.integers(0, 10_000), st.sampled_from(SINGLE_PASSES))
def test_each_pass_alone_keeps_answers_and_never_adds_calls(module, seed, pipeline):
    note(print_module(module))
    optimized = PassManager(pipeline, check_inputs_unchanged=True).run(module)
    assert_equivalent(module, optimized, hash_backends(seed), INPUTS)


@_settings(400)
@given(programs(), st.integers(0, 10_000), st.data())
def test_rank_ordering_with_profile_keeps_answers(module, seed, data):
    note(print_module(module))
    sites = [op.attributes["site"] for op in module.routable_calls()]
    profile = Profile(
        runs=10,
        sites={
            s: SiteProfile(executions=10, truthy=data.draw(st.integers(0, 10), label=f"site {s}"))
            for s in sites
        },
    )
    manager = PassManager(
        DEFAULT_PIPELINE.replace("early-exit", "early-exit{order=rank}"),
        inputs=AnalysisInputs(profile=profile),
        fixed_point=True,
    )
    report = manager.run_with_report(module)
    assert report.converged
    assert_equivalent(module, report.module, hash_backends(seed), INPUTS, check_calls=False)
