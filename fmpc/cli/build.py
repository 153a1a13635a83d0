"""``fmpc build PROG.py [--backends CFG.yaml] [-p PIPELINE] [--policy SPEC] [--lam L]
[--from-checkpoint DIR] -o PROG.fmpa``: compile a program into one artifact (docs/serving.md)."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich and the deployment modules load when the command runs
    from rich.console import Console


def add_build_command(subparsers: Any) -> None:
    """Register ``build`` on an ``argparse`` subparsers object."""
    p = subparsers.add_parser(
        "build",
        help="compile a program into one artifact to load or serve",
        description="Compile a program with its backends and policy into one artifact: the "
        "optimized IR, the pipeline, the site table, the backend config, the policy with every "
        "hyperparameter and its learned state, and the JAX backends exported with jax.export.",
    )
    p.add_argument("program", help="a Python program (.py)")
    p.add_argument("-o", "--output", required=True, metavar="PROG.fmpa", help="the artifact")
    p.add_argument("--backends", metavar="CONFIG.yaml", help="backend config (default: the zoo)")
    p.add_argument("-p", "--pipeline", default=None, help="passes (default: the default pipeline)")
    p.add_argument(
        "--policy", default="static:smallest", help="policy spec (default static:smallest)"
    )
    p.add_argument("--lam", type=float, help="cost weight of learned policies")
    p.add_argument("--budget", type=float, metavar="C", help="target mean cost (--policy budget)")
    p.add_argument("--seed", type=int, default=0, help="policy seed (default 0)")
    p.add_argument(
        "--from-checkpoint", metavar="DIR", help="learned state from `fmpc run --checkpoint DIR`"
    )
    p.add_argument(
        "--buckets", default="1,2,4,8,16", help="batch sizes to export (default 1,2,4,8,16)"
    )
    p.add_argument(
        "--platforms",
        default=None,
        help="platforms to export for, e.g. cpu,cuda (default: this one)",
    )
    p.add_argument(
        "--image-size", default="64x64", metavar="HxW", help="input size warmed up for (64x64)"
    )
    p.add_argument("--no-export", action="store_true", help="rebuild every backend at load")
    p.set_defaults(handler=cmd_build)


def cmd_build(args: argparse.Namespace, console: Console | None = None) -> int:
    """``fmpc build``: write the artifact and print what it holds; 0 (a user's mistake is an
    error that ``fmpc.cli.main`` reports, ``fmpc.cli.errors``)."""
    from fmpc.cli.common import UsageError, compilation_cache
    from fmpc.cli.console import console as default_console
    from fmpc.deploy.artifact import open_artifact
    from fmpc.deploy.build import compile_parts, write_artifact
    from fmpc.deploy.program import ServeOptions, load

    console = console or default_console()
    start = time.perf_counter()
    try:
        buckets = [int(b) for b in args.buckets.split(",") if b.strip()]
        height, _, width = args.image_size.lower().partition("x")
        shape = (int(height), int(width))
    except ValueError:
        raise UsageError(
            "--buckets takes sizes like 1,2,4,8 and --image-size HxW like 64x64"
        ) from None
    platforms = [p.strip() for p in args.platforms.split(",")] if args.platforms else None
    parts = compile_parts(
        args.program,
        backends=args.backends,
        pipeline=args.pipeline,
        policy=args.policy,
        lam=args.lam,
        seed=args.seed,
        budget=args.budget,
        from_checkpoint=args.from_checkpoint,
        image_shape=shape,
    )
    try:
        path = write_artifact(
            parts, args.output, buckets=buckets, platforms=platforms, export=not args.no_export
        )
    finally:
        parts.table.close()
    with compilation_cache(path):  # what serving compiles first, compiled once here
        load(path, ServeOptions(learn=False)).close(save=False)
    artifact = open_artifact(path)
    _summary(console, artifact, time.perf_counter() - start)
    return 0


def _summary(console: Console, artifact: Any, seconds: float) -> None:
    manifest = artifact.manifest
    program = manifest["program"]
    console.print(
        f"{artifact.path}: {program['name']} (pipeline {program['pipeline'] or 'none'}), "
        f"policy {manifest['policy']['spec']}, built in {seconds:.1f} s",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for entry in artifact.exported:
        console.print(
            f"  exported {entry.function}/{entry.name}: {len(entry.computations)} computations "
            f"(buckets {','.join(map(str, entry.buckets))}; {','.join(entry.platforms)})",
            markup=False,
            highlight=False,
        )
    for entry in artifact.rebuilt:
        console.print(
            f"  rebuilt at load {entry.function}/{entry.name}: {entry.reason}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
