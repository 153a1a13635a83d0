"""Round-trip properties of the text and JSON forms, on generated modules and fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings

from fmpc.ir import (
    dataflow_graph,
    from_json,
    parse,
    print_module,
    structurally_equal,
    to_json,
    verify,
)
from tests.ir.gen import modules

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.fmp"))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(modules())
def test_generated_modules_verify_and_round_trip_through_text(module):
    verify(module)
    text = print_module(module)
    again = parse(text)
    verify(again)
    assert structurally_equal(module, again)
    assert print_module(again) == text


@SETTINGS
@given(modules())
def test_generated_modules_round_trip_through_json(module):
    data = json.loads(json.dumps(to_json(module)))
    again = from_json(data)
    verify(again)
    assert structurally_equal(module, again)


@SETTINGS
@given(modules())
def test_clone_is_equal_and_independent(module):
    copy = module.clone()
    assert structurally_equal(module, copy)
    assert not set(module.walk()) & set(copy.walk())


@SETTINGS
@given(modules())
def test_dataflow_graph_has_every_op_and_is_acyclic(module):
    graph = dataflow_graph(module)
    assert graph.number_of_nodes() == len(list(module.walk()))
    assert nx.is_directed_acyclic_graph(graph)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_round_trips(path):
    module = parse(path.read_text(), str(path.name))
    verify(module)
    text = print_module(module)
    assert structurally_equal(parse(text), module)


def test_structural_equality_notices_a_changed_attribute():
    text = FIXTURES[0].read_text()
    changed = text.replace("site = 0", "site = 7", 1)
    assert changed != text
    assert not structurally_equal(parse(text), parse(changed))


def test_value_names_do_not_matter():
    text = FIXTURES[0].read_text()
    renamed = text.replace("%patches", "%p")
    assert structurally_equal(parse(text), parse(renamed))
