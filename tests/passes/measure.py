"""How much a pipeline cuts the routable calls a set of programs executes.

Compiles every program of a folder (default ``tests/programs/``, the corpus), runs it on every
fake scene of ``tests/fakes.py`` with the perfect-information fake backends before and after the
pipeline (runs that fail before optimization are skipped), checks that the answers agree, and
prints the calls executed::

    .venv/bin/python -m tests.passes.measure [--programs DIR] [-p PIPELINE] [-v]

``tests/passes/programs/`` holds programs written the way generated visual programs often are
(checks repeated, answers computed before the check that makes them useless, lists built only
to test that they are not empty).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from fmpc.frontend import compile_source
from fmpc.ir import Module
from fmpc.passes import DEFAULT_PIPELINE, PassManager
from tests.fakes import SCENES, fake_backends, scene_image
from tests.passes.support import run

PROGRAMS = Path(__file__).resolve().parents[1] / "programs"
REDUNDANT = Path(__file__).resolve().parent / "programs"


@dataclass
class Tally:
    """Calls executed before and after optimization, over the runs counted."""

    runs: int = 0
    before: int = 0
    after: int = 0

    def add(self, before: int, after: int) -> None:
        self.runs += 1
        self.before += before
        self.after += after

    @property
    def cut(self) -> float:
        """The fraction of calls saved."""
        return 1.0 - self.after / self.before if self.before else 0.0


def measure_program(module: Module, optimized: Module) -> Tally:
    """Run both modules on every fake scene; ``AssertionError`` if an answer differs or the
    optimized module runs more calls."""
    backends = fake_backends()
    tally = Tally()
    for scene in SCENES:
        image = scene_image(scene)
        old = run(module, backends, image)
        if old.error is not None:
            continue
        new = run(optimized, backends, image)
        assert (new.answer, new.error) == (old.answer, None), f"{scene}: {old} != {new}"
        assert new.calls <= old.calls, f"{scene}: {new.calls} calls after, {old.calls} before"
        tally.add(old.calls, new.calls)
    return tally


def measure(pipeline: str, folder: Path = PROGRAMS, verbose: bool = False) -> Tally:
    """The tally over every program of ``folder``."""
    total = Tally()
    manager = PassManager(pipeline)
    for path in sorted(folder.glob("*.py")):
        module = compile_source(path.read_text(encoding="utf-8"), path.name)
        tally = measure_program(module, manager.run(module))
        if verbose:
            print(f"{path.stem:36} {tally.runs:3} runs {tally.before:5} -> {tally.after:5} calls")
        total.runs += tally.runs
        total.before += tally.before
        total.after += tally.after
    return total


def main() -> None:
    """Print the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=Path, default=PROGRAMS, help="a folder of programs")
    parser.add_argument("-p", "--pipeline", default=DEFAULT_PIPELINE)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    total = measure(args.pipeline, args.programs, args.verbose)
    print(
        f"{len(list(args.programs.glob('*.py')))} programs, {total.runs} runs: "
        f"{total.before} -> {total.after} routable calls ({total.cut:.1%} fewer) "
        f"with '{args.pipeline}'"
    )


if __name__ == "__main__":
    main()
