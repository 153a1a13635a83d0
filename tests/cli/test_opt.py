"""``fmpc opt`` (through ``add_opt_command``) and ``run_pipeline_text``."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from fmpc.cli import main
from fmpc.cli.opt import first_sentence, run_pipeline_text
from fmpc.ir import parse, structurally_equal
from fmpc.passes import DEFAULT_PIPELINE, DEFAULT_REGISTRY, PipelineError
from fmpc.passes.base import format_option, option_defaults
from tests.passes.support import FIXTURES, load_fixture, parse_verified

PROGRAM = (
    "def execute_command(image):\n"
    "    image_patch = ImagePatch(image)\n"
    '    return bool_to_yesno(image_patch.exists("7") and image_patch.exists("7"))\n'
)
FIXTURE = FIXTURES / "pipeline" / "default_pipeline.fmp"
TUTORIAL_PASS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "rename_calls.py"


def opt(*argv: str) -> int:
    return main(["opt", *argv])


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


def test_opt_lists_every_option_with_its_default_and_the_whole_first_sentence(capsys) -> None:  # type: ignore[no-untyped-def]
    assert opt("--list-passes", "--load", str(TUTORIAL_PASS)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"default pipeline: {DEFAULT_PIPELINE}\n")
    for name in DEFAULT_REGISTRY.names():
        cls = DEFAULT_REGISTRY.get(name)
        sentence = first_sentence(cls.__doc__ or "")
        assert sentence.endswith(".") and "\n" not in sentence
        assert re.search(rf"^{re.escape(name)} +{re.escape(sentence)}$", out, re.MULTILINE)
        for option, default in option_defaults(cls).items():
            assert re.search(
                rf"^    {option}: .* = {re.escape(format_option(default))}$", out, re.MULTILINE
            )
    # a sentence that runs over two lines of the docstring is shown whole
    assert (
        "dce           Erase unused ops that cannot fail, including unused routable calls (`calls=False` keeps the calls)."
        in out
    )
    assert "    threshold: float = 0.9" in out and "    sink: bool = true" in out
    assert "    old: str = query\n    new: str = simple_query" in out  # a loaded pass


@pytest.mark.parametrize(
    ("doc", "sentence"),
    [
        ("Fold constants.\n\nMore.", "Fold constants."),
        ("Merge ops, e.g. two calls.  Then more.", "Merge ops, e.g. two calls."),
        (
            "Erase ops (``calls=False``\n    keeps calls). Next",
            "Erase ops (`calls=False` keeps calls).",
        ),
        ("no full stop", "no full stop"),
        ("", ""),
    ],
)
def test_first_sentence(doc: str, sentence: str) -> None:
    assert first_sentence(doc) == sentence


def test_opt_reads_stdin_and_the_json_that_compile_emits(
    tmp_path: Path, capsys, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    assert main(["compile", str(program), "-p", "", "--emit", "json"]) == 0
    document = capsys.readouterr().out
    (tmp_path / "prog.json").write_text(document)
    assert opt(str(tmp_path / "prog.json"), "-p", "cse,dce") == 0
    from_file = capsys.readouterr().out
    for argv in (["-p", "cse,dce"], ["-", "-p", "cse,dce"]):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(document.encode())))
        assert opt(*argv) == 0
        assert capsys.readouterr().out == from_file
    assert main(["compile", str(program), "-p", "cse,dce"]) == 0
    assert structurally_equal(parse(from_file), parse(capsys.readouterr().out))
    assert opt(str(tmp_path / "prog.json"), "-p", "", "--emit", "json") == 0
    assert json.loads(capsys.readouterr().out) == json.loads(document)


def test_opt_checks_the_calls_against_the_library(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "prog.fmp"
    source.write_text(before_text().replace('fn = "exists"', 'fn = "exists_twice"', 1))
    assert opt(str(source)) == 1
    err = capsys.readouterr().err
    assert re.search(
        r"^\S+\.py:\d+:\d+: error: 'fmpc.call' calls 'exists_twice', which is not a function of "
        r"the library \(declare it in a library file\)",
        err,
    ), err
    library = tmp_path / "lib.yaml"
    library.write_text(
        "functions:\n  exists_twice:\n    params: {patch: ImagePatch, name: str}\n"
        "    returns: bool\n"
    )
    assert opt(str(source), "--library", str(library)) == 0


def test_opt_says_a_python_file_is_for_compile(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    assert opt(str(program)) == 1
    assert capsys.readouterr().err == (
        f"fmpc opt: error: {program}: a Python program; compile it with `fmpc compile` "
        "(this command reads IR text or JSON)\n"
    )


def test_run_pipeline_text_for_fmpc_compile(tmp_path: Path) -> None:
    module = parse_verified(before_text())
    assert run_pipeline_text(module, "", False) is module
    profile = tmp_path / "profile.yaml"
    profile.write_text("runs: 1\nsites: {}\n")
    optimized = run_pipeline_text(module, "canonicalize,cse,dce", False, profile=str(profile))
    assert len(optimized.routable_calls()) < len(module.routable_calls())
    with pytest.raises(PipelineError):
        run_pipeline_text(module, "cse{", False)
