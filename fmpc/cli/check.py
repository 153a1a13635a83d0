"""``fmpc check PROGRAM``: compile and verify a program, print one line."""

from __future__ import annotations

import argparse
from typing import Any

from fmpc.cli.compile import compile_program


def add_check_command(subparsers: Any) -> None:
    """Register ``check`` on an ``argparse`` subparsers object."""
    p = subparsers.add_parser("check", help="compile and verify a program, print nothing else")
    p.add_argument("program")
    p.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """``fmpc check``: ``PROGRAM: ok (N routable call sites)``; 0."""
    module = compile_program(args.program)
    print(f"{args.program}: ok ({len(module.routable_calls())} routable call sites)")
    return 0
