"""``early-exit``: evaluate lazily, and try the cheap, decisive operands first.

Four rewrites, none of which changes an answer or a failure:

* **sinking** — a routable call whose result is used only inside one later operand of an
  ``and``/``or`` (not the first) or one branch of an ``if`` moves into that region, so it runs
  only when the region does; a call whose first use comes after an early exit
  (``if ...: return``) moves down past it;
* **lazy search** — ``len([x for x in xs if c(x)]) > 0`` becomes ``any(c(x) for x in xs)``,
  ``any``/``all`` over a ``map`` fuse into one loop that stops at the first decisive item, and a
  ``for`` loop that only raises a ``Bool`` flag (``found = True``) breaks once the flag is set;
* **rank ordering** — the operands of a ``Bool`` ``and``/``or`` that neither fail nor leave are
  put in increasing order of ``cost / P(operand decides)`` (the rank ordering of expensive
  predicates): cost from the cost model, the probability from profile data (how often the call
  yielding the operand's value was truthy). Without profile data for every calling operand
  (``order = "auto"``), only operands without calls move ahead of the others: the author's order
  is the prior, so no input ever runs more calls than before. ``order = "rank"`` uses the declared
  ``decide_prior`` for operands without data; ``order = "none"`` keeps the order.

Before::

    %big = fmpc.call(%patch, %q) {fn = "query", site = 0} : (Patch, Str) -> Str
    %ok = fmpc.and() : () -> Bool {
      %e = fmpc.call(%patch, %seven) {fn = "exists", site = 1} : (Patch, Str) -> Bool
      fmpc.yield(%e) : (Bool) -> ()
    } {
      %y = fmpc.cmp(%big, %yes) {pred = "eq"} : (Str, Str) -> Bool
      fmpc.yield(%y) : (Bool) -> ()
    }

After (the query runs only when the first operand holds)::

    %ok = fmpc.and() : () -> Bool {
      %e = fmpc.call(%patch, %seven) {fn = "exists", site = 1} : (Patch, Str) -> Bool
      fmpc.yield(%e) : (Bool) -> ()
    } {
      %big = fmpc.call(%patch, %q) {fn = "query", site = 0} : (Patch, Str) -> Str
      %y = fmpc.cmp(%big, %yes) {pred = "eq"} : (Str, Str) -> Bool
      fmpc.yield(%y) : (Bool) -> ()
    }
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from fmpc.ir.core import Module, Op, Region, Trait, Value
from fmpc.ir.ops import (
    AllOp,
    AndOp,
    AnyOp,
    BreakOp,
    CastOp,
    CmpOp,
    ContinueOp,
    FilterOp,
    ForOp,
    IfOp,
    LenOp,
    MapOp,
    NotOp,
    OrOp,
    YieldOp,
)
from fmpc.ir.rewriting import ancestor_in, defining_op
from fmpc.ir.types import Bool, Int
from fmpc.passes.analyses.cost import CostModel
from fmpc.passes.analyses.manager import AnalysisManager
from fmpc.passes.analyses.profile_data import ProfileData
from fmpc.passes.base import Pass, PassResult, register_pass
from fmpc.passes.effects import exits, is_removable, op_exits, region_can_fail
from fmpc.passes.patterns import NOT_CONSTANT, constant, is_quiet, yielded
from fmpc.passes.rewrite import RewritePattern, Rewriter, apply_patterns

Order = Literal["auto", "rank", "none"]

# ---------------------------------------------------------------- sinking


class SinkCall(RewritePattern):
    """An op that calls a backend (or computes from such a call) and neither fails nor leaves
    moves into the one lazily run region of a later op where all its users are; otherwise it
    moves down past ops that may leave early (``if ...: return``) to just before its first user."""

    def applies_to(self, op: Op) -> bool:
        return bool(op.results) and _feeds_on_calls(op) and is_removable(op)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        target = self.target(op, rewriter)
        if target is not None:
            rewriter.move_to_start(op, target)
            return True
        first = self.first_user(op, rewriter)
        if first is None:
            return False
        rewriter.move_before(op, first)
        return True

    @staticmethod
    def first_user(op: Op, rw: Rewriter) -> Op | None:
        """The op of ``op``'s region holding its first user, if an op that may leave the
        region lies between the two."""
        home = op.parent
        users = [user for result in op.results for user in rw.users(result)]
        if home is None or not users:
            return None
        holders = [ancestor_in(user, home) for user in users]
        start = home.ops.index(op)
        first = min(home.ops.index(h) for h in holders if h is not None)
        between = home.ops[start + 1 : first]
        return home.ops[first] if any(op_exits(o) for o in between) else None

    @staticmethod
    def target(op: Op, rw: Rewriter) -> Region | None:
        """The region to sink ``op`` into, if there is exactly one good one."""
        home = op.parent
        users = [user for result in op.results for user in rw.users(result)]
        if home is None or not users:
            return None
        regions = {_region_below(user, home) for user in users}
        if len(regions) != 1:
            return None
        region = regions.pop()
        if region is None:
            return None
        owner = region.parent
        lazy_operand = isinstance(owner, AndOp | OrOp) and owner.regions.index(region) > 0
        return region if lazy_operand or isinstance(owner, IfOp) else None


def _feeds_on_calls(op: Op) -> bool:
    """Whether ``op`` contains a routable call or uses, within its region, a value computed
    from one. Each producer is visited once: values used twice (``x * x``, repeated) would
    otherwise make the walk exponential."""
    seen: set[int] = set()
    pending = [op]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if any(inner.has_trait(Trait.ROUTABLE) for inner in current.walk()):
            return True
        for value in current.operands:
            producer = defining_op(value)
            if producer is not None and producer.parent is op.parent:
                pending.append(producer)
    return False


def _region_below(user: Op, home: Region) -> Region | None:
    """The region of the op in ``home`` that contains ``user`` (``None`` if ``user`` is in
    ``home`` itself)."""
    outer = ancestor_in(user, home)
    if outer is None or outer is user:
        return None
    current = user
    while current.parent_op() is not outer:
        parent = current.parent_op()
        assert parent is not None
        current = parent
    return current.parent


# ---------------------------------------------------------------- lazy search


_NONEMPTY = MappingProxyType(
    {
        ("gt", 0): True,
        ("ne", 0): True,
        ("ge", 1): True,
        ("eq", 0): False,
        ("le", 0): False,
        ("lt", 1): False,
    }  # fmt: skip
)
"""``len(xs) <pred> <bound>`` -> whether it means "xs is not empty" (True) or "empty" (False)."""
_FLIPPED = MappingProxyType(
    {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge", "eq": "eq", "ne": "ne"}
)


class FilterLenToAny(RewritePattern):
    """``len(filter(xs, c)) > 0 -> any(xs, c)``;  ``len(filter(xs, c)) == 0 -> not any(xs, c)``."""

    op_types = (CmpOp,)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        found = self.match(op, rewriter)
        if found is None:
            return False
        filter_op, length, nonempty = found
        body = rewriter.drop_region(filter_op, 0)
        test = rewriter.insert_before(op, AnyOp([filter_op.operands[0]], [Bool], loc=filter_op.loc))
        rewriter.adopt_region(test, 0, body)
        result = test.result
        if not nonempty:
            result = rewriter.insert_before(op, NotOp([result], [Bool], loc=op.loc)).result
        rewriter.replace_op(op, [result])
        rewriter.erase_op(length)
        rewriter.erase_op(filter_op)
        return True

    @staticmethod
    def match(op: Op, rw: Rewriter) -> tuple[Op, Op, bool] | None:
        pred = str(op.attributes["pred"])
        lhs, rhs = op.operands
        if constant(lhs) is not NOT_CONSTANT:
            lhs, rhs, pred = rhs, lhs, _FLIPPED.get(pred, pred)
        bound = constant(rhs)
        if type(bound) is not int or (pred, bound) not in _NONEMPTY:
            return None
        length = defining_op(lhs)
        if not isinstance(length, LenOp) or len(rw.users(lhs)) != 1:
            return None
        filter_op = defining_op(length.operands[0])
        if not isinstance(filter_op, FilterOp) or len(rw.users(filter_op.result)) != 1:
            return None
        if not is_quiet(filter_op.regions[0]):
            return None
        return filter_op, length, _NONEMPTY[(pred, bound)]


class FuseMapIntoAnyAll(RewritePattern):
    """``any(f(x) for x in xs)`` written over a list ``[f(x) for x in xs]``: one loop that stops
    at the first decisive item: ``any(map(xs, f), g) -> any(xs, g . f)`` (same for ``all``)."""

    op_types = (AnyOp, AllOp)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        producer = defining_op(op.operands[0])
        if not isinstance(producer, MapOp) or len(rewriter.users(producer.result)) != 1:
            return False
        if not is_quiet(producer.regions[0]):
            return False
        body = self.fuse(producer, op, rewriter)
        fused = rewriter.insert_before(
            op, type(op)([producer.operands[0]], [Bool], dict(op.attributes), loc=op.loc)
        )
        rewriter.adopt_region(fused, 0, body)
        rewriter.replace_op(op, [fused.result])
        rewriter.erase_op(producer)
        return True

    @staticmethod
    def fuse(producer: Op, consumer: Op, rw: Rewriter) -> Region:
        """One region: the producer's body, then the consumer's on the produced item."""
        first, second = producer.regions[0], consumer.regions[0]
        body = Region([a.type for a in first.args], arg_names=[a.name_hint for a in first.args])
        produced = first.ops[-1].operands[0]
        if produced in first.args:
            produced = body.args[first.args.index(produced)]
        for inner in list(first.ops[:-1]):
            rw.move_to_end(inner, body)
        rw.erase_op(first.ops[-1])
        for old, new in zip(first.args, body.args, strict=True):
            rw.replace_all_uses(old, new)
        for inner in list(second.ops):
            rw.move_to_end(inner, body)
        rw.replace_all_uses(second.args[0], body.args[0])
        rw.replace_all_uses(second.args[1], produced)
        return body


class BreakOnFlag(RewritePattern):
    """A ``for`` loop whose only carried value is a ``Bool`` flag that, once true, stays true
    (``found = True``) stops as soon as the flag is set."""

    op_types = (ForOp,)

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        if len(op.results) != 1 or op.results[0].type != Bool:
            return False
        body = op.regions[0]
        flag = body.args[2]
        terminator = body.terminator
        if not isinstance(terminator, YieldOp) or terminator.operands[0] is flag:
            return False
        if _already_breaks(body) or region_can_fail(body) or _returns(body):
            return False
        carried = [t.operands[0] for t in _loop_continues(body)] + [terminator.operands[0]]
        if not all(_stays_true(v, flag) for v in carried):
            return False
        new = terminator.operands[0]
        then = Region([], [BreakOp([new], loc=op.loc)])
        other = Region([], [YieldOp([])])
        rewriter.insert_before(terminator, IfOp([new], [], regions=[then, other], loc=op.loc))
        return True


def _already_breaks(body: Region) -> bool:
    if len(body.ops) < 2 or not isinstance(body.ops[-2], IfOp):
        return False
    check = body.ops[-2]
    then = check.regions[0]
    return check.operands[0] is body.ops[-1].operands[0] and isinstance(then.ops[0], BreakOp)


def _returns(body: Region) -> bool:
    return any(not isinstance(t, BreakOp | ContinueOp) for t in exits(body))


def _loop_continues(body: Region) -> list[Op]:
    return [t for t in exits(body) if isinstance(t, ContinueOp)]


def _stays_true(value: Value, flag: Value) -> bool:
    """Whether ``value`` is true whenever the loop's ``flag`` is true."""
    if value is flag or constant(value) is True:
        return True
    op = defining_op(value)
    if isinstance(op, IfOp):
        index = op.results.index(value)
        branches = [r for r in op.regions if isinstance(r.terminator, YieldOp)]
        return all(_stays_true(r.ops[-1].operands[index], flag) for r in branches)
    if isinstance(op, OrOp) and op.result.type == Bool:
        return any(v is not None and _stays_true(v, flag) for v in map(yielded, op.regions))
    if isinstance(op, AndOp) and op.result.type == Bool:
        return all(v is not None and _stays_true(v, flag) for v in map(yielded, op.regions))
    return False


