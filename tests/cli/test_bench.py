"""``fmpc bench`` and ``fmpc demo`` as a user runs them: errors are one message and exit 1; a
run writes results.json and the plot."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from fmpc.bench import harness
from fmpc.bench.demo import demo_query, show_compilation
from fmpc.cli.bench import add_bench_command
from fmpc.cli.demo import add_demo_command
from tests.bench.conftest import TINY, CallLog, fake_backends


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fmpc")
    sub = parser.add_subparsers(dest="command", required=True)
    add_bench_command(sub)
    add_demo_command(sub)
    return parser.parse_args(argv)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = _parse(*argv)
    code = args.handler(args, Console(file=out, width=200), Console(file=err, width=200))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--task", "multi"), "unknown task 'multi'; choose one of binary, open, all"),
        (("--queries", "nowhere.yaml"), "nowhere.yaml: cannot read the query file"),
        (("--lam", "-1"), "--lam values must be >= 0"),
        (("--methods", "all-smallest,magic"), "--methods: unknown method(s) magic; known: "),
    ],
)
def test_bench_mistakes_are_one_message_and_exit_1(argv: tuple[str, ...], message: str) -> None:
    code, out, err = _run("bench", *argv)
    assert code == 1
    assert message in err
    assert "Traceback" not in err and out == ""


def test_bench_reports_a_broken_query_file_by_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("queries:\n  - id: a\n    task: binary\n    question: is there a 7?\n")
    code, _, err = _run("bench", "--task", "binary", "--queries", str(bad))
    assert code == 1
    assert "bad.yaml:2: query 'a': program: Field required" in err


def test_bench_writes_results_and_plot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(harness, "zoo_bench_backends", lambda: fake_backends(CallLog()))
    out_dir = tmp_path / "bench-out"
    code, out, err = _run(
        "bench", "--task", "all", "--queries", str(TINY), "--stream-size", "4",
        "--methods", "monolithic,static,oracle", "--out", str(out_dir),
    )  # fmt: skip
    assert code == 0, err
    document = json.loads((out_dir / "results.json").read_text())
    names = {m["method"] for m in document["methods"]}
    assert names == {"monolithic", "all-smallest", "all-largest", "oracle"}
    assert document["settings"]["streams"] == {"red-7-left-of-circle": 4, "count-digits": 4}
    assert (out_dir / "pareto.png").stat().st_size > 1000
    assert "Streaming binary VQA" in out and "Open-form accuracy by type" in out
    assert f"results: {out_dir / 'results.json'}" in out


def test_demo_shows_the_ir_before_and_after_the_passes() -> None:
    out = io.StringIO()
    query = demo_query(20)
    show_compilation(query, Console(file=out, width=200))
    text = out.getvalue()
    assert query.question in text
    assert text.count('module "binary.yaml#') == 2  # as compiled, then optimized
    assert "after the passes: canonicalize" in text
    assert query.stream.size == 20 and query.stream.positive_rate == 0.05  # type: ignore[union-attr]


def test_demo_rejects_a_tiny_stream() -> None:
    code, _, err = _run("demo", "--scenes", "3")
    assert code == 1 and "--scenes must be >= 10" in err


def test_bench_reports_a_stream_that_cannot_be_drawn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(harness, "zoo_bench_backends", lambda: fake_backends(CallLog()))
    never = tmp_path / "never.yaml"
    never.write_text(
        "queries:\n  - id: never\n    task: binary\n    question: is there a 7?\n"
        "    program: |\n      def execute_command(image):\n          return 'no'\n"
        "    stream: {size: 3, positive_rate: 0.5}\n"
    )
    code, _, err = _run(
        "bench", "--task", "binary", "--queries", str(never), "--out", str(tmp_path)
    )
    assert code == 1
    assert "query 'never': no positive scene" in err and "Traceback" not in err
