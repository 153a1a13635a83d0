"""``fmpc compile [PROGRAM] [--emit ir|json|dot] [-o OUT] [--stats] [-p PIPELINE ...]
[--library FILE] [--world WORLD]``: compile a program (no file or ``-``: stdin), run the pass
pipeline (the default one unless ``-p``) and print the module."""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING, Any

from fmpc.cli.common import command, write_output
from fmpc.cli.opt import add_emit_argument, add_pipeline_arguments, emit, run_pipeline_from_args
from fmpc.cli.program import ProgramReader, add_library_argument, add_vocabulary_argument

if TYPE_CHECKING:
    from fmpc.ir.core import Module


PYTHON_PROGRAM = "a Python program defining execute_command(image)"


def add_program_arguments(parser: argparse.ArgumentParser, what: str = PYTHON_PROGRAM) -> None:
    """The program (a file, ``-`` or nothing for stdin), ``--library`` and ``--world``: what
    ``compile`` and ``check`` share."""
    parser.add_argument("program", nargs="?", help=f"{what}; '-' or none: standard input")
    add_library_argument(parser)
    add_vocabulary_argument(parser)


def add_compile_command(subparsers: Any) -> None:
    """Register ``compile`` on an ``argparse`` subparsers object."""
    p = command(subparsers, "compile", cmd_compile, help="compile a program to IR, JSON or DOT")
    add_program_arguments(p)
    add_emit_argument(p)
    p.add_argument("--stats", action="store_true", help="print one JSON line of statistics last")
    add_pipeline_arguments(p)


def stats(module: Module, seconds: float) -> dict[str, object]:
    """Facts about a compiled module for ``--stats``: its size, and each call site's sign (which
    way the answer moves when the site's output rises; ``fmpc.passes.analyses.signs``)."""
    from fmpc.passes.analyses.signs import answer_signs

    return {
        "routable_sites": len(module.routable_calls()),
        "site_signs": {str(site): sign for site, sign in answer_signs(module).items()},
        "ops": sum(1 for _ in module.walk()),
        "functions": len(module.funcs),
        "compile_ms": round(seconds * 1000, 3),
    }


def cmd_compile(args: argparse.Namespace) -> int:
    """``fmpc compile``: print (or write) the optimized module; 0."""
    reader = ProgramReader.from_args(args)
    start = time.perf_counter()
    module = run_pipeline_from_args(reader.python(args.program), args)
    elapsed = time.perf_counter() - start
    write_output(emit(module, args.emit), args.output)
    if args.stats:
        print(json.dumps(stats(module, elapsed)))
    return 0
