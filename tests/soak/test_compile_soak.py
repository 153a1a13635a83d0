"""The compile soak (issue 16): hostile program texts through ``fmpc compile`` (the default
pass pipeline included), in process. Each must end in exit status 0 or in located diagnostics
(``file:line:col: error: ...``) with status 1: never a traceback, never more than 10 s.

``make test`` runs ``SLICE`` cases; ``make test-slow`` runs ``SOAK`` more (docs/testing.md
has the measured counts and times)."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from fmpc.cli.main import main
from tests.soak.hostile import KINDS, hostile_programs

SLICE = 250
SOAK = 5000
CASE_LIMIT_S = 10.0
LOCATED = re.compile(r"^\S*prog\.py:\d+:\d+: error: ", re.MULTILINE)


def compile_case(directory: Path, content: bytes) -> tuple[int, str, float]:
    """Run ``fmpc compile`` on ``content``: (exit status, stderr, seconds); a crash or a case
    running past ``CASE_LIMIT_S`` fails the test with the program's text."""
    path = directory / "prog.py"
    path.write_bytes(content)
    outcome: dict[str, object] = {}

    def work() -> None:
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                outcome["status"] = main(["compile", str(path)])
        except BaseException as exc:  # noqa: BLE001 - a traceback is what the soak looks for
            outcome["crash"] = exc
        outcome["stderr"] = err.getvalue()

    start = time.perf_counter()
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(CASE_LIMIT_S)
    seconds = time.perf_counter() - start
    assert not worker.is_alive(), f"compiling took over {CASE_LIMIT_S}s:\n{content[:2000]!r}"
    crash = outcome.get("crash")
    assert crash is None, f"{type(crash).__name__}: {crash}\n{content[:2000]!r}"
    return int(outcome["status"]), str(outcome["stderr"]), seconds  # type: ignore[call-overload]


def soak(cases: int) -> tuple[Counter[str], Counter[str], float]:
    """Run ``cases`` hostile programs; (cases per kind, outcomes, slowest seconds)."""
    kinds: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    slowest = [0.0]
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)

        @settings(
            max_examples=cases,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(hostile_programs())
        def one(case: tuple[str, bytes]) -> None:
            kind, content = case
            status, stderr, seconds = compile_case(directory, content)
            assert status in (0, 1), stderr
            if status == 1:
                assert LOCATED.search(stderr), (
                    f"not a located diagnostic:\n{stderr[:500]}\n{content[:500]!r}"
                )
                assert "internal compiler error" not in stderr, stderr
            kinds[kind] += 1
            outcomes["compiled" if status == 0 else "located error"] += 1
            slowest[0] = max(slowest[0], seconds)

        one()
    return kinds, outcomes, slowest[0]


def _report(kinds: Counter[str], outcomes: Counter[str], slowest: float) -> str:
    return f"{sum(kinds.values())} cases {dict(kinds)} -> {dict(outcomes)}; slowest {slowest:.2f}s"


def test_a_slice_of_hostile_programs_compiles_or_is_located() -> None:
    kinds, outcomes, slowest = soak(SLICE)
    print(_report(kinds, outcomes, slowest))
    assert sum(kinds.values()) >= SLICE * 0.95  # hypothesis may reject a few draws


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_the_compile_soak() -> None:
    kinds, outcomes, slowest = soak(SOAK)
    print(_report(kinds, outcomes, slowest))
    assert sum(kinds.values()) >= SOAK
    assert set(kinds) == set(KINDS)
