"""Shared helpers of the frontend tests: compile, count ops, run with a small fake world."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any

import numpy as np

from fmpc.frontend import DEFAULT_LIBRARY, Library, compile_source
from fmpc.ir.core import Module, Op
from fmpc.ir.verifier import verify_errors
from fmpc.semantics.interpreter import Interpreter
from fmpc.semantics.values import ImageValue, PatchValue

IMAGE = ImageValue(np.zeros((100, 100, 3), dtype=np.float32), id="test")


def lower(source: str, library: Library = DEFAULT_LIBRARY) -> Module:
    """Compile dedented ``source``; check it verifies and that every op is located."""
    text = textwrap.dedent(source)
    module = compile_source(text, "prog.py", library)
    assert verify_errors(module) == []
    assert module.source == text
    for op in module.walk():
        assert op.loc is not None and op.loc.file == "prog.py", op
        assert op.loc.line >= 1 and op.loc.col >= 1
    return module


def counts(module: Module) -> Counter[str]:
    """How many ops of each name the module holds (nested ones included)."""
    return Counter(op.name for op in module.walk())


def top_level(module: Module) -> list[str]:
    """Names of the ops directly in the entry function's body."""
    return [op.name for op in module.entry.regions[0].ops]


def calls(module: Module) -> list[tuple[str, int]]:
    """``(fn, site)`` of every routable call in program order."""
    return [
        (str(op.attributes["fn"]), int(op.attributes["site"])) for op in module.routable_calls()
    ]  # type: ignore[arg-type]


def of(module: Module, name: str) -> list[Op]:
    """All ops called ``name``."""
    return [op for op in module.walk() if op.name == name]


def patch(left: int, lower: int = 0, width: int = 10, height: int = 10) -> PatchValue:
    """A patch of the test image."""
    return PatchValue(IMAGE, left, lower, left + width, lower + height)


# Objects of the fake world by name; a patch "is red" when its left edge is below 50.
SCENE: dict[str, list[PatchValue]] = {
    "digit": [patch(60), patch(10), patch(30, 40)],
    "circle": [patch(70, 70)],
    "star": [],
}

BACKENDS: dict[str, Any] = {
    "find": lambda p, name: [q for q in SCENE.get(name, []) if p.left <= q.left < p.right],
    "exists": lambda p, name: any(p.left <= q.left < p.right for q in SCENE.get(name, [])),
    "verify_property": lambda p, name, prop: prop == "red" and p.left < 50,
    "simple_query": lambda p, q: f"{q}@{p.left}",
    "query": lambda p, q: f"{q}@{p.left}",
    "best_text_match": lambda p, options: options[p.left % len(options)],
    "compute_depth": lambda p: float(p.lower),
    "llm_query": lambda q: q.upper(),
    "best_image_match": lambda patches, content: patches[-1],
}


def run(source: str, library: Library = DEFAULT_LIBRARY) -> Any:
    """Compile ``source`` and run it on the test image with the fake world."""
    return Interpreter(lower(source, library), BACKENDS).run(IMAGE)
