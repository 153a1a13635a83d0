"""The ``fmpc`` command itself: building its parser stays light, ``compile`` / ``check`` work
through ``main``, and a user's mistake is one message with exit status 1."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fmpc
from fmpc.cli import build_parser, main

PROGRAM = (
    "def execute_command(image):\n"
    "    image_patch = ImagePatch(image)\n"
    '    return bool_to_yesno(image_patch.exists("7") and image_patch.exists("circle"))\n'
)

NEVER_AT_START = (
    *("jax", "flax", "optax", "orbax", "numpy", "networkx", "pydantic", "yaml", "rich"),
    *("fastapi", "starlette", "uvicorn", "httpx", "prometheus_client", "PIL"),
)
"""Libraries that neither building the parser nor checking a program imports (the serving
stack among them: ``fmpc serve`` and ``fmpc build`` load it when they run)."""

NOT_FOR_CHECK = (
    "fmpc.passes",
    "fmpc.runtime",
    "fmpc.policies",
    "fmpc.worlds",
    "fmpc.zoo",
    "fmpc.bench",
    "fmpc.deploy",
    "fmpc.semantics.interpreter",
)
"""fmpc's layers above the frontend (and the interpreter): not needed to check a program."""


def loaded_modules(code: str) -> list[str]:
    """The modules a fresh interpreter has imported after running ``code``."""
    probe = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def heavy(modules: list[str]) -> list[str]:
    return [
        m
        for m in modules
        if m.split(".")[0] in NEVER_AT_START
        or (m.startswith(NOT_FOR_CHECK) and m not in ("fmpc.zoo", "fmpc.zoo.specs"))
    ]


def test_building_the_parser_loads_no_library_model_world_pass_or_bench_code() -> None:
    modules = loaded_modules("from fmpc.cli import build_parser\nbuild_parser().format_help()")
    assert heavy(modules) == []
    assert "fmpc.frontend" not in modules and "fmpc.ir" not in modules


def test_checking_a_program_loads_only_the_frontend(tmp_path: Path) -> None:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    modules = loaded_modules(
        f"from fmpc.cli import main\nassert main(['check', {str(path)!r}]) == 0"
    )
    assert "fmpc.frontend" in modules
    assert heavy(modules) == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"fmpc {fmpc.__version__}\n"


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
    assert json.loads(stats)["site_signs"] == {"0": "+", "1": "+"}


def test_compile_and_check_read_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for argv in (["check"], ["check", "-"]):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(PROGRAM.encode())))
        assert main(argv) == 0
        assert capsys.readouterr().out == "<stdin>: ok (2 routable call sites)\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(PROGRAM.encode())))
    assert main(["compile", "-p", ""]) == 0
    assert capsys.readouterr().out.startswith('module "<stdin>" {')
    monkeypatch.setattr(
        "sys.stdin", io.TextIOWrapper(io.BytesIO(b"def execute_command(image):\n  return \xff\n"))
    )
    assert main(["check"]) == 1
    assert capsys.readouterr().err.startswith("fmpc check: error: <stdin>: not UTF-8 text")