# ---------------------------------------------------------------- rank ordering


class RankOperands(RewritePattern):
    """Orders the operands of a ``Bool`` ``and``/``or`` by ``cost / P(decides)`` (see the
    module docstring), never moving an operand across one that may fail or leave."""

    op_types = (AndOp, OrOp)

    def __init__(self, costs: CostModel, profile: ProfileData, order: Order, prior: float) -> None:
        self.costs = costs
        self.profile = profile
        self.order = order
        self.prior = prior

    def match_and_rewrite(self, op: Op, rewriter: Rewriter) -> bool:
        if self.order == "none" or op.result.type != Bool:
            return False
        regions = list(op.regions)
        ordered: list[Region] = []
        segment: list[Region] = []
        for region in regions:
            if is_quiet(region) and yielded(region) is not None:
                segment.append(region)
                continue
            ordered += self.sort(op, segment) + [region]
            segment = []
        ordered += self.sort(op, segment)
        if ordered == regions:
            return False
        op.regions[:] = ordered
        rewriter.modified(op)
        return True

    def sort(self, op: Op, segment: list[Region]) -> list[Region]:
        """``segment`` in rank order (stable)."""
        costs = [self.costs.region_cost(r) for r in segment]
        chances = [decide_probability(r, isinstance(op, OrOp), self.profile) for r in segment]
        evidence = all(p is not None for c, p in zip(costs, chances, strict=True) if c > 0)
        if self.order == "auto" and not evidence:
            keys = [0.0 if c == 0 else 1.0 for c in costs]
        else:
            keys = [
                _rank(c, self.prior if p is None else p)
                for c, p in zip(costs, chances, strict=True)
            ]
        order = sorted(range(len(segment)), key=lambda i: keys[i])
        return [segment[i] for i in order]


