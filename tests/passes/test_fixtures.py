"""Before/expected text fixtures of every pass (tests/passes/fixtures/<pass>/*.fmp).

Each fixture names a pipeline, an input module and either the expected module or
``unchanged: <why>``. Both modules must verify and round-trip through the printer and parser;
the pipeline's output must equal the expected module structurally; and the reference
interpreter must give the same answers before and after, never with more routable calls
(except under profile-driven rank ordering, which lowers the expected number).
"""

from __future__ import annotations

import difflib

import pytest

from fmpc.ir import print_module
from fmpc.passes import AnalysisInputs, PassManager
from tests.passes.support import (
    Fixture,
    all_fixtures,
    assert_equivalent,
    hash_backends,
    images,
    parse_verified,
)

FIXTURES = all_fixtures()
PASSES = ("canonicalize", "cse", "dce", "early-exit", "cascade", "batch", "route")


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_fixture(fixture: Fixture) -> None:
    before = parse_verified(fixture.before)
    expected = parse_verified(fixture.expected) if fixture.expected is not None else before
    manager = PassManager(
        fixture.pipeline,
        inputs=AnalysisInputs(profile=fixture.profile),
        check_inputs_unchanged=True,
    )
    report = manager.run_with_report(before)
    got, want = print_module(report.module, names=False), print_module(expected, names=False)
    diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), lineterm=""))
    assert got == want, f"{fixture.id}: output differs from the expected module\n{diff}"
    assert report.changed is (fixture.expected is not None), fixture.why
    # Rank ordering by profile data lowers the expected cost, not the cost of every input.
    check_calls = fixture.profile is None
    for seed in range(3):
        backends = hash_backends(seed)
        assert_equivalent(before, report.module, backends, images(4), check_calls=check_calls)


def test_every_pass_has_positive_and_negative_fixtures() -> None:
    for name in PASSES:
        mine = [f for f in FIXTURES if f.path.parent.name == name]
        assert any(f.expected is not None for f in mine), f"{name}: no fixture where it acts"
        assert any(f.expected is None for f in mine), f"{name}: no negative fixture"
