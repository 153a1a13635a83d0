"""The ``fmpc`` command: compile, check and (as later stages land) run programs."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from fmpc.ir import ParseError, VerifyError

EMITTERS = ("ir", "json", "dot")


class UsageError(Exception):
    """A mistake on the command line or in an input file, reported without a traceback."""


def _user_errors() -> tuple[type[BaseException], ...]:
    from fmpc.frontend import CompileError
    from fmpc.passes.cli import USER_ERRORS

    return (UsageError, CompileError, ParseError, VerifyError, *USER_ERRORS)


def read_text(path: str) -> str:
    """The contents of ``path``, or a ``UsageError`` saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, expected a file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None


def write_output(text: str, out: str | None) -> None:
    """Write ``text`` to ``out`` (a path) or to stdout."""
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(out).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{out}: cannot write ({exc.strerror})") from None


def compile_program(path: str):  # type: ignore[no-untyped-def]
    """Compile and verify the program at ``path``; warnings (including literals outside the
    embedded world's vocabulary) go to stderr."""
    from fmpc.frontend import compile_source_with_warnings
    from fmpc.ir import verify
    from fmpc.worlds.perception import check_literal

    module, warnings = compile_source_with_warnings(
        read_text(path), filename=Path(path).name, literal_check=check_literal
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
    from fmpc.passes.cli import run_pipeline_from_args

    start = time.perf_counter()
    module = run_pipeline_from_args(compile_program(args.program), args)
    elapsed = time.perf_counter() - start
    write_output(emit(module, args.emit), args.output)
    if args.stats:
        print(json.dumps(stats(module, elapsed)))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    module = compile_program(args.program)
    print(f"{args.program}: ok ({len(module.routable_calls())} routable call sites)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fmpc`` command."""
    parser = argparse.ArgumentParser(prog="fmpc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from fmpc.passes.cli import add_opt_command, add_pipeline_arguments

    p = sub.add_parser("compile", help="compile a program to IR, JSON or DOT")
    p.add_argument("program", help="a Python program defining execute_command(image)")
    p.add_argument("--emit", choices=EMITTERS, default="ir", help="output form (default: ir)")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    p.add_argument("--stats", action="store_true", help="print one JSON line of statistics last")
    add_pipeline_arguments(p)
    p.set_defaults(handler=cmd_compile)

    p = sub.add_parser("check", help="compile and verify a program, print nothing else")
    p.add_argument("program")
    p.set_defaults(handler=cmd_check)

    from fmpc.bench.cli import add_bench_command, add_demo_command
    from fmpc.runtime.backends.cli import add_backends_command
    from fmpc.runtime.run_cli import add_run_command
    from fmpc.zoo.cli import add_zoo_command

    add_backends_command(sub)
    add_run_command(sub)
    add_opt_command(sub)
    add_zoo_command(sub)
    add_bench_command(sub)
    add_demo_command(sub)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fmpc`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except _user_errors() as exc:
        print(_describe(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fmpc: interrupted", file=sys.stderr)
        return 130


def _describe(exc: BaseException) -> str:
    from fmpc.frontend import CompileError

    if isinstance(exc, CompileError):
        return exc.format() if hasattr(exc, "format") else str(exc)
    if isinstance(exc, UsageError):
        return f"fmpc: error: {exc}"
    return f"error: {exc}"


if __name__ == "__main__":
    sys.exit(main())
