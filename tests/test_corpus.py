"""The program corpus: every program in tests/programs compiles, verifies, round-trips through the
text and JSON forms, and gives its pinned answer (with its pinned number of routable calls) on the
fake scenes of tests/fakes.py when run by the reference interpreter."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from fmpc.frontend import DEFAULT_LIBRARY, compile_source
from fmpc.ir import Module, Op, from_json, parse, print_module, structurally_equal, to_json, verify
from fmpc.ir.ops import CallOp, LibOp, all_op_classes
from fmpc.semantics.errors import BackendError
from fmpc.semantics.interpreter import Interpreter
from tests.fakes import SCENES, fake_backends, scene_image

PROGRAMS = Path(__file__).parent / "programs"
EXPECTED: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(
    (PROGRAMS / "expected.yaml").read_text()
)
NAMES = sorted(path.stem for path in PROGRAMS.glob("*.py"))


def _run_param(name: str, scene: str) -> Any:
    """One (program, scene) case; an expectation with ``xfail: reason`` pins a known bug."""
    reason = EXPECTED[name][scene].get("xfail")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, scene, id=f"{name}-{scene}", marks=marks)


RUNS = [_run_param(name, scene) for name in NAMES for scene in EXPECTED.get(name, {})]


@cache
def compiled(name: str) -> Module:
    """The program ``name`` compiled once per test session (tests never mutate it)."""
    path = PROGRAMS / f"{name}.py"
    return compile_source(path.read_text(), path.name)


def test_the_corpus_is_large_and_fully_pinned():
    assert len(NAMES) >= 60
    assert sorted(EXPECTED) == NAMES, "every program has expectations and vice versa"
    for name, runs in EXPECTED.items():
        assert len(runs) >= 2, f"{name}: pin at least two scenes"
        assert set(runs) <= set(SCENES), f"{name}: unknown scene in {sorted(runs)}"
        for run in runs.values():
            assert set(run) <= {"answer", "calls", "xfail"} and {"answer", "calls"} <= set(run)
        answers = {json.dumps(run["answer"]) for run in runs.values()}
        assert len(answers) >= 2, f"{name}: the pinned scenes should give different answers"


def _corpus_ops() -> list[Op]:
    return [op for name in NAMES for op in compiled(name).walk()]


def test_the_corpus_uses_every_op_and_every_library_function():
    ops = _corpus_ops()
    builtin_ops = {n for n, c in all_op_classes().items() if c.__module__ == "fmpc.ir.ops"}
    assert builtin_ops - {op.name for op in ops} == set()
    called = {op.attributes["fn"] for op in ops if isinstance(op, CallOp | LibOp)}
    assert set(DEFAULT_LIBRARY) - called == set()


@pytest.mark.parametrize("name", NAMES)
def test_program_has_a_header_comment(name):
    lines = (PROGRAMS / f"{name}.py").read_text().splitlines()
    assert any(line.startswith("# Tests: ") for line in lines[:3]), f"{name}: say what it tests"


@pytest.mark.parametrize("name", NAMES)
def test_program_compiles_verifies_and_round_trips(name):
    module = compiled(name)
    verify(module)
    text = print_module(module)
    again = parse(text)
    verify(again)
    assert structurally_equal(module, again)
    assert print_module(again) == text
    data = json.loads(json.dumps(to_json(module)))
    assert structurally_equal(module, from_json(data))


@pytest.mark.parametrize(("name", "scene"), RUNS)
def test_program_answer_on_scene(name, scene):
    expected = EXPECTED[name][scene]
    result = Interpreter(compiled(name), fake_backends()).run_with_stats(scene_image(scene))
    assert result.answer == expected["answer"]
    assert type(result.answer) is type(expected["answer"])
    assert result.total_calls == expected["calls"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('image_patch.find("sevn")', "unknown object name 'sevn'"),
        ('image_patch.simple_query("Whut is this?")', "cannot answer 'Whut is this?'"),
        ('image_patch.verify_property("7", "rde")', "unknown property 'rde'"),
        ('llm_query("Is 7 odd-ish?")', "cannot answer 'Is 7 odd-ish?'"),
    ],
)
def test_fake_backends_reject_typos_with_a_located_error(call, message):
    source = (
        f"def execute_command(image):\n    image_patch = ImagePatch(image)\n    return {call}\n"
    )
    interpreter = Interpreter(compile_source(source, "typo.py"), fake_backends())
    with pytest.raises(BackendError) as failure:
        interpreter.run(scene_image("red_seven"))
    assert message in str(failure.value)
    assert "typo.py:3:" in str(failure.value)
