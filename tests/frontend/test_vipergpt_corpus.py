"""A corpus of programs written in the style of ViperGPT's API (tests/frontend/vipergpt): each
compiles, verifies, round-trips through the text and JSON forms, gives its pinned answer under
the reference interpreter, and the same answer (with no more calls) after the default pipeline.
Together they use every idiom of docs/frontend.md's "Programs in the ViperGPT style"."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from fmpc.frontend import Library, compile_source_with_warnings, load_library
from fmpc.ir import Module, from_json, parse, print_module, structurally_equal, to_json, verify
from fmpc.ir.types import OptionalType
from fmpc.passes import DEFAULT_PIPELINE, PassManager
from fmpc.semantics.helpers import HELPERS
from fmpc.semantics.interpreter import Interpreter
from fmpc.semantics.values import ImageValue, PatchValue
from fmpc.worlds import Nuisances, Scene, SceneObject, check_literal, perfect_backends
from fmpc.worlds.perception import unrendered_image
from tests.fakes import best_text_match as fake_best_text_match
from tests.fakes import fake_backends, scene_image

CORPUS = Path(__file__).parent / "vipergpt"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
NAMES = sorted(path.stem for path in CORPUS.glob("*.py"))


def _scene(name: str, *objects: tuple[str, str, str, tuple[int, int, int, int]]) -> Scene:
    made = tuple(
        SceneObject("digit" if category.isdigit() else "shape", category, color, size, box)
        for category, color, size, box in objects
    )
    return Scene(name, made, 0.0, Nuisances(), seed=0)


WORLD_SCENES: Mapping[str, Scene] = {
    "world_a": _scene(
        "world_a",
        ("7", "red", "large", (4, 30, 24, 50)),
        ("3", "blue", "small", (30, 5, 41, 16)),
        ("circle", "green", "small", (44, 40, 55, 51)),
        ("circle", "yellow", "large", (40, 10, 60, 30)),
    ),
    "world_b": _scene(
        "world_b",
        ("2", "red", "small", (50, 50, 61, 61)),
        ("8", "red", "large", (5, 5, 25, 25)),
        ("square", "blue", "large", (30, 30, 50, 50)),
        ("triangle", "white", "small", (10, 40, 21, 51)),
    ),
}
"""The embedded world's scenes of the corpus, built by hand (boxes: left, lower, right, upper)."""


def _clip_text_match(patch: PatchValue, options: list[str]) -> str:
    """A CLIP-like matcher: the option whose last word describes the patch (as the fake world
    would), returned as given (``"a green"``)."""
    words = [option.split()[-1] for option in options]
    return options[words.index(fake_best_text_match(patch, words))]


def _geospatial(patch: PatchValue, object_name: str, prop: str) -> bool:
    side = {"left side": patch.horizontal_center < patch.image.width / 2}
    if prop not in side:
        raise ValueError(f"unknown geospatial property {prop!r}")
    return side[prop]


def _process_guesses(question: str, guesses: list[str]) -> str:
    return " or ".join(sorted(guesses)) or "nobody"


WORLDS: Mapping[str, Callable[[], Mapping[str, Callable[..., Any]]]] = {
    "fake": fake_backends,
    "clip": lambda: {**fake_backends(), "best_text_match": _clip_text_match},
    "geo": lambda: {
        **fake_backends(),
        "verify_property_geospatial": _geospatial,
        "process_guesses": _process_guesses,
    },
    "world": perfect_backends,
}
HELPERS_OF: Mapping[str, Mapping[str, Callable[..., Any]]] = {
    "geo": {**HELPERS, "area": lambda patch: float(patch.width * patch.height)}
}


@cache
def geo_library() -> Library:
    return load_library(CORPUS / "geo.yaml")


def library_of(name: str) -> Library:
    from fmpc.frontend import DEFAULT_LIBRARY

    return geo_library() if EXPECTED[name]["world"] == "geo" else DEFAULT_LIBRARY


@cache
def compiled(name: str) -> tuple[Module, tuple[str, ...]]:
    """The program ``name`` compiled once, with its warnings (tests never mutate it)."""
    path = CORPUS / f"{name}.py"
    world = EXPECTED[name]["world"] == "world"
    module, warnings = compile_source_with_warnings(
        path.read_text(), path.name, library_of(name), check_literal if world else None
    )
    return module, tuple(w.message for w in warnings)


def image_of(name: str, scene: str) -> ImageValue:
    if EXPECTED[name]["world"] == "world":
        return unrendered_image(WORLD_SCENES[scene])
    return scene_image(scene)


def interpreter(name: str, module: Module) -> Interpreter:
    world = EXPECTED[name]["world"]
    return Interpreter(module, WORLDS[world](), HELPERS_OF.get(world, HELPERS))


