"""No Python traceback on any input: whatever a command is given (a program, IR text or JSON, a
library file, a backend config, a pipeline, a profile), it succeeds or reports the mistake in
the common style with status 1 -- never an exception, never an "internal error"."""

from __future__ import annotations

import contextlib
import io
import json
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmpc.cli import main

PROGRAM = """\
def execute_command(image):
    image_patch = ImagePatch(image)
    cats = image_patch.find("cat")
    names = [c.simple_query("What is it?") for c in cats if c.exists("hat")]
    return ", ".join(names) if names else bool_to_yesno(image_patch.exists("dog"))
"""

LIBRARY = """\
version: 1
functions:
  process_guesses:
    params: {question: str, guesses: "list[str]"}
    returns: str
  area:
    params: {patch: ImagePatch}
    returns: float
    routable: false
    style: attribute
"""

CONFIG = """\
version: 1
functions:
  exists:
    - {name: small, type: callable, target: "tests.cli.test_malformed:says_yes", cost: 1}
    - {name: big, type: http, endpoint: "http://127.0.0.1:9/v1", model: m, cost: 4}
"""

PROFILE = '{"runs": 2, "sites": {"0": {"executions": 2, "truthy": 1}}}'


def says_yes(*args: Any) -> bool:
    """A backend that says yes."""
    return True


def fmpc(*argv: str) -> tuple[int, str]:
    """Run ``fmpc argv`` in-process; its status and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exit:  # argparse's own usage errors (status 2)
            status = int(exit.code or 0)
    return status, out.getvalue() + err.getvalue()


def assert_reported(status: int, output: str, allowed: tuple[int, ...] = (0, 1)) -> None:
    assert status in allowed, output
    assert "Traceback" not in output and "internal error" not in output, output
    if status == 1:
        first = output.strip().splitlines()[-1] if output.strip() else ""
        assert ": error: " in output or ": note: " in first, output


def with_file(name: str, content: str | bytes, run: Callable[[Path], tuple[int, str]]) -> None:
    """Write ``content`` to a file ``name``, next to a valid program ``ok.py``, and check what
    ``run(path)`` reports."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "ok.py").write_text(PROGRAM)
        path = Path(tmp, name)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        assert_reported(*run(path))


def ok(path: Path) -> Path:
    """The valid program next to ``path`` (see :func:`with_file`)."""
    return path.with_name("ok.py")


def compiled(emit: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "prog.py")
        source.write_text(PROGRAM)
        status, output = fmpc("compile", str(source), "-p", "", "--emit", emit)
    assert status == 0
    return output


IR_TEXT = compiled("ir")
IR_JSON = compiled("json")
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutate(text: str, rng: random.Random, edits: int) -> str:
    """``text`` with ``edits`` random character-level deletions, duplications and insertions."""
    alphabet = '{}[]()":,=%@^-> \n0123456789abcxyz.\\'
    for _ in range(edits):
        if not text:
            return rng.choice(alphabet)
        i = rng.randrange(len(text))
        j = min(len(text), i + rng.randint(1, 12))
        kind = rng.randrange(3)
        if kind == 0:
            text = text[:i] + text[j:]
        elif kind == 1:
            text = text[:i] + text[i:j] + text[i:]
        else:
            text = text[:i] + rng.choice(alphabet) + text[i:]
    return text


SEED = st.integers(0, 2**32 - 1)
EDITS = st.integers(1, 6)


@FAST
@given(SEED, EDITS)
def test_mutated_ir_text(seed: int, edits: int) -> None:
    text = mutate(IR_TEXT, random.Random(seed), edits)
    with_file("prog.fmp", text, lambda p: fmpc("opt", str(p)))
    with_file("prog.fmp", text, lambda p: fmpc("check", str(p), "--world", "digits"))


@FAST
@given(SEED, EDITS)
def test_mutated_ir_json(seed: int, edits: int) -> None:
    text = mutate(IR_JSON, random.Random(seed), edits)
    with_file("prog.json", text, lambda p: fmpc("opt", str(p), "--emit", "json"))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@FAST
