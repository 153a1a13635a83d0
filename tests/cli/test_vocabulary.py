"""Vocabulary warnings only when compiling for a world: ``--world digits`` on ``compile``,
``check`` and ``opt``, implied by ``run --world digits``; a real program asking about a "man"
or a "backpack" gets none by default."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fmpc.cli import main
from tests.cli.test_run import fmpc_run as run

REAL_WORLD = """\
def execute_command(image):
    image_patch = ImagePatch(image)
    men = image_patch.find("man")
    if len(men) == 0:
        return "no"
    return bool_to_yesno(men[0].exists("backpack"))
"""

RELATION = """\
def execute_command(image):
    return bool_to_yesno(ImagePatch(image).exists("backpack to the right of the man"))
"""

DIGITS = """\
def execute_command(image):
    image_patch = ImagePatch(image)
    return bool_to_yesno(image_patch.exists("7") and image_patch.exists("circle"))
"""


@pytest.fixture
def programs(tmp_path: Path) -> Path:
    for name, text in (("real.py", REAL_WORLD), ("relation.py", RELATION), ("digits.py", DIGITS)):
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("command", ["check", "compile"])
def test_no_vocabulary_is_assumed_by_default(
    programs: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("real.py", "relation.py", "digits.py"):
        assert main([command, str(programs / name)]) == 0
        assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["check", "compile"])
def test_compiling_for_the_digits_world_warns_about_unknown_names(
    programs: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    real = programs / "real.py"
    assert main([command, str(real), "--world", "digits"]) == 0
    err = capsys.readouterr().err
    assert f"{real}:3:11: warning: find() argument 1: unknown object name 'man'" in err
    assert f"{real}:6:26: warning: exists() argument 1: unknown object name 'backpack'" in err
    assert err.count("warning:") == 2
    assert main([command, str(programs / "digits.py"), "--world", "digits"]) == 0
    assert capsys.readouterr().err == ""


def test_a_relation_is_not_read_as_an_object_name(
    programs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(programs / "relation.py"), "--world", "digits"]) == 0
    err = capsys.readouterr().err
    assert "relates two objects ('backpack' to the right of 'man')" in err
    assert "unknown object name" not in err


def test_opt_warns_for_a_world_at_the_source_locations(
    programs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compiled = programs / "real.fmp"
    assert main(["compile", str(programs / "real.py"), "-p", "", "-o", str(compiled)]) == 0
    assert capsys.readouterr().err == ""
    assert main(["opt", str(compiled), "-p", ""]) == 0
    assert capsys.readouterr().err == ""
    assert main(["opt", str(compiled), "-p", "", "--world", "digits"]) == 0
    err = capsys.readouterr().err
    assert "real.py:3:11: warning: find() argument 1: unknown object name 'man'" in err
    assert err.count("warning:") == 2


def test_an_unknown_world_is_an_error(programs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(programs / "digits.py"), "--world", "mars"]) == 1
    assert capsys.readouterr().err == "fmpc compile: error: unknown world 'mars' (known: digits)\n"


def test_run_with_the_world_implies_its_vocabulary(programs: Path) -> None:
    common = ["--policy", "random", "--backends", "perfect", "--json"]
    status, out, err = run(str(programs / "real.py"), "--world", "digits", "--n", "3", *common)
    assert status == 0
    assert "real.py:3:11: warning: find() argument 1: unknown object name 'man'" in err
    assert json.loads(out.strip().splitlines()[-1])["inputs_seen"] == 3
    status, _, err = run(str(programs / "digits.py"), "--world", "digits", "--n", "3", *common)
    assert status == 0 and "warning" not in err


def test_run_on_files_assumes_no_vocabulary(programs: Path) -> None:
    images = programs / "images"
    images.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(images / "a.png")
    status, out, err = run(
        str(programs / "real.py"),
        "--inputs",
        str(images),
        "--policy",
        "random",
        "--backends",
        "perfect",
        "--json",
    )
    assert status == 0
    assert json.loads(out.strip().splitlines()[-1])["inputs_seen"] == 1
    assert "warning:" not in err  # (perfect perception itself fails on an image without a scene)
