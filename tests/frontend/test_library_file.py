"""Library files: extra functions declared in YAML, their validation (every problem, located),
and programs that call them, compiled and served with the user's backends."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmpc.frontend import (
    DEFAULT_LIBRARY,
    CompileError,
    LibraryFileError,
    compile_source,
    load_library,
    parse_library,
)
from fmpc.ir import print_module
from fmpc.ir.types import Bool, Float, List, Optional, Patch, Str
from fmpc.library import CallOption
from fmpc.policies.simple import StaticPolicy
from fmpc.runtime.backends import BackendTable, CallableBackend
from fmpc.runtime.executor import Executor
from fmpc.semantics.helpers import HELPERS
from fmpc.semantics.interpreter import Interpreter
from tests.fakes import fake_backends, scene_image

GEO = Path(__file__).parent / "vipergpt" / "geo.yaml"

PROGRAM = """\
def execute_command(image) -> str:
    image_patch = ImagePatch(image)
    guesses = [p.simple_query("What animal is this?") for p in image_patch.find("animal")]
    left = [p for p in image_patch.find("animal") if p.verify_property_geospatial("animal", "left side")]
    return process_guesses("Which animal is it?", guesses) + " " + str(len(left))
"""


def parse(text: str) -> object:
    return parse_library(textwrap.dedent(text), source="lib.yaml")


def problems(text: str) -> list[str]:
    """Every problem of the library file ``text``, formatted."""
    with pytest.raises(LibraryFileError) as caught:
        parse(text)
    assert str(caught.value) == "\n".join(i.format("lib.yaml") for i in caught.value.issues)
    return [i.format("lib.yaml") for i in caught.value.issues]


def test_a_library_file_declares_typed_functions_and_methods() -> None:
    library = load_library(GEO)
    assert set(DEFAULT_LIBRARY) < set(library)
    geo = library["verify_property_geospatial"]
    assert geo.params == (("patch", Patch), ("object_name", Str), ("property", Str))
    assert (geo.result, geo.routable, geo.method, geo.function) == (Bool, True, True, False)
    assert geo.aliases == (("visual_property", "property"),)
    guesses = library["process_guesses"]
    assert guesses.params == (("question", Str), ("guesses", List(Str)))
    assert (guesses.method, guesses.function) == (False, True)
    area = library["area"]
    assert (area.attribute, area.routable, area.result) == (True, False, Float)


def test_defaults_options_optional_types_and_the_default_style() -> None:
    library = parse(
        """
        functions:
          caption:
            params:
              patch: ImagePatch
              question: {type: str, default: "Describe it."}
              hint: {type: str | None, default: null}
            options: {temperature: float}
            returns: Optional[str]
        """
    )
    caption = library["caption"]  # type: ignore[index]
    assert caption.defaults == (("question", "Describe it."), ("hint", None))
    assert caption.params[2] == ("hint", Optional(Str)) and caption.result == Optional(Str)
    assert caption.options == (CallOption("temperature", Float),)
    assert caption.method and caption.function  # the first parameter is a patch: both styles
    module = compile_source(
        "def execute_command(image) -> str:\n"
        "    c = ImagePatch(image).caption(temperature=0.5)\n"
        "    return c if c is not None else 'none'\n",
        library=library,  # type: ignore[arg-type]
    )
    (call,) = module.routable_calls()
    assert call.attributes["temperature"] == 0.5 and len(call.operands) == 3
    assert "temperature = 0.5" in print_module(module)


def test_programs_call_the_declared_functions_and_run_with_the_users_backends() -> None:
    with pytest.raises(CompileError, match="ImagePatch has no method 'verify_property_geospatial'"):
        compile_source(PROGRAM, "prog.py")
    module = compile_source(PROGRAM, "prog.py", load_library(GEO))
    fns = [op.attributes["fn"] for op in module.routable_calls()]
    assert fns == ["find", "simple_query", "find", "verify_property_geospatial", "process_guesses"]

    def on_the_left(patch, name, prop):  # type: ignore[no-untyped-def]
        return patch.horizontal_center < 50

    def merge(question, guesses):  # type: ignore[no-untyped-def]
        return "/".join(guesses)

    fakes = [CallableBackend("fake", fn, f, 1.0) for fn, f in fake_backends().items()]
    geo = CallableBackend("geo", "verify_property_geospatial", on_the_left, 1.0)
    table = BackendTable.of([*fakes, geo, CallableBackend("merge", "process_guesses", merge, 2.0)])
    result = Executor(module, table, StaticPolicy("smallest")).run(scene_image("pets"))
    assert result.error is None and result.answer == "cat/bird/dog 2"
    assert [c.backend for c in result.trace.calls][-1] == "merge"
    users = {"verify_property_geospatial": on_the_left, "process_guesses": merge}
    reference = Interpreter(module, {**fake_backends(), **users}, HELPERS)
    assert reference.run(scene_image("pets")) == result.answer


def test_replace_redefines_a_library_function() -> None:
    library = parse(
        """
        functions:
          exists:
            params: {patch: ImagePatch, object_name: str, threshold: float}
            returns: bool
            replace: true
        """
    )
    assert library["exists"].params[2] == ("threshold", Float)  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "functions:\n  f:\n    params: {patch: ImagePatch}\n    returns: flot\n",
            ["lib.yaml:4:5: functions.f.returns: 'flot': unsupported type annotation; use int, "
             "float, str, bool, None, ImagePatch, Image, list[...] or Optional[...] (`T | None`) "
             "of these"],
        ),
        (
            "functions:\n  f:\n    params: {a: str}\n",
            ["lib.yaml:2:3: functions.f.returns: field required (the result type, e.g. `returns: str`)"],
        ),
        (
            "functions:\n  f:\n    returns: str\n    colour: red\n",
            ["lib.yaml:4:5: functions.f.colour: unknown key (allowed: params, returns, routable, "
             "style, aliases, options, doc, replace)"],
        ),
        (
            "functions:\n  find:\n    returns: str\n",
            ["lib.yaml:2:3: functions.find: 'find' is already a library function; add "
             "`replace: true` to redefine it"],
        ),
        (
            "functions:\n  len:\n    returns: str\n  print:\n    returns: str\n",
            ["lib.yaml:2:3: functions.len: 'len' is a Python built-in or reserved name; choose another",
             "lib.yaml:4:3: functions.print: 'print' is a Python built-in or reserved name; choose another"],
        ),
        (
            "functions:\n  f:\n    params:\n      a: {type: int, default: x}\n      b: str\n    returns: str\n",
            ["lib.yaml:4:22: functions.f.params.a.default: the default 'x' is not of type int",
             "lib.yaml:5:7: functions.f.params.b: parameter 'b' has no default but comes after one that has"],
        ),
        (
            "functions:\n  f:\n    params: {a: str}\n    returns: str\n    style: method\n",
            ["lib.yaml:5:5: functions.f.style: a method takes the patch first: declare "
             "`patch: ImagePatch` as the first parameter"],
        ),
        (
            "functions:\n  f:\n    params: {patch: ImagePatch}\n    returns: int\n    style: attribute\n",
            ["lib.yaml:5:5: functions.f.style: an attribute is a deterministic helper "
             "(routable: false) of exactly one ImagePatch parameter"],
        ),
        (
            "functions:\n  f:\n    params: {a: str}\n    returns: str\n    aliases: {b: c}\n",
            ["lib.yaml:5:15: functions.f.aliases.b: 'c' is not a parameter (parameters: a)"],
        ),
        (
            "functions:\n  f:\n    returns: str\n    routable: false\n    options: {t: float}\n",
            ["lib.yaml:5:15: functions.f.options.t: only routable functions take call options"],
        ),
        (
            "functions:\n  f:\n    returns: str\n  f:\n    returns: int\n",
            ["lib.yaml:4:3: functions.f: duplicate key (each key may appear once in a mapping)"],
        ),
        (
            "functions:\n  2x:\n    returns: str\n",
            ["lib.yaml:2:3: functions.2x: '2x' is not a Python identifier"],
        ),
        ("functions: {}\n", ["lib.yaml:1:1: functions: declare at least one function"]),
        ("version: 2\nfunctions: {f: {returns: str}}\n", ["lib.yaml:1:1: version: input should be 1, got 2"]),
        ("- a\n- b\n", ["lib.yaml: expected a mapping with a 'functions' key, got a list"]),
        (
            "functions:\n  f: {params: {a: list[str]}, returns: str}\n",
            ["lib.yaml:2:23: invalid YAML: expected ',' or '}', but got '[' (in a {...} mapping, "
             'quote a type with brackets: "list[str]")'],
        ),
        (
            "functions:\n  f:\n    params: {a: str, b: list}\n    returns: str\n    routable: yes please\n",
            ["lib.yaml:5:5: functions.f.routable: input should be a valid boolean, got 'yes please'"],
        ),
    ],
)  # fmt: skip
def test_every_problem_is_reported_at_its_key(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_problems_of_several_functions_are_reported_together() -> None:
    found = problems(
        """
        functions:
          a:
            returns: flot
          b:
            params: {x: str}
          c:
            params: {x: str}
            returns: str
            style: method
        """
    )
    assert [line.split(": ")[1] for line in found] == [
        "functions.a.returns",
        "functions.b.returns",
        "functions.c.style",
    ]


def test_an_unreadable_library_file_is_a_library_file_error(tmp_path: Path) -> None:
    with pytest.raises(LibraryFileError, match="missing.yaml: cannot read: No such file"):
        load_library(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LibraryFileError, match="cannot read: not UTF-8 text"):
        load_library(binary)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.sampled_from(
            list("functios:params{}[],- \n\tretursbolImagePch|Nn0123'\"&*!#%@")
        ),
        max_size=160,
    )
)
def test_any_text_is_a_library_or_a_library_file_error(text: str) -> None:
    try:
        library = parse_library(text, source="fuzz.yaml")
    except LibraryFileError as error:
        assert error.issues and str(error).startswith("fuzz.yaml")
    else:
        assert set(DEFAULT_LIBRARY) <= set(library)
