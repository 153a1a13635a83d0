"""``fmpc compile PROGRAM [--emit ir|json|dot] [-o OUT] [--stats] [-p PIPELINE ...]``: compile a
program, run the pass pipeline (the default one unless ``-p``) and print the module."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from fmpc.cli.common import read_text, write_output
from fmpc.cli.opt import add_pipeline_arguments, run_pipeline_from_args

EMITTERS = ("ir", "json", "dot")


def add_compile_command(subparsers: Any) -> None:
    """Register ``compile`` on an ``argparse`` subparsers object."""
    p = subparsers.add_parser("compile", help="compile a program to IR, JSON or DOT")
    p.add_argument("program", help="a Python program defining execute_command(image)")
    p.add_argument("--emit", choices=EMITTERS, default="ir", help="output form (default: ir)")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    p.add_argument("--stats", action="store_true", help="print one JSON line of statistics last")
    add_pipeline_arguments(p)
    p.set_defaults(handler=cmd_compile)


def compile_program(path: str):  # type: ignore[no-untyped-def]
    """Compile and verify the program at ``path``; warnings (including literals outside the
    embedded world's vocabulary) go to stderr."""
    from fmpc.frontend import compile_source_with_warnings
    from fmpc.frontend.compiler import read_source
    from fmpc.ir import verify
    from fmpc.worlds.perception import check_literal

    if not Path(path).is_file():
        read_text(path)  # the usual message for a missing file or a directory
    name = Path(path).name
    module, warnings = compile_source_with_warnings(
        read_source(path, name), filename=name, literal_check=check_literal
    )
    for warning in warnings:
        print(warning.format(), file=sys.stderr)
    verify(module)
    return module


def emit(module, kind: str) -> str:  # type: ignore[no-untyped-def]
    """The module in the requested output form."""
    from fmpc.ir import print_module, to_json
    from fmpc.ir.graph import to_dot

    if kind == "json":
        return json.dumps(to_json(module), indent=1)
    if kind == "dot":
        return to_dot(module)
    return print_module(module)


def stats(module, seconds: float) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Facts about a compiled module for ``--stats``."""
    return {
        "routable_sites": len(module.routable_calls()),
        "ops": sum(1 for _ in module.walk()),
        "functions": len(module.funcs),
        "compile_ms": round(seconds * 1000, 3),
    }


def cmd_compile(args: argparse.Namespace) -> int:
    """``fmpc compile``: print (or write) the optimized module; 0."""
    start = time.perf_counter()
    module = run_pipeline_from_args(compile_program(args.program), args)
    elapsed = time.perf_counter() - start
    write_output(emit(module, args.emit), args.output)
    if args.stats:
        print(json.dumps(stats(module, elapsed)))
    return 0
