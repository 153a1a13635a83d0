"""``fmpc backends check CONFIG.yaml``: validate a backend config and summarise it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmpc.cli.common import command
from fmpc.cli.errors import describe
from fmpc.cli.program import add_library_argument, load_library_option

if TYPE_CHECKING:  # rich, pydantic and the config models load when the command runs
    from rich.console import Console
    from rich.table import Table

    from fmpc.runtime.config import BackendConfig, ConfigError


def add_backends_command(subparsers: Any) -> None:
    """Register ``backends check CONFIG`` on an ``argparse`` subparsers object.

    The handler is stored as ``handler`` (``args.handler(args)`` returns the exit status).
    """
    parser = subparsers.add_parser("backends", help="work with backend config files")
    commands = parser.add_subparsers(dest="backends_command", required=True)
    check = command(
        commands,
        "check",
        run_backends_check,
        help="validate a backend config file",
        description="Validate a backend config file (YAML) and print its backends.",
    )
    check.add_argument("config", help="the backend config file (YAML)")
    add_library_argument(check)
    check.add_argument(
        "--no-resolve",
        action="store_true",
        help="only validate the file: do not import targets or build the entries",
    )


def run_backends_check(args: argparse.Namespace, console: Console | None = None) -> int:
    """Validate ``args.config`` (its functions against the library, with ``--library``'s) and
    resolve its entries (``check_backends``: targets import, factories accept their entries);
    print a summary (0) or every problem found, one diagnostic each (1)."""
    from fmpc.cli.console import console as default_console
    from fmpc.runtime.backends.build import check_backends
    from fmpc.runtime.config import ConfigError, load_config

    console = console or default_console()
    library = load_library_option(getattr(args, "library", None))
    try:
        config = load_config(args.config, library=library)
        if not getattr(args, "no_resolve", False):
            check_backends(config)
    except ConfigError as exc:
        for line in describe(args.prog, _located(exc, args.config)).splitlines():
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        return 1
    console.print(summary_table(config))
    count = sum(len(specs) for specs in config.functions.values())
    console.print(
        f"{args.config}: ok ({count} backends for {len(config.functions)} functions)", markup=False
    )
    return 0


def _located(error: ConfigError, path: str) -> ConfigError:
    """``error`` with each issue at the line and column of its key in the file at ``path``: the
    entries ``check_backends`` could not resolve are named by key path only (the file itself was
    read and placed before)."""
    from fmpc.runtime.config import ConfigError
    from fmpc.yaml_source import YamlSyntaxError, place, read_yaml

    if all(issue.line is not None or not issue.path for issue in error.issues):
        return error
    try:
        root, _ = read_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return error
    return ConfigError(error.source, place(error.issues, root))


def summary_table(config: BackendConfig) -> Table:
    """One row per backend: function, order, name, type, cost, where it runs, fallback."""
    from rich.table import Table

    table = Table(title=f"backends in {config.source}")
    for column in ("function", "#", "name", "type", "cost per call", "serves from", "fallback"):
        table.add_column(column, overflow="fold")
    for function, specs in config.functions.items():
        for i, spec in enumerate(specs):
            table.add_row(
                function,
                str(i),
                spec.name,
                spec.type,
                _cost(spec),
                _where(spec),
                spec.fallback or "",
            )
    return table


def _cost(spec: Any) -> str:
    cost = getattr(spec, "cost", None)
    return "measured (FLOPs)" if cost is None else f"{cost:.4g}"


def _where(spec: Any) -> str:
    if spec.type == "http":
        return f"{spec.endpoint} ({spec.model})"
    if spec.type in ("jax", "callable"):
        return str(spec.target)
    options = getattr(spec, "options", {})
    if hasattr(options, "model_dump"):  # a type's own options model
        options = options.model_dump(exclude_none=True)
    return ", ".join(f"{k}={v}" for k, v in options.items())
