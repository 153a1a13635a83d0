"""Hostile backend configs (issue 16): billion laughs, deep nesting, other encodings, NUL bytes
and unbounded retries each get a located one-line error quickly, never a traceback or a hang."""

from __future__ import annotations

import codecs
import time
from pathlib import Path

import pytest

from fmpc.runtime.config import ConfigError, load_config, parse_config
from fmpc.yaml_limits import MAX_DEPTH, YamlLimitError, check_yaml, decode_yaml

ENTRY = "{name: a, type: callable, target: 'operator:truth', cost: 1}"
GOOD = f"version: 1\nfunctions:\n  exists:\n    - {ENTRY}\n"


def laughs(levels: int = 9) -> str:
    """Each anchor a list of nine aliases of the previous one: 9**levels strings in all."""
    lines = [
        "version: 1",
        'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    lines.append(f"functions: {{exists: [{ENTRY}]}}")
    return "\n".join(lines) + "\n"


def errors(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="b.yaml")
    return str(caught.value)


def test_billion_laughs_is_refused_at_the_alias_quickly() -> None:
    start = time.perf_counter()
    message = errors(laughs())
    assert time.perf_counter() - start < 2.0  # was > 60 s, in the duplicate-key walk
    assert (
        message.startswith("b.yaml:7:") and "more than 100000 nodes (aliases expanded)" in message
    )


def test_ordinary_anchors_still_work() -> None:
    text = (
        "shared: &opts {batched: false}\n"
        "functions:\n  exists:\n"
        "    - {name: a, type: callable, target: 'operator:truth', cost: 1, options: *opts}\n"
        "    - {name: b, type: callable, target: 'operator:truth', cost: 2, options: *opts}\n"
    )
    with pytest.raises(ConfigError, match="shared: unknown key"):  # only the extra key is wrong
        parse_config(text)
    config = parse_config(
        text.replace("shared: &opts {batched: false}\n", "").replace("*opts", "{batched: false}")
    )
    assert [s.name for s in config.functions["exists"]] == ["a", "b"]


@pytest.mark.parametrize("depth", [300, 3000])
def test_deep_nesting_is_a_located_error(depth: int) -> None:
    text = GOOD.replace("cost: 1}", "cost: 1, options: " + "[" * depth + "]" * depth + "}")
    message = errors(text)
    assert message.startswith("b.yaml:4:") and f"nested deeper than {MAX_DEPTH} levels" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
     ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-8", codecs.BOM_UTF8)],
)  # fmt: skip
def test_unicode_files_with_a_byte_order_mark_load(
    tmp_path: Path, encoding: str, bom: bytes
) -> None:
    (tmp_path / "b.yaml").write_bytes(bom + GOOD.encode(encoding))
    assert [s.name for s in load_config(tmp_path / "b.yaml").functions["exists"]] == ["a"]


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    data = GOOD.encode().replace(b"cost: 1", b"cost: \xff1")
    (tmp_path / "b.yaml").write_bytes(data)
    column = data.splitlines()[3].index(b"\xff") + 1
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "b.yaml")
    assert str(caught.value) == (
        f"{tmp_path / 'b.yaml'}:4:{column}: not UTF-8 text (byte 0xff); save the file as UTF-8"
    )
    with pytest.raises(YamlLimitError, match="not valid UTF-16"):
        decode_yaml(codecs.BOM_UTF16_LE + b"a")


@pytest.mark.parametrize("character", ["\x00", "\x07", "\ufffe"])
def test_characters_yaml_forbids_are_located(character: str) -> None:
    message = errors(GOOD.replace("version: 1", f"version: 1{character}"))
    assert message.startswith(
        f"b.yaml:1:11: invalid YAML: character #x{ord(character):04x} is not allowed ("
    )


def test_retries_and_timeouts_are_bounded() -> None:
    entry = "{name: v, type: http, endpoint: 'http://127.0.0.1:9', model: m, cost: 1, KEY}"
    for key, expected in [
        ("retries: 1000000000", "retries: input should be less than or equal to 10"),
        ("timeout: 1.0e9", "timeout: input should be less than or equal to 3600"),
        ("deadline: 0", "deadline: input should be greater than 0"),
    ]:
        text = f"functions:\n  exists:\n    - {entry.replace('KEY', key)}\n"
        assert expected in errors(text)


def test_the_checks_leave_malformed_yaml_to_the_loader() -> None:
    check_yaml("a: [1, 2")  # a syntax error: reported by the loader with its place
    assert "b.yaml:1:" in errors("a: [1, 2")
