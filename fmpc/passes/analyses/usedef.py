"""The use-def graph of a module as a networkx ``DiGraph`` (ops as nodes, values on edges)."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from fmpc.ir.core import Module, Op, Value
from fmpc.ir.graph import dataflow_graph
from fmpc.passes.analyses.manager import Analysis, AnalysisManager


@dataclass(frozen=True)
class UseDefGraph(Analysis):
    """Who uses what: an edge ``a -> b`` means op ``b`` uses a result of op ``a`` (the edge's
    ``value``). Uses inside nested regions are edges to the nested op that uses the value.

    Refers to the analysed module's ops, so it never survives a pass that changed the module.
    """

    identity_bound = True
    graph: nx.DiGraph

    @classmethod
    def compute(cls, module: Module, analyses: AnalysisManager) -> UseDefGraph:
        return cls(dataflow_graph(module))

    def users(self, value: Value) -> list[Op]:
        """The ops that use ``value``."""
        producer = value.owner
        if not isinstance(producer, Op) or producer not in self.graph:
            return []
        return [
            user for _, user, used in self.graph.out_edges(producer, data="value") if used is value
        ]

    def dependents(self, op: Op) -> set[Op]:
        """Every op that transitively uses a result of ``op``."""
        return set(nx.descendants(self.graph, op)) if op in self.graph else set()

    def depends_on(self, op: Op, other: Op) -> bool:
        """Whether ``op`` transitively uses a result of ``other``."""
        return op in self.graph and other in self.graph and nx.has_path(self.graph, other, op)

    def is_unused(self, op: Op) -> bool:
        """Whether no op uses any result of ``op``."""
        return op not in self.graph or self.graph.out_degree(op) == 0
