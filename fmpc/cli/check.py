"""``fmpc check [PROGRAM] [--library FILE] [--world WORLD]``: compile and verify a program (or
verify a compiled one, ``.fmp`` / ``.json``), print one line."""

from __future__ import annotations

import argparse
from typing import Any

from fmpc.cli.common import command, display_name
from fmpc.cli.compile import PYTHON_PROGRAM, add_program_arguments
from fmpc.cli.program import ProgramReader


def add_check_command(subparsers: Any) -> None:
    """Register ``check`` on an ``argparse`` subparsers object."""
    p = command(subparsers, "check", cmd_check, help="compile and verify a program, print one line")
    add_program_arguments(p, f"{PYTHON_PROGRAM}, or a compiled one (.fmp, .json)")


def cmd_check(args: argparse.Namespace) -> int:
    """``fmpc check``: ``PROGRAM: ok (N routable call sites)``; 0."""
    module = ProgramReader.from_args(args).any(args.program)
    print(f"{display_name(args.program)}: ok ({len(module.routable_calls())} routable call sites)")
    return 0
