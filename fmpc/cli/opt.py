"""``fmpc opt`` and the pipeline options it shares with ``fmpc compile``.

``fmpc opt [FILE] -p PIPELINE [-o OUT] [--emit ir|json|dot] [--print-after-all]`` reads a compiled
program (IR text, or the JSON of ``fmpc compile --emit json``; no file or ``-``: stdin), runs the
pipeline and writes the result, like ``mlir-opt``. ``fmpc.cli.compile`` uses
:func:`add_pipeline_arguments` / :func:`run_pipeline_from_args` for ``fmpc compile``. The passes
are imported when a pipeline runs, not to build the parser.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fmpc.cli.common import command, write_output
from fmpc.cli.program import ProgramReader, add_library_argument, add_vocabulary_argument

if TYPE_CHECKING:  # the passes (networkx, pydantic) load when a pipeline runs
    from fmpc.ir.core import Module
    from fmpc.passes.analyses.manager import AnalysisInputs

EMITTERS = ("ir", "json", "dot")
"""The output forms of ``fmpc compile`` and ``fmpc opt``."""


def add_pipeline_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``-p/--pipeline``, ``--print-after-all``, ``--profile``, ``--load`` and
    ``--fixed-point`` to ``parser`` (used by ``fmpc compile`` and ``fmpc opt``)."""
    parser.add_argument(
        "-p",
        "--pipeline",
        default=None,
        help="passes to run, e.g. 'cse,dce' (default: the default pipeline, which "
        "`fmpc opt --list-passes` prints; '' runs none)",
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


def add_emit_argument(parser: argparse.ArgumentParser) -> None:
    """``--emit ir|json|dot`` and ``-o OUT``: the output form and where it goes."""
    parser.add_argument("--emit", choices=EMITTERS, default="ir", help="output form (default: ir)")
    parser.add_argument("-o", "--output", help="write here instead of stdout")


def add_opt_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``opt`` subcommand to ``subparsers`` (from ``ArgumentParser.add_subparsers``)."""
    parser = command(
        subparsers,
        "opt",
        cmd_opt,
        help="run optimizer passes on a compiled program (like mlir-opt)",
        description="Read a compiled program (IR text, or the JSON of `fmpc compile --emit json`),"
        " run a pass pipeline, write the result.",
    )
    parser.add_argument("file", nargs="?", help="a .fmp or .json file; '-' or none: standard input")
    add_emit_argument(parser)
    parser.add_argument(
        "--list-passes",
        action="store_true",
        help="list the registered passes, their options and defaults, and exit",
    )
    add_pipeline_arguments(parser)
    add_library_argument(parser)
    add_vocabulary_argument(parser)
    return parser


def cmd_opt(args: argparse.Namespace) -> int:
    """``fmpc opt``: 0; a mistake raises one of the errors ``fmpc.cli.errors`` reports."""
    load_pass_modules(args.load)
    if args.list_passes:
        sys.stdout.write(list_passes())
        return 0
    module = ProgramReader.from_args(args).compiled(args.file)
    write_output(emit(run_pipeline_from_args(module, args), args.emit), args.output)
    return 0


def emit(module: Module, kind: str) -> str:
    """The module in the output form ``kind`` (one of :data:`EMITTERS`)."""
    import json

    from fmpc.ir import print_module, to_json
    from fmpc.ir.graph import to_dot

    if kind == "json":
        return json.dumps(to_json(module), indent=1)
    if kind == "dot":
        return to_dot(module)
    return print_module(module)


def run_pipeline_from_args(module: Module, args: argparse.Namespace) -> Module:
    """Run the pipeline the options of :func:`add_pipeline_arguments` describe (the default
    pipeline when ``-p`` is absent) after importing the ``--load`` modules."""
    from fmpc.passes.pipeline import DEFAULT_PIPELINE

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
    from fmpc.passes.analyses.manager import AnalysisInputs
    from fmpc.passes.analyses.profile import Profile
    from fmpc.passes.manager import PassManager

    if profile is not None:
        inputs = dataclasses.replace(inputs or AnalysisInputs(), profile=Profile.load(profile))
    manager = PassManager(
        pipeline, print_after_all=print_after_all, fixed_point=fixed_point, inputs=inputs
    )
    return manager.run(module)


def load_pass_modules(specs: Sequence[str]) -> None:
    """Import each module of ``specs`` so its ``@register_pass`` classes become available."""
    if not specs:
        return
    from fmpc.passes.base import import_pass_module

    for spec in specs:
        import_pass_module(spec)


def list_passes() -> str:
    """The default pipeline, then per registered pass: its name and the first sentence of its
    docstring, and one line per option with its type and default."""
    from fmpc.passes.base import DEFAULT_REGISTRY, option_defaults, option_types
    from fmpc.passes.pipeline import DEFAULT_PIPELINE

    names = DEFAULT_REGISTRY.names()
    width = max(map(len, names), default=0)
    lines = [f"default pipeline: {DEFAULT_PIPELINE}", ""]
    for name in names:
        cls = DEFAULT_REGISTRY.get(name)
        lines.append(f"{name:<{width}}  {first_sentence(cls.__doc__ or '')}".rstrip())
        defaults = option_defaults(cls)
        for option, tp in option_types(cls).items():
            lines.append(f"    {option}: {_describe(tp)}{_default_text(defaults[option])}")
    return "\n".join(lines) + "\n"


def first_sentence(doc: str) -> str:
    """The first sentence of a docstring's first paragraph, on one line, with RST literals
    (````x````) shown as ``x``: up to a full stop that ends the paragraph or is followed by
    a capital letter (so ``e.g. a`` does not end it)."""
    paragraph = " ".join(doc.strip().split("\n\n", 1)[0].split())
    paragraph = paragraph.replace("``", "`")
    match = re.search(r"\.(?=\s+[A-Z`]|$)", paragraph)
    return paragraph[: match.end()] if match else paragraph


def _describe(tp: Any) -> str:
    from fmpc.passes.base import describe_type

    return describe_type(tp)


def _default_text(default: Any) -> str:
    from fmpc.passes.base import format_option

    if default is dataclasses.MISSING:
        return " (required)"
    return f" = {format_option(default)}"
