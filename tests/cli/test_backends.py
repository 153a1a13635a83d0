"""``fmpc backends check``: a summary table for a valid config, every problem and exit 1 for a
bad one."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from rich.console import Console

from fmpc.cli.backends import add_backends_command
from tests.runtime.test_config import VALID


def _check(path: Path) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="fmpc")
    add_backends_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["backends", "check", str(path)])
    out = io.StringIO()
    status = args.handler(args, console=Console(file=out, width=200))
    return status, out.getvalue()


def test_check_prints_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "backends.yaml"
    path.write_text(VALID)
    status, output = _check(path)
    assert status == 0
    assert "ok (4 backends for 2 functions)" in output
    assert "measured (FLOPs)" in output and "1.5e+13" in output
    assert "http://127.0.0.1:9 (Qwen/Qwen2.5-VL-7B-Instruct)" in output


def test_check_reports_errors_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("functions:\n  exists:\n    - {name: a, type: http, model: m, cost: 1}\n")
    status, output = _check(path)
    assert status == 1
    assert output.strip() == (
        f"{path}:3:7: error: functions.exists[0].endpoint: field required "
        "(an http backend needs an endpoint URL)"
    )
