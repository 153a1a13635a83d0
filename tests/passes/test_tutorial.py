"""docs/writing-a-pass.md works as written: its Python blocks are the code of
docs/examples/rename_calls.py or of this test, which runs them; its commands run and print
what the tutorial shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from fmpc.cli import main
from fmpc.ir import parse, structurally_equal
from fmpc.passes import PassManager, import_pass_module
from fmpc.semantics.interpreter import Interpreter
from fmpc.semantics.values import ImageValue

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = (ROOT / "docs" / "writing-a-pass.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "docs" / "examples" / "rename_calls.py"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TUTORIAL, flags=re.DOTALL)


def test_every_python_block_is_code_that_runs() -> None:
    sources = EXAMPLE.read_text(encoding="utf-8") + Path(__file__).read_text(encoding="utf-8")
    found = blocks("python")
    assert len(found) >= 5
    for block in found:
        for line in block.strip().splitlines():
            assert line in sources, f"tutorial line not in the example or its test: {line!r}"


def test_steps_four_and_five(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    import_pass_module(str(EXAMPLE))
    # Step 4 of the tutorial.
    module = parse(Path("docs/examples/ask.fmp").read_text())
    manager = PassManager("cse,rename-calls{old=query,new=simple_query},dce")
    optimized = manager.run(module)
    assert [op.attributes["fn"] for op in optimized.routable_calls()] == ["simple_query"]
    # Step 5 of the tutorial.
    answer = "sleeping"
    backends = {"query": lambda patch, q: answer, "simple_query": lambda patch, q: answer}
    image = ImageValue(np.zeros((8, 8, 3), dtype=np.float32))
    before = Interpreter(module, backends).run_with_stats(image)
    after = Interpreter(optimized, backends).run_with_stats(image)
    assert before.answer == after.answer == "sleeping / sleeping"
    assert after.total_calls < before.total_calls


def run_console(command: str) -> None:
    argv = shlex.split(command.removeprefix("$ "))
    assert argv[:2] == ["fmpc", "opt"]
    main(argv[1:])


def test_the_commands_print_what_the_tutorial_shows(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    consoles = blocks("console")
    run_console(consoles[0].strip())
    shown = blocks("text")[0]
    assert structurally_equal(parse(capsys.readouterr().out), parse(shown))
    command, *expected = consoles[1].strip().splitlines()
    run_console(command)
    assert capsys.readouterr().err.splitlines() == expected
