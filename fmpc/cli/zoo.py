"""``fmpc zoo``: list the shipped zoo (``list [--json]``) or retrain it (``train``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fmpc.cli.common import UsageError, command
from fmpc.zoo.specs import SPECS


def add_zoo_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``zoo list`` and ``zoo train`` to ``subparsers`` (of the ``fmpc`` parser); each sets
    ``handler`` (``handler(args) -> exit code``)."""
    zoo = subparsers.add_parser("zoo", help="the embedded world's model zoo")
    sub = zoo.add_subparsers(dest="zoo_command", required=True, metavar="ZOO_COMMAND")
    listing = command(sub, "list", cmd_list, help="one row per backend: cost and held-out accuracy")
    listing.add_argument("--json", action="store_true", help="print the rows as JSON")
    training = command(sub, "train", cmd_train, help="reproduce the zoo's weights from a seed")
    training.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"train only this model (repeatable): {', '.join(SPECS)}",
    )
    training.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return zoo


def cmd_list(args: argparse.Namespace) -> int:
    """Print the manifest's backend rows (instant: nothing is loaded or compiled)."""
    from fmpc.zoo.store import read_manifest

    rows = [_public(row) for row in read_manifest()["backends"]]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    if not rows:
        raise UsageError("no trained models shipped; run `fmpc zoo train`")
    _print_table(rows)
    return 0


_COLUMNS = ("function", "name", "params", "flops", "monolithic", "easy", "hard", "ece",
            "false_positive")  # fmt: skip


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in _COLUMNS}


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from fmpc.cli.console import console
    from fmpc.zoo.targets import COST_SPAN, EASY_GAP, HARD_GAP, function_targets

    table = Table(title="fmpc model zoo (held-out accuracy, calibration, FLOPs per call)")
    for column in _COLUMNS:
        table.add_column(column, justify="left" if column in ("function", "name") else "right")
    for row in rows:
        table.add_row(
            row["function"],
            row["name"],
            f"{row['params']:,}",
            f"{row['flops']:.3g}",
            "yes" if row["monolithic"] else "",
            f"{row['easy']:.1%}",
            f"{row['hard']:.1%}",
            _maybe(row.get("ece"), ".3f"),
            _maybe(row.get("false_positive"), ".1%"),
        )
    out = console()
    out.print(table)
    goals = Table(
        title=f"targets: cost span >= {COST_SPAN:g}x, largest - smallest >= {HARD_GAP:.0%} on "
        f"hard scenes and <= {EASY_GAP:.0%} on easy ones, largest never worse"
    )
    for column in ("function", "smallest", "largest", "cost span", "hard gap", "easy gap",
                   "never worse"):  # fmt: skip
        goals.add_column(column, justify="left" if column == "function" else "right")
    for t in function_targets(rows):
        met = t.met
        goals.add_row(
            t.function,
            t.smallest,
            t.largest,
            _mark(f"{t.cost_span:.0f}x", met["cost span"]),
            _mark(f"{100 * t.hard_gap:+.1f} pts", met["hard gap"]),
            _mark(f"{100 * t.easy_gap:+.1f} pts", met["easy gap"]),
            _mark("yes" if t.never_worse else "no", met["never worse"]),
        )
    out.print(goals)


def _maybe(value: Any, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _mark(text: str, met: bool) -> str:
    return text if met else f"[red]{text} (missed)[/red]"


def cmd_train(args: argparse.Namespace) -> int:
    """Train the zoo (or ``--only`` models) into the package's weights directory."""
    unknown = [name for name in args.only if name not in SPECS]
    if unknown:
        raise UsageError(f"unknown model {unknown[0]!r}; known: {', '.join(SPECS)}")
    from fmpc.zoo.train import train

    manifest = train(seed=args.seed, only=args.only)
    seconds = manifest["last_run"]["seconds"]
    print(f"trained in {seconds:.0f} s; `fmpc zoo list` shows the results")
    return 0
