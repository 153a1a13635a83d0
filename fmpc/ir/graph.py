"""A networkx view of a module's dataflow: nodes are ops, edges go from a value's definition to
each op that uses it (uses inside regions are attributed to the op owning the region at the
definition's level, so the graph of a region stays acyclic)."""

from __future__ import annotations

import networkx as nx

from fmpc.ir.core import Module, Op, Region, Value


def dataflow_graph(module: Module) -> nx.DiGraph:
    """Dataflow graph of every op in ``module`` (all nesting levels).

    Node attributes: ``op`` (the Op), ``label`` (its name). Edge attribute ``value`` holds the
    Value flowing along it. Region arguments have no node; their uses have no incoming edge.
    """
    graph = nx.DiGraph()
    for op in module.walk():
        graph.add_node(op, label=op.name)
    for op in module.walk():
        for value in op.operands:
            producer = _producer(value)
            if producer is not None and producer in graph:
                graph.add_edge(producer, op, value=value)
    return graph


def _producer(value: Value) -> Op | None:
    return value.owner if isinstance(value.owner, Op) else None


def uses(module: Module) -> dict[Value, list[Op]]:
    """Every value of ``module`` mapped to the ops that use it, in program order."""
    table: dict[Value, list[Op]] = {}
    for op in module.walk():
        for value in op.operands:
            table.setdefault(value, []).append(op)
    return table


def region_of(op: Op) -> Region | None:
    """The region ``op`` sits in."""
    return op.parent


def to_dot(module: Module) -> str:
    """The dataflow graph in Graphviz DOT form (ops labelled with their names and call sites)."""
    graph = dataflow_graph(module)
    ids = {op: f"op{i}" for i, op in enumerate(graph.nodes)}
    labelled = nx.DiGraph()
    for op in graph.nodes:
        label = op.name
        if "fn" in op.attributes:
            label += f" {op.attributes['fn']}"
        if "site" in op.attributes:
            label += f" #{op.attributes['site']}"
        labelled.add_node(ids[op], label=f'"{label}"')
    for src, dst, data in graph.edges(data=True):
        labelled.add_edge(ids[src], ids[dst], label=f'"{data["value"].type}"')
    return str(nx.nx_pydot.to_pydot(labelled).to_string())
