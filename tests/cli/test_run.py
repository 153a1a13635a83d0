"""``fmpc run``: streams from the embedded world, a directory and a JSONL file, the JSON summary,
and clear errors (exit status 1, no traceback) for everything a user can get wrong."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from fmpc.cli.run import add_run_command
from fmpc.frontend import compile_file
from fmpc.ir import print_module

HAS_DIGIT = (
    "def execute_command(image):\n"
    "    image_patch = ImagePatch(image)\n"
    '    return bool_to_yesno(image_patch.exists("digit"))\n'
)

CONFIG = """\
version: 1
functions:
  exists:
    - name: yes-model
      type: callable
      target: tests.cli.test_run:says_yes
      cost: 2
    - name: no-model
      type: callable
      target: tests.cli.test_run:says_no
      cost: 5
"""


def says_yes(patch: Any, name: str) -> bool:
    """A backend for ``exists`` that always says yes."""
    return True


def says_no(patch: Any, name: str) -> bool:
    """A backend for ``exists`` that always says no."""
    return False


def fmpc_run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="fmpc")
    add_run_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["run", *argv])
    out, err = io.StringIO(), io.StringIO()
    status = args.handler(args, Console(file=out, width=200), Console(file=err, width=200))
    return status, out.getvalue(), err.getvalue()


def summary(out: str) -> dict[str, Any]:
    last = out.strip().splitlines()[-1]
    data: dict[str, Any] = json.loads(last)
    return data


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "has_digit.py").write_text(HAS_DIGIT)
    (tmp_path / "backends.yaml").write_text(CONFIG)
    return tmp_path


def _png(path: Path, value: float) -> None:
    pixels = np.full((16, 16, 3), int(value * 255), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


# ---------------------------------------------------------------- streams


def test_the_world_with_perfect_perception_is_always_right(files: Path) -> None:
    status, out, _ = fmpc_run(
        str(files / "has_digit.py"),
        "--world",
        "digits",
        "--n",
        "12",
        "--policy",
        "random",
        "--backends",
        "perfect",
        "--json",
    )
    assert status == 0
    data = summary(out)
    assert data["inputs_seen"] == data["labelled"] == 12
    assert data["accuracy"] == 1.0 and data["f1"] == 1.0
    assert data["mean_cost"] == 0.0 and data["errors"] == 0
    assert data["backend_counts"] == {"0": {"perfect": 12}}
    assert data["decision_overhead_ms"] >= 0.0


def test_a_backend_config_sets_the_choices_and_their_costs(files: Path) -> None:
    args = [
        str(files / "has_digit.py"),
        "--world",
        "digits",
        "--n",
        "8",
        "--backends",
        str(files / "backends.yaml"),
        "--json",
    ]
    _, largest, _ = fmpc_run(*args, "--policy", "static:largest")
    _, smallest, _ = fmpc_run(*args, "--policy", "static:smallest")
    big, small = summary(largest), summary(smallest)
    assert big["mean_cost"] == 5.0 and big["backend_counts"] == {"0": {"no-model": 8}}
    assert small["mean_cost"] == 2.0 and small["backend_counts"] == {"0": {"yes-model": 8}}
    assert big["accuracy"] + small["accuracy"] == pytest.approx(1.0)  # one says yes, one no


def test_a_directory_of_images_streams_past_a_bad_file(files: Path) -> None:
    images = files / "images"
    images.mkdir()
    for i in range(3):
        _png(images / f"img{i}.png", i / 3)
    (images / "bad.png").write_bytes(b"not an image")
    (images / "notes.txt").write_text("ignored")
    status, out, err = fmpc_run(
        str(files / "has_digit.py"),
        "--inputs",
        str(images),
        "--policy",
        "static:yes-model",
        "--backends",
        str(files / "backends.yaml"),
        "--json",
    )
    assert status == 0
    data = summary(out)
    assert data["inputs_seen"] == 4 and data["errors"] == 1
    assert "bad.png" in data["error_examples"][0]["error"] and "bad.png" in err
    assert data["labelled"] == 0 and data["accuracy"] is None
    assert data["backend_counts"] == {"0": {"yes-model": 3}} and data["mean_cost"] == 2.0


def test_a_jsonl_file_gives_labels(files: Path) -> None:
    for i in range(3):
        _png(files / f"{i}.png", 0.5)
    lines = [
        json.dumps({"image": "0.png", "label": "yes"}),
        json.dumps({"image": str(files / "1.png"), "label": "no", "id": "one"}),
        "{not json",
        "",
        json.dumps({"image": "2.png", "label": "yes"}),
    ]
    (files / "stream.jsonl").write_text("\n".join(lines) + "\n")
    status, out, _ = fmpc_run(
        str(files / "has_digit.py"),
        "--inputs",
        str(files / "stream.jsonl"),
        "--policy",
        "static:smallest",
        "--backends",
        str(files / "backends.yaml"),
        "--json",
    )
    data = summary(out)
    assert status == 0 and data["inputs_seen"] == 4 and data["labelled"] == 3
    assert data["accuracy"] == pytest.approx(2 / 3) and data["f1"] == pytest.approx(0.8)
    assert data["errors"] == 1 and "stream.jsonl:3: not JSON" in data["error_examples"][0]["error"]


def test_a_compiled_program_runs_like_its_source(files: Path) -> None:
    (files / "has_digit.fmp").write_text(print_module(compile_file(files / "has_digit.py")))
    runs = [
        summary(
            fmpc_run(
                str(files / name),
                "--world",
                "digits",
                "--n",
                "4",
                "--policy",
                "random",
                "--backends",
                "perfect",
                "--json",
            )[1]
        )
        for name in ("has_digit.py", "has_digit.fmp")
    ]
    assert runs[0]["accuracy"] == runs[1]["accuracy"] == 1.0
    assert runs[0]["backend_counts"] == runs[1]["backend_counts"]


def test_without_json_a_table_is_printed(files: Path) -> None:
    status, out, _ = fmpc_run(
        str(files / "has_digit.py"),
        "--world",
        "digits",
        "--n",
        "2",
        "--policy",
        "static:smallest",
        "--backends",
        "perfect",
    )
    assert status == 0 and "accuracy" in out and "backends chosen per site" in out


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["missing.py", "--world", "digits", "--n", "2", "--policy", "random"],
            "missing.py: no such file",
        ),
        (["broken.py", "--world", "digits", "--n", "2", "--policy", "random"], "broken.py:2:"),
        (["has_digit.py", "--world", "digits", "--policy", "random"], "--world needs --n N"),
        (
            [
                "has_digit.py",
                "--world",
                "mars",
                "--n",
                "2",
                "--policy",
                "random",
                "--backends",
                "perfect",
            ],
            "unknown world 'mars' (known: digits)",
        ),
        (
            [
                "has_digit.py",
                "--world",
                "digits",
                "--n",
                "2",
                "--policy",
                "greedy",
                "--backends",
                "perfect",
            ],
            "unknown policy 'greedy' (known: ",
        ),
        (
            [
                "has_digit.py",
                "--world",
                "digits",
                "--n",
                "2",
                "--policy",
                "static:huge",
                "--backends",
                "perfect",
            ],
            "offers none of huge",
        ),
        (
            [
                "has_digit.py",
                "--world",
                "digits",
                "--n",
                "2",
                "--policy",
                "random",
                "--backends",
                "bad.yaml",
            ],
            "bad.yaml:4:",
        ),
        (
            [
                "has_digit.py",
                "--world",
                "digits",
                "--n",
                "2",
                "--policy",
                "random",
                "--backends",
                "none.yaml",
            ],
            "none.yaml: no such backend config",
        ),
        (
            ["has_digit.py", "--inputs", "nowhere", "--policy", "random", "--backends", "perfect"],
            "nowhere: no such file or directory",
        ),
        (
            [
                "uses_find.py",
                "--inputs",
                "backends.yaml",
                "--policy",
                "random",
                "--backends",
                "backends.yaml",
            ],
            "site 0 (find): no backends for 'find'",
        ),
    ],
)
def test_mistakes_get_a_clear_message_and_status_1(
    files: Path, argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(files)
    (files / "broken.py").write_text("def execute_command(image):\n    return image.nope(\n")
    (files / "bad.yaml").write_text(
        "version: 1\nfunctions:\n  exists:\n    - name: x\n      type: http\n"
    )
    (files / "uses_find.py").write_text(
        "def execute_command(image):\n    return len(ImagePatch(image).find('7'))\n"
    )
    status, out, err = fmpc_run(*argv)
    assert status == 1
    assert message in err and "Traceback" not in err + out


# ---------------------------------------------------------------- the zoo default


def test_without_backends_the_zoo_serves_with_its_measured_costs(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fmpc.runtime.backends import CallableBackend
    from fmpc.zoo.plugin import zoo_table

    rows = [
        {"function": "exists", "name": "det-s", "flops": 100.0},
        {"function": "exists", "name": "det-l", "flops": 900.0},
    ]
    backends = {
        "exists": [
            CallableBackend("det-s", "exists", says_no, 100.0),
            CallableBackend("det-l", "exists", says_yes, 900.0),
        ]
    }
    monkeypatch.setattr("fmpc.zoo.store.read_manifest", lambda: {"backends": rows})
    monkeypatch.setattr("fmpc.zoo.backends.zoo_backends", lambda: backends)
    table, costs = zoo_table()
    assert [b.name for b in table["exists"]] == ["det-s", "det-l"]
    assert costs == {("exists", "det-s"): 100.0, ("exists", "det-l"): 900.0}
    status, out, _ = fmpc_run(
        str(files / "has_digit.py"),
        "--world",
        "digits",
        "--n",
        "3",
        "--policy",
        "static:det-l",
        "--json",
    )
    assert status == 0 and summary(out)["mean_cost"] == 900.0


def test_an_untrained_zoo_says_what_to_do(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fmpc.zoo.store.read_manifest", lambda: {"models": {}, "backends": []})
    status, _, err = fmpc_run(
        str(files / "has_digit.py"), "--world", "digits", "--n", "3", "--policy", "random"
    )
    assert status == 1 and "no trained weights" in err and "fmpc zoo train" in err
