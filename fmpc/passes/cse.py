"""``cse``: identical pure ops and identical routable calls merge; ``exists`` shares ``find``.

An op is merged into an identical one (same op, operands, attributes other than ``site``, result
types) that dominates it: earlier in the same region or in an enclosing region. The first operand
of an ``and``/``or`` runs whenever the ``and``/``or`` does, so an op there also serves later ops:
it moves out, right before the ``and``/``or``, when one of them needs it. For routable
calls this saves backend calls, since the earlier call always ran first. With ``exists_via_find``
(the default), ``exists(p, name)`` next to ``find(p, name)`` on the same values becomes
``len(find(p, name)) > 0``, so one detector call serves both; when the ``exists`` comes first, the
``find`` moves up to its place. This relies on the library's identity
``exists(p, n) == (len(find(p, n)) > 0)``, which backends are expected to honour.

Before::

    %e = fmpc.call(%patch, %seven) {fn = "exists", site = 0} : (Patch, Str) -> Bool
    %f = fmpc.call(%patch, %seven) {fn = "find", site = 1} : (Patch, Str) -> List[Patch]
    %g = fmpc.call(%patch, %seven) {fn = "find", site = 2} : (Patch, Str) -> List[Patch]

After::

    %f = fmpc.call(%patch, %seven) {fn = "find", site = 1} : (Patch, Str) -> List[Patch]
    %n = fmpc.len(%f) : (List[Patch]) -> Int
    %zero = fmpc.const() {value = 0} : () -> Int
    %e = fmpc.cmp(%n, %zero) {pred = "gt"} : (Int, Int) -> Bool
    (uses of %g now use %f)
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Hashable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fmpc.ir.core import Module, Op, Region, Trait, Value
from fmpc.ir.ops import AndOp, CallOp, CmpOp, ConstOp, LenOp, OrOp
from fmpc.ir.rewriting import ancestor_in, defining_op, is_inside
from fmpc.ir.types import Bool, Int
from fmpc.passes.analyses.manager import AnalysisManager
from fmpc.passes.base import Pass, PassResult, register_pass
from fmpc.passes.rewrite import Rewriter

Scope = ChainMap[Hashable, Any]


def attribute_key(value: Any) -> Hashable:
    """A hashable key telling attribute values apart exactly (``True`` from ``1``, ``-0.0``
    from ``0.0``, NaN equal to itself)."""
    if isinstance(value, tuple):
        return ("tuple", tuple(attribute_key(v) for v in value))
    return (type(value).__name__, repr(value))


def op_key(op: Op) -> Hashable | None:
    """What makes two ops interchangeable, or ``None`` if ``op`` may not be merged."""
    if op.regions or not op.results:
        return None
    if not (op.has_trait(Trait.PURE) or op.has_trait(Trait.ROUTABLE)):
        return None
    attributes = tuple(
        sorted((k, attribute_key(v)) for k, v in op.attributes.items() if k != "site")
    )
    return (type(op), tuple(op.operands), attributes, tuple(r.type for r in op.results))


def _plain_call(op: Op, fn: str) -> bool:
    extra = set(op.attributes) - {"fn", "site"}
    return type(op) is CallOp and op.attributes.get("fn") == fn and not extra


class _Merger:
    def __init__(self, rewriter: Rewriter, exists_via_find: bool) -> None:
        self.rw = rewriter
        self.exists_via_find = exists_via_find

    def region(self, region: Region, scope: Scope) -> None:
        for op in list(region.ops):
            if op.parent is region:
                self.visit(op, scope)

    def visit(self, op: Op, scope: Scope) -> None:
        if not self.merge(op, scope):
            for index, region in enumerate(op.regions):
                inner: Scope = ChainMap() if op.has_trait(Trait.ISOLATED) else scope.new_child()
                self.region(region, inner)
                if index == 0 and isinstance(op, AndOp | OrOp):
                    self.offer(region, inner.maps[0], op, scope)

    def offer(
        self, region: Region, table: MutableMapping[Hashable, Any], owner: Op, scope: Scope
    ) -> None:
        """Make the ops of the first operand of ``owner`` (an ``and``/``or``) available to
        later ops: that operand runs whenever ``owner`` does."""
        for key, found in table.items():
            if not isinstance(found, list) or key in scope:
                continue
            producer = defining_op(found[0])
            if (
                producer is not None
                and producer.parent is region
                and not any(_defined_inside(v, region) for v in producer.operands)
            ):
                scope[key] = _Hoistable(producer, owner)

    def merge(self, op: Op, scope: Scope) -> bool:
        """Merge ``op`` into an earlier identical op, or record it; True if ``op`` is gone."""
        key = op_key(op)
        if key is None:
            return False
        found = scope.get(key)
        if isinstance(found, _Hoistable):
            self.rw.move_before(found.op, found.anchor)
            found = list(found.op.results)
            _chain_from(scope, key).maps[0][key] = found
        if found is not None:
            self.rw.replace_op(op, found)
            return True
        if self.exists_via_find and self.pair_exists_find(op, scope):
            return True
        scope[key] = list(op.results)
        if _plain_call(op, "find"):
            scope[("find", tuple(op.operands))] = op
        elif _plain_call(op, "exists"):
            scope[("exists", tuple(op.operands))] = op
        return False

    def pair_exists_find(self, op: Op, scope: Scope) -> bool:
        if _plain_call(op, "exists"):
            find = scope.get(("find", tuple(op.operands)))
            if find is not None:
                self.replace_exists(op, find, scope)
                return True
        if _plain_call(op, "find"):
            exists = scope.get(("exists", tuple(op.operands)))
            if exists is not None:
                self.hoist_find(op, exists, scope)
                return True
        return False

    def replace_exists(self, exists: Op, find: Op, scope: Scope) -> None:
        """``exists(p, n) -> len(find(p, n)) > 0`` with an earlier ``find``."""
        size = self.new(LenOp([find.result], [Int], loc=exists.loc), exists, scope)
        zero = self.new(ConstOp([], [Int], {"value": 0}, loc=exists.loc), exists, scope)
        test = CmpOp([size, zero], [Bool], {"pred": "gt"}, loc=exists.loc)
        result = self.new(test, exists, scope)
        result.name_hint = result.name_hint or exists.result.name_hint
        self.rw.replace_op(exists, [result])

    def hoist_find(self, find: Op, exists: Op, scope: Scope) -> None:
        """Move a later ``find`` up to an earlier ``exists`` on the same values and derive the
        ``exists`` from it."""
        outer = _chain_from(scope, ("exists", tuple(exists.operands)))
        home = outer.maps[0]
        del home[("exists", tuple(exists.operands))]
        del home[op_key(exists)]
        moved = CallOp(list(find.operands), [find.result.type], dict(find.attributes), loc=find.loc)
        moved.result.name_hint = find.result.name_hint
        self.rw.insert_before(exists, moved)
        self.rw.replace_op(find, [moved.result])
        home[op_key(moved)] = [moved.result]
        home[("find", tuple(moved.operands))] = moved
        self.replace_exists(exists, moved, outer)

    def new(self, op: Op, anchor: Op, scope: Scope) -> Value:
        """Insert the new pure ``op`` before ``anchor``, merged with an identical earlier one."""
        key = op_key(op)
        found = scope.get(key)
        if isinstance(found, list) and _defined_before(found[0], anchor):
            return found[0]  # type: ignore[no-any-return]
        self.rw.insert_before(anchor, op)
        scope[key] = list(op.results)
        return op.result


@dataclass(frozen=True)
class _Hoistable:
    """An op in the first operand of ``anchor`` (an ``and``/``or``), which runs whenever
    ``anchor`` does: it may move right before ``anchor`` to serve a later identical op."""

    op: Op
    anchor: Op


def _defined_inside(value: Value, region: Region) -> bool:
    owner = value.owner
    if isinstance(owner, Region):
        return owner is region or (owner.parent is not None and is_inside(owner.parent, region))
    return isinstance(owner, Op) and is_inside(owner, region)


def _defined_before(value: Value, anchor: Op) -> bool:
    """Whether ``value`` is defined before ``anchor`` runs (earlier in an enclosing region)."""
    producer = defining_op(value)
    if producer is None or producer.parent is None:
        return False
    outer = ancestor_in(anchor, producer.parent)
    region_ops = producer.parent.ops
    return outer is not None and region_ops.index(producer) < region_ops.index(outer)


def _chain_from(scope: Scope, key: Hashable) -> Scope:
    """The part of ``scope`` starting at the map that holds ``key``."""
    for index, mapping in enumerate(scope.maps):
        if key in mapping:
            return ChainMap(*scope.maps[index:])
    raise KeyError(key)


@register_pass
@dataclass(frozen=True)
class CSE(Pass):
    """Merge identical pure ops and identical routable calls, and let ``exists`` share a
    ``find`` of the same values.

    The module docstring gives the rules and a before/after example.
    """

    name = "cse"
    exists_via_find: bool = True

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        work = module.clone()
        rewriter = Rewriter(work)
        merger = _Merger(rewriter, self.exists_via_find)
        for func in work.body.ops:
            merger.region(func.regions[0], ChainMap())
        if not rewriter.changed:
            return PassResult.unchanged(module)
        return PassResult(work, True)
