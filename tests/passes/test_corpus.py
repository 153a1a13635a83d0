"""The default pipeline on compiled programs: the corpus of tests/programs/ and the redundant
programs of tests/passes/programs/, run on every fake scene with the perfect-information fake
backends. Same answers, never more calls; the redundant programs get cheaper."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmpc.frontend import compile_source
from fmpc.passes import DEFAULT_PIPELINE, PassManager
from tests.passes.measure import PROGRAMS, REDUNDANT, measure, measure_program

PATHS = sorted(PROGRAMS.glob("*.py")) + sorted(REDUNDANT.glob("*.py"))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_default_pipeline_on_compiled_programs(path: Path) -> None:
    module = compile_source(path.read_text(encoding="utf-8"), path.name)
    optimized = PassManager(DEFAULT_PIPELINE, check_inputs_unchanged=True).run(module)
    tally = measure_program(module, optimized)
    assert tally.runs > 0, "the program fails on every scene"
    if path.parent == REDUNDANT and path.stem != "colours_of_all":
        assert tally.after < tally.before, "no call saved on a program written to have some"


def test_the_redundant_programs_cost_a_quarter_less() -> None:
    assert measure(DEFAULT_PIPELINE, REDUNDANT).cut > 0.25
