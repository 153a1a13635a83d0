"""The ``fmpc`` command: one subcommand per module of ``fmpc.cli``.

Building the parser imports only what the subcommands' options need (never JAX, the embedded
world or the benchmark harness); each handler imports the rest when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fmpc.cli.backends import add_backends_command
from fmpc.cli.bench import add_bench_command
from fmpc.cli.build import add_build_command
from fmpc.cli.check import add_check_command
from fmpc.cli.common import UsageError
from fmpc.cli.compile import add_compile_command
from fmpc.cli.demo import add_demo_command
from fmpc.cli.opt import add_opt_command
from fmpc.cli.run import add_run_command
from fmpc.cli.serve import add_serve_command
from fmpc.cli.zoo import add_zoo_command


def _user_errors() -> tuple[type[BaseException], ...]:
    from fmpc.cli.opt import USER_ERRORS
    from fmpc.frontend import CompileError
    from fmpc.ir import ParseError, VerifyError
    from fmpc.policies.base import PolicyError
    from fmpc.runtime.config import ConfigError
    from fmpc.runtime.executor import RoutingError
    from fmpc.runtime.registry import PluginError

    return (
        UsageError,
        CompileError,
        ParseError,
        VerifyError,
        PluginError,
        ConfigError,
        PolicyError,
        RoutingError,
        *USER_ERRORS,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fmpc`` command."""
    parser = argparse.ArgumentParser(
        prog="fmpc",
        description="fmpc: compile, optimize and run foundation model programs.",
    )
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
