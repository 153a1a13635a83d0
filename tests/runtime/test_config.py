"""Backend config files: validation messages and building backends."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fmpc.library import DEFAULT_LIBRARY
from fmpc.runtime.backends import (
    BUILTIN_BACKEND_TYPES,
    BackendTable,
    CallableBackend,
    HttpBackend,
    JaxBackend,
    build_backends,
    load_backends,
)
from fmpc.runtime.config import ConfigError, HttpSpec, load_config, parse_config

VALID = """\
version: 1
functions:
  exists:
    - name: rule
      type: callable
      target: operator:truth
      cost: 2
    - name: tiny
      type: jax
      target: tests.runtime.test_config:tiny_jax_backend
      options: {width: 4}
    - name: vlm
      type: http
      endpoint: http://127.0.0.1:9
      model: Qwen/Qwen2.5-VL-7B-Instruct
      cost: 1.5e13
      timeout: 0.5
      retries: 1
      max_concurrency: 2
      fallback: rule
      options: {default_confidence: 0.7, extra_body: {top_k: 1}}
  find:
    - name: world
      type: perfect
"""


def tiny_jax_backend(name: str, function: str, width: int) -> JaxBackend:
    """A factory named by ``VALID``'s jax entry."""
    return JaxBackend(name, function, lambda p, x: x @ p, np.ones((3, width), np.float32))


def _perfect(function: str, spec: Any) -> CallableBackend:
    return CallableBackend(spec.name, function, lambda *args: [], cost=spec.cost)


