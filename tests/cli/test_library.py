"""``--library FILE`` on ``compile``, ``check``, ``opt``, ``run`` and ``backends check``: a
program using ``process_guesses`` and the domain method ``verify_property_geospatial`` compiles,
and ``run`` serves it with the user's own backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from fmpc.cli import main
from fmpc.ir import from_json, parse
from fmpc.semantics.values import PatchValue
from tests.cli.test_run import fmpc_run as run

LIBRARY = """\
version: 1
functions:
  verify_property_geospatial:
    params: {patch: ImagePatch, object_name: str, property: str}
    returns: bool
    style: method
    aliases: {visual_property: property}
  process_guesses:
    params:
      question: str
      guesses: list[str]
    returns: str
"""

PROGRAM = """\
def execute_command(image):
    image_patch = ImagePatch(image)
    guesses = [image_patch.simple_query("What animal is this?"), image_patch.simple_query()]
    if image_patch.verify_property_geospatial("animal", visual_property="left side"):
        return process_guesses("Which animal is on the left?", guesses)
    return "none"
"""

CONFIG = """\
version: 1
functions:
  simple_query:
    - {name: vqa, type: callable, target: "tests.cli.test_library:answer", cost: 1}
  verify_property_geospatial:
    - {name: geo, type: callable, target: "tests.cli.test_library:on_the_left", cost: 2}
  process_guesses:
    - {name: merge, type: callable, target: "tests.cli.test_library:merge", cost: 0.5}
"""


def answer(patch: PatchValue, question: str) -> str:
    """A ``simple_query`` backend: an animal, or what it is (``simple_query()``'s question)."""
    return "cat" if "animal" in question else "a pet"


def on_the_left(patch: PatchValue, object_name: str, prop: str) -> bool:
    """A ``verify_property_geospatial`` backend: bright images have the animal on the left."""
    return prop == "left side" and float(patch.pixels().mean()) > 0.5


def merge(question: str, guesses: list[str]) -> str:
    """A ``process_guesses`` backend: the guesses joined."""
    return " / ".join(guesses)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "lib.yaml").write_text(LIBRARY)
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "backends.yaml").write_text(CONFIG)
    lines = []
    for name, value, label in (("bright", 0.9, "cat / a pet"), ("dark", 0.1, "none")):
        pixels = np.full((16, 16, 3), int(value * 255), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"{name}.png")
        lines.append(json.dumps({"image": f"{name}.png", "label": label}))
    (tmp_path / "inputs.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_compile_and_check_take_the_library(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program, library = str(files / "prog.py"), str(files / "lib.yaml")
    assert main(["check", program, "--library", library]) == 0
    assert capsys.readouterr().out == f"{program}: ok (4 routable call sites)\n"
    assert main(["compile", program, "--library", library, "-p", "", "--emit", "json"]) == 0
    module = from_json(json.loads(capsys.readouterr().out))
    calls = [op.attributes["fn"] for op in module.routable_calls()]
    assert calls == [
        "simple_query",
        "simple_query",
        "verify_property_geospatial",
        "process_guesses",
    ]


def test_without_the_library_the_program_is_rejected_with_a_note(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = files / "prog.py"
    assert main(["check", str(program)]) == 1
    err = capsys.readouterr().err
    assert f"{program}:4:8: error: ImagePatch has no method 'verify_property_geospatial'" in err
    assert f"{program}:5:16: error: unknown function 'process_guesses'" in err
    assert err.count(": note: ") == 1
    assert (
        f"{program}:4:8: note: functions and methods beyond the library are declared in a library file: --library FILE.yaml"
        in err
    )


def test_opt_checks_compiled_calls_against_the_library(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program, library = str(files / "prog.py"), str(files / "lib.yaml")
    compiled = files / "prog.fmp"
    assert main(["compile", program, "--library", library, "-o", str(compiled)]) == 0
    assert main(["opt", str(compiled), "--library", library, "-p", "cse,dce"]) == 0
    assert len(parse(capsys.readouterr().out).routable_calls()) == 4
    assert main(["opt", str(compiled)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2  # one error per call of a function the default library lacks
    assert all("which is not a function of the library" in line for line in err)
    assert main(["check", str(compiled), "--library", library]) == 0


def test_a_library_that_redeclares_a_call_differently_is_a_located_error(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library, compiled = files / "lib.yaml", files / "prog.fmp"
    assert (
        main(["compile", str(files / "prog.py"), "--library", str(library), "-o", str(compiled)])
        == 0
    )
    library.write_text(LIBRARY.replace("guesses: list[str]", "guesses: str"))
    assert main(["opt", str(compiled), "--library", str(library)]) == 1
    err = capsys.readouterr().err
    assert (
        "prog.py:5:16: error: 'fmpc.call' calls process_guesses(question: Str, guesses: Str) -> Str"
        in err
    )
    assert "with operands of types (Str, List[Str])" in err


def test_a_broken_library_file_lists_every_problem(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = files / "lib.yaml"
    library.write_text(
        "functions:\n  f:\n    params: {x: flot}\n    returns: str\n  g:\n    returns: 3\n"
    )
    assert main(["check", str(files / "prog.py"), "--library", str(library)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(
        f"{library}:3:14: error: functions.f.params.x: 'flot': unsupported type"
    )
    assert err[1].startswith(
        f"{library}:6:5: error: functions.g.returns: input should be a valid string"
    )
    assert len(err) == 2


def test_run_serves_library_functions_with_the_users_backends(files: Path) -> None:
    status, out, err = run(
        str(files / "prog.py"),
        "--library",
        str(files / "lib.yaml"),
        "--inputs",
        str(files / "inputs.jsonl"),
        "--backends",
        str(files / "backends.yaml"),
        "--policy",
        "static:smallest",
        "--json",
    )
    assert status == 0, err
    summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert summary["accuracy"] == 1.0 and summary["errors"] == 0
    # run compiles with the default pipeline: the guard is site 0, and the queries are asked
    # only where their answers are used (the bright image)
    assert summary["backend_counts"] == {
        "0": {"geo": 2},
        "1": {"vqa": 1},
        "2": {"vqa": 1},
        "3": {"merge": 1},
    }
    assert summary["mean_cost"] == pytest.approx((2 + 1 + 1 + 0.5 + 2) / 2)


def test_run_without_the_library_rejects_the_program_and_the_config(files: Path) -> None:
    common = ["--inputs", str(files / "inputs.jsonl"), "--policy", "random"]
    status, _, err = run(
        str(files / "prog.py"), *common, "--backends", str(files / "backends.yaml")
    )
    assert status == 1 and "unknown function 'process_guesses'" in err
    (files / "plain.py").write_text(
        "def execute_command(image):\n    return ImagePatch(image).simple_query()\n"
    )
    status, _, err = run(
        str(files / "plain.py"), *common, "--backends", str(files / "backends.yaml")
    )
    assert status == 1
    assert "backends.yaml:5:3: error: functions.verify_property_geospatial:" in err
    assert "Traceback" not in err
