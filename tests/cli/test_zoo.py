"""``fmpc zoo list`` and ``fmpc zoo train``: the listing is instant and complete, unknown models
are refused."""

from __future__ import annotations

import argparse
import json

from fmpc.cli import main
from fmpc.cli.zoo import add_zoo_command


def test_zoo_list_json_is_instant_and_complete(capsys) -> None:
    parser = argparse.ArgumentParser()
    add_zoo_command(parser.add_subparsers())
    args = parser.parse_args(["zoo", "list", "--json"])
    assert args.handler(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and set(rows[0]) == {
        "function",
        "name",
        "params",
        "flops",
        "monolithic",
        "easy",
        "hard",
        "ece",
        "false_positive",
    }


def test_zoo_train_rejects_unknown_models(capsys) -> None:
    assert main(["zoo", "train", "--only", "det-xxl"]) == 1
    assert capsys.readouterr().err.startswith("fmpc zoo train: error: unknown model 'det-xxl'")
