"""The answer-sign analysis (``fmpc.passes.analyses.signs``): small programs with the signs a
reader derives by hand, and a property held against the reference interpreter on every shipped
program: raising one call's output never moves the answer against its site's sign."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmpc.frontend import compile_file, compile_source
from fmpc.ir.core import Module, Op
from fmpc.passes import DEFAULT_PIPELINE, AnalysisManager, PassManager
from fmpc.passes.analyses.signs import FALLS, MIXED, NONE, RISES, AnswerSigns, answer_signs
from fmpc.semantics.errors import ProgramError
from fmpc.semantics.interpreter import Interpreter, RunState
from fmpc.semantics.values import PatchValue
from fmpc.worlds.benchmarks import builtin_queries
from tests.passes.support import _key, hash_backends, images

ROOT = Path(__file__).parents[2]

CASES = {
    "return exists(x)": (
        "def execute_command(image):\n    return bool_to_yesno(ImagePatch(image).exists('7'))\n",
        {0: RISES},
    ),
    "a negation": (
        "def execute_command(image):\n"
        "    p = ImagePatch(image)\n"
        "    if p.exists('shape'):\n"
        "        return 'no'\n"
        "    return bool_to_yesno(p.exists('digit'))\n",
        {0: FALLS, 1: RISES},
    ),
    "a comparison of counts": (
        "def execute_command(image):\n"
        "    p = ImagePatch(image)\n"
        "    return bool_to_yesno(len(p.find('triangle')) > len(p.find('digit')))\n",
        {0: RISES, 1: FALLS},
    ),
    "any over a loop": (
        "def execute_command(image):\n"
        "    for s in ImagePatch(image).find('7'):\n"
        "        if s.verify_property('7', 'red'):\n"
        "            return 'yes'\n"
        "    return 'no'\n",
        {0: MIXED, 1: RISES},  # the loop's patches reach a call: their content counts
    ),
    "all over a loop": (
        "def execute_command(image):\n"
        "    for s in ImagePatch(image).find('shape'):\n"
        "        if not s.verify_property('shape', 'red'):\n"
        "            return 'no'\n"
        "    return 'yes'\n",
        {0: MIXED, 1: RISES},
    ),
    "an answer compared with no": (
        "def execute_command(image):\n"
        "    return bool_to_yesno(ImagePatch(image).simple_query('is it red?') == 'no')\n",
        {0: FALLS},
    ),
    "two answers compared": (
        "def execute_command(image):\n"
        "    p = ImagePatch(image)\n"
        "    return bool_to_yesno(p.simple_query('color?') == p.simple_query('colour?'))\n",
        {0: MIXED, 1: MIXED},
    ),
    "a count returned": (
        "def execute_command(image):\n    return str(len(ImagePatch(image).find('digit')))\n",
        {0: RISES},
    ),
    "an unused call": (
        "def execute_command(image):\n"
        "    p = ImagePatch(image)\n"
        "    p.exists('circle')\n"
        "    return bool_to_yesno(p.exists('7'))\n",
        {0: NONE, 1: RISES},
    ),
    "a depth difference": (
        "def execute_command(image):\n"
        "    p = ImagePatch(image)\n"
        "    return bool_to_yesno(p.compute_depth() - p.crop(0, 0, 4, 4).compute_depth() > 0)\n",
        {0: RISES, 1: FALLS},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_signs_of_small_programs(name: str) -> None:
    source, want = CASES[name]
    module = compile_source(source)
    assert dict(answer_signs(module)) == want
    assert AnalysisManager(module).get(AnswerSigns).signs == want


def test_the_shipped_negations_and_comparisons_are_read_right() -> None:
    queries = {q.id: q for task in ("binary", "open") for q in builtin_queries(task)}
    optimized = {i: PassManager(DEFAULT_PIPELINE).run(q.module) for i, q in queries.items()}
    assert dict(answer_signs(optimized["orange-digit-but-no-shape"]))[0] == FALLS  # exists
    assert dict(answer_signs(optimized["more-triangles-than-digits"])) == {0: RISES, 1: FALLS}
    assert dict(answer_signs(optimized["circle-but-no-square"])) == {0: RISES, 1: FALLS}


# ---------------------------------------------------------------- against the interpreter


def _corpus() -> list[tuple[str, Module]]:
    programs = [(f"{t}:{q.id}", q.module) for t in ("binary", "open") for q in builtin_queries(t)]
    files = sorted((ROOT / "tests" / "passes" / "programs").glob("*.py"))
    programs += [(p.stem, compile_file(p)) for p in [ROOT / "examples" / "red_seven.py", *files]]
    return programs + [
        (f"{n} (optimized)", PassManager(DEFAULT_PIPELINE).run(m)) for n, m in programs
    ]


CORPUS = _corpus()
SIGNS = [dict(answer_signs(module)) for _, module in CORPUS]


class _Raising(Interpreter):
    """The hash world, with the output of one call (site and arguments) raised, and a log of
    the calls served."""

    def __init__(self, module: Module, seed: int, raised: tuple[int, str] | None, extra: Any):
        super().__init__(module, hash_backends(seed), verify_module=False)
        self.raised, self.extra = raised, extra
        self.served: list[tuple[tuple[int, str], Any]] = []

    def call_routable(self, op: Op, args: list[Any], run: RunState) -> Any:
        output = super().call_routable(op, args, run)  # type: ignore[arg-type]
        key = (op.site, _key(list(args)))  # type: ignore[attr-defined]
        self.served.append((key, output))
        return _higher(output, self.extra) if key == self.raised else output


def _higher(output: Any, extra: Any) -> Any:
    """A higher output than ``output`` (see the analysis), or ``None`` when there is none."""
    if isinstance(output, bool):
        return None if output else True
    if isinstance(output, list):
        position, box = extra
        patch = PatchValue(images(1)[0], *box)
        return [
            *output[: position % (len(output) + 1)],
            patch,
            *output[position % (len(output) + 1) :],
        ]
    if isinstance(output, float):
        return output + 1.0 + extra[0]
    if output == "no":
        return "yes"
    return None


def _level(answer: Any) -> float | None:
    if isinstance(answer, bool):
        return float(answer)
    text = str(answer).strip().lower()
    if text in ("yes", "no"):
        return float(text == "yes")
    try:
        return float(text)
    except ValueError:
        return None


def _answer(interpreter: Interpreter) -> Any:
    try:
        return interpreter.run(images(1)[0])
    except ProgramError:
        return ProgramError


@settings(max_examples=400, deadline=None)
@given(
    program=st.integers(0, len(CORPUS) - 1),
    seed=st.integers(0, 50),
    pick=st.integers(0, 10_000),
    position=st.integers(0, 5),
    box=st.tuples(st.integers(0, 6), st.integers(0, 6)).map(
        lambda p: (p[0], p[1], p[0] + 3, p[1] + 4)
    ),
)
def test_raising_an_output_moves_the_answer_only_along_its_sign(
    program: int, seed: int, pick: int, position: int, box: tuple[int, int, int, int]
) -> None:
    name, module = CORPUS[program]
    first = _Raising(module, seed, None, None)
    before = _answer(first)
    raisable = [(k, o) for k, o in first.served if _higher(o, (position, box)) is not None]
    if before is ProgramError or not raisable:
        return
    key, _ = raisable[pick % len(raisable)]
    after = _answer(_Raising(module, seed, key, (position, box)))
    sign = SIGNS[program][key[0]]
    if after is ProgramError or sign == MIXED:
        return
    if sign == NONE:
        assert after == before, f"{name}: site {key[0]} is read as never moving the answer"
        return
    low, high = _level(before), _level(after)
    if low is None or high is None:
        return
    moved = high - low
    assert (moved >= 0) if sign == RISES else (moved <= 0), (
        f"{name}: raising a call of site {key[0]} ({sign}) moved the answer {before!r} -> {after!r}"
    )


def test_the_property_sees_answers_move_both_ways() -> None:
    """The property above is not vacuous: on the shipped programs raising a rising site's
    output turns some "no" into "yes", and a falling site's some "yes" into "no"."""
    moves = {RISES: 0, FALLS: 0}
    for (name, module), signs in zip(CORPUS, SIGNS, strict=True):
        if not name.startswith("binary:"):
            continue
        for seed in range(6):
            first = _Raising(module, seed, None, None)
            before = _level(_answer(first))
            for key, output in first.served:
                sign = signs[key[0]]
                if sign not in moves or _higher(output, (0, (1, 1, 4, 5))) is None:
                    continue
                after = _level(_answer(_Raising(module, seed, key, (0, (1, 1, 4, 5)))))
                if before is not None and after is not None and after != before:
                    moves[sign] += 1
    assert moves[RISES] >= 5 and moves[FALLS] >= 2, moves
