"""Lowering of comprehensions and of what loops bind: ``[e for x in xs if c]``, the generator
expressions of ``any``/``all``/``sum``/``min``/``max``, and ``for`` targets (``x``, ``i, x`` over
``enumerate``)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from fmpc.frontend.expressions import ExpressionMixin
from fmpc.frontend.typesys import describe
from fmpc.ir.core import Region, Value
from fmpc.ir.ops import FilterOp, MapOp
from fmpc.ir.types import Bool, Int, ListType, Str


@dataclass(frozen=True)
class Target:
    """The names a loop or comprehension binds: the item and optionally the enumerate index."""

    item: str
    index: str | None = None


class ComprehensionMixin(ExpressionMixin):
    """Comprehensions, generator expressions and loop targets."""

    def expr_ListComp(self, node: ast.ListComp) -> Value:  # noqa: N802
        return self.comprehension_list(node.elt, node.generators, node)

    def comprehension_list(
        self, element: ast.expr, generators: list[ast.comprehension], node: ast.AST
    ) -> Value:
        """``[element for target in xs if ...]``: filters, then a map unless ``element`` is the item."""
        source = self.comprehension(generators, element, node)
        if source is None:
            return self.poison()
        seq, target = source
        if isinstance(element, ast.Name) and element.id == target.item:
            return seq
        region, value = self.iteration_region(seq, target, lambda: self.expr(element))
        if self.quiet(value):
            return self.poison()
        self.yield_in(region, [value], [value.type], element)
        return self.emit(MapOp, node, [seq], [ListType(value.type)], regions=[region]).result

    def comprehension(
        self, generators: list[ast.comprehension], element: ast.expr, node: ast.AST
    ) -> tuple[Value, Target] | None:
        """The filtered list a comprehension iterates over, and the names it binds."""
        if len(generators) != 1:
            self.error(
                node,
                "only one `for` per comprehension is supported; use nested for loops with append",
            )
            return None
        gen = generators[0]
        if gen.is_async:
            self.error(node, "async comprehensions are not supported")
            return None
        found = self.loop_target(gen.target, gen.iter)
        if found is None:
            return None
        target, seq_node = found
        if target.index is not None and gen.ifs and _uses(target.index, [*gen.ifs[1:], element]):
            self.error(
                node,
                f"the enumerate index '{target.index}' can only be used in the first `if` filter",
            )
            return None
        seq = self.iterable(seq_node)
        for cond in gen.ifs:
            if self.quiet(seq):
                return None
            region, keep = self.iteration_region(seq, target, partial(self.condition, cond))
            self.yield_in(region, [keep], [Bool], cond)
            seq = self.emit(FilterOp, cond, [seq], [seq.type], regions=[region]).result
        return None if self.quiet(seq) else (seq, target)

    def loop_target(self, target: ast.expr, iterable: ast.expr) -> tuple[Target, ast.expr] | None:
        """The names bound by ``for target in iterable`` and the node of the list iterated."""
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "enumerate"
        ):
            if len(iterable.args) != 1 or iterable.keywords:
                self.error(iterable, "enumerate() takes exactly one list (start= is not supported)")
                return None
            elts = target.elts if isinstance(target, ast.Tuple) else []
            if len(elts) != 2 or not all(isinstance(e, ast.Name) for e in elts):
                self.error(
                    target,
                    "enumerate yields (index, item) pairs; write `for i, x in enumerate(xs)`",
                )
                return None
            index, item = elts
            assert isinstance(index, ast.Name) and isinstance(item, ast.Name)
            return Target(item.id, index.id), iterable.args[0]
        if not isinstance(target, ast.Name):
            self.error(
                target,
                "a loop binds one name; tuple unpacking is only supported as `for i, x in enumerate(xs)`",
            )
            return None
        return Target(target.id), iterable

    def iterable(self, node: ast.expr) -> Value:
        """A value iterated over; it must be a list."""
        seq = self.expr(node)
        if self.quiet(seq) or isinstance(seq.type, ListType):
            return seq
        if seq.type == Str:
            return self.error(
                node, "cannot iterate over a string; split it into a list with .split()"
            )
        if node in self.program.rejected:
            return self.poison()
        return self.type_error(
            node, f"can only iterate over a list, not {describe(seq.type)}", seq.type
        )

    def iteration_region(
        self, seq: Value, target: Target, body: Callable[[], Value]
    ) -> tuple[Region, Value]:
        """A region ``(index, item)`` over ``seq`` binding ``target``, and the value ``body`` lowers in it."""
        assert isinstance(seq.type, ListType)
        region = Region([Int, seq.type.element], arg_names=[target.index, target.item])
        with self.in_region(region):
            if target.index is not None:
                self.bind(target.index, region.args[0])
            self.bind(target.item, region.args[1])
            self.loop_items.add(region.args[1])
            value = body()
        return region, value


def _uses(name: str, nodes: Sequence[ast.AST]) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for node in nodes for n in ast.walk(node))