def _errors(text: str, **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(textwrap.dedent(text), source="backends.yaml", **kwargs)
    return str(info.value).splitlines()


# ---- a valid file --------------------------------------------------------------------------


def test_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "backends.yaml"
    path.write_text(VALID)
    config = load_config(path, library=DEFAULT_LIBRARY)
    assert config.source == str(path)
    assert [s.name for s in config.functions["exists"]] == ["rule", "tiny", "vlm"]
    vlm = config.functions["exists"][2]
    assert isinstance(vlm, HttpSpec)
    assert (vlm.timeout, vlm.retries, vlm.max_concurrency, vlm.fallback) == (0.5, 1, 2, "rule")
    assert vlm.options.default_confidence == 0.7 and vlm.options.backoff == 0.5


def test_build_backends_makes_live_backends_in_order(tmp_path: Path) -> None:
    path = tmp_path / "backends.yaml"
    path.write_text(VALID)
    table = load_backends(path, factories={"perfect": _perfect})
    try:
        rule, tiny, vlm = table["exists"]
        assert isinstance(table, BackendTable)
        assert isinstance(rule, CallableBackend) and isinstance(tiny, JaxBackend)
        assert isinstance(vlm, HttpBackend) and vlm.url == "http://127.0.0.1:9/v1/chat/completions"
        assert [r.output for r in rule([(0,), (3,)])] == [False, True]
        assert tiny.cost((np.ones(3, np.float32),)) > 0
        assert vlm.cost(()) == 1.5e13
        assert table.fallback("exists", "vlm") is rule
        assert [b.name for b in table["find"]] == ["world"]
    finally:
        table.close()


# ---- invalid files: the message points at the key and says what was expected ----------------


def test_missing_endpoint() -> None:
    assert _errors("""
        functions:
          find:
            - {name: a, type: perfect}
            - name: b
              type: http
              model: m
              cost: 1
    """) == [
        "backends.yaml:5:7: functions.find[1].endpoint: field required "
        "(an http backend needs an endpoint URL)"
    ]


def test_declared_cost_on_a_jax_backend() -> None:
    assert _errors("""
        functions:
          exists:
            - name: small
              type: jax
              target: m:f
              cost: 3
    """) == [
        "backends.yaml:7:7: functions.exists[0].cost: unknown key "
        "(a jax backend's cost is measured by XLA, never declared)"
    ]


def test_unknown_keys_list_what_is_accepted() -> None:
    assert _errors("""
        functions:
          exists:
            - {name: a, type: callable, target: m:f, cost: 1, timeout: 3}
        extras: 1
    """) == [
        "backends.yaml:4:55: functions.exists[0].timeout: unknown key "
        "(a callable backend takes: name, fallback, type, target, cost, options)",
        "backends.yaml:5:1: extras: unknown key (the config takes: version, functions)",
    ]


def test_bad_values() -> None:
    assert _errors("""
        functions:
          exists:
            - name: a
              type: http
              endpoint: localhost:8000
              model: m
              cost: -2
              retries: 1.5
              options: {temprature: 0}
            - {name: b, type: llm}
            - {name: c}
    """) == [
        "backends.yaml:6:7: functions.exists[0].endpoint: expected an http:// or https:// URL "
        "such as http://localhost:8000, got 'localhost:8000'",
        "backends.yaml:8:7: functions.exists[0].cost: input should be greater than or equal "
        "to 0, got -2",
        "backends.yaml:9:7: functions.exists[0].retries: input should be a valid integer, got a "
        "number with a fractional part (1.5)",
        "backends.yaml:10:17: functions.exists[0].options.temprature: unknown key (http options "
        "are: backoff, max_backoff, default_confidence, logprobs, max_tokens, temperature, "
        "api_key_env, extra_body)",
        "backends.yaml:11:17: functions.exists[1].type: unknown backend type 'llm' "
        "(expected one of: jax, http, callable, perfect, zoo)",
        "backends.yaml:12:7: functions.exists[2].type: field required "
        "(the backend's type: one of jax, http, callable, perfect, zoo)",
    ]


def test_names_and_fallbacks() -> None:
    assert _errors("""
        functions:
          exists:
            - {name: a, type: perfect, fallback: b}
            - {name: b, type: perfect, fallback: a}
            - {name: c, type: perfect, fallback: zz}
            - {name: c, type: perfect, fallback: c}
    """) == [
        "backends.yaml:4:32: functions.exists[0].fallback: fallbacks form a cycle: a -> b -> a",
        "backends.yaml:6:32: functions.exists[2].fallback: no backend 'zz' "
        "(expected another exists backend: a, b, c)",
        "backends.yaml:7:8: functions.exists[3].name: duplicate backend name 'c' "
        "(also functions.exists[2])",
        "backends.yaml:7:32: functions.exists[3].fallback: a backend cannot fall back to itself",
    ]


def test_functions_must_be_routable_library_functions() -> None:
    assert _errors(
        """
        functions:
          exist:
            - {name: a, type: perfect}
          crop:
            - {name: a, type: perfect}
        """,
        library=DEFAULT_LIBRARY,
    ) == [
        "backends.yaml:3:3: functions.exist: unknown generic function 'exist' (expected one of: "
        "best_image_match, best_text_match, compute_depth, exists, find, llm_query, query, "
        "simple_query, verify_property)",
        "backends.yaml:5:3: functions.crop: 'crop' is a deterministic helper, not a routable "
        "function (expected one of: best_image_match, best_text_match, compute_depth, exists, "
        "find, llm_query, query, simple_query, verify_property)",
    ]


def test_structure_errors() -> None:
    assert _errors("functions:\n  exists: 3\n") == [
        "backends.yaml:2:3: functions.exists: expected a list of backends, got 3"
    ]
    assert _errors("functions:\n  exists: []\n") == [
        "backends.yaml:2:3: functions.exists: expected at least one backend"
    ]
    assert _errors("functions: {}\n") == [
        "backends.yaml:1:1: functions: expected at least one function"
    ]
    assert _errors("functions:\n  exists:\n    - {type: perfect}\n") == [
        "backends.yaml:3:7: functions.exists[0].name: field required (every backend needs a name)"
    ]
    assert _errors("- 1\n") == [
        "backends.yaml: expected a mapping with a 'functions' key, got a list"
    ]
    assert _errors("") == ["backends.yaml: expected a mapping with a 'functions' key, got nothing"]


def test_duplicate_keys_are_errors() -> None:
    assert _errors("""
        functions:
          exists:
            - {name: a, type: perfect}
          exists:
            - {name: b, type: perfect}
    """) == [
        "backends.yaml:5:3: functions.exists: duplicate key (each key may appear once in a mapping)"
    ]


def test_malformed_yaml_gives_line_and_column() -> None:
    assert _errors("functions:\n  exists: [1\n") == [
        "backends.yaml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>'"
    ]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope.yaml: cannot read: No such file or directory"):
        load_config(path)


# ---- build errors --------------------------------------------------------------------------


def _build_errors(text: str, factories: Any = None, types: Any = None) -> list[str]:
    config = parse_config(textwrap.dedent(text), source="backends.yaml")
    with pytest.raises(ConfigError) as info:
        build_backends(config, factories, types=types)
    return str(info.value).splitlines()


def test_build_reports_missing_factories_and_bad_targets(monkeypatch: Any) -> None:
    monkeypatch.delenv("FMPC_TEST_NO_SUCH_KEY", raising=False)
    # built with the runtime's own types only: the zoo's entry has no factory
    assert _build_errors(
        """
        functions:
          exists:
            - {name: z, type: zoo}
            - {name: a, type: callable, target: "no_such_module_xyz:f", cost: 1}
            - {name: b, type: callable, target: "operator:no_such_fn", cost: 1}
            - {name: c, type: jax, target: "operator:truth"}
            - name: d
              type: http
              endpoint: http://127.0.0.1:9
              model: m
              cost: 1
              options: {api_key_env: FMPC_TEST_NO_SUCH_KEY}
        """,
        types=BUILTIN_BACKEND_TYPES,
    ) == [
        "backends.yaml: functions.exists[0].type: no factory for backend type 'zoo' "
        "(pass factories={'zoo': ...})",
        "backends.yaml: functions.exists[1].target: cannot import module 'no_such_module_xyz' "
        "(No module named 'no_such_module_xyz')",
        "backends.yaml: functions.exists[2].target: module 'operator' has no attribute "
        "'no_such_fn'",
        "backends.yaml: functions.exists[3]: cannot build backend 'c': TypeError: "
        "_operator.truth() takes no keyword arguments",
        "backends.yaml: functions.exists[4].options.api_key_env: environment variable "
        "'FMPC_TEST_NO_SUCH_KEY' is not set",
    ]


def test_build_checks_what_a_factory_returns() -> None:
    def wrong(function: str, spec: Any) -> CallableBackend:
        return CallableBackend("other", function, len, cost=0.0)

    assert _build_errors(
        "functions:\n  exists:\n    - {name: z, type: zoo}\n", factories={"zoo": wrong}
    ) == [
        "backends.yaml: functions.exists[0]: the zoo factory built backend 'other' (exists), "
        "expected 'z' (exists)"
    ]
