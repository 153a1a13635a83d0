"""The differential soak (issue 16): the default pipeline against the unoptimized program under
the reference interpreter, on generated programs and on every corpus program, with generated
deterministic backends (``tests.passes.support.hash_backends``). Each (program, input) case must
give the same answer (or the same failure), and the optimized program never more routable calls.

``make test`` runs a slice (with tests/passes/test_differential.py); ``make test-slow`` runs
at least ``TARGET`` cases (docs/testing.md has the measured counts)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmpc.frontend import compile_source
from fmpc.passes import DEFAULT_PIPELINE, PassManager
from tests.passes.gen import programs
from tests.passes.support import assert_equivalent, hash_backends, images, run
from tests.soak.hostile import CORPUS

INPUTS = images(3)
TARGET = 20_000
GENERATED = 7_000
CORPUS_SEEDS = 24


def generated(examples: int) -> Counter[str]:
    """Cases checked on ``examples`` generated programs (three inputs each)."""
    counted: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(programs(), st.integers(0, 10_000))
    def one(module, seed):  # type: ignore[no-untyped-def]
        optimized = PassManager(DEFAULT_PIPELINE).run(module)
        assert_equivalent(module, optimized, hash_backends(seed), INPUTS)
        _count(counted, module, hash_backends(seed))

    one()
    return counted


def corpus(seeds: range) -> Counter[str]:
    """Cases checked on every corpus program with the hash backends of each seed."""
    counted: Counter[str] = Counter()
    for source in CORPUS:
        module = compile_source(source)
        optimized = PassManager(DEFAULT_PIPELINE).run(module)
        for seed in seeds:
            assert_equivalent(module, optimized, hash_backends(seed), INPUTS)
            _count(counted, module, hash_backends(seed))
    return counted


def _count(counted: Counter[str], module: object, backends: object) -> None:
    for image in INPUTS:
        outcome = run(module, backends, image)  # type: ignore[arg-type]
        counted["answered alike" if outcome.error is None else "failed alike"] += 1


def test_a_slice_of_corpus_programs_agree_after_optimization() -> None:
    counted = corpus(range(2))
    print(f"corpus slice: {sum(counted.values())} cases {dict(counted)}")
    assert sum(counted.values()) == len(CORPUS) * 2 * len(INPUTS)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_the_differential_soak() -> None:
    made, known = generated(GENERATED), corpus(range(CORPUS_SEEDS))
    print(f"generated: {sum(made.values())} cases {dict(made)}")
    print(f"corpus: {sum(known.values())} cases {dict(known)}")
    assert sum(made.values()) + sum(known.values()) >= TARGET
    assert made["answered alike"] > made["failed alike"]  # most cases are real answers