RUNS = [(name, scene) for name in NAMES for scene in EXPECTED.get(name, {}).get("runs", {})]


def test_every_program_is_pinned_on_two_scenes_with_different_answers() -> None:
    assert len(NAMES) >= 25
    assert sorted(EXPECTED) == NAMES
    for name, entry in EXPECTED.items():
        assert set(entry) == {"world", "runs"} and entry["world"] in WORLDS, name
        answers = {json.dumps(run["answer"]) for run in entry["runs"].values()}
        assert len(entry["runs"]) >= 2 and len(answers) >= 2, name


@pytest.mark.parametrize("name", NAMES)
def test_program_says_what_it_asks_and_which_idioms_it_uses(name: str) -> None:
    lines = (CORPUS / f"{name}.py").read_text().splitlines()
    assert lines[0].startswith("# Question: ") and lines[1].startswith("# Idioms: ")


@pytest.mark.parametrize("name", NAMES)
def test_program_compiles_verifies_and_round_trips(name: str) -> None:
    module, warnings = compiled(name)
    verify(module)
    text = print_module(module)
    again = parse(text)
    verify(again)
    assert structurally_equal(module, again) and print_module(again) == text
    assert structurally_equal(module, from_json(json.loads(json.dumps(to_json(module)))))
    falls = isinstance(module.entry.attributes["result_type"], OptionalType)
    assert any(w.startswith("`execute_command` can reach its end") for w in warnings) == falls
    assert [w for w in warnings if "can reach its end" not in w] == []  # no vocabulary noise


@pytest.mark.parametrize(("name", "scene"), RUNS)
def test_program_answer_on_scene(name: str, scene: str) -> None:
    expected = EXPECTED[name]["runs"][scene]
    module, _ = compiled(name)
    result = interpreter(name, module).run_with_stats(image_of(name, scene))
    assert result.answer == expected["answer"]
    assert type(result.answer) is type(expected["answer"])
    assert result.total_calls == expected["calls"]


@pytest.mark.parametrize(("name", "scene"), RUNS)
def test_default_pipeline_keeps_the_answer_and_never_adds_calls(name: str, scene: str) -> None:
    expected = EXPECTED[name]["runs"][scene]
    optimized = PassManager(DEFAULT_PIPELINE).run(compiled(name)[0])
    result = interpreter(name, optimized).run_with_stats(image_of(name, scene))
    assert result.answer == expected["answer"]
    assert result.total_calls <= expected["calls"]


def _facts(name: str) -> set[str]:
    """The idioms program ``name`` uses, read from its source and its IR."""
    tree = ast.parse((CORPUS / f"{name}.py").read_text())
    module, _ = compiled(name)
    facts: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in ("sort", "extend", "format") and isinstance(
                node.func.value, ast.Name | ast.Constant
            ):
                facts.add(f".{method}")
            if method == "simple_query" and not node.args and not node.keywords:
                facts.add("simple_query()")
        name_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if name_call and node.func.id == "ImagePatch" and len(node.args) == 5:  # type: ignore[attr-defined]
            facts.add("ImagePatch(box)")
        if isinstance(node, ast.keyword) and node.arg in (
            "list_patches",
            "visual_property",
            "option_list",
        ):
            facts.add("vipergpt keywords")
    for op in module.walk():
        attributes = op.attributes
        if "long_answer" in attributes:
            facts.add("long_answer")
        if "pin" in attributes:
            facts.add(f"pin {type(attributes['pin']).__name__}")
        if attributes.get("fn") == "index_of":
            facts.add("return_index")
        if attributes.get("fn") == "best_text_match" and op.operands[1].owner.name == "fmpc.map":
            facts.add("prefix")
        if op.name == "fmpc.abs":
            facts.add("distance of numbers")
        if attributes.get("fn") in ("verify_property_geospatial", "process_guesses", "area"):
            facts.add("library file")
    if isinstance(module.entry.attributes["result_type"], OptionalType):
        facts.add("falls off the end")
    if any(
        isinstance(op.result.type, OptionalType) for op in module.walk() if len(op.results) == 1
    ):
        facts.add("optional value")
    return facts


def test_the_corpus_uses_every_idiom() -> None:
    used = set().union(*(_facts(name) for name in NAMES))
    assert used >= {
        ".sort",
        ".extend",
        ".format",
        "simple_query()",
        "ImagePatch(box)",
        "vipergpt keywords",
        "long_answer",
        "pin str",
        "pin int",
        "return_index",
        "prefix",
        "distance of numbers",
        "library file",
        "falls off the end",
        "optional value",
    }