def _rank(cost: float, chance: float) -> float:
    if cost == 0:
        return 0.0
    return math.inf if chance <= 0 else cost / chance


def decide_probability(region: Region, is_or: bool, profile: ProfileData) -> float | None:
    """How likely the operand ``region`` decides its ``and`` (falsy) / ``or`` (truthy), from
    profile data on the call its value comes from; ``None`` if unknown."""
    value = yielded(region)
    truthy = None if value is None else _truthy_rate(value, profile)
    if truthy is None:
        return None
    return truthy if is_or else 1.0 - truthy


def _truthy_rate(value: Value, profile: ProfileData) -> float | None:
    literal = constant(value)
    if literal is not NOT_CONSTANT:
        return 1.0 if literal else 0.0
    op = defining_op(value)
    if op is None:
        return None
    if op.has_trait(Trait.ROUTABLE) and isinstance(op.attributes.get("site"), int):
        return profile.truthy_rate(int(op.attributes["site"]))  # type: ignore[arg-type]
    if isinstance(op, NotOp) or (isinstance(op, CastOp) and op.result.type == Bool):
        inner = _truthy_rate(op.operands[0], profile)
        return None if inner is None else (1.0 - inner if isinstance(op, NotOp) else inner)
    if isinstance(op, LenOp):
        return _truthy_rate(op.operands[0], profile)
    if isinstance(op, CmpOp):
        return _nonempty_rate(op, profile)
    return None


