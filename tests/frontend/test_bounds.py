"""Compile-time bounds (issue 16): programs whose compilation used to explode get a located
error at once, and constant folding never builds huge values."""

from __future__ import annotations

import pytest

from fmpc.frontend import CompileError, compile_source
from fmpc.frontend.bounds import (
    MAX_CONSTANT_LENGTH,
    MAX_INLINED_NODES,
    MAX_OPERANDS,
    MAX_PROGRAM_NODES,
    MAX_SOURCE_CHARS,
)
from fmpc.ir.ops import ConstOp, MulOp
from fmpc.passes import DEFAULT_PIPELINE, PassManager

pytestmark = pytest.mark.timeout(60)  # each case took from 5 s to minutes, or 1 GB, before


def entry(*lines: str) -> str:
    return "def execute_command(image):\n    p = ImagePatch(image)\n" + "".join(
        f"    {line}\n" for line in lines
    )


def error_of(source: str) -> str:
    with pytest.raises(CompileError) as caught:
        compile_source(source, "big.py")
    return caught.value.format()


@pytest.mark.parametrize(("count", "word"), [(2000, "and"), (10_000, "and"), (3000, "or")])
def test_long_boolean_chains_are_refused_where_they_start(count: int, word: str) -> None:
    operands = f" {word} ".join(f'p.exists("d{i % 10}")' for i in range(count))
    message = error_of(entry(f"return {operands}"))
    assert message.startswith(
        f"big.py:3:12: error: this `{word}` has {count} operands; at most {MAX_OPERANDS} are supported"
    )


def test_a_chain_at_the_limit_compiles_and_optimizes() -> None:
    operands = " and ".join(f'p.exists("d{i % 10}")' for i in range(MAX_OPERANDS))
    module = compile_source(entry(f"return {operands}"))
    PassManager(DEFAULT_PIPELINE).run(module)


def test_long_comparison_chains_are_refused() -> None:
    chain = " < ".join(str(i) for i in range(MAX_OPERANDS + 2))
    assert "this comparison chain has 258 comparisons" in error_of(
        entry(f"return p.left < {chain}")
    )


def doubling_helpers(levels: int) -> str:
    lines = ["def h0(p):\n    return p.exists('x')\n"]
    lines += [f"def h{i}(p):\n    return h{i - 1}(p) and h{i - 1}(p)\n" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + entry(f"return h{levels - 1}(p)")


def test_helpers_that_inline_exponentially_are_refused_at_the_call() -> None:
    message = error_of(doubling_helpers(16))
    assert "error: inlining helper 'h15' here copies" in message
    assert f"at most {MAX_INLINED_NODES} are supported" in message
    compile_source(doubling_helpers(6))  # 32 copies: fine


@pytest.mark.parametrize(
    ("expression", "what"),
    [
        ("'x' * 1000000000", "this repetition would have 1000000000 items"),
        ("3 * ('ab' * 100000)", "this repetition would have 600000 items"),
        ("[0] * (1000 * 1000)", "this repetition would have 1000000 items"),
        ("f'{p.left:>1000000000}'", "this format asks for a width or precision of 1000000000"),
        (
            "'" + "y" * (MAX_CONSTANT_LENGTH + 1) + "'",
            f"this literal would have {MAX_CONSTANT_LENGTH + 1}",
        ),
    ],
)
def test_huge_literals_are_refused_not_folded(expression: str, what: str) -> None:
    message = error_of(entry(f"return {expression}"))
    assert message.startswith("big.py:3:12: error: " + what)


def test_programs_too_large_to_lower_are_refused() -> None:
    many = [f"x{i} = p.left + {i}" for i in range(MAX_PROGRAM_NODES // 5)]
    assert "syntax nodes; at most 20000 are supported" in error_of(entry(*many, "return 1"))
    long_comment = entry("return 1") + "#" * MAX_SOURCE_CHARS
    assert f"characters long; at most {MAX_SOURCE_CHARS} are supported" in error_of(long_comment)


def test_folding_leaves_huge_values_to_run_time() -> None:
    source = entry("n = 1000000000", "s = 'x' * n", "return len(s)")
    module = PassManager("canonicalize").run(compile_source(source))
    assert any(isinstance(op, MulOp) for op in module.walk())  # not folded into a 1 GB constant
    folded = PassManager("canonicalize").run(compile_source(entry("n = 3", "return 'ab' * n")))
    assert [op.attributes["value"] for op in folded.walk() if isinstance(op, ConstOp)] == ["ababab"]


def test_repeated_squaring_compiles_in_bounded_time() -> None:
    """``x = x * x`` forty times: folding stops at 4096-bit integers, and early-exit's walk over
    the uses no longer doubles with every squaring (it was exponential)."""
    squares = ["x = p.left"] + ["x = x * x"] * 40
    module = PassManager(DEFAULT_PIPELINE).run(compile_source(entry(*squares, "return x > 5")))
    assert sum(isinstance(op, MulOp) for op in module.walk()) == 40
