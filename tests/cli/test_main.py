"""The ``fmpc`` command itself: building its parser stays light, ``compile`` / ``check`` work
through ``main``, and a user's mistake is one message with exit status 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fmpc.cli import build_parser, main

PROGRAM = (
    "def execute_command(image):\n"
    "    image_patch = ImagePatch(image)\n"
    '    return bool_to_yesno(image_patch.exists("7") and image_patch.exists("circle"))\n'
)

HEAVY = ("jax", "flax", "optax", "fmpc.worlds.", "fmpc.bench.", "fmpc.zoo.backends")


def test_building_the_parser_loads_no_model_world_or_bench_code() -> None:
    probe = (
        "import sys\n"
        "from fmpc.cli import build_parser\n"
        "build_parser().format_help()\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    heavy = [m for m in loaded if m.startswith(HEAVY) or m in ("fmpc.worlds", "fmpc.bench")]
    assert heavy == []


def test_every_command_is_registered() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) == {
        "compile",
        "check",
        "backends",
        "run",
        "build",
        "serve",
        "opt",
        "zoo",
        "bench",
        "demo",
    }


def test_check_and_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok (2 routable call sites)\n"
    assert main(["compile", str(path), "-p", "", "--emit", "json", "--stats"]) == 0
    document, stats = capsys.readouterr().out.strip().rsplit("\n", 1)
    assert json.loads(document) and json.loads(stats)["routable_sites"] == 2


def test_mistakes_are_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.py"
    assert main(["check", str(missing)]) == 1
    assert capsys.readouterr().err == f"fmpc: error: {missing}: no such file\n"
    bad = tmp_path / "bad.py"
    bad.write_text("def execute_command(image):\n    return exec('1')\n")
    assert main(["compile", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.py:2:" in err and "Traceback" not in err


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fmpc.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "compile" in done.stdout and "bench" in done.stdout
