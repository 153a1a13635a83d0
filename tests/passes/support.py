"""Shared helpers of the pass tests: a deterministic fake world, running modules with the
reference interpreter, comparing a module with its optimized form, and the fixture format."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import fmpc.passes  # noqa: F401  (registers the passes and the batched-call op)
from fmpc.ir import Module, parse, print_module, structurally_equal, verify
from fmpc.passes import Profile
from fmpc.semantics.errors import ProgramError
from fmpc.semantics.interpreter import Interpreter
from fmpc.semantics.values import ImageValue, PatchValue

FIXTURES = Path(__file__).parent / "fixtures"

# ---------------------------------------------------------------- the hash world

WORDS = ("yes", "no", "red", "7", "cat")


def _h(*parts: object) -> int:
    text = "|".join(_key(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _key(value: object) -> str:
    if isinstance(value, PatchValue):
        return f"P{value.image.id}{value.box()}"
    if isinstance(value, ImageValue):
        return f"I{value.id}"
    if isinstance(value, list):
        return "[" + ",".join(_key(v) for v in value) + "]"
    return repr(value)


def hash_backends(seed: int) -> dict[str, Callable[..., Any]]:
    """Deterministic backends for every routable function: outputs are hashes of the seed, the
    function and the arguments. ``exists`` agrees with ``find`` (the library's identity)."""

    def find(patch: PatchValue, name: str) -> list[PatchValue]:
        count = _h(seed, "find", patch, name) % 4
        left = patch.left
        return [
            PatchValue(patch.image, left + i, patch.lower, left + i + 2, patch.lower + 3)
            for i in range(count)
        ]

    def exists(patch: PatchValue, name: str) -> bool:
        return bool(find(patch, name))

    def verify_property(patch: PatchValue, name: str, prop: str) -> bool:
        return _h(seed, "verify", patch, name, prop) % 3 != 0

    def query(patch: PatchValue, question: str) -> str:
        return WORDS[_h(seed, "query", patch, question) % len(WORDS)]

    def best_text_match(patch: PatchValue, options: list[str]) -> str:
        return options[_h(seed, "btm", patch, options) % len(options)] if options else ""

    def compute_depth(patch: PatchValue) -> float:
        return float(_h(seed, "depth", patch) % 50)

    def llm_query(question: str) -> str:
        return WORDS[_h(seed, "llm", question) % len(WORDS)]

    return {
        "find": find,
        "exists": exists,
        "verify_property": verify_property,
        "simple_query": query,
        "query": query,
        "best_text_match": best_text_match,
        "compute_depth": compute_depth,
        "llm_query": llm_query,
    }


def images(count: int) -> list[ImageValue]:
    """``count`` small blank images with distinct ids."""
    pixels = np.zeros((16, 16, 3), dtype=np.float32)
    return [ImageValue(pixels, id=f"img{i}") for i in range(count)]


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class Outcome:
    """A run's answer (or error message) and its number of routable calls."""

    answer: Any
    error: str | None
    calls: int


def run(module: Module, backends: Mapping[str, Callable[..., Any]], image: ImageValue) -> Outcome:
    """Run ``module`` on ``image``; a ``ProgramError`` becomes the outcome's ``error``."""
    interpreter = Interpreter(module, backends, verify_module=False)
    try:
        result = interpreter.run_with_stats(image)
    except ProgramError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc.reason} at {exc.loc}", -1)
    return Outcome(result.answer, None, result.total_calls)


def assert_equivalent(
    before: Module,
    after: Module,
    backends: Mapping[str, Callable[..., Any]],
    inputs: Sequence[ImageValue],
    *,
    check_calls: bool = True,
) -> tuple[int, int]:
    """Assert ``after`` gives ``before``'s answers (or errors) on every input and (with
    ``check_calls``) never runs more routable calls; returns the total calls of both."""
    total_before = total_after = 0
    for image in inputs:
        old, new = run(before, backends, image), run(after, backends, image)
        context = (
            f"on {image.id}\n--- before\n{print_module(before)}--- after\n{print_module(after)}"
        )
        assert (old.answer, old.error) == (new.answer, new.error), context
        if old.error is None and check_calls:
            assert new.calls <= old.calls, f"{new.calls} calls > {old.calls} " + context
            total_before += old.calls
            total_after += new.calls
    return total_before, total_after


# ---------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Fixture:
    """A before/expected pair: ``pipeline`` run on ``before`` gives ``expected`` (``None``:
    the pipeline must leave ``before`` unchanged, for the reason given in ``why``), with the
    profile data of an optional ``// profile: {json}`` line."""

    path: Path
    pipeline: str
    before: str
    expected: str | None
    why: str
    profile: Profile | None = None

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"


SEPARATOR = "// -----"


def load_fixture(path: Path) -> Fixture:
    """Read a fixture file: a ``// pipeline: ...`` line, the input module, then
    ``// ----- expected`` and the expected module, or ``// ----- unchanged: <why>``."""
    text = path.read_text(encoding="utf-8")
    head, _, tail = text.partition(SEPARATOR)
    pipeline = _header(head, "pipeline")
    assert pipeline is not None, f"{path}: no '// pipeline:' line"
    profile_text = _header(head, "profile")
    profile = Profile.model_validate(json.loads(profile_text)) if profile_text else None
    marker, _, rest = tail.partition("\n")
    marker = marker.strip()
    if marker.startswith("unchanged:"):
        why = marker.removeprefix("unchanged:").strip()
        assert why, f"{path}: say why the IR must stay unchanged"
        return Fixture(path, pipeline, head, None, why, profile)
    assert marker == "expected", (
        f"{path}: expected '// ----- expected' or '// ----- unchanged: why'"
    )
    return Fixture(path, pipeline, head, rest, "", profile)


def _header(text: str, key: str) -> str | None:
    prefix = f"// {key}:"
    for line in text.splitlines():
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    return None


def all_fixtures() -> list[Fixture]:
    """Every fixture under tests/passes/fixtures/, sorted."""
    return [load_fixture(p) for p in sorted(FIXTURES.glob("*/*.fmp"))]


def parse_verified(text: str) -> Module:
    """Parse, verify and check the round trip of ``text``."""
    module = parse(text)
    verify(module)
    again = parse(print_module(module))
    assert structurally_equal(module, again), "the fixture does not round-trip"
    return module
