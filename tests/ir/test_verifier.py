"""The verifier rejects malformed modules with located, specific messages."""

from __future__ import annotations

import pytest

from fmpc.ir import Module, VerifyError, parse, verify, verify_errors

HEAD = 'module "bad.py" {\n  func @execute_command(%image: Image) -> Int {\n'
TAIL = "  }\n}\n"


def body(text: str) -> str:
    return HEAD + text + TAIL


CASES = {
    "wrong operand types": (
        body(
            '    %0 = fmpc.const() {value = "a"} : () -> Str loc(3:5)\n'
            "    %1 = fmpc.const() {value = 1} : () -> Int loc(3:9)\n"
            "    %2 = fmpc.add(%0, %1) : (Str, Int) -> Int loc(3:5)\n"
            "    fmpc.return(%2) : (Int) -> ()\n"
        ),
        "bad.py:3:5: 'fmpc.add' unsupported operand types (Str, Int)",
    ),
    "wrong return type": (
        body(
            '    %0 = fmpc.const() {value = "a"} : () -> Str\n    fmpc.return(%0) : (Str) -> () loc(4:5)\n'
        ),
        "bad.py:4:5: 'fmpc.return' returned value has type Str, expected Int",
    ),
    "break outside a loop": (
        body(
            "    %0 = fmpc.const() {value = 1} : () -> Int\n    fmpc.break() : () -> () loc(4:5)\n"
        ),
        "bad.py:4:5: 'fmpc.break' must be inside a fmpc.for loop body",
    ),
    "terminator in the middle": (
        body(
            "    %0 = fmpc.const() {value = 1} : () -> Int\n"
            "    fmpc.return(%0) : (Int) -> () loc(4:5)\n"
            "    fmpc.return(%0) : (Int) -> () loc(5:5)\n"
        ),
        "bad.py:4:5: 'fmpc.return' terminator is followed by more ops",
    ),
    "duplicate call site": (
        body(
            '    %p = fmpc.lib(%image) {fn = "image_patch"} : (Image) -> Patch\n'
            '    %s = fmpc.const() {value = "7"} : () -> Str\n'
            '    %a = fmpc.call(%p, %s) {fn = "exists", site = 3} : (Patch, Str) -> Bool\n'
            '    %b = fmpc.call(%p, %s) {fn = "exists", site = 3} : (Patch, Str) -> Bool loc(6:5)\n'
            "    %0 = fmpc.const() {value = 1} : () -> Int\n"
            "    fmpc.return(%0) : (Int) -> ()\n"
        ),
        "bad.py:6:5: 'fmpc.call' call-site id 3 is used twice",
    ),
    "if branches yield different types": (
        body(
            "    %c = fmpc.const() {value = true} : () -> Bool\n"
            "    %r = fmpc.if(%c) : (Bool) -> Int {\n"
            "      %a = fmpc.const() {value = 1} : () -> Int\n"
            "      fmpc.yield(%a) : (Int) -> ()\n"
            "    } {\n"
            '      %b = fmpc.const() {value = "x"} : () -> Str\n'
            "      fmpc.yield(%b) : (Str) -> ()\n"
            "    } loc(4:5)\n"
            "    fmpc.return(%r) : (Int) -> ()\n"
        ),
        "bad.py:4:5: 'fmpc.if' else region yields (Str), expected (Int)",
    ),
    "missing attribute": (
        body("    %0 = fmpc.const() : () -> Int loc(3:5)\n    fmpc.return(%0) : (Int) -> ()\n"),
        "bad.py:3:5: 'fmpc.const' missing attribute 'value'",
    ),
    "for region arguments": (
        body(
            "    %l = fmpc.list.make() : () -> List[Int]\n"
            "    %z = fmpc.const() {value = 0} : () -> Int\n"
            "    %r = fmpc.for(%l, %z) : (List[Int], Int) -> Int {\n"
            "    ^(%x: Int, %acc: Int):\n"
            "      fmpc.yield(%acc) : (Int) -> ()\n"
            "    } loc(5:5)\n"
            "    fmpc.return(%r) : (Int) -> ()\n"
        ),
        "bad.py:5:5: 'fmpc.for' region arguments (Int, Int), expected (Int, Int, Int)",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_verifier_rejects(name):
    text, message = CASES[name]
    with pytest.raises(VerifyError) as info:
        verify(parse(text))
    assert str(info.value) == message


def test_use_of_value_from_another_region_is_rejected():
    module = parse(
        body(
            "    %c = fmpc.const() {value = true} : () -> Bool\n"
            "    %r = fmpc.if(%c) : (Bool) -> Int {\n"
            "      %a = fmpc.const() {value = 1} : () -> Int\n"
            "      fmpc.yield(%a) : (Int) -> ()\n"
            "    } {\n"
            "      %b = fmpc.const() {value = 2} : () -> Int\n"
            "      fmpc.yield(%b) : (Int) -> ()\n"
            "    }\n"
            "    fmpc.return(%r) : (Int) -> ()\n"
        )
    )
    inner_a = module.entry.regions[0].ops[1].regions[0].ops[0].result
    else_yield = module.entry.regions[0].ops[1].regions[1].ops[1]
    else_yield.operands[0] = inner_a  # a value of the then-region used in the else-region
    errors = verify_errors(module)
    assert [e.message for e in errors] == [
        "operand 0 is used before it is defined (or out of scope)"
    ]


def test_missing_entry_function():
    module = Module()
    with pytest.raises(VerifyError, match="no entry function @execute_command"):
        verify(module)


def test_error_quotes_the_source_line():
    module = parse(CASES["wrong return type"][0])
    module.source = "\n".join(f"line {i}" for i in range(1, 6))
    with pytest.raises(VerifyError) as info:
        verify(module)
    assert str(info.value).endswith("\n    line 4")
