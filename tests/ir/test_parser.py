"""Malformed IR text gets a located ParseError."""

from __future__ import annotations

import pytest

from fmpc.ir import ParseError, parse


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("modul {}", "<ir>:1:1: error: expected 'module' (found 'modul')"),
        (
            "module {\n  func @f() -> Int {\n    %0 = fmpc.nope() : () -> Int\n",
            "<ir>:3:10: error: unknown op 'fmpc.nope' (found 'fmpc.nope')",
        ),
        (
            "module {\n  func @f() -> Int {\n    fmpc.return(%x) : (Int) -> ()\n",
            "<ir>:3:17: error: use of undefined value %x (found '%x')",
        ),
        ("module {\n  func @f() -> Intt {", "<ir>:2:16: error: unknown type 'Intt' (found 'Intt')"),
        (
            "module {\n  func @f(%a: Int) -> Int {\n    fmpc.return(%a) : (Str) -> ()\n  }\n}",
            "<ir>:3:5: error: operand 0 has type Int, but the op says Str (found 'fmpc.return')",
        ),
        ("module { $ }", "<ir>:1:10: error: unexpected character '$'"),
    ],
)
def test_parse_errors_are_located(text, message):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert str(info.value) == message
