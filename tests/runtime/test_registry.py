"""Registries: backend types and worlds are found through entry points, so the runtime names
neither the zoo nor a world; a third party's type validates and builds like the built-ins; a
broken plugin is an error naming it."""

from __future__ import annotations

import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, Literal

import pytest

from fmpc.runtime.backends import (
    BUILTIN_BACKEND_TYPES,
    CallableBackend,
    backend_types,
    build_backends,
    discover_backend_types,
    load_backends,
)
from fmpc.runtime.config import BackendType, ConfigError, Cost, Spec, parse_config
from fmpc.runtime.inputs import discover_input_sources, input_sources, world_inputs
from fmpc.runtime.registry import PluginError, Registry

GROUP = "fmpc.backend_types"


class ConstantSpec(Spec):
    """A third party's backend type: always answers ``answer``."""

    hints = {("answer", "missing"): "what the backend always answers"}

    type: Literal["constant"]
    answer: bool
    cost: Cost = 1.0


def constant_factory(function: str, spec: ConstantSpec) -> CallableBackend:
    return CallableBackend(spec.name, function, lambda *args: spec.answer, spec.cost)


CONSTANT = BackendType("constant", ConstantSpec, constant_factory)
NOT_A_TYPE = object()


def _point(name: str, value: str, group: str = GROUP) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=group)


def test_the_installed_plugins_are_found() -> None:
    from fmpc.worlds.plugin import PERFECT_BACKEND_TYPE, digits_inputs
    from fmpc.zoo.plugin import ZOO_BACKEND_TYPE

    types = backend_types()
    assert list(types) == ["jax", "http", "callable", "perfect", "zoo"]
    assert types["zoo"] is ZOO_BACKEND_TYPE and types["perfect"] is PERFECT_BACKEND_TYPE
    assert backend_types() is types  # discovered once per process
    assert input_sources()["digits"] is digits_inputs


def test_a_third_party_type_validates_and_builds(tmp_path: Path) -> None:
    types = discover_backend_types([_point("constant", "tests.runtime.test_registry:CONSTANT")])
    assert list(types) == ["jax", "http", "callable", "constant"]
    path = tmp_path / "backends.yaml"
    path.write_text("functions:\n  exists:\n    - {name: always, type: constant, answer: true}\n")
    table = load_backends(path, types=types)
    (always,) = table["exists"]
    assert [r.output for r in always([(None, "dog")])] == [True]
    with pytest.raises(ConfigError) as info:
        parse_config(
            "functions:\n  exists:\n    - {name: a, type: constant}\n    - {name: b, type: zoo}\n",
            source="b.yaml",
            types=types,
        )
    assert str(info.value).splitlines() == [
        "b.yaml:3:7: functions.exists[0].answer: field required (what the backend always answers)",
        "b.yaml:4:17: functions.exists[1].type: unknown backend type 'zoo' (expected one of: "
        "jax, http, callable, constant)",
    ]


def test_extend_adds_types_without_changing_the_registry() -> None:
    more = BUILTIN_BACKEND_TYPES.extend({"constant": CONSTANT})
    assert "constant" in more and "constant" not in BUILTIN_BACKEND_TYPES
    config = parse_config(
        "functions:\n  exists:\n    - {name: a, type: constant, answer: false}\n", types=more
    )
    assert [b.name for b in build_backends(config, types=more)["exists"]] == ["a"]


@pytest.mark.parametrize(
    ("point", "message"),
    [
        (
            _point("broken", "no_such_module_xyz:TYPE"),
            "entry point 'broken' = 'no_such_module_xyz:TYPE' of group 'fmpc.backend_types' "
            "cannot be loaded: ModuleNotFoundError: No module named 'no_such_module_xyz'",
        ),
        (
            _point("odd", "tests.runtime.test_registry:NOT_A_TYPE"),
            "expected a BackendType, got object",
        ),
        (
            _point("other", "tests.runtime.test_registry:CONSTANT"),
            "the entry point is named 'other', its BackendType 'constant'",
        ),
    ],
)
def test_a_broken_plugin_is_named_where_it_is_used(point: EntryPoint, message: str) -> None:
    types = discover_backend_types([point])
    assert point.name in types and not types.loaded(point.name)
    # a config that does not name the plugin never loads it
    parse_config(
        "functions:\n  exists:\n    - {name: a, type: callable, target: m:f, cost: 1}\n",
        types=types,
    )
    with pytest.raises(PluginError) as info:
        types[point.name]
    assert message in str(info.value)
    with pytest.raises(ConfigError) as error:
        parse_config(f"functions:\n  exists:\n    - {{name: a, type: {point.name}}}\n", types=types)
    assert str(error.value) == f"<string>: {info.value}"


def test_a_taken_name_is_refused() -> None:
    with pytest.raises(PluginError, match="entry point 'http' .* the name 'http' is already taken"):
        discover_backend_types([_point("http", "tests.runtime.test_registry:CONSTANT")])


def test_a_backend_type_checks_its_spec() -> None:
    with pytest.raises(ValueError, match=r"ConstantSpec.type must be Literal\['other'\]"):
        BackendType("other", ConstantSpec, constant_factory)
    with pytest.raises(ValueError, match="spec must be a Spec subclass"):
        BackendType("constant", dict, constant_factory)  # type: ignore[arg-type]


def generated(module: Any, n: int, *, seed: int) -> Any:
    """A third party's world: ``n`` copies of nothing."""
    from fmpc.runtime.inputs import InputItem, InputSource

    return InputSource("nothing", n, lambda: iter([InputItem(f"x{i}", None) for i in range(n)]))


def test_worlds_are_plugins_too() -> None:
    group = "fmpc.input_sources"
    sources = discover_input_sources(
        [_point("void", "tests.runtime.test_registry:generated", group)]
    )
    assert isinstance(sources, Registry) and list(sources) == ["void"]
    source = world_inputs(None, 2, world="void", sources=sources)
    assert [item.input_id for item in source] == ["x0", "x1"]
    from fmpc.runtime.inputs import InputError

    with pytest.raises(InputError, match=r"unknown world 'digits' \(known: void\)"):
        world_inputs(None, 2, world="digits", sources=sources)
    with pytest.raises(PluginError, match="expected a callable world source"):
        discover_input_sources([_point("bad", "tests.runtime.test_registry:GROUP", group)])["bad"]


def test_config_hints_come_from_the_type() -> None:
    text = textwrap.dedent("""
        functions:
          exists:
            - {name: a, type: zoo, cost: 3}
    """)
    with pytest.raises(ConfigError, match="a zoo backend's cost is measured by XLA"):
        parse_config(text)


def test_a_world_may_declare_its_vocabulary() -> None:
    from fmpc.runtime.inputs import InputError, world_literal_check

    group = "fmpc.input_sources"
    sources = discover_input_sources(
        [_point("void", "tests.runtime.test_registry:generated", group)]
    )
    assert world_literal_check("void", sources) is None  # a world without one warns about nothing
    check = world_literal_check("digits")
    assert check is not None
    assert check("find", 1, "7") is None
    assert check("find", 1, "man") == (
        "find() argument 1: unknown object name 'man'; known: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "
        "digit, circle, square, triangle, shape, object"
    )
    with pytest.raises(InputError, match=r"unknown world 'mars' \(known: void\)"):
        world_literal_check("mars", sources)
