"""Hypothesis strategies that build random, verified IR modules (for round-trip properties)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from fmpc.ir import (
    Bool,
    Float,
    Image,
    Int,
    List,
    Location,
    Module,
    NoneT,
    Patch,
    Region,
    Str,
    Value,
)
from fmpc.ir import ops as o

_CONSTS = {
    Int: st.integers(-5, 5),
    Float: st.floats(-10, 10, allow_nan=False),
    Str: st.sampled_from(["7", "red", "circle", 'a "quoted" word', ""]),
    Bool: st.booleans(),
    NoneT: st.none(),
}


@dataclass
class _Ctx:
    draw: st.DrawFn
    sites: list[int] = field(default_factory=lambda: [0])
    line: list[int] = field(default_factory=lambda: [1])

    def loc(self) -> Location | None:
        if not self.draw(st.booleans()):
            return None
        self.line[0] += 1
        return Location("gen.py", self.line[0], self.draw(st.integers(1, 40)))

    def site(self) -> int:
        self.sites[0] += 1
        return self.sites[0] - 1


def _pick(ctx: _Ctx, scope: list[Value], t: object) -> Value | None:
    choices = [v for v in scope if v.type == t]
    return ctx.draw(st.sampled_from(choices)) if choices else None


def _const(ctx: _Ctx, region: Region, scope: list[Value], t: object) -> Value:
    op = region.append(o.ConstOp([], [t], {"value": ctx.draw(_CONSTS[t])}, loc=ctx.loc()))  # type: ignore[index]
    scope.append(op.result)
    return op.result


def _value(ctx: _Ctx, region: Region, scope: list[Value], t: object) -> Value:
    return _pick(ctx, scope, t) or _const(ctx, region, scope, t)


def _patch(ctx: _Ctx, region: Region, scope: list[Value]) -> Value:
    found = _pick(ctx, scope, Patch)
    if found is not None:
        return found
    image = _pick(ctx, scope, Image)
    assert image is not None
    op = region.append(o.LibOp([image], [Patch], {"fn": "image_patch"}, loc=ctx.loc()))
    scope.append(op.result)
    return op.result


def _emit(ctx: _Ctx, region: Region, scope: list[Value], depth: int) -> None:
    kinds = ["const", "arith", "cmp", "not", "find", "exists", "len", "list"]
    if depth < 2:
        kinds += ["if", "and", "for", "map", "any", "sort"]
    kind = ctx.draw(st.sampled_from(kinds))
    loc = ctx.loc()
    op: o.Op
    if kind == "const":
        _const(ctx, region, scope, ctx.draw(st.sampled_from(list(_CONSTS))))
        return
    if kind == "arith":
        cls = ctx.draw(st.sampled_from([o.AddOp, o.SubOp, o.MulOp, o.TrueDivOp]))
        a, b = _value(ctx, region, scope, Int), _value(ctx, region, scope, Float)
        op = cls([a, b], [Float], loc=loc)
    elif kind == "cmp":
        pred = ctx.draw(st.sampled_from(["eq", "lt", "ge"]))
        op = o.CmpOp([_value(ctx, region, scope, Int)] * 2, [Bool], {"pred": pred}, loc=loc)
    elif kind == "not":
        op = o.NotOp([_value(ctx, region, scope, Bool)], [Bool], loc=loc)
    elif kind in ("find", "exists"):
        args = [_patch(ctx, region, scope), _value(ctx, region, scope, Str)]
        result = List(Patch) if kind == "find" else Bool
        op = o.CallOp(args, [result], {"fn": kind, "site": ctx.site()}, loc=loc)
    elif kind == "len":
        op = o.LenOp([_value(ctx, region, scope, Str)], [Int], loc=loc)
    elif kind == "list":
        items = [_value(ctx, region, scope, Int) for _ in range(ctx.draw(st.integers(0, 3)))]
        op = o.MakeListOp(items, [List(Int)], loc=loc)
    else:
        op = _structured(ctx, kind, region, scope, depth, loc)
    region.append(op)
    scope.extend(op.results)
    if op.results and ctx.draw(st.booleans()):
        op.results[0].name_hint = ctx.draw(st.sampled_from(["x", "found", "n", "7up"]))


def _body(ctx: _Ctx, scope: list[Value], args: list, depth: int, yields: list) -> Region:  # type: ignore[type-arg]
    region = Region(args)
    inner = scope + list(region.args)
    for _ in range(ctx.draw(st.integers(0, 3))):
        _emit(ctx, region, inner, depth + 1)
    region.append(o.YieldOp([_value(ctx, region, inner, t) for t in yields]))
    return region


def _structured(
    ctx: _Ctx, kind: str, region: Region, scope: list[Value], depth: int, loc: Location | None
) -> o.Op:
    if kind == "if":
        cond = _value(ctx, region, scope, Bool)
        return o.IfOp(
            [cond], [Int], regions=[_body(ctx, scope, [], depth, [Int]) for _ in range(2)], loc=loc
        )
    if kind == "and":
        cls = ctx.draw(st.sampled_from([o.AndOp, o.OrOp]))
        return cls(
            [],
            [Bool],
            regions=[
                _body(ctx, scope, [], depth, [Bool]) for _ in range(ctx.draw(st.integers(2, 3)))
            ],
            loc=loc,
        )
    items = _pick(ctx, scope, List(Int))
    if items is None:
        made = region.append(o.MakeListOp([_value(ctx, region, scope, Int)], [List(Int)]))
        items = made.result
        scope.append(items)
    if kind == "for":
        init = _value(ctx, region, scope, Int)
        return o.ForOp(
            [items, init],
            [Int],
            regions=[_body(ctx, scope, [Int, Int, Int], depth, [Int])],
            loc=loc,
        )
    if kind == "map":
        return o.MapOp(
            [items], [List(Str)], regions=[_body(ctx, scope, [Int, Int], depth, [Str])], loc=loc
        )
    if kind == "any":
        return o.AnyOp(
            [items], [Bool], regions=[_body(ctx, scope, [Int, Int], depth, [Bool])], loc=loc
        )
    key = [_body(ctx, scope, [Int], depth, [Float])] if ctx.draw(st.booleans()) else []
    return o.SortOp(
        [items], [List(Int)], {"reverse": ctx.draw(st.booleans())}, regions=key, loc=loc
    )


@st.composite
def modules(draw: st.DrawFn) -> Module:
    """A random verified module with nested regions, calls and locations."""
    ctx = _Ctx(draw)
    body = Region([Image], arg_names=["image"])
    scope = list(body.args)
    for _ in range(draw(st.integers(1, 8))):
        _emit(ctx, body, scope, 0)
    result = draw(st.sampled_from(scope))
    body.append(o.ReturnOp([result], loc=ctx.loc()))
    func = o.FuncOp(
        attributes={"sym_name": "execute_command", "result_type": result.type}, regions=[body]
    )
    return Module([func])