def test_check_verifies_a_compiled_program(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    for emit, suffix in (("ir", ".fmp"), ("json", ".json")):
        target = tmp_path / f"prog{suffix}"
        assert main(["compile", str(path), "--emit", emit, "-o", str(target)]) == 0
        assert main(["check", str(target)]) == 0
        assert capsys.readouterr().out.endswith(f"{target}: ok (2 routable call sites)\n")


def test_mistakes_are_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.py"
    assert main(["check", str(missing)]) == 1
    assert capsys.readouterr().err == f"fmpc check: error: {missing}: no such file\n"
    bad = tmp_path / "bad.py"
    bad.write_text("def execute_command(image):\n    return exec('1')\n")
    assert main(["compile", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:2:12: error: ") and "Traceback" not in err


BAD_CONFIG = "version: 1\nfunctions:\n  exists:\n    - {name: a, type: http, model: m, cost: 1}\n"


@pytest.mark.parametrize(
    ("argv", "files", "first_line"),
    [
        (["check", "{d}/nope.py"], {}, "fmpc check: error: {d}/nope.py: no such file"),
        (["compile", "{d}"], {}, "fmpc compile: error: {d}: is a directory, expected a file"),
        (
            ["compile", "{d}/p.py", "-p", "cse,nope"],
            {"p.py": PROGRAM},
            "fmpc compile: error: pipeline:5: unknown pass 'nope'",
        ),
        (["opt", "{d}/p.fmp"], {"p.fmp": "module {\n  nope\n"}, "{d}/p.fmp:2:3: error: "),
        (["opt", "{d}/p.json"], {"p.json": '{"format": 1'}, "{d}/p.json:1:13: error: not JSON: "),
        (
            ["opt", "{d}/p.json"],
            {"p.json": "[1]"},
            "fmpc opt: error: {d}/p.json: not an fmpc IR JSON document",
        ),
        (
            ["check", "{d}/p.py", "--library", "{d}/lib.yaml"],
            {"p.py": PROGRAM, "lib.yaml": "functions:\n  f:\n    params: {}\n"},
            "{d}/lib.yaml:2:3: error: functions.f.returns: field required",
        ),
        (
            ["check", "{d}/p.py", "--world", "mars"],
            {"p.py": PROGRAM},
            "fmpc check: error: unknown world 'mars'",
        ),
        (
            ["backends", "check", "{d}/b.yaml"],
            {"b.yaml": BAD_CONFIG},
            "{d}/b.yaml:4:7: error: functions.exists[0].endpoint",
        ),
        (["zoo", "train", "--only", "nope"], {}, "fmpc zoo train: error: unknown model 'nope'"),
        (["bench", "--task", "nope"], {}, "fmpc bench: error: "),
        (
            ["run", "{d}/p.py", "--world", "digits", "--policy", "random"],
            {"p.py": PROGRAM},
            "fmpc run: error: --world needs --n N",
        ),
        (
            ["run", "{d}/p.py", "--world", "digits", "--n", "2"],
            {"p.py": PROGRAM},
            "fmpc run: error: --policy is needed",
        ),
        (
            ["run", "{d}/a.fmpa", "--world", "digits", "--n", "2"],
            {"a.fmpa/manifest.json": '{"format": 99}'},
            "fmpc run: error: {d}/a.fmpa: ",
        ),
        (
            ["build", "{d}/p.py", "--backends", "{d}/b.yaml", "-o", "{d}/o.fmpa"],
            {"p.py": PROGRAM, "b.yaml": BAD_CONFIG},
            "{d}/b.yaml:4:7: error: functions.exists[0].endpoint",
        ),
        (
            ["build", "{d}/p.py", "-o", "{d}/o.fmpa", "--image-size", "big"],
            {"p.py": PROGRAM},
            "fmpc build: error: --buckets takes sizes",
        ),
        (["serve", "{d}/nope.fmpa"], {}, "fmpc serve: error: {d}/nope.fmpa: no such artifact"),
    ],
)
def test_every_command_reports_mistakes_in_one_style(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    files: dict[str, str],
    first_line: str,
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    status = main([arg.format(d=tmp_path) for arg in argv])
    captured = capsys.readouterr()
    output = captured.out if argv[0] == "backends" else captured.err  # a validator's findings
    assert status == 1
    assert output.startswith(first_line.format(d=tmp_path)), output
    assert "Traceback" not in captured.out + captured.err


def test_an_internal_error_is_one_line_unless_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("an invariant broke")

    monkeypatch.setattr("fmpc.cli.check.cmd_check", broken)
    assert main(["check", "x.py"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("fmpc check: internal error: RuntimeError: an invariant broke\n")
    assert "Traceback" not in err and "FMPC_TRACEBACK=1" in err
    monkeypatch.setenv("FMPC_TRACEBACK", "1")
    with pytest.raises(RuntimeError):
        main(["check", "x.py"])


def test_a_closed_pipe_ends_a_command_quietly(tmp_path: Path) -> None:
    """``fmpc zoo list --json | head`` and the like: the reader has gone before the command
    writes (its end of the pipe is closed first), so every write fails with EPIPE."""
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    for argv in (
        ["zoo", "list", "--json"],
        ["zoo", "list"],
        ["compile", str(path), "-p", ""],
        ["check", str(path)],
        ["opt", "--list-passes"],
    ):
        read, write = os.pipe()
        os.close(read)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "fmpc.cli", *argv], stdout=write, stderr=subprocess.PIPE
            )
        finally:
            os.close(write)
        assert done.returncode == 141, (argv, done.stderr)
        assert done.stderr == b"", (argv, done.stderr)


def test_rich_output_is_not_wrapped_when_stdout_is_not_a_terminal(tmp_path: Path) -> None:
    endpoint = "http://127.0.0.1:9/" + "v" * 120
    config = tmp_path / "b.yaml"
    config.write_text(
        f"version: 1\nfunctions:\n  query:\n    - {{name: a-long-backend-name, type: http, endpoint: '{endpoint}', model: m, cost: 1}}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "fmpc.cli", "backends", "check", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    assert any(endpoint in line for line in done.stdout.splitlines())
    assert max(map(len, done.stdout.splitlines())) > 150


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fmpc.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "compile" in done.stdout and "bench" in done.stdout


def test_the_compile_cache_goes_where_the_environment_says() -> None:
    from fmpc.cli.cache import cache_directory, use_compile_cache

    home = {"XDG_CACHE_HOME": "/somewhere"}
    assert cache_directory(home) == Path("/somewhere/fmpc/jax")
    assert cache_directory({"FMPC_COMPILE_CACHE": "off"}) is None
    assert cache_directory({"FMPC_COMPILE_CACHE": " None "}) is None
    env = {"FMPC_COMPILE_CACHE": "/c"}
    assert use_compile_cache(env) == Path("/c")
    assert env["JAX_COMPILATION_CACHE_DIR"] == "/c"
    assert env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0"
    mine = {"JAX_COMPILATION_CACHE_DIR": "/mine", "FMPC_COMPILE_CACHE": "/c"}
    assert use_compile_cache(mine) is None and mine["JAX_COMPILATION_CACHE_DIR"] == "/mine"
    off = {"FMPC_COMPILE_CACHE": "0"}
    assert use_compile_cache(off) is None and "JAX_COMPILATION_CACHE_DIR" not in off


def test_a_command_run_twice_loads_its_executables_from_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "FMPC_COMPILE_CACHE": str(cache)}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    command = [sys.executable, "-m", "fmpc.cli", "run", "examples/red_seven.py", "--world",
               "digits", "--n", "4", "--policy", "static:smallest"]  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    first = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    entries = sorted(p.name for p in cache.rglob("*") if p.is_file())
    assert entries  # the first run wrote its executables
    second = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in cache.rglob("*") if p.is_file()) == entries  # all reused
