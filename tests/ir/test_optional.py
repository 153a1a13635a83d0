"""Optional types (``Optional[T]``) and backend pins in the IR: types, verifier, text and JSON
forms, and the interpreter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fmpc.ir import (
    Optional,
    OptionalType,
    from_json,
    parse,
    parse_type,
    print_module,
    structurally_equal,
    to_json,
    verify,
    verify_errors,
)
from fmpc.ir.types import Int, List, NoneT, Patch, Str, unwrap_optional
from fmpc.semantics.interpreter import Interpreter, expected, fits
from fmpc.semantics.values import ImageValue, PatchValue

FIXTURE = Path(__file__).parent / "fixtures" / "optional_answer_pinned.fmp"
IMAGE = ImageValue(np.zeros((10, 10, 3), np.float32), id="img")


def test_optional_types_flatten_print_and_parse() -> None:
    assert Optional(Str) == OptionalType(Str) and str(Optional(Str)) == "Optional[Str]"
    assert Optional(Optional(Str)) == Optional(Str) and Optional(NoneT) == NoneT
    assert unwrap_optional(Optional(Int)) == Int and unwrap_optional(Int) == Int
    for t in (Optional(Str), List(Optional(Patch)), Optional(List(Int))):
        assert parse_type(str(t)) == t
    for bad in ("Optional[None]", "Optional[Optional[Str]]", "Optional[Nope]"):
        with pytest.raises(ValueError):
            parse_type(bad)


def test_an_optional_answer_and_pins_round_trip_and_run() -> None:
    module = parse(FIXTURE.read_text())
    verify(module)
    assert module.entry.attributes["result_type"] == Optional(Str)
    assert [c.attributes.get("pin") for c in module.routable_calls()] == ["det-l", 1, None]
    text = print_module(module)
    assert structurally_equal(parse(text), module)
    assert structurally_equal(from_json(json.loads(json.dumps(to_json(module)))), module)

    def run(red: bool) -> object:
        backends = {
            "find": lambda p, name: [PatchValue(IMAGE, 0, 0, 2, 2)],
            "verify_property": lambda p, name, prop: red,
            "simple_query": lambda p, q: "seven",
        }
        return Interpreter(module, backends).run(IMAGE)

    assert run(True) == "seven" and run(False) is None


@pytest.mark.parametrize(
    ("cast", "message"),
    [
        ("%s = fmpc.const() {value = 1} : () -> Int\n    %c = fmpc.cast(%s) : (Int) -> Optional[Str]",
         "'fmpc.cast' cannot convert Int to Optional[Str]"),
        ("%n = fmpc.const() {value = none} : () -> None\n    %o = fmpc.cast(%n) : (None) -> Optional[Int]\n"
         "    %c = fmpc.cast(%o) : (Optional[Int]) -> Str",
         None),  # str(x) of an optional is allowed ("None")
        ("%n = fmpc.const() {value = none} : () -> None\n    %o = fmpc.cast(%n) : (None) -> Optional[Str]\n"
         "    %c = fmpc.cast(%o) : (Optional[Str]) -> Int",
         "'fmpc.cast' cannot convert Optional[Str] to Int"),
    ],
)  # fmt: skip
def test_casts_into_and_out_of_optionals_are_checked(cast: str, message: str | None) -> None:
    text = (
        'module "c.py" {\n  func @execute_command(%image: Image) -> Int {\n    '
        + cast
        + "\n    %r = fmpc.const() {value = 0} : () -> Int\n    fmpc.return(%r) : (Int) -> ()\n  }\n}\n"
    )
    problems = [str(e) for e in verify_errors(parse(text))]
    assert problems == ([] if message is None else [message])


@pytest.mark.parametrize("pin", ['""', "-1", "true", "2.5"])
def test_a_pin_is_a_backend_name_or_an_index(pin: str) -> None:
    text = FIXTURE.read_text().replace('pin = "det-l"', f"pin = {pin}")
    (problem,) = verify_errors(parse(text))
    assert "pin must be a backend name or an index >= 0" in str(problem)


def test_the_interpreter_checks_optional_results() -> None:
    assert fits(None, Optional(Str)) and fits("a", Optional(Str)) and not fits(1, Optional(Str))
    assert expected(Optional(List(Patch))) == (
        "Optional[List[Patch]] (a list of PatchValue or None)"
    )
