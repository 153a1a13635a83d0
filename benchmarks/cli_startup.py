"""Start-up time of the ``fmpc`` command: wall time of whole processes, as a user sees it.

Each command runs ``--runs`` times as a fresh subprocess (after ``--warmup`` unmeasured runs, so
the file cache is warm), the way hyperfine times a command; reported as median, minimum and
maximum, beside a bare ``python -c pass`` (the interpreter's own start-up, which no change to fmpc
can remove) and the machine's load average, since other processes inflate every figure::

    .venv/bin/python benchmarks/cli_startup.py [--runs 10] [--warmup 2] [--fmpc .venv/bin/fmpc]

``--fmpc`` is the command to time, split like a shell line: to time another checkout (say, the
commit before a change, in a worktree at ``../before``), pass
``--fmpc "env PYTHONPATH=../before .venv/bin/python -m fmpc.cli"`` (and the same form for this
checkout, ``--fmpc ".venv/bin/python -m fmpc.cli"``, to compare like with like).

Prints a table and, last, one JSON line. Target: ``fmpc --help`` and ``fmpc check prog.py``
<= 0.5 s wall each.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

PROGRAM = '''\
def execute_command(image):
    """Is the man carrying a backpack?"""
    image_patch = ImagePatch(image)
    men = image_patch.find("man")
    if len(men) == 0:
        return "no"
    men.sort(key=lambda p: p.horizontal_center)
    return bool_to_yesno(men[0].exists("backpack"))
'''


def time_command(argv: list[str], runs: int, warmup: int) -> list[float] | str:
    """Wall seconds of ``runs`` runs of ``argv`` after ``warmup`` runs, or why it failed (a
    command that exits non-zero is not timed: its figure would mean nothing)."""
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            return f"exit {done.returncode}: {done.stderr.decode().strip().splitlines()[-1:]}"
        if i >= warmup:
            times.append(elapsed)
    return times


def main() -> None:
    """Time the commands and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs first")
    parser.add_argument("--fmpc", default=None, help="the fmpc command (default: on PATH)")
    args = parser.parse_args()
    default = shutil.which("fmpc") or str(Path(sys.executable).with_name("fmpc"))
    fmpc = shlex.split(args.fmpc) if args.fmpc else [default]
    with tempfile.TemporaryDirectory() as tmp:
        program = Path(tmp, "prog.py")
        program.write_text(PROGRAM, encoding="utf-8")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "fmpc --help": [*fmpc, "--help"],
            "fmpc --version": [*fmpc, "--version"],
            "fmpc check prog.py": [*fmpc, "check", str(program)],
            "fmpc compile prog.py": [*fmpc, "compile", str(program)],
        }
        load_before = os.getloadavg()[0]
        results = {
            name: time_command(argv, args.runs, args.warmup) for name, argv in commands.items()
        }
        load_after = os.getloadavg()[0]
    table = Table(
        title=f"fmpc start-up, {args.runs} runs each (load {load_before:.2f} -> {load_after:.2f})"
    )
    for column in ("command", "median s", "min s", "max s"):
        table.add_column(column, justify="left" if column == "command" else "right")
    summary: dict[str, dict[str, object]] = {}
    for name, times in results.items():
        if isinstance(times, str):
            summary[name] = {"failed": times}
            table.add_row(name, times, "", "")
            continue
        row = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
        summary[name] = {k: round(v, 3) for k, v in row.items()}
        table.add_row(name, *(f"{v:.3f}" for v in row.values()))
    Console().print(table)
    print(
        json.dumps(
            {
                "runs": args.runs,
                "cpus": os.cpu_count(),
                "load_1min": [round(load_before, 2), round(load_after, 2)],
                "commands": summary,
            }
        )
    )


if __name__ == "__main__":
    main()