def _nonempty_rate(op: Op, profile: ProfileData) -> float | None:
    lhs, rhs = op.operands
    if lhs.type != Int or type(constant(rhs)) is not int:
        return None
    meaning = _NONEMPTY.get((str(op.attributes["pred"]), constant(rhs)))
    inner = _truthy_rate(lhs, profile) if meaning is not None else None
    if inner is None:
        return None
    return inner if meaning else 1.0 - inner


# ---------------------------------------------------------------- the pass


@register_pass
@dataclass(frozen=True)
class EarlyExit(Pass):
    """Evaluate lazily and try cheap, decisive operands first: sink calls into the regions
    that use them, stop searches at the first decisive item, rank ``and``/``or`` operands.

    The module docstring gives the rules and a before/after example.
    """

    name = "early-exit"
    order: Order = "auto"
    decide_prior: float = 0.5
    sink: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.decide_prior <= 1.0:
            raise ValueError(f"decide_prior must be in (0, 1], got {self.decide_prior}")

    def run(self, module: Module, analyses: AnalysisManager) -> PassResult:
        work = module.clone()
        patterns: list[RewritePattern] = [FilterLenToAny(), FuseMapIntoAnyAll(), BreakOnFlag()]
        if self.sink:
            patterns.insert(0, SinkCall())
        ranking = RankOperands(
            analyses.get(CostModel), analyses.get(ProfileData), self.order, self.decide_prior
        )
        changed = apply_patterns(work, [*patterns, ranking])
        if not changed:
            return PassResult.unchanged(module)
        return PassResult(work, True, frozenset({CostModel, ProfileData}))
