"""``fmpc opt`` (through ``add_opt_command``) and ``run_pipeline_text``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from fmpc.cli.opt import add_opt_command, run_pipeline_text
from fmpc.ir import parse, structurally_equal
from fmpc.passes import PipelineError
from tests.passes.support import FIXTURES, load_fixture, parse_verified

FIXTURE = FIXTURES / "pipeline" / "default_pipeline.fmp"
TUTORIAL_PASS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "rename_calls.py"


def opt(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="fmpc")
    add_opt_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["opt", *argv])
    return int(args.handler(args))


def before_text() -> str:
    return load_fixture(FIXTURE).before


def test_opt_runs_the_default_pipeline_like_mlir_opt(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "prog.fmp"
    source.write_text(before_text())
    assert opt(str(source)) == 0
    out = capsys.readouterr().out
    fixture = load_fixture(FIXTURE)
    assert structurally_equal(parse(out), parse_verified(fixture.expected or ""))


def test_opt_writes_output_and_prints_after_each_pass(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source, target = tmp_path / "prog.fmp", tmp_path / "out.fmp"
    source.write_text(before_text())
    pipeline = "canonicalize,cse,dce,batch"
    assert opt(str(source), "-p", pipeline, "-o", str(target), "--print-after-all") == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    for name in pipeline.split(","):
        assert f"// ----- IR after {name} (changed) -----" in captured.err
    assert "fmpc.call" in target.read_text()


def test_opt_with_an_empty_pipeline_prints_the_input(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "prog.fmp"
    source.write_text(before_text())
    assert opt(str(source), "-p", "") == 0
    assert structurally_equal(parse(capsys.readouterr().out), parse(before_text()))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-p", "cse,dcee"], "unknown pass 'dcee'; did you mean 'dce'?"),
        (["-p", "cascade{threshold=x}"], "option 'threshold': expected float"),
        (["--profile", "missing.yaml"], "missing.yaml: cannot read"),
        (
            ["--load", "no_such_module_anywhere"],
            "cannot load passes from 'no_such_module_anywhere'",
        ),
    ],
)
def test_opt_reports_mistakes_without_a_traceback(tmp_path: Path, capsys, argv, message) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "prog.fmp"
    source.write_text(before_text())
    assert opt(str(source), *argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("fmpc opt: error: ") and message in err
    assert "Traceback" not in err


def test_opt_reports_bad_ir_with_its_location(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "bad.fmp"
    source.write_text(
        "module {\n  func @execute_command(%image: Image) -> Bool {\n    %x = fmpc.nope()\n"
    )
    assert opt(str(source)) == 1
    err = capsys.readouterr().err
    assert "bad.fmp:3:10: error: unknown op 'fmpc.nope'" in err


def test_opt_lists_passes_including_loaded_ones(capsys) -> None:  # type: ignore[no-untyped-def]
    assert opt("--list-passes", "--load", str(TUTORIAL_PASS)) == 0
    out = capsys.readouterr().out
    assert "cascade{threshold: float" in out
    assert "rename-calls{old: str, new: str}" in out


def test_run_pipeline_text_for_fmpc_compile(tmp_path: Path) -> None:
    module = parse_verified(before_text())
    assert run_pipeline_text(module, "", False) is module
    profile = tmp_path / "profile.yaml"
    profile.write_text("runs: 1\nsites: {}\n")
    optimized = run_pipeline_text(module, "canonicalize,cse,dce", False, profile=str(profile))
    assert len(optimized.routable_calls()) < len(module.routable_calls())
    with pytest.raises(PipelineError):
        run_pipeline_text(module, "cse{", False)
