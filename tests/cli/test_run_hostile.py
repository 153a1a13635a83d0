"""``fmpc run`` under hostile input (issue 16): one bad input fails alone, duplicate ids keep
their own answers, failing backends and their fallbacks are reported, and per-input limits stop
programs that would stall the stream."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_run import fmpc_run, summary
from tests.files import png_header

IS_BRIGHT = (
    "def execute_command(image):\n    return bool_to_yesno(ImagePatch(image).exists('digit'))\n"
)

PAIRS = """\
def execute_command(image) -> int:
    digits = ImagePatch(image).find("digit")
    pairs = 0
    for a in digits:
        for b in digits:
            if a.exists("digit") and b.exists("digit"):
                pairs += 1
    return pairs
"""

SLOW_LOOP = """\
def execute_command(image) -> int:
    p = ImagePatch(image)
    n = 0
    for name in ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]:
        if p.exists(name):
            n += 1
    return n
"""

CONFIG = """\
version: 1
functions:
  exists:
    - name: bright
      type: callable
      target: tests.cli.test_run_hostile:bright
      cost: 1
      fallback: steady
    - name: steady
      type: callable
      target: tests.cli.test_run_hostile:bright_too
      cost: 3
"""


def bright(patch: Any, name: str) -> bool:
    """``exists`` by brightness: what the pixels say, so duplicate ids must not share answers."""
    return bool(patch.pixels().mean() > 0.5)


def bright_too(patch: Any, name: str) -> bool:
    """The same answer from another backend."""
    return bright(patch, name)


def broken(patch: Any, name: str) -> bool:
    """A backend that fails on every call."""
    raise ConnectionError("the model server is down")


def slow(patch: Any, name: str) -> bool:
    """A backend taking 50 ms per call."""
    time.sleep(0.05)
    return True


def _png(path: Path, value: int) -> None:
    Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(path)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "bright.py").write_text(IS_BRIGHT)
    (tmp_path / "backends.yaml").write_text(CONFIG)
    _png(tmp_path / "light.png", 230)
    _png(tmp_path / "dark.png", 20)
    return tmp_path


def _run(files: Path, *argv: str) -> tuple[int, dict[str, Any], str]:
    status, out, err = fmpc_run(*argv, "--json")
    return status, summary(out) if status == 0 else {}, err


def _bright(
    files: Path,
    inputs: Path,
    *extra: str,
    policy: str = "static:smallest",
    config: str = "backends.yaml",
) -> tuple[int, dict[str, Any], str]:
    """``fmpc run bright.py --inputs INPUTS`` with ``config``'s backends."""
    program, backends = str(files / "bright.py"), str(files / config)
    return _run(
        files, program, "--inputs", str(inputs), "--policy", policy, "--backends", backends, *extra
    )


def test_a_decompression_bomb_fails_its_input_and_the_stream_goes_on(files: Path) -> None:
    images = files / "images"
    images.mkdir()
    _png(images / "a.png", 230)
    (images / "b_bomb.png").write_bytes(png_header(65535, 65535))
    _png(images / "c.png", 20)
    status, data, err = _bright(files, images)
    assert status == 0 and data["inputs_seen"] == 3 and data["errors"] == 1
    assert data["calls_per_site"] == {"0": 2}  # the inputs after the bomb ran
    assert "b_bomb.png: cannot read the image (too large" in data["error_examples"][0]["error"]
    assert "Traceback" not in err


def test_a_smaller_pixel_limit_refuses_larger_images(files: Path) -> None:
    status, data, _ = _bright(files, files / "light.png", "--max-pixels", "63")
    assert status == 0 and data["errors"] == 1
    assert "more than the limit of 63" in data["error_examples"][0]["error"]


