"""``fmpc demo`` (what ``make demo`` runs): compile one benchmark program, show its IR before and
after the passes, stream it with the learned policy and the references, and write
``results.json`` and the Pareto plot under ``demo-out``. The demo itself is
``fmpc.bench.demo``.

::

    fmpc demo [--out DIR] [--scenes N] [--lam L] [--seed S]
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from fmpc.cli.common import command

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_DEMO_OUT = "demo-out"


def add_demo_command(subparsers: Any) -> None:
    """Register ``demo`` on an ``argparse`` subparsers object."""
    parser = command(
        subparsers,
        "demo",
        demo_command,
        help="compile, optimize and stream one benchmark program (about a minute)",
        description="Compile one benchmark program, show its IR before and after the passes, "
        "stream it with the learned policy and compare with the monolithic model, all-largest "
        "and the oracle.",
    )
    parser.add_argument("--out", default=DEFAULT_DEMO_OUT, help="output directory")
    parser.add_argument("--scenes", type=int, default=None, help="scenes in the stream")
    parser.add_argument("--lam", type=float, default=None, help="the learned policy's cost weight")
    parser.add_argument("--seed", type=int, default=0, help="stream and policy seed (default 0)")


def demo_command(
    args: argparse.Namespace, console: Console | None = None, err: Console | None = None
) -> int:
    """``fmpc demo`` (see ``fmpc.bench.demo``)."""
    from fmpc.bench.demo import run_demo
    from fmpc.bench.harness import BenchError
    from fmpc.cli.console import console as cli_console

    console = console or cli_console()
    err = err or cli_console(stderr=True)
    start = time.perf_counter()
    try:
        code = run_demo(args, console, err)
    except BenchError as exc:
        err.print(f"fmpc demo: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    console.print(f"demo finished in {time.perf_counter() - start:.0f} s", markup=False)
    return code