@given(st.data())
def test_ir_json_with_any_value_replaced(data: st.DataObject) -> None:
    """A well-formed JSON document whose values are wrong in shape or type anywhere."""
    document = json.loads(IR_JSON)
    paths = list(_paths(document))
    path = data.draw(st.sampled_from(paths))
    replacement = data.draw(JSON_VALUES)
    _replace(document, path, replacement)
    with_file("prog.json", json.dumps(document), lambda p: fmpc("opt", str(p)))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Any:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> None:
    if not path:
        document.clear()
        document["value"] = value
        return
    for key in path[:-1]:
        document = document[key]
    document[path[-1]] = value


@FAST
@given(SEED, EDITS)
def test_mutated_library_files(seed: int, edits: int) -> None:
    text = mutate(LIBRARY, random.Random(seed), edits)
    with_file("lib.yaml", text, lambda p: fmpc("check", str(ok(p)), "--library", str(p)))


@FAST
@given(SEED, EDITS)
def test_mutated_backend_configs(seed: int, edits: int) -> None:
    text = mutate(CONFIG, random.Random(seed), edits)
    with_file("backends.yaml", text, lambda p: fmpc("backends", "check", str(p)))


@FAST
@given(SEED, EDITS)
def test_mutated_profiles(seed: int, edits: int) -> None:
    text = mutate(PROFILE, random.Random(seed), edits)
    with_file("profile.json", text, lambda p: fmpc("compile", str(ok(p)), "--profile", str(p)))


@FAST
@given(st.text(alphabet='cseanoikrtly-{}[]=,"0.9 _xbdp', max_size=40))
def test_any_pipeline_text(pipeline: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        program = Path(tmp, "prog.py")
        program.write_text(PROGRAM)
        assert_reported(*fmpc("compile", str(program), f"--pipeline={pipeline}"))


@settings(max_examples=60, deadline=None)
@given(SEED, EDITS)
def test_mutated_programs_through_the_command(seed: int, edits: int) -> None:
    text = mutate(PROGRAM, random.Random(seed), edits)
    with_file("prog.py", text, lambda p: fmpc("compile", str(p), "--world", "digits"))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"\x00" * 10,
        "é".encode("latin-1"),
        b"[" * 100_000,
        b"{" * 100_000,
    ],
)
@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("prog.py", ["check", "{}"]),
        ("prog.py", ["compile", "{}"]),
        ("prog.fmp", ["opt", "{}"]),
        ("prog.json", ["opt", "{}"]),
        ("prog.json", ["check", "{}"]),
        ("lib.yaml", ["check", "{prog}", "--library", "{}"]),
        ("backends.yaml", ["backends", "check", "{}"]),
        ("profile.yaml", ["compile", "{prog}", "--profile", "{}"]),
    ],
)
def test_garbage_bytes_in_every_kind_of_file(name: str, argv: list[str], content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        program = Path(tmp, "ok.py")
        program.write_text(PROGRAM)
        path = Path(tmp, name)
        path.write_bytes(content)
        status, output = fmpc(*(a.format(path, prog=program) for a in argv))
    assert_reported(status, output)
    assert status == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "{d}"],
        ["opt", "{d}"],
        ["check", "{d}/missing.py", "--library", "{d}/missing.yaml"],
        ["check", "{d}/ok.py", "--library", "{d}"],
        ["opt", "{d}/ok.py"],
        ["backends", "check", "{d}"],
        ["compile", "{d}/ok.py", "-o", "{d}/no/such/dir/out.fmp"],
        ["compile", "{d}/ok.py", "--load", "{d}/missing_passes.py"],
        ["run", "{d}/ok.py", "--inputs", "{d}/none", "--policy", "random", "--backends", "perfect"],
        ["run", "{d}/ok.py", "--world", "digits", "--n", "-3", "--policy", "random"],
        ["run", "{d}/ok.py", "--world", "digits", "--n", "2", "--policy", "nope"],
        [
            "run",
            "{d}/ok.py",
            "--world",
            "digits",
            "--n",
            "2",
            "--policy",
            "random",
            "--backends",
            "{d}",
        ],
    ],
)
def test_bad_paths_and_arguments(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "ok.py").write_text(PROGRAM)
    status, output = fmpc(*(a.format(d=tmp_path) for a in argv))
    assert_reported(status, output)
    assert status == 1


def test_a_location_with_a_fractional_column_is_a_located_error() -> None:
    text = IR_TEXT.replace("loc(4:61)", "loc(4:6.1)", 1)
    assert text != IR_TEXT
    with_file("prog.fmp", text, lambda p: fmpc("opt", str(p)))
