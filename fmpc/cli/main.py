"""The ``fmpc`` command: one subcommand per module of ``fmpc.cli``.

Building the parser imports only ``argparse`` and the command modules, whose top levels import
nothing heavy (never JAX, the embedded world, the passes, the benchmark harness or rich); each
handler imports what it needs when it runs. Every mistake is reported the same way
(``fmpc.cli.errors``), and a closed stdout (``fmpc zoo list --json | head``) ends the command
quietly.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import fmpc
from fmpc.cli.backends import add_backends_command
from fmpc.cli.bench import add_bench_command
from fmpc.cli.build import add_build_command
from fmpc.cli.cache import use_compile_cache
from fmpc.cli.check import add_check_command
from fmpc.cli.compile import add_compile_command
from fmpc.cli.demo import add_demo_command
from fmpc.cli.errors import describe, user_errors
from fmpc.cli.opt import add_opt_command
from fmpc.cli.run import add_run_command
from fmpc.cli.serve import add_serve_command
from fmpc.cli.zoo import add_zoo_command

TRACEBACK_VARIABLE = "FMPC_TRACEBACK"
"""Set to 1 to see the traceback of an internal error (a bug in fmpc) instead of one line."""

EXIT_BROKEN_PIPE = 141
"""The status of a command whose reader went away (128 + SIGPIPE, as a shell reports it)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fmpc`` command."""
    parser = argparse.ArgumentParser(
        prog="fmpc",
        description="fmpc: compile, optimize and run foundation model programs.",
    )
    parser.add_argument("--version", action="version", version=f"fmpc {fmpc.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_compile_command(sub)
    add_check_command(sub)
    add_backends_command(sub)
    add_run_command(sub)
    add_build_command(sub)
    add_serve_command(sub)
    add_opt_command(sub)
    add_zoo_command(sub)
    add_bench_command(sub)
    add_demo_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fmpc`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    prog = getattr(args, "prog", f"fmpc {args.command}")
    use_compile_cache(os.environ)  # takes effect if JAX is not imported yet
    try:
        code = _run(args, prog)
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    return code


def _run(args: argparse.Namespace, prog: str) -> int:
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        raise
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if isinstance(exc, user_errors()):
            print(describe(prog, exc), file=sys.stderr)
            return 1
        if os.environ.get(TRACEBACK_VARIABLE) == "1":
            raise
        print(
            f"{prog}: internal error: {type(exc).__name__}: {exc}\n"
            f"(a bug in fmpc, not in your input; {TRACEBACK_VARIABLE}=1 shows where it is)",
            file=sys.stderr,
        )
        return 70


def _discard_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's final flush of what is left
    in its buffer does not fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's capture)
        pass


if __name__ == "__main__":
    sys.exit(main())
