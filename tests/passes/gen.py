"""Hypothesis strategies for executable programs that exercise the passes.

Unlike ``tests/ir/gen.py`` (shapes for round-trips), these modules run: they call the routable
functions of the hash world (``tests/passes/support.hash_backends``) on patches and loop items
and are full of what the passes look for: duplicate calls, ``exists``/``find`` pairs, unused
calls, literals to fold, calls read only by a later ``and``/``or`` operand or one branch,
``len(filter) > 0``, ``any``/``all`` over a ``map``, flag loops, counting loops, loops that
return early, and now and then an op that fails (``xs[0]`` of an empty list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from fmpc.ir import Bool, Image, Int, List, Module, Patch, Region, Str, Value
from fmpc.ir import ops as o
from fmpc.ir.types import Type

NAMES = ("cat", "7", "red")
QUESTIONS = ("what is it?", "is it red?")
RESULT_TYPES = (Bool, Int, Str)

SIMPLE = ("exists", "find", "verify", "query", "dup", "pair", "const", "arith", "cmp", "not",
          "notnot", "len", "unused", "index")  # fmt: skip
NESTED = ("and", "and", "and", "if", "if_return", "for_flag", "for_count", "for_return", "map",
          "filter_len", "filter_len", "any", "any_map", "any_map")  # fmt: skip


@dataclass
class _Gen:
    draw: st.DrawFn
    result_type: Type
    sites: list[int] = field(default_factory=lambda: [0])

    def site(self) -> int:
        self.sites[0] += 1
        return self.sites[0] - 1

    def choice(self, options: tuple | list) -> Any:  # type: ignore[type-arg]
        return self.draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent


class _Block:
    """A region being built with the values visible in it."""

    def __init__(self, gen: _Gen, region: Region, scope: list[Value]) -> None:
        self.gen = gen
        self.region = region
        self.scope = scope

    def add(self, op: o.Op) -> o.Op:
        self.region.append(op)
        self.scope.extend(op.results)
        return op

    def const(self, value: Any, t: Type) -> Value:
        return self.add(o.ConstOp([], [t], {"value": value})).result

    def value(self, t: Type) -> Value:
        found = [v for v in self.scope if v.type == t]
        if found and self.gen.chance(80):
            recent = found[-3:] if self.gen.chance(60) else found
            return self.gen.choice(recent)  # type: ignore[return-value]
        if t == Bool:
            return self.const(self.gen.chance(50), Bool)
        if t == Int:
            return self.const(self.gen.draw(st.integers(-1, 3)), Int)
        if t == Str:
            return self.const(self.gen.choice(NAMES + ("yes",)), Str)
        if t == Patch:
            return self.patch()
        if t == List(Patch):
            return self.call("find", [self.patch(), self.name()], List(Patch))
        raise AssertionError(t)

    def patch(self) -> Value:
        found = [v for v in self.scope if v.type == Patch]
        return self.gen.choice(found)  # type: ignore[return-value]

    def name(self) -> Value:
        return self.value_of_literal(self.gen.choice(NAMES), Str)

    def value_of_literal(self, literal: Any, t: Type) -> Value:
        for v in self.scope:
            owner = v.owner
            if (
                isinstance(owner, o.ConstOp)
                and owner.attributes["value"] == literal
                and v.type == t
            ):
                return v
        return self.const(literal, t)

    def call(self, fn: str, args: list[Value], t: Type) -> Value:
        op = o.CallOp(args, [t], {"fn": fn, "site": self.gen.site()})
        return self.add(op).result

    # ------------------------------------------------------------ statements
    def statements(self, depth: int, count: int) -> None:
        for _ in range(count):
            self.statement(depth)

    def statement(self, depth: int) -> None:
        nested = depth < 2 and self.gen.chance(45 if depth == 0 else 20)
        kind = str(self.gen.choice(NESTED if nested else SIMPLE))
        getattr(self, f"s_{kind}")(depth)

    def answer(self) -> Value:
        """The function's result, read from several computed values so most code is live."""
        t = self.gen.result_type
        computed = [v for v in self.scope if not isinstance(v.owner, o.ConstOp | o.LibOp | Region)]
        if t != Str or not computed or self.gen.chance(15):
            return self.value(t)
        count = self.gen.draw(st.integers(1, min(6, len(computed))))
        chosen = self.gen.draw(st.permutations(computed))[:count]
        parts = [self.readable(v) for v in chosen]
        template = " ".join("{}" for _ in parts)
        return self.add(o.FormatOp(parts, [Str], {"template": template})).result

    def readable(self, value: Value) -> Value:
        """``value``, or its length for a list, or its width for a patch."""
        if value.type in RESULT_TYPES:
            return value
        if value.type == Patch:
            return self.add(o.LibOp([value], [Int], {"fn": "width"})).result
        return self.add(o.LenOp([value], [Int])).result

    # ------------------------------------------------------------ simple statements
    def s_exists(self, depth: int) -> None:
        self.call("exists", [self.patch(), self.name()], Bool)

    def s_find(self, depth: int) -> None:
        self.call("find", [self.patch(), self.name()], List(Patch))

    def s_verify(self, depth: int) -> None:
        prop = self.value_of_literal(self.gen.choice(("red", "cat")), Str)
        self.call("verify_property", [self.patch(), self.name(), prop], Bool)

    def s_query(self, depth: int) -> None:
        question = self.value_of_literal(self.gen.choice(QUESTIONS), Str)
        self.call("simple_query", [self.patch(), question], Str)

    def s_dup(self, depth: int) -> None:
        calls = [v.owner for v in self.scope if isinstance(v.owner, o.CallOp)]
        if not calls:
            return self.s_exists(depth)
        original = self.gen.choice(calls)
        assert isinstance(original, o.CallOp)
        self.call(original.fn, list(original.operands), original.result.type)
        return None

    def s_pair(self, depth: int) -> None:
        patch, name = self.patch(), self.name()
        first, second = ("exists", "find") if self.gen.chance(50) else ("find", "exists")
        for fn in (first, second):
            self.call(fn, [patch, name], Bool if fn == "exists" else List(Patch))

    def s_const(self, depth: int) -> None:
        self.value(self.gen.choice(RESULT_TYPES))  # type: ignore[arg-type]

    def s_arith(self, depth: int) -> None:
        cls = self.gen.choice((o.AddOp, o.SubOp, o.MulOp))
        self.add(cls([self.value(Int), self.value(Int)], [Int]))  # type: ignore[operator]

    def s_cmp(self, depth: int) -> None:
        pred = self.gen.choice(("eq", "lt", "gt", "ne"))
        self.add(o.CmpOp([self.value(Int), self.value(Int)], [Bool], {"pred": pred}))

    def s_not(self, depth: int) -> None:
        self.add(o.NotOp([self.value(Bool)], [Bool]))

    def s_notnot(self, depth: int) -> None:
        inner = self.add(o.NotOp([self.value(Bool)], [Bool])).result
        self.add(o.NotOp([inner], [Bool]))

    def s_len(self, depth: int) -> None:
        self.add(o.LenOp([self.value(List(Patch))], [Int]))

    def s_unused(self, depth: int) -> None:
        self.s_query(depth)
        self.scope.pop()  # nobody will read it

    def s_index(self, depth: int) -> None:
        if self.gen.chance(70):
            return  # rare: it may fail
        zero = self.value_of_literal(0, Int)
        self.add(o.IndexOp([self.value(List(Patch)), zero], [Patch]))

    # ------------------------------------------------------------ nested statements
    def child(self, args: list[Type]) -> _Block:
        region = Region(args)
        return _Block(self.gen, region, self.scope + list(region.args))

    def s_and(self, depth: int) -> None:
        cls = self.gen.choice((o.AndOp, o.OrOp))
        regions = []
        for _ in range(self.gen.draw(st.integers(2, 3))):
            block = self.child([])
            block.region.append(o.YieldOp([block.operand(depth)]))
            regions.append(block.region)
        self.add(cls([], [Bool], regions=regions))  # type: ignore[operator]

    def operand(self, depth: int) -> Value:
        """A ``Bool`` for an ``and``/``or`` operand: a call made here, a value computed
        earlier (which a call may feed), or a test without calls."""
        roll = self.gen.draw(st.integers(0, 9))
        if roll < 4:
            if roll == 0:
                self.statements(depth + 1, 1)
            self.s_verify(depth) if roll % 2 else self.s_exists(depth)
            return self.scope[-1]
        earlier = [v for v in self.scope if v.type == Bool and not isinstance(v.owner, o.ConstOp)]
        if roll < 7 and earlier:
            return self.gen.choice(earlier)  # type: ignore[return-value]
        size = self.add(o.LenOp([self.value(List(Patch))], [Int])).result
        bound = self.value_of_literal(self.gen.draw(st.integers(0, 2)), Int)
        return self.add(o.CmpOp([size, bound], [Bool], {"pred": "gt"})).result

    def s_if(self, depth: int) -> None:
        t = self.gen.choice(RESULT_TYPES)
        cond = self.value(Bool)
        regions = []
        for _ in range(2):
            block = self.child([])
            block.statements(depth + 1, self.gen.draw(st.integers(0, 2)))
            block.region.append(o.YieldOp([block.value(t)]))  # type: ignore[arg-type]
            regions.append(block.region)
        self.add(o.IfOp([cond], [t], regions=regions))  # type: ignore[list-item]

    def s_if_return(self, depth: int) -> None:
        cond = self.value(Bool)
        then = self.child([])
        then.statements(depth + 1, self.gen.draw(st.integers(0, 1)))
        then.region.append(o.ReturnOp([then.value(self.gen.result_type)]))
        self.add(o.IfOp([cond], [], regions=[then.region, Region([], [o.YieldOp([])])]))

    def item_call(self, block: _Block, item: Value) -> Value:
        if self.gen.chance(70):
            prop = block.value_of_literal(self.gen.choice(("red", "cat")), Str)
            return block.call("verify_property", [item, block.name(), prop], Bool)
        return block.call("exists", [item, block.name()], Bool)

    def s_for_flag(self, depth: int) -> None:
        items = self.value(List(Patch))
        body = self.child([Int, Patch, Bool])
        _, item, acc = body.region.args
        hit = self.item_call(body, item)
        then = Region([], [o.ConstOp([], [Bool], {"value": True})])
        then.append(o.YieldOp([then.ops[0].result]))
        chosen = o.IfOp([hit], [Bool], regions=[then, Region([], [o.YieldOp([acc])])])
        body.add(chosen)
        body.region.append(o.YieldOp([chosen.result]))
        start = self.value_of_literal(False, Bool)
        self.add(o.ForOp([items, start], [Bool], regions=[body.region]))

    def s_for_count(self, depth: int) -> None:
        items = self.value(List(Patch))
        body = self.child([Int, Patch, Int])
        _, item, count = body.region.args
        if self.gen.chance(30):
            skip = body.value(Bool)
            jump = Region([], [o.ContinueOp([count])])
            body.add(o.IfOp([skip], [], regions=[jump, Region([], [o.YieldOp([])])]))
        hit = self.item_call(body, item)
        one = body.add(o.CastOp([hit], [Int])).result
        total = body.add(o.AddOp([count, one], [Int])).result
        body.region.append(o.YieldOp([total]))
        self.add(o.ForOp([items, self.value_of_literal(0, Int)], [Int], regions=[body.region]))

    def s_for_return(self, depth: int) -> None:
        items = self.value(List(Patch))
        body = self.child([Int, Patch])
        hit = self.item_call(body, body.region.args[1])
        then = self.child([])
        then.region.append(o.ReturnOp([then.value(self.gen.result_type)]))
        body.add(o.IfOp([hit], [], regions=[then.region, Region([], [o.YieldOp([])])]))
        body.region.append(o.YieldOp([]))
        self.add(o.ForOp([items], [], regions=[body.region]))

    def mapped(self, depth: int) -> tuple[Value, o.Op]:
        items = self.value(List(Patch))
        body = self.child([Int, Patch])
        if self.gen.chance(30):
            body.statements(depth + 1, 1)
        value = self.item_call(body, body.region.args[1])
        body.region.append(o.YieldOp([value]))
        return items, o.MapOp([items], [List(Bool)], regions=[body.region])

    def s_map(self, depth: int) -> None:
        self.add(self.mapped(depth)[1])

    def s_filter_len(self, depth: int) -> None:
        items = self.value(List(Patch))
        body = self.child([Int, Patch])
        body.region.append(o.YieldOp([self.item_call(body, body.region.args[1])]))
        kept = self.add(o.FilterOp([items], [List(Patch)], regions=[body.region])).result
        size = self.add(o.LenOp([kept], [Int])).result
        pred, bound = self.gen.draw(st.sampled_from((("gt", 0), ("eq", 0), ("ge", 1), ("ne", 0))))
        limit = self.value_of_literal(bound, Int)
        self.add(o.CmpOp([size, limit], [Bool], {"pred": pred}))

    def s_any(self, depth: int) -> None:
        items = self.value(List(Patch))
        body = self.child([Int, Patch])
        body.region.append(o.YieldOp([self.item_call(body, body.region.args[1])]))
        cls = self.gen.choice((o.AnyOp, o.AllOp))
        self.add(cls([items], [Bool], regions=[body.region]))  # type: ignore[operator]

    def s_any_map(self, depth: int) -> None:
        _, producer = self.mapped(depth)
        flags = self.add(producer).result
        body = Region([Int, Bool])
        body.append(o.YieldOp([body.args[1]]))
        cls = self.gen.choice((o.AnyOp, o.AllOp))
        self.add(cls([flags], [Bool], regions=[body]))  # type: ignore[operator]


@st.composite
def programs(draw: st.DrawFn) -> Module:
    """A verified, executable module for the hash world."""
    result_type = draw(st.sampled_from(RESULT_TYPES + (Str, Str, Str)))
    gen = _Gen(draw, result_type)
    entry = Region([Image], arg_names=["image"])
    block = _Block(gen, entry, list(entry.args))
    block.add(o.LibOp([entry.args[0]], [Patch], {"fn": "image_patch"}))
    block.statements(0, draw(st.integers(2, 7)))
    entry.append(o.ReturnOp([block.answer()]))
    func = o.FuncOp(
        attributes={"sym_name": Module.ENTRY, "result_type": result_type}, regions=[entry]
    )
    return Module([func])
