"""The ``fmpc`` command line, the top layer: one module per command (``compile``, ``check``,
``opt``, ``run``, ``backends``, ``zoo``, ``bench``, ``demo``), each registering its subcommand with
an ``add_<name>_command(subparsers)`` function; ``main`` runs it. See ``README.md``."""

from fmpc.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
