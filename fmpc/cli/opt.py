"""``fmpc opt`` and the pipeline options it shares with ``fmpc compile``.

``fmpc opt FILE.fmp -p PIPELINE [-o OUT] [--print-after-all]`` reads the text IR, runs the
pipeline and writes the text IR, like ``mlir-opt``. ``fmpc.cli.compile`` uses
:func:`add_pipeline_arguments` / :func:`run_pipeline_from_args` for ``fmpc compile``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fmpc.ir.core import Module
from fmpc.passes.analyses.manager import AnalysisInputs
from fmpc.passes.analyses.profile import Profile, ProfileError
from fmpc.passes.base import (
    DEFAULT_REGISTRY,
    PassError,
    describe_type,
    import_pass_module,
    option_types,
)
from fmpc.passes.manager import PassManager
from fmpc.passes.pipeline import DEFAULT_PIPELINE

USER_ERRORS: tuple[type[Exception], ...] = (PassError, ProfileError)
"""Exceptions that ``fmpc`` should print as a message (exit code 1), never as a traceback."""


def add_pipeline_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``-p/--pipeline``, ``--print-after-all``, ``--profile``, ``--load`` and
    ``--fixed-point`` to ``parser`` (used by ``fmpc compile`` and ``fmpc opt``)."""
    parser.add_argument(
        "-p",
        "--pipeline",
        default=None,
        help=f"passes to run, e.g. 'cse,dce' (default: {DEFAULT_PIPELINE}; '' runs none)",
    )
    parser.add_argument(
        "--print-after-all", action="store_true", help="print the IR after every pass (stderr)"
    )
    parser.add_argument("--profile", help="profile data from earlier runs (JSON or YAML)")
    parser.add_argument(
        "--load",
        action="append",
        default=[],
        metavar="MODULE",
        help="import a module (dotted name or .py file) that registers passes; repeatable",
    )
    parser.add_argument(
        "--fixed-point", action="store_true", help="repeat the pipeline until nothing changes"
    )


def add_opt_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``opt`` subcommand to ``subparsers`` (from ``ArgumentParser.add_subparsers``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "opt",
        help="run optimizer passes on a text IR file (like mlir-opt)",
        description="Read text IR, run a pass pipeline, write text IR.",
    )
    parser.add_argument("file", nargs="?", help="a .fmp file ('-' for stdin)")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    parser.add_argument(
        "--list-passes", action="store_true", help="list the registered passes and exit"
    )
    add_pipeline_arguments(parser)
    parser.set_defaults(handler=cmd_opt)
    return parser


def cmd_opt(args: argparse.Namespace) -> int:
    """``fmpc opt``: returns the exit code; user mistakes print a message and return 1."""
    from fmpc.ir import ParseError, VerifyError, parse, print_module

    try:
        load_pass_modules(args.load)
        if args.list_passes:
            sys.stdout.write(list_passes())
            return 0
        if not args.file:
            raise PassError("give a .fmp file to optimize (or --list-passes)")
        name = "<stdin>" if args.file == "-" else args.file
        module = parse(_read(args.file), file=name)
        _write(print_module(run_pipeline_from_args(module, args)), args.output)
    except (PassError, ProfileError, ParseError, VerifyError) as exc:
        print(f"fmpc opt: error: {exc}", file=sys.stderr)
        return 1
    return 0


def run_pipeline_from_args(module: Module, args: argparse.Namespace) -> Module:
    """Run the pipeline the options of :func:`add_pipeline_arguments` describe (the default
    pipeline when ``-p`` is absent) after importing the ``--load`` modules."""
    load_pass_modules(args.load)
    return run_pipeline_text(
        module,
        DEFAULT_PIPELINE if args.pipeline is None else args.pipeline,
        args.print_after_all,
        profile=args.profile,
        fixed_point=args.fixed_point,
    )


def run_pipeline_text(
    module: Module,
    pipeline: str,
    print_after_all: bool,
    *,
    profile: str | None = None,
    fixed_point: bool = False,
    inputs: AnalysisInputs | None = None,
) -> Module:
    """Run the text ``pipeline`` over ``module`` and return the result (``""``: no passes).

    ``profile`` is a profile file's path. Raises ``PassError`` (``PipelineError`` for bad text,
    ``PassFailure`` naming the failing pass) or ``ProfileError``.
    """
    if profile is not None:
        inputs = replace(inputs or AnalysisInputs(), profile=Profile.load(profile))
    manager = PassManager(
        pipeline, print_after_all=print_after_all, fixed_point=fixed_point, inputs=inputs
    )
    return manager.run(module)


def load_pass_modules(specs: Sequence[str]) -> None:
    """Import each module of ``specs`` so its ``@register_pass`` classes become available."""
    for spec in specs:
        import_pass_module(spec)


def list_passes() -> str:
    """One line per registered pass: name, options with types, and summary."""
    lines = []
    for name in DEFAULT_REGISTRY.names():
        cls = DEFAULT_REGISTRY.get(name)
        options = ", ".join(f"{k}: {describe_type(t)}" for k, t in option_types(cls).items())
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        lines.append(f"{name}{{{options}}}  {summary}" if options else f"{name}  {summary}")
    return "\n".join(lines) + "\n"


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PassError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise PassError(f"{path}: not UTF-8 text") from None


def _write(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PassError(f"{out}: cannot write ({exc.strerror or exc})") from None