@pytest.mark.parametrize("policy", ["static:smallest", "neural-ts:k=2", "per-query", "defer"])
def test_duplicate_ids_keep_their_own_answers_and_feedback(files: Path, policy: str) -> None:
    rows = [
        {"image": "light.png", "id": "same", "label": "yes"},
        {"image": "dark.png", "id": "same", "label": "no"},
        {"image": "dark.png", "id": "same", "label": "no"},
        {"image": "light.png", "id": "same", "label": "yes"},
    ] * 2
    (files / "s.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    # one input at a time: each finds the previous inputs' calls in the cache
    status, data, _ = _bright(files, files / "s.jsonl", "--window", "1", policy=policy)
    assert status == 0 and data["errors"] == 0 and data["labelled"] == 8
    assert data["accuracy"] == 1.0  # was 0.5: a cache keyed by id shared the answers
    assert data.get("feedback_skipped", {}) == {}
    # the policy's own window: the eight inputs begin together, sharing one id
    status, data, _ = _bright(files, files / "s.jsonl", "--window", "8", policy=policy)
    assert status == 0 and data["accuracy"] == 1.0
    assert data.get("feedback_skipped", {}) == {}  # was {"unknown input": 7}


def test_a_failing_backend_served_by_its_fallback_is_reported(files: Path) -> None:
    config = CONFIG.replace(
        "tests.cli.test_run_hostile:bright\n", "tests.cli.test_run_hostile:broken\n"
    )
    (files / "broken.yaml").write_text(config)
    status, data, err = _bright(files, files / "light.png", config="broken.yaml")
    assert status == 0 and data["errors"] == 0 and data["backend_counts"] == {"0": {"bright": 1}}
    assert data["backend_failures"] == {"exists/bright": 1}
    assert data["fallbacks"] == {"exists/bright->steady": 1}
    assert (
        "warning: backend 'bright' (exists) failed on all 1 of its calls; its fallback served steady (1)"
        in err
    )


def test_max_calls_fails_the_inputs_that_loop_over_pairs(files: Path) -> None:
    (files / "pairs.py").write_text(PAIRS)
    args = [str(files / "pairs.py"), "--world", "digits", "--n", "12", "--policy", "random"]
    status, free, _ = _run(files, *args, "--backends", "perfect")
    assert status == 0 and free["errors"] == 0
    status, bounded, err = _run(files, *args, "--backends", "perfect", "--max-calls", "6")
    assert status == 0 and bounded["inputs_seen"] == 12
    assert 0 < bounded["errors"] < 12  # scenes with 2+ digits pass the limit, the rest answer
    example = bounded["error_examples"][0]["error"]
    assert "failed: the input made more than 6 calls (the --max-calls limit)" in example
    assert "pairs.py:6:" in example  # located at the call that passed the limit
    assert "Traceback" not in err


def test_the_time_limit_fails_a_slow_input_and_the_stream_goes_on(files: Path) -> None:
    (files / "loop.py").write_text(SLOW_LOOP)
    (files / "slow.yaml").write_text(
        "functions:\n  exists:\n    - {name: slow, type: callable, "
        "target: 'tests.cli.test_run_hostile:slow', cost: 1}\n"
    )
    rows = [{"image": "light.png", "id": f"n{i}"} for i in range(3)]
    (files / "s.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    start = time.perf_counter()
    status, data, _ = _run(
        files,
        str(files / "loop.py"),
        "--inputs",
        str(files / "s.jsonl"),
        "--policy",
        "static:smallest",
        "--backends",
        str(files / "slow.yaml"),
        "--window",
        "1",
        "--time-limit",
        "0.2",
        "-p",
        "",  # as written: the batch pass would make the ten calls one batched request
    )
    assert status == 0 and data["inputs_seen"] == 3 and data["errors"] == 3
    assert "past the time limit of 0.2s (--time-limit)" in data["error_examples"][0]["error"]
    assert data["calls_per_site"]["0"] < 3 * 10  # each input stopped early
    assert time.perf_counter() - start < 3 * 10 * 0.05


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--max-calls", "-3", "--max-calls: max_calls must be >= 1, got -3"),
        ("--time-limit", "nan", "--time-limit: the time limit must be a number of seconds > 0"),
        ("--max-pixels", "0", "--max-pixels must be >= 1, got 0"),
    ],
)
def test_bad_limits_are_one_line_errors(files: Path, flag: str, value: str, message: str) -> None:
    status, out, err = fmpc_run(
        str(files / "bright.py"), "--world", "digits", "--n", "2", "--policy", "random",
        "--backends", "perfect", flag, value,
    )  # fmt: skip
    assert status == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "text", "where", "reason"),
    [
        ("deep", "functions: {exists: " + "[" * 3000 + "]" * 3000 + "}\n", ":1:", "nested deeper"),
        ("laughs", None, ":7:", "more than 100000 nodes (aliases expanded)"),
        ("nul", "version: 1\x00\n", ":1:11:", "character #x0000 is not allowed"),
    ],
)
def test_hostile_backend_configs_are_one_line_errors_of_fmpc_run(
    files: Path, name: str, text: str | None, where: str, reason: str
) -> None:
    from tests.runtime.test_yaml_limits import laughs

    (files / f"{name}.yaml").write_text(text if text is not None else laughs())
    start = time.perf_counter()
    status, _, err = fmpc_run(
        str(files / "bright.py"), "--world", "digits", "--n", "2", "--policy", "random",
        "--backends", str(files / f"{name}.yaml"),
    )  # fmt: skip
    assert time.perf_counter() - start < 10  # billion laughs hung for over a minute
    assert status == 1 and "Traceback" not in err  # deep nesting was a RecursionError
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"{files / name}.yaml{where}") and reason in err


def test_labels_that_cannot_be_answers_are_errors_not_scored(files: Path) -> None:
    (files / "exists.py").write_text(
        "def execute_command(image):\n    return ImagePatch(image).exists('digit')\n"
    )
    rows = [{"image": "light.png", "label": label} for label in ("yes", [1], None, float("nan"))]
    (files / "s.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    status, data, _ = _run(
        files, str(files / "exists.py"), "--inputs", str(files / "s.jsonl"),
        "--policy", "static:smallest", "--backends", str(files / "backends.yaml"),
    )  # fmt: skip
    assert status == 0 and data["inputs_seen"] == 4
    assert data["labelled"] == 1 and data["accuracy"] == 1.0  # was 0.25: lists, NaN scored wrong
    assert data["errors"] == 2 and "s.jsonl:2: the label [1] does not fit" in str(
        data["error_examples"]
    )


def test_the_limits_help_shows_the_runtime_defaults() -> None:
    from fmpc.cli.run import LIMIT_DEFAULTS
    from fmpc.runtime.image_files import MAX_IMAGE_PIXELS
    from fmpc.runtime.limits import DEFAULT_MAX_CALLS, DEFAULT_TIME_LIMIT_S

    assert LIMIT_DEFAULTS == {
        "max_calls": DEFAULT_MAX_CALLS,
        "time_limit": DEFAULT_TIME_LIMIT_S,
        "max_pixels": MAX_IMAGE_PIXELS,
    }
